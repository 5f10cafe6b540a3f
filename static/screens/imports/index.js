// The import wizard, loaded with `import()` when first opened: `/imports` (the caller's past
// imports), `/imports/new?entity=contacts` (upload), and `/imports/<id>?step=...` (an import's
// steps: settings and preview, mapping, duplicates, the dry run, the run with its result and
// roll back). Without `step` an import opens where its status says; once rows were imported
// only the run's page (result, rejected rows, roll back) is left. Every step is a function of
// the URL and `GET /api/imports/<id>`.

import { api } from "../../api.js";
import { html } from "../../ui/html.js";
import { t, useMessages, formatDateTime } from "../../i18n/i18n.js";
import { ENTITIES, can, resourceOf } from "../../ui/reference.js";
import { errorMessage } from "../../ui/forms.js";
import { useStyles } from "../../ui/styles.js";

/** The record lists an import may fill (`/api/imports?entity=...`). */
export const IMPORTABLE = ["leads", "contacts", "companies", "deals", "products"];
const STEPS = ["upload", "settings", "mapping", "duplicates", "check", "run"];
const LOAD = {
  settings: () => import("./settings.js"),
  mapping: () => import("./mapping.js"),
  duplicates: () => import("./duplicates.js"),
  check: () => import("./check.js"),
  run: () => import("./run.js"),
};

export async function importsScreen(ctx) {
  await Promise.all([useMessages("io"), useStyles("/screens/imports/imports.css")]);
  const [id] = ctx.params;
  if (!id) return importList(ctx);
  if (id === "new") return (await import("./upload.js")).default(ctx);
  const imp = await api(`/api/imports/${id}`);
  let step = ctx.url.searchParams.get("step");
  if (imp.status !== "ready") step = "run";
  else if (!LOAD[step]) step = "settings";
  return (await LOAD[step]()).default(ctx, imp);
}

/** The import's record list (`contacts`), whether the API names the entity or its list. */
export function resourceOfImport(imp) {
  return ENTITIES[imp.entity] ? imp.entity : resourceOf(imp.entity) || imp.entity;
}

/** The imports the caller may start: the importable lists their role may import into. */
export function importableBy(me) {
  return IMPORTABLE.filter((r) => can(me, ENTITIES[r].perm, "import"));
}

/** A message with a fallback to the raw code (a status or outcome a later API may add). */
export function label(prefix, code) {
  const text = t(`${prefix}.${code}`);
  return text === `${prefix}.${code}` ? code : text;
}

export function countsText(counts = {}) {
  return t("imports.counts", {
    created: counts.created ?? 0,
    updated: counts.updated ?? 0,
    skipped: counts.skipped ?? 0,
    failed: counts.failed ?? 0,
  });
}

/** The error as a message, with the field errors the problem names. */
export function problemText(error) {
  const fields = Object.entries(error?.fields || {}).map(([f, m]) => `${f}: ${m}`);
  return [errorMessage(error), ...fields].join(" ");
}

/** `PATCH /api/imports/<id>` with `If-Match`; resolves to the import as it is now. */
export async function patchImport(imp, body) {
  const next = await api(`/api/imports/${imp.id}`, { method: "PATCH", body, ifMatch: imp.version });
  return next && next.id ? next : api(`/api/imports/${imp.id}`);
}

/** The steps as a list, the current one marked; while nothing is imported the later ones link. */
function stepper(imp, current) {
  const open = imp && imp.status === "ready";
  return html`<nav class="steps" aria-label=${t("imports.steps")}><ol>
    ${STEPS.map((step, i) => {
      const text = `${i + 1}. ${t(`imports.step.${step}`)}`;
      const here = step === current;
      const linked = open && !here && step !== "upload" && step !== "run";
      return html`<li aria-current=${here ? "step" : null}>${linked
        ? html`<a href=${`/imports/${imp.id}?step=${step}`}>${text}</a>`
        : html`<span>${text}</span>`}</li>`;
    })}
  </ol></nav>`;
}

/** A step's page: crumbs, heading, the steps, the file it is about, then `body`. */
export function frame(imp, current, body) {
  return html`<section class="screen imports">
    <p class="crumbs"><a href="/imports">${t("imports.title")}</a></p>
    <h1>${t(`imports.step.${current}`)}</h1>
    ${stepper(imp, current)}
    ${imp
      ? html`<p class="muted">${t("imports.about", { file: imp.file_name || `#${imp.id}`, entity: t(`nav.${resourceOfImport(imp)}`), count: imp.rows ?? 0 })}</p>`
      : null}
    ${body}
  </section>`;
}

async function importList({ me }) {
  const page = await api("/api/imports");
  const items = page.items || [];
  return html`<section class="screen imports">
    <div class="screen-head"><h1>${t("imports.title")}</h1>
      ${importableBy(me).length ? html`<a class="button" href="/imports/new">${t("imports.new")}</a>` : null}
    </div>
    ${items.length === 0
      ? html`<p class="muted">${t("imports.none")}</p>`
      : html`<div class="table-wrap"><table class="records">
          <caption class="visually-hidden">${t("imports.past")}</caption>
          <thead><tr>
            <th scope="col">${t("imports.file")}</th><th scope="col">${t("imports.entity")}</th>
            <th scope="col">${t("imports.status")}</th><th scope="col">${t("imports.result")}</th>
            <th scope="col">${t("imports.when")}</th>
          </tr></thead>
          <tbody>${items.map((imp) => html`<tr>
            <th scope="row" class="title-cell"><a href=${`/imports/${imp.id}`}>${imp.file_name || `#${imp.id}`}</a></th>
            <td data-label=${t("imports.entity")}>${t(`nav.${resourceOfImport(imp)}`)}</td>
            <td data-label=${t("imports.status")}>${label("imports.status", imp.status)}</td>
            <td data-label=${t("imports.result")}>${t("imports.rows", { count: imp.rows ?? 0 })}; ${countsText(imp.counts)}</td>
            <td data-label=${t("imports.when")}>${formatDateTime(imp.created_at)}</td>
          </tr>`)}</tbody>
        </table></div>`}
  </section>`;
}
