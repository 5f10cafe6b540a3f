// The record card in depth: related records (a company's contacts and deals, a contact's
// deals), line items on deals and leads (`GET/PUT /api/<r>/<id>/products`, the product picker,
// totals from the server's answer), the record's activities (plan or log a call, meeting or task
// bound to it; mark one done with a result) and the lead's Convert action.

import { api } from "../api.js";
import { html, el, mount } from "../ui/html.js";
import { t, formatMoney, formatDateTime } from "../i18n/i18n.js";
import { can, titleOf } from "../ui/reference.js";
import { announce } from "../ui/shell.js";
import { errorMessage } from "../ui/forms.js";
import { openDialog } from "../ui/dialog.js";
import { recordPicker } from "../ui/picker.js";
import { reasonOf } from "./board.js";

const RELATED = {
  companies: [
    ["contacts", "company_ids"],
    ["deals", "company_id"],
  ],
  contacts: [["deals", "contact_ids"]],
};

/** Lists of records that point at this one. */
export function relatedPanels(resource, record, me) {
  return (RELATED[resource] || [])
    .filter(([r]) => can(me, r === "deals" ? "deal" : "contact", "read"))
    .map(([r, field]) => {
      const list = el`<ul class="related"></ul>`;
      const id = `rel-${r}`;
      const filter = { [`filter[${field}]`]: record.id };
      api(`/api/${r}`, { query: { ...filter, limit: 20 } }).then(
        (page) =>
          mount(
            list,
            page.items.length
              ? page.items.map((i) => html`<li><a href=${`/${r}/${i.id}`}>${titleOf(r, i)}</a>
                  ${i.amount ? html` <span class="muted">${formatMoney(i.amount, i.currency)}</span>` : null}</li>`)
              : html`<li class="muted">${t("related.none")}</li>`,
          ),
        (error) => mount(list, html`<li class="muted">${errorMessage(error)}</li>`),
      );
      return html`<section class="panel" aria-labelledby=${id}><h2 id=${id}>${t(`nav.${r}`)}</h2>${list}</section>`;
    });
}

/**
 * The store order a deal was made from (`/api/deals/<id>/store-order`): its number and store,
 * its status there and a link to it in the store's admin. Hidden for a deal no order made.
 */
export function storeOrderPanel(record) {
  const body = el`<div></div>`;
  const panel = el`<section class="panel" aria-labelledby="store-order" hidden><h2 id="store-order">${t("store_order.title")}</h2>${body}</section>`;
  api(`/api/deals/${record.id}/store-order`).then(
    (order) => {
      const link = /^https?:\/\//i.test(order.admin_url || "")
        ? html`<p><a href=${order.admin_url} target="_blank" rel="noopener noreferrer">${t("store_order.open")}</a></p>`
        : null;
      mount(
        body,
        html`<p>${t("store_order.line", { number: order.number || order.order_id, source: order.source?.name || "" })}</p>
          ${order.state ? html`<p class="muted">${t("store_order.state", { state: order.state })}</p>` : null}
          ${order.updated_at ? html`<p class="muted">${t("store_order.updated", { time: formatDateTime(order.updated_at) })}</p>` : null}
          ${link}`,
      );
      panel.hidden = false;
    },
    () => {
      /* not made from a store order: nothing to show */
    },
  );
  return panel;
}

