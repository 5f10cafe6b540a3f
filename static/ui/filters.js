// The filter panel, built from `/fields`: one row per condition (field, operator, value) with
// the operators the API lists for that field. It reads and writes the list's URL
// (`filter[path]=v`, `filter[path][op]=v`), so filters survive reload and back.

import { html, el, mount } from "./html.js";
import { t } from "../i18n/i18n.js";
import { fieldLabel, choices } from "./fields.js";

/** Bookkeeping columns every record has; filterable and sortable although not in `/fields`. */
export const META_FIELDS = [
  { name: "created_at", path: "created_at", type: "datetime", meta: true, operators: ["gte", "lte", "gt", "lt", "eq"], sortable: true },
  { name: "updated_at", path: "updated_at", type: "datetime", meta: true, operators: ["gte", "lte", "gt", "lt", "eq"], sortable: true },
];

/** `filter[path]` / `filter[path][op]` pairs of a URL -> [{path, op, value}]. */
export function filtersOf(params) {
  const out = [];
  for (const [key, value] of params) {
    const m = /^filter\[([^\]]+)\](?:\[([a-z]+)\])?$/.exec(key);
    if (m) out.push({ path: m[1], op: m[2] || "eq", value });
  }
  return out;
}

export function filterKey({ path, op }) {
  return op === "eq" ? `filter[${path}]` : `filter[${path}][${op}]`;
}

function valueControl(field, op, value, lookups, n) {
  const label = t("filter.value_n", { n });
  if (!field) return el`<input disabled aria-label=${label}>`;
  if (op === "null") {
    return el`<select name="value" aria-label=${label}>
      <option value="true" ?selected=${value !== "false"}>${t("filter.empty")}</option>
      <option value="false" ?selected=${value === "false"}>${t("filter.not_empty")}</option>
    </select>`;
  }
  const options = op === "like" ? null : choices(field, lookups, null);
  if (options) {
    const chosen = new Set(String(value || "").split(","));
    return el`<select name="value" aria-label=${label} ?multiple=${op === "in"}>
      ${op === "in" ? null : html`<option value="">—</option>`}
      ${options.map((o) => html`<option value=${o.code} ?selected=${chosen.has(o.code)}>${o.label}</option>`)}
    </select>`;
  }
  if (field.type === "date" || field.type === "datetime") {
    return el`<input type="date" name="value" aria-label=${label} .value=${String(value || "").slice(0, 10)}>`;
  }
  const numeric = ["integer", "decimal", "user", "record"].includes(field.type);
  return el`<input name="value" aria-label=${label} inputmode=${numeric ? "decimal" : null} .value=${value || ""}>`;
}

/**
 * The panel. `fields` are the filterable fields (with META_FIELDS); `onApply(conditions)` gets
 * the rows as [{path, op, value}] (empty values dropped).
 */
export function filterPanel({ fields, current, lookups, onApply }) {
  const rowsBox = el`<div class="filter-rows"></div>`;
  const byPath = new Map(fields.map((f) => [f.path, f]));

  function row(condition) {
    const n = rowsBox.children.length + 1;
    const box = el`<div class="filter-row" role="group" aria-label=${t("filter.n", { n })}></div>`;
    let field = byPath.get(condition.path);
    let op = condition.op;
    const fieldSelect = el`<select name="field" aria-label=${t("filter.field_n", { n })}>
      <option value="">${t("filter.choose_field")}</option>
      ${fields.map((f) => html`<option value=${f.path} ?selected=${f.path === condition.path}>${f.meta ? t(`meta.${f.name}`) : fieldLabel(f)}</option>`)}
    </select>`;
    const opSelect = el`<select name="op" aria-label=${t("filter.op_n", { n })}></select>`;
    let valueBox = valueControl(field, op, condition.value, lookups, n);
    function fillOps() {
      const ops = field ? field.operators : [];
      if (!ops.includes(op)) op = ops[0] || "eq";
      mount(opSelect, ops.map((o) => html`<option value=${o} ?selected=${o === op}>${t(`op.${o}`)}</option>`));
    }
    fillOps();
    fieldSelect.addEventListener("change", () => {
      field = byPath.get(fieldSelect.value);
      fillOps();
      const next = valueControl(field, op, "", lookups, n);
      valueBox.replaceWith(next);
      valueBox = next;
    });
    opSelect.addEventListener("change", () => {
      op = opSelect.value;
      const next = valueControl(field, op, "", lookups, n);
      valueBox.replaceWith(next);
      valueBox = next;
    });
    const remove = el`<button type="button" class="icon secondary" aria-label=${t("filter.remove_n", { n })}>×</button>`;
    remove.addEventListener("click", () => box.remove());
    box.append(fieldSelect, opSelect, valueBox, remove);
    box.read = () => {
      if (!field) return null;
      let value;
      if (valueBox.multiple) value = [...valueBox.selectedOptions].map((o) => o.value).join(",");
      else value = valueBox.value.trim();
      if (value === "") return null;
      return { path: field.path, op, value };
    };
    return box;
  }

  for (const c of current) rowsBox.append(row(c));
  if (!current.length) rowsBox.append(row({ path: "", op: "eq", value: "" }));

  function submit(event) {
    event.preventDefault();
    onApply([...rowsBox.children].map((r) => r.read()).filter(Boolean));
  }
  return html`<form class="filters" @submit=${submit}>
    ${rowsBox}
    <div class="actions">
      <button type="button" class="secondary" @click=${() => rowsBox.append(row({ path: "", op: "eq", value: "" }))}>${t("filter.add")}</button>
      <button type="button" class="secondary" @click=${() => onApply([])}>${t("filter.clear")}</button>
      <button type="submit">${t("filter.apply")}</button>
    </div>
  </form>`;
}
