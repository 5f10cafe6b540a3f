// The one list screen for every record entity, driven by `GET /api/<entity>/fields`: columns
// to choose, sort by a column, the filter panel, full-text search, saved views (`/api/views`),
// the API's keyset cursor ("load more"), the count, and multi-select with bulk actions. All of
// its state is in the URL: `q`, `filter[...]`, `sort` go to the API as they are; `cols` and
// `view` are the UI's own. The export menu downloads the same list (filter, sort, the title
// and the chosen columns) from `/api/exports/<entity>` as CSV, Excel, vCard or Outlook CSV.

import { api, ApiError } from "../api.js";
import { html, el, mount } from "../ui/html.js";
import { t, lang } from "../i18n/i18n.js";
import { ENTITIES, fieldsOf, lookupsFor, can, titleOf } from "../ui/reference.js";
import { fieldLabel, valueOf, display, choices, editable } from "../ui/fields.js";
import { filterPanel, filtersOf, filterKey, META_FIELDS } from "../ui/filters.js";
import { announce } from "../ui/shell.js";
import { errorMessage } from "../ui/forms.js";
import { confirmDialog, openDialog } from "../ui/dialog.js";

const UI_PARAMS = ["cols", "view"];
const PAGE = 50;
/** Fields a record's title already shows (the first column). */
const TITLE_FIELDS = ["title", "name", "subject", "first_name", "last_name"];
/** What each exportable list may be downloaded as (`/api/exports/<entity>?format=`). */
const EXPORTS = {
  leads: ["csv", "csv;", "xlsx", "vcard"],
  contacts: ["csv", "csv;", "xlsx", "vcard", "outlook"],
  companies: ["csv", "csv;", "xlsx"],
  deals: ["csv", "csv;", "xlsx"],
  products: ["csv", "csv;", "xlsx"],
};

/** The list's query for the API (and for saved views): the URL minus the UI's own params. */
function apiQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of params) if (!UI_PARAMS.includes(k)) q.append(k, v);
  return q;
}

/** The export download of the list `params` shows: its filter, `q` and sort, its title fields and columns. */
function exportUrl(resource, params, fields, kind) {
  const q = apiQuery(params);
  for (const key of ["cursor", "limit", "count"]) q.delete(key);
  if (kind !== "vcard" && kind !== "outlook") q.set("fields", fields.join(","));
  q.set("format", kind === "csv;" ? "csv" : kind);
  if (kind === "csv;") q.set("delimiter", ";");
  q.set("lang", lang());
  return `/api/exports/${resource}?${q}`;
}

