// The frame around every screen: navigation (only what the role may read), the global search,
// the person's menu with sign-out, and the language switch. Also the polite live region that
// announces async results.

import { html, el, mount } from "./html.js";
import { t, lang, LANGUAGES } from "../i18n/i18n.js";
import { api } from "../api.js";
import { ENTITIES, can, titleOf } from "./reference.js";

const NAV = ["leads", "contacts", "companies", "deals", "activities", "products"];
const SEARCHED = ["leads", "contacts", "companies", "deals"];
/** The lists an import may fill: the nav offers the import wizard when any of them may be. */
const IMPORTED = ["leads", "contacts", "companies", "deals", "products"];

/** Says `text` to screen readers (and shows it briefly for everyone). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A new text node after a tick so the same message is read again.
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}

export function renderShell({ me, path, onLanguage, onLogout }) {
  const header = document.getElementById("header");
  const skip = document.querySelector(".skip-link");
  if (skip) skip.textContent = t("skip");
  const languageSelect = html`<label class="lang">
    <span class="visually-hidden">${t("language")}</span>
    <select aria-label=${t("language")} @change=${(e) => onLanguage(e.target.value)}>
      ${LANGUAGES.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === lang()}>${l.name}</option>`)}
    </select>
  </label>`;
  if (!me) {
    mount(header, html`<a class="brand" href="/">CRM</a><span class="spacer"></span>${languageSelect}`);
    return;
  }
  const section = path.split("/")[1] || "";
  const links = NAV.filter((r) => can(me, ENTITIES[r].perm, "read"));
  const nav = html`<nav aria-label=${t("nav.label")} class="mainnav">
    <ul>
      <li><a href="/" aria-current=${section === "" ? "page" : null}>${t("nav.home")}</a></li>
      ${links.map((r) => html`<li><a href=${`/${r}`} aria-current=${section === r ? "page" : null}>${t(`nav.${r}`)}</a></li>`)}
      <li><a href="/reports" aria-current=${section === "reports" ? "page" : null}>${t("nav.reports")}</a></li>
      ${IMPORTED.some((r) => can(me, ENTITIES[r].perm, "import"))
        ? html`<li><a href="/imports" aria-current=${section === "imports" ? "page" : null}>${t("nav.imports")}</a></li>`
        : null}
      ${can(me, "settings", "read")
        ? html`<li><a href="/settings" aria-current=${section === "settings" ? "page" : null}>${t("nav.settings")}</a></li>`
        : null}
    </ul>
  </nav>`;
  const userMenu = html`<details class="usermenu">
    <summary aria-label=${t("user_menu", { name: me.name })}>${me.name}</summary>
    <div class="menu">
      <p class="muted">${me.email}</p>
      <a href="/profile">${t("profile.menu")}</a>
      <button type="button" @click=${onLogout}>${t("logout")}</button>
    </div>
  </details>`;
  const search = document.createElement("crm-search");
  search.me = me;
  mount(header, html`<a class="brand" href="/">CRM</a>${search}${languageSelect}${userMenu}`, nav);
}

/** `<crm-search>`: the global search over leads, contacts, companies and deals. */
class CrmSearch extends HTMLElement {
  connectedCallback() {
    this.active = -1;
    this.options = [];
    this.input = el`<input type="search" id="global-search" role="combobox" aria-autocomplete="list"
      aria-expanded="false" aria-controls="search-results" autocomplete="off" placeholder=${t("search.placeholder")}
      aria-label=${t("search.label")}>`;
    this.panel = el`<div id="search-results" class="search-results" role="listbox" aria-label=${t("search.results")} hidden></div>`;
    this.status = el`<span class="visually-hidden" role="status" aria-live="polite"></span>`;
    mount(this, html`<form role="search" class="search" @submit=${(e) => e.preventDefault()}>${this.input}${this.panel}${this.status}</form>`);
    this.input.addEventListener("input", () => this.schedule());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("focus", () => this.options.length && this.open(true));
    this.addEventListener("focusout", (e) => {
      if (!this.contains(e.relatedTarget)) this.open(false);
    });
  }

  open(show) {
    this.panel.hidden = !show;
    this.input.setAttribute("aria-expanded", String(show));
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(this.input.value.trim()), 250);
  }

  async search(q) {
    this.controller?.abort();
    if (q.length < 2) {
      this.show([]);
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    const resources = SEARCHED.filter((r) => can(this.me, ENTITIES[r].perm, "read"));
    const pages = await Promise.all(
      resources.map((r) =>
        api(`/api/${r}`, { query: { q, limit: 5 }, signal: controller.signal }).then(
          (page) => ({ resource: r, items: page.items || [] }),
          (error) => ({ resource: r, items: [], error }),
        ),
      ),
    );
    if (controller.signal.aborted) return;
    this.show(pages, q);
  }

  show(groups) {
    this.options = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    const found = groups.filter((g) => g.items.length);
    const total = found.reduce((n, g) => n + g.items.length, 0);
    if (!groups.length) {
      mount(this.panel);
      this.open(false);
      return;
    }
    let n = 0;
    mount(
      this.panel,
      total === 0
        ? html`<p class="muted empty">${t("search.none")}</p>`
        : found.map(
            (g) => html`<div role="group" aria-labelledby=${`sg-${g.resource}`}>
              <h3 id=${`sg-${g.resource}`} class="group" role="presentation">${t(`nav.${g.resource}`)}</h3>
              ${g.items.map((item) => {
                const id = `so-${n++}`;
                const option = el`<a role="option" id=${id} href=${`/${g.resource}/${item.id}`} tabindex="-1"
                  aria-selected="false">${titleOf(g.resource, item)}</a>`;
                option.addEventListener("click", () => {
                  this.open(false);
                });
                this.options.push(option);
                return option;
              })}
            </div>`,
          ),
    );
    this.open(true);
    this.status.textContent = t("search.count", { count: total });
  }

  key(event) {
    if (event.key === "Escape") {
      this.open(false);
      return;
    }
    if (!this.options.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      this.open(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.options.length) % this.options.length;
      this.options.forEach((o, i) => o.setAttribute("aria-selected", String(i === this.active)));
      const current = this.options[this.active];
      this.input.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter" && this.active >= 0) {
      event.preventDefault();
      this.open(false);
      this.options[this.active].click();
    }
  }
}

customElements.define("crm-search", CrmSearch);
