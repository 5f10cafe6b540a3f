// Web forms (`/settings/forms`): the list of forms, and one form's page
// (`/settings/forms/<id>`, or `new`) with its builder, public link and embed snippets, a live
// preview of the hosted page and the submission log. The pieces live beside this file:
// form-builder.js (with form-fields.js), form-share.js and form-log.js.

import { api, apiAll } from "../../api.js";
import { html, el, mount } from "../../ui/html.js";
import { t } from "../../i18n/i18n.js";
import { dictionary, fieldsOf, pipelines } from "../../ui/reference.js";
import { page, table } from "./kit.js";
import { builder, blankForm } from "./form-builder.js";
import { sharePanel, previewPanel } from "./form-share.js";
import { submissionLog } from "./form-log.js";

export default async function forms(ctx) {
  return ctx.id ? formPage(ctx) : formList();
}

async function formList() {
  const items = await apiAll("/api/forms");
  const columns = [
    { label: t("settings.name"), head: true, value: (f) => html`<a href=${`/settings/forms/${f.id}`}>${f.name}</a>` },
    { label: t("forms.creates"), value: (f) => t(`forms.creates.${f.creates}`) },
    { label: t("forms.status"), value: (f) => t(f.active ? "forms.status.on" : "forms.status.off") },
    { label: t("forms.public_url"), value: (f) => html`<a href=${f.public_url} target="_blank" rel="noopener">${f.public_url}</a>` },
  ];
  return page(
    t("settings.section.forms"),
    html`<a class="button" href="/settings/forms/new">${t("forms.new")}</a>`,
    table(items, columns, { caption: t("settings.section.forms") }),
  );
}

/** What the builder offers: users, sources, pipelines and the fields of leads and contacts. */
async function references() {
  const [users, sources, pipes, lead, contact] = await Promise.all([
    apiAll("/api/users", { "filter[active]": "true" }),
    dictionary("source"),
    pipelines(),
    fieldsOf("leads"),
    fieldsOf("contacts"),
  ]);
  return { users, sources, pipelines: pipes, fields: { lead: lead.fields, contact: contact.fields } };
}

async function formPage(ctx) {
  const creating = ctx.id === "new";
  const [item, refs] = await Promise.all([creating ? null : api(`/api/forms/${ctx.id}`), references()]);
  const back = html`<a href="/settings/forms">${t("forms.all")}</a>`;
  if (creating) {
    const form = builder(blankForm(ctx.me), refs, (saved) => ctx.navigate(`/settings/forms/${saved.id}`, { replace: true }));
    return page(t("forms.new_title"), back, form);
  }
  const side = el`<div class="form-side"></div>`;
  const show = (current) => mount(side, sharePanel(current), previewPanel(current));
  const view = page(
    item.name,
    back,
    el`<div class="form-layout">${builder(item, refs, (saved) => {
      heading.textContent = saved.name;
      document.title = `${saved.name} · CRM`;
      show(saved);
    })}${side}</div>`,
    submissionLog(item),
  );
  const heading = view.querySelector("h1");
  show(item);
  return view;
}
