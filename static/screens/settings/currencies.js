// Currencies: code, name in both languages and the rate (how many units of the base currency
// one unit is worth). Making another currency the base rescales every rate (the API does it
// in one transaction); the base currency and currencies in use are not deleted.

import { api } from "../../api.js";
import { html } from "../../ui/html.js";
import { t, loc, formatNumber } from "../../i18n/i18n.js";
import { page, table, editDialog, confirmThen, alertBox } from "./kit.js";

export default async function currencies(ctx) {
  const { items } = await api("/api/currencies");
  const alert = alertBox();
  const fields = [
    { name: "code", label: t("pipelines.code"), create: true, required: true, hint: t("currencies.code_hint") },
    { name: "name", label: t("settings.name"), kind: "names", required: true },
    { name: "rate", label: t("currencies.rate"), required: true, hint: t("currencies.rate_hint") },
    { name: "base", label: t("currencies.base"), kind: "checkbox" },
  ];
  const url = (c) => `/api/currencies/${encodeURIComponent(c.code)}`;
  const create = async () => {
    if (await editDialog(t("currencies.new"), fields, null, (body) => api("/api/currencies", { method: "POST", body }))) ctx.rerender();
  };
  const edit = async (c) => {
    if (await editDialog(t("settings.edit_item", { name: c.code }), fields, c, (body) => api(url(c), { method: "PATCH", body, ifMatch: c.version }))) ctx.rerender();
  };
  const remove = async (c) => {
    if (await confirmThen(t("currencies.delete_confirm", { name: c.code }), t("currencies.delete", { name: c.code }), () => api(url(c), { method: "DELETE", ifMatch: c.version }), alert)) ctx.rerender();
  };
  const columns = [
    { label: t("pipelines.code"), head: true, value: (c) => c.code },
    { label: t("settings.name"), value: (c) => loc(c.name) },
    { label: t("currencies.rate"), value: (c) => formatNumber(Number(c.rate), { maximumFractionDigits: 10 }) },
    { label: t("currencies.base"), value: (c) => (c.base ? html`<span class="badge">${t("currencies.base")}</span>` : html`<button type="button" class="danger" aria-label=${t("currencies.delete", { name: c.code })} @click=${() => remove(c)}>${t("delete")}</button>`) },
  ];
  return page(t("settings.section.currencies"), html`<button type="button" @click=${create}>${t("currencies.new")}</button>`, alert, table(items, columns, { onEdit: edit }));
}
