// A web form's submission log (`/api/forms/<id>/submissions`, oldest first as the API keeps
// it): filtered by outcome, each entry with its time, outcome and reason, the record it made
// or was attached to, its raw payload shown as text in a dialog, and Release on a quarantined
// one (which takes its stored payload in as a normal submission).

import { api } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { openDialog } from "../../ui/dialog.js";
import { announce } from "../../ui/shell.js";
import { resourceOf } from "../../ui/reference.js";
import { table } from "./kit.js";

const OUTCOMES = ["accepted", "duplicate", "quarantined", "invalid", "released"];

/** A link to a record of `entity` (`lead`, `contact`, `deal`). */
function recordLink(entity, id) {
  const text = t("record_ref", { entity: t(`entity.${entity}`), id });
  return html`<a href=${`/${resourceOf(entity)}/${id}`}>${text}</a> `;
}

/** The records an entry made (or, for a duplicate, the one it was attached to). */
function records(entry) {
  const made = [["lead", entry.lead_id], ["contact", entry.contact_id], ["deal", entry.deal_id]].filter(([, id]) => id);
  if (entry.matched?.id) made.push([entry.matched.entity, entry.matched.id]);
  return made.map(([entity, id]) => recordLink(entity, id));
}

/** A payload as text: JSON laid out for reading, anything else exactly as it came. */
function payloadText(entry) {
  if (!String(entry.content_type || "").includes("json")) return entry.payload ?? "";
  try {
    return JSON.stringify(JSON.parse(entry.payload), null, 2);
  } catch {
    return entry.payload ?? "";
  }
}

/** The entry's payload as text, with where it came from, in a dialog. */
function showPayload(entry) {
  const facts = [
    ["forms.content_type", entry.content_type],
    ["forms.page_url", entry.page_url],
    ["forms.referrer", entry.referrer],
    ["forms.ip", entry.ip],
    ["forms.user_agent", entry.user_agent],
  ].filter(([, value]) => value);
  const content = el`<div class="payload">
    <dl class="fields">${facts.map(([key, value]) => html`<div class="field-row"><dt>${t(key)}</dt><dd>${value}</dd></div>`)}</dl>
    <pre class="payload-text" tabindex="0" aria-label=${t("forms.payload")}>${payloadText(entry)}</pre>
    <form method="dialog" class="actions"><button value="close">${t("forms.close")}</button></form>
  </div>`;
  openDialog(t("forms.payload_title", { id: entry.id }), content);
  content.closest("dialog").classList.add("wide");
}

/** The log panel of form `form`; it loads itself. */
export function submissionLog(form) {
  const path = `/api/forms/${form.id}/submissions`;
  let items = [];
  let cursor = null;
  const filter = el`<select id="form-log-outcome">
    <option value="">${t("forms.outcome_all")}</option>
    ${OUTCOMES.map((o) => html`<option value=${o}>${t(`forms.outcome.${o}`)}</option>`)}
  </select>`;
  const alert = el`<p class="notice error" role="alert" tabindex="-1" hidden></p>`;
  const body = el`<div class="form-log-body" aria-live="polite"></div>`;
  const more = el`<button type="button" class="secondary" hidden @click=${() => load(false)}>${t("list.more")}</button>`;

  const release = async (entry) => {
    try {
      const made = await api(`${path}/${entry.id}/release`, { method: "POST" });
      announce(t("forms.released", { id: made.id }));
      await load(true);
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
      alert.focus();
    }
  };

  const columns = [
    { label: t("forms.received"), head: true, value: (e) => formatDateTime(e.received_at) },
    {
      label: t("forms.outcome"),
      value: (e) => html`<span class=${`outcome ${e.outcome}`}>${t(`forms.outcome.${e.outcome}`)}</span>${e.reason ? html`<br><span class="muted small">${e.reason}</span>` : null}`,
    },
    { label: t("forms.record"), value: (e) => records(e) },
    {
      label: t("forms.actions"),
      value: (e) => html`<span class="actions">
        <button type="button" class="secondary" aria-label=${t("forms.payload_of", { id: e.id })} @click=${() => showPayload(e)}>${t("forms.payload")}</button>
        ${e.outcome === "quarantined" ? html`<button type="button" aria-label=${t("forms.release_of", { id: e.id })} @click=${() => release(e)}>${t("forms.release")}</button>` : null}
      </span>`,
    },
  ];

  async function load(reset) {
    alert.hidden = true;
    try {
      const query = { limit: 50, ...(filter.value ? { "filter[outcome]": filter.value } : {}), ...(reset ? {} : { cursor }) };
      const page = await api(path, { query });
      items = reset ? page.items : [...items, ...page.items];
      cursor = page.next_cursor;
      more.hidden = !cursor;
      mount(body, table(items, columns, { empty: t("forms.log_empty"), caption: t("forms.log") }));
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
    }
  }

  filter.addEventListener("change", () => load(true));
  load(true);
  return el`<section class="panel form-log" aria-labelledby="form-log-title">
    <h2 id="form-log-title">${t("forms.log")}</h2>
    <div class="toolbar">
      <div class="field"><label for="form-log-outcome">${t("forms.outcome")}</label>${filter}</div>
      <button type="button" class="secondary" @click=${() => load(true)}>${t("forms.refresh")}</button>
    </div>
    <p class="hint">${t("forms.oldest_first")}</p>
    ${alert}${body}
    <div class="actions">${more}</div>
  </section>`;
}
