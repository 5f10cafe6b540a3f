// The settings area (`/settings/<section>`), for people with the `settings` permission: a
// sub-navigation of sections, each a module of this folder loaded when first opened, whose
// default export is `async (ctx) => Node` with `ctx.id` the item in the address, if any.
// Everyone signed in may open the personal sections (their own REST webhooks), and sees only
// those.

import { html } from "../../ui/html.js";
import { t, useMessages } from "../../i18n/i18n.js";
import { can } from "../../ui/reference.js";

/** The sections in the order the sub-navigation shows them. */
const SECTIONS = [
  ["users", () => import("./users.js")],
  ["departments", () => import("./departments.js")],
  ["roles", () => import("./roles.js")],
  ["pipelines", () => import("./pipelines.js")],
  ["dictionaries", () => import("./dictionaries.js")],
  ["currencies", () => import("./currencies.js")],
  ["custom-fields", () => import("./custom-fields.js")],
  ["forms", () => import("./forms.js")],
  ["order-sources", () => import("./order-sources.js")],
  ["rest-hooks", () => import("./rest-hooks.js")],
  ["webhooks", () => import("./webhooks.js")],
  ["audit", () => import("./audit.js")],
  ["firm", () => import("./firm.js")],
];

/** The sections about one's own things, open to everyone signed in. */
const PERSONAL = new Set(["rest-hooks"]);

export async function settingsScreen(ctx) {
  await useMessages("settings", "access", "forms", "orders", "webhooks");
  const open = can(ctx.me, "settings", "read") ? SECTIONS : SECTIONS.filter(([name]) => PERSONAL.has(name));
  const [key = open[0][0], id = null] = ctx.params;
  const section = open.find(([name]) => name === key);
  if (!section && SECTIONS.some(([name]) => name === key)) {
    return html`<section class="screen"><h1>${t("nav.settings")}</h1><p class="notice error" role="alert">${t("error.forbidden")}</p></section>`;
  }
  if (!section) {
    return html`<section class="screen"><h1>${t("error.not_found")}</h1><p><a href="/settings">${t("nav.settings")}</a></p></section>`;
  }
  const module = await section[1]();
  const view = await module.default({ ...ctx, id });
  return html`<div class="screen settings">
    <nav class="subnav" aria-label=${t("settings.sections")}>
      <ul>${open.map(([name]) => html`<li><a href=${`/settings/${name}`} aria-current=${name === key ? "page" : null}>${t(`settings.section.${name}`)}</a></li>`)}</ul>
    </nav>
    <div class="settings-body">${view}</div>
  </div>`;
}
