// The report designer (`/reports/new`, `/reports/<id>/edit`): entity, filters (the list's
// filter panel), period, two groups (dates by bucket), measures, sort, limit, chart — as
// `GET /api/reports/fields?entity=` offers them. Each change previews the unsaved definition
// (`POST /api/reports/run`, debounced); a 422's errors go beside the parts they name.

import { api, ApiError } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { ENTITIES, fieldsOf, lookupsFor } from "../../ui/reference.js";
import { filterPanel, META_FIELDS } from "../../ui/filters.js";
import { errorMessage } from "../../ui/forms.js";
import { announce } from "../../ui/shell.js";
import { resultView } from "./view.js";

const FNS = ["count", "sum", "avg", "min", "max"];
const DATES = ["date", "datetime"];

/** `{path: v, path: {op: v}}` <-> the filter panel's rows `[{path, op, value}]`. */
const rowsOf = (filter = {}) =>
  Object.entries(filter).flatMap(([path, v]) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.entries(v).map(([op, value]) => ({ path, op, value: String(value) }))
      : [{ path, op: "eq", value: String(v) }],
  );
function filterOf(rows) {
  const out = {};
  for (const { path, op, value } of rows) {
    const v = op === "null" ? value === "true" : value;
    out[path] = op === "eq" ? v : { ...(typeof out[path] === "object" ? out[path] : {}), [op]: v };
  }
  return out;
}

/** The filterable fields: the list's own where the entity has a list, then the report's others. */
async function filterFields(entity, fields, me) {
  const ops = (f) => (DATES.includes(f.type) || f.measure?.length ? ["eq", "gte", "lte"] : ["eq", "in", "null"]);
  const own = fields.filter((f) => f.filter).map((f) => ({ ...f, path: f.name, operators: ops(f) }));
  const list = ENTITIES[entity] ? await fieldsOf(entity) : { fields: [] };
  const known = [...list.fields, ...(ENTITIES[entity] ? META_FIELDS : [])].filter((f) => f.operators?.length);
  const extra = own.filter((f) => !known.some((k) => k.path === f.path));
  return { fields: [...known, ...extra], lookups: await lookupsFor([...list.fields, ...extra], me) };
}

