//! Login throttling over `auth_failures`: at most [`LIMIT`] failed logins per account and per
//! client IP within a sliding [`WINDOW`]. It lives in SQLite, not in memory, because every
//! request is served by a fresh instance.
//!
//! Every attempt is counted BEFORE the password is verified, as a failure: [`reserve`] checks
//! the limit and inserts the attempt's rows in one `BEGIN IMMEDIATE` transaction, so
//! concurrent attempts are serialised and at most [`LIMIT`] of them get to a verification (a
//! check-then-record let a burst of 40 through six times); a blocked attacker cannot even make
//! the server spend an argon2 verification. A successful login takes its rows back
//! ([`forget`]).

use crate::audit::ClientInfo;
use crate::clock;
use crate::db::{Db, Value, transaction};
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

/// Counts one attempt against the account and the client's IP, atomically with the check:
/// [`CoreError::TooManyRequests`] (nothing counted) if either has [`LIMIT`] failures within the
/// window (`retry_after` is when enough of them leave it for one more attempt); otherwise the
/// ids of the rows that count this attempt as a failure until [`forget`] takes them back.
pub(crate) fn reserve(db: &dyn Db, account: Option<&str>, client: &ClientInfo) -> Result<Vec<i64>, CoreError> {
    transaction(db, |db| {
        check(db, account, client)?;
        record_failure(db, account, client)
    })
}

/// Takes back the rows [`reserve`] counted (the attempt succeeded); the caller holds the
/// transaction.
pub(crate) fn forget(db: &dyn Db, reserved: &[i64]) -> Result<(), CoreError> {
    for id in reserved {
        db.execute("DELETE FROM auth_failures WHERE id = ?", &[(*id).into()])?;
    }
    Ok(())
}

fn check(db: &dyn Db, account: Option<&str>, client: &ClientInfo) -> Result<(), CoreError> {
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

/// Records one failure per scope (returning the rows' ids) and prunes old rows.
fn record_failure(db: &dyn Db, account: Option<&str>, client: &ClientInfo) -> Result<Vec<i64>, CoreError> {
    let now = clock::now();
    let mut ids = Vec::new();
    for (scope, key) in scopes(account, client) {
        db.execute(
            "INSERT INTO auth_failures (scope, key, at) VALUES (?, ?, ?)",
            &[scope.into(), key.into(), now.into()],
        )?;
        ids.push(db.last_insert_id()?);
    }
    db.execute("DELETE FROM auth_failures WHERE at < ?", &[(now - KEEP).into()])?;
    Ok(ids)
}

/// Forgets the account's failures after a successful login; the caller holds the transaction.
pub(crate) fn clear_account(db: &dyn Db, account: &str) -> Result<(), CoreError> {
    db.execute(
        "DELETE FROM auth_failures WHERE scope = 'account' AND key = ?",
        &[account.into()],
    )?;
    Ok(())
}
