// The signed-in person's own page (`/profile`): who they are, a password change, their API
// tokens (a new token's secret is shown once, with a copy button; revoking one ends it at once)
// and the way to their REST webhooks (`/settings/rest-hooks`, open to everyone signed in).

import { api, apiAll, setCsrfToken } from "../api.js";
import { html, el, mount } from "../ui/html.js";
import { t, formatDateTime, useMessages } from "../i18n/i18n.js";
import { announce } from "../ui/shell.js";
import { editForm, table, confirmThen, alertBox, copyButton } from "./settings/kit.js";

export async function profileScreen({ me }) {
  await useMessages("settings");
  const tokensBox = el`<div></div>`;
  const shownOnce = el`<div aria-live="polite"></div>`;
  const alert = alertBox();

  async function drawTokens() {
    const tokens = await apiAll("/api/auth/tokens");
    mount(
      tokensBox,
      table(tokens, [
        { label: t("profile.token_name"), head: true, value: (k) => k.name },
        { label: t("meta.created_at"), value: (k) => formatDateTime(k.created_at) },
        {
          label: t("users.status"),
          value: (k) => (k.revoked_at ? t("profile.token_revoked", { when: formatDateTime(k.revoked_at) }) : html`${t("profile.token_active")}
            <button type="button" class="link" @click=${() => revoke(k)}>${t("profile.token_revoke", { name: k.name })}</button>`),
        },
      ]),
    );
  }

  async function revoke(token) {
    const question = t("profile.token_revoke_confirm", { name: token.name });
    if (await confirmThen(question, t("profile.token_revoke", { name: token.name }), () => api(`/api/auth/tokens/${token.id}`, { method: "DELETE" }), alert)) {
      mount(shownOnce);
      await drawTokens();
    }
  }

  const newToken = editForm(
    [{ name: "name", label: t("profile.token_name"), required: true }],
    null,
    (body) => api("/api/auth/tokens", { method: "POST", body }),
    async (issued) => {
      newToken.reset();
      mount(
        shownOnce,
        html`<div class="notice ok">
          <p>${t("profile.token_shown_once")}</p>
          <p class="copy-row"><label for="new-token" class="visually-hidden">${t("profile.token_value")}</label>
            <input id="new-token" class="secret" readonly .value=${issued.token} aria-label=${t("profile.token_value")}>${copyButton(issued.token)}</p>
        </div>`,
      );
      await drawTokens();
    },
    { submitLabel: t("profile.token_create") },
  );

  const password = editForm(
    [
      { name: "current_password", label: t("profile.current_password"), kind: "password", required: true },
      { name: "password", label: t("profile.new_password"), kind: "password", required: true, hint: t("users.password_hint") },
    ],
    null,
    (body) => api("/api/me/password", { method: "POST", body }),
    (session) => {
      // The change ended every session; this browser carries on in the new one.
      setCsrfToken(session.csrf_token);
      password.reset();
      announce(t("profile.password_changed"));
    },
    { submitLabel: t("profile.password") },
  );
  for (const input of password.querySelectorAll("input")) input.autocomplete = input.name === "current_password" ? "current-password" : "new-password";
  // Password managers file the new password under the account's e-mail.
  password.prepend(el`<input type="email" name="username" autocomplete="username" .value=${me.email} hidden>`);

  await drawTokens();
  return html`<section class="screen profile">
    <h1>${t("profile.title")}</h1>
    <dl class="field-rows">
      <div class="field-row"><dt>${t("settings.name")}</dt><dd>${me.name}</dd></div>
      <div class="field-row"><dt>${t("users.email")}</dt><dd>${me.email}</dd></div>
      <div class="field-row"><dt>${t("settings.roles")}</dt><dd>${(me.roles || []).join(", ")}</dd></div>
    </dl>
    <h2>${t("profile.password")}</h2>
    ${password}
    <h2>${t("profile.tokens")}</h2>
    <p class="muted">${t("profile.tokens_intro")}</p>
    ${alert}${newToken}${shownOnce}${tokensBox}
    <h2>${t("settings.section.rest-hooks")}</h2>
    <p class="muted">${t("profile.rest_hooks_intro")} <a href="/settings/rest-hooks">${t("profile.rest_hooks_open")}</a></p>
  </section>`;
}