/** The line-items editor; `changed()` is called after a save (the record's amount follows). */
export function lineItems(resource, record, me, changed) {
  const mayEdit = can(me, resource === "deals" ? "deal" : "lead", "update");
  const rows = el`<tbody></tbody>`;
  const totals = el`<p class="totals" role="status" aria-live="polite"></p>`;
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  let n = 0;

  function row(item = {}) {
    const i = n++;
    const fromCatalog = Boolean(item.product_id);
    const tr = el`<tr>
      <td><input aria-label=${t("items.name")} name="name" .value=${item.name || ""} ?readonly=${fromCatalog || !mayEdit}></td>
      <td><input aria-label=${t("items.price")} name="price" inputmode="decimal" .value=${item.price || ""} ?readonly=${fromCatalog || !mayEdit}></td>
      <td><input aria-label=${t("items.quantity")} name="quantity" inputmode="decimal" .value=${item.quantity || "1"} ?readonly=${!mayEdit}></td>
      <td><input aria-label=${t("items.discount")} name="discount_rate" inputmode="decimal" .value=${item.discount_rate || "0"} ?readonly=${!mayEdit}></td>
      <td class="num">${item.total ? formatMoney(item.total, record.currency) : "—"}</td>
      <td>${mayEdit ? html`<button type="button" class="secondary small" aria-label=${t("items.remove", { n: i + 1 })}
        @click=${(e) => e.target.closest("tr").remove()}>×</button>` : null}</td>
    </tr>`;
    tr.productId = item.product_id || null;
    return tr;
  }

  function show(items) {
    mount(rows, items.map((item) => row(item)));
    const sum = items.reduce((s, i) => s + Number(i.total || 0), 0);
    totals.textContent = items.length ? t("items.total", { total: formatMoney(sum.toFixed(2), record.currency) }) : t("items.none");
  }

  async function load() {
    try {
      show((await api(`/api/${resource}/${record.id}/products`)).items || []);
    } catch (error) {
      totals.textContent = errorMessage(error);
    }
  }

  async function save(event) {
    event.preventDefault();
    alert.hidden = true;
    const items = [...rows.children].map((tr) => {
      const v = (name) => tr.querySelector(`[name="${name}"]`).value.trim();
      const item = { quantity: v("quantity") || "1", discount_type: "percent", discount_rate: v("discount_rate") || "0" };
      if (tr.productId) item.product_id = tr.productId;
      else Object.assign(item, { name: v("name"), price: v("price") || "0" });
      return item;
    });
    try {
      const answer = await api(`/api/${resource}/${record.id}/products`, { method: "PUT", body: { items } });
      show(answer.items || []);
      announce(t("items.saved"));
      changed();
    } catch (error) {
      alert.textContent = reasonOf(error);
      alert.hidden = false;
    }
  }

  const picker = el`<div class="inline"></div>`;
  if (mayEdit) {
    const find = el`<input type="search" id="product-find" autocomplete="off">`;
    const found = el`<ul class="found" aria-live="polite"></ul>`;
    let timer;
    find.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = find.value.trim();
        const page = await api("/api/products/picker", { query: q ? { q } : {} }).catch(() => ({ items: [] }));
        mount(found, page.items.map((p) => html`<li><button type="button" class="secondary small" @click=${() => {
          rows.append(row({ product_id: p.id, name: p.name, price: p.price, quantity: "1" }));
          rows.lastElementChild.querySelector('[name="quantity"]').focus();
        }}>${t("items.add_product", { name: p.name })}</button> <span class="muted">${formatMoney(p.price, p.currency)}</span></li>`));
      }, 250);
    });
    mount(picker, html`<label for="product-find">${t("items.find")}</label>${find}
      <button type="button" class="secondary" @click=${() => {
        rows.append(row());
        rows.lastElementChild.querySelector("input").focus();
      }}>${t("items.add_line")}</button>${found}`);
  }
  load();
  return html`<section class="panel" aria-labelledby="items-title">
    <h2 id="items-title">${t("items.title")}</h2>
    <form @submit=${save}>
      <div class="table-wrap"><table class="items">
        <thead><tr><th scope="col">${t("items.name")}</th><th scope="col">${t("items.price")}</th>
          <th scope="col">${t("items.quantity")}</th><th scope="col">${t("items.discount")}</th>
          <th scope="col">${t("items.line_total")}</th><th scope="col"><span class="visually-hidden">${t("delete")}</span></th></tr></thead>
        ${rows}
      </table></div>
      ${totals}${alert}${picker}
      ${mayEdit ? html`<div class="actions"><button type="submit">${t("items.save")}</button></div>` : null}
    </form>
  </section>`;
}

const KINDS = ["CALL", "MEETING", "TASK"];

