// The start page: my open activities (overdue first, marked done in place), new leads assigned
// to me, my open deals by stage with totals, and a small sales funnel (the default pipeline,
// linking to the funnel report) — one round of parallel calls.

import { api } from "../api.js";
import { html, el } from "../ui/html.js";
import { t, loc, formatDateTime, formatMoney } from "../i18n/i18n.js";
import { can } from "../ui/reference.js";
import { announce } from "../ui/shell.js";
import { errorMessage } from "../ui/forms.js";
import { optionLabel } from "../ui/fields.js";
import { funnelBars } from "../ui/funnel.js";

/** A section that failed shows why, the others still show. */
function settle(promise) {
  return promise.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
}

export async function homeScreen({ me }) {
  const mine = String(me.id);
  const [activities, leads, board, funnel] = await Promise.all([
    can(me, "activity", "read") ? settle(api("/api/activities/my", { query: { limit: 50 } })) : null,
    can(me, "lead", "read")
      ? settle(
          api("/api/leads", {
            query: { "filter[responsible_id]": mine, "filter[status]": "NEW", sort: "-created_at", limit: 10, count: "true" },
          }),
        )
      : null,
    can(me, "deal", "read")
      ? settle(api("/api/deals/board", { query: { "filter[responsible_id]": mine, per_column: 5 } }))
      : null,
    can(me, "deal", "read") ? settle(api("/api/reports/funnel")) : null,
  ]);
  return html`<section class="screen">
    <h1>${t("home.title", { name: me.name })}</h1>
    <div class="home-grid">
      ${activities ? activitiesSection(activities) : null}
      ${leads ? leadsSection(leads) : null}
      ${board ? dealsSection(board) : null}
      ${funnel ? funnelSection(funnel) : null}
    </div>
  </section>`;
}

function failed(error) {
  return html`<p class="notice error" role="alert">${errorMessage(error)}</p>`;
}

function activitiesSection({ value, error }) {
  const items = value ? [...value.items].sort((a, b) => Number(b.overdue) - Number(a.overdue)) : [];
  const list = el`<ul class="cards" aria-labelledby="home-activities"></ul>`;
  const empty = el`<p class="muted" ?hidden=${items.length > 0}>${t("home.no_activities")}</p>`;
  for (const item of items) list.append(activityItem(item, list, empty));
  return html`<section class="panel">
    <h2 id="home-activities"><a href="/activities/my">${t("home.activities")}</a></h2>
    ${error ? failed(error) : html`${list}${empty}`}
  </section>`;
}

function activityItem(item, list, empty) {
  const status = el`<p class="field-error" role="alert" hidden></p>`;
  const li = el`<li class="card-item" data-overdue=${item.overdue ? "true" : null}>
    <div>
      <a href=${`/activities/${item.id}`}>${item.subject}</a>
      <span class="badge">${optionLabel(item.type)}</span>
      ${item.overdue ? html`<span class="badge bad">${t("home.overdue")}</span>` : null}
      <p class="muted small">${item.deadline ? t("home.due", { when: formatDateTime(item.deadline) }) : t("home.no_deadline")}</p>
      ${status}
    </div>
    <button type="button" class="secondary" aria-label=${t("home.mark_done", { subject: item.subject })}>${t("home.done")}</button>
  </li>`;
  li.querySelector("button").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await api(`/api/activities/${item.id}`, { method: "PATCH", body: { completed: true }, ifMatch: item.version });
      li.remove();
      if (!list.children.length) empty.hidden = false;
      announce(t("home.marked_done", { subject: item.subject }));
    } catch (error) {
      button.disabled = false;
      status.textContent = errorMessage(error);
      status.hidden = false;
    }
  });
  return li;
}

function leadsSection({ value, error }) {
  const items = value ? value.items : [];
  return html`<section class="panel">
    <h2 id="home-leads"><a href=${`/leads?filter%5Bstatus%5D=NEW`}>${t("home.new_leads")}</a></h2>
    ${error
      ? failed(error)
      : items.length
        ? html`<ul class="cards" aria-labelledby="home-leads">
            ${items.map((l) => html`<li class="card-item"><a href=${`/leads/${l.id}`}>${l.title || `#${l.id}`}</a>
              <span class="muted small">${formatDateTime(l.created_at)}</span></li>`)}
          </ul>`
        : html`<p class="muted">${t("home.no_leads")}</p>`}
  </section>`;
}

function dealsSection({ value, error }) {
  if (error) return html`<section class="panel"><h2>${t("home.deals")}</h2>${failed(error)}</section>`;
  const open = value.columns.filter((c) => c.stage.semantic !== "won" && c.stage.semantic !== "lost");
  const count = open.reduce((n, c) => n + c.count, 0);
  // Totals stay decimal strings until Intl formats them; the sum is done in minor units.
  const cents = open.reduce((n, c) => n + BigInt(String(c.amount || "0.00").replace(".", "")), 0n);
  const total = `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
  return html`<section class="panel wide">
    <h2 id="home-deals"><a href="/deals/board">${t("home.deals")}</a></h2>
    <p>${t("home.deals_total", { count, total: formatMoney(total, value.currency) })}</p>
    <table class="stages">
      <caption class="visually-hidden">${t("home.deals")}</caption>
      <thead><tr><th scope="col">${t("home.stage")}</th><th scope="col">${t("home.count")}</th><th scope="col">${t("home.amount")}</th><th scope="col">${t("home.deals_list")}</th></tr></thead>
      <tbody>
        ${open.map(
          (c) => html`<tr>
            <th scope="row"><span class="dot" ref=${(d) => (d.style.background = c.stage.color || "")}></span>${loc(c.stage.name)}</th>
            <td data-label=${t("home.count")}>${c.count}</td>
            <td data-label=${t("home.amount")}>${formatMoney(c.amount, value.currency)}</td>
            <td data-label=${t("home.deals_list")}>${c.items.map((d) => html`<a href=${`/deals/${d.id}`}>${d.title}</a> `)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function funnelSection({ value, error }) {
  return html`<section class="panel">
    <h2 id="home-funnel"><a href="/reports/funnel">${t("home.funnel")}</a></h2>
    ${error
      ? failed(error)
      : html`${funnelBars(value.stages, {
          label: t("home.funnel"),
          lines: (s) => [t("home.funnel_reached", { count: s.reached }), formatMoney(s.amount, value.currency)],
        })}<p><a href="/reports/funnel">${t("home.funnel_all")}</a></p>`}
  </section>`;
}
