// Store orders (`/settings/order-sources`): the sources (one per online store, each with its
// own webhook URL), a new one made in a dialog, and a source's page
// (`/settings/order-sources/<id>`) with its webhook URL to copy, the generated secret right
// after a generic source is made (shown once: it is handed from the create answer to the page
// in memory only, never stored, so a reload no longer has it), setup steps for its kind, Edit
// (a new secret rotates it), Deactivate, the mapping of store statuses to stages and the inbox
// of deliveries (order-inbox.js).

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, loc, formatDateTime } from "../../i18n/i18n.js";
import { dictionary, pipelines } from "../../ui/reference.js";
import { page, table, editDialog, confirmThen, attempt, alertBox, copyField, showFailure } from "./kit.js";
import { clearFieldErrors } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { orderInbox } from "./order-inbox.js";

const KINDS = ["shopify", "woocommerce", "generic"];
const BASE = "/settings/order-sources";

/** The secret of the source just made, from its create answer to its page, once. */
let justCreated = null;

export default async function orderSources(ctx) {
  return ctx.id && ctx.id !== "new" ? sourcePage(ctx) : sourceList(ctx);
}

/** What the dialogs offer: active users, deal sources and pipelines. */
async function references() {
  const [users, sources, pipes] = await Promise.all([
    apiAll("/api/users", { "filter[active]": "true" }),
    dictionary("source"),
    pipelines(),
  ]);
  return { users, sources, pipelines: pipes };
}

/** The fields of the dialog: creating (with the kind and the per-kind secret hint) or editing. */
function fieldsFor(refs, creating) {
  const fields = [
    { name: "name", label: t("settings.name"), required: true },
    ...(creating
      ? [{ name: "kind", label: t("orders.kind"), kind: "select", required: true, initial: "shopify", options: KINDS.map((k) => ({ value: k, label: t(`orders.kind.${k}`) })) }]
      : []),
    { name: "secret", label: t("orders.secret"), hint: creating ? t("orders.secret_hint.shopify") : t("orders.secret_hint_edit") },
    ...(creating ? [] : [{ name: "rotation_grace_minutes", label: t("orders.rotation_grace_minutes"), kind: "number", hint: t("orders.rotation_grace_hint") }]),
    {
      name: "pipeline_id",
      label: t("orders.pipeline_id"),
      kind: "select",
      numeric: true,
      required: true,
      initial: refs.pipelines.find((p) => p.is_default)?.id ?? refs.pipelines[0]?.id,
      options: refs.pipelines.map((p) => ({ value: p.id, label: loc(p.name) })),
    },
    { name: "responsible_ids", label: t("orders.responsible_ids"), kind: "checks", numeric: true, hint: t("orders.responsible_ids_hint"), options: refs.users.map((u) => ({ value: u.id, label: u.name })) },
    { name: "create_products", label: t("orders.create_products"), kind: "checkbox" },
    { name: "source", label: t("orders.source"), kind: "select", required: true, initial: "STORE", options: refs.sources.map((s) => ({ value: s.code, label: loc(s.name) })) },
  ];
  return fields;
}

/** Keeps the secret's hint in step with the chosen kind (creating only). */
function wireKind(form) {
  const kind = form.querySelector("#f-kind");
  const hint = form.querySelector("#f-secret-hint");
  if (!kind || !hint) return;
  const update = () => (hint.textContent = t(`orders.secret_hint.${kind.value}`));
  kind.addEventListener("change", update);
  update();
}

