// The record card, generic over `/fields`: view, create, and edit in place with the API's
// messages beside each field; saves send only what changed with `If-Match: "<version>"`, and a
// 412 shows what changed meanwhile, offering the newer values. Below, the timeline
// (`GET /api/<entity>/<id>/timeline`) with a comment box (`POST /api/timeline`).

import { api, ApiError } from "../api.js";
import { html, el, mount } from "../ui/html.js";
import { t, formatDateTime } from "../i18n/i18n.js";
import { ENTITIES, fieldsOf, lookupsFor, can, titleOf, resourceOf } from "../ui/reference.js";
import { fieldLabel, valueOf, display, input, inputHint, readInput, sameValue, editable, isEmpty, userName } from "../ui/fields.js";
import { announce } from "../ui/shell.js";
import { errorMessage, showFieldErrors, clearFieldErrors } from "../ui/forms.js";
import { confirmDialog } from "../ui/dialog.js";
import { recordPicker } from "../ui/picker.js";
import { relatedPanels, lineItems, activitiesPanel, convertLead, findDuplicates, duplicatesNotice, storeOrderPanel } from "./record-extras.js";

function setValue(body, field, value) {
  if (field.custom) {
    body.custom = body.custom || {};
    body.custom[field.name] = value;
  } else {
    body[field.name] = value;
  }
}

