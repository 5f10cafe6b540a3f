// Outbound webhooks (`/settings/webhooks`): the subscriptions with their state (active, or
// paused and why), a new one made in a dialog (name, URL, style, the events picked from a
// list), and a subscription's page (`/settings/webhooks/<id>`) with the generated secret right
// after it is made (shown once: handed from the create answer to the page in memory only, as
// order-sources.js does), Edit, Pause/Resume, New secret (shown once again), Delete, and the
// delivery log (newest first, filtered by status) with each delivery's attempts and a Retry
// button.

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { openDialog } from "../../ui/dialog.js";
import { announce } from "../../ui/shell.js";
import { resourceOf } from "../../ui/reference.js";
import { page, table, editDialog, confirmThen, attempt, alertBox, copyField, pagedLog } from "./kit.js";

const BASE = "/settings/webhooks";
const STYLES = ["json", "bitrix24"];
const STATUSES = ["pending", "delivered", "failed"];
/** What sends events (the record entities and timeline comments), with Bitrix24's name for each. */
const ENTITIES = [["lead", "LEAD"], ["contact", "CONTACT"], ["company", "COMPANY"], ["deal", "DEAL"], ["activity", "ACTIVITY"], ["product", "PRODUCT"], ["comment", "TIMELINECOMMENT"]];
const CHANGES = [["created", "ADD"], ["updated", "UPDATE"], ["deleted", "DELETE"]];
/**
 * A delivery's record: a link to it unless the event deleted it; a comment's event links to the
 * record the comment is on (its `details`).
 */
function recordCell(d) {
  const [entity, id] = d.entity === "comment" ? [d.details?.record_entity, d.details?.record_id] : [d.entity, d.record_id];
  const resource = resourceOf(entity);
  const deleted = d.native_event.endsWith(".deleted") && d.entity !== "comment";
  return deleted || !resource || !id ? `#${d.record_id}` : html`<a href=${`/${resource}/${id}`}>#${String(id)}</a>`;
}

/** Every event as `{native, bitrix24}` (`bitrix24` null when Bitrix24 has none). */
const EVENTS = [
  ...ENTITIES.flatMap(([entity, b24]) => CHANGES.map(([change, suffix]) => ({ native: `${entity}.${change}`, bitrix24: `ONCRM${b24}${suffix}` }))),
  { native: "deal.stage_changed", bitrix24: null },
  { native: "deal.pipeline_changed", bitrix24: "ONCRMDEALMOVETOCATEGORY" },
];

/** An event in either spelling, as its native name. */
const nativeOf = (name) => EVENTS.find((e) => e.native === name || e.bitrix24 === name)?.native ?? name;

/** The secret of the subscription just made or re-keyed, from the answer to its page, once. */
let justShown = null;

export default async function webhooks(ctx) {
  return ctx.id ? subscriptionPage(ctx) : subscriptionList(ctx);
}

function fields() {
  return [
    { name: "name", label: t("settings.name"), required: true },
    { name: "url", label: t("webhooks.url"), required: true, hint: t("webhooks.url_hint") },
    { name: "style", label: t("webhooks.style"), kind: "select", required: true, initial: "json", hint: t("webhooks.style_hint"), options: STYLES.map((s) => ({ value: s, label: t(`webhooks.style.${s}`) })) },
    {
      name: "events",
      label: t("webhooks.events"),
      kind: "checks",
      required: true,
      hint: t("webhooks.events_hint"),
      options: EVENTS.map((e) => ({ value: e.native, label: e.bitrix24 ? `${e.native} (${e.bitrix24})` : e.native })),
    },
  ];
}

/** The subscription as the dialog edits it: its events in native spelling, as the picker has them. */
const editable = (item) => ({ ...item, events: (item.events || []).map(nativeOf) });

function stateCell(item) {
  return item.active
    ? html`<span class="outcome processed">${t("webhooks.active")}</span>`
    : html`<span class="outcome failed">${t("webhooks.paused")}</span>${item.paused_reason ? html`<br><span class="muted small">${item.paused_reason}</span>` : null}`;
}

async function subscriptionList(ctx) {
  const items = await apiAll("/api/webhooks");
  const create = async () => {
    const saved = await editDialog(t("webhooks.new_title"), fields(), null, (body) => api("/api/webhooks", { method: "POST", body }));
    if (!saved) return;
    justShown = { id: saved.id, secret: saved.secret };
    ctx.navigate(`${BASE}/${saved.id}`);
  };
  const columns = [
    { label: t("settings.name"), head: true, value: (s) => html`<a href=${`${BASE}/${s.id}`}>${s.name}</a>` },
    { label: t("webhooks.url"), value: (s) => html`<code class="url">${s.url}</code>` },
    { label: t("webhooks.style"), value: (s) => t(`webhooks.style.${s.style}`) },
    { label: t("webhooks.events"), value: (s) => (s.events || []).join(", ") },
    { label: t("webhooks.state"), value: stateCell },
  ];
  return page(
    t("settings.section.webhooks"),
    html`<button type="button" @click=${create}>${t("webhooks.new")}</button>`,
    html`<p class="hint">${t("webhooks.intro")}</p>`,
    el`<div class="webhooks-list">${table(items, columns, { caption: t("settings.section.webhooks"), empty: t("webhooks.empty") })}</div>`,
  );
}

