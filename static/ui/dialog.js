// Modal dialogs on the platform's <dialog>: focus is trapped and Escape closes for free.

import { el } from "./html.js";
import { t } from "../i18n/i18n.js";

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog(message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = el`<dialog class="dialog" aria-labelledby="confirm-title">
      <form method="dialog">
        <h2 id="confirm-title">${message}</h2>
        <div class="actions">
          <button value="cancel" class="secondary">${t("cancel")}</button>
          <button value="ok" class="danger">${confirmLabel}</button>
        </div>
      </form>
    </dialog>`;
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Shows a dialog with `content` (a form built by the caller, with `method="dialog"` buttons
 * or its own submit handling). Resolves with the dialog's returnValue when it closes.
 */
export function openDialog(titleText, content) {
  return new Promise((resolve) => {
    const dialog = el`<dialog class="dialog" aria-labelledby="dialog-title">
      <h2 id="dialog-title">${titleText}</h2>
      ${content}
    </dialog>`;
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
