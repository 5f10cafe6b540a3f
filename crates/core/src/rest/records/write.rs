//! Bitrix24's `fields` into the engine's body (API.md's JSON, merge-patch on update): names
//! through the entity's map, values by the engine field's type from strings (query strings
//! and forms) or JSON values alike. Unknown and read-only fields are ignored, as Bitrix24
//! ignores them. The contact lists follow Bitrix24's update rules: an item without `ID` is
//! added, one with `ID` changes that item, and with an empty `VALUE` or `DELETE=Y` removes it.

use serde_json::{Map, Value as Json, json};

use super::Ctx;
use super::map::{Conv, ENTITY_TYPES, Mapped, VALUE_TYPE_ALIASES, custom_name};
use super::read::list_kind;
use crate::records::fields::{Access, FieldDef, FieldKind};
use crate::rest::RestError;
use crate::rest::values::{decimal_text_of, flag_of, id_of, integer_of, list_of, text_of};

/// The engine body for `fields`; `before` is the record (API.md's JSON) on update, `None` on
/// add.
pub fn body(cx: &Ctx, fields: &Json, before: Option<&Json>) -> Result<Json, RestError> {
    let Some(fields) = fields.as_object() else {
        return Err(RestError::invalid_arg("fields must be an object"));
    };
    let empty = json!({});
    let before = before.unwrap_or(&empty);
    let mut out = Map::new();
    let mut custom = Map::new();
    let mut addresses: Map<String, Json> = Map::new();
    let mut owner: (Option<&str>, Option<i64>) = (None, None);
    let mut firsts: Vec<(&'static str, i64)> = Vec::new();
    for (key, value) in fields {
        let name = key.to_ascii_uppercase();
        if name.starts_with("UF_") {
            if let Some(field) = cx
                .def
                .fields
                .iter()
                .find(|f| f.is_custom() && custom_name(&f.name) == name)
                && writable(cx, field)
            {
                let before_value = &before["custom"][&field.name];
                custom.insert(field.name.clone(), auto(cx, field, value, before_value, &name)?);
            }
            continue;
        }
        let Some(mapped) = cx.map.field(&name) else { continue };
        match mapped.conv {
            Conv::Meta | Conv::Has => {}
            Conv::Auto => {
                let Some(field) = cx.def.field(mapped.ours).filter(|f| writable(cx, f)) else {
                    continue;
                };
                let converted = auto(cx, field, value, &before[mapped.ours], mapped.name)?;
                out.insert(mapped.ours.to_owned(), converted);
            }
            Conv::Codes(pairs) => {
                if cx.def.field(mapped.ours).is_some_and(|f| writable(cx, f)) {
                    out.insert(mapped.ours.to_owned(), code_in(pairs, value));
                }
            }
            Conv::AddressPart(part) => {
                let text = text_of(value).filter(|t| !t.trim().is_empty());
                let address = addresses.entry(mapped.ours.to_owned()).or_insert_with(|| {
                    let stored = &before[mapped.ours];
                    let first = if stored.is_array() { &stored[0] } else { stored };
                    if first.is_object() { first.clone() } else { json!({}) }
                });
                match text {
                    Some(text) => address[part] = json!(text),
                    None => {
                        if let Some(parts) = address.as_object_mut() {
                            parts.remove(part);
                        }
                    }
                }
            }
            Conv::FirstOf => {
                if let Some(id) = id_of(value) {
                    firsts.push((mapped.ours, id));
                }
            }
            Conv::Category => {
                if !cx.creating() {
                    continue;
                }
                let pipeline = match integer_of(value) {
                    Some(0) => cx.default_pipeline(),
                    Some(id) if id > 0 => Some(id),
                    None if is_blank(value) => cx.default_pipeline(),
                    _ => return Err(bad(mapped, "a category id")),
                };
                out.insert(mapped.ours.to_owned(), json!(pipeline));
            }
            Conv::OwnerType => {
                let entity = integer_of(value)
                    .and_then(|id| ENTITY_TYPES.iter().find(|(type_id, _)| *type_id == id))
                    .map(|(_, entity)| *entity)
                    .ok_or_else(|| bad(mapped, "1 (lead), 2 (deal), 3 (contact) or 4 (company)"))?;
                owner.0 = Some(entity);
            }
            Conv::OwnerId => owner.1 = Some(id_of(value).ok_or_else(|| bad(mapped, "a record id"))?),
        }
    }
    for (field, address) in addresses {
        let address = if address.as_object().is_some_and(Map::is_empty) {
            Json::Null
        } else {
            address
        };
        let value = match &before[&field] {
            Json::Array(stored) if cx.def.field(&field).is_some_and(|f| f.multiple) => {
                let mut list = stored.clone();
                match (list.is_empty(), address.is_null()) {
                    (true, true) => {}
                    (true, false) => list.push(address),
                    (false, true) => {
                        list.remove(0);
                    }
                    (false, false) => list[0] = address,
                }
                Json::Array(list)
            }
            _ if cx.def.field(&field).is_some_and(|f| f.multiple) => {
                Json::Array(address.is_object().then_some(address).into_iter().collect())
            }
            _ => address,
        };
        out.insert(field, value);
    }
    for (field, id) in firsts {
        if out.contains_key(field) {
            continue;
        }
        let mut ids = vec![json!(id)];
        let stored = before[field].as_array().cloned().unwrap_or_default();
        ids.extend(stored.into_iter().filter(|other| other.as_i64() != Some(id)));
        out.insert(field.to_owned(), Json::Array(ids));
    }
    if owner != (None, None) {
        let stored = before["bindings"].as_array().cloned().unwrap_or_default();
        let first = stored.first();
        let entity = owner.0.or_else(|| {
            first
                .and_then(|b| b["entity"].as_str())
                .and_then(crate::records::entity::static_name)
        });
        let id = owner.1.or_else(|| first.and_then(|b| b["id"].as_i64()));
        let (Some(entity), Some(id)) = (entity, id) else {
            return Err(RestError::invalid_arg("OWNER_TYPE_ID and OWNER_ID go together"));
        };
        let mut bindings = vec![json!({"entity": entity, "id": id})];
        bindings.extend(
            stored
                .into_iter()
                .skip(1)
                .filter(|b| b["entity"] != entity || b["id"] != id),
        );
        out.insert("bindings".into(), Json::Array(bindings));
    }
    if cx.creating() {
        category_from_stage(cx, &mut out);
    }
    if !custom.is_empty() {
        out.insert("custom".into(), Json::Object(custom));
    }
    Ok(Json::Object(out))
}

/// Whether a request may set `field` now (read-only never, create-only only on add).
fn writable(cx: &Ctx, field: &FieldDef) -> bool {
    match field.access {
        Access::ReadWrite => true,
        Access::CreateOnly => cx.creating(),
        Access::ReadOnly => false,
    }
}

fn bad(mapped: &Mapped, expected: &str) -> RestError {
    bad_named(mapped.name, expected)
}

fn bad_named(name: &str, expected: &str) -> RestError {
    RestError::invalid_arg(format!("{name}: expected {expected}"))
}

/// An empty string or `null`: no value.
fn is_blank(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

fn code_in(pairs: &[(&str, &str)], value: &Json) -> Json {
    let Some(text) = text_of(value).filter(|t| !t.trim().is_empty()) else {
        return Json::Null;
    };
    let text = text.trim();
    match pairs.iter().find(|(theirs, _)| theirs.eq_ignore_ascii_case(text)) {
        Some((_, "")) => Json::Null,
        Some((_, ours)) => json!(ours),
        None => json!(text),
    }
}

/// A value by the engine field's type; `before` is the stored value (for the contact lists).
fn auto(cx: &Ctx, field: &FieldDef, value: &Json, before: &Json, name: &str) -> Result<Json, RestError> {
    if let Some(kind) = list_kind(field) {
        return Ok(contact_list(kind, value, before, cx.creating()));
    }
    if field.multiple {
        if is_blank(value) {
            return Ok(json!([]));
        }
        let items = list_of(value)
            .into_iter()
            .filter(|item| !is_blank(item))
            .map(|item| one(cx, &field.kind, item, name))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Json::Array(items));
    }
    if is_blank(value) && !matches!(field.kind, FieldKind::String | FieldKind::Text) {
        return Ok(Json::Null);
    }
    one(cx, &field.kind, value, name)
}

fn one(cx: &Ctx, kind: &FieldKind, value: &Json, name: &str) -> Result<Json, RestError> {
    let converted = match kind {
        FieldKind::String | FieldKind::Text | FieldKind::Currency | FieldKind::Enumeration(_) => match text_of(value) {
            Some(text) if text.trim().is_empty() => Json::Null,
            Some(text) => json!(text),
            None => return Err(bad_named(name, "a text")),
        },
        FieldKind::Integer => json!(integer_of(value).ok_or_else(|| bad_named(name, "an integer"))?),
        FieldKind::Decimal(_) => json!(decimal_text_of(value).ok_or_else(|| bad_named(name, "a number"))?),
        FieldKind::Money(_) => match value {
            Json::Object(_) => value.clone(),
            _ => {
                let text = text_of(value).ok_or_else(|| bad_named(name, "an amount|CURRENCY"))?;
                let (amount, currency) = text.split_once('|').unwrap_or((&text, ""));
                let currency = if currency.is_empty() {
                    Json::Null
                } else {
                    json!(currency.trim())
                };
                json!({"amount": amount.trim(), "currency": currency})
            }
        },
        FieldKind::Boolean => json!(flag_of(value).ok_or_else(|| bad_named(name, "Y or N"))?),
        FieldKind::Date => {
            let text = text_of(value).ok_or_else(|| bad_named(name, "a date"))?;
            json!(cx.zone.parse_date(&text).ok_or_else(|| bad_named(name, "a date"))?)
        }
        FieldKind::Datetime => {
            let text = text_of(value).ok_or_else(|| bad_named(name, "a time"))?;
            let unix = cx.zone.parse_datetime(&text).ok_or_else(|| bad_named(name, "a time"))?;
            json!(crate::clock::rfc3339(unix))
        }
        FieldKind::User | FieldKind::Record(_) => match integer_of(value) {
            Some(0) => Json::Null,
            Some(id) if id > 0 => json!(id),
            _ => return Err(bad_named(name, "an id")),
        },
        _ => value.clone(),
    };
    Ok(converted)
}

/// Bitrix24's multi-field items applied to the stored list (`[]` on add, where an item's `ID`,
/// say from a record read elsewhere, names nothing and the item is added).
fn contact_list(kind: crate::records::values::ListKind, value: &Json, before: &Json, adding: bool) -> Json {
    let mut items: Vec<Option<Json>> = before
        .as_array()
        .map(|stored| {
            stored
                .iter()
                .map(|item| Some(json!({"value": item["value"], "type": item["type"]})))
                .collect()
        })
        .unwrap_or_default();
    for item in list_of(value) {
        let (id, text, value_type, delete) = match item {
            Json::Object(map) => {
                let get = |key: &str| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v);
                (
                    get("ID").and_then(id_of),
                    get("VALUE").and_then(text_of).map(|t| t.trim().to_owned()),
                    get("VALUE_TYPE").and_then(text_of),
                    get("DELETE").and_then(flag_of).unwrap_or(false),
                )
            }
            scalar => (None, text_of(scalar).map(|t| t.trim().to_owned()), None, false),
        };
        let text = text.filter(|t| !t.is_empty());
        match id.filter(|_| !adding) {
            // An id of an item the list does not have is ignored.
            Some(id) => {
                let Some(slot) = usize::try_from(id - 1).ok().and_then(|i| items.get_mut(i)) else {
                    continue;
                };
                let Some(existing) = slot.as_mut() else { continue };
                match text {
                    Some(text) if !delete => {
                        existing["value"] = json!(text);
                        if let Some(value_type) = value_type {
                            existing["type"] = json!(value_type_in(kind, &value_type));
                        }
                    }
                    _ => *slot = None,
                }
            }
            None => {
                if let (Some(text), false) = (text, delete) {
                    let value_type = value_type.map_or(kind.default_type().to_owned(), |t| value_type_in(kind, &t));
                    items.push(Some(json!({"value": text, "type": value_type})));
                }
            }
        }
    }
    Json::Array(items.into_iter().flatten().collect())
}

/// Bitrix24's `VALUE_TYPE` as our item type of a list of `kind`.
fn value_type_in(kind: crate::records::values::ListKind, theirs: &str) -> String {
    let theirs = theirs.trim();
    let ours = VALUE_TYPE_ALIASES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(theirs))
        .map_or_else(|| theirs.to_ascii_lowercase(), |(_, o)| (*o).to_owned());
    if kind.types().contains(&ours.as_str()) {
        ours
    } else {
        "other".into()
    }
}

/// As Bitrix24 does, a new record given a stage of another pipeline (`C2:NEW`) and no
/// category is put in that stage's pipeline.
fn category_from_stage(cx: &Ctx, out: &mut Map<String, Json>) {
    let Some(category) = cx.map.fields().find(|m| m.conv == Conv::Category) else {
        return;
    };
    if out.get(category.ours).is_some_and(|c| !c.is_null()) {
        return;
    }
    let pipeline = cx
        .def
        .stage()
        .and_then(|stage| out.get(stage))
        .and_then(Json::as_str)
        .and_then(|code| code.strip_prefix('C'))
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(n, _)| n.parse::<i64>().ok());
    if let Some(pipeline) = pipeline {
        out.insert(category.ours.to_owned(), json!(pipeline));
    }
}