export async function recordScreen({ params: [resource, idText], me, navigate }) {
  const { entity, perm } = ENTITIES[resource];
  const creating = idText === "new";
  const [meta, loaded] = await Promise.all([
    fieldsOf(resource),
    creating ? Promise.resolve(null) : api(`/api/${resource}/${idText}`),
  ]);
  const lookups = await lookupsFor(meta.fields, me);
  const fields = meta.fields;
  let record = loaded;

  const card = el`<div class="card"></div>`;
  const heading = el`<h1>${creating ? t(`new.${resource}`) : titleOf(resource, record)}</h1>`;
  const actions = el`<div class="actions"></div>`;
  const conflictBox = el`<div class="conflict" hidden></div>`;

  function viewMode() {
    heading.textContent = titleOf(resource, record);
    const shown = fields.filter((f) => !isEmpty(valueOf(record, f)));
    mount(
      card,
      html`<dl class="fields">
        ${shown.map((f) => html`<div class="field-row" data-field=${f.path}>
          <dt>${fieldLabel(f)}</dt><dd>${display(f, valueOf(record, f), record, lookups)}</dd>
        </div>`)}
        <div class="field-row"><dt>${t("meta.updated_at")}</dt><dd>${formatDateTime(record.updated_at)}</dd></div>
      </dl>`,
    );
    mount(
      actions,
      html`${can(me, perm, "update") ? html`<button type="button" @click=${() => editMode()}>${t("edit")}</button>` : null}
        ${resource === "leads" && record.status !== "CONVERTED" && can(me, perm, "update") && can(me, "deal", "add")
          ? html`<button type="button" @click=${() => convertLead(record, navigate)}>${t("convert.action")}</button>`
          : null}
        ${can(me, perm, "delete") ? html`<button type="button" class="danger" @click=${remove}>${t("delete")}</button>` : null}`,
    );
  }

  function formFor(base, isNew) {
    const editables = fields.filter((f) => editable(f, isNew));
    const alert = el`<p class="notice error" role="alert" hidden></p>`;
    const pickers = new Map();
    const form = el`<form class="fields-form" novalidate>
      ${editables.map((f) => {
        const target = f.type === "record" && resourceOf(f.record_entity);
        if (target && can(me, ENTITIES[target].perm, "read")) {
          const current = valueOf(base, f);
          const ids = Array.isArray(current) ? current : isEmpty(current) ? [] : [current];
          const picker = recordPicker(target, fieldLabel(f), { multiple: f.multiple, chosen: ids.map((id) => ({ id })), id: `f-${f.path}` });
          pickers.set(f.path, picker);
          return html`<div class="field" data-field=${f.path}>${picker}<p class="field-error" id=${`f-${f.path}-error`} hidden></p></div>`;
        }
        const control = input(f, valueOf(base, f), base, lookups);
        const hint = inputHint(f);
        const check = control.type === "checkbox";
        return html`<div class=${check ? "field check" : "field"} data-field=${f.path}>
          ${check ? control : null}
          <label for=${`f-${f.path}`}>${fieldLabel(f)}${f.required ? html`<span aria-hidden="true"> *</span>` : null}</label>
          ${check ? null : control}
          ${hint ? html`<p class="hint" id=${`f-${f.path}-hint`}>${hint}</p>` : null}
          <p class="field-error" id=${`f-${f.path}-error`} hidden></p>
        </div>`;
      })}
      ${alert}
      <div class="actions">
        <button type="submit">${t("save")}</button>
        <button type="button" class="secondary" data-cancel>${t("cancel")}</button>
      </div>
    </form>`;
    form.alert = alert;
    form.read = (original) => {
      const body = {};
      for (const f of editables) {
        const control = form.querySelector(`[id="f-${CSS.escape(f.path)}"]`);
        const before = valueOf(original, f);
        const picker = pickers.get(f.path);
        const value = picker ? picker.value : readInput(f, control, before);
        if (isNew ? !isEmpty(value) : !sameValue(value, before)) setValue(body, f, value);
      }
      return body;
    };
    form.fail = (error) => {
      const unplaced = showFieldErrors(form, error);
      if (!unplaced || unplaced.length) {
        alert.textContent = unplaced?.length ? unplaced.join("; ") : errorMessage(error);
        alert.hidden = false;
      }
    };
    return form;
  }

  function editMode() {
    conflictBox.hidden = true;
    const form = formFor(record, false);
    form.querySelector("[data-cancel]").addEventListener("click", () => viewMode());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      form.alert.hidden = true;
      const patch = form.read(record);
      if (!Object.keys(patch).length) {
        viewMode();
        return;
      }
      await save(patch, record.version, form);
    });
    mount(card, form);
    mount(actions);
    form.querySelector("input, select, textarea")?.focus();
  }

  async function save(patch, version, form) {
    try {
      record = await api(`/api/${resource}/${record.id}`, { method: "PATCH", body: patch, ifMatch: version });
      viewMode();
      conflictBox.hidden = true;
      announce(t("record.saved"));
      heading.focus();
    } catch (error) {
      if (error instanceof ApiError && error.stale) await conflict(patch, form);
      else form.fail(error);
    }
  }

  /** 412: someone saved first. Show their values beside mine; keep mine or take theirs. */
  async function conflict(patch, form) {
    let latest;
    try {
      latest = await api(`/api/${resource}/${record.id}`);
    } catch (error) {
      form.fail(error);
      return;
    }
    const changed = fields.filter(
      (f) => !sameValue(valueOf(latest, f), valueOf(record, f)) || (f.custom ? patch.custom && f.name in patch.custom : f.name in patch),
    );
    mount(
      conflictBox,
      html`<div class="notice warn" role="alert">
        <h2>${t("conflict.title")}</h2>
        <p>${t("conflict.text")}</p>
        <table class="compare">
          <thead><tr><th scope="col">${t("conflict.field")}</th><th scope="col">${t("conflict.theirs")}</th><th scope="col">${t("conflict.mine")}</th></tr></thead>
          <tbody>${changed.map((f) => {
            const mine = f.custom ? patch.custom?.[f.name] : patch[f.name];
            const touched = f.custom ? Boolean(patch.custom) && f.name in patch.custom : f.name in patch;
            const mineShown = touched ? showPatched(f, mine, latest, lookups) : t("conflict.unchanged");
            return html`<tr><th scope="row">${fieldLabel(f)}</th><td>${display(f, valueOf(latest, f), latest, lookups) || "—"}</td><td>${mineShown}</td></tr>`;
          })}</tbody>
        </table>
        <div class="actions">
          <button type="button" @click=${() => {
            record = latest;
            save(patch, latest.version, form);
          }}>${t("conflict.keep_mine")}</button>
          <button type="button" class="secondary" @click=${() => {
            record = latest;
            conflictBox.hidden = true;
            viewMode();
            announce(t("conflict.took_theirs"));
          }}>${t("conflict.take_theirs")}</button>
        </div>
      </div>`,
    );
    conflictBox.hidden = false;
    conflictBox.querySelector("button").focus();
  }

  async function remove() {
    if (!(await confirmDialog(t("record.confirm_delete", { title: titleOf(resource, record) }), t("delete")))) return;
    try {
      await api(`/api/${resource}/${record.id}`, { method: "DELETE", ifMatch: record.version });
      sessionStorage.setItem("crm.flash", t("record.deleted"));
      navigate(`/${resource}`, { replace: true });
    } catch (error) {
      announce(errorMessage(error));
      mount(conflictBox, html`<p class="notice error" role="alert">${errorMessage(error)}</p>`);
      conflictBox.hidden = false;
    }
  }

  if (creating) {
    const form = formFor(null, true);
    form.querySelector("[data-cancel]").addEventListener("click", () => navigate(`/${resource}`));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      form.alert.hidden = true;
      try {
        const created = await api(`/api/${resource}`, { method: "POST", body: form.read(null) });
        sessionStorage.setItem("crm.flash", t("record.created"));
        const dups = await findDuplicates(resource, created);
        if (dups.length) sessionStorage.setItem("crm.dups", JSON.stringify({ key: `${resource}/${created.id}`, dups }));
        navigate(`/${resource}/${created.id}`, { replace: true });
      } catch (error) {
        form.fail(error);
      }
    });
    mount(card, form);
    return html`<section class="screen record">
      <p class="crumbs"><a href=${`/${resource}`}>${t(`nav.${resource}`)}</a></p>
      ${heading}${card}
    </section>`;
  }

  viewMode();
  const history = timeline(resource, entity, record, fields, lookups);
  /** After line items or activities change: the record's amount and the timeline follow. */
  async function changed() {
    try {
      record = await api(`/api/${resource}/${record.id}`);
      if (card.querySelector("dl")) viewMode();
    } catch {
      /* keep what is shown */
    }
    history.reload();
  }
  const extras = [
    ...(resource === "deals" ? [storeOrderPanel(record)] : []),
    ...(resource === "deals" || resource === "leads" ? [lineItems(resource, record, me, changed)] : []),
    ...(["leads", "contacts", "companies", "deals"].includes(resource) && can(me, "activity", "read")
      ? [activitiesPanel(entity, record, me, changed)]
      : []),
    ...relatedPanels(resource, record, me),
  ];
  const flash = sessionStorage.getItem("crm.flash");
  if (flash) sessionStorage.removeItem("crm.flash");
  let dups = [];
  try {
    const stashed = JSON.parse(sessionStorage.getItem("crm.dups") || "null");
    if (stashed && stashed.key === `${resource}/${record.id}`) dups = stashed.dups;
  } catch {
    /* nothing stashed */
  }
  sessionStorage.removeItem("crm.dups");
  return html`<section class="screen record">
    <p class="crumbs"><a href=${`/${resource}`}>${t(`nav.${resource}`)}</a></p>
    <div class="titlebar">${heading}${actions}</div>
    ${flash ? html`<p class="notice ok" role="status">${flash}</p>` : null}
    ${conflictBox}
    ${duplicatesNotice(resource, record, dups, navigate)}
    <div class="record-grid">
      <div class="stack">${card}${extras}</div>
      ${history}
    </div>
  </section>`;
}

