// My activities (`/activities/my`): open ones by deadline (`GET /api/activities/my`, overdue
// marked), a week calendar (a CSS grid of seven days; `?week=YYYY-MM-DD` is its Monday) and the
// calendar-feed link to copy (`POST /api/activities/feed-token`).

import { api } from "../api.js";
import { html, el } from "../ui/html.js";
import { t, lang, formatDateTime } from "../i18n/i18n.js";
import { announce } from "../ui/shell.js";
import { errorMessage } from "../ui/forms.js";

const DAY = 86400000;

function mondayOf(date) {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

function iso(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function apiInstant(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function agendaScreen({ url, me }) {
  const asked = url.searchParams.get("week");
  const monday = mondayOf(asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) ? new Date(`${asked}T00:00:00`) : new Date());
  const next = new Date(monday.getTime() + 7 * DAY + 3600000);
  const nextMonday = mondayOf(next);
  const prevMonday = mondayOf(new Date(monday.getTime() - 6 * DAY));
  const range = (field) => ({
    [`filter[responsible_id]`]: me.id,
    [`filter[${field}][gte]`]: apiInstant(monday),
    [`filter[${field}][lt]`]: apiInstant(nextMonday),
    limit: 200,
  });
  const [mine, starts, deadlines] = await Promise.all([
    api("/api/activities/my", { query: { limit: 50 } }),
    api("/api/activities", { query: range("start_at") }),
    api("/api/activities", { query: { ...range("deadline"), "filter[start_at][null]": "true" } }),
  ]);

  const open = mine.items.length
    ? html`<ul class="activities">${mine.items.map(
        (a) => html`<li class=${a.overdue ? "overdue" : null}>
          <strong>${t(`activity.${a.type}`)}</strong> <a href=${`/activities/${a.id}`}>${a.subject}</a>
          ${a.deadline || a.start_at
            ? html` · <time datetime=${a.deadline || a.start_at}>${formatDateTime(a.deadline || a.start_at)}</time>`
            : null}
          ${a.overdue ? html` · <span class="bad">${t("agenda.overdue")}</span>` : null}
        </li>`,
      )}</ul>`
    : html`<p class="muted">${t("activity.none")}</p>`;

  const days = [];
  for (let i = 0; i < 7; i++) days.push(new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + i));
  const all = [...starts.items, ...deadlines.items];
  const dayName = new Intl.DateTimeFormat(lang(), { weekday: "long", day: "numeric", month: "short" });
  const timeOf = new Intl.DateTimeFormat(lang(), { timeStyle: "short" });
  const week = days.map((d) => {
    const items = all
      .map((a) => ({ a, at: new Date(a.start_at || a.deadline) }))
      .filter(({ at }) => iso(at) === iso(d))
      .sort((x, y) => x.at - y.at);
    const id = `day-${iso(d)}`;
    return html`<section class="day" aria-labelledby=${id}>
      <h3 id=${id}>${dayName.format(d)}</h3>
      <ul>${items.map(
        ({ a, at }) => html`<li class=${a.completed ? `slot done ${a.type}` : `slot ${a.type}`}>
          <time datetime=${at.toISOString()}>${timeOf.format(at)}</time>
          <a href=${`/activities/${a.id}`}>${a.subject}</a> <span class="muted">${t(`activity.${a.type}`)}</span>
        </li>`,
      )}</ul>
    </section>`;
  });

  const feedBox = el`<div class="feed"></div>`;
  const feedStatus = el`<p role="status" aria-live="polite" class="muted"></p>`;
  async function feed() {
    try {
      const answer = await api("/api/activities/feed-token", { method: "POST" });
      const link = new URL(answer.url, location.origin).href;
      const input = el`<input id="feed-url" readonly .value=${link}>`;
      feedBox.replaceChildren(
        ...html`<label for="feed-url">${t("agenda.feed_url")}</label>${input}
          <button type="button" class="secondary" @click=${async () => {
            input.select();
            try {
              await navigator.clipboard.writeText(link);
              feedStatus.textContent = t("agenda.copied");
            } catch {
              feedStatus.textContent = t("agenda.copy_hint");
            }
          }}>${t("agenda.copy")}</button>`.childNodes,
      );
      announce(t("agenda.feed_ready"));
    } catch (error) {
      feedStatus.textContent = errorMessage(error);
    }
  }

  const weekLabel = `${dayName.format(days[0])} – ${dayName.format(days[6])}`;
  return html`<section class="screen agenda">
    <div class="titlebar"><h1>${t("agenda.title")}</h1><a href="/activities">${t("board.as_list")}</a></div>
    <section class="panel" aria-labelledby="agenda-open"><h2 id="agenda-open">${t("agenda.open")}</h2>${open}</section>
    <section class="week-panel" aria-labelledby="agenda-week">
      <div class="titlebar">
        <h2 id="agenda-week">${t("agenda.week", { range: weekLabel })}</h2>
        <nav aria-label=${t("agenda.weeks")} class="inline">
          <a href=${`/activities/my?week=${iso(prevMonday)}`}>${t("agenda.prev")}</a>
          <a href="/activities/my">${t("agenda.this_week")}</a>
          <a href=${`/activities/my?week=${iso(nextMonday)}`}>${t("agenda.next")}</a>
        </nav>
      </div>
      <div class="week">${week}</div>
    </section>
    <section class="panel" aria-labelledby="agenda-feed">
      <h2 id="agenda-feed">${t("agenda.feed")}</h2>
      <p class="muted">${t("agenda.feed_text")}</p>
      <button type="button" class="secondary" @click=${feed}>${t("agenda.feed_make")}</button>
      ${feedBox}${feedStatus}
    </section>
  </section>`;
}
