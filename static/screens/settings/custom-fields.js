// Custom fields, per entity (`?entity=lead`): every field type the API has, with what the type
// needs (its own options one per line or a dictionary for an enumeration, the linked entity for
// a record, negatives for money and decimals). Entity, code, type and multiplicity are fixed
// once created (shown, not offered, when editing). A saved field appears at once in the
// lists, filters and cards: the shared reference data is dropped so they fetch it again.

import { api, apiAll } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { ENTITIES, resetReference } from "../../ui/reference.js";
import { page, table, editDialog, confirmThen, alertBox } from "./kit.js";

const TYPES = ["string", "text", "integer", "decimal", "money", "boolean", "date", "datetime", "enumeration", "currency", "emails", "phones", "websites", "messengers", "address", "user", "record"];

/** The option fields each type takes; the others are hidden and never sent. */
const TYPE_OPTIONS = { enumeration: ["options", "dictionary"], record: ["record_entity"], decimal: ["signed"], money: ["signed"] };
const OPTION_FIELDS = ["options", "dictionary", "record_entity", "signed"];

const entityLabel = (entity) => t(`entity.${entity}`);

export default async function customFields(ctx) {
  const entities = Object.values(ENTITIES).map((e) => e.entity);
  const entity = entities.find((e) => e === ctx.url.searchParams.get("entity")) || entities[0];
  const [items, { items: kinds }] = await Promise.all([apiAll("/api/custom-fields", { "filter[entity]": entity }), api("/api/dictionaries")]);
  const alert = alertBox();
  const fields = [
    { name: "label", label: t("fields.label"), kind: "names", required: true },
    { name: "code", label: t("pipelines.code"), create: true, required: true, initial: "uf_", hint: t("fields.code_hint") },
    { name: "type", label: t("fields.type"), kind: "select", create: true, required: true, initial: "string", options: TYPES.map((v) => ({ value: v, label: t(`fields.type.${v}`) })) },
    { name: "multiple", label: t("fields.multiple"), kind: "checkbox", create: true },
    { name: "options", label: t("fields.options"), kind: "lines", hint: t("fields.options_hint") },
    { name: "dictionary", label: t("fields.dictionary"), kind: "select", options: kinds.map((k) => ({ value: k.kind, label: loc(k.name) })) },
    { name: "record_entity", label: t("fields.record_entity"), kind: "select", options: entities.map((e) => ({ value: e, label: entityLabel(e) })) },
    { name: "signed", label: t("fields.signed"), kind: "checkbox" },
    { name: "required", label: t("fields.required"), kind: "checkbox" },
    { name: "show_in_list", label: t("fields.show_in_list"), kind: "checkbox" },
    { name: "sort", label: t("settings.sort"), kind: "number" },
  ];
  const saved = () => {
    resetReference();
    ctx.rerender();
  };
  const create = async () => {
    const save = (body) => api("/api/custom-fields", { method: "POST", body: { ...applicable(body, body.type), entity } });
    const prepare = (form) => showOptionsOf(form, () => form.querySelector("[name=type]").value);
    if (await editDialog(t("fields.new", { entity: entityLabel(entity) }), fields, null, save, { prepare })) saved();
  };
  const edit = async (field) => {
    const save = (body) => api(`/api/custom-fields/${field.id}`, { method: "PATCH", body: applicable(body, field.type), ifMatch: field.version });
    const prepare = (form) => showOptionsOf(form, () => field.type);
    if (await editDialog(t("settings.edit_item", { name: loc(field.label) }), fields, field, save, { prepare })) saved();
  };
  const remove = async (field) => {
    const name = loc(field.label);
    if (await confirmThen(t("fields.delete_confirm", { name }), t("fields.delete", { name }), () => api(`/api/custom-fields/${field.id}`, { method: "DELETE", ifMatch: field.version }), alert)) saved();
  };
  const columns = [
    { label: t("fields.label"), head: true, value: (f) => loc(f.label) },
    { label: t("pipelines.code"), value: (f) => html`<code>${f.code}</code>` },
    { label: t("fields.type"), value: (f) => t(`fields.type.${f.type}`) + (f.multiple ? ` (${t("fields.multiple")})` : "") },
    { label: t("fields.required"), value: (f) => (f.required ? t("yes") : t("no")) },
    { label: t("fields.show_in_list"), value: (f) => (f.show_in_list ? t("yes") : t("no")) },
    { label: t("delete"), value: (f) => el`<button type="button" class="danger" aria-label=${t("fields.delete", { name: loc(f.label) })} @click=${() => remove(f)}>${t("delete")}</button>` },
  ];
  return page(
    t("settings.section.custom-fields"),
    html`<button type="button" @click=${create}>${t("fields.new", { entity: entityLabel(entity) })}</button>`,
    html`<nav class="tabs" aria-label=${t("fields.entities")}><ul>${entities.map((e) => html`<li><a href=${`/settings/custom-fields?entity=${e}`} aria-current=${e === entity ? "page" : null}>${entityLabel(e)}</a></li>`)}</ul></nav>`,
    alert,
    table(items, columns, { onEdit: edit, caption: entityLabel(entity) }),
  );
}

/** The body without the option fields type `type` does not take. */
function applicable(body, type) {
  const out = { ...body };
  for (const key of OPTION_FIELDS) if (!(TYPE_OPTIONS[type] || []).includes(key)) delete out[key];
  if (out.dictionary && out.options && !out.options.length) delete out.options;
  return out;
}

/** Shows only the option fields of the type `typeOf()` names, now and when the type changes. */
function showOptionsOf(form, typeOf) {
  const update = () => {
    const wanted = TYPE_OPTIONS[typeOf()] || [];
    for (const key of OPTION_FIELDS) {
      const row = form.querySelector(`[id="f-${key}"]`)?.closest(".field");
      if (row) row.hidden = !wanted.includes(key);
    }
  };
  form.querySelector("[name=type]")?.addEventListener("change", update);
  update();
}
