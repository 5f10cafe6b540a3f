// The wizard's duplicates step: what a row that matches an existing record does (skip it,
// update the record, or create a new one anyway) and what makes a match (e-mail, phone, both,
// or one field such as a title). Saved as the import's `duplicate_mode` and `match_by`.

import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { fieldsOf } from "../../ui/reference.js";
import { fieldLabel } from "../../ui/fields.js";
import { frame, patchImport, problemText, resourceOfImport } from "./index.js";

const MODES = ["skip", "update", "create"];

function radio(name, value, checked, text, hint) {
  const id = `${name}-${value}`;
  return html`<div class="field check"><input type="radio" id=${id} name=${name} value=${value} ?checked=${checked}>
    <label for=${id}>${text}</label>${hint ? html`<p class="hint">${hint}</p>` : null}</div>`;
}

export default async function duplicatesStep({ navigate }, imp) {
  const meta = await fieldsOf(resourceOfImport(imp));
  const channels = ["emails", "phones"].filter((c) => meta.fields.some((f) => f.name === c));
  const keys = meta.fields.filter((f) => ["string", "integer"].includes(f.type) && f.writable !== "never" && !f.multiple);
  const matchBy = imp.match_by || [];
  const ways = [];
  if (channels.length === 2) ways.push({ value: "channels", by: channels, text: t("imports.match.channels") });
  for (const c of channels) ways.push({ value: c, by: [c], text: t(`imports.match.${c}`) });
  const same = (a, b) => a.length === b.length && a.every((x) => b.includes(x));
  const current = ways.find((w) => same(w.by, matchBy))?.value || "field";
  const fieldChoice = el`<select id="match-field" aria-label=${t("imports.match.which")}>
    ${keys.map((f) => html`<option value=${f.name} ?selected=${matchBy.length === 1 && matchBy[0] === f.name}>${fieldLabel(f)}</option>`)}
  </select>`;
  const status = el`<p class="notice error" role="alert" hidden></p>`;

  const form = el`<form class="stack import-duplicates">
    <fieldset class="options"><legend>${t("imports.mode")}</legend>
      ${MODES.map((m) => radio("mode", m, (imp.duplicate_mode || "skip") === m, t(`imports.mode.${m}`), t(`imports.mode.${m}_hint`)))}
    </fieldset>
    <fieldset class="options" id="match"><legend>${t("imports.match")}</legend>
      ${ways.map((w) => radio("match", w.value, current === w.value, w.text))}
      ${keys.length
        ? html`<div class="field check"><input type="radio" id="match-by-field" name="match" value="field" ?checked=${current === "field"}>
            <label for="match-by-field">${t("imports.match.field")}</label></div>${fieldChoice}`
        : null}
    </fieldset>
    ${status}
    <div class="actions"><button type="submit">${t("imports.next")}</button></div>
  </form>`;
  const matchSet = form.querySelector("#match");
  const sync = () => {
    matchSet.disabled = form.elements.mode.value === "create";
  };
  form.addEventListener("change", sync);
  // Picking a field means matching by it.
  fieldChoice.addEventListener("change", () => {
    form.querySelector("#match-by-field").checked = true;
  });
  sync();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const way = form.elements.match?.value;
    const body = { duplicate_mode: form.elements.mode.value };
    if (body.duplicate_mode !== "create" && way) body.match_by = way === "field" ? [fieldChoice.value] : ways.find((w) => w.value === way).by;
    status.hidden = true;
    try {
      await patchImport(imp, body);
      navigate(`/imports/${imp.id}?step=check`);
    } catch (error) {
      status.textContent = problemText(error);
      status.hidden = false;
    }
  });
  return frame(imp, "duplicates", form);
}
