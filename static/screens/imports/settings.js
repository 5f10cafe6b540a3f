// The wizard's settings step: what was detected (format, encoding, delimiter, header row, the
// sheet of a workbook), each editable, and a preview of the first rows. A change is a `PATCH`
// (the stored file is read again) and the preview follows; a 422 stands beside its setting.

import { html, el, mount } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { announce } from "../../ui/shell.js";
import { clearFieldErrors, showFieldErrors } from "../../ui/forms.js";
import { frame, patchImport, problemText } from "./index.js";

const ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1251", "koi8-r"];
const DELIMITERS = [",", ";", "\t", "|"];
const DELIMITER_NAMES = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "bar" };

/** A `<select>` of `values` with `current` chosen (kept as an option when not among them). */
function choice(id, values, current, text) {
  const all = current && !values.includes(current) ? [current, ...values] : values;
  return el`<select id=${id} name=${id.slice(2)} aria-describedby=${`${id}-error`}>
    ${all.map((v) => html`<option value=${v} ?selected=${v === current}>${text(v)}</option>`)}
  </select>`;
}

function field(id, labelText, control) {
  return html`<div class="field"><label for=${id}>${labelText}</label>${control}
    <p class="field-error" id=${`${id}-error`} hidden></p></div>`;
}

/** The first rows under the columns, in a region that scrolls sideways on its own. */
export function previewTable(imp, caption) {
  const rows = imp.preview || [];
  return html`<div class="report-scroll" tabindex="0" role="region" aria-label=${caption}>
    <table class="report-table preview-table">
      <caption class="visually-hidden">${caption}</caption>
      <thead><tr>${(imp.columns || []).map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
    </table>
  </div>`;
}

export default function settingsStep({ navigate }, first) {
  let imp = first;
  const format = (imp.format || "").toLowerCase();
  const status = el`<p class="notice error" role="alert" hidden></p>`;
  const preview = el`<div class="preview"></div>`;
  const caption = t("imports.preview");
  const drawPreview = () => {
    mount(preview, html`<h2>${caption}</h2>
      <p class="muted">${t("imports.preview_note", { shown: (imp.preview || []).length, count: imp.rows ?? 0 })}</p>
      ${previewTable(imp, caption)}`);
  };

  const controls = [];
  if (format !== "xlsx") {
    controls.push(field("f-encoding", t("imports.encoding"), choice("f-encoding", ENCODINGS, imp.encoding, (v) => v.toUpperCase())));
  }
  if (format === "csv") {
    const names = (d) => (DELIMITER_NAMES[d] ? t(`imports.delimiter.${DELIMITER_NAMES[d]}`) : d);
    controls.push(field("f-delimiter", t("imports.delimiter"), choice("f-delimiter", DELIMITERS, imp.delimiter, names)));
  }
  if (format === "xlsx" && (imp.sheets || []).length) {
    controls.push(field("f-sheet", t("imports.sheet"), choice("f-sheet", imp.sheets, imp.sheet, (v) => v)));
  }
  if (format !== "vcard") {
    controls.push(html`<div class="field check"><input type="checkbox" id="f-header" name="header" .checked=${Boolean(imp.header)}
      aria-describedby="f-header-error"><label for="f-header">${t("imports.header")}</label>
      <p class="field-error" id="f-header-error" hidden></p></div>`);
  }

  const form = el`<form class="import-settings" @submit=${(e) => e.preventDefault()}>
    <p class="field"><span>${t("imports.format")}</span><strong>${label(format)}</strong></p>
    ${controls}
  </form>`;

  form.addEventListener("change", async (event) => {
    const control = event.target;
    const name = control.name;
    const value = control.type === "checkbox" ? control.checked : control.value;
    clearFieldErrors(form);
    status.hidden = true;
    preview.setAttribute("aria-busy", "true");
    try {
      imp = await patchImport(imp, { [name]: value });
      drawPreview();
      announce(t("imports.reread", { count: imp.rows ?? 0 }));
    } catch (error) {
      const unplaced = showFieldErrors(form, error);
      if (unplaced === null || unplaced.length) {
        status.textContent = problemText(error);
        status.hidden = false;
      }
    } finally {
      preview.removeAttribute("aria-busy");
    }
  });
  drawPreview();

  return frame(imp, "settings", html`${form}${status}${preview}
    <div class="actions"><button type="button" @click=${() => navigate(`/imports/${imp.id}?step=mapping`)}>${t("imports.next")}</button></div>`);
}

function label(format) {
  return { csv: "CSV", xlsx: "Excel (XLSX)", vcard: "vCard" }[format] || format;
}
