// The funnels. Deals (`/reports/funnel`, `GET /api/reports/funnel`) per pipeline: a bar per
// in-progress stage as long as its share of the first, with the deals that reached it, those in
// it now, their amount and the conversion from the previous stage; then won, and the lost deals
// by the stage they were lost at. Leads (`/reports/leads-funnel`): statuses, converted, junk,
// time to convert. Pipeline and period live in the URL.

import { api } from "../../api.js";
import { html } from "../../ui/html.js";
import { t, loc, formatMoney, formatNumber } from "../../i18n/i18n.js";
import { pipelines } from "../../ui/reference.js";
import { funnelBars } from "../../ui/funnel.js";
import { periodPicker, withQuery, runQuery } from "./view.js";

const percent = (v) => (v === null || v === undefined ? "—" : formatNumber(Number(v), { style: "percent", maximumFractionDigits: 1 }));

function frame(fallback, result, url, navigate, extra, body) {
  return html`<section class="screen report">
    <p class="crumbs"><a href="/reports">${t("reports.title")}</a></p>
    <h1>${loc(result.report?.name) || fallback}</h1>
    <div class="toolbar">${extra}${periodPicker({ ...result.period, go: (p) => navigate(withQuery(url, p)) })}</div>
    ${body}
  </section>`;
}

/** The deals funnel; `loaded` is the result when the system report was run by id. */
export async function dealsFunnel({ url, navigate }, loaded = null) {
  const [result, pipes] = await Promise.all([loaded || api("/api/reports/funnel", { query: runQuery(url) }), pipelines()]);
  const money = (v) => formatMoney(v ?? "0.00", result.currency);
  const drill = result.drill || {};
  const steps = [...result.stages, ...(result.won ? [{ ...result.won, won: true }] : [])];
  const lost = (result.lost || []).filter((l) => l.count);
  const count = t("reports.count");
  const amount = t("reports.amount");
  const picker = html`<div class="field"><label for="funnel-pipeline">${t("reports.pipeline")}</label>
    <select id="funnel-pipeline" @change=${(e) => navigate(withQuery(url, { pipeline_id: e.target.value }))}>
      ${pipes.map((p) => html`<option value=${p.id} ?selected=${p.id === result.pipeline?.id}>${loc(p.name)}</option>`)}
    </select></div>`;
  return frame(t("reports.funnel"), result, url, navigate, picker, html`
    ${funnelBars(steps, {
      label: t("reports.funnel"),
      href: (s) => (drill[`stage:${s.code}`] ? `/deals?${drill[`stage:${s.code}`]}` : null),
      lines: (s) => [
        t("reports.reached", { count: s.reached }),
        s.won ? null : t("reports.now", { count: s.now }),
        money(s.amount),
        s.conversion === null || s.conversion === undefined ? null : t("reports.conversion", { value: percent(s.conversion) }),
      ].filter(Boolean),
    })}
    <h2>${t("reports.lost")}</h2>
    ${lost.length
      ? html`<table class="stages">
          <thead><tr><th scope="col">${t("reports.lost_at")}</th><th scope="col" class="num">${count}</th><th scope="col" class="num">${amount}</th></tr></thead>
          <tbody>${lost.map((l) => html`<tr><th scope="row">${drill[`lost:${l.code}`] ? html`<a href=${`/deals?${drill[`lost:${l.code}`]}`}>${loc(l.name) || l.code}</a>` : loc(l.name) || l.code}</th>
            <td class="num" data-label=${count}>${formatNumber(l.count)}</td><td class="num" data-label=${amount}>${money(l.amount)}</td></tr>`)}</tbody>
        </table>`
      : html`<p class="muted">${t("reports.no_lost")}</p>`}`);
}

export async function leadsFunnel({ url, navigate }, loaded = null) {
  const result = await (loaded || api("/api/reports/leads-funnel", { query: runQuery(url) }));
  const days = (v) => (v === null || v === undefined ? "—" : t("reports.days", { n: formatNumber(Number(v), { maximumFractionDigits: 1 }) }));
  const part = (p) => `${formatNumber(p?.count ?? 0)} (${percent(p?.share)})`;
  const summary = [
    ["converted", part(result.converted)],
    ["junk", part(result.junk)],
    ["convert_avg", days(result.time_to_convert?.avg_days)],
    ["convert_median", days(result.time_to_convert?.median_days)],
  ];
  return frame(t("reports.leads_funnel"), result, url, navigate, null, html`
    ${funnelBars(result.statuses || [], {
      label: t("reports.leads_funnel"),
      lines: (s) => [t("reports.reached", { count: s.reached }), t("reports.now", { count: s.now })],
    })}
    <dl class="fields card">${summary.map(([k, v]) => html`<div class="field-row"><dt>${t(`reports.${k}`)}</dt><dd>${v}</dd></div>`)}</dl>`);
}
