// Settings, for those with the `settings` permission: for now the people and their roles (the
// full settings screens come later; the API already has them all).

import { apiAll } from "../api.js";
import { html } from "../ui/html.js";
import { t, formatDateTime } from "../i18n/i18n.js";
import { can } from "../ui/reference.js";

export async function settingsScreen({ me }) {
  if (!can(me, "settings", "read")) {
    return html`<section class="screen"><h1>${t("nav.settings")}</h1><p class="notice error" role="alert">${t("error.forbidden")}</p></section>`;
  }
  const [users, roles] = await Promise.all([apiAll("/api/users"), apiAll("/api/roles")]);
  const roleName = (id) => roles.find((r) => r.id === id)?.name || `#${id}`;
  return html`<section class="screen">
    <h1>${t("nav.settings")}</h1>
    <h2>${t("settings.users")}</h2>
    <div class="table-wrap"><table class="records">
      <thead><tr><th scope="col">${t("settings.name")}</th><th scope="col">${t("login.email")}</th>
        <th scope="col">${t("settings.roles")}</th><th scope="col">${t("settings.active")}</th><th scope="col">${t("meta.created_at")}</th></tr></thead>
      <tbody>${users.map((u) => html`<tr>
        <th scope="row">${u.name}</th>
        <td data-label=${t("login.email")}><a href=${`mailto:${u.email}`}>${u.email}</a></td>
        <td data-label=${t("settings.roles")}>${(u.role_ids || []).map(roleName).join(", ")}</td>
        <td data-label=${t("settings.active")}>${u.active ? t("yes") : t("no")}</td>
        <td data-label=${t("meta.created_at")}>${formatDateTime(u.created_at)}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}
