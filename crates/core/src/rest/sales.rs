//! Links and sales (issue 19): `crm.deal.contact.*` (a deal's contacts, the first the primary
//! one) and `crm.contact.company.*` (a contact's companies), and `crm.duplicate.findbycomm`
//! over the normalised channels (the product rows are `rest::productrows`).
//!
//! Links are the records' own link fields (`contact_ids`, `company_ids`), changed through the
//! record engine as the caller (`records::service::update`: update access to the record, read
//! access to each record linked, timeline entries on both sides), so the order of the list is
//! the links' order and its first id is the primary one: Bitrix24's `SORT` and `IS_PRIMARY`
//! become that order (primary first, then by `SORT`), and read back as `SORT` 10, 20, 30...

use serde_json::{Map, Value as Json, json};

use super::dictionaries::describe;
use super::methods::Method;
use super::values::{self, field, flag_of, id_of, id_param, integer_of, object_param, yes_no};
use super::{Call, Reply, RestError};
use crate::db::transaction;
use crate::error::CoreError;
use crate::records::{EntityDef, duplicates, service};

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.deal.contact.fields", "crm", deal_contact_fields),
    ("crm.deal.contact.add", "crm", deal_contact_add),
    ("crm.deal.contact.delete", "crm", deal_contact_delete),
    ("crm.deal.contact.items.get", "crm", deal_contact_items_get),
    ("crm.deal.contact.items.set", "crm", deal_contact_items_set),
    ("crm.deal.contact.items.delete", "crm", deal_contact_items_delete),
    ("crm.contact.company.fields", "crm", contact_company_fields),
    ("crm.contact.company.add", "crm", contact_company_add),
    ("crm.contact.company.delete", "crm", contact_company_delete),
    ("crm.contact.company.items.get", "crm", contact_company_items_get),
    ("crm.contact.company.items.set", "crm", contact_company_items_set),
    ("crm.contact.company.items.delete", "crm", contact_company_items_delete),
    ("crm.duplicate.findbycomm", "crm", duplicate_findbycomm),
];

// Links

/// One kind of link as Bitrix24 names it: the record entity, its link field, and the key
/// naming the linked record in an item (`CONTACT_ID`).
struct Links {
    entity: &'static str,
    field: &'static str,
    key: &'static str,
    kind: &'static str,
}

const DEAL_CONTACTS: Links = Links {
    entity: "deal",
    field: "contact_ids",
    key: "CONTACT_ID",
    kind: "crm_contact",
};

const CONTACT_COMPANIES: Links = Links {
    entity: "contact",
    field: "company_ids",
    key: "COMPANY_ID",
    kind: "crm_company",
};

/// One link as a client gives it.
#[derive(Debug, Clone, Copy)]
struct Link {
    id: i64,
    sort: i64,
    primary: bool,
}

/// The ids in link order: the first primary one first, then by `SORT` (stable), each once.
fn ordered(mut links: Vec<Link>) -> Vec<i64> {
    links.sort_by_key(|link| link.sort);
    if let Some(at) = links.iter().position(|link| link.primary) {
        let primary = links.remove(at);
        links.insert(0, primary);
    }
    let mut ids: Vec<i64> = Vec::with_capacity(links.len());
    for link in links {
        if !ids.contains(&link.id) {
            ids.push(link.id);
        }
    }
    ids
}

/// The stored links as [`Link`]s (sort 10, 20...; the first primary).
fn as_links(ids: &[i64]) -> Vec<Link> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Link {
            id: *id,
            sort: (i as i64 + 1) * 10,
            primary: i == 0,
        })
        .collect()
}

/// One item `{KEY, SORT?, IS_PRIMARY?}`; `path` names it in errors.
fn read_link(links: &Links, value: &Json, path: &str) -> Result<(i64, Option<i64>, Option<bool>), RestError> {
    let Some(map) = value.as_object() else {
        return Err(RestError::invalid_arg(format!("{path} must be an object")));
    };
    let id = field(map, links.key)
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg(format!("{path}{} is not defined or invalid", links.key)))?;
    let sort = match field(map, "SORT") {
        None | Some(Json::Null) => None,
        Some(value) => Some(
            integer_of(value)
                .filter(|sort| *sort >= 0)
                .ok_or_else(|| RestError::invalid_arg(format!("{path}SORT must be a whole number")))?,
        ),
    };
    let primary = match field(map, "IS_PRIMARY") {
        None | Some(Json::Null) => None,
        Some(value) => {
            Some(flag_of(value).ok_or_else(|| RestError::invalid_arg(format!("{path}IS_PRIMARY must be Y or N")))?)
        }
    };
    Ok((id, sort, primary))
}

