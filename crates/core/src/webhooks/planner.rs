//! The delivery planner: which deliveries are due, what an attempt's outcome does, and the
//! delivery log.
//!
//! - A tick [`claim_due`]s the oldest due `pending` deliveries of active subscriptions, moving
//!   each [`LEASE`] seconds ahead in the same statement, so an overlapping tick does not send
//!   them twice (a tick that dies leaves them due again after the lease).
//! - [`record_attempt`] keeps every attempt (`webhook_attempts`) and moves the delivery on:
//!   `delivered`; or due again after [`backoff`] (30 s doubling, at most an hour); or `failed`
//!   after [`MAX_ATTEMPTS`]. A subscription's failures in a row are counted across its
//!   deliveries; the [`PAUSE_AFTER`]th pauses it (written on it with the reason, audited), so
//!   a dead receiver stops costing ticks and shows as paused until someone resumes it.
//! - [`retry`] makes one delivery due now again (any status), [`deliveries`] lists them newest
//!   first.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, Row, Value, transaction};
use crate::error::CoreError;
use crate::resource::{ListQuery, Page};

use super::events::{self, Style};

/// Seconds before the first retry; each further one waits twice as long.
pub const BASE_DELAY: i64 = 30;
/// The longest wait between attempts, in seconds.
pub const MAX_DELAY: i64 = 3600;
/// Attempts after which a delivery is `failed` (a manual retry still sends it once more).
pub const MAX_ATTEMPTS: i64 = 10;
/// Failures in a row after which a subscription pauses itself.
pub const PAUSE_AFTER: i64 = 5;
/// Seconds a claimed delivery is held by the tick that claimed it.
pub const LEASE: i64 = 120;
/// Seconds the log keeps a delivered delivery (30 days).
pub const KEEP_DELIVERED: i64 = 30 * 86_400;
/// Seconds the log keeps a failed one, for a manual retry (90 days).
pub const KEEP_FAILED: i64 = 90 * 86_400;
/// The most deliveries one [`prune`] forgets, so a tick stays short.
pub const PRUNE_BATCH: i64 = 1_000;
/// Filters of the delivery log.
pub const FILTERS: &[&str] = &["status", "event"];

/// The wait after the `failed`th failed attempt (1-based): 30 s, 60 s, 120 s... at most an hour.
pub fn backoff(failed: i64) -> i64 {
    let doublings = u32::try_from(failed.clamp(1, 63) - 1).unwrap_or(0);
    BASE_DELAY
        .saturating_mul(2_i64.saturating_pow(doublings))
        .min(MAX_DELAY)
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// The delivery's id.
    pub id: i64,
    /// The subscription.
    pub webhook_id: i64,
    /// The event's native name.
    pub event: String,
    /// The record's entity (`lead`...).
    pub entity: String,
    /// The record's id.
    pub record_id: i64,
    /// What the event carries beyond the id (a stage change's `from`/`to`).
    pub details: Option<Json>,
    /// When the change happened (unix seconds).
    pub occurred_at: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    /// Where it goes.
    pub url: String,
    /// How it is written.
    pub style: Style,
    /// The subscription's secret.
    pub secret: String,
    /// Who created the subscription (the record is rendered as they may read it).
    pub created_by: Option<i64>,
}

/// Claims up to `limit` due deliveries of active subscriptions at `now`, oldest first.
pub fn claim_due(db: &dyn Db, now: i64, limit: u32) -> Result<Vec<Due>, CoreError> {
    let claimed = db.query(
        "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (\
             SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.active = 1 \
             WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?) \
         RETURNING id",
        &[(now + LEASE).into(), now.into(), limit.into()],
    )?;
    let ids: Vec<i64> = claimed.iter().filter_map(|r| r.i64("id")).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
    let rows = db.query(
        &format!(
            "SELECT d.id, d.webhook_id, d.event, d.entity, d.record_id, d.details, d.occurred_at, d.attempts, \
                    w.url, w.style, w.secret, w.created_by \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.id IN ({}) ORDER BY d.id",
            crate::resource::placeholders(ids.len())
        ),
        &params,
    )?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Due {
                id: row.i64("id")?,
                webhook_id: row.i64("webhook_id")?,
                event: row.str("event")?.to_string(),
                entity: row.str("entity")?.to_string(),
                record_id: row.i64("record_id")?,
                details: row.str("details").and_then(|t| serde_json::from_str(t).ok()),
                occurred_at: row.i64("occurred_at")?,
                attempts: row.i64("attempts").unwrap_or_default(),
                url: row.str("url")?.to_string(),
                style: Style::parse(row.str("style")?)?,
                secret: row.str("secret")?.to_string(),
                created_by: row.i64("created_by"),
            })
        })
        .collect())
}

