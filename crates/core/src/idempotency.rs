//! `Idempotency-Key` for POSTs: a repeat within 24 hours returns the first response and
//! creates nothing new. The stored response is written in the same transaction as what the
//! request created, so "created" and "remembered" cannot come apart.
//!
//! Only successful responses are kept: a request that failed changed nothing, so its retry
//! simply runs again. Responses that carry a secret shown once (API tokens) must not use this,
//! since the stored body would keep the secret.

use crate::clock;
use crate::db::{Db, Value, transaction};
use crate::error::CoreError;

/// How long a key is remembered, in seconds.
pub const TTL: i64 = 24 * 60 * 60;

/// Longest accepted key.
const KEY_MAX: usize = 255;

/// A response as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The JSON body.
    pub body: String,
}

/// Whether a response came from the store or was just made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The first time: `run` ran and its response was stored.
    Fresh(StoredResponse),
    /// A repeat: the first response, nothing ran.
    Replayed(StoredResponse),
}

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> Result<(), CoreError> {
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CoreError::BadRequest(format!(
            "Idempotency-Key must be 1 to {KEY_MAX} visible ASCII characters"
        )));
    }
    Ok(())
}

/// Runs `run` once per (`scope`, `key`) within [`TTL`]; `scope` names the caller and the
/// endpoint (e.g. `user:3 POST /api/users`), so keys of different callers never meet.
pub fn once(
    db: &dyn Db,
    scope: &str,
    key: &str,
    run: impl FnOnce(&dyn Db) -> Result<StoredResponse, CoreError>,
) -> Result<Outcome, CoreError> {
    check_key(key)?;
    transaction(db, |db| {
        let now = clock::now();
        let found = db.query(
            "SELECT status, location, body FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at > ?",
            &[scope.into(), key.into(), (now - TTL).into()],
        )?;
        if let Some(row) = found.first() {
            return Ok(Outcome::Replayed(StoredResponse {
                status: row.i64("status").and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                location: row.str("location").map(str::to_string),
                body: row.str("body").unwrap_or_default().to_string(),
            }));
        }
        let response = run(db)?;
        db.execute(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN \
             (SELECT scope, key FROM idempotency_keys WHERE created_at <= ? ORDER BY created_at LIMIT 100) \
             OR (scope = ? AND key = ?)",
            &[(now - TTL).into(), scope.into(), key.into()],
        )?;
        db.execute(
            "INSERT INTO idempotency_keys (scope, key, status, location, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                scope.into(),
                key.into(),
                i64::from(response.status).into(),
                response.location.clone().map(Value::from).unwrap_or(Value::Null),
                response.body.clone().into(),
                now.into(),
            ],
        )?;
        Ok(Outcome::Fresh(response))
    })
}