/** Local `datetime-local` value -> an RFC 3339 instant. */
function instant(local) {
  return local ? new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

/** The record's activities: plan (or log, already done) and mark done with a result. */
export function activitiesPanel(entity, record, me, changed) {
  const list = el`<ul class="activities"></ul>`;
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const mayAdd = can(me, "activity", "add");

  function item(a) {
    const when = a.start_at || a.deadline;
    const li = el`<li class=${a.completed ? "done" : null}>
      <strong>${t(`activity.${a.type}`)}</strong> <a href=${`/activities/${a.id}`}>${a.subject}</a>
      ${when ? html` · <time datetime=${when}>${formatDateTime(when)}</time>` : null}
      ${a.completed ? html` · ${t("activity.done")}${a.result ? `: ${a.result}` : ""}` : null}
    </li>`;
    if (!a.completed && can(me, "activity", "update")) {
      li.append(el`<button type="button" class="secondary small" aria-label=${t("activity.mark_done", { subject: a.subject })}
        @click=${() => done(a)}>${t("activity.done_button")}</button>`);
    }
    return li;
  }

  async function load() {
    try {
      const page = await api("/api/activities", { query: { "filter[bindings]": `${entity}:${record.id}`, limit: 50 } });
      mount(list, page.items.length ? page.items.map(item) : html`<li class="muted">${t("activity.none")}</li>`);
    } catch (error) {
      mount(list, html`<li class="muted">${errorMessage(error)}</li>`);
    }
  }

  async function done(a) {
    const form = el`<form method="dialog" class="stack">
      <label for="activity-result">${t("activity.result")}</label>
      <textarea id="activity-result" name="result" rows="3"></textarea>
      <div class="actions"><button value="ok">${t("activity.done_button")}</button>
      <button value="" class="secondary" formnovalidate>${t("cancel")}</button></div>
    </form>`;
    if ((await openDialog(t("activity.mark_done", { subject: a.subject }), form)) !== "ok") return;
    try {
      const result = form.result.value.trim();
      await api(`/api/activities/${a.id}`, { method: "PATCH", body: { completed: true, ...(result ? { result } : {}) }, ifMatch: a.version });
      announce(t("activity.marked"));
      load();
      changed();
    } catch (error) {
      alert.textContent = reasonOf(error);
      alert.hidden = false;
    }
  }

  async function plan(event) {
    event.preventDefault();
    const form = event.currentTarget;
    alert.hidden = true;
    const type = form.type.value;
    const at = instant(form.at.value);
    const body = { type, subject: form.subject.value.trim(), bindings: [{ entity, id: record.id }] };
    if (at) Object.assign(body, type === "TASK" ? { deadline: at } : { start_at: at });
    if (form.completed.checked) body.completed = true;
    try {
      await api("/api/activities", { method: "POST", body });
      form.reset();
      announce(t("activity.saved"));
      load();
      changed();
    } catch (error) {
      alert.textContent = reasonOf(error);
      alert.hidden = false;
    }
  }

  load();
  return html`<section class="panel" aria-labelledby="acts-title">
    <h2 id="acts-title">${t("nav.activities")}</h2>
    ${list}${alert}
    ${mayAdd
      ? html`<form class="stack plan" @submit=${plan}>
          <label for="act-type">${t("activity.type")}</label>
          <select id="act-type" name="type">${KINDS.map((k) => html`<option value=${k}>${t(`activity.${k}`)}</option>`)}</select>
          <label for="act-subject">${t("activity.subject")}</label>
          <input id="act-subject" name="subject" required>
          <label for="act-at">${t("activity.when")}</label>
          <input id="act-at" name="at" type="datetime-local">
          <div class="field check"><input type="checkbox" id="act-completed" name="completed">
            <label for="act-completed">${t("activity.already_done")}</label></div>
          <div class="actions"><button type="submit">${t("activity.add")}</button></div>
        </form>`
      : null}
  </section>`;
}

/** The lead's Convert dialog: contact, company (each new, existing or none) and a deal. */
export async function convertLead(lead, navigate) {
  const choice = (name, resource) => {
    const picker = recordPicker(resource, t(`convert.existing_${name}`), { id: `convert-${name}-pick` });
    picker.hidden = true;
    const radios = ["new", "existing", "none"].map(
      (v) => html`<label class="check"><input type="radio" name=${name} value=${v} ?checked=${v === "new"}
        @change=${() => (picker.hidden = v !== "existing")}> ${t(`convert.${v}`)}</label>`,
    );
    const box = el`<fieldset><legend>${t(`entity.${name}`)}</legend>${radios}</fieldset>`;
    box.append(picker);
    box.pick = () => {
      const v = box.querySelector("input:checked").value;
      if (v === "new") return "new";
      if (v === "existing") return picker.value ? { id: picker.value } : undefined;
      return null;
    };
    return box;
  };
  const contact = choice("contact", "contacts");
  const company = choice("company", "companies");
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  const form = el`<form class="stack convert">
    ${contact}${company}
    <div class="field check"><input type="checkbox" id="convert-deal" checked><label for="convert-deal">${t("convert.deal")}</label></div>
    ${alert}
    <div class="actions"><button type="submit">${t("convert.submit")}</button>
      <button type="button" class="secondary" @click=${(e) => e.target.closest("dialog").close("")}>${t("cancel")}</button></div>
  </form>`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.hidden = true;
    const body = { contact: contact.pick(), company: company.pick(), deal: form.querySelector("#convert-deal").checked ? {} : null };
    if (body.contact === undefined || body.company === undefined) {
      alert.textContent = t("convert.pick");
      alert.hidden = false;
      return;
    }
    try {
      const answer = await api(`/api/leads/${lead.id}/convert`, { method: "POST", body });
      form.closest("dialog").close("done");
      sessionStorage.setItem("crm.flash", t("convert.done"));
      const to = answer.deal ? `/deals/${answer.deal.id}` : answer.contact ? `/contacts/${answer.contact.id}` : `/leads/${lead.id}`;
      navigate(to);
    } catch (error) {
      alert.textContent = reasonOf(error);
      alert.hidden = false;
    }
  });
  await openDialog(t("convert.title", { title: titleOf("leads", lead) }), form);
}

