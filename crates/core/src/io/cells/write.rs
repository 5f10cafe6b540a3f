//! A record's API JSON into flat cells, for exports: the columns of a list's chosen fields
//! ([`columns`]), the names a page's users and referenced records are written by, looked up
//! once per page ([`Names::load`]), and one row of typed cells per record ([`row`]).
//!
//! Every cell has one text form (what CSV writes and what `cells::read` parses back) and a
//! type (what XLSX writes: numbers, dates, booleans, text).

use serde_json::Value as Json;

mod names;

pub use names::Names;

use super::ADDRESS_PARTS;
use super::SEPARATOR;
use crate::records::EntityDef;
use crate::records::fields::{FieldDef, FieldKind};

/// The parts of a set of requisites, with their en/ru labels.
pub const REQUISITE_PARTS: &[(&str, &str, &str)] = &[
    ("name", "legal name", "наименование"),
    ("tax_id", "tax id", "ИНН"),
    ("registration_number", "registration number", "ОГРН"),
    ("tax_reason_code", "tax reason code", "КПП"),
    ("legal_address", "legal address", "юридический адрес"),
    ("bank_name", "bank", "банк"),
    ("bank_code", "bank code", "БИК"),
    ("account", "account", "расчётный счёт"),
    ("correspondent_account", "correspondent account", "корр. счёт"),
];

/// The bookkeeping columns every record has, with their en/ru labels.
const META: &[(&str, &str, &str)] = &[
    ("id", "ID", "ID"),
    ("version", "Version", "Версия"),
    ("created_at", "Created", "Создан"),
    ("updated_at", "Updated", "Изменён"),
    ("created_by", "Created by", "Кем создан"),
    ("updated_by", "Updated by", "Кем изменён"),
];

/// How a column's cells are typed in a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Text (also phones, e-mails, codes, names).
    Text,
    /// A record id: text, so a spreadsheet keeps every digit.
    Id,
    /// A whole number.
    Integer,
    /// A decimal with this many fractional digits (2: money).
    Decimal(u32),
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 UTC.
    Datetime,
    /// yes / no.
    Boolean,
}

/// Where a column's value comes from in the record's JSON.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// A bookkeeping key (`id`, `created_at`, `created_by`...).
    Meta(&'static str),
    /// A field's whole value.
    Field(FieldDef),
    /// One part of each object of a compound field (address, requisites).
    Part(FieldDef, &'static str),
    /// The amount of a custom money field.
    Amount(FieldDef),
    /// The currency of a custom money field.
    Currency(FieldDef),
    /// A read-only alias of a link list's first id (a contact's `company_id`).
    Alias(&'static str, &'static str),
}

/// One column of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The key: a field's API name, `address.city` for a part (`/work/io-contract.md`).
    pub key: String,
    /// The header label in the caller's language.
    pub label: String,
    /// How a spreadsheet types its cells.
    pub kind: CellKind,
    source: Source,
}

impl Column {
    /// What the list's `fields` must name for this column's value (`address` for
    /// `address.city`, `custom.uf_x` for a custom field).
    pub fn list_field(&self) -> String {
        match &self.source {
            Source::Meta(key) => key.to_string(),
            Source::Alias(alias, _) => alias.to_string(),
            Source::Field(f) | Source::Part(f, _) | Source::Amount(f) | Source::Currency(f) => f.path(),
        }
    }
}

/// One cell: its value with its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A record id (text in a spreadsheet).
    Id(i64),
    /// A whole number.
    Integer(i64),
    /// A decimal as its exact text (`1250.00`) and its scale.
    Decimal(String, u32),
    /// `YYYY-MM-DD`.
    Date(String),
    /// RFC 3339 UTC.
    Datetime(String),
    /// yes / no.
    Boolean(bool),
}

impl Cell {
    /// The cell's text by the cell conventions.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Empty => "".into(),
            Cell::Text(s) | Cell::Decimal(s, _) | Cell::Date(s) | Cell::Datetime(s) => s.as_str().into(),
            Cell::Id(n) | Cell::Integer(n) => n.to_string().into(),
            Cell::Boolean(b) => if *b { "yes" } else { "no" }.into(),
        }
    }
}

fn pick<'a>(lang: &str, en: &'a str, ru: &'a str) -> &'a str {
    if lang == "ru" { ru } else { en }
}