/// Forgets final deliveries that have served their time, with their attempts: delivered
/// ones after [`KEEP_DELIVERED`], failed ones after [`KEEP_FAILED`], oldest first and at most
/// [`PRUNE_BATCH`] a call. Pending deliveries are never touched. Returns how many went.
pub fn prune(db: &dyn Db, now: i64) -> Result<usize, CoreError> {
    let gone = db.write(
        "DELETE FROM webhook_deliveries WHERE id IN (\
             SELECT id FROM webhook_deliveries \
             WHERE status IN ('delivered', 'failed') AND occurred_at < ? \
               AND (status = 'delivered' OR occurred_at < ?) \
             ORDER BY occurred_at, id LIMIT ?) \
         RETURNING id",
        &[
            (now - KEEP_DELIVERED).into(),
            (now - KEEP_FAILED).into(),
            PRUNE_BATCH.into(),
        ],
    )?;
    Ok(gone.len())
}

/// Gives back claimed deliveries a tick did not send (its budget ran out, or their
/// subscription paused meanwhile): due again at `now`.
pub fn release(db: &dyn Db, ids: &[i64], now: i64) -> Result<(), CoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut params: Vec<Value> = vec![now.into()];
    params.extend(ids.iter().map(|id| Value::from(*id)));
    db.execute(
        &format!(
            "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE status = 'pending' AND id IN ({})",
            crate::resource::placeholders(ids.len())
        ),
        &params,
    )?;
    Ok(())
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Another status, or no answer.
    Failed {
        /// The status, if it answered.
        status: Option<u16>,
        /// What went wrong, for the log (short).
        error: String,
    },
}

/// What [`record_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// When the delivery is tried again (`None`: delivered or out of attempts).
    pub next_attempt_at: Option<i64>,
    /// Whether this failure paused the subscription.
    pub paused: bool,
}

/// Keeps attempt `due` made at `now` (taking `duration_ms`) and its consequences, in one
/// transaction.
pub fn record_attempt(
    db: &dyn Db,
    due: &Due,
    outcome: &Outcome,
    now: i64,
    duration_ms: i64,
) -> Result<Recorded, CoreError> {
    transaction(db, |db| {
        let (status, error) = match outcome {
            Outcome::Delivered { status } => (Some(*status), None),
            Outcome::Failed { status, error } => (*status, Some(truncate(error, 500))),
        };
        let status_value = status.map_or(Value::Null, |s| i64::from(s).into());
        let error_value = error.clone().map_or(Value::Null, Value::from);
        db.execute(
            "INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
            &[
                due.id.into(),
                now.into(),
                status_value.clone(),
                error_value.clone(),
                duration_ms.into(),
            ],
        )?;
        let attempts = due.attempts + 1;
        if matches!(outcome, Outcome::Delivered { .. }) {
            db.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, last_attempt_at = ?, last_status = ?, \
                 last_error = NULL, delivered_at = ? WHERE id = ?",
                &[attempts.into(), now.into(), status_value, now.into(), due.id.into()],
            )?;
            db.execute(
                "UPDATE webhooks SET consecutive_failures = 0, last_success_at = ? WHERE id = ?",
                &[now.into(), due.webhook_id.into()],
            )?;
            return Ok(Recorded {
                next_attempt_at: None,
                paused: false,
            });
        }
        let next = (attempts < MAX_ATTEMPTS).then(|| now + backoff(attempts));
        db.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, \
             last_status = ?, last_error = ? WHERE id = ?",
            &[
                if next.is_some() { "pending" } else { "failed" }.into(),
                attempts.into(),
                next.unwrap_or(now).into(),
                now.into(),
                status_value,
                error_value,
                due.id.into(),
            ],
        )?;
        let reason = format!(
            "paused after {PAUSE_AFTER} failed deliveries in a row: {}",
            error.unwrap_or_default()
        );
        let paused = db.query(
            "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, last_failure_at = ?1, \
                 active = CASE WHEN consecutive_failures + 1 >= ?2 THEN 0 ELSE active END, \
                 paused_reason = CASE WHEN consecutive_failures + 1 >= ?2 AND active = 1 THEN ?3 ELSE paused_reason END, \
                 paused_at = CASE WHEN consecutive_failures + 1 >= ?2 AND active = 1 THEN ?1 ELSE paused_at END, \
                 version = version + (CASE WHEN consecutive_failures + 1 >= ?2 AND active = 1 THEN 1 ELSE 0 END) \
             WHERE id = ?4 RETURNING active, paused_at",
            &[now.into(), PAUSE_AFTER.into(), reason.clone().into(), due.webhook_id.into()],
        )?;
        let paused = paused
            .first()
            .is_some_and(|row| row.i64("active") == Some(0) && row.i64("paused_at") == Some(now));
        if paused {
            crate::audit::record(
                db,
                &AuditEvent {
                    actor: None,
                    action: "webhook.paused",
                    target: Some(("webhook", due.webhook_id)),
                    details: json!({ "reason": reason }),
                },
                &ClientInfo::default(),
            )?;
        }
        Ok(Recorded {
            next_attempt_at: next,
            paused,
        })
    })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn require_webhook(db: &dyn Db, webhook_id: i64) -> Result<Style, CoreError> {
    db.query("SELECT style FROM webhooks WHERE id = ?", &[webhook_id.into()])?
        .first()
        .and_then(|row| row.str("style").and_then(Style::parse))
        .ok_or(CoreError::NotFound)
}

