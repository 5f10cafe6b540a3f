// A small search picker for linked records: a search box and a list box of the matches (by the
// list's full-text `q`), so people choose a company or a contact by name instead of typing ids.
// `picker.value` is the chosen id (a number) or null; `multiple` keeps several.

import { api } from "../api.js";
import { el, html, mount } from "./html.js";
import { t } from "../i18n/i18n.js";
import { titleOf } from "./reference.js";

let serial = 0;

/** `resource`: `companies`, `contacts`, ...; `chosen`: `[{id, title}]` already linked. */
export function recordPicker(resource, label, { multiple = false, chosen = [], id } = {}) {
  const n = id || `pick-${++serial}`;
  const search = el`<input type="search" id=${n} autocomplete="off" placeholder=${t("picker.type")}>`;
  const results = el`<select id=${`${n}-results`} size="4" aria-label=${t("picker.results", { label })} ?multiple=${multiple}></select>`;
  const status = el`<span class="muted" role="status" aria-live="polite"></span>`;
  const box = el`<div class="picker">
    <label for=${n}>${label}</label>${search}${results}${status}
  </div>`;
  const known = new Map(chosen.map((c) => [c.id, c.title]));
  function fill(items) {
    const selected = new Set([...results.selectedOptions].map((o) => Number(o.value)));
    for (const c of chosen) selected.add(c.id);
    chosen = [];
    const rows = [...items];
    for (const idKnown of selected) if (!rows.some((r) => r.id === idKnown)) rows.unshift({ id: idKnown, title: known.get(idKnown) });
    mount(results, rows.map((r) => html`<option value=${r.id} ?selected=${selected.has(r.id)}>${r.title || `#${r.id}`}</option>`));
    status.textContent = t("search.count", { count: items.length });
  }
  let timer;
  let controller;
  async function find() {
    controller?.abort();
    controller = new AbortController();
    const q = search.value.trim();
    try {
      const page = await api(`/api/${resource}`, { query: { ...(q ? { q } : {}), limit: 10 }, signal: controller.signal });
      const items = (page.items || []).map((r) => ({ id: r.id, title: titleOf(resource, r) }));
      for (const i of items) known.set(i.id, i.title);
      fill(items);
    } catch {
      /* aborted or failed: keep what is shown */
    }
  }
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && results.options.length) {
      e.preventDefault();
      results.focus();
      if (results.selectedIndex < 0 && !multiple) results.selectedIndex = 0;
    }
  });
  fill([]);
  find();
  for (const c of chosen) {
    if (c.title) continue;
    api(`/api/${resource}/${c.id}`).then(
      (r) => {
        known.set(c.id, titleOf(resource, r));
        const option = [...results.options].find((o) => Number(o.value) === c.id);
        if (option) option.textContent = known.get(c.id);
      },
      () => {},
    );
  }
  Object.defineProperty(box, "value", {
    get() {
      const ids = [...results.selectedOptions].map((o) => Number(o.value));
      return multiple ? ids : (ids[0] ?? null);
    },
  });
  box.results = results;
  return box;
}
