// Form helpers: the API's field errors beside the fields they name, and failures as messages.
// A control for field path `p` has id `f-<p>` and an error element `f-<p>-error`.

import { ApiError } from "../api.js";
import { t } from "../i18n/i18n.js";

/** The problem as a message for people; a 5xx or network error never leaves a blank screen. */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) return t("error.unexpected");
  if (error.network) return t("error.network");
  if (error.status >= 500) return t("error.server");
  if (error.status === 403) return t("error.forbidden");
  if (error.status === 404) return t("error.not_found");
  if (error.status === 412) return t("error.stale");
  return error.message;
}

/** `emails[0].value` -> candidates `emails[0].value`, `emails[0]`, `emails`. */
function candidates(path) {
  const out = [path];
  let p = path;
  for (;;) {
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) break;
    p = p.slice(0, cut);
    out.push(p);
  }
  return out;
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/**
 * Puts each of the problem's field errors beside its field and focuses the first; returns the
 * messages no field on the form could take (empty when all found a place), or null when the
 * error had no field errors at all.
 */
export function showFieldErrors(form, error) {
  if (!(error instanceof ApiError) || !Object.keys(error.fields).length) return null;
  const unplaced = [];
  let first = null;
  for (const [path, message] of Object.entries(error.fields)) {
    const target = candidates(path).find((p) => form.querySelector(`[id="f-${CSS.escape(p)}-error"]`));
    if (!target) {
      unplaced.push(`${path}: ${message}`);
      continue;
    }
    const box = form.querySelector(`[id="f-${CSS.escape(target)}-error"]`);
    box.textContent = box.textContent ? `${box.textContent}; ${message}` : message;
    box.hidden = false;
    const control = form.querySelector(`[id="f-${CSS.escape(target)}"]`);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first ??= control;
    }
  }
  first?.focus();
  return unplaced;
}
