// The wizard's dry run: `POST /api/imports/<id>/dry-run` (writes nothing) in pages of rows, a
// row each with what the import would do (create, update, skip, error), the record it would
// update and the messages; then the button that starts the run.

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { announce } from "../../ui/shell.js";
import { frame, problemText, resourceOfImport, label } from "./index.js";
import { startOnOpen } from "./run.js";

const PAGE = 100;

export default async function checkStep({ navigate }, imp) {
  const resource = resourceOfImport(imp);
  const total = imp.rows ?? 0;
  const tbody = el`<tbody></tbody>`;
  const summary = el`<p class="count" role="status"></p>`;
  const status = el`<p class="notice error" role="alert" hidden></p>`;
  const more = el`<button type="button" class="secondary" hidden>${t("imports.check_more", { count: PAGE })}</button>`;
  const tally = { create: 0, update: 0, skip: 0, error: 0 };
  let offset = 0;

  function row(r) {
    const errors = (r.errors || []).map((e) => (e.field ? `${e.field}: ${e.message || e.code}` : e.message || e.code));
    return html`<tr class=${`outcome-${r.action}`}>
      <th scope="row">${t("imports.line", { row: r.line ?? r.row })}</th>
      <td data-label=${t("imports.outcome")}>${label("imports.action", r.action)}</td>
      <td data-label=${t("imports.record")}>${r.record_id ? html`<a href=${`/${resource}/${r.record_id}`}>#${r.record_id}</a>` : null}</td>
      <td data-label=${t("imports.messages")}>${errors.join("; ")}</td>
    </tr>`;
  }

  async function load() {
    more.disabled = true;
    status.hidden = true;
    try {
      const answer = await api(`/api/imports/${imp.id}/dry-run`, { method: "POST", query: { offset, limit: PAGE } });
      const items = answer.items || [];
      for (const r of items) {
        tbody.append(row(r));
        tally[r.action] = (tally[r.action] || 0) + 1;
      }
      offset += PAGE;
      summary.textContent = t("imports.checked", { checked: Math.min(offset, total), count: total, ...tally });
      more.hidden = offset >= total;
      announce(summary.textContent);
    } catch (error) {
      status.textContent = problemText(error);
      status.hidden = false;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  await load();

  const run = () => {
    startOnOpen(imp.id);
    navigate(`/imports/${imp.id}?step=run`);
  };
  return frame(imp, "check", html`<p class="hint">${t("imports.check_hint")}</p>
    ${summary}
    ${status}
    <div class="table-wrap"><table class="records dry-run">
      <caption class="visually-hidden">${t("imports.step.check")}</caption>
      <thead><tr><th scope="col">${t("imports.row")}</th><th scope="col">${t("imports.outcome")}</th>
        <th scope="col">${t("imports.record")}</th><th scope="col">${t("imports.messages")}</th></tr></thead>
      ${tbody}
    </table></div>
    <p>${more}</p>
    <div class="actions"><button type="button" @click=${run}>${t("imports.start", { count: total })}</button></div>`);
}
