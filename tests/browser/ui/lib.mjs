// Steps the UI scenarios share, written as a person uses the app.

import { readdirSync } from "node:fs";

/** Every message area of every language (`static/i18n/<lang>/<area>.js`), merged per language. */
const I18N = new URL("../../../static/i18n/", import.meta.url);
const CATALOGS = {};
for (const lang of ["en", "ru"]) {
  CATALOGS[lang] = {};
  for (const file of readdirSync(new URL(`${lang}/`, I18N))) {
    Object.assign(CATALOGS[lang], (await import(new URL(`${lang}/${file}`, I18N))).default);
  }
}

/**
 * The app's own messages in `lang` (`static/i18n/<lang>/*.js`), for scenarios that run in either
 * language: `t(key, params)` fills `{name}` placeholders and picks plural forms by `count`.
 */
export function messages(lang) {
  return (key, params = {}) => {
    let text = CATALOGS[lang][key];
    if (text === undefined) throw new Error(`no message ${key} in ${lang}`);
    if (typeof text === "object") text = text[new Intl.PluralRules(lang).select(params.count ?? 0)] ?? text.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
  };
}

/**
 * Signs in on the sign-in page (opening it if needed) and waits for the start page or `next`;
 * `config.lang` names the page's language (English unless given).
 */
export async function signIn(page, config, email = config.email, password = config.password) {
  const t = messages(config.lang || "en");
  if (!page.url().includes("/login")) await page.goto(`${config.base}/login`);
  await page.getByLabel(t("login.email")).fill(email);
  await page.getByLabel(t("login.password")).fill(password);
  await page.getByRole("button", { name: t("login.submit") }).click();
  await page.getByRole("navigation", { name: t("nav.label") }).waitFor();
}

/** Opens a screen by its address and waits for its heading. */
export async function open(page, config, path, heading) {
  await page.goto(config.base + path);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** The visible rows of the records table (header excluded), as their title links' texts. */
export async function rowTitles(page) {
  const table = page.getByRole("table");
  if (!(await table.count())) return [];
  return table.getByRole("rowheader").allInnerTexts();
}

/** Waits until `fn()` is truthy (polling), failing with `message` after the timeout. */
export async function eventually(fn, message, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`never happened: ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
