//! The timeline: every create, change (field by field, old -> new), delete, link, unlink,
//! merge and comment of a record, with the actor and the time. Entries are written by engine
//! hooks inside the write's transaction (the `created` entry by the database, with the row:
//! `sql/0015_derived_rows.sql`), so history and data never disagree. Reading a
//! record's timeline needs read access to the record; so does commenting on it.

use serde_json::{Value as Json, json};

use super::hooks::{HookContext, display_title};
use super::{EntityDef, access};
use crate::acl::{Action, Caller};
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::list::{Page, decode_cursor};

/// Appends one entry.
pub fn append(
    db: &dyn Db,
    entity: &str,
    record_id: i64,
    kind: &str,
    actor: Option<i64>,
    payload: &Json,
) -> Result<(), CoreError> {
    insert(db, entity, record_id, kind, actor, payload, "").map(drop)
}

/// Inserts one entry, returning `returning` (columns, or nothing when empty).
fn insert(
    db: &dyn Db,
    entity: &str,
    record_id: i64,
    kind: &str,
    actor: Option<i64>,
    payload: &Json,
    returning: &str,
) -> Result<crate::db::Rows, CoreError> {
    let returning = if returning.is_empty() {
        String::new()
    } else {
        format!(" RETURNING {returning}")
    };
    Ok(db.write(
        &format!(
            "INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload) VALUES (?, ?, ?, ?, ?, ?){returning}"
        ),
        &[
            entity.into(),
            record_id.into(),
            kind.into(),
            actor.into(),
            crate::clock::now().into(),
            payload.to_string().into(),
        ],
    )?)
}

/// After update: an `updated` entry listing each changed field's old and new value (links are
/// recorded as `linked`/`unlinked` entries by the engine instead).
pub fn after_update(cx: &mut HookContext) -> Result<(), CoreError> {
    let changes: Vec<Json> = cx
        .changes
        .iter()
        .filter(|c| !c.link)
        .map(|c| json!({ "field": c.path, "old": c.old_json, "new": c.new_json }))
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    append(
        cx.db,
        cx.def.name,
        cx.id,
        "updated",
        Some(cx.caller.user_id),
        &json!({ "changes": changes }),
    )
    .map(drop)
}

/// After delete: a `deleted` entry that keeps the record's title.
pub fn after_delete(cx: &mut HookContext) -> Result<(), CoreError> {
    let payload = json!({ "title": display_title(cx.def, cx.values) });
    append(cx.db, cx.def.name, cx.id, "deleted", Some(cx.caller.user_id), &payload).map(drop)
}

/// One page of a record's timeline, newest first (read access to the record needed).
pub fn list(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page, CoreError> {
    access::load_checked(db, caller, def, id, Action::Read)?;
    let before = match cursor {
        Some(c) => {
            decode_cursor(c).ok_or_else(|| CoreError::BadRequest(format!("cursor {c:?} is not a valid cursor")))?
        }
        None => i64::MAX,
    };
    let rows = db.query(
        "SELECT id, kind, actor_id, at, payload FROM timeline WHERE entity = ? AND record_id = ? AND id < ? \
         ORDER BY id DESC LIMIT ?",
        &[def.name.into(), id.into(), before.into(), (limit + 1).into()],
    )?;
    let fetched = rows
        .iter()
        .map(|r| {
            let entry_id = r.i64("id").unwrap_or_default();
            (entry_id, entry_json(def.name, id, &r))
        })
        .collect();
    Ok(Page::from_fetched(fetched, limit))
}

fn entry_json(entity: &str, record_id: i64, r: &crate::db::Row) -> Json {
    json!({
        "id": r.i64("id"),
        "entity": entity,
        "record_id": record_id,
        "kind": r.str("kind"),
        "actor_id": r.i64("actor_id"),
        "at": r.i64("at").map(crate::clock::rfc3339),
        "payload": r.str("payload").and_then(|p| serde_json::from_str::<Json>(p).ok()).unwrap_or(json!({})),
    })
}

/// `POST /api/timeline {"entity": "lead", "record_id": 1, "text": "..."}`: a comment on a record
/// the caller can read. Returns the entry.
pub fn comment(db: &dyn Db, caller: &Caller, body: &Json) -> Result<Json, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map.keys() {
        if !["entity", "record_id", "text"].contains(&key.as_str()) {
            errors.push(key.clone(), "unknown_field", "not a writable field");
        }
    }
    let entity = map.get("entity").and_then(Json::as_str);
    let def = entity.and_then(EntityDef::builtin);
    if def.is_none() {
        errors.push(
            "entity",
            "invalid_choice",
            format!("must be {}", super::entity::names_text()),
        );
    }
    let record_id = map.get("record_id").and_then(Json::as_i64).filter(|id| *id > 0);
    if record_id.is_none() {
        errors.push("record_id", "invalid_type", "expected a positive integer id");
    }
    let text = map
        .get("text")
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or_default();
    if text.is_empty() {
        errors.push("text", "required", "may not be empty");
    } else if text.chars().count() > 10_000 {
        errors.push("text", "too_long", "at most 10000 characters");
    }
    errors.into_result()?;
    let (Some(def), Some(record_id)) = (def, record_id) else {
        return Err(CoreError::Internal("comment input lacks a checked field".into()));
    };
    transaction(db, |db| {
        access::load_checked(db, caller, &def, record_id, Action::Read)?;
        let rows = insert(
            db,
            def.name,
            record_id,
            "comment",
            Some(caller.user_id),
            &json!({ "text": text }),
            "id, kind, actor_id, at, payload",
        )?;
        let row = rows.first().ok_or(CoreError::NotFound)?;
        Ok(entry_json(def.name, record_id, &row))
    })
}
