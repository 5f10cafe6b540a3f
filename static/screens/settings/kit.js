// The settings screens' kit, the UI side of core's resource kit: a settings resource is a
// table of its items plus a dialog that edits one, both declared as data.
//
//   const FIELDS = [{ name: "name", label: t("settings.name"), required: true }, ...];
//   table(items, [{ label, value: (item) => text, head: true }], { onEdit })
//   await editDialog(t("..."), FIELDS, item, (body) => api(...))
//
// A field is `{name, label, kind?, required?, readonly?, hint?, options?, multiple?, create?}`;
// kinds: text (default), email, password, number, color, textarea, checkbox, select (options
// `[{value, label}]`, `multiple` for a list of values), checks (the same options as a group of
// checkboxes, read as a list), names (an `{en, ru}` pair), lines (one value per line, read as a
// list) and custom (`render(value) => Node` draws the field with its own labels and
// `f-<path>-error` places, `read(form) => value` reads it back: a permission matrix, say). A
// field with `create: true` is shown only when creating. The form sends only what changed (all
// of it when creating); the API's field errors go beside their fields, a 412 says the item
// changed meanwhile, anything else shows above the buttons.

import { ApiError, api } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { errorMessage, clearFieldErrors, showFieldErrors } from "../../ui/forms.js";
import { openDialog, confirmDialog } from "../../ui/dialog.js";
import { announce } from "../../ui/shell.js";

/** A section's page: its heading, the actions beside it, then the content. */
export function page(title, actions, ...content) {
  return html`<section class="settings-page">
    <div class="screen-head"><h1>${title}</h1>${actions ? html`<div class="actions">${actions}</div>` : null}</div>
    ${content}
  </section>`;
}

/**
 * Items as a table. A column is `{label, value: (item) => text | Node, head?}` (the `head` column
 * is the row's header); `onEdit(item)` adds an Edit button to each row, labelled with the
 * row's header text so each button has a name of its own.
 */
export function table(items, columns, { onEdit, empty = t("settings.empty"), caption } = {}) {
  if (!items.length) return el`<p class="muted">${empty}</p>`;
  const headOf = (item) => {
    const column = columns.find((c) => c.head) || columns[0];
    const value = column.value(item);
    return value instanceof Node ? value.textContent : String(value ?? "");
  };
  return el`<div class="table-wrap"><table class="records">
    ${caption ? html`<caption class="visually-hidden">${caption}</caption>` : null}
    <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}${onEdit ? html`<th scope="col"><span class="visually-hidden">${t("edit")}</span></th>` : null}</tr></thead>
    <tbody>${items.map((item) => html`<tr>
      ${columns.map((c) => (c.head ? html`<th scope="row">${c.value(item)}</th>` : html`<td data-label=${c.label}>${c.value(item)}</td>`))}
      ${onEdit ? html`<td><button type="button" class="secondary" aria-label=${t("settings.edit_item", { name: headOf(item) })} @click=${() => onEdit(item)}>${t("edit")}</button></td>` : null}
    </tr>`)}</tbody>
  </table></div>`;
}

const id = (name) => `f-${name}`;

function control(field, value) {
  const common = { id: id(field.name), name: field.name };
  // The hint and the error (empty until the API refuses the value) describe the control.
  const described = `${field.hint ? `${common.id}-hint ` : ""}${common.id}-error`;
  switch (field.kind) {
    case "checkbox":
      return el`<input type="checkbox" id=${common.id} name=${field.name} .checked=${Boolean(value)} aria-describedby=${described}>`;
    case "textarea":
      return el`<textarea id=${common.id} name=${field.name} rows="4" aria-describedby=${described}>${value ?? ""}</textarea>`;
    case "lines":
      return el`<textarea id=${common.id} name=${field.name} rows="3" aria-describedby=${described}>${(value || []).join("\n")}</textarea>`;
    case "select": {
      const chosen = new Set((field.multiple ? value || [] : [value]).map((v) => String(v ?? "")));
      return el`<select id=${common.id} name=${field.name} ?multiple=${field.multiple} ?required=${field.required} aria-describedby=${described}>
        ${field.multiple || field.required ? null : html`<option value="">${t("none_option")}</option>`}
        ${field.options.map((o) => html`<option value=${o.value} ?selected=${chosen.has(String(o.value))}>${o.label}</option>`)}
      </select>`;
    }
    case "checks": {
      const chosen = new Set((value || []).map(String));
      return el`<fieldset class="checks" id=${common.id} tabindex="-1" aria-describedby=${described}>
        <legend>${field.label}</legend>
        ${field.options.map((o, i) => html`<label class="check"><input type="checkbox" id=${id(`${field.name}.${i}`)} value=${o.value}
          .checked=${chosen.has(String(o.value))}>${o.label}</label>`)}
      </fieldset>`;
    }
    case "names":
      return el`<div class="names" role="group" id=${common.id} aria-label=${field.label}>
        ${["en", "ru"].map((l) => html`<label class="name-part"><span>${t(`settings.lang_${l}`)}</span>
          <input id=${id(`${field.name}.${l}`)} name=${`${field.name}.${l}`} lang=${l} .value=${value?.[l] ?? ""}>
          <span class="field-error" id=${id(`${field.name}.${l}-error`)} hidden></span></label>`)}
      </div>`;
    default: {
      const type = { email: "email", password: "password", number: "number", color: "color" }[field.kind] || "text";
      return el`<input type=${type} id=${common.id} name=${field.name} .value=${value ?? (type === "color" ? "#a8adb4" : "")}
        ?required=${field.required} ?readonly=${field.readonly} autocomplete=${type === "password" ? "new-password" : "off"} aria-describedby=${described}>`;
    }
  }
}