async function subscriptionPage(ctx) {
  let item = await api(`/api/webhooks/${ctx.id}`);
  const alert = alertBox();
  const heading = el`<h1></h1>`;
  const actions = el`<div class="actions"></div>`;
  const details = el`<div></div>`;
  const secretPlace = el`<div></div>`;
  const showSecret = (secret) => mount(secretPlace, secret ? secretPanel(secret) : el`<span></span>`);
  if (justShown && justShown.id === item.id) showSecret(justShown.secret);
  justShown = null;

  const show = (current) => {
    item = current;
    heading.textContent = item.name;
    document.title = `${item.name} · CRM`;
    mount(
      actions,
      html`<a href=${BASE}>${t("webhooks.all")}</a>
      <button type="button" class="secondary" data-act="edit" @click=${edit}>${t("webhooks.edit")}</button>
      ${item.active
        ? html`<button type="button" class="secondary" data-act="toggle" @click=${pause}>${t("webhooks.pause")}</button>`
        : html`<button type="button" data-act="toggle" @click=${resume}>${t("webhooks.resume")}</button>`}
      <button type="button" class="secondary" data-act="rotate" @click=${rotate}>${t("webhooks.rotate")}</button>
      <button type="button" class="danger" data-act="delete" @click=${remove}>${t("webhooks.delete")}</button>`,
    );
    mount(details, detailsPanel(item));
  };
  const edit = async () => {
    const save = (body) => api(`/api/webhooks/${item.id}`, { method: "PATCH", body, ifMatch: item.version });
    const saved = await editDialog(t("webhooks.edit"), fields(), editable(item), save);
    if (saved) show(saved);
  };
  const act = (path, body) => async () => {
    let saved = null;
    if (await attempt(alert, async () => (saved = await api(`/api/webhooks/${item.id}/${path}`, { method: "POST", ...(body ? { body } : {}) })))) {
      announce(t("settings.done"));
      show(saved);
      actions.querySelector("[data-act=toggle]")?.focus();
    }
  };
  const pause = act("pause", {});
  const resume = act("resume");
  const rotate = async () => {
    const done = await confirmThen(t("webhooks.rotate_confirm", { name: item.name }), t("webhooks.rotate"), async () => {
      const saved = await api(`/api/webhooks/${item.id}/rotate-secret`, { method: "POST" });
      showSecret(saved.secret);
      show(saved);
    }, alert);
    if (done) announce(t("webhooks.rotated"));
  };
  const remove = async () => {
    const done = await confirmThen(t("webhooks.delete_confirm", { name: item.name }), t("webhooks.delete"), () => api(`/api/webhooks/${item.id}`, { method: "DELETE", ifMatch: item.version }), alert);
    if (done) ctx.navigate(BASE);
  };

  const view = el`<section class="settings-page webhook">
    <div class="screen-head">${heading}${actions}</div>
    ${alert}${secretPlace}${details}
    ${deliveryLog(item, () => api(`/api/webhooks/${item.id}`).then(show))}
  </section>`;
  show(item);
  return view;
}

/** The secret, once, with a Copy button and the warning that it will not come back. */
function secretPanel(secret) {
  const panel = el`<section class="notice warn secret-once" aria-labelledby="webhook-secret-title">
    <h2 id="webhook-secret-title">${t("webhooks.secret_once_title")}</h2>
    <p>${t("webhooks.secret_once")}</p>
    ${copyField("webhook-secret", t("webhooks.secret"), secret)}
    <div class="actions"><button type="button" class="secondary" @click=${() => panel.remove()}>${t("webhooks.secret_hide")}</button></div>
  </section>`;
  return panel;
}

function detailsPanel(item) {
  const row = (label, value) => html`<div class="field-row"><dt>${label}</dt><dd>${value}</dd></div>`;
  return el`<section class="panel webhook-details" aria-labelledby="webhook-details-title">
    <h2 id="webhook-details-title">${t("webhooks.details")}</h2>
    <dl class="fields">
      ${row(t("webhooks.state"), stateCell(item))}
      ${row(t("webhooks.url"), html`<code class="url">${item.url}</code>`)}
      ${row(t("webhooks.style"), t(`webhooks.style.${item.style}`))}
      ${row(t("webhooks.events"), (item.events || []).join(", "))}
      ${row(t("webhooks.failures"), String(item.consecutive_failures ?? 0))}
      ${item.last_success_at ? row(t("webhooks.last_success"), formatDateTime(item.last_success_at)) : null}
      ${item.last_failure_at ? row(t("webhooks.last_failure"), formatDateTime(item.last_failure_at)) : null}
    </dl>
    <p class="hint">${t(`webhooks.signature_hint.${item.style}`)}</p>
  </section>`;
}

