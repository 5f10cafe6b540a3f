// The one fetch wrapper. Every call goes through `api()`: same-origin credentials (the session
// cookie), `X-CSRF-Token` on unsafe methods (the token the login answered, kept in this tab's
// localStorage, so a second tab of the same session works too), `If-Match`, JSON in and out, and problem+json turned into an `ApiError`
// whose `fields` maps each field path to its message. A 401 sends the person to sign in and
// back to where they were; a 412 is an ApiError with `stale` set ("changed meanwhile").

import { lang } from "./i18n/i18n.js";

const CSRF_KEY = "crm.csrf";

/** An HTTP or network failure; `status` is 0 for a network error. */
export class ApiError extends Error {
  constructor(status, problem = {}, headers = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.headers = headers;
    /** Field path -> message, from problem+json `errors`. */
    this.fields = {};
    for (const e of problem.errors || []) {
      if (!(e.field in this.fields)) this.fields[e.field] = e.message || e.code;
    }
  }
  get stale() {
    return this.status === 412;
  }
  get network() {
    return this.status === 0;
  }
  /** Seconds from `Retry-After`, if any. */
  get retryAfter() {
    const value = this.headers && this.headers.get("retry-after");
    const seconds = Number(value);
    return Number.isFinite(seconds) && value !== "" && value !== null ? seconds : null;
  }
}

export function csrfToken() {
  return localStorage.getItem(CSRF_KEY);
}

export function setCsrfToken(token) {
  if (token) localStorage.setItem(CSRF_KEY, token);
  else localStorage.removeItem(CSRF_KEY);
}

let onUnauthorized = () => {};

/** Who handles a 401 (the app: go to sign-in and come back). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * Calls the API. `path` starts with `/api/`; options: method, body (JSON), query (object or
 * URLSearchParams), file (a Blob sent as the raw body instead of JSON, e.g. an import's file),
 * ifMatch (a record version), signal, auth401 (false: do not redirect on 401, for the sign-in
 * calls themselves). Resolves with the parsed JSON (null for 204) — or, with
 * `raw: true`, `{ data, response }`.
 */
export async function api(path, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  // The UI's language, so names the API localises (system reports) follow the language switch.
  const headers = { Accept: "application/json", "Accept-Language": lang() };
  let url = path;
  if (options.query) {
    const qs = new URLSearchParams(options.query).toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  let body;
  if (options.file !== undefined) {
    headers["Content-Type"] = options.file.type || "application/octet-stream";
    body = options.file;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  if (options.ifMatch !== undefined && options.ifMatch !== null) headers["If-Match"] = `"${options.ifMatch}"`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
      signal: options.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { title: "network" });
  }
  const type = response.headers.get("content-type") || "";
  let data = null;
  if (response.status !== 204 && (type.includes("json"))) {
    data = await response.json().catch(() => null);
  }
  // The moment this answer was in hand: `cargo xtask bench ui` measures screens from the last one.
  performance.mark("api:answered", { detail: url });
  if (!response.ok) {
    const error = new ApiError(response.status, data || {}, response.headers);
    if (response.status === 401 && options.auth401 !== false) {
      setCsrfToken(null);
      onUnauthorized();
    }
    throw error;
  }
  return options.raw ? { data, response } : data;
}

/** Every page of a list (for small reference lists such as users), up to `max` items. */
export async function apiAll(path, query = {}, max = 2000) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path, { query: { ...query, limit: 500, ...(cursor ? { cursor } : {}) } });
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