export async function listScreen({ url, params: [resource], me, navigate }) {
  const { entity, perm } = ENTITIES[resource];
  const params = url.searchParams;
  // The records depend only on the URL: ask for them first, beside the fields and views.
  const query = apiQuery(params);
  query.set("limit", String(PAGE));
  query.set("count", "true");
  const records = api(`/api/${resource}`, { query }).then(
    (page) => ({ page }),
    (error) => ({ error }),
  );
  const [meta, views] = await Promise.all([
    fieldsOf(resource),
    api("/api/views", { query: { "filter[entity]": entity, limit: 200 } }).then((p) => p.items, () => []),
  ]);
  const allFields = [...meta.fields, ...META_FIELDS];
  const lookups = await lookupsFor(meta.fields, me);
  const byPath = new Map(allFields.map((f) => [f.path, f]));
  const defaultCols = meta.fields.filter((f) => f.show_in_list && !TITLE_FIELDS.includes(f.name)).map((f) => f.path);
  const cols = (params.get("cols") ? params.get("cols").split(",") : defaultCols).filter((c) => byPath.has(c));
  const columns = cols.map((c) => byPath.get(c));
  const sort = params.get("sort") || meta.default_sort;
  const viewId = params.get("view");
  const currentView = views.find((v) => String(v.id) === viewId);

  const mayUpdate = can(me, perm, "update");
  const mayDelete = can(me, perm, "delete");
  const canBulk = mayUpdate || mayDelete;

  /** Navigates to the list with params changed; `keepView` keeps the view marker. */
  function go(change, keepView = false) {
    const next = new URLSearchParams(params);
    change(next);
    next.delete("cursor");
    if (!keepView) next.delete("view");
    const qs = next.toString();
    navigate(`/${resource}${qs ? `?${qs}` : ""}`);
  }

  // --- the records ---
  const { page = null, error: loadError = null } = await records;
  if (loadError instanceof ApiError && loadError.status === 401) throw loadError;

  const selected = new Set();
  const tbody = el`<tbody></tbody>`;
  const bulkBar = el`<div class="bulkbar" role="region" aria-label=${t("bulk.label")} hidden></div>`;
  const countLine = el`<p class="count" role="status" aria-live="polite"></p>`;
  const more = el`<button type="button" class="secondary" hidden>${t("list.more")}</button>`;
  const selectAll = el`<input type="checkbox" aria-label=${t("list.select_all")}>`;
  let cursor = page?.next_cursor || null;

  function row(record) {
    const title = titleOf(resource, record);
    const box = el`<input type="checkbox" aria-label=${t("list.select_row", { title })}>`;
    box.checked = selected.has(record.id);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(record.id);
      else selected.delete(record.id);
      updateBulk();
    });
    return html`<tr>
      ${canBulk ? html`<td class="select">${box}</td>` : null}
      <th scope="row" class="title-cell"><a href=${`/${resource}/${record.id}`}>${title}</a></th>
      ${columns.map((f) => html`<td data-label=${f.meta ? t(`meta.${f.name}`) : fieldLabel(f)}>${display(f, f.meta ? record[f.name] : valueOf(record, f), record, lookups)}</td>`)}
    </tr>`;
  }

  function append(items) {
    for (const r of items) tbody.append(row(r));
  }

  function updateCount() {
    const shown = tbody.children.length;
    const total = page?.total ?? shown;
    countLine.textContent = t("list.count", { count: total, shown });
    more.hidden = !cursor;
  }

  async function loadMore() {
    if (more.disabled || !cursor) return;
    more.disabled = true;
    try {
      const next = new URLSearchParams(query);
      next.set("cursor", cursor);
      const nextPage = await api(`/api/${resource}`, { query: next });
      cursor = nextPage.next_cursor;
      append(nextPage.items);
      updateCount();
      announce(t("list.loaded_more", { count: nextPage.items.length }));
    } catch (error) {
      announce(errorMessage(error));
    } finally {
      more.disabled = false;
      // Observing again reports the button's position now: still in view means load the next page.
      nearEnd.unobserve(more);
      if (cursor) nearEnd.observe(more);
    }
  }
  more.addEventListener("click", loadMore);
  // Scrolling near the end loads the next page; the button stays for the keyboard and as a fallback.
  const nearEnd = new IntersectionObserver((entries) => {
    if (!more.isConnected) return nearEnd.disconnect();
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: "400px 0px" });
  nearEnd.observe(more);

  selectAll.addEventListener("change", () => {
    for (const box of tbody.querySelectorAll("td.select input")) {
      box.checked = selectAll.checked;
      box.dispatchEvent(new Event("change"));
    }
  });

  // --- bulk actions ---
  const settable = meta.fields.filter(
    (f) => editable(f, false) && f.name !== "responsible_id" && !["phones", "emails", "websites", "messengers", "record"].includes(f.type),
  );
  const hasOwner = meta.fields.some((f) => f.name === "responsible_id");

  async function runBulk(body, doneKey) {
    try {
      const answer = await api(`/api/${resource}/bulk`, { method: "POST", body: { ...body, ids: [...selected] } });
      const done = answer.ids?.length ?? selected.size;
      sessionStorage.setItem("crm.flash", t(doneKey, { count: done }));
      navigate(location.pathname + location.search, { replace: true });
    } catch (error) {
      const message = el`<p class="notice error" role="alert">${errorMessage(error)}${Object.entries(error.fields || {}).map(([f, m]) => ` ${f}: ${m}`)}</p>`;
      bulkBar.querySelector(".notice")?.remove();
      bulkBar.append(message);
    }
  }

  function bulkAssign() {
    const people = lookups.users || [];
    const control =
      people.length > 1
        ? el`<select id="bulk-user" required>${people.map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select>`
        : el`<input id="bulk-user" type="number" min="1" required .value=${String(me.id)}>`;
    return html`<form class="inline" @submit=${(e) => {
      e.preventDefault();
      runBulk({ action: "assign", responsible_id: Number(control.value) }, "bulk.assigned");
    }}>
      <label for="bulk-user">${t("bulk.assign_to")}</label>${control}
      <button type="submit">${t("bulk.assign")}</button>
    </form>`;
  }

  function bulkSet() {
    const fieldSelect = el`<select id="bulk-field">${settable.map((f) => html`<option value=${f.path}>${fieldLabel(f)}</option>`)}</select>`;
    let valueControl = el`<span></span>`;
    function fill() {
      const f = settable.find((x) => x.path === fieldSelect.value);
      const options = f && choices(f, lookups, null);
      const next = options
        ? el`<select id="bulk-value"><option value="">${t("none_option")}</option>${options.map((o) => html`<option value=${o.code}>${o.label}</option>`)}</select>`
        : el`<input id="bulk-value" type=${f?.type === "date" ? "date" : "text"}>`;
      valueControl.replaceWith(next);
      valueControl = next;
    }
    fieldSelect.addEventListener("change", fill);
    const form = html`<form class="inline" @submit=${(e) => {
      e.preventDefault();
      const f = settable.find((x) => x.path === fieldSelect.value);
      let value = valueControl.value === "" ? null : valueControl.value;
      if (f.type === "boolean") value = value === null ? null : value === "true";
      else if (f.type === "integer" || f.type === "user") value = value === null ? null : Number(value);
      const values = f.custom ? { custom: { [f.name]: value } } : { [f.name]: value };
      runBulk({ action: "set", values }, "bulk.updated");
    }}>
      <label for="bulk-field">${t("bulk.set_field")}</label>${fieldSelect}
      <label for="bulk-value">${t("bulk.to_value")}</label>${valueControl}
      <button type="submit">${t("bulk.set")}</button>
    </form>`;
    fill();
    return form;
  }

  function updateBulk() {
    bulkBar.hidden = selected.size === 0;
    if (selected.size === 0) return;
    const status = bulkBar.querySelector(".selected-count");
    if (status) {
      status.textContent = t("bulk.selected", { count: selected.size });
      return;
    }
    mount(
      bulkBar,
      html`<p class="selected-count" role="status">${t("bulk.selected", { count: selected.size })}</p>
        ${mayUpdate && hasOwner ? bulkAssign() : null}
        ${mayUpdate && settable.length ? bulkSet() : null}
        ${mayDelete
          ? html`<button type="button" class="danger" @click=${async () => {
              if (await confirmDialog(t("bulk.confirm_delete", { count: selected.size }), t("bulk.delete"))) {
                runBulk({ action: "delete" }, "bulk.deleted");
              }
            }}>${t("bulk.delete")}</button>`
          : null}`,
    );
  }

  // --- header cells with sorting ---
  function sortHeader(field, label) {
    const key = field ? field.path : null;
    if (!field || !field.sortable) return html`<th scope="col">${label}</th>`;
    const state = sort === key ? "ascending" : sort === `-${key}` ? "descending" : null;
    const nextSort = state === "ascending" ? `-${key}` : key;
    return html`<th scope="col" aria-sort=${state}>
      <button type="button" class="sort" @click=${() => go((p) => p.set("sort", nextSort))}>
        ${label}<span aria-hidden="true">${state === "ascending" ? " ▲" : state === "descending" ? " ▼" : ""}</span>
      </button>
    </th>`;
  }
  const titleField = meta.fields.find((f) => TITLE_FIELDS.includes(f.name));

  // --- export: the same rows, the title fields and the chosen columns ---
  const exportFields = [
    ...meta.fields.filter((f) => TITLE_FIELDS.includes(f.name)).map((f) => f.path),
    ...cols.filter((c) => !TITLE_FIELDS.includes(c)),
  ];
  const exportMenu =
    EXPORTS[resource] && can(me, perm, "export")
      ? html`<details class="dropdown export-menu">
          <summary>${t("export.label")}</summary>
          <ul class="panel-menu" role="list">
            ${EXPORTS[resource].map(
              (kind) => html`<li><a href=${exportUrl(resource, params, exportFields, kind)} download="" data-format=${kind}>${t(`export.${kind === "csv;" ? "csv_semicolon" : kind}`)}</a></li>`,
            )}
          </ul>
        </details>`
      : null;

  // --- toolbar: search, views, columns, filters ---
  const search = html`<form role="search" class="inline" @submit=${(e) => {
    e.preventDefault();
    const q = e.currentTarget.q.value.trim();
    go((p) => (q ? p.set("q", q) : p.delete("q")));
  }}>
    <label for="list-q" class="visually-hidden">${t("list.search", { what: t(`nav.${resource}`) })}</label>
    <input id="list-q" name="q" type="search" placeholder=${t("list.search", { what: t(`nav.${resource}`) })} .value=${params.get("q") || ""}>
    <button type="submit">${t("list.search_button")}</button>
  </form>`;

  const viewSelect = el`<select id="list-view">
    <option value="">${t("views.all")}</option>
    ${views.map((v) => html`<option value=${v.id} ?selected=${String(v.id) === viewId}>${v.name}${v.shared ? ` (${t("views.shared")})` : ""}</option>`)}
  </select>`;
  viewSelect.addEventListener("change", () => {
    const view = views.find((v) => String(v.id) === viewSelect.value);
    if (!view) {
      navigate(`/${resource}`);
      return;
    }
    const next = new URLSearchParams(view.query || "");
    if (view.columns?.length) next.set("cols", view.columns.join(","));
    next.set("view", String(view.id));
    navigate(`/${resource}?${next}`);
  });

  async function saveView() {
    const error = el`<p class="notice error" role="alert" hidden></p>`;
    const form = el`<form class="stack">
      <div class="field"><label for="view-name">${t("views.name")}</label><input id="view-name" name="name" required></div>
      <div class="field check"><input id="view-shared" name="shared" type="checkbox"><label for="view-shared">${t("views.share")}</label></div>
      ${error}
      <div class="actions">
        <button type="button" class="secondary" value="cancel">${t("cancel")}</button>
        <button type="submit">${t("save")}</button>
      </div>
    </form>`;
    form.querySelector('button[value="cancel"]').addEventListener("click", () => form.closest("dialog").close("cancel"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const q = apiQuery(params);
      q.delete("cursor");
      try {
        const view = await api("/api/views", {
          method: "POST",
          body: { entity, name: form.name.value.trim(), query: q.toString(), columns: cols, shared: form.shared.checked },
        });
        form.closest("dialog").close("saved");
        const next = new URLSearchParams(params);
        next.set("view", String(view.id));
        sessionStorage.setItem("crm.flash", t("views.saved", { name: view.name }));
        navigate(`/${resource}?${next}`, { replace: true });
      } catch (err) {
        error.textContent = Object.values(err.fields || {}).join("; ") || errorMessage(err);
        error.hidden = false;
      }
    });
    await openDialog(t("views.save_title"), form);
  }

  async function deleteView() {
    if (!(await confirmDialog(t("views.confirm_delete", { name: currentView.name }), t("delete")))) return;
    try {
      await api(`/api/views/${currentView.id}`, { method: "DELETE", ifMatch: currentView.version });
      navigate(`/${resource}`, { replace: true });
    } catch (error) {
      announce(errorMessage(error));
    }
  }

  const columnChooser = html`<details class="dropdown">
    <summary>${t("list.columns")}</summary>
    <form class="panel-menu" @change=${(e) => {
      const chosen = [...e.currentTarget.querySelectorAll("input:checked")].map((i) => i.value);
      go((p) => p.set("cols", chosen.join(",")), true);
    }}>
      <fieldset><legend>${t("list.columns")}</legend>
      ${allFields
        .filter((f) => !TITLE_FIELDS.includes(f.name) || f !== titleField)
        .map((f) => html`<label class="check"><input type="checkbox" value=${f.path} ?checked=${cols.includes(f.path)}>${f.meta ? t(`meta.${f.name}`) : fieldLabel(f)}</label>`)}
      </fieldset>
    </form>
  </details>`;

  const conditions = filtersOf(params);
  const filters = html`<details class="dropdown" ?open=${false}>
    <summary>${t("filter.title")}${conditions.length ? ` (${conditions.length})` : ""}</summary>
    <div class="panel-menu wide">
      ${filterPanel({
        fields: allFields.filter((f) => f.operators?.length),
        current: conditions,
        lookups,
        onApply: (rows) =>
          go((p) => {
            for (const key of [...p.keys()]) if (key.startsWith("filter[")) p.delete(key);
            for (const r of rows) p.set(filterKey(r), r.value);
          }),
      })}
    </div>
  </details>`;

  if (page) {
    append(page.items);
    updateCount();
  }
  const flash = sessionStorage.getItem("crm.flash");
  if (flash) {
    sessionStorage.removeItem("crm.flash");
    announce(flash);
  }

  const heading = currentView ? `${t(`nav.${resource}`)}: ${currentView.name}` : t(`nav.${resource}`);
  return html`<section class="screen list-screen">
    <div class="titlebar">
      <h1>${heading}</h1>
      ${resource === "deals" || resource === "leads" ? html`<a href=${`/${resource}/board`}>${t("board.as_board")}</a>` : null}
      ${resource === "activities" ? html`<a href="/activities/my">${t("agenda.title")}</a>` : null}
      ${resource !== "activities" && can(me, perm, "import")
        ? html`<a class="button secondary" href=${`/imports/new?entity=${resource}`}>${t("list.import")}</a>`
        : null}
      ${can(me, perm, "add") ? html`<a class="button" href=${`/${resource}/new`}>${t(`new.${resource}`)}</a>` : null}
    </div>
    ${flash ? html`<p class="notice ok">${flash}</p>` : null}
    <div class="toolbar">
      ${search}
      <div class="inline">
        <label for="list-view">${t("views.label")}</label>${viewSelect}
        <button type="button" class="secondary" @click=${saveView}>${t("views.save")}</button>
        ${currentView && currentView.owner_id === me.id
          ? html`<button type="button" class="secondary" @click=${deleteView}>${t("views.delete")}</button>`
          : null}
      </div>
      ${columnChooser}
      ${filters}
      ${exportMenu}
    </div>
    ${countLine}
    ${bulkBar}
    ${loadError
      ? html`<p class="notice error" role="alert">${errorMessage(loadError)}</p>`
      : page.items.length === 0
        ? html`<p class="muted">${t("list.empty")}</p>`
        : html`<div class="table-wrap"><table class="records">
            <caption class="visually-hidden">${heading}</caption>
            <thead><tr>
              ${canBulk ? html`<td class="select">${selectAll}</td>` : null}
              ${sortHeader(titleField || null, titleField ? fieldLabel(titleField) : t("list.record"))}
              ${columns.map((f) => sortHeader(f, f.meta ? t(`meta.${f.name}`) : fieldLabel(f)))}
            </tr></thead>
            ${tbody}
          </table></div>`}
    <p>${more}</p>
  </section>`;
}
