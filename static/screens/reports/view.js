// A Result drawn: the chart (first group along the axis, the second as series, one measure)
// and the table (money, percent and date buckets through Intl; totals; group cells link to the
// list of the records behind the row). Also the period picker.

import { html, el } from "../../ui/html.js";
import { t, loc, lang, formatMoney, formatNumber, formatDate } from "../../i18n/i18n.js";
import { ENTITIES } from "../../ui/reference.js";
import { chart } from "../../ui/charts.js";
import { funnelBars } from "../../ui/funnel.js";

/** A bucket's first day (`YYYY-MM-DD`) as "Mar 2026", "Q1 2026"... */
export function bucketLabel(bucket, value) {
  const [y, m] = String(value).split("-").map(Number);
  if (!y || !m) return String(value);
  if (bucket === "year") return String(y);
  if (bucket === "quarter") return t("reports.quarter", { q: Math.ceil(m / 3), year: String(y) });
  if (bucket === "month") return new Intl.DateTimeFormat(lang(), { month: "short", year: "numeric", timeZone: "UTC" }).format(Date.UTC(y, m - 1, 1));
  if (bucket === "week") return t("reports.week_of", { date: formatDate(value) });
  return formatDate(value);
}

/** A measure value written by its column's type; `compact` for chart axes. */
export function measureText(column, value, currency, compact = false) {
  if (value === null || value === undefined) return "";
  const n = Number(value);
  const short = compact ? { notation: "compact", maximumFractionDigits: 1 } : {};
  if (column.type === "money") {
    return compact ? formatNumber(n, { style: "currency", currency: column.currency || currency, ...short }) : formatMoney(value, column.currency || currency);
  }
  if (column.type === "percent") return formatNumber(n, { style: "percent", maximumFractionDigits: 1 });
  return formatNumber(n, { maximumFractionDigits: 2, ...short });
}

/** A group cell `{value, label}` as text. */
export function groupText(column, cell) {
  if (!cell || cell.value === null || cell.value === undefined) return cell?.label ? loc(cell.label) : "—";
  if (column.bucket) return bucketLabel(column.bucket, cell.value);
  return loc(cell.label) || String(cell.value);
}

/** The chart of a result, or null (no group, or a table). */
function resultChart(result, kind, measureKey) {
  const groups = result.columns.filter((c) => c.role === "group");
  const at = (key) => result.columns.findIndex((c) => c.key === key);
  const mi = measureKey ? at(measureKey) : result.columns.findIndex((c) => c.role === "measure");
  if (!groups.length || mi < 0 || !result.rows.length || !["bar", "stacked_bar", "line", "funnel"].includes(kind)) return null;
  const g1 = at(groups[0].key);
  const column = result.columns[mi];
  const label = `${loc(result.report?.name) || t("reports.preview")}: ${column.label}`;
  if (kind === "funnel") {
    // Bars as long as each row's share of the largest.
    const values = result.rows.map((r) => Number(r.cells[mi]) || 0);
    const top = Math.max(...values) || 1;
    const steps = result.rows.map((r, i) => ({ code: String(i), name: groupText(groups[0], r.cells[g1]), share: values[i] / top, text: measureText(column, r.cells[mi], result.currency) }));
    return funnelBars(steps, { label, lines: (s) => [s.text] });
  }
  const g2 = groups[1] ? at(groups[1].key) : -1;
  const categories = [];
  const names = [];
  const values = new Map();
  for (const row of result.rows) {
    const c = groupText(groups[0], row.cells[g1]);
    const s = g2 < 0 ? result.columns[mi].label : groupText(groups[1], row.cells[g2]);
    if (!categories.includes(c)) categories.push(c);
    if (!names.includes(s)) names.push(s);
    const v = row.cells[mi];
    values.set(`${c}\u0000${s}`, v === null || v === undefined ? null : Number(v));
  }
  return chart(kind, {
    categories,
    series: names.map((name) => ({ name, values: categories.map((c) => values.get(`${c}\u0000${name}`) ?? null) })),
    format: (v, compact) => measureText(column, v, result.currency, compact),
    label,
  });
}

