// A web form's public side, beside its builder: the public link and the embed snippets
// (the API's script and link embeds, plus a frame of the hosted page) as read-only text with
// Copy buttons, and a live preview of the hosted page `/f/<key>` in a sandboxed frame (same
// origin; sending is off there, so trying the preview makes no leads).

import { html, el } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { copyField } from "./kit.js";

/** Text for an HTML attribute value in a snippet people paste into their site. */
function attr(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The link and the snippets of `form` (a record with `public_url` and `embed`). */
export function sharePanel(form) {
  const frame = `<iframe src="${attr(form.public_url)}" title="${attr(form.name)}" width="100%" height="640" style="border:0" loading="lazy"></iframe>`;
  return el`<section class="panel form-share" aria-labelledby="form-share-title">
    <h2 id="form-share-title">${t("forms.share")}</h2>
    ${form.active ? null : html`<p class="notice warn">${t("forms.inactive_note")}</p>`}
    ${copyField("form-public-url", t("forms.public_url"), form.public_url)}
    <p><a href=${form.public_url} target="_blank" rel="noopener">${t("forms.open")}</a></p>
    ${copyField("form-embed-script", t("forms.embed_script"), form.embed.script, { multiline: true })}
    <p class="hint">${t("forms.embed_script_hint")}</p>
    ${copyField("form-embed-frame", t("forms.embed_frame"), frame, { multiline: true })}
    ${copyField("form-embed-link", t("forms.embed_link"), form.embed.link, { multiline: true })}
  </section>`;
}

/** The hosted page as visitors see it; a new one (so a fresh load) after each save. */
export function previewPanel(form) {
  return el`<section class="panel form-preview" aria-labelledby="form-preview-title">
    <h2 id="form-preview-title">${t("forms.preview")}</h2>
    <p class="hint">${t("forms.preview_hint")}</p>
    ${form.active
      ? html`<iframe src=${`/f/${encodeURIComponent(form.public_key)}`} title=${t("forms.preview_title", { name: form.name })} sandbox="allow-scripts"></iframe>`
      : html`<p class="muted">${t("forms.preview_off")}</p>`}
  </section>`;
}
