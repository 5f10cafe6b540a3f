// Sign-in and first run. Sign-in shows the API's answers as people read them: a wrong password,
// or too many attempts with the wait from `Retry-After`. First run creates the administrator
// (`POST /api/auth/setup`, which answers 409 once anyone exists) and signs them in.

import { api, ApiError } from "../api.js";
import { html, el } from "../ui/html.js";
import { t, formatWait } from "../i18n/i18n.js";
import { errorMessage, showFieldErrors, clearFieldErrors } from "../ui/forms.js";

export function loginScreen({ url, signedIn, session }) {
  const next = url.searchParams.get("next") || "/";
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const button = el`<button type="submit">${t("login.submit")}</button>`;
  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    alert.hidden = true;
    button.disabled = true;
    try {
      const answer = await api("/api/auth/login", {
        method: "POST",
        body: { email: form.email.value, password: form.password.value },
        auth401: false,
      });
      await signedIn(answer.csrf_token, next);
    } catch (error) {
      button.disabled = false;
      let message = errorMessage(error);
      if (error instanceof ApiError && error.status === 401) message = t("login.wrong");
      if (error instanceof ApiError && error.status === 429) {
        message = error.retryAfter !== null ? t("login.throttled", { wait: formatWait(error.retryAfter) }) : t("login.throttled_plain");
      }
      if (error instanceof ApiError && error.status === 400) message = t("login.fill");
      alert.textContent = message;
      alert.hidden = false;
      form.password.select();
    }
  }
  return html`<section class="screen narrow">
    <h1>${t("login.title")}</h1>
    ${next !== "/" ? html`<p class="muted">${t("login.again")}</p>` : null}
    <form class="stack" @submit=${submit}>
      <div class="field">
        <label for="login-email">${t("login.email")}</label>
        <input id="login-email" name="email" type="email" autocomplete="username" required>
      </div>
      <div class="field">
        <label for="login-password">${t("login.password")}</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required>
      </div>
      ${alert}
      <div class="actions">${button}</div>
    </form>
    ${session.setupNeeded ? html`<p><a href="/setup">${t("setup.title")}</a></p>` : null}
  </section>`;
}

export function setupScreen({ signedIn, navigate, session }) {
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const done = el`<div hidden></div>`;
  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    clearFieldErrors(form);
    alert.hidden = true;
    const body = { name: form.name.value, email: form.email.value, password: form.password.value };
    try {
      const created = await api("/api/auth/setup", { method: "POST", body, auth401: false });
      const login = await api("/api/auth/login", {
        method: "POST",
        body: { email: body.email, password: body.password },
        auth401: false,
      });
      form.hidden = true;
      done.replaceChildren(html`<div class="notice ok" role="status">
        <p>${t("setup.done")}</p>
        <p>${t("setup.token")}</p>
        <p><code class="token">${created.token}</code></p>
      </div>
      <p><button type="button" @click=${() => signedIn(login.csrf_token, "/")}>${t("setup.continue")}</button></p>`);
      done.hidden = false;
      done.querySelector("button").focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        session.setupNeeded = false;
        alert.textContent = t("setup.already");
        alert.hidden = false;
        alert.append(" ", html`<a href="/login">${t("login.title")}</a>`);
        return;
      }
      const unplaced = showFieldErrors(form, error);
      if (!unplaced || unplaced.length) {
        alert.textContent = unplaced?.length ? unplaced.join("; ") : errorMessage(error);
        alert.hidden = false;
      }
    }
  }
  if (!session.setupNeeded) {
    return Promise.resolve().then(() => navigate("/login", { replace: true })).then(() => document.createDocumentFragment());
  }
  return html`<section class="screen narrow">
    <h1>${t("setup.title")}</h1>
    <p class="muted">${t("setup.intro")}</p>
    <form class="stack" @submit=${submit} novalidate>
      <div class="field">
        <label for="f-name">${t("setup.name")}</label>
        <input id="f-name" name="name" autocomplete="name" required aria-describedby="f-name-error">
        <p class="field-error" id="f-name-error" hidden></p>
      </div>
      <div class="field">
        <label for="f-email">${t("login.email")}</label>
        <input id="f-email" name="email" type="email" autocomplete="username" required aria-describedby="f-email-error">
        <p class="field-error" id="f-email-error" hidden></p>
      </div>
      <div class="field">
        <label for="f-password">${t("login.password")}</label>
        <input id="f-password" name="password" type="password" autocomplete="new-password" required
          aria-describedby="f-password-hint f-password-error">
        <p class="hint" id="f-password-hint">${t("setup.password_hint")}</p>
        <p class="field-error" id="f-password-error" hidden></p>
      </div>
      ${alert}
      <div class="actions"><button type="submit">${t("setup.submit")}</button></div>
    </form>
    ${done}
  </section>`;
}
