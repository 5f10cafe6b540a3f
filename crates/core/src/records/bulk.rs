//! Bulk actions (`POST /api/<entity>/bulk`): assign a responsible user, set fields, or delete,
//! for records named by `ids` or selected by a list `filter` (and `q`), in ONE transaction.
//! Each record goes through the same update/delete pipeline as a single request, so the ACL,
//! hooks and timeline apply per record.
//!
//! With `ids` the request is all or nothing: a record the caller may not change fails it
//! (404/403). With a `filter`, records the caller can see but not change are skipped and
//! listed in `skipped`. At most [`MAX_RECORDS`] records per call.

use serde_json::{Map, Value as Json, json};

use super::fields::ParseContext;
use super::list::RecordQuery;
use super::{EntityDef, access, input, service};
use crate::acl::{Action, Caller};
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};

/// The most records one bulk call may touch.
pub const MAX_RECORDS: usize = 1000;

/// Runs a bulk action; returns `{"action", "ids": [done], "skipped": [ids]}`.
pub fn run(db: &dyn Db, caller: &Caller, def: &EntityDef, body: &Json, cx: &ParseContext) -> Result<Json, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map.keys() {
        if !["action", "ids", "filter", "q", "responsible_id", "values"].contains(&key.as_str()) {
            errors.push(key.clone(), "unknown_field", "not a bulk parameter");
        }
    }
    let action = map.get("action").and_then(Json::as_str).unwrap_or_default();
    let (patch, needed) = match action {
        "assign" => match map.get("responsible_id") {
            Some(id) if id.is_i64() => (Some(json!({ "responsible_id": id })), Action::Update),
            _ => {
                errors.push("responsible_id", "required", "assign needs a responsible_id");
                (None, Action::Update)
            }
        },
        "set" => match map.get("values") {
            Some(Json::Object(values)) if !values.is_empty() => (Some(Json::Object(values.clone())), Action::Update),
            _ => {
                errors.push("values", "required", "set needs an object of field values");
                (None, Action::Update)
            }
        },
        "delete" => (None, Action::Delete),
        _ => {
            errors.push("action", "invalid_choice", "must be assign, set or delete");
            (None, Action::Update)
        }
    };
    let by_ids = map.get("ids");
    let by_filter = map.contains_key("filter") || map.contains_key("q");
    if by_ids.is_some() == by_filter {
        errors.push("ids", "required", "give either ids or a filter");
    }
    errors.into_result()?;
    caller.require(def.acl, needed)?;
    // Parse the patch once, so a bad value is one 422 before anything is written.
    let parsed = match &patch {
        Some(patch) => Some(input::parse(def, patch, cx, false)?),
        None => None,
    };
    let (ids, strict) = match by_ids {
        Some(ids) => (read_ids(ids)?, true),
        None => (matching_ids(db, caller, def, map, cx)?, false),
    };
    transaction(db, |db| {
        let mut done = Vec::new();
        let mut skipped = Vec::new();
        for (i, id) in ids.iter().copied().enumerate() {
            let before = match access::load_checked(db, caller, def, id, needed) {
                Ok(values) => values,
                Err(e @ (CoreError::NotFound | CoreError::Forbidden)) if strict => {
                    let mut errors = FieldErrors::new();
                    let code = if e == CoreError::NotFound {
                        "not_found"
                    } else {
                        "forbidden"
                    };
                    errors.push(
                        format!("ids[{i}]"),
                        code,
                        format!("record {id} cannot be changed by you"),
                    );
                    return Err(if e == CoreError::NotFound {
                        CoreError::Validation(errors)
                    } else {
                        e
                    });
                }
                Err(CoreError::NotFound | CoreError::Forbidden) => {
                    skipped.push(id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            match &parsed {
                Some(parsed) => {
                    let mut after = before.clone();
                    after.extend(parsed.values.clone());
                    service::write_update(db, caller, def, id, &before, after, &parsed.refs)?;
                }
                None => service::remove(db, caller, def, id, before)?,
            }
            done.push(id);
        }
        Ok(json!({ "action": action, "ids": done, "skipped": skipped }))
    })
}

fn read_ids(value: &Json) -> Result<Vec<i64>, CoreError> {
    let ids: Option<Vec<i64>> = value
        .as_array()
        .map(|a| a.iter().map(|v| v.as_i64().filter(|id| *id > 0)).collect())
        .unwrap_or(None);
    let mut errors = FieldErrors::new();
    match ids {
        Some(ids) if !ids.is_empty() && ids.len() <= MAX_RECORDS => {
            let mut ids = ids;
            ids.dedup();
            Ok(ids)
        }
        _ => {
            errors.push("ids", "invalid_type", format!("expected 1 to {MAX_RECORDS} record ids"));
            Err(CoreError::Validation(errors))
        }
    }
}

/// The ids a `filter` object (`{"status": "NEW", "amount": {"gte": "100"}}`) and `q` select
/// among the records the caller can read, through the list engine.
fn matching_ids(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    map: &Map<String, Json>,
    cx: &ParseContext,
) -> Result<Vec<i64>, CoreError> {
    let mut pairs = vec![
        ("limit".to_string(), "500".to_string()),
        ("fields".to_string(), "id".to_string()),
        ("sort".to_string(), "id".to_string()),
    ];
    if let Some(q) = map.get("q").and_then(Json::as_str) {
        pairs.push(("q".into(), q.into()));
    }
    match map.get("filter") {
        None => {}
        Some(Json::Object(filter)) => {
            for (field, condition) in filter {
                match condition {
                    Json::Object(ops) => {
                        for (op, value) in ops {
                            pairs.push((format!("filter[{field}][{op}]"), scalar(value)));
                        }
                    }
                    value => pairs.push((format!("filter[{field}]"), scalar(value))),
                }
            }
        }
        Some(_) => {
            let mut errors = FieldErrors::new();
            errors.push(
                "filter",
                "invalid_type",
                "expected an object such as {\"status\": \"NEW\"}",
            );
            return Err(CoreError::Validation(errors));
        }
    }
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_pairs = pairs.clone();
        if let Some(c) = &cursor {
            page_pairs.push(("cursor".into(), c.clone()));
        }
        let query = RecordQuery::parse(def, &page_pairs, cx)?;
        let page = super::list::list(db, caller, def, &query)?;
        ids.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["id"].as_i64()),
        );
        if ids.len() > MAX_RECORDS {
            let mut errors = FieldErrors::new();
            errors.push(
                "filter",
                "too_many",
                format!("matches more than {MAX_RECORDS} records; narrow it"),
            );
            return Err(CoreError::Validation(errors));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return Ok(ids),
        }
    }
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}
