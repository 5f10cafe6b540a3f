// The reports area, loaded with `import()` when first opened: `/reports` (system reports first,
// then own and shared, each opened or copied), `/reports/<id>` (the result: period, chart,
// table, exports; a funnel report draws its funnel), `/reports/funnel`, `/reports/leads-funnel`,
// and the designer at `/reports/new` and `/reports/<id>/edit`.

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, loc, useMessages } from "../../i18n/i18n.js";
import { errorMessage } from "../../ui/forms.js";
import { resultView, periodPicker, withQuery, runQuery } from "./view.js";
import { dealsFunnel, leadsFunnel } from "./funnel.js";

export async function reportsScreen(ctx) {
  await useMessages("reports");
  const [first, second] = ctx.params;
  if (second === "edit" && /^\d+$/.test(first || "")) return (await import("./designer.js")).designer(ctx, first);
  if (second) return notFound();
  if (!first) return reportList(ctx);
  if (first === "new") return (await import("./designer.js")).designer(ctx, null);
  if (first === "funnel") return dealsFunnel(ctx);
  if (first === "leads-funnel") return leadsFunnel(ctx);
  return reportResult(ctx, first);
}

function notFound() {
  return html`<section class="screen"><h1>${t("error.not_found")}</h1><p><a href="/reports">${t("reports.title")}</a></p></section>`;
}

/** "Copy": a private copy, opened in the designer. */
function copyButton(report, navigate) {
  const status = el`<span class="field-error" role="alert" hidden></span>`;
  const copy = async ({ currentTarget: button }) => {
    button.disabled = true;
    try {
      const made = await api(`/api/reports/${report.id}/copy`, { method: "POST" });
      navigate(`/reports/${made.id}/edit`);
    } catch (error) {
      button.disabled = false;
      status.textContent = errorMessage(error);
      status.hidden = false;
    }
  };
  return html`<button type="button" class="secondary" aria-label=${t("reports.copy_named", { name: loc(report.name) })}
    @click=${copy}>${t("reports.copy")}</button>${status}`;
}

function whose(report, me) {
  if (report.system) return t("reports.system");
  if (report.owner_id !== me.id) return t("reports.shared_by_other");
  return report.shared ? t("reports.shared") : t("reports.private");
}

async function reportList({ me, navigate }) {
  const { items } = await api("/api/reports");
  return html`<section class="screen">
    <div class="screen-head"><h1>${t("reports.title")}</h1><a class="button" href="/reports/new">${t("reports.new")}</a></div>
    <div class="table-wrap"><table class="records report-list">
      <thead><tr><th scope="col">${t("reports.name")}</th><th scope="col">${t("reports.kind")}</th><th scope="col">${t("reports.actions")}</th></tr></thead>
      <tbody>${items.map((r) => html`<tr>
        <th scope="row" class="title-cell"><a href=${`/reports/${r.id}`}>${loc(r.name)}</a>
          ${r.description ? html`<p class="hint">${loc(r.description)}</p>` : null}</th>
        <td data-label=${t("reports.kind")}>${whose(r, me)}</td>
        <td data-label=${t("reports.actions")}>${copyButton(r, navigate)}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}

async function reportResult(ctx, id) {
  const { url, me, navigate } = ctx;
  const query = runQuery(url);
  const [report, result] = await Promise.all([api(`/api/reports/${id}`), api(`/api/reports/${id}/run`, { query })]);
  if (report.kind === "funnel") return dealsFunnel(ctx, result);
  if (report.kind === "leads_funnel") return leadsFunnel(ctx, result);
  const file = (format) => `/api/reports/${id}/run?${new URLSearchParams({ format, ...query })}`;
  const mine = !report.system && report.owner_id === me.id;
  return html`<section class="screen report">
    <p class="crumbs"><a href="/reports">${t("reports.title")}</a></p>
    <div class="screen-head"><h1>${loc(report.name)}</h1>
      <div class="actions">
        ${mine ? html`<a class="button secondary" href=${`/reports/${id}/edit`}>${t("edit")}</a>` : null}
        ${copyButton(report, navigate)}
        <a class="button secondary" href=${file("csv")} download="">${t("reports.csv")}</a>
        <a class="button secondary" href=${file("xlsx")} download="">${t("reports.xlsx")}</a>
      </div>
    </div>
    ${report.description ? html`<p class="muted">${loc(report.description)}</p>` : null}
    <div class="toolbar">${periodPicker({ ...result.period, go: (p) => navigate(withQuery(url, p)) })}</div>
    ${resultView(result, { entity: report.definition?.entity })}
  </section>`;
}
