// Start and router. Every screen has a URL; state (filters, sort, view) lives in the query
// string, so reload and back work. A screen is `async (ctx) => Node`, a function of the URL and
// the API's data. Signing in, the session's person (`/api/me`) and the shell live here.

import { api, ApiError, csrfToken, setCsrfToken, setUnauthorizedHandler } from "./api.js";
import { t, setLang, lang, useMessages } from "./i18n/i18n.js";
import { html, el, mount } from "./ui/html.js";
import { renderShell, announce } from "./ui/shell.js";
import { errorMessage } from "./ui/forms.js";
import { ENTITIES, resetReference } from "./ui/reference.js";
import { loginScreen, setupScreen } from "./screens/auth.js";
import { homeScreen } from "./screens/home.js";
import { listScreen } from "./screens/list.js";
import { recordScreen } from "./screens/record.js";
import { boardScreen } from "./screens/board.js";
import { agendaScreen } from "./screens/agenda.js";

/**
 * A screen whose module loads when the screen is first opened (`import()`), so a first visit
 * fetches only the work screens: the settings, profile, reports and import areas come later.
 */
const lazyScreen = (path, name) => async (ctx) => (await import(path))[name](ctx);
const settingsScreen = lazyScreen("./screens/settings/index.js", "settingsScreen");
const profileScreen = lazyScreen("./screens/profile.js", "profileScreen");
const reportsScreen = lazyScreen("./screens/reports/index.js", "reportsScreen");
const importsScreen = lazyScreen("./screens/imports/index.js", "importsScreen");

const session = { me: null, setupNeeded: false };
const main = document.getElementById("main");
let renderCount = 0;

const routes = [
  { path: /^\/login$/, screen: loginScreen, public: true },
  { path: /^\/setup$/, screen: setupScreen, public: true },
  { path: /^\/$/, screen: homeScreen },
  { path: /^\/settings(?:\/([a-z-]+))?(?:\/(new|\d+))?$/, screen: settingsScreen },
  { path: /^\/profile$/, screen: profileScreen },
  { path: /^\/reports(?:\/(new|funnel|leads-funnel|\d+))?(?:\/(edit))?$/, screen: reportsScreen },
  { path: /^\/activities\/my$/, screen: agendaScreen },
  { path: /^\/imports(?:\/(new|\d+))?$/, screen: importsScreen },
  { path: /^\/(deals|leads)\/board$/, screen: boardScreen, entity: true },
  { path: /^\/([a-z]+)$/, screen: listScreen, entity: true },
  { path: /^\/([a-z]+)\/(new|\d+)$/, screen: recordScreen, entity: true },
];

function match(pathname) {
  for (const route of routes) {
    const m = route.path.exec(pathname);
    if (!m) continue;
    if (route.entity && !ENTITIES[m[1]]) continue;
    return { route, params: m.slice(1) };
  }
  return null;
}

/** A same-origin path to come back to, never another site. */
export function safeNext(next) {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")
    ? next
    : "/";
}

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  return render();
}

function here() {
  return location.pathname + location.search;
}

function toSignIn() {
  if (session.setupNeeded) return navigate("/setup", { replace: true });
  const next = location.pathname === "/login" ? new URL(location.href).searchParams.get("next") : here();
  return navigate(`/login?next=${encodeURIComponent(safeNext(next))}`, { replace: true });
}

function errorView(error) {
  return html`<section class="screen">
    <h1 tabindex="-1">${t("error.title")}</h1>
    <p role="alert" class="notice error">${errorMessage(error)}</p>
    <p><button type="button" @click=${() => render()}>${t("retry")}</button> <a href="/">${t("nav.home")}</a></p>
  </section>`;
}

function notFoundView() {
  return html`<section class="screen">
    <h1 tabindex="-1">${t("error.not_found")}</h1>
    <p><a href="/">${t("nav.home")}</a></p>
  </section>`;
}

async function render() {
  const count = ++renderCount;
  const url = new URL(location.href);
  const found = match(url.pathname);
  if (found && !found.route.public && !session.me) return toSignIn();
  if (found && found.route.public && session.me && url.pathname === "/login") {
    return navigate(safeNext(url.searchParams.get("next")), { replace: true });
  }
  renderShell({ me: session.me, path: url.pathname, onLanguage, onLogout: logout, navigate });
  // The old screen stays in sight while the new one loads, but it no longer takes input: a
  // click on it would act on the state the user just left (a stale filter, a stale sort).
  main.setAttribute("aria-busy", "true");
  main.inert = true;
  let view;
  try {
    view = found
      ? await found.route.screen({ url, params: found.params, me: session.me, session, navigate, signedIn, rerender: render })
      : notFoundView();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    view = errorView(error);
  }
  if (count !== renderCount) return undefined;
  main.removeAttribute("aria-busy");
  main.inert = false;
  mount(main, view);
  markDrawn(url.pathname);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · CRM` : "CRM";
  if (heading && renderCount > 1) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  return undefined;
}

/** Marks `screen:drawn` once the browser has laid out the mounted screen (read by `cargo xtask bench ui`). */
function markDrawn(path) {
  requestAnimationFrame(() => {
    void main.offsetHeight;
    performance.mark("screen:drawn", { detail: path });
  });
}

async function onLanguage(code) {
  await setLang(code);
  render();
  announce(t("language.changed"));
}

async function signedIn(csrf, next) {
  setCsrfToken(csrf);
  resetReference();
  session.setupNeeded = false;
  session.me = await api("/api/me");
  return navigate(safeNext(next), { replace: true });
}

async function logout() {
  try {
    await api("/api/auth/logout", { method: "POST", auth401: false });
  } catch {
    /* the session may be gone already */
  }
  setCsrfToken(null);
  session.me = null;
  resetReference();
  return navigate("/login", { replace: true });
}

/** Whether the first administrator still has to be created (`GET /api/auth/setup`). */
async function probeSetup() {
  try {
    const answer = await api("/api/auth/setup", { auth401: false });
    return Boolean(answer && answer.needed);
  } catch {
    return false;
  }
}

// Links inside the app change the URL without reloading.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  if (url.pathname + url.search === here()) return;
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener("popstate", () => render());

setUnauthorizedHandler(() => {
  session.me = null;
  toSignIn();
});

async function start() {
  document.documentElement.lang = lang();
  const messages = useMessages("app");
  try {
    if (csrfToken()) {
      session.me = await api("/api/me", { auth401: false });
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      await messages;
      renderShell({ me: null, path: location.pathname, onLanguage, onLogout: logout, navigate });
      mount(main, errorView(error));
      return;
    }
    setCsrfToken(null);
  }
  if (!session.me) session.setupNeeded = await probeSetup();
  if (session.setupNeeded && location.pathname !== "/setup") history.replaceState(null, "", "/setup");
  await messages;
  await render();
}

start().catch((error) => {
  mount(main, el`<p role="alert" class="notice error">${errorMessage(error)}</p>`);
});