/// The record's linked ids, as the caller may read the record.
fn linked(call: &Call, def: &EntityDef, links: &Links, id: i64) -> Result<Vec<i64>, CoreError> {
    let record = service::get(call.db, call.caller, def, id)?;
    Ok(record[links.field]
        .as_array()
        .map(|ids| ids.iter().filter_map(Json::as_i64).collect())
        .unwrap_or_default())
}

/// Rewrites the record's links from the current ones by `change`, in one transaction through
/// the record engine.
fn relink(
    call: &Call,
    links: &Links,
    id: i64,
    change: impl FnOnce(Vec<i64>) -> Option<Vec<i64>>,
) -> Result<Reply, RestError> {
    let def = EntityDef::load_for(call.db, call.caller, links.entity)?;
    transaction(call.db, |db| {
        let inner = Call { db, ..*call };
        let current = linked(&inner, &def, links, id)?;
        if let Some(ids) = change(current.clone()).filter(|ids| *ids != current) {
            service::update(db, call.caller, &def, id, &json!({ links.field: ids }), None)?;
        }
        Ok(())
    })
    .map_err(|e| values::named_error(e, &[(links.field, links.key)]))?;
    Ok(Reply::of(Json::Bool(true)))
}

fn link_fields(links: &Links) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        (links.key, links.kind, "R", links.key),
        ("SORT", "integer", "", "Sort"),
        ("ROLE_ID", "crm_enum", "O", "Role"),
        ("IS_PRIMARY", "char", "", "Primary"),
    ])))
}

fn link_items_get(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let def = EntityDef::load_for(call.db, call.caller, links.entity)?;
    let items: Vec<Json> = as_links(&linked(call, &def, links, id)?)
        .iter()
        .map(|link| {
            json!({
                links.key: link.id,
                "SORT": link.sort,
                "ROLE_ID": 0,
                "IS_PRIMARY": yes_no(link.primary),
            })
        })
        .collect();
    Ok(Reply::of(Json::Array(items)))
}

fn link_fields_param<'a>(call: &'a Call) -> Result<&'a Map<String, Json>, RestError> {
    object_param(call, "fields")?.ok_or_else(|| RestError::invalid_arg("fields are required"))
}

fn link_add(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let (other, sort, primary) = read_link(links, &Json::Object(link_fields_param(call)?.clone()), "fields.")?;
    relink(call, links, id, |current| {
        let mut items: Vec<Link> = as_links(&current).into_iter().filter(|l| l.id != other).collect();
        let last = items.iter().map(|l| l.sort).max().unwrap_or(0);
        let primary = primary.unwrap_or(items.is_empty()) || items.is_empty();
        if primary {
            items.iter_mut().for_each(|l| l.primary = false);
        } else if let Some(first) = items.first_mut() {
            first.primary = true;
        }
        items.push(Link {
            id: other,
            sort: sort.unwrap_or(last + 10),
            primary,
        });
        Some(ordered(items))
    })
}

fn link_delete(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let fields = link_fields_param(call)?;
    let other = field(fields, links.key)
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg(format!("fields.{} is not defined or invalid", links.key)))?;
    relink(call, links, id, |current| {
        Some(current.into_iter().filter(|linked| *linked != other).collect())
    })
}

fn link_items_set(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let given = match call.param("items") {
        None | Some(Json::Null) => Vec::new(),
        Some(value) => values::strict_list_of(value).ok_or_else(|| RestError::invalid_arg("items must be a list"))?,
    };
    let mut items = Vec::with_capacity(given.len());
    for (i, value) in given.into_iter().enumerate() {
        let (other, sort, primary) = read_link(links, value, &format!("items[{i}]."))?;
        items.push(Link {
            id: other,
            sort: sort.unwrap_or((i as i64 + 1) * 10),
            primary: primary.unwrap_or(false),
        });
    }
    let ids = ordered(items);
    relink(call, links, id, move |_| Some(ids))
}

