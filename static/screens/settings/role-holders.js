// Who has a role: the users and the departments whose `role_ids` name it, each with a button
// that takes the role away, and a picker that gives it to one more. Assigning is a `PATCH` of
// that user's or department's `role_ids` with its `If-Match`; the section redraws itself alone,
// so unsaved changes to the role above it are kept.

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { alertBox } from "./kit.js";

/** The two kinds of holder: where they live in the API and how the section names them. */
const KINDS = [
  { key: "users", path: "/api/users", query: { "filter[active]": "true" } },
  { key: "departments", path: "/api/departments", query: {} },
];

/** The section for `role`; it loads its lists itself. */
export function holdersSection(role) {
  const body = el`<div class="holders" aria-busy="true"></div>`;
  const alert = alertBox();
  const section = el`<section class="settings-block" aria-labelledby="holders-title">
    <h2 id="holders-title" tabindex="-1">${t("roles.holders")}</h2>
    <p class="hint">${t("roles.holders_hint")}</p>
    ${alert}${body}
  </section>`;

  const change = async (kind, holder, roleIds, message) => {
    alert.hidden = true;
    try {
      await api(`${kind.path}/${holder.id}`, { method: "PATCH", body: { role_ids: roleIds }, ifMatch: holder.version });
      announce(message);
      await refresh();
      // The button pressed is gone with the redraw: keep the keyboard in the section.
      section.querySelector("h2").focus();
    } catch (error) {
      alert.textContent = error.stale ? t("settings.stale") : errorMessage(error);
      alert.hidden = false;
      alert.focus();
    }
  };

  const list = (kind, items) => {
    const holders = items.filter((x) => (x.role_ids || []).includes(role.id));
    const others = items.filter((x) => !(x.role_ids || []).includes(role.id));
    const pick = `assign-${kind.key}`;
    const select = el`<select id=${pick}>${others.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>`;
    const assign = () => {
      const holder = others.find((x) => String(x.id) === select.value);
      if (holder) change(kind, holder, [...(holder.role_ids || []), role.id], t("roles.assigned", { name: holder.name }));
    };
    return html`<div class="holder-list">
      <h3>${t(`roles.${kind.key}`)}</h3>
      ${holders.length
        ? html`<ul class="plain">${holders.map((x) => html`<li class="inline">
            <span>${x.name}</span>
            <button type="button" class="secondary small" aria-label=${t("roles.unassign_label", { name: x.name })}
              @click=${() => change(kind, x, x.role_ids.filter((id) => id !== role.id), t("roles.unassigned", { name: x.name }))}>${t("roles.unassign")}</button>
          </li>`)}</ul>`
        : html`<p class="muted">${t(`roles.no_${kind.key}`)}</p>`}
      ${others.length
        ? html`<div class="inline">
            <label for=${pick}>${t(`roles.add_${kind.key}`)}</label>${select}
            <button type="button" class="secondary" @click=${assign}>${t(`roles.assign_${kind.key}`)}</button>
          </div>`
        : null}
    </div>`;
  };

  async function refresh() {
    try {
      const lists = await Promise.all(KINDS.map((k) => apiAll(k.path, k.query)));
      mount(body, KINDS.map((kind, i) => list(kind, lists[i])));
    } catch (error) {
      mount(body, el`<p class="notice error" role="alert">${errorMessage(error)}</p>`);
    } finally {
      body.removeAttribute("aria-busy");
    }
  }
  refresh();
  return section;
}
