//! A record as Bitrix24 shows it: the engine's rendered record (API.md's JSON) turned into
//! Bitrix24's names and value conventions: ids and numbers as strings, money with its two
//! decimals, `Y`/`N`, times and dates with the firm's offset, `null` for unset, the contact
//! lists as `[{ID, VALUE_TYPE, VALUE, TYPE_ID}]` (present only when the record has items).

use serde_json::{Map, Value as Json, json};

use super::Ctx;
use super::map::{Conv, ENTITY_TYPES, Mapped, VALUE_TYPE_ALIASES, custom_name};
use crate::records::fields::{FieldDef, FieldKind};
use crate::rest::values::yes_no;

/// Which fields a reply shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every field, the contact lists and custom fields included (`get`).
    All,
    /// The named fields (upper case), `*` for every plain field and `UF_*` for every custom
    /// field (`list`'s `select`).
    Named(Vec<String>),
}

impl Selection {
    fn wants(&self, mapped_name: &str, multiple: bool, custom: bool) -> bool {
        match self {
            Selection::All => true,
            Selection::Named(names) => {
                mapped_name == "ID"
                    || names.iter().any(|n| n == mapped_name)
                    || (custom && names.iter().any(|n| n == "UF_*"))
                    || (!custom && !multiple && names.iter().any(|n| n == "*"))
            }
        }
    }
}

/// Whether a mapped field holds several values (not part of `*`).
pub fn is_multiple(cx: &Ctx, mapped: &Mapped) -> bool {
    match mapped.conv {
        Conv::Auto => cx
            .def
            .field(mapped.ours)
            .is_some_and(|f| f.multiple || list_kind(f).is_some()),
        _ => false,
    }
}

/// The record `rec` (API.md's JSON) with the selected fields under Bitrix24's names.
pub fn record(cx: &Ctx, rec: &Json, selection: &Selection) -> Json {
    let mut out = Map::new();
    for mapped in cx.map.fields() {
        if !selection.wants(mapped.name, is_multiple(cx, mapped), false) {
            continue;
        }
        let value = value(cx, mapped, rec);
        // Bitrix24 leaves out a contact list the record has none of.
        if value == Json::Null && mapped.conv == Conv::Auto && is_multiple(cx, mapped) {
            continue;
        }
        out.insert(mapped.name.to_owned(), value);
    }
    for field in cx.def.fields.iter().filter(|f| f.is_custom()) {
        let name = custom_name(&field.name);
        if selection.wants(&name, field.multiple, true) {
            out.insert(name, auto(cx, field, &rec["custom"][&field.name], &field.name));
        }
    }
    Json::Object(out)
}

fn value(cx: &Ctx, mapped: &Mapped, rec: &Json) -> Json {
    let ours = &rec[mapped.ours];
    match mapped.conv {
        Conv::Auto => match cx.def.field(mapped.ours) {
            Some(field) => auto(cx, field, ours, mapped.name),
            None => Json::Null,
        },
        Conv::Codes(pairs) => match ours.as_str() {
            Some(code) => {
                let theirs = pairs.iter().find(|(_, o)| *o == code).map_or(code, |(b, _)| *b);
                json!(theirs)
            }
            None => pairs
                .iter()
                .find(|(_, o)| o.is_empty())
                .map_or(Json::Null, |(b, _)| json!(b)),
        },
        Conv::AddressPart(part) => {
            let address = if ours.is_array() { &ours[0] } else { ours };
            string_or_null(&address[part])
        }
        Conv::FirstOf => id_string(&ours[0]),
        Conv::Category => match ours.as_i64() {
            Some(id) if Some(id) == cx.default_pipeline() => json!("0"),
            Some(id) => json!(id.to_string()),
            None => Json::Null,
        },
        Conv::Meta if mapped.ours.ends_with("_at") => time(cx, ours),
        Conv::Meta => id_string(ours),
        Conv::Has => yes_no(ours.as_array().is_some_and(|items| !items.is_empty())),
        Conv::OwnerType => {
            let entity = ours[0]["entity"].as_str();
            ENTITY_TYPES
                .iter()
                .find(|(_, name)| Some(*name) == entity)
                .map_or(Json::Null, |(id, _)| json!(id.to_string()))
        }
        Conv::OwnerId => id_string(&ours[0]["id"]),
    }
}

