//! The derived indexes of a record: the full-text row in `<table>_search` (the `q` of lists)
//! and the normalised channels in `record_channels` (lowercase e-mails, E.164 phones,
//! normalised company titles) that duplicate matching and merge use. The rules live here; the
//! rows are written by the database (`sql/0015_derived_rows.sql`): the engine puts the text
//! and the channels into the record's own `search_body` and `channel_keys` columns
//! ([`derived_columns`]), and triggers keep the index tables in step with them in the same
//! statement, so a create is one `INSERT`.
//!
//! Phones are indexed as digit strings in every form a user may type (`79991234567` and
//! `9991234567`), so "+7 (999) 123-45-67" and "9991234567" find the same record.

use serde_json::Value as Json;

use super::fields::FieldKind;
use super::values;
use super::{Change, EntityDef, Values};
use crate::db::Value;

/// The row's derived columns, as `(column, value)`: both for a new record (`changes` is
/// `None`), or for an update those whose inputs it changes (none when it changes neither).
pub fn derived_columns(def: &EntityDef, values: &Values, changes: Option<&[Change]>) -> Vec<(&'static str, Value)> {
    let touches = |input: &dyn Fn(&str) -> bool| changes.is_none_or(|changes| changes.iter().any(|c| input(&c.field)));
    let mut columns = Vec::new();
    if touches(&|field| def.search_fields.contains(&field)) {
        columns.push(("search_body", search_text(def, values).into()));
    }
    if touches(&|field| is_channel_input(def, field)) {
        columns.push(("channel_keys", channel_keys(def, values).into()));
    }
    columns
}

/// Whether `field` feeds the record's channels.
fn is_channel_input(def: &EntityDef, field: &str) -> bool {
    (def.traits.title_channel && field == "title")
        || def
            .field(field)
            .is_some_and(|f| !f.is_custom() && matches!(f.kind, FieldKind::Emails | FieldKind::Phones))
}

/// The channels as `channel_keys` holds them: a JSON array of `[kind, value]` pairs.
pub fn channel_keys(def: &EntityDef, values: &Values) -> String {
    Json::from(
        channels(def, values)
            .into_iter()
            .map(|(kind, value)| Json::from(vec![Json::from(kind), Json::from(value)]))
            .collect::<Vec<_>>(),
    )
    .to_string()
}

fn typed_items(values: &Values, field: &str) -> Vec<values::TypedValue> {
    let stored: Json = values
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Json::Null);
    values::typed_list_from_json(&stored)
}

/// The text full-text search indexes for a record.
pub fn search_text(def: &EntityDef, values: &Values) -> String {
    let mut words: Vec<String> = Vec::new();
    for name in def.search_fields {
        let Some(field) = def.field(name) else { continue };
        match field.kind {
            FieldKind::Phones => {
                for item in typed_items(values, name) {
                    words.extend(values::search_forms(&item.normalized));
                }
            }
            FieldKind::Emails | FieldKind::Websites | FieldKind::Messengers => {
                words.extend(typed_items(values, name).into_iter().map(|i| i.value));
            }
            _ => {
                if let Some(text) = values.get(*name).and_then(Value::as_str) {
                    words.push(text.to_string());
                }
            }
        }
    }
    words.join(" ")
}

/// A company title reduced for duplicate matching: lowercase, quotes and legal forms dropped,
/// spaces collapsed (`ООО «Ромашка»` and `Ромашка, ООО` match).
pub fn normalize_title(title: &str) -> String {
    const LEGAL_FORMS: &[&str] = &[
        "ооо", "оао", "зао", "пао", "ао", "ип", "нко", "llc", "ltd", "inc", "gmbh", "corp", "co", "plc", "ag", "sa",
    ];
    title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The normalised channels (`email`, `phone`, `title`) of a record, as `record_channels` keeps them.
pub fn channels(def: &EntityDef, values: &Values) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for field in &def.fields {
        let kind = match field.kind {
            FieldKind::Emails => "email",
            FieldKind::Phones => "phone",
            _ => continue,
        };
        if field.is_custom() {
            continue;
        }
        for item in typed_items(values, &field.name) {
            out.push((kind, item.normalized));
        }
    }
    if def.traits.title_channel
        && let Some(title) = values.get("title").and_then(Value::as_str)
    {
        let normalized = normalize_title(title);
        if !normalized.is_empty() {
            out.push(("title", normalized));
        }
    }
    out
}

/// The FTS5 query for a user's `q`: a phone-like text becomes its digits (a whole number, read
/// with the default country, becomes its national number, so `8 999...` finds `+7 999...`);
/// otherwise each word is a quoted prefix term, all required. `None` if nothing searchable remains.
pub fn match_query(q: &str, default_country: &str) -> Option<String> {
    if let Some(digits) = values::phone_query(q) {
        let term = values::Phone::parse(q, default_country)
            .ok()
            .and_then(|phone| values::search_forms(&phone.e164).pop())
            .unwrap_or(digits);
        return Some(format!("\"{term}\"*"));
    }
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '-' && c != '_')
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    if terms.is_empty() { None } else { Some(terms.join(" ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_titles_normalise_legal_forms_and_quotes() {
        assert_eq!(normalize_title("ООО «Ромашка»"), "ромашка");
        assert_eq!(normalize_title("Ромашка, ооо"), "ромашка");
        assert_eq!(normalize_title("Acme  Widgets LLC"), "acme widgets");
    }

    #[test]
    fn queries_become_prefix_terms_or_phone_digits() {
        let q = |text: &str| match_query(text, "RU");
        assert_eq!(q("иван"), Some("\"иван\"*".into()));
        assert_eq!(q("Ivan Petrov"), Some("\"Ivan\"* \"Petrov\"*".into()));
        assert_eq!(q("+7 (999) 123-45-67"), Some("\"9991234567\"*".into()));
        assert_eq!(q("8 999 123 45 67"), Some("\"9991234567\"*".into()));
        assert_eq!(q("99912"), Some("\"99912\"*".into()));
        assert_eq!(q("ivan@mail.ru"), Some("\"ivan\"* \"mail\"* \"ru\"*".into()));
        assert_eq!(q(" \"* "), None);
    }
}