/// The columns of `def`'s records for the list's `fields` (as `RecordQuery` parsed them: `id`
/// first), or the list's default columns; labels in `lang` (`en`, `ru`). Compound fields take
/// a column per part; a custom money field an amount and a currency column; a money amount
/// chosen without its entity's currency brings the currency column after it.
pub fn columns(def: &EntityDef, fields: Option<&[String]>, lang: &str) -> Vec<Column> {
    let names: Vec<String> = match fields {
        Some(fields) => fields.to_vec(),
        None => std::iter::once("id".to_string())
            .chain(def.fields.iter().filter(|f| f.show_in_list).map(|f| f.path()))
            .collect(),
    };
    let mut out: Vec<Column> = Vec::new();
    for name in &names {
        if name == "custom" {
            for field in def.fields.iter().filter(|f| f.is_custom()) {
                field_columns(field, lang, &mut out);
            }
            continue;
        }
        if let Some((key, en, ru)) = META.iter().find(|(key, _, _)| key == name) {
            let kind = match *key {
                "id" => CellKind::Id,
                "version" => CellKind::Integer,
                "created_at" | "updated_at" => CellKind::Datetime,
                _ => CellKind::Text,
            };
            out.push(Column {
                key: key.to_string(),
                label: pick(lang, en, ru).to_string(),
                kind,
                source: Source::Meta(key),
            });
            continue;
        }
        if let Some((alias, list)) = def.traits.link_alias.filter(|(alias, _)| alias == name)
            && let Some(field) = def.field(list)
        {
            let entity = match field.kind {
                FieldKind::Record(entity) => entity,
                _ => continue,
            };
            // "Companies" -> the primary one: the target entity's own label.
            let label = alias_labels(entity)
                .map(|(en, ru)| pick(lang, &en, &ru).to_string())
                .unwrap_or_else(|| alias.to_string());
            out.push(Column {
                key: alias.to_string(),
                label,
                kind: CellKind::Text,
                source: Source::Alias(alias, entity),
            });
            continue;
        }
        let code = name.strip_prefix("custom.").unwrap_or(name);
        if let Some(field) = def.field(code) {
            field_columns(field, lang, &mut out);
            let is_amount = matches!(field.kind, FieldKind::Decimal(n) if n.scale == 2) && !field.is_custom();
            let currency_chosen = names.iter().any(|n| n == "currency");
            if is_amount
                && !currency_chosen
                && !out.iter().any(|c| c.key == "currency")
                && let Some(currency) = def.field("currency")
            {
                field_columns(currency, lang, &mut out);
            }
        }
    }
    let mut seen = Vec::new();
    out.retain(|c| {
        let fresh = !seen.contains(&c.key);
        seen.push(c.key.clone());
        fresh
    });
    out
}

/// The en/ru header of a link alias's column (a contact's `company_id`): the linked entity's
/// title label ("Company name"), as exports write it and imports recognise it.
pub fn alias_labels(entity: &str) -> Option<(String, String)> {
    EntityDef::builtin(entity).and_then(|d| d.field("title").map(|f| f.label.clone()))
}

fn field_columns(field: &FieldDef, lang: &str, out: &mut Vec<Column>) {
    let label = pick(lang, &field.label.0, &field.label.1).to_string();
    let parts = match field.kind {
        FieldKind::Address => Some(ADDRESS_PARTS),
        FieldKind::Requisites => Some(REQUISITE_PARTS),
        _ => None,
    };
    if let Some(parts) = parts {
        for (part, en, ru) in parts {
            out.push(Column {
                key: format!("{}.{part}", field.name),
                label: format!("{label}: {}", pick(lang, en, ru)),
                kind: CellKind::Text,
                source: Source::Part(field.clone(), part),
            });
        }
        return;
    }
    if let FieldKind::Money(numeric) = field.kind {
        out.push(Column {
            key: field.name.clone(),
            label: label.clone(),
            kind: CellKind::Decimal(numeric.scale),
            source: Source::Amount(field.clone()),
        });
        out.push(Column {
            key: format!("{}.currency", field.name),
            label: format!("{label}: {}", pick(lang, "currency", "валюта")),
            kind: CellKind::Text,
            source: Source::Currency(field.clone()),
        });
        return;
    }
    let kind = match (&field.kind, field.multiple) {
        (_, true) => CellKind::Text,
        (FieldKind::Integer, _) => CellKind::Integer,
        (FieldKind::Decimal(n), _) => CellKind::Decimal(n.scale),
        (FieldKind::Date, _) => CellKind::Date,
        (FieldKind::Datetime, _) => CellKind::Datetime,
        (FieldKind::Boolean, _) => CellKind::Boolean,
        _ => CellKind::Text,
    };
    out.push(Column {
        key: field.name.clone(),
        label,
        kind,
        source: Source::Field(field.clone()),
    });
}