async function sourceList(ctx) {
  const [items, refs] = await Promise.all([apiAll("/api/order-sources"), references()]);
  const create = async () => {
    const fields = fieldsFor(refs, true);
    fields.find((f) => f.name === "responsible_ids").initial = [ctx.me.id];
    const saved = await editDialog(t("orders.new_title"), fields, null, (body) => api("/api/order-sources", { method: "POST", body }), { prepare: wireKind });
    if (!saved) return;
    justCreated = saved.secret ? { id: saved.id, secret: saved.secret } : null;
    ctx.navigate(`${BASE}/${saved.id}`);
  };
  const columns = [
    { label: t("settings.name"), head: true, value: (s) => html`<a href=${`${BASE}/${s.id}`}>${s.name}</a>` },
    { label: t("orders.kind"), value: (s) => t(`orders.kind.${s.kind}`) },
    { label: t("orders.status"), value: (s) => t(s.active ? "orders.status.on" : "orders.status.off") },
    { label: t("orders.webhook_url"), value: (s) => html`<code class="url">${s.webhook_url}</code>` },
    { label: t("orders.failed_signatures"), value: failedCell },
  ];
  return page(
    t("settings.section.order-sources"),
    html`<button type="button" @click=${create}>${t("orders.new")}</button>`,
    html`<p class="hint">${t("orders.intro")}</p>`,
    el`<div class="order-sources-list">${table(items, columns, { caption: t("settings.section.order-sources") })}</div>`,
  );
}

/** The count of rejected signatures, with when the last one came. */
function failedCell(source) {
  const count = source.failed_signatures || 0;
  if (!count) return "0";
  return html`<span class="warn-text">${String(count)}</span>${source.last_failed_at ? html` <span class="muted small">(${t("orders.last_failed_at", { time: formatDateTime(source.last_failed_at) })})</span>` : null}`;
}

async function sourcePage(ctx) {
  const [first, refs] = await Promise.all([api(`/api/order-sources/${ctx.id}`), references()]);
  let item = first;
  // The generated secret, if this source was just made here: taken once, never kept.
  const secret = justCreated && justCreated.id === item.id ? justCreated.secret : null;
  justCreated = null;

  const alert = alertBox();
  const heading = el`<h1></h1>`;
  const actions = el`<div class="actions"></div>`;
  const connection = el`<div></div>`;
  const mapping = el`<div></div>`;

  const show = (current) => {
    item = current;
    heading.textContent = item.name;
    document.title = `${item.name} · CRM`;
    mount(
      actions,
      html`<a href=${BASE}>${t("orders.all")}</a>
      <button type="button" class="secondary" data-act="edit" @click=${edit}>${t("orders.edit")}</button>
      ${item.active
        ? html`<button type="button" class="danger" data-act="toggle" aria-label=${t("orders.deactivate_named", { name: item.name })} @click=${deactivate}>${t("orders.deactivate")}</button>`
        : html`<button type="button" class="secondary" data-act="toggle" @click=${reactivate}>${t("orders.reactivate")}</button>`}`,
    );
    mount(connection, connectionPanel(item, Boolean(secret)));
    mount(mapping, mappingPanel(item, refs, (saved) => {
      show(saved);
      refocus(mapping, "button[type=submit]");
    }));
  };
  const edit = async () => {
    const save = (body) => api(`/api/order-sources/${item.id}`, { method: "PATCH", body, ifMatch: item.version });
    const saved = await editDialog(t("orders.edit"), fieldsFor(refs, false), item, save);
    if (!saved) return;
    show(saved);
    refocus(actions, "[data-act=edit]");
  };
  const deactivate = async () => {
    const done = await confirmThen(
      t("orders.deactivate_confirm", { name: item.name }),
      t("orders.deactivate"),
      () => api(`/api/order-sources/${item.id}`, { method: "DELETE", ifMatch: item.version }),
      alert,
    );
    if (!done) return;
    show(await api(`/api/order-sources/${item.id}`));
    refocus(actions, "[data-act=toggle]");
  };
  const reactivate = async () => {
    let saved = null;
    if (await attempt(alert, async () => (saved = await api(`/api/order-sources/${item.id}`, { method: "PATCH", body: { active: true }, ifMatch: item.version })))) {
      announce(t("settings.done"));
      show(saved);
      refocus(actions, "[data-act=toggle]");
    }
  };

  const view = el`<section class="settings-page order-source">
    <div class="screen-head">${heading}${actions}</div>
    ${alert}
    ${secret ? secretPanel(secret) : null}
    ${connection}
    ${setupPanel(item.kind)}
    ${mapping}
    ${orderInbox(item)}
  </section>`;
  show(item);
  return view;
}

/** Puts the focus back on the control matching `selector` in `where` after it was redrawn. */
function refocus(where, selector) {
  where.querySelector(selector)?.focus();
}