const DUP_ENTITIES = { leads: "lead", contacts: "contact", companies: "company" };

/** After a create: records `/api/duplicates` finds with the same e-mail, phone or company title. */
export async function findDuplicates(resource, record) {
  const entity = DUP_ENTITIES[resource];
  if (!entity) return [];
  const first = (list) => (list || []).map((v) => (typeof v === "string" ? v : v.value)).find(Boolean);
  const query = { entity };
  const email = first(record.emails);
  const phone = first(record.phones);
  if (email) query.email = email;
  if (phone) query.phone = phone;
  if (resource === "companies" && record.title) query.title = record.title;
  if (Object.keys(query).length === 1) return [];
  try {
    const page = await api("/api/duplicates", { query });
    return (page.items || []).filter((d) => d.entity === entity && d.id !== record.id);
  } catch {
    return [];
  }
}

/** The duplicates found on create, each offered for merge (this new record into the older one). */
export function duplicatesNotice(resource, record, items, navigate) {
  if (!items.length) return null;
  const alert = el`<p class="notice error" role="alert" hidden></p>`;
  async function merge(d) {
    try {
      await api(`/api/${resource}/${d.id}/merge`, { method: "POST", body: { from: [record.id] } });
      sessionStorage.setItem("crm.flash", t("dups.merged"));
      navigate(`/${resource}/${d.id}`, { replace: true });
    } catch (error) {
      alert.textContent = reasonOf(error);
      alert.hidden = false;
    }
  }
  return html`<section class="notice warn" aria-labelledby="dups-title">
    <h2 id="dups-title">${t("dups.title")}</h2>
    <ul>${items.map((d) => html`<li><a href=${`/${resource}/${d.id}`}>${d.title || `#${d.id}`}</a>
      <span class="muted">${t("dups.matched", { by: (d.matched_by || []).map((m) => t(`dups.by_${m}`)).join(", ") })}</span>
      <button type="button" class="secondary small" @click=${() => merge(d)}>${t("dups.merge", { title: d.title || `#${d.id}` })}</button></li>`)}</ul>
    ${alert}
  </section>`;
}
