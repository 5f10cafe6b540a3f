//! The submission log (`/api/forms/<id>/submissions`, `settings` read): every submission with
//! its raw payload, outcome and the records it made; a quarantined one can be released into a
//! lead (`POST .../release`), which runs the normal intake on its stored payload.

use serde_json::{Value as Json, json};

use super::form::by_key;
use super::submit::{self, Incoming, Outcome};
use crate::acl::{Action, Caller, Entity};
use crate::db::{Db, Row};
use crate::error::CoreError;
use crate::resource::{ListQuery, Page, Where};

/// Filters the log accepts.
pub const FILTERS: &[&str] = &["outcome"];

fn entry(row: &Row) -> Json {
    let json = |name: &str| row.str(name).and_then(|t| serde_json::from_str::<Json>(t).ok());
    json!({
        "id": row.i64("id"),
        "form_id": row.i64("form_id"),
        "received_at": row.i64("received_at").map(crate::clock::rfc3339),
        "outcome": row.str("outcome"),
        "reason": row.str("reason"),
        "content_type": row.str("content_type"),
        "payload": row.str("payload"),
        "ip": row.str("ip"),
        "user_agent": row.str("user_agent"),
        "page_url": row.str("page_url"),
        "referrer": row.str("referrer"),
        "utm": json("utm").unwrap_or(json!({})),
        "consent": json("consent"),
        "submission_key": row.str("submission_key"),
        "lead_id": row.i64("lead_id"),
        "contact_id": row.i64("contact_id"),
        "deal_id": row.i64("deal_id"),
        "matched": row.str("matched_entity").map(|e| json!({"entity": e, "id": row.i64("matched_id")})),
        "activity_id": row.i64("activity_id"),
    })
}

/// The log of form `form_id`, oldest first (keyset by id).
pub fn list(db: &dyn Db, caller: &Caller, form_id: i64, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    if db
        .query("SELECT 1 FROM forms WHERE id = ?", &[form_id.into()])?
        .is_empty()
    {
        return Err(CoreError::NotFound);
    }
    let mut filter = Where::default();
    filter.and("form_id = ?", [form_id.into()]);
    if let Some(outcome) = query.filter("outcome") {
        filter.and("outcome = ?", [outcome.into()]);
    }
    filter.page(db, "SELECT * FROM form_submissions", query, |row| Ok(entry(row)))
}

/// Releases a quarantined submission into the CRM (settings update): the stored payload goes
/// through the intake again, without the spam checks; the quarantined entry is marked
/// `released` and names the new entry.
pub fn release(db: &dyn Db, caller: &Caller, form_id: i64, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let rows = db.query(
        "SELECT s.*, f.public_key FROM form_submissions s JOIN forms f ON f.id = s.form_id WHERE s.id = ? AND s.form_id = ?",
        &[id.into(), form_id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    if row.str("outcome") != Some("quarantined") {
        return Err(CoreError::Conflict(
            "only a quarantined submission can be released".into(),
        ));
    }
    let mut form = by_key(db, row.str("public_key").unwrap_or_default())?.ok_or(CoreError::NotFound)?;
    form.ip_limit_per_minute = 0;
    form.form_limit_per_minute = 0;
    let body = row.str("payload").unwrap_or_default().as_bytes().to_vec();
    let incoming = Incoming {
        content_type: row.str("content_type"),
        body: &body,
        ip: row.str("ip"),
        user_agent: row.str("user_agent"),
        referer: row.str("page_url"),
        ..Incoming::default()
    };
    let new_id = match submit::release(db, &form, &incoming, crate::clock::now()) {
        Ok(Outcome::Accepted { submission_id, .. }) => submission_id,
        Ok(Outcome::Invalid { errors, .. }) => return Err(CoreError::Validation(errors)),
        // A payload refused before it could be judged (over the size, a content type or a body
        // no form sends) cannot be taken in from the log either.
        Ok(Outcome::Ping | Outcome::Quarantined { .. })
        | Err(
            CoreError::TooLarge { .. }
            | CoreError::UnsupportedMediaType(_)
            | CoreError::BadRequest(_)
            | CoreError::TooManyRequests { .. },
        ) => return Err(CoreError::Conflict("the stored payload could not be taken in".into())),
        Err(other) => return Err(other),
    };
    db.execute(
        "UPDATE form_submissions SET outcome = 'released', reason = ? WHERE id = ?",
        &[format!("released as submission {new_id}").into(), id.into()],
    )?;
    let rows = db.query("SELECT * FROM form_submissions WHERE id = ?", &[new_id.into()])?;
    rows.first().map(|r| entry(&r)).ok_or(CoreError::NotFound)
}
