// Charts: bar, stacked bar and line as SVG (the funnel is `funnel.js`). `svg()` is the SVG
// counterpart of `html.js` (`createElementNS`, `setAttribute`, text nodes): data is only text
// or attribute values. A chart is `role="img"` + `aria-label`; the table beside it is the
// accessible data.

import { html } from "./html.js";

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 300;
const PAD = { left: 64, right: 12, top: 12, bottom: 56 };

/** An SVG element: `attrs` become attributes (null skipped), children nodes or text. */
export function svg(name, attrs = {}, ...children) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** About five round steps (1, 2, 5 × 10^k) from `low` to at least `high`. */
function ticks(low, high) {
  const span = high - low || 1;
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.floor(low / step) * step; ; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= high) return out;
  }
}

const clip = (text) => (text.length > 14 ? `${text.slice(0, 13)}…` : text);

/**
 * A `kind` ("bar", "stacked_bar", "line") chart of `series` ([{name, values}], a value or null
 * per category); `format(n, compact)` writes values; a legend names several series.
 */
export function chart(kind, { categories, series, format, label }) {
  const stacked = kind === "stacked_bar";
  const totals = categories.map((_, i) => series.reduce((s, x) => s + Math.max(0, x.values[i] ?? 0), 0));
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
  const scale = ticks(Math.min(0, ...all), Math.max(0, ...(stacked ? totals : all)));
  const [low, high] = [scale[0], scale[scale.length - 1]];
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - ((v - low) / (high - low || 1)) * plotH;
  const band = plotW / Math.max(1, categories.length);
  const x = (i) => PAD.left + band * i;
  const every = Math.ceil(categories.length / 12);
  const grid = scale.map((v) => [
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }),
    svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, format(v, true)),
  ]);
  const xLabels = categories.map((c, i) =>
    i % every ? null : svg("text", { x: x(i) + band / 2, y: H - PAD.bottom + 16, "text-anchor": "middle" }, clip(c)),
  );
  const marks = [];
  const tip = (i, s, v) => svg("title", {}, `${categories[i]}${series.length > 1 ? ` · ${s.name}` : ""}: ${format(v)}`);
  if (kind === "line") {
    series.forEach((s, n) => {
      const points = s.values.map((v, i) => (v === null ? null : [x(i) + band / 2, y(v)])).filter(Boolean);
      marks.push(svg("polyline", { class: `line s${n % 8}`, points: points.map((p) => p.join(",")).join(" ") }));
      s.values.forEach((v, i) => {
        if (v !== null) marks.push(svg("circle", { class: `s${n % 8}`, cx: x(i) + band / 2, cy: y(v), r: 3.5 }, tip(i, s, v)));
      });
    });
  } else {
    const per = stacked ? 1 : Math.max(1, series.length);
    const width = Math.min(band * 0.7, 64 * per) / per;
    const gap = (band - width * per) / 2;
    categories.forEach((_, i) => {
      let base = 0;
      series.forEach((s, n) => {
        const v = s.values[i];
        if (v === null || v === undefined) return;
        const from = stacked ? base : 0;
        const to = stacked ? base + Math.max(0, v) : v;
        if (stacked) base = to;
        const left = x(i) + gap + (stacked ? 0 : width * n);
        marks.push(svg("rect", { class: `bar s${n % 8}`, x: left, width: Math.max(1, width - 1), y: Math.min(y(from), y(to)), height: Math.abs(y(to) - y(from)) }, tip(i, s, v)));
      });
    });
  }
  const picture = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart" },
    grid,
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: "axis" }),
    xLabels,
    marks,
  );
  const legend = series.length > 1
    ? html`<ul class="legend">${series.map((s, n) => html`<li><i class=${`s${n % 8}`}></i>${s.name}</li>`)}</ul>`
    : null;
  return html`<figure class="chart-box">${picture}${legend}</figure>`;
}