/// A value by the engine field's type.
fn auto(cx: &Ctx, field: &FieldDef, value: &Json, name: &str) -> Json {
    if list_kind(field).is_some() {
        return contact_list(value, name);
    }
    if field.multiple {
        return match value.as_array() {
            Some(items) if !items.is_empty() => {
                Json::Array(items.iter().map(|item| one(cx, &field.kind, item)).collect())
            }
            _ => Json::Null,
        };
    }
    one(cx, &field.kind, value)
}

fn one(cx: &Ctx, kind: &FieldKind, value: &Json) -> Json {
    match (kind, value) {
        (_, Json::Null) => Json::Null,
        (FieldKind::Boolean, Json::Bool(flag)) => yes_no(*flag),
        (FieldKind::Datetime, _) => time(cx, value),
        (FieldKind::Date, Json::String(date)) => cx.zone.date_text(date).map_or(Json::Null, Json::String),
        // Bitrix24's money of a user field: "amount|CURRENCY".
        (FieldKind::Money(_), Json::Object(money)) => match (money["amount"].as_str(), money["currency"].as_str()) {
            (Some(amount), Some(currency)) => json!(format!("{amount}|{currency}")),
            (Some(amount), None) => json!(amount),
            _ => Json::Null,
        },
        (FieldKind::Address | FieldKind::Requisites | FieldKind::Bindings, _) => value.clone(),
        (_, Json::Number(number)) => json!(number.to_string()),
        (_, Json::String(_)) => value.clone(),
        (_, other) => other.clone(),
    }
}

/// An RFC 3339 time of the API as Bitrix24 writes it.
fn time(cx: &Ctx, value: &Json) -> Json {
    value
        .as_str()
        .and_then(|text| crate::records::values::parse_datetime(text).ok())
        .and_then(|unix| cx.zone.datetime_text(unix))
        .map_or(Json::Null, Json::String)
}

fn id_string(value: &Json) -> Json {
    match value {
        Json::Number(number) => json!(number.to_string()),
        Json::String(text) => json!(text),
        _ => Json::Null,
    }
}

fn string_or_null(value: &Json) -> Json {
    match value {
        Json::String(text) => json!(text),
        _ => Json::Null,
    }
}

/// The kind of contact list a field is, if it is one.
pub fn list_kind(field: &FieldDef) -> Option<crate::records::values::ListKind> {
    use crate::records::values::ListKind;
    match field.kind {
        FieldKind::Phones => Some(ListKind::Phone),
        FieldKind::Emails => Some(ListKind::Email),
        FieldKind::Websites => Some(ListKind::Website),
        FieldKind::Messengers => Some(ListKind::Messenger),
        _ => None,
    }
}

/// `[{"value", "type"}]` as Bitrix24's multi-field items; an item's `ID` is its position
/// (from 1) in the list, which is what `update` takes to change or delete it. `null` when
/// there are none.
fn contact_list(value: &Json, name: &str) -> Json {
    let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
        return Json::Null;
    };
    let items = items.iter().enumerate().map(|(i, item)| {
        json!({
            "ID": (i + 1).to_string(),
            "VALUE_TYPE": value_type_out(item["type"].as_str().unwrap_or("other")),
            "VALUE": item["value"],
            "TYPE_ID": name,
        })
    });
    Json::Array(items.collect())
}

/// Our item type as Bitrix24's `VALUE_TYPE`.
fn value_type_out(ours: &str) -> String {
    VALUE_TYPE_ALIASES
        .iter()
        .find(|(_, o)| *o == ours)
        .map_or_else(|| ours.to_ascii_uppercase(), |(theirs, _)| (*theirs).to_owned())
}
