// One role's page (`/settings/roles/<id>`, `/settings/roles/new`): name and code (a system
// role keeps its code), the permission matrix and the stage rules (`role-matrix.js`), saved
// together with `If-Match`; who has the role (`role-holders.js`); deleting it, which the API
// refuses for a system role or one still assigned (its reason is shown).

import { api, apiAll } from "../../api.js";
import { html } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { page, editForm, confirmThen, alertBox } from "./kit.js";
import { permissionsField, emptyMatrix } from "./role-matrix.js";
import { holdersSection } from "./role-holders.js";

/** The lead statuses, fresh (an administrator may have just changed them). */
async function leadStatuses() {
  const kinds = (await api("/api/dictionaries")).items || [];
  const kind = kinds.find((k) => k.stored_kind === "lead_status");
  return kind ? (await api(`/api/dictionaries/${kind.kind}`)).items || [] : [];
}

export default async function rolePage(ctx) {
  const creating = ctx.id === "new";
  const [role, statuses, pipelines, sample] = await Promise.all([
    creating ? null : api(`/api/roles/${ctx.id}`),
    leadStatuses(),
    apiAll("/api/pipelines"),
    creating ? api("/api/roles", { query: { limit: 1 } }).then((p) => p.items?.[0]?.permissions) : null,
  ]);
  const fields = [
    { name: "name", label: t("settings.name"), required: true },
    role?.is_system
      ? { name: "code", label: t("roles.code"), readonly: true, hint: t("roles.code_fixed") }
      : { name: "code", label: t("roles.code"), required: true, hint: t("roles.code_hint") },
    permissionsField({ statuses, pipelines, template: emptyMatrix(sample) }),
  ];
  const save = (body) =>
    creating ? api("/api/roles", { method: "POST", body }) : api(`/api/roles/${role.id}`, { method: "PATCH", body, ifMatch: role.version });
  const done = (saved) => (creating ? ctx.navigate(`/settings/roles/${saved.id}`) : ctx.rerender());
  const form = editForm(fields, role, save, done, {
    submitLabel: creating ? t("roles.create") : t("save"),
    stale: t("roles.stale"),
    onCancel: () => ctx.navigate("/settings/roles"),
  });
  form.classList.add("role-form");

  const alert = alertBox();
  const remove = async () => {
    const removed = await confirmThen(t("roles.delete_confirm", { name: role.name }), t("roles.delete"), () =>
      api(`/api/roles/${role.id}`, { method: "DELETE", ifMatch: role.version }), alert);
    if (removed) ctx.navigate("/settings/roles");
  };
  return page(
    creating ? t("roles.new") : t("roles.title", { name: role.name }),
    creating ? null : html`<button type="button" class="danger" @click=${remove}>${t("roles.delete")}</button>`,
    html`<p class="crumbs"><a href="/settings/roles">${t("roles.back")}</a>
      ${role?.is_system ? html` · <span class="badge">${t("roles.system")}</span>` : null}</p>`,
    alert,
    form,
    creating ? null : holdersSection(role),
  );
}