/** The generated secret, once, with a Copy button and the warning that it will not come back. */
function secretPanel(secret) {
  const panel = el`<section class="notice warn secret-once" aria-labelledby="secret-once-title">
    <h2 id="secret-once-title">${t("orders.secret_once_title")}</h2>
    <p>${t("orders.secret_once")}</p>
    ${copyField("order-source-secret", t("orders.secret"), secret)}
    <div class="actions"><button type="button" class="secondary" @click=${() => panel.remove()}>${t("orders.secret_hide")}</button></div>
  </section>`;
  return panel;
}

/** The webhook URL to copy, and how the source stands. */
function connectionPanel(source, secretShown) {
  return el`<section class="panel order-connection" aria-labelledby="order-connection-title">
    <h2 id="order-connection-title">${t("orders.connection")}</h2>
    ${source.active ? null : html`<p class="notice warn">${t("orders.inactive_note")}</p>`}
    ${copyField("order-source-url", t("orders.webhook_url"), source.webhook_url)}
    <dl class="fields">
      <div class="field-row"><dt>${t("orders.kind")}</dt><dd>${t(`orders.kind.${source.kind}`)}</dd></div>
      <div class="field-row"><dt>${t("orders.status")}</dt><dd>${t(source.active ? "orders.status.on" : "orders.status.off")}</dd></div>
      <div class="field-row"><dt>${t("orders.failed_signatures")}</dt><dd>${failedCell(source)}</dd></div>
    </dl>
    ${source.previous_secret_expires_at ? html`<p class="hint">${t("orders.previous_secret_until", { time: formatDateTime(source.previous_secret_expires_at) })}</p>` : null}
    ${secretShown ? null : html`<p class="hint">${t("orders.no_secret_shown")}</p>`}
  </section>`;
}

/** Where to put the URL and the secret in the store's own admin. */
function setupPanel(kind) {
  return el`<section class="panel order-setup" aria-labelledby="order-setup-title">
    <h2 id="order-setup-title">${t("orders.setup")}</h2>
    <ol>${[1, 2, 3].map((n) => html`<li>${t(`orders.setup.${kind}.${n}`)}</li>`)}</ol>
  </section>`;
}

/** One select of the pipeline's stages per store status in the source's mapping. */
function mappingPanel(source, refs, onSaved) {
  const pipeline = refs.pipelines.find((p) => p.id === source.pipeline_id);
  const stages = pipeline?.stages || [];
  const states = Object.keys(source.stage_map || {});
  const formAlert = el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
  const fieldId = (state) => `f-stage_map.${state}`;
  const form = el`<form class="fields-form stage-map" novalidate>
    ${states.map((state) => html`<div class="field">
      <label for=${fieldId(state)}>${t("orders.mapping_state", { state })}</label>
      <select id=${fieldId(state)} name=${state} aria-describedby=${`${fieldId(state)}-error`}>
        ${stages.map((s) => html`<option value=${s.code} ?selected=${s.code === source.stage_map[state]}>${loc(s.name)}</option>`)}
      </select>
      <p class="field-error" id=${`${fieldId(state)}-error`} hidden></p>
    </div>`)}
    ${formAlert}
    <div class="actions"><button type="submit">${t("orders.mapping_save")}</button></div>
  </form>`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formAlert.hidden = true;
    const map = Object.fromEntries(states.map((state) => [state, form.querySelector(`[id="${CSS.escape(fieldId(state))}"]`).value]));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = await api(`/api/order-sources/${source.id}`, { method: "PATCH", body: { stage_map: map }, ifMatch: source.version });
      announce(t("settings.saved"));
      onSaved(saved);
    } catch (error) {
      showFailure(form, formAlert, error);
    } finally {
      button.disabled = false;
    }
  });
  return el`<section class="panel order-mapping" aria-labelledby="order-mapping-title">
    <h2 id="order-mapping-title">${t("orders.mapping")}</h2>
    <p class="hint">${t("orders.mapping_hint", { pipeline: pipeline ? loc(pipeline.name) : `#${source.pipeline_id}` })}</p>
    ${states.length ? form : html`<p class="muted">${t("orders.mapping_empty")}</p>`}
  </section>`;
}
