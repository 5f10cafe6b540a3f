// The fields of a web form in the builder: one group per field (its label in both languages,
// the name it posts, input type, required, the CRM field it fills and a select's choices),
// added, removed and reordered by buttons. Controls are named `fields[<i>].<part>`, so the
// API's errors (`fields[2].target`) land beside the field that caused them.

import { html, el, mount } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import enForms from "../../i18n/en/forms.js";
import ruForms from "../../i18n/ru/forms.js";
import { fieldRow, readValue } from "./kit.js";

/** Input types of the hosted page (crates/core intake::form::FIELD_TYPES). */
const TYPES = ["text", "email", "tel", "textarea", "number", "date", "checkbox", "select", "hidden"];
/** CRM fields every form may fill beside the entity's own: the intake's special targets. */
const SPECIAL = ["name", "email", "phone", "website"];
/** Entity fields a form does not fill: lists (the special targets fill them), links, the form's own. */
const SKIPPED_TYPES = ["phones", "emails", "websites", "messengers", "address", "user", "record", "currency"];
const SKIPPED_NAMES = ["status", "source", "source_description", "opened", "stage", "pipeline_id"];
/** What "Add field" offers first, in order. */
const USUAL = ["name", "phone", "email", "comments"];

/**
 * The CRM fields of `defs` (a `/fields` list) a form field may fill, as
 * `{value, label: {en, ru}, type}`: the special targets first, then the entity's and custom fields.
 */
export function targetsOf(defs) {
  const special = SPECIAL.map((value) => ({
    value,
    label: { en: enForms[`forms.target.${value}`], ru: ruForms[`forms.target.${value}`] },
    type: value === "email" ? "email" : value === "phone" ? "tel" : "text",
  }));
  const own = defs
    .filter((f) => !SKIPPED_TYPES.includes(f.type) && !SKIPPED_NAMES.includes(f.name) && f.writable !== "never")
    .map((f) => ({ value: f.custom ? `custom.${f.name}` : f.name, label: f.label, type: inputType(f.type) }));
  return [...special, ...own];
}

function inputType(fieldType) {
  return { text: "textarea", date: "date", decimal: "number", integer: "number", boolean: "checkbox" }[fieldType] || "text";
}

/** What a new field mapped to `target` starts with: its posted name, type and labels. */
function suggestion(target, targets) {
  const found = targets.find((x) => x.value === target);
  const name = target.replace(/^custom\./, "");
  return { name, type: found?.type || "text", label: { en: found?.label.en || name, ru: found?.label.ru || "" } };
}

/**
 * The fields editor over `initial` (a form's `fields`), mapping to `targets`. Returns
 * `{element, read(), setTargets(list)}`: `read()` gives the fields as the API takes them.
 */
