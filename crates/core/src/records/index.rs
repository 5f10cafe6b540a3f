//! The derived indexes of a record, rewritten by engine hooks in the write's transaction:
//! the full-text row in `<table>_search` (the `q` of lists) and the normalised channels in
//! `record_channels` (lowercase e-mails, E.164 phones, normalised company titles) that
//! duplicate matching and merge use.
//!
//! Phones are indexed as digit strings in every form a user may type (`79991234567` and
//! `9991234567`), so "+7 (999) 123-45-67" and "9991234567" find the same record.

use serde_json::Value as Json;

use super::fields::FieldKind;
use super::hooks::HookContext;
use super::values;
use super::{EntityDef, Values};
use crate::db::{Db, Value};
use crate::error::CoreError;

/// After create/update: rewrites the record's search row and channels.
pub fn after_write(cx: &mut HookContext) -> Result<(), CoreError> {
    let searched_changed = cx.before.is_none()
        || cx
            .changes
            .iter()
            .any(|c| cx.def.search_fields.contains(&c.field.as_str()) || c.field == "title");
    if !searched_changed {
        return Ok(());
    }
    if cx.before.is_some() {
        remove(cx.db, cx.def, cx.id)?;
    }
    write(cx.db, cx.def, cx.id, cx.values)
}

/// After delete: removes the record's search row and channels.
pub fn after_delete(cx: &mut HookContext) -> Result<(), CoreError> {
    remove(cx.db, cx.def, cx.id)
}

/// Writes both indexes of one record from its values (a new record's, or one whose old rows
/// [`remove`] took away): the search row, and all its channels in one statement.
fn write(db: &dyn Db, def: &EntityDef, id: i64, values: &Values) -> Result<(), CoreError> {
    let body = search_text(def, values);
    if !body.is_empty() {
        db.execute(
            &format!("INSERT INTO {}_search (rowid, body) VALUES (?, ?)", def.table),
            &[id.into(), body.into()],
        )?;
    }
    let channels = channels(def, values);
    if !channels.is_empty() {
        let rows = vec!["(?, ?, ?, ?)"; channels.len()].join(", ");
        let mut params: Vec<Value> = Vec::with_capacity(channels.len() * 4);
        for (kind, value) in channels {
            params.extend([def.name.into(), id.into(), kind.into(), value.into()]);
        }
        db.execute(
            &format!("INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value) VALUES {rows}"),
            &params,
        )?;
    }
    Ok(())
}

fn remove(db: &dyn Db, def: &EntityDef, id: i64) -> Result<(), CoreError> {
    db.execute(
        &format!("DELETE FROM {}_search WHERE rowid = ?", def.table),
        &[id.into()],
    )?;
    db.execute(
        "DELETE FROM record_channels WHERE entity = ? AND record_id = ?",
        &[def.name.into(), id.into()],
    )?;
    Ok(())
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
