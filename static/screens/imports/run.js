// The wizard's last step: the run and its result. The run drives `POST /api/imports/<id>/step`
// (one transaction a chunk) until the status is no longer `running`, with a progress bar and
// a cancel that stops after the chunk in flight; a failed step leaves a "continue" (the API is
// resumable). The result shows the counts, the rejected rows as CSV, and roll back, which
// drives `POST /api/imports/<id>/rollback` until `rolled_back`.

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { announce } from "../../ui/shell.js";
import { confirmDialog } from "../../ui/dialog.js";
import { frame, problemText, resourceOfImport, label, countsText } from "./index.js";

/** The import whose run starts as soon as its page opens (set by the dry run's button). */
let autostart = null;
export function startOnOpen(id) {
  autostart = String(id);
}

export default function runStep(ctx, imp) {
  const start = autostart === String(imp.id);
  autostart = null;
  if (imp.status === "ready" || imp.status === "running") return running(ctx, imp, start);
  return result(ctx, imp);
}

const again = (ctx, imp) => ctx.navigate(`/imports/${imp.id}?step=run`, { replace: true });

function running(ctx, imp, start) {
  const total = imp.rows ?? 0;
  const bar = el`<progress id="import-progress" max=${Math.max(total, 1)} value=${imp.position ?? 0}></progress>`;
  const line = el`<p class="count" role="status"></p>`;
  const error = el`<p class="notice error" role="alert" hidden></p>`;
  const go = el`<button type="button">${imp.status === "running" ? t("imports.continue") : t("imports.run")}</button>`;
  const cancel = el`<button type="button" class="secondary">${t("imports.cancel")}</button>`;
  let driving = false;
  let stopping = false;

  function show(state) {
    const rows = state.rows ?? total;
    bar.max = Math.max(rows, 1);
    bar.value = state.position ?? 0;
    line.textContent = `${t("imports.progress", { position: state.position ?? 0, count: rows })}: ${countsText(state.counts)}`;
  }

  async function stop() {
    const answer = await api(`/api/imports/${imp.id}/cancel`, { method: "POST" });
    announce(label("imports.status", answer?.status || "cancelled"));
    again(ctx, imp);
  }

  async function drive() {
    driving = true;
    stopping = false;
    go.hidden = true;
    error.hidden = true;
    try {
      for (;;) {
        if (stopping) return await stop();
        const answer = await api(`/api/imports/${imp.id}/step`, { method: "POST" });
        // Leaving the page stops driving; the import stays resumable ("continue" on return).
        if (!bar.isConnected) return;
        show(answer);
        if (answer.status !== "running") break;
      }
      announce(t("imports.finished"));
      again(ctx, imp);
    } catch (err) {
      error.textContent = problemText(err);
      error.hidden = false;
      go.textContent = t("imports.continue");
      go.hidden = false;
    } finally {
      driving = false;
    }
  }

  go.addEventListener("click", drive);
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    if (driving) {
      stopping = true;
      return;
    }
    try {
      await stop();
    } catch (err) {
      cancel.disabled = false;
      error.textContent = problemText(err);
      error.hidden = false;
    }
  });
  show(imp);
  // After the page is on screen (the screen function returns first).
  if (start) setTimeout(drive, 0);
  return frame(imp, "run", html`<div class="import-run stack">
    <div class="field"><label for="import-progress">${t("imports.progress_label")}</label>${bar}</div>
    ${line}
    ${error}
    <div class="actions">${go}${cancel}</div>
  </div>`);
}

function result(ctx, imp) {
  const resource = resourceOfImport(imp);
  const counts = imp.counts || {};
  const error = el`<p class="notice error" role="alert" hidden></p>`;
  const undo = el`<button type="button" class="danger">${imp.status === "rolling_back" ? t("imports.rollback_continue") : t("imports.rollback")}</button>`;
  const working = el`<div class="field" hidden><label for="rollback-progress">${t("imports.rolling_back")}</label>
    <progress id="rollback-progress"></progress></div>`;

  undo.addEventListener("click", async () => {
    if (imp.status !== "rolling_back" && !(await confirmDialog(t("imports.rollback_confirm", { count: counts.created ?? 0 }), t("imports.rollback")))) return;
    undo.disabled = true;
    working.hidden = false;
    error.hidden = true;
    try {
      for (;;) {
        const answer = await api(`/api/imports/${imp.id}/rollback`, { method: "POST" });
        const status = answer?.status ?? (await api(`/api/imports/${imp.id}`)).status;
        if (!undo.isConnected) return;
        if (status !== "rolling_back") break;
      }
      announce(t("imports.rolled_back"));
      again(ctx, imp);
    } catch (err) {
      undo.disabled = false;
      working.hidden = true;
      error.textContent = problemText(err);
      error.hidden = false;
    }
  });

  const mayUndo = ["done", "cancelled", "rolling_back"].includes(imp.status) && (counts.created ?? 0) > 0;
  const tone = imp.status === "done" ? "ok" : "warn";
  return frame(imp, "run", html`<div class="import-result stack">
    <p class=${`notice ${tone}`}>${label("imports.status", imp.status)}</p>
    <div class="field"><label for="import-progress">${t("imports.progress_label")}</label>
      <progress id="import-progress" max=${Math.max(imp.rows ?? 0, 1)} value=${imp.position ?? 0}></progress>
      <p class="count">${t("imports.progress", { position: imp.position ?? 0, count: imp.rows ?? 0 })}</p></div>
    <ul class="plain counts" aria-label=${t("imports.result")}>
      ${["created", "updated", "skipped", "failed"].map((k) => html`<li>${t(`imports.count.${k}`, { count: counts[k] ?? 0 })}</li>`)}
      ${counts.linked_created ? html`<li>${t("imports.count.linked_created", { count: counts.linked_created })}</li>` : null}
      ${["removed", "kept"].map((k) => (imp[k] ? html`<li>${t(`imports.count.${k}`, { count: imp[k] })}</li>` : null))}
    </ul>
    <div class="actions">
      ${(counts.failed ?? 0) > 0
        ? html`<a class="button secondary" href=${`/api/imports/${imp.id}/rejected`} download="">${t("imports.rejected")}</a>`
        : null}
      <a class="button secondary" href=${`/${resource}`}>${t("imports.open_list", { list: t(`nav.${resource}`) })}</a>
      ${mayUndo ? undo : null}
    </div>
    ${working}
    ${error}
    ${mayUndo ? html`<p class="hint">${t("imports.rollback_hint")}</p>` : null}
  </div>`);
}
