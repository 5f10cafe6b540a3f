// Field values by type, driven by `/fields` metadata: how a value reads (text, links for
// phones and e-mails, names for dictionary codes, users and stages, Intl for dates and money),
// the control that edits it, and how that control's value becomes API JSON again.

import { html, el } from "./html.js";
import { t, loc, formatDate, formatDateTime, formatMoney, formatNumber } from "../i18n/i18n.js";
import { resourceOf, titleOf } from "./reference.js";
import { api } from "../api.js";

/** Linked records' titles, fetched once per page load ("Company #3" until it arrives). */
const titles = new Map();

const LIST_TYPES = ["phones", "emails", "websites", "messengers"];
/** Decimal fields shown as money when the record has a currency beside them. */
const MONEY_FIELDS = ["amount", "revenue", "price"];

export function fieldLabel(field) {
  return loc(field.label) || field.name;
}

/** A field's value in a record (custom fields live under `custom`). */
export function valueOf(record, field) {
  if (!record) return undefined;
  if (field.custom) return record.custom?.[field.name];
  return record[field.name];
}

export function isEmpty(value) {
  return (
    value === null ||
    value === undefined ||
    value === "" ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => v === null || v === ""))
  );
}

function stagesFor(lookups, record) {
  const pipes = lookups.pipelines || [];
  const pipe = pipes.find((p) => p.id === record?.pipeline_id) || pipes.find((p) => p.is_default) || pipes[0];
  return pipe ? pipe.stages : [];
}

/** Is this the deal's stage (a code within its pipeline)? */
function isPipelineStage(field, lookups) {
  return field.name === "stage" && field.type === "string" && (lookups.pipelines || []).length > 0;
}

/** Options `{code, label}` of a choice field, or null if the field is not a choice. */
export function choices(field, lookups, record) {
  if (field.dictionary) {
    return (lookups.dictionaries?.[field.dictionary] || []).map((e) => ({ code: e.code, label: loc(e.name), color: e.color }));
  }
  if (field.options) return field.options.map((code) => ({ code, label: optionLabel(code) }));
  if (isPipelineStage(field, lookups)) {
    return stagesFor(lookups, record).map((s) => ({ code: s.code, label: loc(s.name), color: s.color }));
  }
  if (field.name === "pipeline_id" && (lookups.pipelines || []).length) {
    return lookups.pipelines.map((p) => ({ code: String(p.id), label: loc(p.name) }));
  }
  if (field.type === "currency") return (lookups.currencies || []).map((c) => ({ code: c.code, label: c.code }));
  if (field.type === "user") return (lookups.users || []).map((u) => ({ code: String(u.id), label: u.name }));
  if (field.type === "boolean") return [
    { code: "true", label: t("yes") },
    { code: "false", label: t("no") },
  ];
  return null;
}

export function optionLabel(code) {
  const label = t(`opt.${code}`);
  return label === `opt.${code}` ? code : label;
}

export function userName(lookups, id) {
  if (id === null || id === undefined) return "";
  const user = (lookups.users || []).find((u) => u.id === id);
  if (user) return user.name;
  if (lookups.me && lookups.me.id === id) return lookups.me.name;
  return t("user_n", { id });
}

function recordLink(entity, id) {
  const resource = resourceOf(entity);
  const text = t("record_ref", { entity: t(`entity.${entity}`), id });
  if (!resource) return text;
  const link = el`<a href=${`/${resource}/${id}`}>${text}</a>`;
  const key = `${resource}/${id}`;
  if (!titles.has(key)) titles.set(key, api(`/api/${key}`).then((r) => titleOf(resource, r), () => null));
  titles.get(key).then((title) => {
    if (title) link.textContent = title;
  });
  return link;
}

function safeWebsite(value) {
  return /^https?:\/\//i.test(value) ? value : `https://${value}`;
}

/** The value as nodes for reading. */
export function display(field, value, record, lookups) {
  if (isEmpty(value)) return "";
  switch (field.type) {
    case "boolean":
      return value ? t("yes") : t("no");
    case "date":
      return formatDate(value);
    case "datetime":
      return formatDateTime(value);
    case "integer": {
      const options = choices(field, lookups, record);
      if (options) return options.find((o) => o.code === String(value))?.label || String(value);
      return field.name.endsWith("_id") ? String(value) : formatNumber(value);
    }
    case "decimal":
      if (MONEY_FIELDS.includes(field.name) && record?.currency) return formatMoney(value, record.currency);
      return formatNumber(value, { maximumFractionDigits: 6 });
    case "money":
      return formatMoney(value.amount, value.currency);
    case "user":
      return userName(lookups, value);
    case "phones":
      return list(value.map((p) => html`<a href=${`tel:${p.e164 || p.value}`}>${p.value}</a>`));
    case "emails":
      return list(value.map((e) => html`<a href=${`mailto:${e.value}`}>${e.value}</a>`));
    case "websites":
      return list(value.map((w) => html`<a href=${safeWebsite(w.value)} rel="noopener noreferrer" target="_blank">${w.value}</a>`));
    case "messengers":
      return list(value.map((m) => (m.type ? `${m.type}: ${m.value}` : m.value)));
    case "address":
      return list((Array.isArray(value) ? value : [value]).map(addressText));
    case "requisites":
      return Object.entries(value)
        .filter(([, v]) => v)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ");
    case "record":
      return list((Array.isArray(value) ? value : [value]).map((id) => recordLink(field.record_entity, id)));
    case "bindings":
      return list(value.map((b) => recordLink(b.entity, b.id)));
    default: {
      const options = choices(field, lookups, record);
      if (options && (field.type !== "string" || isPipelineStage(field, lookups))) {
        const codes = Array.isArray(value) ? value : [value];
        return codes.map((c) => options.find((o) => o.code === String(c))?.label || c).join(", ");
      }
      return Array.isArray(value) ? value.join(", ") : String(value);
    }
  }
}

