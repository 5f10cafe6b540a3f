// The kanban boards: deals per pipeline (`GET /api/deals/board?pipeline_id=`), leads per status
// (`GET /api/leads/board`). Each column shows its count and total (the base currency, via Intl),
// its first cards and "Load more" (the column's `next_cursor` through the ordinary list with
// `filter[<stage field>]=`). A card moves by native drag and drop or, from the keyboard, by its
// "Move" button (a dialog listing the stages): a `PATCH` of the stage with `If-Match`. A refused
// move (403, 412, 422) shows the server's reason and the card goes back where it was.

import { api, ApiError } from "../api.js";
import { html, el, mount } from "../ui/html.js";
import { t, loc, formatMoney } from "../i18n/i18n.js";
import { ENTITIES, fieldsOf, pipelines, currencies, can, titleOf, users } from "../ui/reference.js";
import { announce } from "../ui/shell.js";
import { errorMessage } from "../ui/forms.js";
import { openDialog } from "../ui/dialog.js";

const PER_COLUMN = 20;

/** The server's own words for a refusal: its field messages, else its detail. */
export function reasonOf(error) {
  if (!(error instanceof ApiError)) return errorMessage(error);
  const messages = Object.values(error.fields);
  if (messages.length) return messages.join("; ");
  if (error.status === 412) return t("error.stale");
  return error.problem?.detail || errorMessage(error);
}

