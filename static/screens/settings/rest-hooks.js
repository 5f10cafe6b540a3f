// REST webhooks (`/settings/rest-hooks`): the inbound webhooks through which Bitrix24
// integrations call the CRM (`/rest/<user_id>/<token>/<method>`), each acting as the user who
// made it. A new one is made in a dialog (name and scopes); its URL, which holds the token, is
// shown once in a dialog with a Copy button and never again (only its hash is stored).
// Revoking ends the token at once. An administrator sees everyone's hooks.

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { openDialog } from "../../ui/dialog.js";
import { page, table, editDialog, confirmThen, alertBox, copyField } from "./kit.js";

const SCOPES = ["crm", "user"];

export default async function restHooks(ctx) {
  const alert = alertBox();
  const list = el`<div class="rest-hooks-list"></div>`;

  const refresh = async () => {
    const items = await apiAll("/api/rest-hooks");
    const columns = [
      { label: t("settings.name"), head: true, value: (h) => h.name },
      { label: t("rest_hooks.user"), value: (h) => h.user_name },
      { label: t("rest_hooks.scopes"), value: (h) => h.scopes.join(", ") },
      { label: t("rest_hooks.created_at"), value: (h) => formatDateTime(h.created_at) },
      { label: t("rest_hooks.last_used_at"), value: (h) => (h.last_used_at ? formatDateTime(h.last_used_at) : t("rest_hooks.never")) },
      {
        label: t("rest_hooks.actions"),
        value: (h) => html`<button type="button" class="danger" aria-label=${t("rest_hooks.revoke_named", { name: h.name })} @click=${() => revoke(h)}>${t("rest_hooks.revoke")}</button>`,
      },
    ];
    mount(list, table(items, columns, { caption: t("settings.section.rest-hooks"), empty: t("rest_hooks.empty") }));
  };

  const create = async () => {
    const fields = [
      { name: "name", label: t("settings.name"), required: true },
      { name: "scopes", label: t("rest_hooks.scopes"), kind: "checks", initial: SCOPES, options: SCOPES.map((s) => ({ value: s, label: t(`rest_hooks.scope.${s}`) })) },
    ];
    const saved = await editDialog(t("rest_hooks.new_title"), fields, null, (body) => api("/api/rest-hooks", { method: "POST", body }));
    if (!saved) return;
    await refresh();
    await showOnce(saved);
  };

  const revoke = async (hook) => {
    const done = await confirmThen(t("rest_hooks.revoke_confirm", { name: hook.name }), t("rest_hooks.revoke"), () => api(`/api/rest-hooks/${hook.id}`, { method: "DELETE" }), alert);
    if (done) await refresh();
  };

  await refresh();
  return page(
    t("settings.section.rest-hooks"),
    html`<button type="button" @click=${create}>${t("rest_hooks.new")}</button>`,
    html`<p class="hint">${t("rest_hooks.intro")}</p>`,
    alert,
    list,
  );
}

/** The new hook's URL (which holds its token), once, in a dialog with a Copy button. */
function showOnce(hook) {
  const url = `${location.origin}${hook.path}`;
  const content = el`<form method="dialog" class="secret-once">
    <p class="notice warn">${t("rest_hooks.once")}</p>
    ${copyField("rest-hook-url", t("rest_hooks.url"), url)}
    <p class="hint">${t("rest_hooks.example")}</p>
    <p><code class="url">${`${url}user.current`}</code></p>
    <div class="actions"><button value="done">${t("rest_hooks.done")}</button></div>
  </form>`;
  return openDialog(t("rest_hooks.created_title", { name: hook.name }), content);
}