fn delivery(row: &Row, style: Style) -> Json {
    let event = row.str("event").unwrap_or_default();
    let pending = row.str("status") == Some("pending");
    json!({
        "id": row.i64("id"),
        "webhook_id": row.i64("webhook_id"),
        "event": events::spelled(style, event),
        "native_event": event,
        "entity": row.str("entity"),
        "record_id": row.i64("record_id"),
        "details": row.str("details").and_then(|t| serde_json::from_str::<Json>(t).ok()),
        "occurred_at": row.i64("occurred_at").map(crate::clock::rfc3339),
        "status": row.str("status"),
        "attempts": row.i64("attempts"),
        "next_attempt_at": if pending { row.i64("next_attempt_at").map(crate::clock::rfc3339) } else { None },
        "last_attempt_at": row.i64("last_attempt_at").map(crate::clock::rfc3339),
        "last_status": row.i64("last_status"),
        "last_error": row.str("last_error"),
        "delivered_at": row.i64("delivered_at").map(crate::clock::rfc3339),
    })
}

/// The deliveries of subscription `webhook_id`, newest first (`filter[status]`,
/// `filter[event]` in either spelling); settings read.
pub fn deliveries(db: &dyn Db, caller: &Caller, webhook_id: i64, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let style = require_webhook(db, webhook_id)?;
    let mut sql = String::from("SELECT * FROM webhook_deliveries WHERE webhook_id = ?");
    let mut params: Vec<Value> = vec![webhook_id.into()];
    if let Some(status) = query.filter("status") {
        if !["pending", "delivered", "failed"].contains(&status) {
            return Err(CoreError::BadRequest(format!(
                "filter[status] {status:?} is not one of pending, delivered, failed"
            )));
        }
        sql.push_str(" AND status = ?");
        params.push(status.into());
    }
    if let Some(event) = query.filter("event") {
        let native = events::native(event)
            .ok_or_else(|| CoreError::BadRequest(format!("filter[event] {event:?} is not an event")))?;
        sql.push_str(" AND event = ?");
        params.push(native.into());
    }
    if let Some(cursor) = query.cursor {
        sql.push_str(" AND id < ?");
        params.push(cursor.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    params.push((query.limit + 1).into());
    let rows = db.query(&sql, &params)?;
    let fetched = rows
        .iter()
        .map(|row| (row.i64("id").unwrap_or_default(), delivery(&row, style)))
        .collect();
    Ok(Page::from_fetched(fetched, query.limit))
}

/// One delivery with its attempts, oldest first; settings read.
pub fn delivery_with_attempts(db: &dyn Db, caller: &Caller, webhook_id: i64, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let style = require_webhook(db, webhook_id)?;
    let rows = db.query(
        "SELECT * FROM webhook_deliveries WHERE id = ? AND webhook_id = ?",
        &[id.into(), webhook_id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    let mut record = delivery(&row, style);
    let attempts = db.query(
        "SELECT at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY id",
        &[id.into()],
    )?;
    record["attempt_log"] = attempts
        .iter()
        .map(|a| {
            json!({
                "at": a.i64("at").map(crate::clock::rfc3339),
                "status": a.i64("status"),
                "error": a.str("error"),
                "duration_ms": a.i64("duration_ms"),
            })
        })
        .collect();
    Ok(record)
}

/// Makes delivery `id` of subscription `webhook_id` due now (settings update), whatever its
/// status; audited. Returns it.
pub fn retry(db: &dyn Db, caller: &Caller, webhook_id: i64, id: i64, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let style = require_webhook(db, webhook_id)?;
    transaction(db, |db| {
        let rows = db.query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE id = ? AND webhook_id = ? RETURNING *",
            &[crate::clock::now().into(), id.into(), webhook_id.into()],
        )?;
        let row = rows.first().ok_or(CoreError::NotFound)?;
        let record = delivery(&row, style);
        crate::audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "webhook.delivery_retried",
                target: Some(("webhook", webhook_id)),
                details: json!({ "delivery_id": id }),
            },
            client,
        )?;
        Ok(record)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(backoff).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1000), 3600);
    }
}
