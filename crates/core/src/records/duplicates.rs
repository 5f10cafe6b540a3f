//! Duplicate search (`GET /api/duplicates?entity=&email=&phone=&title=`): records whose
//! normalised e-mail (lowercase), phone (E.164, typed numbers read with the default country)
//! or company title (case, quotes and legal forms ignored) equal the given ones, among the
//! records the caller can read. The normalised values are kept in `record_channels` by the
//! engine's index hook, so a lookup is one indexed query.

use serde_json::{Value as Json, json};

use super::fields::ParseContext;
use super::hooks::display_title;
use super::{EntityDef, access, entity, index, store, values};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};

/// The entities whose traits say they take part in duplicate search, in [`entity::NAMES`] order.
fn searched() -> Vec<&'static str> {
    entity::NAMES
        .iter()
        .copied()
        .filter(|name| EntityDef::builtin(name).is_some_and(|def| def.traits.duplicate_search))
        .collect()
}

/// Finds records matching any of the given e-mail, phone or title.
pub fn find(db: &dyn Db, caller: &Caller, pairs: &[(String, String)], cx: &ParseContext) -> Result<Json, CoreError> {
    let mut wanted: Vec<(&str, String, &str)> = Vec::new();
    let searched = searched();
    let mut entities: Vec<&str> = searched.clone();
    let mut errors = FieldErrors::new();
    for (key, value) in pairs {
        match key.as_str() {
            "entity" => match searched.iter().find(|e| **e == value) {
                Some(e) => entities = vec![e],
                None => errors.push(
                    "entity",
                    "invalid_choice",
                    format!("must be {}", entity::or_list(&searched)),
                ),
            },
            "email" => match values::Email::parse(value) {
                Ok(email) => wanted.push(("email", email.normalized, "email")),
                Err(e) => errors.push("email", e.code, e.message),
            },
            "phone" => match values::Phone::parse(value, &cx.default_country) {
                Ok(phone) => wanted.push(("phone", phone.e164, "phone")),
                Err(e) => errors.push("phone", e.code, e.message),
            },
            "title" => {
                let normalized = index::normalize_title(value);
                if normalized.is_empty() {
                    errors.push("title", "required", "may not be empty");
                } else {
                    wanted.push(("title", normalized, "title"));
                }
            }
            _ => return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}"))),
        }
    }
    errors.into_result()?;
    if wanted.is_empty() {
        return Err(CoreError::BadRequest("give at least one of email, phone, title".into()));
    }
    let mut items: Vec<Json> = Vec::new();
    for entity in entities {
        let def = EntityDef::load_for(db, caller, entity)?;
        if caller.require(def.acl, Action::Read).is_err() {
            continue;
        }
        let mut matched: Vec<(i64, Vec<&str>)> = Vec::new();
        for (kind, value, label) in &wanted {
            let rows = db.query(
                "SELECT record_id FROM record_channels WHERE kind = ? AND value = ? AND entity = ? ORDER BY record_id LIMIT 50",
                &[(*kind).into(), value.as_str().into(), entity.into()],
            )?;
            for id in rows.iter().filter_map(|r| r.i64("record_id")) {
                match matched.iter_mut().find(|(m, _)| *m == id) {
                    Some((_, labels)) => labels.push(label),
                    None => matched.push((id, vec![label])),
                }
            }
        }
        for (id, labels) in matched {
            let Some(values) = store::load(db, &def, id)? else {
                continue;
            };
            if !caller.can_read(def.acl, &access::record_acl(&def, &values)) {
                continue;
            }
            items.push(json!({
                "entity": entity,
                "id": id,
                "title": display_title(&def, &values),
                "responsible_id": values.get("responsible_id").and_then(Value::as_i64),
                "matched_by": labels,
            }));
        }
    }
    Ok(json!({ "items": items }))
}
