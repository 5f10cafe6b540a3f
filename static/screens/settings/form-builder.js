// The web form builder: one page-form over a form's whole definition (core's
// `intake::form`), in sections: the form itself (name, active, what it creates and where),
// its fields, who gets the submissions, what the visitor sees, and protection. Creating
// POSTs the whole definition; saving PATCHes what changed with If-Match. The API's field
// errors go beside their controls (`f-<path>`), a 412 says the form changed meanwhile.

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { clearFieldErrors } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { fieldRow, readValue, showFailure } from "./kit.js";
import { fieldsEditor, targetsOf } from "./form-fields.js";

/** A new form's definition: the API's defaults, with the creator responsible. */
export function blankForm(me) {
  return {
    name: "", active: true, fields: [], creates: "lead", pipeline_id: null, stage: null, responsible_ids: [me.id],
    source: "WEBFORM", source_description: null, consent: null, success_message: null, redirect_url: null,
    allowed_origins: [], duplicates: "attach", notify_minutes: null, ip_limit_per_minute: 20, form_limit_per_minute: 600,
  };
}

/** The controls of each section but the fields, as kit fields (`label` and `hint` from the key). */
function sections(refs) {
  const f = (name, kind, extra = {}) => ({ name, kind, label: t(`forms.${name}`), ...extra });
  const choice = (name, values) => values.map((v) => ({ value: v, label: t(`forms.${name}.${v}`) }));
  return {
    general: [
      f("name", "text", { required: true, hint: t("forms.name_hint") }),
      f("active", "checkbox"),
      f("creates", "select", { required: true, options: choice("creates", ["lead", "contact_deal"]) }),
    ],
    deal: [
      f("pipeline_id", "select", { numeric: true, required: true, options: refs.pipelines.map((p) => ({ value: p.id, label: loc(p.name) })) }),
      f("stage", "select", { options: [] }),
    ],
    routing: [
      f("responsible_ids", "checks", { numeric: true, hint: t("forms.responsible_ids_hint"), options: refs.users.map((u) => ({ value: u.id, label: u.name })) }),
      f("source", "select", { required: true, options: refs.sources.map((s) => ({ value: s.code, label: loc(s.name) })) }),
      f("source_description", "text", { hint: t("forms.source_description_hint") }),
      f("duplicates", "select", { required: true, options: choice("duplicates", ["attach", "repeat"]) }),
      f("notify_minutes", "number", { hint: t("forms.notify_minutes_hint") }),
    ],
    visitor: [
      f("consent", "textarea", { hint: t("forms.consent_hint") }),
      f("consent.required", "checkbox"),
      f("success_message", "textarea", { hint: t("forms.success_message_hint") }),
      f("redirect_url", "text", { hint: t("forms.redirect_url_hint") }),
    ],
    protection: [
      f("allowed_origins", "lines", { hint: t("forms.allowed_origins_hint") }),
      f("ip_limit_per_minute", "number", { required: true, hint: t("forms.limit_hint") }),
      f("form_limit_per_minute", "number", { required: true, hint: t("forms.limit_hint") }),
    ],
  };
}

/** A definition's value for a control (the consent object is two controls). */
function valueFor(item, name, refs) {
  if (name === "pipeline_id") return item.pipeline_id ?? refs.pipelines.find((p) => p.is_default)?.id;
  if (name === "consent") return item.consent?.text;
  if (name === "consent.required") return item.consent?.required ?? true;
  return item[name];
}

/** JSON with object keys sorted, to compare definitions whatever their key order. */
function canonical(value) {
  return JSON.stringify(value ?? null, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/**
 * The builder over `item` (a form record, or `blankForm()` to create one) with `refs` from
 * the section (users, sources, pipelines, entity fields); `onSaved(record)` runs after each
 * successful save. Returns the form element.
 */
export function builder(item, refs, onSaved) {
  let current = item;
  const parts = sections(refs);
  const targets = (creates) => targetsOf(refs.fields[creates === "contact_deal" ? "contact" : "lead"]);
  const editor = fieldsEditor(item.fields, targets(item.creates));
  const rows = (list) => list.map((field) => fieldRow(field, valueFor(item, field.name, refs)));
  const section = (key, ...content) => html`<fieldset class="form-section"><legend>${t(`forms.section.${key}`)}</legend>${content}</fieldset>`;
  const dealBox = el`<div class="form-deal">${rows(parts.deal)}</div>`;
  const alert = el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
  const form = el`<form class="form-builder" novalidate>
    ${section("general", rows(parts.general), dealBox)}
    ${section("fields", editor.element)}
    ${section("routing", rows(parts.routing))}
    ${section("visitor", rows(parts.visitor))}
    ${section("protection", rows(parts.protection))}
    ${alert}
    <div class="actions"><button type="submit">${item.id ? t("save") : t("forms.create")}</button></div>
  </form>`;
  const control = (name) => form.querySelector(`[id="f-${CSS.escape(name)}"]`);

  // The deal's pipeline and stage matter only when the form creates a contact and a deal.
  const stages = () => {
    const pipeline = refs.pipelines.find((p) => p.id === Number(control("pipeline_id").value));
    const chosen = control("stage").value || current.stage;
    control("stage").replaceChildren(html`<option value="">${t("forms.stage_first")}</option>
      ${(pipeline?.stages || []).map((s) => html`<option value=${s.code} ?selected=${s.code === chosen}>${loc(s.name)}</option>`)}`);
  };
  const onCreates = () => {
    dealBox.hidden = control("creates").value !== "contact_deal";
    editor.setTargets(targets(control("creates").value));
  };
  control("pipeline_id").addEventListener("change", stages);
  control("creates").addEventListener("change", onCreates);
  stages();
  dealBox.hidden = item.creates !== "contact_deal";

  /** The whole definition as the form holds it. */
  const read = () => {
    const value = (field) => readValue(form, field);
    const all = [...parts.general, ...parts.deal, ...parts.routing, ...parts.visitor, ...parts.protection];
    const def = Object.fromEntries(all.map((field) => [field.name, value(field)]));
    const consent = def.consent ? { text: def.consent, required: def["consent.required"] } : null;
    delete def["consent.required"];
    const deal = def.creates === "contact_deal";
    return { ...def, name: def.name ?? "", consent, fields: editor.read(), pipeline_id: deal ? def.pipeline_id : null, stage: deal ? def.stage : null };
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    alert.hidden = true;
    const def = read();
    const body = current.id ? Object.fromEntries(Object.entries(def).filter(([key, v]) => canonical(v) !== canonical(current[key]))) : def;
    if (current.id && !Object.keys(body).length) return announce(t("forms.unchanged"));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      current = current.id
        ? await api(`/api/forms/${current.id}`, { method: "PATCH", body, ifMatch: current.version })
        : await api("/api/forms", { method: "POST", body });
      announce(t("settings.saved"));
      onSaved(current);
    } catch (error) {
      if (error.stale) {
        alert.textContent = t("forms.stale");
        alert.hidden = false;
        alert.focus();
      } else {
        // An origin's error names its line by the origin itself.
        for (const [path, message] of Object.entries(error.fields || {})) {
          const line = /^allowed_origins\[(\d+)\]$/.exec(path);
          if (line) error.fields[path] = `${def.allowed_origins[Number(line[1])]}: ${message}`;
        }
        showFailure(form, alert, error);
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
