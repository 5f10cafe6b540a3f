//! Merging duplicates (`POST /api/<entity>/<id>/merge {"from": [ids]}`): the record `<id>`
//! survives; each record in `from` gives it what it lacks and is then deleted, in ONE
//! transaction recorded on the survivor's timeline.
//!
//! What moves: empty fields of the survivor are filled from the merged records (first one
//! wins); phones, e-mails, websites, messengers, multiple enumerations and links are united;
//! the merged records' timeline entries move to the survivor; references from other records
//! (e.g. `origin_lead_id`) are re-pointed. Activities move too once they exist (issue 5 adds
//! them to [`repoint`]).
//!
//! Needs update access to the survivor and delete access to every merged record.

use serde_json::{Value as Json, json};

use super::fields::{FieldDef, FieldKind, Storage, stored_to_json};
use super::{EntityDef, Values, access, service, store, timeline};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value, transaction};
use crate::error::{CoreError, FieldErrors};

/// Merges `from` into record `id`; returns the survivor.
pub fn merge(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64, body: &Json) -> Result<Json, CoreError> {
    let from = read_from(body, id)?;
    caller.require(def.acl, Action::Update)?;
    caller.require(def.acl, Action::Delete)?;
    transaction(db, |db| {
        let before = access::load_checked(db, caller, def, id, Action::Update)?;
        let mut after = before.clone();
        let mut sources = Vec::new();
        for (i, source) in from.iter().copied().enumerate() {
            let values = access::load_checked(db, caller, def, source, Action::Delete).map_err(|e| match e {
                CoreError::NotFound => {
                    let mut errors = FieldErrors::new();
                    errors.push(
                        format!("from[{i}]"),
                        "not_found",
                        format!("no record {source} you may merge"),
                    );
                    CoreError::Validation(errors)
                }
                other => other,
            })?;
            for field in &def.fields {
                absorb(field, &mut after, &values);
            }
            sources.push((source, values));
        }
        for (source, values) in sources {
            repoint(db, def, source, id)?;
            service::remove(db, caller, def, source, values)?;
        }
        let merged = service::write_update(db, caller, def, id, &before, after, &[])?;
        timeline::append(
            db,
            def.name,
            id,
            "merged",
            Some(caller.user_id),
            &json!({ "from": from }),
        )?;
        Ok(merged)
    })
}

fn read_from(body: &Json, id: i64) -> Result<Vec<i64>, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map.keys().filter(|k| *k != "from") {
        errors.push(key.clone(), "unknown_field", "only from is accepted");
    }
    let ids: Option<Vec<i64>> = map
        .get("from")
        .and_then(Json::as_array)
        .map(|a| a.iter().map(|v| v.as_i64().filter(|i| *i > 0)).collect())
        .unwrap_or(None);
    let mut ids = ids.unwrap_or_default();
    ids.dedup();
    if ids.is_empty() || ids.len() > 20 {
        errors.push("from", "invalid_type", "expected 1 to 20 record ids");
    } else if ids.contains(&id) {
        errors.push("from", "invalid_choice", "a record cannot be merged into itself");
    }
    errors.into_result()?;
    Ok(ids)
}

/// Gives `target` what `source` has and it lacks.
fn absorb(field: &FieldDef, target: &mut Values, source: &Values) {
    let theirs = store::value_of(source, field).clone();
    if theirs.is_null() {
        return;
    }
    let ours = store::value_of(target, field).clone();
    let listed = field.multiple
        || matches!(field.storage, Storage::Link(_))
        || matches!(
            field.kind,
            FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers
        );
    let merged = if ours.is_null() {
        theirs
    } else if listed {
        let mut items = as_list(&ours, &field.kind);
        let key = |j: &Json| j.get("normalized").cloned().unwrap_or_else(|| j.clone());
        for item in as_list(&theirs, &field.kind) {
            if !items.iter().any(|i| key(i) == key(&item)) {
                items.push(item);
            }
        }
        Value::Text(Json::Array(items).to_string())
    } else {
        return;
    };
    target.insert(field.name.clone(), merged);
}

fn as_list(value: &Value, kind: &FieldKind) -> Vec<Json> {
    match stored_to_json(value, kind) {
        Json::Array(items) => items,
        Json::String(s) => serde_json::from_str::<Vec<Json>>(&s).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Moves what hangs off record `from` to record `to`: timeline entries, channels are rebuilt
/// by the update, and references from other entities' record fields.
fn repoint(db: &dyn Db, def: &EntityDef, from: i64, to: i64) -> Result<(), CoreError> {
    db.execute(
        "UPDATE timeline SET record_id = ? WHERE entity = ? AND record_id = ?",
        &[to.into(), def.name.into(), from.into()],
    )?;
    for other in super::entity::NAMES {
        let Some(other_def) = EntityDef::builtin(other) else {
            continue;
        };
        for field in &other_def.fields {
            if field.storage == Storage::Column && field.kind == FieldKind::Record(def.name) && !field.multiple {
                db.execute(
                    &format!(
                        "UPDATE {} SET {} = ? WHERE {} = ?",
                        other_def.table, field.name, field.name
                    ),
                    &[to.into(), from.into()],
                )?;
            }
        }
    }
    // Other entities' links to `from` (a deal's contacts) move to `to`; the merged record's own
    // link rows are handled by absorbing its links and deleting it.
    let own_tables: Vec<&str> = def
        .fields
        .iter()
        .filter_map(|f| match f.storage {
            Storage::Link(link) => Some(link.table),
            _ => None,
        })
        .collect();
    for other in super::entity::NAMES {
        let Some(other_def) = EntityDef::builtin(other) else {
            continue;
        };
        for field in &other_def.fields {
            if let Storage::Link(link) = field.storage
                && link.other_entity == def.name
                && !own_tables.contains(&link.table)
            {
                db.execute(
                    &format!(
                        "UPDATE OR IGNORE {} SET {} = ? WHERE {} = ?",
                        link.table, link.other, link.other
                    ),
                    &[to.into(), from.into()],
                )?;
                db.execute(
                    &format!("DELETE FROM {} WHERE {} = ?", link.table, link.other),
                    &[from.into()],
                )?;
            }
        }
    }
    // Activities bound to `from` are bound to `to` (their `bindings` JSON and link rows).
    super::entities::activity::repoint_bindings(db, def.name, from, to)?;
    Ok(())
}
