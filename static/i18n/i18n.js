// Messages and formats in the chosen language. The language comes from the browser unless the
// person picked one (remembered in localStorage); `Intl` formats dates, numbers, money and
// picks plural forms. Names that come from the API as `{en, ru}` go through `loc()`.

import { CATALOGS } from "./catalogs.js";

const en = CATALOGS.en;
export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "ru", name: "Русский" },
];
const KEY = "crm.lang";

function detect() {
  const saved = localStorage.getItem(KEY);
  if (saved && CATALOGS[saved]) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (CATALOGS[base]) return base;
  }
  return "en";
}

let current = detect();
document.documentElement.lang = current;

export function lang() {
  return current;
}

export function setLang(code) {
  if (!CATALOGS[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
}

/** The message `key` with `{name}` placeholders filled; plural messages pick by `count`. */
export function t(key, params = {}) {
  let message = CATALOGS[current][key] ?? en[key];
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
