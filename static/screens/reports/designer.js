// The report designer (`/reports/new`, `/reports/<id>/edit`): entity, filters (the list's filter
// panel), period, up to two groups (dates by bucket), measures, sort, limit and chart, offered
// from `GET /api/reports/fields?entity=`. Every change previews the unsaved definition through
// `POST /api/reports/run` (debounced); a 422's errors go beside the parts they name
// (`group_by[1].field` -> the second group's field). Saved private or shared, with If-Match.

import { api, ApiError } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { ENTITIES, fieldsOf, lookupsFor } from "../../ui/reference.js";
import { filterPanel, META_FIELDS } from "../../ui/filters.js";
import { errorMessage } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { resultView } from "./view.js";

const FNS = ["count", "sum", "avg", "min", "max"];
const CHARTS = ["bar", "stacked_bar", "line", "table"];
const DATE_TYPES = ["date", "datetime"];

/** `{path: v, path: {op: v}}` <-> the filter panel's rows `[{path, op, value}]`. */
function rowsOf(filter = {}) {
  return Object.entries(filter).flatMap(([path, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.entries(v).map(([op, value]) => ({ path, op, value: String(value) }))
      : [{ path, op: "eq", value: String(v) }],
  );
}
function filterOf(rows) {
  const out = {};
  for (const { path, op, value } of rows) {
    const v = op === "null" ? value === "true" : value;
    if (op === "eq") out[path] = v;
    else out[path] = { ...(typeof out[path] === "object" ? out[path] : {}), [op]: v };
  }
  return out;
}

/** The filterable fields: the list's own (with operators) where the entity has a list. */
async function filterFields(entity, fields, me) {
  if (ENTITIES[entity]) {
    const meta = await fieldsOf(entity);
    const all = [...meta.fields, ...META_FIELDS].filter((f) => f.operators?.length);
    return { fields: all, lookups: await lookupsFor(meta.fields, me) };
  }
  const ops = (f) => (DATE_TYPES.includes(f.type) || ["number", "integer", "decimal", "money"].includes(f.type) ? ["eq", "gte", "lte", "gt", "lt"] : ["eq", "ne", "in", "null"]);
  return { fields: fields.filter((f) => f.filter).map((f) => ({ ...f, path: f.name, operators: ops(f) })), lookups: {} };
}

/** `definition.group_by.1.field` / `group_by[1].field` -> `group_by[1].field`, then its parents. */
function targets(path) {
  let p = String(path).replace(/^\/?definition[./]/, "").replace(/[./](\d+)(?=[./]|$)/g, "[$1]").replace(/\//g, ".");
  const out = [p];
  for (let cut; (cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["))) > 0; ) out.push((p = p.slice(0, cut)));
  return out;
}

/** Puts a 422's errors beside the parts they name (never moving focus); returns the rest. */
function placeErrors(root, error) {
  for (const box of root.querySelectorAll(".field-error")) box.hidden = true;
  for (const c of root.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  const rest = [];
  for (const e of error?.problem?.errors || []) {
    const path = targets(e.field || "").find((p) => root.querySelector(`[id="f-${CSS.escape(p)}-error"]`));
    const message = e.message || e.code;
    if (!path) {
      rest.push(e.field ? `${e.field}: ${message}` : message);
      continue;
    }
    const box = root.querySelector(`[id="f-${CSS.escape(path)}-error"]`);
    box.textContent = box.hidden ? message : `${box.textContent}; ${message}`;
    box.hidden = false;
    root.querySelector(`[id="f-${CSS.escape(path)}"]`)?.setAttribute("aria-invalid", "true");
  }
  return rest;
}

/** A labelled control with its error box; `control` carries `id="f-<path>"`. */
function field(path, label, control) {
  return html`<div class="field"><label for=${`f-${path}`}>${label}</label>${control}
    <p class="field-error" id=${`f-${path}-error`} role="alert" hidden></p></div>`;
}

function select(path, options, value, extra = {}) {
  return el`<select id=${`f-${path}`} ?disabled=${extra.disabled}>${options.map(([v, label]) => html`<option value=${v} ?selected=${String(v) === String(value ?? "")}>${label}</option>`)}</select>`;
}

export async function designer({ me, navigate }, id) {
  const report = id ? await api(`/api/reports/${id}`) : null;
  let def = report?.definition ? structuredClone(report.definition) : { entity: "deals", measures: [{ fn: "count" }], chart: "bar" };
  let catalog = await api("/api/reports/fields", { query: { entity: def.entity } });
  let filters = await filterFields(def.entity, catalog.fields, me);
  const box = el`<div class="designer-parts"></div>`;
  const filterBox = el`<div class="designer-filters"></div>`;
  const preview = el`<div class="preview" aria-live="polite"></div>`;
  const previewAlert = el`<p class="notice error" role="alert" hidden></p>`;
  const label = (name) => loc(catalog.fields.find((f) => f.name === name)?.label) || name;
  const byName = (name) => catalog.fields.find((f) => f.name === name);

  function keys() {
    const out = (def.group_by || []).map((g) => [g.bucket ? `${g.field}:${g.bucket}` : g.field, label(g.field)]);
    let shares = 0;
    for (const m of def.measures || []) {
      if (m.fn === "count") out.push([m.key || "count", t("reports.fn.count")]);
      else if (m.fn === "share") out.push([m.key || `share_${++shares}`, t("reports.fn.share")]);
      else out.push([m.key || `${m.fn}_${m.field}`, `${label(m.field)}, ${t(`reports.fn.${m.fn}`)}`]);
    }
    return out;
  }

  function parts() {
    const dates = catalog.fields.filter((f) => DATE_TYPES.includes(f.type));
    const groupable = catalog.fields.filter((f) => f.group);
    const period = def.period || {};
    const groups = [0, 1].map((i) => {
      const g = (def.group_by || [])[i] || {};
      const buckets = byName(g.field)?.buckets;
      return html`<div class="designer-row" role="group" aria-label=${t("reports.group_n", { n: i + 1 })}>
        ${field(`group_by[${i}].field`, t("reports.group_n", { n: i + 1 }), select(`group_by[${i}].field`, [["", t("reports.none")], ...groupable.map((f) => [f.name, loc(f.label)])], g.field, { disabled: i === 1 && !def.group_by?.length }))}
        ${buckets ? field(`group_by[${i}].bucket`, t("reports.bucket"), select(`group_by[${i}].bucket`, buckets.map((b) => [b, t(`reports.bucket.${b}`)]), g.bucket || "month")) : null}
        <p class="field-error" id=${`f-group_by[${i}]-error`} role="alert" hidden></p>
      </div>`;
    });
    const measures = (def.measures || []).map((m, i) => {
      const n = i + 1;
      const remove = html`<button type="button" class="icon secondary" aria-label=${t("reports.remove_measure", { n })}
        @click=${() => update(() => def.measures.splice(i, 1))}>×</button>`;
      if (m.fn === "share") {
        return html`<div class="designer-row" role="group" aria-label=${t("reports.measure_n", { n })}><p>${t("reports.fn.share")}</p>${remove}
          <p class="field-error" id=${`f-measures[${i}]-error`} role="alert" hidden></p></div>`;
      }
      const allowed = catalog.fields.filter((f) => (f.measure || []).includes(m.fn));
      return html`<div class="designer-row" role="group" aria-label=${t("reports.measure_n", { n })}>
        ${field(`measures[${i}].fn`, t("reports.measure_n", { n }), select(`measures[${i}].fn`, FNS.map((f) => [f, t(`reports.fn.${f}`)]), m.fn))}
        ${m.fn === "count" ? null : field(`measures[${i}].field`, t("reports.of_field"), select(`measures[${i}].field`, allowed.map((f) => [f.name, loc(f.label)]), m.field))}
        ${remove}
        <p class="field-error" id=${`f-measures[${i}]-error`} role="alert" hidden></p>
      </div>`;
    });
    const sorts = keys().flatMap(([k, l]) => [[k, `${l} ↑`], [`-${k}`, `${l} ↓`]]);
    return html`
      <div class="designer-row">
        ${field("entity", t("reports.entity"), select("entity", catalog.entities.map((e) => [e, t(`reports.entity.${e}`)]), def.entity))}
        ${field("chart", t("reports.chart"), select("chart", CHARTS.map((c) => [c, t(`reports.chart.${c}`)]), def.chart || "table"))}
      </div>
      <fieldset><legend>${t("reports.filters")}</legend>${filterBox}<p class="field-error" id="f-filter-error" role="alert" hidden></p></fieldset>
      <fieldset><legend>${t("reports.period")}</legend><div class="designer-row">
        ${field("period.field", t("reports.period_field"), select("period.field", [["", t("reports.none")], ...dates.map((f) => [f.name, loc(f.label)])], period.field))}
        ${period.field ? html`
          ${field("period.last", t("reports.range"), select("period.last", [["", t("reports.range.dates")], ["30d", t("reports.range.30d")], ["12m", t("reports.range.12m")]], period.last))}
          ${period.last ? null : html`${field("period.from", t("reports.from"), el`<input type="date" id="f-period.from" .value=${period.from || ""}>`)}
            ${field("period.to", t("reports.to"), el`<input type="date" id="f-period.to" .value=${period.to || ""}>`)}`}` : null}
        <p class="field-error" id="f-period-error" role="alert" hidden></p>
      </div></fieldset>
      <fieldset><legend>${t("reports.groups")}</legend>${groups}<p class="field-error" id="f-group_by-error" role="alert" hidden></p></fieldset>
      <fieldset><legend>${t("reports.measures")}</legend>${measures}
        <button type="button" class="secondary small" @click=${() => update(() => (def.measures ||= []).push({ fn: "count" }))}>${t("reports.add_measure")}</button>
        <p class="field-error" id="f-measures-error" role="alert" hidden></p></fieldset>
      <div class="designer-row">
        ${field("sort", t("reports.sort"), select("sort", [["", t("reports.sort_default")], ...sorts], def.sort))}
        ${field("limit", t("reports.limit"), el`<input type="number" id="f-limit" min="1" max="1000" inputmode="numeric" .value=${def.limit ?? ""}>`)}
      </div>`;
  }

  /** The controls back into `def`. */
  function read() {
    const v = (path) => box.querySelector(`[id="f-${CSS.escape(path)}"]`)?.value ?? "";
    def.chart = v("chart");
    const pf = v("period.field");
    if (!pf) delete def.period;
    else if (!def.period || def.period.field !== pf) def.period = { field: pf, ...(def.period?.last ? { last: def.period.last } : {}) };
    else def.period = v("period.last") ? { field: pf, last: v("period.last") } : { field: pf, from: v("period.from") || undefined, to: v("period.to") || undefined };
    def.group_by = [0, 1]
      .map((i) => ({ field: v(`group_by[${i}].field`), bucket: byName(v(`group_by[${i}].field`))?.buckets ? v(`group_by[${i}].bucket`) || "month" : undefined }))
      .filter((g) => g.field);
    def.measures = (def.measures || []).map((m, i) => {
      if (m.fn === "share") return m;
      const fn = v(`measures[${i}].fn`) || m.fn;
      if (fn === "count") return { fn };
      const allowed = catalog.fields.filter((f) => (f.measure || []).includes(fn)).map((f) => f.name);
      const f = v(`measures[${i}].field`);
      return { fn, field: allowed.includes(f) ? f : allowed[0] };
    });
    const sort = v("sort");
    def.sort = keys().some(([k]) => sort === k || sort === `-${k}`) ? sort : undefined;
    const limit = v("limit");
    def.limit = limit === "" ? undefined : Number(limit);
  }

  /** Rebuilds the parts from `def` (after `change`), keeping focus on the same control. */
  function redraw() {
    const focused = document.activeElement?.id;
    mount(box, parts());
    if (focused) box.querySelector(`[id="${CSS.escape(focused)}"]`)?.focus();
  }

  function update(change) {
    change();
    redraw();
    schedule();
  }

  function drawFilters() {
    mount(filterBox, filterPanel({
      fields: filters.fields,
      current: rowsOf(def.filter),
      lookups: filters.lookups,
      onApply: (rows) => {
        def.filter = filterOf(rows);
        drawFilters();
        schedule(0);
      },
    }));
  }

  let timer = null;
  let running = null;
  function schedule(wait = 400) {
    clearTimeout(timer);
    timer = setTimeout(run, wait);
  }
  async function run() {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    preview.setAttribute("aria-busy", "true");
    try {
      const result = await api("/api/reports/run", { method: "POST", body: { definition: def }, signal: controller.signal });
      placeErrors(side, null);
      previewAlert.hidden = true;
      mount(preview, resultView(result, { entity: def.entity, chartKind: def.chart }));
    } catch (error) {
      if (error.name === "AbortError") return;
      const rest = error instanceof ApiError && error.status === 422 ? placeErrors(side, error) : [errorMessage(error)];
      previewAlert.textContent = rest.length ? rest.join("; ") : t("reports.fix_errors");
      previewAlert.hidden = false;
    } finally {
      if (running === controller) preview.removeAttribute("aria-busy");
    }
  }

  box.addEventListener("change", async (event) => {
    if (event.target.closest(".designer-filters")) return;
    if (event.target.id === "f-entity") {
      const entity = event.target.value;
      catalog = await api("/api/reports/fields", { query: { entity } });
      filters = await filterFields(entity, catalog.fields, me);
      def = { entity, measures: [{ fn: "count" }], chart: def.chart };
      drawFilters();
      update(() => {});
      return;
    }
    update(read);
  });
  box.addEventListener("input", (event) => {
    if (event.target.matches("input") && !event.target.closest(".designer-filters")) {
      read();
      schedule();
    }
  });

  const name = el`<input id="f-name" required .value=${loc(report?.name) || ""}>`;
  const description = el`<textarea id="f-description" rows="2" .value=${loc(report?.description) || ""}></textarea>`;
  const shared = el`<input type="checkbox" id="f-shared" .checked=${Boolean(report?.shared)}>`;
  const saveAlert = el`<p class="notice error" role="alert" hidden></p>`;
  async function save(event) {
    event.preventDefault();
    saveAlert.hidden = true;
    const body = { name: name.value.trim(), description: description.value.trim() || null, shared: shared.checked, definition: def };
    try {
      const saved = report
        ? await api(`/api/reports/${report.id}`, { method: "PATCH", body, ifMatch: report.version })
        : await api("/api/reports", { method: "POST", body });
      announce(t("reports.saved", { name: body.name }));
      navigate(`/reports/${saved.id}`);
    } catch (error) {
      const rest = error instanceof ApiError && error.status === 422 ? placeErrors(side, error) : [errorMessage(error)];
      saveAlert.textContent = rest.join("; ") || t("reports.fix_errors");
      saveAlert.hidden = false;
    }
  }

  const side = el`<div class="designer-form">${box}
    <form class="designer-save" @submit=${save}>
      ${field("name", t("reports.name"), name)}
      ${field("description", t("reports.description"), description)}
      <label class="check">${shared}${t("reports.share")}</label>
      ${saveAlert}
      <div class="actions"><button type="submit">${t("save")}</button><a href=${report ? `/reports/${report.id}` : "/reports"}>${t("cancel")}</a></div>
    </form>
  </div>`;
  drawFilters();
  mount(box, parts());
  run();
  return html`<section class="screen report designer">
    <p class="crumbs"><a href="/reports">${t("reports.title")}</a></p>
    <h1>${report ? t("reports.edit_title", { name: loc(report.name) }) : t("reports.new")}</h1>
    <div class="designer-layout">${side}
      <section class="preview-box" aria-labelledby="preview-title">
        <h2 id="preview-title">${t("reports.preview")}</h2>${previewAlert}${preview}
      </section>
    </div>
  </section>`;
}