/** One field's row: label, control, hint and the place its error goes. */
export function fieldRow(field, value) {
  if (field.kind === "custom") return field.render(value);
  const input = control(field, value);
  const check = field.kind === "checkbox";
  const mark = field.required ? html`<span aria-hidden="true"> *</span>` : null;
  const label =
    field.kind === "checks" ? null
    : field.kind === "names" ? html`<span class="label">${field.label}${mark}</span>`
    : html`<label for=${id(field.name)}>${field.label}${mark}</label>`;
  return el`<div class=${check ? "field check" : "field"}>
    ${check ? input : null}${label}${check ? null : input}
    ${field.hint ? html`<p class="hint" id=${`${id(field.name)}-hint`}>${field.hint}</p>` : null}
    <p class="field-error" id=${`${id(field.name)}-error`} hidden></p>
  </div>`;
}

/** A field's value as `form` holds it, in API JSON. */
export function readValue(form, field) {
  if (field.kind === "custom") return field.read(form);
  const input = form.querySelector(`[id="${CSS.escape(id(field.name))}"]`);
  switch (field.kind) {
    case "checkbox":
      return input.checked;
    case "number":
      return input.value.trim() === "" ? null : Number(input.value);
    case "lines":
      return input.value.split("\n").map((s) => s.trim()).filter(Boolean);
    case "select": {
      const cast = (v) => (field.numeric ? Number(v) : v);
      if (field.multiple) return [...input.selectedOptions].map((o) => cast(o.value));
      return input.value === "" ? null : cast(input.value);
    }
    case "checks":
      return [...input.querySelectorAll("input:checked")].map((box) => (field.numeric ? Number(box.value) : box.value));
    case "names": {
      const part = (l) => form.querySelector(`[id="${CSS.escape(id(`${field.name}.${l}`))}"]`).value.trim();
      return { en: part("en"), ru: part("ru") };
    }
    default:
      return input.value.trim() === "" ? null : input.value.trim();
  }
}

