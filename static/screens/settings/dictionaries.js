// Dictionaries (lead statuses, sources, contact and company types...): one kind at a time,
// chosen in the address (`?kind=sources`); each entry's name in both languages, colour and,
// for lead statuses, its meaning. Entries reorder with Move up / Move down; system entries
// and entries still in use are not deleted (the API says which, and it is shown).

import { api } from "../../api.js";
import { html } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { page, table, editDialog, confirmThen, attempt, alertBox } from "./kit.js";

const SEMANTICS = ["open", "success", "failure"];

export default async function dictionaries(ctx) {
  const { items: kinds } = await api("/api/dictionaries");
  const kind = kinds.find((k) => k.kind === ctx.url.searchParams.get("kind")) || kinds[0];
  const base = `/api/dictionaries/${kind.kind}`;
  const { items } = await api(base);
  const alert = alertBox();
  const fields = [
    { name: "name", label: t("settings.name"), kind: "names", required: true },
    { name: "code", label: t("pipelines.code"), create: true, required: true, hint: t("dictionaries.code_hint") },
    { name: "color", label: t("pipelines.color"), kind: "color" },
    ...(kind.has_semantic
      ? [{ name: "semantic", label: t("pipelines.semantic"), kind: "select", required: true, initial: "open", options: SEMANTICS.map((s) => ({ value: s, label: t(`dictionaries.semantic.${s}`) })) }]
      : []),
  ];
  const entryUrl = (entry) => `${base}/${encodeURIComponent(entry.code)}`;
  const create = async () => {
    if (await editDialog(t("dictionaries.new", { kind: loc(kind.name) }), fields, null, (body) => api(base, { method: "POST", body }))) ctx.rerender();
  };
  const edit = async (entry) => {
    const save = (body) => api(entryUrl(entry), { method: "PATCH", body, ifMatch: entry.version });
    if (await editDialog(t("settings.edit_item", { name: loc(entry.name) }), fields, entry, save)) ctx.rerender();
  };
  const remove = async (entry) => {
    const name = loc(entry.name);
    if (await confirmThen(t("dictionaries.delete_confirm", { name }), t("dictionaries.delete", { name }), () => api(entryUrl(entry), { method: "DELETE", ifMatch: entry.version }), alert)) ctx.rerender();
  };
  const move = async (index, by) => {
    const order = [...items];
    const [entry] = order.splice(index, 1);
    order.splice(index + by, 0, entry);
    if (await attempt(alert, () => renumber(order, entryUrl))) ctx.rerender();
  };
  const columns = [
    { label: t("settings.name"), head: true, value: (e) => html`<span class="dot" ref=${(d) => (d.style.background = e.color || "")}></span>${loc(e.name)}` },
    { label: t("settings.lang_ru"), value: (e) => e.name?.ru || "" },
    { label: t("pipelines.code"), value: (e) => html`<code>${e.code}</code>` },
    ...(kind.has_semantic ? [{ label: t("pipelines.semantic"), value: (e) => t(`dictionaries.semantic.${e.semantic}`) }] : []),
    {
      label: t("settings.sort"),
      value: (e) => {
        const i = items.indexOf(e);
        const name = loc(e.name);
        return html`<span class="actions">
          <button type="button" class="secondary" ?disabled=${i === 0} aria-label=${t("pipelines.move_up", { name })} @click=${() => move(i, -1)}>↑</button>
          <button type="button" class="secondary" ?disabled=${i === items.length - 1} aria-label=${t("pipelines.move_down", { name })} @click=${() => move(i, 1)}>↓</button>
          ${e.system ? html`<span class="badge">${t("dictionaries.system")}</span>` : html`<button type="button" class="danger" aria-label=${t("dictionaries.delete", { name })} @click=${() => remove(e)}>${t("delete")}</button>`}
        </span>`;
      },
    },
  ];
  return page(
    t("settings.section.dictionaries"),
    html`<button type="button" @click=${create}>${t("dictionaries.new", { kind: loc(kind.name) })}</button>`,
    html`<nav class="tabs" aria-label=${t("dictionaries.kinds")}><ul>${kinds.map((k) => html`<li><a href=${`/settings/dictionaries?kind=${k.kind}`} aria-current=${k === kind ? "page" : null}>${loc(k.name)}</a></li>`)}</ul></nav>`,
    html`<h2>${loc(kind.name)}</h2>`,
    alert,
    table(items, columns, { onEdit: edit, caption: loc(kind.name) }),
  );
}

/** Gives the entries sorts 10, 20, 30... in this order, changing only those that differ. */
async function renumber(order, urlOf) {
  for (const [index, entry] of order.entries()) {
    const sort = (index + 1) * 10;
    if (entry.sort !== sort) await api(urlOf(entry), { method: "PATCH", body: { sort }, ifMatch: entry.version });
  }
}