function statusCell(d) {
  return html`<span class=${`outcome ${d.status === "delivered" ? "processed" : d.status}`}>${t(`webhooks.status.${d.status}`)}</span>
    ${d.last_status ? html`<br><span class="muted small">HTTP ${String(d.last_status)}</span>` : null}
    ${d.last_error && d.last_error !== `HTTP ${d.last_status}` ? html`<br><span class="muted small error-text">${d.last_error}</span>` : null}
    ${d.status === "pending" && d.attempts > 0 && d.next_attempt_at ? html`<br><span class="muted small">${t("webhooks.next_try", { time: formatDateTime(d.next_attempt_at) })}</span>` : null}`;
}

/** A delivery's attempts, in a dialog. */
async function showAttempts(item, delivery) {
  const full = await api(`/api/webhooks/${item.id}/deliveries/${delivery.id}`);
  const rows = full.attempt_log || [];
  const content = el`<div class="payload">
    ${table(rows, [
      { label: t("webhooks.attempt_at"), head: true, value: (a) => formatDateTime(a.at) },
      { label: t("webhooks.http_status"), value: (a) => (a.status ? String(a.status) : "—") },
      { label: t("webhooks.error"), value: (a) => a.error || "" },
      { label: t("webhooks.duration"), value: (a) => `${a.duration_ms} ms` },
    ], { empty: t("webhooks.no_attempts"), caption: t("webhooks.attempts_title", { id: delivery.id }) })}
    <form method="dialog" class="actions"><button value="close">${t("webhooks.close")}</button></form>
  </div>`;
  openDialog(t("webhooks.attempts_title", { id: delivery.id }), content);
}

/** The delivery log panel; it loads itself. `refreshItem` reloads the subscription's state. */
function deliveryLog(item, refreshItem) {
  const path = `/api/webhooks/${item.id}/deliveries`;
  const filter = el`<select id="webhook-delivery-status">
    <option value="">${t("webhooks.status_all")}</option>
    ${STATUSES.map((s) => html`<option value=${s}>${t(`webhooks.status.${s}`)}</option>`)}
  </select>`;
  const alert = el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
  const body = el`<div class="webhook-deliveries-body" aria-live="polite"></div>`;

  const retry = async (delivery, button) => {
    button.disabled = true;
    alert.hidden = true;
    try {
      await api(`${path}/${delivery.id}/retry`, { method: "POST" });
      announce(t("webhooks.retry_queued", { id: delivery.id }));
      await load(true);
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
      alert.focus();
    } finally {
      button.disabled = false;
    }
  };

  const columns = [
    { label: t("webhooks.occurred"), head: true, value: (d) => formatDateTime(d.occurred_at) },
    { label: t("webhooks.event"), value: (d) => d.event },
    { label: t("webhooks.record"), value: recordCell },
    { label: t("webhooks.status"), value: statusCell },
    { label: t("webhooks.attempts"), value: (d) => String(d.attempts) },
    {
      label: t("webhooks.actions"),
      value: (d) => html`<span class="actions">
        <button type="button" class="secondary" aria-label=${t("webhooks.attempts_of", { id: d.id })} @click=${() => showAttempts(item, d)}>${t("webhooks.attempts")}</button>
        ${d.status === "pending" && d.attempts === 0 ? null : html`<button type="button" aria-label=${t("webhooks.retry_of", { id: d.id })} @click=${(event) => retry(d, event.currentTarget)}>${t("webhooks.retry")}</button>`}
      </span>`,
    },
  ];

  const { load, more } = pagedLog(path, { filter, body, alert, columns, empty: t("webhooks.no_deliveries"), caption: t("webhooks.deliveries") });
  load(true);
  return el`<section class="panel webhook-deliveries" aria-labelledby="webhook-deliveries-title">
    <h2 id="webhook-deliveries-title">${t("webhooks.deliveries")}</h2>
    <div class="toolbar">
      <div class="field"><label for="webhook-delivery-status">${t("webhooks.status")}</label>${filter}</div>
      <button type="button" class="secondary" @click=${() => { load(true); refreshItem(); }}>${t("webhooks.refresh")}</button>
    </div>
    <p class="hint">${t("webhooks.deliveries_hint")}</p>
    ${alert}${body}
    <div class="actions">${more}</div>
  </section>`;
}
