// Users: who works in the CRM, their department, roles and language; create, edit,
// deactivate and reactivate (users are never deleted: their records keep their name).

import { api, apiAll } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, formatDateTime } from "../../i18n/i18n.js";
import { page, table, editDialog, confirmThen, attempt, alertBox } from "./kit.js";

export default async function users(ctx) {
  const [items, departments, roles] = await Promise.all([apiAll("/api/users"), apiAll("/api/departments"), apiAll("/api/roles")]);
  const departmentName = (id) => departments.find((d) => d.id === id)?.name || "";
  const roleName = (id) => roles.find((r) => r.id === id)?.name || `#${id}`;
  const fields = [
    { name: "name", label: t("settings.name"), required: true },
    { name: "email", label: t("users.email"), kind: "email", required: true },
    { name: "password", label: t("users.password"), kind: "password", required: true, create: true, hint: t("users.password_hint") },
    { name: "department_id", label: t("users.department"), kind: "select", numeric: true, options: departments.map((d) => ({ value: d.id, label: d.name })) },
    { name: "position", label: t("users.position") },
    { name: "role_ids", label: t("settings.roles"), kind: "select", multiple: true, numeric: true, options: roles.map((r) => ({ value: r.id, label: r.name })) },
    { name: "language", label: t("users.language"), kind: "select", required: true, initial: "en", options: [{ value: "en", label: "English" }, { value: "ru", label: "Русский" }] },
    { name: "time_zone", label: t("users.time_zone"), initial: "UTC", hint: t("users.time_zone_hint") },
  ];
  const alert = alertBox();
  const create = async () => {
    if (await editDialog(t("users.new"), fields, null, (body) => api("/api/users", { method: "POST", body }))) ctx.rerender();
  };
  const edit = async (user) => {
    const save = (body) => api(`/api/users/${user.id}`, { method: "PATCH", body, ifMatch: user.version });
    if (await editDialog(t("users.edit"), fields, user, save)) ctx.rerender();
  };
  const toggle = async (user) => {
    const done = user.active
      ? await confirmThen(t("users.deactivate_confirm", { name: user.name }), t("users.deactivate", { name: user.name }), () =>
          api(`/api/users/${user.id}`, { method: "DELETE", ifMatch: user.version }), alert)
      : await attempt(alert, () => api(`/api/users/${user.id}`, { method: "PATCH", body: { active: true }, ifMatch: user.version }));
    if (done) ctx.rerender();
  };
  const columns = [
    { label: t("settings.name"), head: true, value: (u) => u.name },
    { label: t("users.email"), value: (u) => html`<a href=${`mailto:${u.email}`}>${u.email}</a>` },
    { label: t("users.department"), value: (u) => departmentName(u.department_id) },
    { label: t("settings.roles"), value: (u) => (u.role_ids || []).map(roleName).join(", ") },
    { label: t("users.status"), value: (u) => statusCell(u, ctx.me, toggle) },
    { label: t("meta.created_at"), value: (u) => formatDateTime(u.created_at) },
  ];
  return page(
    t("settings.section.users"),
    html`<button type="button" @click=${create}>${t("users.new")}</button>`,
    alert,
    table(items, columns, { onEdit: edit }),
  );
}

/** Active or not, with the button that changes it (never on oneself). */
function statusCell(user, me, toggle) {
  const label = user.active ? t("users.deactivate", { name: user.name }) : t("users.reactivate", { name: user.name });
  return el`<span class="status-cell">${user.active ? t("settings.active") : t("settings.inactive")}
    ${user.id === me.id ? null : html`<button type="button" class="link" @click=${() => toggle(user)}>${label}</button>`}</span>`;
}