export async function boardScreen({ url, params: [resource], me, navigate }) {
  const { perm } = ENTITIES[resource];
  const meta = await fieldsOf(resource);
  const stageField = meta.stage_field || (resource === "deals" ? "stage" : "status");
  const [pipes, curr, people] = await Promise.all([
    resource === "deals" ? pipelines() : [],
    currencies(),
    users(me),
  ]);
  const base = curr.find((c) => c.base)?.code || curr[0]?.code;
  let pipelineId = null;
  if (resource === "deals") {
    const asked = Number(url.searchParams.get("pipeline"));
    const pipe = pipes.find((p) => p.id === asked) || pipes.find((p) => p.is_default || p.default) || pipes[0];
    pipelineId = pipe?.id ?? null;
  }
  const query = { per_column: PER_COLUMN };
  if (pipelineId) query.pipeline_id = pipelineId;
  const board = await api(`/api/${resource}/board`, { query });
  const mayMove = can(me, perm, "update");
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const columns = new Map();
  const stageName = (code) => loc(columns.get(code)?.stage.name) || code;

  function person(id) {
    const p = people.find((u) => u.id === id);
    return p ? p.name : null;
  }

  function cardOf(item) {
    const money = item.amount;
    const title = titleOf(resource, item);
    const card = el`<li class="board-card" draggable=${mayMove ? "true" : null} data-id=${item.id}>
      <a href=${`/${resource}/${item.id}`}>${title}</a>
      ${money ? html`<span class="money">${formatMoney(money, item.currency)}</span>` : null}
      ${person(item.responsible_id) ? html`<span class="muted">${person(item.responsible_id)}</span>` : null}
      ${mayMove
        ? html`<button type="button" class="secondary small" aria-label=${t("board.move_label", { title })}
            @click=${() => chooseStage(card)}>${t("board.move")}</button>`
        : null}
    </li>`;
    card.item = item;
    card.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("text/plain", String(item.id));
      e.dataTransfer.effectAllowed = "move";
      card.classList.add("dragging");
    });
    card.addEventListener("dragend", () => card.classList.remove("dragging"));
    // Shift+Left / Shift+Right move the focused card to the neighbouring column.
    card.addEventListener("keydown", (e) => {
      const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (!mayMove || !e.shiftKey || !step) return;
      e.preventDefault();
      const codes = [...columns.keys()];
      const to = codes[codes.indexOf(card.closest(".board-col")?.dataset.stage) + step];
      if (to) move(card, to);
    });
    return card;
  }

  function headerOf(column) {
    const total = column.amount !== undefined ? formatMoney(column.amount, base) : "";
    return html`<span class="count">${t("board.count", { count: column.count })}</span>
      ${total ? html`<span class="total">${total}</span>` : null}`;
  }

  async function loadMore(column, button) {
    button.disabled = true;
    try {
      const q = { limit: PER_COLUMN, cursor: column.next_cursor, [`filter[${stageField}]`]: column.stage.code };
      if (pipelineId) q["filter[pipeline_id]"] = pipelineId;
      const page = await api(`/api/${resource}`, { query: q });
      for (const item of page.items || []) column.list.append(cardOf(item));
      column.next_cursor = page.next_cursor;
      button.hidden = !page.next_cursor;
      announce(t("board.loaded", { count: (page.items || []).length }));
    } catch (error) {
      showAlert(reasonOf(error));
    } finally {
      button.disabled = false;
    }
  }

  function showAlert(text) {
    alert.textContent = text;
    alert.hidden = false;
  }

  async function refreshHeaders() {
    try {
      const fresh = await api(`/api/${resource}/board`, { query: { ...query, per_column: 1 } });
      for (const c of fresh.columns) {
        const column = columns.get(c.stage.code);
        if (!column) continue;
        column.count = c.count;
        column.amount = c.amount;
        mount(column.head, headerOf(column));
      }
    } catch {
      /* the headers stay as they were */
    }
  }

  async function move(card, code) {
    const from = card.closest(".board-col")?.dataset.stage;
    if (!code || code === from) return;
    const target = columns.get(code);
    const back = { list: card.parentElement, next: card.nextSibling };
    alert.hidden = true;
    target.list.prepend(card);
    card.setAttribute("aria-busy", "true");
    const title = titleOf(resource, card.item);
    try {
      const saved = await api(`/api/${resource}/${card.item.id}`, {
        method: "PATCH",
        body: { [stageField]: code },
        ifMatch: card.item.version,
      });
      card.item = saved;
      announce(t("board.moved", { title, stage: stageName(code) }));
      refreshHeaders();
    } catch (error) {
      back.list.insertBefore(card, back.next);
      showAlert(t("board.refused", { title, reason: reasonOf(error) }));
      // Changed meanwhile: take the newer version, so a second try is about the current record.
      if (error instanceof ApiError && error.stale) {
        card.item = await api(`/api/${resource}/${card.item.id}`).catch(() => card.item);
      }
    } finally {
      card.removeAttribute("aria-busy");
      card.querySelector("button")?.focus({ preventScroll: true });
    }
  }

  async function chooseStage(card) {
    const from = card.closest(".board-col")?.dataset.stage;
    const form = el`<form method="dialog" class="stage-choice">
      ${[...columns.values()].map(
        (c) => html`<button value=${c.stage.code} ?disabled=${c.stage.code === from}
          class=${c.stage.code === from ? "secondary" : null}>${loc(c.stage.name)}</button>`,
      )}
      <button value="" class="secondary">${t("cancel")}</button>
    </form>`;
    const chosen = await openDialog(t("board.move_title", { title: titleOf(resource, card.item) }), form);
    if (chosen) await move(card, chosen);
    else card.querySelector("button")?.focus();
  }

  const cols = board.columns.map((c) => {
    const column = { ...c };
    columns.set(c.stage.code, column);
    const id = `col-${c.stage.code}`;
    column.head = el`<p class="col-head"></p>`;
    mount(column.head, headerOf(column));
    column.list = el`<ul class="board-cards" aria-labelledby=${id}></ul>`;
    for (const item of c.items || []) column.list.append(cardOf(item));
    const more = el`<button type="button" class="secondary" ?hidden=${!c.next_cursor}>${t("list.more")}</button>`;
    more.addEventListener("click", () => loadMore(column, more));
    const section = el`<section class="board-col" data-stage=${c.stage.code} aria-labelledby=${id}>
      <h2 id=${id}><span class="swatch" aria-hidden="true"></span>${loc(c.stage.name)}</h2>
      ${column.head}${column.list}${more}
    </section>`;
    if (c.stage.color) section.querySelector(".swatch").style.background = c.stage.color;
    if (mayMove) {
      section.addEventListener("dragover", (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        section.classList.add("drop");
      });
      section.addEventListener("dragleave", () => section.classList.remove("drop"));
      section.addEventListener("drop", (e) => {
        e.preventDefault();
        section.classList.remove("drop");
        const id = e.dataTransfer.getData("text/plain");
        const card = document.querySelector(`.board-card[data-id="${CSS.escape(id)}"]`);
        if (card) move(card, c.stage.code);
      });
    }
    return section;
  });

  const pipelineSelect =
    resource === "deals" && pipes.length > 1
      ? html`<label for="board-pipeline">${t("board.pipeline")}</label>
          <select id="board-pipeline" @change=${(e) => navigate(`/deals/board?pipeline=${encodeURIComponent(e.target.value)}`)}>
            ${pipes.map((p) => html`<option value=${p.id} ?selected=${p.id === pipelineId}>${loc(p.name)}</option>`)}
          </select>`
      : null;

  return html`<section class="screen board-screen">
    <div class="titlebar">
      <h1>${t(`board.${resource}`)}</h1>
      <a href=${`/${resource}`}>${t("board.as_list")}</a>
      ${can(me, perm, "add") ? html`<a class="button" href=${`/${resource}/new`}>${t(`new.${resource}`)}</a>` : null}
    </div>
    <div class="toolbar inline">${pipelineSelect}<span class="muted">${t("board.hint")}</span></div>
    ${alert}
    <div class="board" role="region" aria-label=${t(`board.${resource}`)} tabindex="0">${cols}</div>
  </section>`;
}

