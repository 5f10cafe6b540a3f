//! `crm.<entity>.fields`: what the entity's map covers, in Bitrix24's shape
//! `{FIELD: {type, isRequired, isReadOnly, isImmutable, isMultiple, isDynamic, title}}`, with
//! `statusType` for dictionary codes and the labels of custom fields.

use serde_json::{Map, Value as Json, json};

use super::Ctx;
use super::map::{Conv, RECORD_TYPES, STATUS_TYPES, custom_name};
use super::read::list_kind;
use crate::records::fields::{Access, FieldDef, FieldKind, Options};

/// The description of every mapped and custom field.
pub fn fields(cx: &Ctx) -> Json {
    let mut out = Map::new();
    for mapped in cx.map.fields() {
        let field = cx.def.field(mapped.ours);
        let mut entry = match (mapped.conv, field) {
            (Conv::Meta, _) => {
                let kind = if mapped.ours.ends_with("_at") {
                    "datetime"
                } else if mapped.ours.ends_with("_by") {
                    "user"
                } else {
                    "integer"
                };
                shape(kind, false, true, false, false, mapped.name)
            }
            (Conv::Auto, Some(field)) => by_kind(field, mapped.name),
            (Conv::Codes(pairs), Some(field)) => {
                let mut entry = by_kind(field, mapped.name);
                entry["type"] = json!("enumeration");
                let mut items: Vec<Json> = Vec::new();
                for (theirs, ours) in pairs.iter().filter(|(_, ours)| !ours.is_empty()) {
                    if !items.iter().any(|item| item["VALUE"] == *ours) {
                        items.push(json!({"ID": theirs, "VALUE": ours}));
                    }
                }
                entry["items"] = Json::Array(items);
                entry
            }
            (Conv::AddressPart(_), _) => shape("string", false, false, false, false, mapped.name),
            (Conv::FirstOf, _) => shape(record_type(field), false, false, false, false, mapped.name),
            (Conv::Category, Some(field)) => {
                let immutable = field.access == Access::CreateOnly;
                shape("crm_category", false, false, immutable, false, mapped.name)
            }
            (Conv::Has, _) => shape("char", false, true, false, false, mapped.name),
            (Conv::OwnerType | Conv::OwnerId, _) => shape("integer", true, false, false, false, mapped.name),
            _ => continue,
        };
        if let Some(field) = field
            && mapped.conv != Conv::Meta
        {
            entry["title"] = json!(field.label.0);
        }
        if let Some(status) = cx.map.stage_status
            && cx.def.stage() == Some(mapped.ours)
        {
            entry["type"] = json!("crm_status");
            entry["statusType"] = json!(status);
        }
        out.insert(mapped.name.to_owned(), entry);
    }
    for field in cx.def.fields.iter().filter(|f| f.is_custom()) {
        let name = custom_name(&field.name);
        let mut entry = by_kind(field, &name);
        entry["isDynamic"] = json!(true);
        entry["title"] = json!(name);
        for label in ["listLabel", "formLabel", "filterLabel"] {
            entry[label] = json!(field.label.0);
        }
        out.insert(name, entry);
    }
    Json::Object(out)
}

fn shape(kind: &str, required: bool, read_only: bool, immutable: bool, multiple: bool, title: &str) -> Json {
    json!({
        "type": kind,
        "isRequired": required,
        "isReadOnly": read_only,
        "isImmutable": immutable,
        "isMultiple": multiple,
        "isDynamic": false,
        "title": title,
    })
}

fn record_type(field: Option<&FieldDef>) -> &'static str {
    let entity = match field.map(|f| &f.kind) {
        Some(FieldKind::Record(entity)) => *entity,
        _ => return "integer",
    };
    RECORD_TYPES
        .iter()
        .find(|(ours, _)| *ours == entity)
        .map_or("integer", |(_, theirs)| theirs)
}

fn by_kind(field: &FieldDef, title: &str) -> Json {
    let kind = if list_kind(field).is_some() {
        "crm_multifield"
    } else {
        match &field.kind {
            FieldKind::String | FieldKind::Text => "string",
            FieldKind::Integer => "integer",
            FieldKind::Decimal(_) => "double",
            FieldKind::Money(_) => "money",
            FieldKind::Boolean => "char",
            FieldKind::Date => "date",
            FieldKind::Datetime => "datetime",
            FieldKind::Enumeration(Options::Dictionary(_)) => "crm_status",
            FieldKind::Enumeration(Options::Own(_)) => "enumeration",
            FieldKind::Currency => "crm_currency",
            FieldKind::User => "user",
            FieldKind::Record(_) => record_type(Some(field)),
            FieldKind::Address => "address",
            _ => "string",
        }
    };
    let mut entry = shape(
        kind,
        field.required,
        field.access == Access::ReadOnly,
        field.access == Access::CreateOnly,
        field.multiple || list_kind(field).is_some(),
        title,
    );
    if let FieldKind::Enumeration(Options::Dictionary(dictionary)) = &field.kind
        && let Some((_, status)) = STATUS_TYPES.iter().find(|(ours, _)| ours == dictionary)
    {
        entry["statusType"] = json!(status);
    }
    if let FieldKind::Enumeration(Options::Own(options)) = &field.kind {
        entry["items"] = json!(options.iter().map(|o| json!({"ID": o, "VALUE": o})).collect::<Vec<_>>());
    }
    entry
}
