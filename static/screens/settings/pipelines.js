// Deal pipelines and their stages: add a pipeline, rename it, and for each stage its name in
// both languages, colour, probability and meaning (in progress, won, lost). Stages reorder by
// drag and drop or by the Move up / Move down buttons (one `PUT .../stages` with the new
// order). The API keeps exactly one won and at least one lost stage and says so beside the
// meaning; a stage that still holds deals is deleted only after choosing where they go.

import { api, ApiError } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";
import { openDialog, confirmDialog } from "../../ui/dialog.js";
import { page, editDialog, confirmThen, attempt, refuse, alertBox } from "./kit.js";

const SEMANTICS = ["progress", "won", "lost"];

const pipelineFields = () => [{ name: "name", label: t("settings.name"), kind: "names", required: true }];

const stageFields = () => [
  { name: "name", label: t("settings.name"), kind: "names", required: true },
  { name: "code", label: t("pipelines.code"), create: true, hint: t("pipelines.code_hint") },
  { name: "color", label: t("pipelines.color"), kind: "color" },
  { name: "probability", label: t("pipelines.probability"), kind: "number" },
  { name: "semantic", label: t("pipelines.semantic"), kind: "select", required: true, initial: "progress", options: SEMANTICS.map((s) => ({ value: s, label: t(`pipelines.semantic.${s}`) })) },
];

/** A stage code from its English (or Russian) name when none is typed: `Site visit` -> `SITE_VISIT`. */
function codeFrom(name) {
  const text = (name?.en || name?.ru || "").normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "").toUpperCase();
  return (text || "STAGE").slice(0, 30) + (text ? "" : `_${Date.now() % 100000}`);
}

export default async function pipelines(ctx) {
  const { items } = await api("/api/pipelines");
  const alert = alertBox();
  const reload = () => ctx.rerender();
  const create = async () => {
    if (await editDialog(t("pipelines.new"), pipelineFields(), null, (body) => api("/api/pipelines", { method: "POST", body }))) reload();
  };
  return page(
    t("settings.section.pipelines"),
    html`<button type="button" @click=${create}>${t("pipelines.new")}</button>`,
    alert,
    items.map((pipeline) => pipelineCard(pipeline, alert, reload)),
  );
}

function pipelineCard(pipeline, alert, reload) {
  const name = loc(pipeline.name);
  const base = `/api/pipelines/${pipeline.id}`;
  const rename = async () => {
    const save = (body) => api(base, { method: "PATCH", body, ifMatch: pipeline.version });
    if (await editDialog(t("pipelines.rename", { name }), pipelineFields(), pipeline, save)) reload();
  };
  const remove = async () => {
    const done = await confirmThen(t("pipelines.delete_confirm", { name }), t("pipelines.delete", { name }), () => api(base, { method: "DELETE", ifMatch: pipeline.version }), alert);
    if (done) reload();
  };
  const addStage = async () => {
    const save = (body) => api(`${base}/stages`, { method: "POST", body: { ...body, code: body.code || codeFrom(body.name) } });
    if (await editDialog(t("pipelines.add_stage"), stageFields(), null, save)) reload();
  };
  const stages = pipeline.stages;
  const list = el`<ol class="stages-list" aria-label=${t("pipelines.stages_of", { name })}>
    ${stages.map((stage, index) => stageRow(pipeline, stage, index, alert, reload))}
  </ol>`;
  dragToReorder(list, (codes) => reorder(pipeline, codes, alert, reload));
  return el`<section class="pipeline-card" aria-label=${name}>
    <div class="screen-head">
      <h2>${name}${pipeline.is_default ? html` <span class="badge">${t("pipelines.default")}</span>` : null}</h2>
      <div class="actions">
        <button type="button" class="secondary" @click=${rename}>${t("pipelines.rename", { name })}</button>
        <button type="button" class="secondary" @click=${addStage}>${t("pipelines.add_stage")}</button>
        ${pipeline.is_default ? null : html`<button type="button" class="danger" @click=${remove}>${t("pipelines.delete", { name })}</button>`}
      </div>
    </div>
    ${list}
  </section>`;
}

