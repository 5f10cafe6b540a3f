// Departments (`/settings/departments`): the firm's tree as nested lists, each department with
// its head, members and roles. Add and edit in a dialog (name, parent, head, order, roles).
// A department moves under another by drag and drop (onto a department, or onto the top-level
// area) or, from the keyboard, by its Move button (a dialog picking the parent); a move the API
// refuses (a cycle: under itself or below itself) is shown with the API's reason. Deleting is
// refused while a department has members or sub-departments, and the reason is shown.

import { api, apiAll } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { page, editDialog, confirmThen, alertBox } from "./kit.js";

/** Departments by parent id (`null`: the top level), each list in the order shown. */
function byParent(items) {
  const children = new Map();
  const known = new Set(items.map((d) => d.id));
  for (const d of items) {
    const parent = known.has(d.parent_id) ? d.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(d);
  }
  for (const list of children.values()) list.sort((a, b) => a.sort - b.sort || a.name.localeCompare(b.name));
  return children;
}

/** Every department in tree order with its depth, for the parent picker. */
function flatten(children, parent = null, depth = 0, out = []) {
  for (const d of children.get(parent) || []) {
    out.push({ d, depth });
    flatten(children, d.id, depth + 1, out);
  }
  return out;
}

/** The API's reason for a refusal: its field messages if any, else its message. */
function reason(error) {
  const fields = Object.values(error?.fields || {});
  return fields.length ? fields.join("; ") : errorMessage(error);
}

export default async function departments(ctx) {
  const [items, users, roles] = await Promise.all([apiAll("/api/departments"), apiAll("/api/users"), apiAll("/api/roles")]);
  const children = byParent(items);
  const byId = new Map(items.map((d) => [d.id, d]));
  const userName = (id) => users.find((u) => u.id === id)?.name || "";
  const roleName = (id) => roles.find((r) => r.id === id)?.name || `#${id}`;
  const alert = alertBox();

  const parentField = (self) => ({
    name: "parent_id",
    label: t("departments.parent"),
    kind: "select",
    numeric: true,
    hint: t("departments.parent_hint"),
    options: flatten(children)
      .filter(({ d }) => d.id !== self?.id)
      .map(({ d, depth }) => ({ value: d.id, label: `${"— ".repeat(depth)}${d.name}` })),
  });
  const fields = (self) => [
    { name: "name", label: t("settings.name"), required: true },
    parentField(self),
    { name: "head_user_id", label: t("departments.head"), kind: "select", numeric: true, options: users.filter((u) => u.active).map((u) => ({ value: u.id, label: u.name })) },
    { name: "sort", label: t("settings.sort"), kind: "number", initial: 100 },
    { name: "role_ids", label: t("settings.roles"), kind: "select", multiple: true, numeric: true, hint: t("departments.roles_hint"), options: roles.map((r) => ({ value: r.id, label: r.name })) },
  ];

  const create = async () => {
    if (await editDialog(t("departments.new"), fields(null), null, (body) => api("/api/departments", { method: "POST", body }))) ctx.rerender();
  };
  const save = (d) => (body) => api(`/api/departments/${d.id}`, { method: "PATCH", body, ifMatch: d.version });
  const edit = async (d) => {
    if (await editDialog(t("departments.edit"), fields(d), d, save(d))) ctx.rerender();
  };
  const moveByDialog = async (d) => {
    if (await editDialog(t("departments.move_title", { name: d.name }), [parentField(d)], d, save(d))) ctx.rerender();
  };
  /** A drop: `d` under `parent` (null: top level). */
  const moveTo = async (d, parent) => {
    if ((d.parent_id ?? null) === (parent?.id ?? null) || d.id === parent?.id) return;
    alert.hidden = true;
    try {
      await api(`/api/departments/${d.id}`, { method: "PATCH", body: { parent_id: parent?.id ?? null }, ifMatch: d.version });
      announce(parent ? t("departments.moved", { name: d.name, parent: parent.name }) : t("departments.moved_top", { name: d.name }));
      ctx.rerender();
    } catch (error) {
      alert.textContent = t("departments.not_moved", { name: d.name, reason: error.stale ? t("error.stale") : reason(error) });
      alert.hidden = false;
      alert.focus();
    }
  };
  const remove = async (d) => {
    const question = t("departments.delete_confirm", { name: d.name });
    if (await confirmThen(question, t("departments.delete"), () => api(`/api/departments/${d.id}`, { method: "DELETE", ifMatch: d.version }), alert)) ctx.rerender();
  };

  /** Makes `target` a drop zone that puts the dragged department under `parent`. */
  const dropZone = (target, parent) => {
    target.addEventListener("dragover", (e) => {
      if (!e.dataTransfer.types.includes("application/x-department")) return;
      e.preventDefault();
      e.stopPropagation();
      e.dataTransfer.dropEffect = "move";
      target.classList.add("drop");
    });
    target.addEventListener("dragleave", () => target.classList.remove("drop"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      e.stopPropagation();
      target.classList.remove("drop");
      const dragged = byId.get(Number(e.dataTransfer.getData("application/x-department")));
      if (dragged) moveTo(dragged, parent);
    });
  };

  const node = (d) => {
    const members = users.filter((u) => u.department_id === d.id).length;
    const row = el`<div class="dept-row" draggable="true">
      <span class="grip" aria-hidden="true">⠿</span>
      <div class="dept-info">
        <strong class="dept-name">${d.name}</strong>
        <span class="muted small">${[
          t("departments.members", { count: members }),
          d.head_user_id ? t("departments.head_is", { name: userName(d.head_user_id) }) : null,
          d.role_ids?.length ? t("departments.roles_are", { names: d.role_ids.map(roleName).join(", ") }) : null,
        ].filter(Boolean).join(" · ")}</span>
      </div>
      <div class="actions">
        <button type="button" class="secondary small" aria-label=${t("departments.move_label", { name: d.name })} @click=${() => moveByDialog(d)}>${t("departments.move")}</button>
        <button type="button" class="secondary small" aria-label=${t("settings.edit_item", { name: d.name })} @click=${() => edit(d)}>${t("edit")}</button>
        <button type="button" class="secondary small" aria-label=${t("departments.delete_label", { name: d.name })} @click=${() => remove(d)}>${t("departments.delete")}</button>
      </div>
    </div>`;
    row.addEventListener("dragstart", (e) => {
      e.stopPropagation();
      e.dataTransfer.setData("application/x-department", String(d.id));
      e.dataTransfer.effectAllowed = "move";
      row.classList.add("dragging");
    });
    row.addEventListener("dragend", () => row.classList.remove("dragging"));
    dropZone(row, d);
    return html`<li>${row}${branch(d.id)}</li>`;
  };
  const branch = (parent) => {
    const list = children.get(parent);
    return list?.length ? html`<ul class="dept-tree">${list.map(node)}</ul>` : null;
  };

  const top = el`<p class="dept-top">${t("departments.top")}</p>`;
  dropZone(top, null);
  const tree = items.length
    ? el`<div class="dept-tree-wrap" role="group" aria-label=${t("departments.tree")}>${top}${branch(null)}</div>`
    : el`<p class="muted">${t("departments.empty")}</p>`;
  return page(
    t("settings.section.departments"),
    html`<button type="button" @click=${create}>${t("departments.new")}</button>`,
    html`<p class="hint">${t("departments.hint")}</p>`,
    alert,
    tree,
  );
}