function addressText(a) {
  if (!a || typeof a !== "object") return String(a ?? "");
  return Object.values(a)
    .filter((v) => typeof v === "string" && v)
    .join(", ");
}

function list(items) {
  if (items.length === 1) return items[0];
  return html`<ul class="values">${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

/** Can this field be edited in the generic form? */
export function editable(field, creating) {
  if (field.writable === "never") return false;
  if (field.writable === "on_create" && !creating) return false;
  return !["address", "requisites", "bindings"].includes(field.type);
}

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A control for the field, named and id'd `f-<path>`; `describedBy` names its error. */
export function input(field, value, record, lookups) {
  const id = `f-${field.path}`;
  const err = `${id}-error`;
  const required = field.required;
  const options = choices(field, lookups, record);
  if (field.type === "boolean") {
    return el`<input type="checkbox" id=${id} name=${field.path} .checked=${Boolean(value)} aria-describedby=${err}>`;
  }
  if (options && !field.multiple) {
    const current = value === null || value === undefined ? "" : String(value);
    return el`<select id=${id} name=${field.path} ?required=${required} aria-describedby=${err}>
      <option value="">${t("none_option")}</option>
      ${options.map((o) => html`<option value=${o.code} ?selected=${o.code === current}>${o.label}</option>`)}
    </select>`;
  }
  if (LIST_TYPES.includes(field.type)) {
    const text = (value || []).map((v) => v.value).join("\n");
    return el`<textarea id=${id} name=${field.path} rows="2" aria-describedby=${`${id}-hint ${err}`} .value=${text}></textarea>`;
  }
  if (field.type === "text") {
    return el`<textarea id=${id} name=${field.path} rows="3" ?required=${required} aria-describedby=${err} .value=${value ?? ""}></textarea>`;
  }
  const types = { integer: "number", date: "date", datetime: "datetime-local", user: "number", record: "text" };
  const type = types[field.type] || "text";
  let shown = value ?? "";
  if (field.type === "datetime") shown = toLocalInput(value);
  if (field.type === "record" && Array.isArray(value)) shown = value.join(", ");
  const inputmode = field.type === "decimal" ? "decimal" : field.type === "record" ? "numeric" : null;
  return el`<input type=${type} id=${id} name=${field.path} inputmode=${inputmode} ?required=${required}
    aria-describedby=${err} .value=${String(shown)}>`;
}

/** A hint under list-valued inputs ("one per line"). */
export function inputHint(field) {
  return LIST_TYPES.includes(field.type) ? t("one_per_line") : null;
}

/** The API JSON for a control's current value (`original` keeps the types of list items). */
export function readInput(field, control, original) {
  if (field.type === "boolean") return control.checked;
  const raw = control.value;
  const text = raw.trim();
  if (LIST_TYPES.includes(field.type)) {
    return raw
      .split(/\n|,(?=\s*\S)/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((v) => {
        const before = (original || []).find((o) => o.value === v);
        return before?.type ? { value: v, type: before.type } : v;
      });
  }
  if (text === "") return null;
  switch (field.type) {
    case "integer":
    case "user":
      return Number.isInteger(Number(text)) ? Number(text) : text;
    case "record":
      if (field.multiple) return text.split(",").map((s) => Number(s.trim())).filter((n) => Number.isInteger(n));
      return Number.isInteger(Number(text)) ? Number(text) : text;
    case "datetime": {
      const d = new Date(text);
      return Number.isNaN(d.getTime()) ? text : d.toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "decimal":
      return text.replace(/\s/g, "").replace(",", ".");
    default:
      return field.type === "boolean" ? text === "true" : text;
  }
}

/** Whether two API values are the same (for sending only what changed). */
export function sameValue(a, b) {
  const norm = (v) => {
    if (isEmpty(v)) return null;
    if (Array.isArray(v)) return JSON.stringify(v.map((x) => (typeof x === "object" && x ? x.value : x)));
    return JSON.stringify(v);
  };
  return norm(a) === norm(b);
}