/** `definition.group_by.1.field` or `group_by[1].field` -> `group_by[1].field` and its parents. */
function targets(path) {
  let p = String(path).replace(/^\/?definition[./]/, "").replace(/[./](\d+)(?=[./]|$)/g, "[$1]").replace(/\//g, ".");
  const out = [p];
  for (let cut; (cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["))) > 0; ) out.push((p = p.slice(0, cut)));
  return out;
}

/** Puts a 422's errors beside the parts they name (focus stays); returns the others. */
function placeErrors(root, error) {
  for (const box of root.querySelectorAll(".field-error")) box.hidden = true;
  for (const c of root.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  const rest = [];
  const find = (p) => root.querySelector(`[id="f-${CSS.escape(p)}-error"]`);
  for (const e of error?.problem?.errors || []) {
    const path = targets(e.field || "").find(find);
    const message = e.message || e.code;
    if (!path) {
      rest.push(e.field ? `${e.field}: ${message}` : message);
      continue;
    }
    const box = find(path);
    box.textContent = box.hidden ? message : `${box.textContent}; ${message}`;
    box.hidden = false;
    const control = root.querySelector(`[id="f-${CSS.escape(path)}"]`);
    control?.setAttribute("aria-invalid", "true");
    control?.setAttribute("aria-describedby", box.id);
  }
  return rest;
}

const errorBox = (path) => el`<p class="field-error" id=${`f-${path}-error`} role="alert" hidden></p>`;

/** A labelled control (`id="f-<path>"`) with its error box. */
const field = (path, label, control) =>
  html`<div class="field"><label for=${`f-${path}`}>${label}</label>${control}${errorBox(path)}</div>`;

const select = (path, options, value, disabled = false) =>
  el`<select id=${`f-${path}`} ?disabled=${disabled}>${options.map(([v, label]) => html`<option value=${v} ?selected=${String(v) === String(value ?? "")}>${label}</option>`)}</select>`;

export async function designer({ me, navigate }, id) {
  const report = id ? await api(`/api/reports/${id}`) : null;
  let def = report?.definition ? structuredClone(report.definition) : { entity: "deals", measures: [{ fn: "count" }], chart: "bar" };
  let catalog = await api("/api/reports/fields", { query: { entity: def.entity } });
  let filters = await filterFields(def.entity, catalog.fields, me);
  const box = el`<div class="designer-parts"></div>`;
  const filterBox = el`<div class="designer-filters"></div>`;
  const preview = el`<div class="preview"></div>`;
  const previewAlert = el`<p class="notice error" role="alert" hidden></p>`;
  const byName = (name) => catalog.fields.find((f) => f.name === name);
  const label = (name) => loc(byName(name)?.label) || name;
  const options = (list) => list.map((f) => [f.name, loc(f.label)]);
  const none = ["", t("reports.none")];
  const measurable = (fn) => catalog.fields.filter((f) => (f.measure || []).includes(fn));

  /** The column keys (and labels) the definition makes, for the sort. */
  function keys() {
    let shares = 0;
    return [
      ...(def.group_by || []).map((g) => [g.bucket ? `${g.field}:${g.bucket}` : g.field, label(g.field)]),
      ...(def.measures || []).map((m) =>
        m.fn === "count" || m.fn === "share"
          ? [m.key || (m.fn === "count" ? "count" : `share_${++shares}`), t(`reports.fn.${m.fn}`)]
          : [m.key || `${m.fn}_${m.field}`, `${label(m.field)}, ${t(`reports.fn.${m.fn}`)}`],
      ),
    ];
  }

  function parts() {
    const period = def.period || {};
    const groups = [0, 1].map((i) => {
      const g = (def.group_by || [])[i] || {};
      const buckets = byName(g.field)?.buckets;
      return html`<div class="designer-row">
        ${field(`group_by[${i}].field`, t("reports.group_n", { n: i + 1 }), select(`group_by[${i}].field`, [none, ...options(catalog.fields.filter((f) => f.group))], g.field, i === 1 && !def.group_by?.length))}
        ${buckets ? field(`group_by[${i}].bucket`, t("reports.bucket"), select(`group_by[${i}].bucket`, buckets.map((b) => [b, t(`reports.bucket.${b}`)]), g.bucket || "month")) : null}
        ${errorBox(`group_by[${i}]`)}
      </div>`;
    });
    const measures = (def.measures || []).map((m, i) => {
      const n = i + 1;
      const path = `measures[${i}]`;
      return html`<div class="designer-row">
        ${m.fn === "share"
          ? html`<p>${t("reports.fn.share")}</p>`
          : html`${field(`${path}.fn`, t("reports.measure_n", { n }), select(`${path}.fn`, FNS.map((f) => [f, t(`reports.fn.${f}`)]), m.fn))}
            ${m.fn === "count" ? null : field(`${path}.field`, t("reports.of_field"), select(`${path}.field`, options(measurable(m.fn)), m.field))}`}
        <button type="button" class="icon secondary" aria-label=${t("reports.remove_measure", { n })} @click=${() => update(() => def.measures.splice(i, 1))}>×</button>
        ${errorBox(path)}
      </div>`;
    });
    const sorts = keys().flatMap(([k, l]) => [[k, `${l} ↑`], [`-${k}`, `${l} ↓`]]);
    return html`<div class="designer-row">
        ${field("entity", t("reports.entity"), select("entity", catalog.entities.map((e) => [e, t(ENTITIES[e] ? `nav.${e}` : `reports.entity.${e}`)]), def.entity))}
        ${field("chart", t("reports.chart"), select("chart", ["bar", "stacked_bar", "line", "funnel", "table"].map((c) => [c, t(`reports.chart.${c}`)]), def.chart || "table"))}
      </div>
      <fieldset><legend>${t("reports.filters")}</legend>${filterBox}${errorBox("filter")}</fieldset>
      <fieldset><legend>${t("reports.period")}</legend><div class="designer-row">
        ${field("period.field", t("reports.period_field"), select("period.field", [none, ...options(catalog.fields.filter((f) => f.buckets || DATES.includes(f.type)))], period.field))}
        ${period.field ? field("period.last", t("reports.range"), select("period.last", ["dates", "30d", "12m"].map((r) => [r === "dates" ? "" : r, t(`reports.range.${r}`)]), period.last)) : null}
        ${period.field && !period.last
          ? html`${field("period.from", t("reports.from"), el`<input type="date" id="f-period.from" .value=${period.from || ""}>`)}
            ${field("period.to", t("reports.to"), el`<input type="date" id="f-period.to" .value=${period.to || ""}>`)}`
          : null}
        ${errorBox("period")}
      </div></fieldset>
      <fieldset><legend>${t("reports.groups")}</legend>${groups}${errorBox("group_by")}</fieldset>
      <fieldset><legend>${t("reports.measures")}</legend>${measures}
        <button type="button" class="secondary small" @click=${() => update(() => (def.measures ||= []).push({ fn: "count" }))}>${t("reports.add_measure")}</button>
        ${errorBox("measures")}</fieldset>
      <div class="designer-row">
        ${field("sort", t("reports.sort"), select("sort", [["", t("reports.sort_default")], ...sorts], def.sort))}
        ${field("limit", t("reports.limit"), el`<input type="number" id="f-limit" min="1" max="1000" .value=${def.limit ?? ""}>`)}
      </div>`;
  }

  /** The controls back into `def`; a measure left as it was keeps its own key and filter. */
  function read() {
    const v = (path) => box.querySelector(`[id="f-${CSS.escape(path)}"]`)?.value ?? "";
    def.chart = v("chart");
    const pf = v("period.field");
    const last = v("period.last");
    if (!pf) delete def.period;
    else if (def.period?.field !== pf) def.period = { field: pf };
    else def.period = last ? { field: pf, last } : { field: pf, from: v("period.from") || undefined, to: v("period.to") || undefined };
    def.group_by = [0, 1]
      .map((i) => [v(`group_by[${i}].field`), v(`group_by[${i}].bucket`)])
      .filter(([f]) => f)
      .map(([f, b]) => (byName(f)?.buckets ? { field: f, bucket: b || "month" } : { field: f }));
    def.measures = (def.measures || []).map((m, i) => {
      const fn = v(`measures[${i}].fn`) || m.fn;
      const f = v(`measures[${i}].field`);
      if (m.fn === "share" || (fn === m.fn && (fn === "count" || f === m.field))) return m;
      const allowed = measurable(fn).map((x) => x.name);
      return fn === "count" ? { fn } : { fn, field: allowed.includes(f) ? f : allowed[0] };
    });
    const sort = v("sort");
    def.sort = keys().some(([k]) => sort === k || sort === `-${k}`) ? sort : undefined;
    def.limit = v("limit") === "" ? undefined : Number(v("limit"));
  }

  /** Rebuilds the parts from `def`, focus kept on the same control. */
  function update(change) {
    change();
    const focused = document.activeElement?.id;
    mount(box, parts());
    if (focused) box.querySelector(`[id="${CSS.escape(focused)}"]`)?.focus();
    schedule();
  }

  function drawFilters() {
    const onApply = (rows) => {
      def.filter = filterOf(rows);
      drawFilters();
      schedule(0);
    };
    mount(filterBox, filterPanel({ fields: filters.fields, current: rowsOf(def.filter), lookups: filters.lookups, onApply }));
  }

  const failure = (error) => (error instanceof ApiError && error.status === 422 ? placeErrors(side, error) : [errorMessage(error)]);
  let timer = null;
  let running = null;
  function schedule(wait = 400) {
    clearTimeout(timer);
    timer = setTimeout(run, wait);
  }
  async function run() {
    running?.abort();
    const controller = (running = new AbortController());
    preview.setAttribute("aria-busy", "true");
    try {
      const result = await api("/api/reports/run", { method: "POST", body: { definition: def }, signal: controller.signal });
      placeErrors(side, null);
      previewAlert.hidden = true;
      mount(preview, resultView(result, { entity: def.entity, chartKind: def.chart }));
    } catch (error) {
      if (error.name === "AbortError") return;
      previewAlert.textContent = failure(error).join("; ") || t("reports.fix_errors");
      previewAlert.hidden = false;
    } finally {
      if (running === controller) preview.removeAttribute("aria-busy");
    }
  }

  box.addEventListener("change", async ({ target }) => {
    if (target.closest(".designer-filters")) return;
    if (target.id !== "f-entity") return update(read);
    const entity = target.value;
    catalog = await api("/api/reports/fields", { query: { entity } });
    filters = await filterFields(entity, catalog.fields, me);
    def = { entity, measures: [{ fn: "count" }], chart: def.chart };
    drawFilters();
    update(() => {});
  });
  box.addEventListener("input", ({ target }) => {
    if (target.matches("input") && !target.closest(".designer-filters")) {
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
      saveAlert.textContent = failure(error).join("; ") || t("reports.fix_errors");
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