fn link_items_delete(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    relink(call, links, id, |_| Some(Vec::new()))
}

fn deal_contact_fields(_call: &Call) -> Result<Reply, RestError> {
    link_fields(&DEAL_CONTACTS)
}
fn deal_contact_add(call: &Call) -> Result<Reply, RestError> {
    link_add(call, &DEAL_CONTACTS)
}
fn deal_contact_delete(call: &Call) -> Result<Reply, RestError> {
    link_delete(call, &DEAL_CONTACTS)
}
fn deal_contact_items_get(call: &Call) -> Result<Reply, RestError> {
    link_items_get(call, &DEAL_CONTACTS)
}
fn deal_contact_items_set(call: &Call) -> Result<Reply, RestError> {
    link_items_set(call, &DEAL_CONTACTS)
}
fn deal_contact_items_delete(call: &Call) -> Result<Reply, RestError> {
    link_items_delete(call, &DEAL_CONTACTS)
}
fn contact_company_fields(_call: &Call) -> Result<Reply, RestError> {
    link_fields(&CONTACT_COMPANIES)
}
fn contact_company_add(call: &Call) -> Result<Reply, RestError> {
    link_add(call, &CONTACT_COMPANIES)
}
fn contact_company_delete(call: &Call) -> Result<Reply, RestError> {
    link_delete(call, &CONTACT_COMPANIES)
}
fn contact_company_items_get(call: &Call) -> Result<Reply, RestError> {
    link_items_get(call, &CONTACT_COMPANIES)
}
fn contact_company_items_set(call: &Call) -> Result<Reply, RestError> {
    link_items_set(call, &CONTACT_COMPANIES)
}
fn contact_company_items_delete(call: &Call) -> Result<Reply, RestError> {
    link_items_delete(call, &CONTACT_COMPANIES)
}

// Duplicates

/// Bitrix24's entity types searched for duplicates, and ours.
const DUPLICATE_TYPES: &[(&str, &str)] = &[("LEAD", "lead"), ("CONTACT", "contact"), ("COMPANY", "company")];

/// The most values one call may give, as Bitrix24's.
const DUPLICATE_VALUES: usize = 20;

fn duplicate_findbycomm(call: &Call) -> Result<Reply, RestError> {
    let kind = match call
        .param("type")
        .and_then(Json::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("EMAIL") => "email",
        Some("PHONE") => "phone",
        _ => return Err(RestError::invalid_arg("type must be EMAIL or PHONE")),
    };
    let given = call
        .param("values")
        .and_then(values::strict_list_of)
        .ok_or_else(|| RestError::invalid_arg("values must be a list of up to 20 strings"))?;
    if given.is_empty() || given.len() > DUPLICATE_VALUES {
        return Err(RestError::invalid_arg("values must be a list of up to 20 strings"));
    }
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(given.len() + 1);
    let entity = match call
        .param("entity_type")
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
    {
        None => None,
        Some(value) => {
            let name = value.as_str().map(str::to_ascii_uppercase).unwrap_or_default();
            let (_, ours) = DUPLICATE_TYPES
                .iter()
                .find(|(theirs, _)| *theirs == name)
                .ok_or_else(|| RestError::invalid_arg("entity_type must be LEAD, CONTACT or COMPANY"))?;
            pairs.push(("entity".into(), (*ours).into()));
            Some(*ours)
        }
    };
    for value in given {
        let text = values::decimal_text_of(value)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RestError::invalid_arg("values must be non-empty strings"))?;
        pairs.push((kind.into(), text));
    }
    let cx = service::parse_context_for(call.db, call.caller)?;
    let found =
        duplicates::find(call.db, call.caller, &pairs, &cx).map_err(|e| values::named_error(e, &[(kind, "values")]))?;
    let mut out = Map::new();
    for (theirs, ours) in DUPLICATE_TYPES {
        if entity.is_some_and(|e| e != *ours) {
            continue;
        }
        let ids: Vec<Json> = found["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| item["entity"] == *ours)
            .filter_map(|item| item["id"].as_i64())
            .map(Json::from)
            .collect();
        if !ids.is_empty() {
            out.insert((*theirs).into(), Json::Array(ids));
        }
    }
    Ok(Reply::of(if out.is_empty() {
        Json::Array(Vec::new())
    } else {
        Json::Object(out)
    }))
}
