// The wizard's first step, `/imports/new?entity=contacts`: which list to fill and the file,
// chosen or dropped on the drop zone. The file goes as the raw body of `POST /api/imports`
// (its name and the entity in the query); the answer is the import with what was detected.

import { api } from "../../api.js";
import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { frame, importableBy, problemText } from "./index.js";

const ACCEPT = ".csv,.txt,.tsv,.xlsx,.vcf,.vcard,text/csv,text/vcard,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export default function uploadStep({ url, me, navigate }) {
  const allowed = importableBy(me);
  if (!allowed.length) return frame(null, "upload", html`<p class="notice error" role="alert">${t("error.forbidden")}</p>`);
  const asked = url.searchParams.get("entity");
  const entity = el`<select id="import-entity" name="entity">
    ${allowed.map((r) => html`<option value=${r} ?selected=${r === asked}>${t(`nav.${r}`)}</option>`)}
  </select>`;
  // The address keeps the choice (a reload, a link from a list), without drawing the page again.
  entity.addEventListener("change", () => history.replaceState(null, "", `/imports/new?entity=${entity.value}`));
  const file = el`<input type="file" id="import-file" name="file" accept=${ACCEPT} aria-describedby="import-file-hint">`;
  const chosen = el`<p class="chosen" aria-live="polite"></p>`;
  const error = el`<p class="notice error" role="alert" hidden></p>`;
  const submit = el`<button type="submit">${t("imports.upload")}</button>`;
  const showChosen = () => {
    const f = file.files[0];
    chosen.textContent = f ? t("imports.chosen", { name: f.name }) : "";
  };
  file.addEventListener("change", showChosen);

  const zone = el`<div class="dropzone">
    <label for="import-file">${t("imports.file_label")}</label>
    ${file}
    <p class="hint" id="import-file-hint">${t("imports.drop_hint")}</p>
    ${chosen}
  </div>`;
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer?.files?.length) {
      file.files = e.dataTransfer.files;
      showChosen();
    }
  });

  async function send(event) {
    event.preventDefault();
    const f = file.files[0];
    error.hidden = true;
    if (!f) {
      error.textContent = t("imports.no_file");
      error.hidden = false;
      file.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("imports.uploading");
    try {
      const made = await api("/api/imports", { method: "POST", query: { entity: entity.value, file_name: f.name }, file: f });
      navigate(`/imports/${made.id}?step=settings`);
    } catch (err) {
      error.textContent = problemText(err);
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = t("imports.upload");
    }
  }

  return frame(null, "upload", html`<form class="stack import-upload" @submit=${send}>
    <div class="field"><label for="import-entity">${t("imports.into")}</label>${entity}</div>
    ${zone}
    <p class="hint">${t("imports.formats")}</p>
    ${error}
    <div class="actions">${submit}</div>
  </form>`);
}
