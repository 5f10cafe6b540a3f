// Messages and formats in the chosen language. The language comes from the browser unless the
// person picked one (remembered in localStorage); `Intl` formats dates, numbers, money and
// picks plural forms. Names that come from the API as `{en, ru}` go through `loc()`.
//
// Messages live in areas, `./<lang>/<area>.js` (the same keys in every language): only the
// chosen language's are fetched, `app` before the first screen and the others when a screen
// that needs them asks (`useMessages("settings")`), so a first visit loads one language of
// the work screens' messages and nothing of the settings'.

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "ru", name: "Русский" },
];
const KEY = "crm.lang";
const known = (code) => LANGUAGES.some((l) => l.code === code);

/** Messages by language, as far as loaded, and which areas are wanted. */
const catalogs = Object.fromEntries(LANGUAGES.map((l) => [l.code, {}]));
const loaded = new Set();
const areas = new Set(["app"]);

function detect() {
  const saved = localStorage.getItem(KEY);
  if (saved && known(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (known(base)) return base;
  }
  return "en";
}

let current = detect();
document.documentElement.lang = current;

/** Fetches the wanted areas of language `code` not loaded yet. */
async function load(code) {
  const missing = [...areas].filter((area) => !loaded.has(`${code}/${area}`));
  await Promise.all(
    missing.map(async (area) => {
      const module = await import(`./${code}/${area}.js`);
      Object.assign(catalogs[code], module.default);
      loaded.add(`${code}/${area}`);
    }),
  );
}

/** Makes the messages of `names` (areas) available in the current language. */
export function useMessages(...names) {
  for (const name of names) areas.add(name);
  return load(current);
}

export function lang() {
  return current;
}

/** Switches to language `code` once its messages are loaded. */
export async function setLang(code) {
  if (!known(code)) return;
  // Remembered at once, so a reload while the messages load still opens in the chosen language.
  localStorage.setItem(KEY, code);
  await load(code);
  current = code;
  document.documentElement.lang = code;
}

/** The message `key` with `{name}` placeholders filled; plural messages pick by `count`. */
export function t(key, params = {}) {
  let message = catalogs[current][key];
  if (message === undefined) return key;
  if (typeof message === "object") {
    const form = new Intl.PluralRules(current).select(Number(params.count ?? 0));
    message = message[form] ?? message.other;
  }
  return message.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    if (value === undefined || value === null) return "";
    return typeof value === "number" ? formatNumber(value) : String(value);
  });
}

/** A `{en, ru}` name from the API in the current language. */
export function loc(name) {
  if (name === null || name === undefined) return "";
  if (typeof name === "string") return name;
  return name[current] || name.en || Object.values(name)[0] || "";
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(current, options).format(value);
}

/** A decimal string (never a float) with its currency, e.g. "1250.50" RUB. */
export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "";
  try {
    return moneyFormat(currency).format(amount);
  } catch {
    return `${amount} ${currency || ""}`.trim();
  }
}

/** One `Intl.NumberFormat` per language and currency (a board draws hundreds of amounts). */
const moneyFormats = new Map();
function moneyFormat(currency) {
  const key = `${current}:${currency || ""}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(current, currency ? { style: "currency", currency } : { minimumFractionDigits: 2 });
    moneyFormats.set(key, format);
  }
  return format;
}

export function formatDate(value) {
  if (!value) return "";
  const [y, m, d] = String(value).slice(0, 10).split("-").map(Number);
  if (!y) return String(value);
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeZone: "UTC" }).format(Date.UTC(y, m - 1, d));
}

export function formatDateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** "in 3 minutes" / "через 3 минуты" for a number of seconds. */
export function formatWait(seconds) {
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  if (seconds < 60) return rtf.format(Math.max(1, Math.round(seconds)), "second");
  if (seconds < 3600) return rtf.format(Math.ceil(seconds / 60), "minute");
  return rtf.format(Math.ceil(seconds / 3600), "hour");
}