/** JSON text with object keys sorted, so two equal values read alike whatever their key order. */
function canonical(value) {
  return JSON.stringify(value ?? null, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

const same = (a, b) => canonical(a) === canonical(b);

/**
 * A form of `fields` over `item` (null when creating) that calls `save(body)` on submit and
 * `done(saved)` after it succeeds. Returns the form element. `stale` is what a 412 says (the
 * dialogs' "close and reopen" unless given).
 */
export function editForm(fields, item, save, done, { submitLabel = t("save"), onCancel, stale } = {}) {
  const creating = !item;
  const shown = fields.filter((f) => creating || !f.create);
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const form = el`<form class="fields-form" novalidate>
    ${shown.map((f) => fieldRow(f, item?.[f.name] ?? f.initial))}
    ${alert}
    <div class="actions">
      <button type="submit">${submitLabel}</button>
      ${onCancel ? html`<button type="button" class="secondary" @click=${onCancel}>${t("cancel")}</button>` : null}
    </div>
  </form>`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    alert.hidden = true;
    const body = {};
    for (const f of shown) {
      const value = readValue(form, f);
      if (creating ? value !== null && !(f.kind === "lines" && !value.length) : !same(value, item[f.name])) body[f.name] = value;
    }
    if (!creating && !Object.keys(body).length) {
      done(item);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = await save(body);
      announce(t("settings.saved"));
      done(saved);
    } catch (error) {
      showFailure(form, alert, error, stale);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** The API's refusal on a form: field errors beside their fields, the rest in `alert`. */
export function showFailure(form, alert, error, stale = t("settings.stale")) {
  const unplaced = showFieldErrors(form, error);
  if (unplaced && !unplaced.length) return;
  alert.textContent = error instanceof ApiError && error.stale ? stale : unplaced?.length ? unplaced.join("; ") : errorMessage(error);
  alert.hidden = false;
  if (!form.contains(document.activeElement) || document.activeElement.tagName === "BUTTON") alert.focus?.();
}

/**
 * Edits (or creates, `item` null) in a dialog; resolves with what the API saved, or null.
 * `prepare(form)` runs once the form is in the dialog (to wire fields that depend on others).
 */
export function editDialog(title, fields, item, save, { prepare } = {}) {
  let saved = null;
  let dialog = null;
  const form = editForm(
    fields,
    item,
    save,
    (result) => {
      saved = result;
      dialog.close("saved");
    },
    { onCancel: () => dialog.close("cancel") },
  );
  const closed = openDialog(title, form);
  dialog = form.closest("dialog");
  dialog.classList.add("wide");
  prepare?.(form);
  form.querySelector("input, select, textarea")?.focus();
  return closed.then(() => saved);
}

/**
 * Asks, then runs `action`; a refusal (such as 409 "still in use") is shown in `where` (or
 * announced). Resolves true when the action ran.
 */
export async function confirmThen(question, label, action, where) {
  if (!(await confirmDialog(question, label))) return false;
  const done = await attempt(where, action);
  if (done) announce(t("settings.done"));
  return done;
}

/** Runs `action`; a refusal is shown in `where` (see `refuse`). Resolves true when it ran. */
export async function attempt(where, action) {
  try {
    await action();
    return true;
  } catch (error) {
    refuse(where, error);
    return false;
  }
}

/** Shows why the API refused in `where` (an `alertBox`), or announces it when there is none. */
export function refuse(where, error) {
  const message = errorMessage(error);
  if (!where) return announce(message);
  where.textContent = message;
  where.hidden = false;
  where.focus?.();
}

/** A place for a section's refusals, above its table. */
export function alertBox() {
  return el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
}

/**
 * A read-only copy of `text` (a one-line input, or a text area when `multiline`) labelled
 * `label`, with a Copy button beside it; `controlId` is the control's id.
 */
export function copyField(controlId, label, text, { multiline = false } = {}) {
  const name = t("settings.copy_named", { name: label });
  return el`<div class="field copy-field">
    <label for=${controlId}>${label}</label>
    <div class="copy-row">
      ${multiline
        ? html`<textarea id=${controlId} readonly rows="3" spellcheck="false" .value=${text}></textarea>`
        : html`<input id=${controlId} readonly spellcheck="false" .value=${text}>`}
      ${copyButton(text, t("settings.copy"), name)}
    </div>
  </div>`;
}

/** A button that copies `text` to the clipboard and says so. */
export function copyButton(text, label = t("settings.copy"), ariaLabel = null) {
  return el`<button type="button" class="secondary" aria-label=${ariaLabel} @click=${async (event) => {
    try {
      await navigator.clipboard.writeText(text);
      announce(t("settings.copied"));
    } catch {
      // No clipboard permission: select the text next to the button instead, and say so.
      const field = event.target.previousElementSibling;
      field?.focus?.();
      field?.select?.();
      announce(t("settings.copy_fallback"));
    }
  }}>${label}</button>`;
}

/**
 * A log drawn as a table into `body`, 50 rows a page by cursor, filtered by the `filter`
 * select's status (the order inbox, the webhook delivery log). Returns `load(reset)` (true:
 * from the first page again) and the "more" button to place; a failure shows in `alert`.
 */
export function pagedLog(path, { filter, body, alert, columns, empty, caption }) {
  let items = [];
  let cursor = null;
  const more = el`<button type="button" class="secondary" hidden>${t("list.more")}</button>`;
  async function load(reset) {
    alert.hidden = true;
    try {
      const query = { limit: 50, ...(filter.value ? { "filter[status]": filter.value } : {}), ...(reset ? {} : { cursor }) };
      const page = await api(path, { query });
      items = reset ? page.items : [...items, ...page.items];
      cursor = page.next_cursor;
      more.hidden = !cursor;
      mount(body, table(items, columns, { empty, caption }));
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
    }
  }
  more.addEventListener("click", () => load(false));
  filter.addEventListener("change", () => load(true));
  return { load, more };
}