export function fieldsEditor(initial, targets) {
  let rows = initial.map((f) => ({ ...f, label: { ...f.label } }));
  const list = el`<ol class="form-fields"></ol>`;
  const empty = el`<p class="muted">${t("forms.fields_empty")}</p>`;
  const add = el`<button type="button" class="secondary" @click=${() => {
    rows = read();
    const used = new Set(rows.map((r) => r.target));
    const target = [...USUAL, ...targets.map((x) => x.value)].find((v) => !used.has(v) && targets.some((x) => x.value === v)) || "name";
    const s = suggestion(target, targets);
    rows.push({ name: s.name, target, label: s.label, required: false, type: s.type });
    draw();
    list.lastElementChild.querySelector("input")?.focus();
  }}>${t("forms.field.add")}</button>`;
  const element = el`<div class="fields-editor">${list}${empty}
    <p class="field-error" id="f-fields-error" hidden></p>
    <div class="actions">${add}</div>
  </div>`;

  function draw() {
    mount(list, rows.map((row, i) => fieldGroup(row, i)));
    empty.hidden = rows.length > 0;
  }

  /** Moves field `i` by `step` (-1 up, +1 down) and keeps the focus on the moved field. */
  function move(i, step) {
    rows = read();
    const [row] = rows.splice(i, 1);
    rows.splice(i + step, 0, row);
    draw();
    const buttons = list.children[i + step].querySelectorAll(".field-tools button");
    (buttons[step < 0 ? 0 : 1].disabled ? buttons[step < 0 ? 1 : 0] : buttons[step < 0 ? 0 : 1]).focus();
  }

  function remove(i) {
    rows = read();
    rows.splice(i, 1);
    draw();
    const next = (list.children[i] || list.children[i - 1])?.querySelector(".field-tools button:not(:disabled)");
    (next || add).focus();
  }

  function fieldGroup(row, i) {
    const at = (part) => `fields[${i}].${part}`;
    const n = i + 1;
    const options = (value) => {
      const known = targets.map((x) => ({ value: x.value, label: loc(x.label) }));
      return known.some((o) => o.value === value) ? known : [...known, { value, label: value }];
    };
    const choices = fieldRow({ name: at("options"), label: t("forms.field.options"), kind: "lines" }, row.options);
    choices.hidden = row.type !== "select";
    const group = el`<li><fieldset class="form-field">
      <legend>${t("forms.field.legend", { n })}</legend>
      ${fieldRow({ name: at("label"), label: t("forms.field.label"), kind: "names" }, row.label)}
      ${fieldRow({ name: at("target"), label: t("forms.field.target"), kind: "select", required: true, options: options(row.target) }, row.target)}
      ${fieldRow({ name: at("name"), label: t("forms.field.name"), required: true }, row.name)}
      ${fieldRow({ name: at("type"), label: t("forms.field.type"), kind: "select", required: true, options: TYPES.map((v) => ({ value: v, label: t(`forms.type.${v}`) })) }, row.type)}
      ${fieldRow({ name: at("required"), label: t("forms.field.required"), kind: "checkbox" }, row.required)}
      ${choices}
      <div class="actions field-tools">
        <button type="button" class="secondary" ?disabled=${i === 0} aria-label=${t("forms.field.up", { n })} @click=${() => move(i, -1)}>${t("forms.field.up_text")}</button>
        <button type="button" class="secondary" ?disabled=${i === rows.length - 1} aria-label=${t("forms.field.down", { n })} @click=${() => move(i, 1)}>${t("forms.field.down_text")}</button>
        <button type="button" class="secondary" aria-label=${t("forms.field.remove", { n })} @click=${() => remove(i)}>${t("forms.field.remove_text")}</button>
      </div>
    </fieldset></li>`;
    const control = (part) => group.querySelector(`[id="f-${CSS.escape(at(part))}"]`);
    control("type").addEventListener("change", (event) => (choices.hidden = event.target.value !== "select"));
    // A new mapping brings its own name, type and labels, unless they were changed by hand.
    let before = row.target;
    control("target").addEventListener("change", (event) => {
      const [was, now] = [suggestion(before, targets), suggestion(event.target.value, targets)];
      for (const part of ["name", "type", "label.en", "label.ru"]) {
        const input = control(part);
        const [old, next] = part.startsWith("label.") ? [was.label[part.slice(6)], now.label[part.slice(6)]] : [was[part], now[part]];
        if (input.value === old || input.value === "") input.value = next;
      }
      choices.hidden = control("type").value !== "select";
      before = event.target.value;
    });
    return group;
  }

  /** The fields as the form holds them now. */
  function read() {
    return rows.map((_, i) => {
      const value = (part, kind) => readValue(element, { name: `fields[${i}].${part}`, kind });
      const type = value("type", "select");
      const field = { name: value("name") ?? "", target: value("target", "select"), label: value("label", "names"), required: value("required", "checkbox"), type };
      if (type === "select") field.options = value("options", "lines");
      return field;
    });
  }

  draw();
  return {
    element,
    read,
    setTargets(next) {
      rows = read();
      targets = next;
      draw();
    },
  };
}
