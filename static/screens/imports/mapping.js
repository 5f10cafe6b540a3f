// The wizard's mapping step: each column of the file with an example value and a `<select>` of
// the entity's fields (`GET /api/<entity>/fields`; addresses by part), the guessed field chosen,
// and for phones, e-mails, websites and messengers the type the values get. Saved as the
// import's `mapping` (`[{column, field, type?, type_column?}]`); a 422 naming
// `mapping[i].field` stands on that column's row.

import { html, el, mount } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { fieldsOf } from "../../ui/reference.js";
import { fieldLabel } from "../../ui/fields.js";
import { ApiError } from "../../api.js";
import { frame, patchImport, problemText, resourceOfImport, label } from "./index.js";

const PARTS = { address: ["street", "city", "region", "postal_code", "country"] };
/** The types of typed-list items, as core's `ListKind::types` has them. */
const TYPES = {
  phones: ["work", "mobile", "home", "fax", "pager", "other"],
  emails: ["work", "home", "newsletter", "other"],
  websites: ["work", "home", "facebook", "vk", "telegram", "instagram", "other"],
  messengers: ["telegram", "whatsapp", "viber", "skype", "vk", "facebook", "instagram", "imessage", "other"],
};

/** What a column may be imported into: `{key, text, types?}`, compound fields by part. */
export function targetsOf(fields) {
  const out = [];
  for (const f of fields) {
    if (f.writable === "never" || f.type === "bindings" || f.type === "requisites") continue;
    if (PARTS[f.type]) {
      for (const part of PARTS[f.type]) out.push({ key: `${f.name}.${part}`, text: `${fieldLabel(f)}: ${t(`imports.part.${part}`)}` });
    } else {
      out.push({ key: f.name, text: fieldLabel(f), types: TYPES[f.type] });
    }
  }
  return out;
}

/** A key the API guessed that the list above lacks (an alias such as `company_id`) keeps a name. */
function extraTarget(key, fields) {
  const f = fields.find((x) => x.name === key || x.name === `${key}s`);
  return { key, text: f ? fieldLabel(f) : key, types: f ? TYPES[f.type] : undefined };
}

function sample(imp, column) {
  for (const row of imp.preview || []) if (row[column]) return row[column];
  return "";
}

export default async function mappingStep({ navigate }, imp) {
  const meta = await fieldsOf(resourceOfImport(imp));
  const targets = targetsOf(meta.fields);
  for (const m of imp.mapping || []) {
    if (!targets.some((x) => x.key === m.field)) targets.push(extraTarget(m.field, meta.fields));
  }
  const byColumn = new Map((imp.mapping || []).map((m) => [m.column, m]));
  const columns = imp.columns || [];
  const status = el`<p class="notice error" role="alert" hidden></p>`;
  const summary = el`<p class="count" role="status"></p>`;
  const rows = [];

  function typeOptions(row, current) {
    const target = targets.find((x) => x.key === row.field.value);
    row.typeBox.hidden = !target?.types;
    if (!target?.types) return;
    const chosen = current ? (current.type_column != null ? `col:${current.type_column}` : current.type || "") : row.type.value;
    mount(row.type, html`<option value="">${t("imports.type_auto")}</option>
      ${current?.type_column != null
        ? html`<option value=${`col:${current.type_column}`}>${t("imports.type_from", { column: columns[current.type_column] ?? current.type_column })}</option>`
        : null}
      ${target.types.map((code) => html`<option value=${code}>${label("imports.type", code)}</option>`)}`);
    row.type.value = [...row.type.options].some((o) => o.value === chosen) ? chosen : "";
  }

  function countMapped() {
    const mapped = rows.filter((r) => r.field.value).length;
    summary.textContent = t("imports.mapped", { mapped, count: columns.length });
  }

  const body = columns.map((name, column) => {
    const current = byColumn.get(column);
    const field = el`<select id=${`map-${column}`} aria-label=${t("imports.field_for", { column: name })}
      aria-describedby=${`map-${column}-error`}>
      <option value="">${t("imports.skip_column")}</option>
      ${targets.map((x) => html`<option value=${x.key} ?selected=${current?.field === x.key}>${x.text}</option>`)}
    </select>`;
    const type = el`<select id=${`type-${column}`} aria-label=${t("imports.type_for", { column: name })}></select>`;
    const typeBox = el`<span>${type}</span>`;
    const error = el`<p class="field-error" id=${`map-${column}-error`} hidden></p>`;
    const row = { column, field, type, typeBox, error };
    rows.push(row);
    typeOptions(row, current);
    field.addEventListener("change", () => {
      typeOptions(row, null);
      countMapped();
    });
    return html`<tr>
      <th scope="row">${name}</th>
      <td data-label=${t("imports.example")}>${sample(imp, column)}</td>
      <td data-label=${t("imports.field")}>${field}${error}</td>
      <td class="type" data-label=${t("imports.type")}>${typeBox}</td>
    </tr>`;
  });
  countMapped();

  function mapping() {
    const out = [];
    for (const row of rows) {
      if (!row.field.value) continue;
      const target = { column: row.column, field: row.field.value };
      if (!row.typeBox.hidden && row.type.value.startsWith("col:")) target.type_column = Number(row.type.value.slice(4));
      else if (!row.typeBox.hidden && row.type.value) target.type = row.type.value;
      out.push(target);
    }
    return out;
  }

  /** Puts `mapping[i]...` errors on the rows of the columns sent as item `i`. */
  function showErrors(error, sent) {
    let unplaced = !(error instanceof ApiError) || !Object.keys(error.fields).length;
    for (const [path, message] of Object.entries(error?.fields || {})) {
      const m = /^mapping\[(\d+)\]/.exec(path);
      const row = m && rows.find((r) => r.column === sent[Number(m[1])]?.column);
      if (!row) {
        unplaced = true;
        continue;
      }
      row.error.textContent = message;
      row.error.hidden = false;
      row.field.setAttribute("aria-invalid", "true");
    }
    if (unplaced) {
      status.textContent = problemText(error);
      status.hidden = false;
    }
    (rows.find((r) => !r.error.hidden)?.field || status).focus?.();
  }

  async function save({ currentTarget: button }) {
    for (const row of rows) {
      row.error.hidden = true;
      row.field.removeAttribute("aria-invalid");
    }
    status.hidden = true;
    const sent = mapping();
    button.disabled = true;
    try {
      await patchImport(imp, { mapping: sent });
      navigate(`/imports/${imp.id}?step=duplicates`);
    } catch (error) {
      button.disabled = false;
      showErrors(error, sent);
    }
  }

  return frame(imp, "mapping", html`<p class="hint">${t("imports.mapping_hint")}</p>
    ${summary}
    <div class="table-wrap"><table class="records mapping">
      <caption class="visually-hidden">${t("imports.step.mapping")}</caption>
      <thead><tr><th scope="col">${t("imports.column")}</th><th scope="col">${t("imports.example")}</th>
        <th scope="col">${t("imports.field")}</th><th scope="col">${t("imports.type")}</th></tr></thead>
      <tbody>${body}</tbody>
    </table></div>
    ${status}
    <div class="actions"><button type="button" @click=${save}>${t("imports.next")}</button></div>`);
}