/// The ids in a value: a number or a list of numbers.
fn ids(value: &Json) -> Vec<i64> {
    match value {
        Json::Number(n) => n.as_i64().into_iter().collect(),
        Json::Array(items) => items.iter().filter_map(Json::as_i64).collect(),
        _ => Vec::new(),
    }
}

/// The JSON a source reads from a record.
fn value<'r>(record: &'r Json, source: &Source) -> &'r Json {
    match source {
        Source::Meta(key) => &record[*key],
        Source::Alias(alias, _) => &record[*alias],
        Source::Field(field) | Source::Part(field, _) | Source::Amount(field) | Source::Currency(field) => {
            if field.is_custom() {
                &record["custom"][&field.name]
            } else {
                &record[&field.name]
            }
        }
    }
}

/// One record as cells in the order of `columns`.
pub fn row(columns: &[Column], record: &Json, names: &Names) -> Vec<Cell> {
    columns.iter().map(|column| cell(column, record, names)).collect()
}

fn text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        _ => None,
    }
}

fn joined(items: impl Iterator<Item = String>) -> Cell {
    let items: Vec<String> = items.filter(|s| !s.is_empty()).collect();
    if items.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(items.join(SEPARATOR))
    }
}

fn cell(column: &Column, record: &Json, names: &Names) -> Cell {
    let value = value(record, &column.source);
    if value.is_null() {
        return Cell::Empty;
    }
    match &column.source {
        Source::Meta("id") => value.as_i64().map_or(Cell::Empty, Cell::Id),
        Source::Meta("version") => value.as_i64().map_or(Cell::Empty, Cell::Integer),
        Source::Meta("created_at" | "updated_at") => text(value).map_or(Cell::Empty, Cell::Datetime),
        Source::Meta(_) => value.as_i64().map_or(Cell::Empty, |id| Cell::Text(names.user(id))),
        Source::Alias(_, entity) => value
            .as_i64()
            .map_or(Cell::Empty, |id| Cell::Text(names.record(entity, id))),
        Source::Part(_, part) => {
            let objects: Vec<&Json> = match value {
                Json::Array(items) => items.iter().collect(),
                object => vec![object],
            };
            if objects.len() <= 1 {
                objects
                    .first()
                    .and_then(|o| text(&o[*part]))
                    .map_or(Cell::Empty, Cell::Text)
            } else {
                // Several objects keep their positions: an empty part stays an empty item.
                let parts: Vec<String> = objects.iter().map(|o| text(&o[*part]).unwrap_or_default()).collect();
                if parts.iter().all(String::is_empty) {
                    Cell::Empty
                } else {
                    Cell::Text(parts.join(SEPARATOR))
                }
            }
        }
        Source::Amount(field) => match (text(&value["amount"]), &field.kind) {
            (Some(amount), FieldKind::Money(n)) => Cell::Decimal(amount, n.scale),
            _ => Cell::Empty,
        },
        Source::Currency(_) => text(&value["currency"]).map_or(Cell::Empty, Cell::Text),
        Source::Field(field) => field_cell(field, value, names),
    }
}

