// A role's permissions as the role page edits them: the matrix as a grid (a row per entity, a
// column per action, each cell a labelled <select> of the levels that mean something there) and
// the lead-status / deal-stage rules (for each, "any" or only the checked statuses or stages).
// Both are drawn from and read back into the API's JSON:
//   {"entities": {"deal": {"read": "own", ...}, ...},
//    "stages": {"deal": {"read": ["NEW", ...], "move": [...]}}}   (a missing list: no limit)
// Each control has the id `f-permissions.<path>` and an error place beside it, so the API's
// field errors (`permissions.entities.deal.read`) land in the right cell.

import { html, el } from "../../ui/html.js";
import { t, loc } from "../../i18n/i18n.js";

/** Levels from nothing to everything, as the API orders them. */
const LEVELS = ["none", "own", "department", "subdepartments", "all"];
/** Entities whose records have no owner: a level is either nothing or everything. */
const UNOWNED = new Set(["product", "settings"]);
/** The entities with stage rules, and their rules. */
const STAGED = ["lead", "deal"];
const RULES = ["read", "move"];

const fid = (path) => `f-permissions.${path}`;

/** The label of entity or action `code`, falling back to the code for ones added later. */
function label(kind, code) {
  const key = `roles.${kind}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

/** The levels a cell offers; a stored level outside them stays offered, so nothing changes unseen. */
function levelsFor(entity, current) {
  const levels = UNOWNED.has(entity) ? ["none", "all"] : LEVELS;
  return levels.includes(current) || !current ? levels : [...levels, current];
}

/** The matrix grid over `entities` (`{entity: {action: level}}`). */
function grid(entities) {
  const codes = Object.keys(entities);
  const actions = Object.keys(entities[codes[0]] || {});
  return el`<div class="matrix-wrap"><table class="matrix">
    <caption class="visually-hidden">${t("roles.matrix")}</caption>
    <thead><tr><th scope="col">${t("roles.matrix_entity")}</th>${actions.map((a) => html`<th scope="col">${label("action", a)}</th>`)}</tr></thead>
    <tbody>${codes.map((entity) => html`<tr>
      <th scope="row">${label("entity", entity)}</th>
      ${actions.map((action) => {
        const path = `entities.${entity}.${action}`;
        const current = entities[entity][action];
        return html`<td data-label=${label("action", action)}>
          <select id=${fid(path)} data-entity=${entity} data-action=${action} aria-describedby=${`${fid(path)}-error`}
            aria-label=${t("roles.cell", { entity: label("entity", entity), action: label("action", action) })}>
            ${levelsFor(entity, current).map((l) => html`<option value=${l} ?selected=${l === current}>${label("level", l)}</option>`)}
          </select>
          <p class="field-error" id=${`${fid(path)}-error`} hidden></p>
        </td>`;
      })}
    </tr>`)}</tbody>
  </table></div>`;
}

/**
 * One stage rule: "any" or "only the checked", then a checkbox per status or stage, grouped
 * (`groups`: `[{name, stages: [{code, name}]}]`). Codes the role names but no list has any more
 * are shown in a group of their own, so they can be seen and dropped.
 */
function rule(entity, which, list, groups) {
  const path = `stages.${entity}.${which}`;
  const chosen = new Set(list || []);
  const known = new Set(groups.flatMap((g) => g.stages.map((s) => s.code)));
  const gone = [...chosen].filter((c) => !known.has(c));
  const all = gone.length ? [...groups, { name: t("roles.unknown_stages"), stages: gone.map((code) => ({ code, name: code })) }] : groups;
  const legend = t(`roles.rule.${entity}.${which}`);
  const box = el`<fieldset class="stage-rule" id=${fid(path)} data-entity=${entity} data-rule=${which}>
    <legend>${legend}</legend>
    <div class="rule-mode">
      <label class="check"><input type="radio" name=${fid(path)} value="any" ?checked=${!list}>${t("roles.rule_any")}</label>
      <label class="check"><input type="radio" name=${fid(path)} value="only" ?checked=${Boolean(list)}>${t("roles.rule_only")}</label>
    </div>
    ${all.map((g) => html`<fieldset class="stage-group"><legend>${g.name}</legend>
      ${g.stages.map((s) => html`<label class="check"><input type="checkbox" value=${s.code} ?checked=${!list || chosen.has(s.code)}>${s.name}</label>`)}
    </fieldset>`)}
    <p class="field-error" id=${`${fid(path)}-error`} hidden></p>
  </fieldset>`;
  const sync = () => {
    const only = box.querySelector('input[value="only"]').checked;
    for (const c of box.querySelectorAll("input[type=checkbox]")) c.disabled = !only;
  };
  box.addEventListener("change", sync);
  sync();
  return box;
}

/** The status and stage lists to check: lead statuses, then each pipeline's stages. */
function stageGroups(statuses, pipelines) {
  return {
    lead: [{ name: t("roles.lead_statuses"), stages: statuses.map((s) => ({ code: s.code, name: loc(s.name) })) }],
    deal: pipelines.map((p) => ({ name: loc(p.name), stages: (p.stages || []).map((s) => ({ code: s.code, name: loc(s.name) })) })),
  };
}

/**
 * The `permissions` field of the role page (a kit `custom` field): `statuses` are the lead
 * statuses, `pipelines` the pipelines with their stages, `template` the matrix a new role starts
 * from (every entity and action, all `none`).
 */
export function permissionsField({ statuses, pipelines, template }) {
  const groups = stageGroups(statuses, pipelines);
  return {
    name: "permissions",
    kind: "custom",
    render: (value) => {
      const permissions = value || template;
      const stages = permissions.stages || {};
      return el`<div class="permissions">
        <section class="settings-block" aria-labelledby="matrix-title">
          <h2 id="matrix-title">${t("roles.matrix")}</h2>
          <p class="hint">${t("roles.matrix_hint")}</p>
          <p class="field-error" id="f-permissions-error" hidden></p>
          ${grid(permissions.entities)}
        </section>
        <section class="settings-block" aria-labelledby="stages-title">
          <h2 id="stages-title">${t("roles.stages")}</h2>
          <p class="hint">${t("roles.stages_hint")}</p>
          <div class="stage-rules">
            ${STAGED.map((entity) => html`<div class="stage-entity">
              ${RULES.map((which) => rule(entity, which, stages[entity]?.[which], groups[entity]))}
              <p class="field-error" id=${fid(`stages.${entity}-error`)} hidden></p>
            </div>`)}
          </div>
        </section>
      </div>`;
    },
    read: readPermissions,
  };
}

/** The permissions as the form holds them, in the API's JSON (lists sorted, as the API keeps them). */
function readPermissions(form) {
  const entities = {};
  for (const select of form.querySelectorAll("select[data-entity]")) {
    (entities[select.dataset.entity] ??= {})[select.dataset.action] = select.value;
  }
  const stages = {};
  for (const box of form.querySelectorAll("fieldset.stage-rule")) {
    if (!box.querySelector('input[value="only"]').checked) continue;
    const codes = [...box.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value).sort();
    (stages[box.dataset.entity] ??= {})[box.dataset.rule] = codes;
  }
  return { entities, stages };
}

/** A matrix granting nothing, shaped like `sample` (a role the API showed in full). */
export function emptyMatrix(sample) {
  const entities = {};
  for (const [entity, actions] of Object.entries(sample?.entities || {})) {
    entities[entity] = Object.fromEntries(Object.keys(actions).map((a) => [a, "none"]));
  }
  return { entities, stages: {} };
}
