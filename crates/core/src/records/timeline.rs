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

/// A comment's text: trimmed, 1 to 10 000 characters (422 `text` otherwise).
fn comment_text(text: Option<&str>) -> Result<String, CoreError> {
    let text = text.map(str::trim).unwrap_or_default();
    let mut errors = FieldErrors::new();
    if text.is_empty() {
        errors.push("text", "required", "may not be empty");
    } else if text.chars().count() > 10_000 {
        errors.push("text", "too_long", "at most 10000 characters");
    }
    errors.into_result().map(|()| text.to_owned())
}

/// Comment `id` with its record's definition and id, if it exists and the caller can read its
/// record (404 otherwise, as for a hidden record).
fn comment_row(db: &dyn Db, caller: &Caller, id: i64) -> Result<(EntityDef, i64, Json), CoreError> {
    let rows = db.query(
        "SELECT id, entity, record_id, kind, actor_id, at, payload FROM timeline WHERE id = ? AND kind = 'comment'",
        &[id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    let def = row
        .str("entity")
        .and_then(EntityDef::builtin)
        .ok_or(CoreError::NotFound)?;
    let record_id = row.i64("record_id").unwrap_or_default();
    access::load_checked(db, caller, &def, record_id, Action::Read)?;
    let entry = entry_json(def.name, record_id, &row);
    Ok((def, record_id, entry))
}

/// One comment (read access to its record needed; another entry kind is 404).
pub fn comment_of(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    comment_row(db, caller, id).map(|(_, _, entry)| entry)
}

/// One page of a record's comments by id (`descending` newest first) from `offset`, at most
/// `limit`, and how many there are (read access to the record needed).
pub fn comments(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    record_id: i64,
    offset: u64,
    limit: u64,
    descending: bool,
) -> Result<(Vec<Json>, u64), CoreError> {
    access::load_checked(db, caller, def, record_id, Action::Read)?;
    let direction = if descending { "DESC" } else { "ASC" };
    let total = db
        .query(
            "SELECT COUNT(*) FROM timeline WHERE entity = ? AND record_id = ? AND kind = 'comment'",
            &[def.name.into(), record_id.into()],
        )?
        .first_i64()
        .and_then(|t| u64::try_from(t).ok())
        .unwrap_or_default();
    let rows = db.query(
        &format!(
            "SELECT id, kind, actor_id, at, payload FROM timeline WHERE entity = ? AND record_id = ? \
             AND kind = 'comment' ORDER BY id {direction} LIMIT ? OFFSET ?"
        ),
        &[
            def.name.into(),
            record_id.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
            i64::try_from(offset).unwrap_or(i64::MAX).into(),
        ],
    )?;
    Ok((
        rows.iter().map(|r| entry_json(def.name, record_id, &r)).collect(),
        total,
    ))
}

/// Changes a comment's text: only its author may, and only while they can read its record
/// (403 for another user's comment). Returns the entry.
pub fn edit_comment(db: &dyn Db, caller: &Caller, id: i64, text: Option<&str>) -> Result<Json, CoreError> {
    let text = comment_text(text)?;
    transaction(db, |db| {
        let (def, record_id, entry) = comment_row(db, caller, id)?;
        if entry["actor_id"] != caller.user_id {
            return Err(CoreError::Forbidden);
        }
        let rows = db.write(
            "UPDATE timeline SET payload = json_set(payload, '$.text', ?, '$.edited_at', ?) WHERE id = ? \
             RETURNING id, kind, actor_id, at, payload",
            &[text.as_str().into(), crate::clock::now().into(), id.into()],
        )?;
        let row = rows.first().ok_or(CoreError::NotFound)?;
        Ok(entry_json(def.name, record_id, &row))
    })
}

/// Deletes a comment: only its author may (403 otherwise), while they can read its record.
pub fn delete_comment(db: &dyn Db, caller: &Caller, id: i64) -> Result<(), CoreError> {
    transaction(db, |db| {
        let (_, _, entry) = comment_row(db, caller, id)?;
        if entry["actor_id"] != caller.user_id {
            return Err(CoreError::Forbidden);
        }
        db.execute("DELETE FROM timeline WHERE id = ? AND kind = 'comment'", &[id.into()])?;
        Ok(())
    })
}