fn field_cell(field: &FieldDef, value: &Json, names: &Names) -> Cell {
    let many = || value.as_array().cloned().unwrap_or_default().into_iter();
    match &field.kind {
        FieldKind::Phones | FieldKind::Emails | FieldKind::Websites | FieldKind::Messengers => {
            joined(many().map(|item| match (text(&item["value"]), text(&item["type"])) {
                (Some(v), Some(t)) => format!("{v} ({t})"),
                (Some(v), None) => v,
                _ => String::new(),
            }))
        }
        FieldKind::User => value.as_i64().map_or(Cell::Empty, |id| Cell::Text(names.user(id))),
        FieldKind::Record(entity) if field.multiple => {
            joined(ids(value).into_iter().map(|id| names.record(entity, id)))
        }
        FieldKind::Record(entity) => value
            .as_i64()
            .map_or(Cell::Empty, |id| Cell::Text(names.record(entity, id))),
        FieldKind::Bindings => joined(many().map(|b| match (b["entity"].as_str(), b["id"].as_i64()) {
            (Some(entity), Some(id)) => format!("{entity}:{id}"),
            _ => String::new(),
        })),
        _ if field.multiple => joined(many().filter_map(|v| text(&v))),
        FieldKind::Integer => value.as_i64().map_or(Cell::Empty, Cell::Integer),
        FieldKind::Decimal(n) => text(value).map_or(Cell::Empty, |s| Cell::Decimal(s, n.scale)),
        FieldKind::Date => text(value).map_or(Cell::Empty, Cell::Date),
        FieldKind::Datetime => text(value).map_or(Cell::Empty, Cell::Datetime),
        FieldKind::Boolean => value.as_bool().map_or(Cell::Empty, Cell::Boolean),
        _ => text(value).map_or(Cell::Empty, Cell::Text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(columns: &[Column]) -> Vec<&str> {
        columns.iter().map(|c| c.key.as_str()).collect()
    }

    #[test]
    fn default_columns_are_the_list_columns_after_the_id() {
        let def = EntityDef::builtin("contact").unwrap();
        let columns = columns(&def, None, "en");
        assert_eq!(keys(&columns)[0], "id");
        assert!(keys(&columns).contains(&"phones"));
        assert!(!keys(&columns).contains(&"comments"));
    }

    #[test]
    fn compound_fields_take_a_column_per_part_labelled_in_the_language() {
        let def = EntityDef::builtin("contact").unwrap();
        let fields: Vec<String> = ["id", "address", "company_id"].map(String::from).to_vec();
        let ru = columns(&def, Some(&fields), "ru");
        assert_eq!(
            keys(&ru),
            [
                "id",
                "address.street",
                "address.city",
                "address.region",
                "address.postal_code",
                "address.country",
                "company_id"
            ]
        );
        assert_eq!(ru[2].label, "Адрес: город");
        assert_eq!(ru[6].label, "Название компании");
        assert_eq!(columns(&def, Some(&fields), "en")[2].label, "Address: city");
    }

    #[test]
    fn an_amount_brings_its_currency() {
        let def = EntityDef::builtin("deal").unwrap();
        let fields: Vec<String> = ["id", "amount", "title"].map(String::from).to_vec();
        let columns = columns(&def, Some(&fields), "en");
        assert_eq!(keys(&columns), ["id", "amount", "currency", "title"]);
        assert_eq!(columns[1].kind, CellKind::Decimal(2));
    }

    #[test]
    fn cells_follow_the_conventions() {
        let def = EntityDef::builtin("contact").unwrap();
        let fields: Vec<String> = [
            "id",
            "first_name",
            "phones",
            "birthdate",
            "opened",
            "responsible_id",
            "address",
            "company_ids",
            "created_at",
        ]
        .map(String::from)
        .to_vec();
        let columns = columns(&def, Some(&fields), "en");
        let record = json!({
            "id": 7, "first_name": "Иван",
            "phones": [{"value": "+79991234567", "type": "work"}, {"value": "+74951112233", "type": "mobile"}],
            "birthdate": "1985-04-12", "opened": true, "responsible_id": 3,
            "address": {"city": "Москва", "street": "ул. Ленина, 1"},
            "company_ids": [5, 9], "created_at": "2026-11-30T10:00:00Z", "custom": {}
        });
        let mut names = Names::default();
        names.users.insert(3, "Anna Manager".into());
        names.records.insert(("company", 5), "ООО Ромашка".into());
        let cells = row(&columns, &record, &names);
        let texts: Vec<String> = cells.iter().map(|c| c.text().into_owned()).collect();
        assert_eq!(
            texts,
            [
                "7",
                "Иван",
                "+79991234567 (work) ::: +74951112233 (mobile)",
                "1985-04-12",
                "yes",
                "Anna Manager",
                "ул. Ленина, 1",
                "Москва",
                "",
                "",
                "",
                "ООО Ромашка ::: 9",
                "2026-11-30T10:00:00Z"
            ]
        );
        assert_eq!(cells[0], Cell::Id(7));
        assert_eq!(cells[3], Cell::Date("1985-04-12".into()));
        assert_eq!(cells[4], Cell::Boolean(true));
    }
}
