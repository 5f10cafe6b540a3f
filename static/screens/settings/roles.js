// Roles (`/settings/roles`): every role with its code, whether it is a system role, and how
// many users and departments have it; a role's own page (`/settings/roles/<id>`, or `new`) is
// `role.js`.

import { apiAll } from "../../api.js";
import { html } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { page, table } from "./kit.js";

export default async function roles(ctx) {
  if (ctx.id) return (await import("./role.js")).default(ctx);
  const [items, users, departments] = await Promise.all([apiAll("/api/roles"), apiAll("/api/users"), apiAll("/api/departments")]);
  const having = (list, role) => list.filter((x) => (x.role_ids || []).includes(role.id)).length;
  const columns = [
    {
      label: t("settings.name"),
      head: true,
      value: (r) => html`<a href=${`/settings/roles/${r.id}`}>${r.name}</a>${r.is_system ? html` <span class="badge">${t("roles.system")}</span>` : null}`,
    },
    { label: t("roles.code"), value: (r) => html`<code>${r.code}</code>` },
    { label: t("roles.users"), value: (r) => String(having(users, r)) },
    { label: t("roles.departments"), value: (r) => String(having(departments, r)) },
  ];
  return page(
    t("settings.section.roles"),
    html`<a class="button" href="/settings/roles/new">${t("roles.new")}</a>`,
    html`<p class="hint">${t("roles.list_hint")}</p>`,
    table(items, columns, { caption: t("settings.section.roles") }),
  );
}
