// A store source's inbox (`/api/order-sources/<id>/inbox`, oldest first as the API keeps it):
// every verified delivery, filtered by outcome, with its time, topic, order id, outcome and
// error, the deal it made or changed, its raw body shown as text in a dialog, and Replay on a
// failed one (processed again after fixing what failed it; the outcome is announced).

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { openDialog } from "../../ui/dialog.js";
import { announce } from "../../ui/shell.js";
import { table, pagedLog } from "./kit.js";

const STATUSES = ["processed", "skipped", "ignored", "failed"];

/** A body as text: JSON laid out for reading, anything else exactly as it came. */
function bodyText(entry) {
  try {
    return JSON.stringify(JSON.parse(entry.body), null, 2);
  } catch {
    return entry.body ?? "";
  }
}

/** The delivery's raw body as text, with its ids, in a dialog. */
function showBody(entry) {
  const facts = [
    ["orders.delivery_id", entry.delivery_id],
    ["orders.topic", entry.topic],
    ["orders.order_id", entry.order_id],
    ["orders.received", entry.received_at && formatDateTime(entry.received_at)],
  ].filter(([, value]) => value);
  const content = el`<div class="payload">
    <dl class="fields">${facts.map(([key, value]) => html`<div class="field-row"><dt>${t(key)}</dt><dd>${value}</dd></div>`)}</dl>
    <pre class="payload-text" tabindex="0" aria-label=${t("orders.body")}>${bodyText(entry)}</pre>
    <form method="dialog" class="actions"><button value="close">${t("orders.close")}</button></form>
  </div>`;
  openDialog(t("orders.body_title", { id: entry.id }), content);
  content.closest("dialog").classList.add("wide");
}

/** The status of an entry, with its error and attempts when there is something to say. */
function statusCell(entry) {
  return html`<span class=${`outcome ${entry.status}`}>${t(`orders.inbox_status.${entry.status}`)}</span>
    ${entry.error ? html`<br><span class="muted small error-text">${entry.error}</span>` : null}
    ${entry.attempts > 1 ? html`<br><span class="muted small">${t("orders.attempts", { count: entry.attempts })}</span>` : null}`;
}

/** The inbox panel of source `source`; it loads itself. */
export function orderInbox(source) {
  const path = `/api/order-sources/${source.id}/inbox`;
  const filter = el`<select id="order-inbox-status">
    <option value="">${t("orders.inbox_status_all")}</option>
    ${STATUSES.map((s) => html`<option value=${s}>${t(`orders.inbox_status.${s}`)}</option>`)}
  </select>`;
  const alert = el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
  const body = el`<div class="order-inbox-body" aria-live="polite"></div>`;

  const replay = async (entry, button) => {
    button.disabled = true;
    alert.hidden = true;
    try {
      const row = await api(`${path}/${entry.id}/replay`, { method: "POST" });
      if (row.status === "failed") {
        alert.textContent = t("orders.replay_failed", { id: row.id, error: row.error });
        alert.hidden = false;
        announce(alert.textContent);
      } else {
        announce(
          row.status === "processed"
            ? t("orders.replayed", { id: row.id })
            : t("orders.replayed_as", { id: row.id, status: t(`orders.inbox_status.${row.status}`) }),
        );
      }
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
    { label: t("orders.received"), head: true, value: (e) => formatDateTime(e.received_at) },
    { label: t("orders.topic"), value: (e) => e.topic || "" },
    { label: t("orders.order_id"), value: (e) => e.order_id || "" },
    { label: t("orders.inbox_status"), value: statusCell },
    {
      label: t("orders.deal"),
      value: (e) => (e.deal_id ? html`<a href=${`/deals/${e.deal_id}`}>${t("record_ref", { entity: t("entity.deal"), id: e.deal_id })}</a>` : ""),
    },
    {
      label: t("orders.actions"),
      value: (e) => html`<span class="actions">
        <button type="button" class="secondary" aria-label=${t("orders.body_of", { id: e.id })} @click=${() => showBody(e)}>${t("orders.body")}</button>
        ${e.status === "failed" ? html`<button type="button" aria-label=${t("orders.replay_of", { id: e.id })} @click=${(event) => replay(e, event.currentTarget)}>${t("orders.replay")}</button>` : null}
      </span>`,
    },
  ];

  const { load, more } = pagedLog(path, { filter, body, alert, columns, empty: t("orders.inbox_empty"), caption: t("orders.inbox") });
  load(true);
  return el`<section class="panel order-inbox" aria-labelledby="order-inbox-title">
    <h2 id="order-inbox-title">${t("orders.inbox")}</h2>
    <div class="toolbar">
      <div class="field"><label for="order-inbox-status">${t("orders.inbox_status")}</label>${filter}</div>
      <button type="button" class="secondary" @click=${() => load(true)}>${t("orders.refresh")}</button>
    </div>
    <p class="hint">${t("orders.inbox_hint")}</p>
    ${alert}${body}
    <div class="actions">${more}</div>
  </section>`;
}
