// The audit log: who did what and when, newest first, filtered by person, action and period
// (the filters live in the address, so a filtered view can be shared and reloaded); more rows
// load with a button. Details are shown as text.

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { page, table } from "./kit.js";

/** The next day of a `YYYY-MM-DD` date, for an inclusive "to" date. */
function dayAfter(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export default async function audit(ctx) {
  const params = ctx.url.searchParams;
  const chosen = { actor: params.get("actor") || "", action: params.get("action") || "", from: params.get("from") || "", to: params.get("to") || "" };
  const query = {};
  if (chosen.actor) query["filter[actor_user_id]"] = chosen.actor;
  if (chosen.action) query["filter[action]"] = chosen.action;
  if (chosen.from) query["filter[at][gte]"] = chosen.from;
  if (chosen.to) query["filter[at][lt]"] = dayAfter(chosen.to);
  const [users, first] = await Promise.all([apiAll("/api/users"), api("/api/audit", { query: { ...query, limit: 50 } })]);
  const userName = (id) => (id === null || id === undefined ? t("audit.system") : users.find((u) => u.id === id)?.name || t("user_n", { id }));

  const apply = (event) => {
    event.preventDefault();
    const form = event.target;
    const next = new URLSearchParams();
    for (const key of ["actor", "action", "from", "to"]) if (form[key].value.trim()) next.set(key, form[key].value.trim());
    const qs = next.toString();
    ctx.navigate(`/settings/audit${qs ? `?${qs}` : ""}`);
  };
  const filters = el`<form class="filters-bar" role="search" aria-label=${t("audit.filters")} @submit=${apply}>
    <div class="field"><label for="audit-actor">${t("audit.actor")}</label>
      <select id="audit-actor" name="actor"><option value="">${t("audit.anyone")}</option>
        ${users.map((u) => html`<option value=${u.id} ?selected=${String(u.id) === chosen.actor}>${u.name}</option>`)}</select></div>
    <div class="field"><label for="audit-action">${t("audit.action")}</label>
      <input id="audit-action" name="action" .value=${chosen.action} placeholder="user.created" list="audit-actions"></div>
    <div class="field"><label for="audit-from">${t("audit.from")}</label><input id="audit-from" name="from" type="date" .value=${chosen.from}></div>
    <div class="field"><label for="audit-to">${t("audit.to")}</label><input id="audit-to" name="to" type="date" .value=${chosen.to}></div>
    <div class="actions"><button type="submit">${t("audit.apply")}</button><a href="/settings/audit">${t("audit.clear")}</a></div>
  </form>`;

  const rows = [...first.items];
  let cursor = first.next_cursor;
  const box = el`<div></div>`;
  const more = el`<button type="button" class="secondary">${t("list.more")}</button>`;
  const columns = [
    { label: t("audit.at"), head: true, value: (e) => formatDateTime(e.at) },
    { label: t("audit.actor"), value: (e) => userName(e.actor_user_id) },
    { label: t("audit.action"), value: (e) => html`<code>${e.action}</code>` },
    { label: t("audit.target"), value: (e) => (e.target_type ? `${e.target_type} #${e.target_id ?? ""}` : "") },
    { label: t("audit.ip"), value: (e) => e.ip || "" },
    { label: t("audit.details"), value: (e) => (e.details === null ? "" : html`<code class="details">${JSON.stringify(e.details)}</code>`) },
  ];
  const draw = () => {
    mount(box, table(rows, columns, { empty: t("audit.empty") }));
    more.hidden = !cursor;
  };
  more.addEventListener("click", async () => {
    const next = await api("/api/audit", { query: { ...query, limit: 50, cursor } });
    rows.push(...next.items);
    cursor = next.next_cursor;
    draw();
  });
  draw();
  return page(t("settings.section.audit"), null, filters, box, more);
}