function stageRow(pipeline, stage, index, alert, reload) {
  const name = loc(stage.name);
  const codes = pipeline.stages.map((s) => s.code);
  const move = (by) => {
    const next = [...codes];
    next.splice(index, 1);
    next.splice(index + by, 0, stage.code);
    reorder(pipeline, next, alert, reload);
  };
  const edit = async () => {
    const save = (body) => api(`/api/pipelines/${pipeline.id}/stages/${encodeURIComponent(stage.code)}`, { method: "PATCH", body });
    if (await editDialog(t("pipelines.edit_stage", { name }), stageFields(), stage, save)) reload();
  };
  const first = index === 0;
  const last = index === codes.length - 1;
  return el`<li class="stage-row" draggable="true" data-code=${stage.code}>
    <span class="drag-handle" aria-hidden="true">⋮⋮</span>
    <span class="swatch" ref=${(swatch) => (swatch.style.background = stage.color || "")}></span>
    <span class="stage-name">${name}</span>
    <span class=${`badge semantic-${stage.semantic}`}>${t(`pipelines.semantic.${stage.semantic}`)}</span>
    <span class="muted">${stage.probability}%</span>
    <span class="actions">
      <button type="button" class="secondary" ?disabled=${first} aria-label=${t("pipelines.move_up", { name })} @click=${() => move(-1)}>↑</button>
      <button type="button" class="secondary" ?disabled=${last} aria-label=${t("pipelines.move_down", { name })} @click=${() => move(1)}>↓</button>
      <button type="button" class="secondary" aria-label=${t("settings.edit_item", { name })} @click=${edit}>${t("edit")}</button>
      <button type="button" class="danger" aria-label=${t("pipelines.delete_stage", { name })} @click=${() => deleteStage(pipeline, stage, alert, reload)}>${t("delete")}</button>
    </span>
  </li>`;
}

async function reorder(pipeline, codes, alert, reload) {
  const put = () => api(`/api/pipelines/${pipeline.id}/stages`, { method: "PUT", body: { order: codes }, ifMatch: pipeline.version });
  if (await attempt(alert, put)) reload();
}

/** Deletes a stage; when it holds deals (409), asks where they go and deletes with `move_to`. */
async function deleteStage(pipeline, stage, alert, reload) {
  const name = loc(stage.name);
  const url = `/api/pipelines/${pipeline.id}/stages/${encodeURIComponent(stage.code)}`;
  if (!(await confirmDialog(t("pipelines.delete_stage_confirm", { name }), t("pipelines.delete_stage", { name })))) return;
  try {
    await api(url, { method: "DELETE" });
    return reload();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) return refuse(alert, error);
  }
  const others = pipeline.stages.filter((s) => s.code !== stage.code);
  const form = el`<form method="dialog" class="fields-form">
    <div class="field"><label for="move-to">${t("pipelines.move_deals_to")}</label>
      <select id="move-to" name="move_to">${others.map((s) => html`<option value=${s.code}>${loc(s.name)}</option>`)}</select></div>
    <div class="actions"><button value="move" class="danger">${t("pipelines.move_and_delete")}</button><button value="cancel" class="secondary">${t("cancel")}</button></div>
  </form>`;
  if ((await openDialog(t("pipelines.stage_holds_deals", { name }), form)) !== "move") return;
  if (await attempt(alert, () => api(`${url}?move_to=${encodeURIComponent(form.move_to.value)}`, { method: "DELETE" }))) reload();
}

/** Drag and drop inside `list`: calls `done(codes)` with the new order after a drop. */
function dragToReorder(list, done) {
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-code]");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged?.dataset.code || "");
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li[data-code]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!dragged) return;
    dragged = null;
    done([...list.querySelectorAll("li[data-code]")].map((li) => li.dataset.code));
  });
}