/** A value as the form sent it (list items may be plain strings) for reading. */
function showPatched(field, value, record, lookups) {
  if (isEmpty(value)) return "—";
  if (Array.isArray(value) && ["phones", "emails", "websites", "messengers"].includes(field.type)) {
    return value.map((v) => (typeof v === "string" ? v : v.value)).join(", ");
  }
  return display(field, value, record, lookups) || "—";
}

function timeline(resource, entity, record, fields, lookups) {
  const list = el`<ol class="timeline" aria-labelledby="timeline-title"></ol>`;
  const more = el`<button type="button" class="secondary" hidden>${t("list.more")}</button>`;
  const status = el`<p class="muted" role="status" aria-live="polite"></p>`;
  let cursor = null;
  const byName = new Map(fields.map((f) => [f.path, f]));

  function describeChange(change) {
    const field = byName.get(change.field) || byName.get(`custom.${change.field}`);
    const label = field ? fieldLabel(field) : change.field;
    const show = (v) => (field ? display(field, v, record, lookups) : isEmpty(v) ? "" : JSON.stringify(v)) || "—";
    return html`<li>${label}: ${show(change.old)} → ${show(change.new)}</li>`;
  }

  function entry(item) {
    const p = item.payload || {};
    let body;
    if (item.kind === "comment") body = html`<p class="comment">${p.text}</p>`;
    else if (item.kind === "updated") body = html`<ul class="changes">${(p.changes || []).map(describeChange)}</ul>`;
    else if (item.kind === "activity") body = html`<p>${p.subject} · ${t(`timeline.event.${p.event}`)}</p>`;
    else body = p.title ? html`<p>${p.title}</p>` : null;
    return html`<li class=${`entry kind-${item.kind}`}>
      <p class="meta"><strong>${t(`timeline.${item.kind}`)}</strong> · ${userName(lookups, item.actor_id)} ·
        <time datetime=${item.at}>${formatDateTime(item.at)}</time></p>
      ${body}
    </li>`;
  }

  async function load() {
    more.disabled = true;
    try {
      const page = await api(`/api/${resource}/${record.id}/timeline`, { query: { limit: 20, ...(cursor ? { cursor } : {}) } });
      for (const item of page.items) list.append(entry(item));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) status.textContent = t("timeline.empty");
    } catch (error) {
      status.textContent = errorMessage(error);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  load();

  const error = el`<p class="field-error" id="f-text-error" hidden></p>`;
  async function comment(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const text = form.text.value.trim();
    if (!text) return;
    error.hidden = true;
    try {
      const created = await api("/api/timeline", { method: "POST", body: { entity, record_id: record.id, text } });
      list.prepend(entry(created));
      status.textContent = "";
      form.reset();
      announce(t("timeline.comment_added"));
    } catch (err) {
      error.textContent = err.fields?.text || errorMessage(err);
      error.hidden = false;
    }
  }

  const section = el`<section class="panel timeline-panel" aria-labelledby="timeline-title">
    <h2 id="timeline-title">${t("timeline.title")}</h2>
    <form class="stack" @submit=${comment}>
      <label for="f-text">${t("timeline.comment")}</label>
      <textarea id="f-text" name="text" rows="2" required aria-describedby="f-text-error"></textarea>
      ${error}
      <div class="actions"><button type="submit">${t("timeline.add_comment")}</button></div>
    </form>
    ${status}
    ${list}
    ${more}
  </section>`;
  section.reload = () => {
    cursor = null;
    mount(list);
    load();
  };
  return section;
}
