//! Login throttling over `auth_failures`: at most [`LIMIT`] failed logins per account and per
//! client IP within a sliding [`WINDOW`]. It lives in SQLite, not in memory, because every
//! request is served by a fresh instance.
//!
//! The check runs before the password is verified, so a blocked attacker cannot even make the
//! server spend an argon2 verification.

use crate::audit::ClientInfo;
use crate::clock;
use crate::db::{Db, Value};
use crate::error::CoreError;

/// Failed attempts allowed per scope within the window.
const LIMIT: usize = 5;
/// The sliding window, in seconds (15 minutes).
const WINDOW: i64 = 15 * 60;
/// Rows older than this are pruned (one day).
const KEEP: i64 = 24 * 60 * 60;

/// The `(scope, key)` pairs a login attempt counts against: the account (the normalized
/// email; `None` when the email is not valid, since it then names no account and may well be a
/// mistyped password, which must not be stored) and the client's IP, when known.
fn scopes<'a>(account: Option<&'a str>, client: &'a ClientInfo) -> impl Iterator<Item = (&'static str, &'a str)> {
    let account = account.map(|a| ("account", a));
    account.into_iter().chain(client.ip.as_deref().map(|ip| ("ip", ip)))
}

/// [`CoreError::TooManyRequests`] if the account or the client's IP has [`LIMIT`] failures
/// within the window; `retry_after` is when enough of them leave it for one more attempt.
pub(crate) fn check(db: &dyn Db, account: Option<&str>, client: &ClientInfo) -> Result<(), CoreError> {
    let now = clock::now();
    let mut retry_after = None;
    for (scope, key) in scopes(account, client) {
        let rows = db.query(
            "SELECT at FROM auth_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at",
            &[scope.into(), key.into(), (now - WINDOW).into()],
        )?;
        let times: Vec<i64> = rows
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_i64))
            .collect();
        if times.len() >= LIMIT {
            let frees = times[times.len() - LIMIT] + WINDOW - now;
            let wait = frees.clamp(1, WINDOW) as u64;
            retry_after = Some(retry_after.map_or(wait, |w: u64| w.max(wait)));
        }
    }
    match retry_after {
        Some(retry_after) => Err(CoreError::TooManyRequests { retry_after }),
        None => Ok(()),
    }
}

/// Records one failure per scope and prunes old rows; the caller holds the transaction.
pub(crate) fn record_failure(db: &dyn Db, account: Option<&str>, client: &ClientInfo) -> Result<(), CoreError> {
    let now = clock::now();
    for (scope, key) in scopes(account, client) {
        db.execute(
            "INSERT INTO auth_failures (scope, key, at) VALUES (?, ?, ?)",
            &[scope.into(), key.into(), now.into()],
        )?;
    }
    db.execute("DELETE FROM auth_failures WHERE at < ?", &[(now - KEEP).into()])?;
    Ok(())
}

/// Forgets the account's failures after a successful login; the caller holds the transaction.
pub(crate) fn clear_account(db: &dyn Db, account: &str) -> Result<(), CoreError> {
    db.execute(
        "DELETE FROM auth_failures WHERE scope = 'account' AND key = ?",
        &[account.into()],
    )?;
    Ok(())
}