/** The table; group cells link to `/<entity>?<drill>` where the entity has a list. */
function resultTable(result, entity) {
  const list = ENTITIES[entity] ? entity : null;
  const cell = (column, value, row, i) => {
    if (column.role !== "group") return html`<td class="num" data-label=${column.label}>${measureText(column, value, result.currency)}</td>`;
    const text = groupText(column, value);
    const content = list && row.drill ? html`<a href=${`/${list}?${row.drill}`}>${text}</a>` : text;
    return i === 0 ? html`<th scope="row">${content}</th>` : html`<td data-label=${column.label}>${content}</td>`;
  };
  return html`<div class="report-scroll" tabindex="0" role="region" aria-label=${t("reports.table")}>
    <table class="report-table">
      <thead><tr>${result.columns.map((c) => html`<th scope="col" class=${c.role === "measure" ? "num" : null}>${c.label}</th>`)}</tr></thead>
      <tbody>${result.rows.map((row) => html`<tr>${result.columns.map((c, i) => cell(c, row.cells[i], row, i))}</tr>`)}</tbody>
      ${result.totals && result.columns[0]?.role === "group"
        ? html`<tfoot><tr>${result.columns.map((c, i) =>
            i === 0 && c.role === "group"
              ? html`<th scope="row">${t("reports.total")}</th>`
              : c.role === "group"
                ? html`<td></td>`
                : html`<td class="num" data-label=${c.label}>${measureText(c, result.totals[i], result.currency)}</td>`,
          )}</tr></tfoot>`
        : null}
    </table>
  </div>`;
}

/** Chart (a measure picker when there are several) and table. */
export function resultView(result, { entity, chartKind }) {
  const kind = chartKind || result.report?.chart || "table";
  const measures = result.columns.filter((c) => c.role === "measure");
  const slot = el`<div class="chart-slot"></div>`;
  const draw = (key) => slot.replaceChildren(resultChart(result, kind, key) || "");
  draw(null);
  const picker = slot.firstChild && measures.length > 1
    ? html`<label class="inline">${t("reports.chart_measure")}
        <select @change=${(e) => draw(e.target.value)}>${measures.map((m) => html`<option value=${m.key}>${m.label}</option>`)}</select>
      </label>`
    : null;
  return html`${picker}${slot}
    ${result.rows.length ? resultTable(result, entity) : html`<p class="muted">${t("reports.no_rows")}</p>`}
    ${result.truncated ? html`<p class="notice warn">${t("reports.truncated", { count: result.rows.length })}</p>` : null}`;
}

const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** The presets as `[key, from, to]`, from today. */
function presets() {
  const now = new Date();
  const [y, m] = [now.getFullYear(), now.getMonth()];
  const q = m - (m % 3);
  return [
    ["month", new Date(y, m, 1), new Date(y, m + 1, 0)],
    ["quarter", new Date(y, q, 1), new Date(y, q + 3, 0)],
    ["year", new Date(y, 0, 1), new Date(y, 11, 31)],
    ["last30", new Date(y, m, now.getDate() - 29), now],
  ].map(([key, from, to]) => [key, iso(from), iso(to)]);
}

/** From/to and presets; `go({from, to})` re-runs. */
export function periodPicker({ from, to, go }) {
  const fromInput = el`<input type="date" id="period-from" .value=${from || ""}>`;
  // `min` makes the browser refuse an inverted period before it is sent.
  const toInput = el`<input type="date" id="period-to" min=${from || null} .value=${to || ""}>`;
  fromInput.addEventListener("change", () => (toInput.min = fromInput.value));
  const submit = (event) => {
    event.preventDefault();
    go({ from: fromInput.value, to: toInput.value });
  };
  return html`<form class="period" @submit=${submit} aria-label=${t("reports.period")}>
    <div class="field"><label for="period-from">${t("reports.from")}</label>${fromInput}</div>
    <div class="field"><label for="period-to">${t("reports.to")}</label>${toInput}</div>
    <button type="submit">${t("reports.apply")}</button>
    <div class="actions presets">${presets().map(([key, f, tt]) => html`<button type="button" class="secondary small"
      aria-pressed=${String(f === from && tt === to)} @click=${() => go({ from: f, to: tt })}>${t(`reports.preset.${key}`)}</button>`)}</div>
  </form>`;
}

/** What the address gives a run: `from`, `to`, `pipeline_id`. */
export function runQuery(url) {
  const query = {};
  for (const key of ["from", "to", "pipeline_id"]) if (url.searchParams.get(key)) query[key] = url.searchParams.get(key);
  return query;
}

/** `url`'s path with `change` applied to its query (empty values dropped). */
export function withQuery(url, change) {
  const next = new URLSearchParams(url.search);
  for (const [k, v] of Object.entries(change)) {
    if (v) next.set(k, v);
    else next.delete(k);
  }
  const qs = next.toString();
  return `${url.pathname}${qs ? `?${qs}` : ""}`;
}
