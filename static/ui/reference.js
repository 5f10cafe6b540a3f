// The record entities the UI knows, and the reference data their fields point at (field
// definitions, dictionaries, pipelines, currencies, users), fetched once per page load and
// shared by the screens. Records themselves are never cached here: screens fetch them.

import { api, apiAll } from "../api.js";

/** URL segment -> entity. `perm` is the `/api/me` permission entity. */
export const ENTITIES = {
  leads: { entity: "lead", perm: "lead", titleOf: (r) => r.title },
  contacts: {
    entity: "contact",
    perm: "contact",
    titleOf: (r) => [r.first_name, r.middle_name, r.last_name].filter(Boolean).join(" "),
  },
  companies: { entity: "company", perm: "company", titleOf: (r) => r.title },
  deals: { entity: "deal", perm: "deal", titleOf: (r) => r.title },
  activities: { entity: "activity", perm: "activity", titleOf: (r) => r.subject },
  products: { entity: "product", perm: "product", titleOf: (r) => r.name },
};

/** The URL segment of entity `name` (`lead` -> `leads`). */
export function resourceOf(entity) {
  return Object.keys(ENTITIES).find((k) => ENTITIES[k].entity === entity);
}

export function titleOf(resource, record) {
  const title = ENTITIES[resource]?.titleOf(record);
  return title || `#${record.id}`;
}

const memo = new Map();
function once(key, load) {
  if (!memo.has(key)) {
    const promise = load();
    promise.catch(() => memo.delete(key));
    memo.set(key, promise);
  }
  return memo.get(key);
}

/** Forget everything (after sign-in as someone else). */
export function resetReference() {
  memo.clear();
}

/** `GET /api/<resource>/fields`: `{entity, stage_field, default_sort, fields: [...]}`. */
export function fieldsOf(resource) {
  return once(`fields:${resource}`, () => api(`/api/${resource}/fields`));
}

/** Dictionaries and currencies are short, one-page lists that take no `limit`. */
function items(path) {
  return api(path).then((page) => page.items || []);
}

function dictionaryKinds() {
  return once("dictionaries", () => items("/api/dictionaries"));
}

/** Entries of a dictionary by its stored kind (`lead_status`), each `{code, name, color}`. */
export function dictionary(storedKind) {
  return once(`dict:${storedKind}`, async () => {
    const kinds = await dictionaryKinds();
    const kind = kinds.find((k) => k.stored_kind === storedKind || k.kind === storedKind);
    return kind ? items(`/api/dictionaries/${kind.kind}`) : [];
  });
}

export function pipelines() {
  return once("pipelines", () => apiAll("/api/pipelines"));
}

export function currencies() {
  return once("currencies", () => items("/api/currencies"));
}

/**
 * People to show and pick: everyone active — with e-mails from `/api/users` when the caller may
 * read settings, otherwise from the directory any signed-in user may read.
 */
export function users(me) {
  return once(`users:${me.id}`, async () => {
    if (can(me, "settings", "read")) {
      try {
        return await apiAll("/api/users", { "filter[active]": "true" });
      } catch {
        /* fall through */
      }
    }
    try {
      return (await api("/api/users/directory")).items;
    } catch {
      return [{ id: me.id, name: me.name, email: me.email }];
    }
  });
}

/** Loads what the given fields refer to; resolves to a lookup object for display and inputs. */
export async function lookupsFor(fieldList, me) {
  const dictKinds = [...new Set(fieldList.map((f) => f.dictionary).filter(Boolean))];
  const [dicts, pipes, curr, people] = await Promise.all([
    Promise.all(dictKinds.map((k) => dictionary(k))),
    fieldList.some((f) => f.name === "pipeline_id") ? pipelines() : [],
    fieldList.some((f) => f.type === "currency") ? currencies() : [],
    fieldList.some((f) => f.type === "user") ? users(me) : [],
  ]);
  const dictionaries = {};
  dictKinds.forEach((k, i) => (dictionaries[k] = dicts[i]));
  return { dictionaries, pipelines: pipes, currencies: curr, users: people, me };
}

/** The role's reach for an action on an entity: "none", "own", ... "all". */
export function reach(me, perm, action) {
  return me?.permissions?.entities?.[perm]?.[action] || "none";
}

export function can(me, perm, action) {
  return reach(me, perm, action) !== "none";
}
