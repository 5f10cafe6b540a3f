// The funnels: deals (`/reports/funnel`, `GET /api/reports/funnel?pipeline_id=&from=&to=`) per
// pipeline — each in-progress stage a bar as long as its share of the first, with the deals
// that reached it, those in it now, their amount and the conversion from the previous stage;
// then won, and the lost deals by the stage they were lost at — and leads
// (`/reports/leads-funnel`): statuses, converted, junk, time to convert. Pipeline and period
// live in the URL.

import { api } from "../../api.js";
import { html } from "../../ui/html.js";
import { t, loc, formatMoney, formatNumber } from "../../i18n/i18n.js";
import { pipelines } from "../../ui/reference.js";
import { funnelBars } from "../../ui/charts.js";
import { periodPicker, withQuery } from "./view.js";

const percent = (v) => (v === null || v === undefined ? "—" : formatNumber(Number(v), { style: "percent", maximumFractionDigits: 1 }));

/** The funnel's Result: the system report's run when opened by id, else the funnel endpoint. */
function load(path, url, id) {
  const query = {};
  for (const key of ["from", "to", "pipeline_id"]) if (url.searchParams.get(key)) query[key] = url.searchParams.get(key);
  return api(id ? `/api/reports/${id}/run` : `/api/reports/${path}`, { query });
}

function frame(title, result, url, navigate, extra, body) {
  return html`<section class="screen report">
    <p class="crumbs"><a href="/reports">${t("reports.title")}</a></p>
    <h1>${title}</h1>
    <div class="toolbar">${extra}${periodPicker({ ...result.period, go: (p) => navigate(withQuery(url, p)) })}</div>
    ${body}
  </section>`;
}

export async function dealsFunnel({ url, navigate }, id = null, loaded = null) {
  const [result, pipes] = await Promise.all([loaded || load("funnel", url, id), pipelines()]);
  const money = (v) => formatMoney(v ?? "0.00", result.currency);
  const drill = (key) => (result.drill?.[key] ? `/deals?${result.drill[key]}` : null);
  const steps = [...result.stages, ...(result.won ? [{ ...result.won, now: null, color: null, won: true }] : [])];
  const picker = html`<div class="field"><label for="funnel-pipeline">${t("reports.pipeline")}</label>
    <select id="funnel-pipeline" @change=${(e) => navigate(withQuery(url, { pipeline_id: e.target.value }))}>
      ${pipes.map((p) => html`<option value=${p.id} ?selected=${p.id === result.pipeline?.id}>${loc(p.name)}</option>`)}
    </select></div>`;
  const lost = result.lost || [];
  return frame(loc(result.report?.name) || t("reports.funnel"), result, url, navigate, picker, html`
    ${funnelBars(steps, {
      label: t("reports.funnel"),
      href: (s) => drill(`stage:${s.code}`),
      lines: (s) => [
        t("reports.reached", { count: s.reached }),
        s.won ? null : t("reports.now", { count: s.now }),
        money(s.amount),
        s.conversion === null || s.conversion === undefined ? null : t("reports.conversion", { value: percent(s.conversion) }),
      ].filter(Boolean),
    })}
    <h2>${t("reports.lost")}</h2>
    ${lost.length
      ? html`<table class="records report-lost">
          <thead><tr><th scope="col">${t("reports.lost_at")}</th><th scope="col" class="num">${t("reports.count")}</th><th scope="col" class="num">${t("reports.amount")}</th></tr></thead>
          <tbody>${lost.map((l) => html`<tr><th scope="row">${loc(l.name) || l.code}</th>
            <td class="num" data-label=${t("reports.count")}>${formatNumber(l.count)}</td>
            <td class="num" data-label=${t("reports.amount")}>${money(l.amount)}</td></tr>`)}</tbody>
        </table>`
      : html`<p class="muted">${t("reports.no_lost")}</p>`}`);
}

export async function leadsFunnel({ url, navigate }, id = null, loaded = null) {
  const result = await (loaded || load("leads-funnel", url, id));
  const days = (v) => (v === null || v === undefined ? "—" : t("reports.days", { n: formatNumber(Number(v), { maximumFractionDigits: 1 }) }));
  const summary = [
    [t("reports.converted"), `${formatNumber(result.converted?.count ?? 0)} (${percent(result.converted?.share)})`],
    [t("reports.junk"), `${formatNumber(result.junk?.count ?? 0)} (${percent(result.junk?.share)})`],
    [t("reports.convert_avg"), days(result.time_to_convert?.avg_days)],
    [t("reports.convert_median"), days(result.time_to_convert?.median_days)],
  ];
  return frame(loc(result.report?.name) || t("reports.leads_funnel"), result, url, navigate, null, html`
    ${funnelBars(result.statuses || [], {
      label: t("reports.leads_funnel"),
      lines: (s) => [t("reports.reached", { count: s.reached }), t("reports.now", { count: s.now })],
    })}
    <dl class="summary">${summary.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`);
}
