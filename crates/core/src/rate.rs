//! Fixed-window rate counters in SQLite (`rate_counters`, sql/0013), for limits that must hold
//! under concurrency: each hit is ONE upsert statement that increments and returns the count,
//! atomic in SQLite, so a hundred concurrent requests against a limit of twenty let exactly
//! twenty through. (A get-then-set in the key-value store let 34–58 through.)
//!
//! Every request is served by a fresh instance, so counters cannot live in memory.

use crate::db::Db;
use crate::error::CoreError;

/// Rows of windows that ended this long ago are pruned (one day).
const KEEP: i64 = 24 * 60 * 60;

/// Counts one hit on `key` in the `window`-second fixed window containing `now`; returns the
/// hits in this window including this one.
pub fn hit(db: &dyn Db, key: &str, window: i64, now: i64) -> Result<i64, CoreError> {
    let period = now - now.rem_euclid(window.max(1));
    let count = db
        .write(
            "INSERT INTO rate_counters (key, period, count) VALUES (?, ?, 1) \
             ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN period = excluded.period THEN count + 1 ELSE 1 END, \
                 period = excluded.period \
             RETURNING count",
            &[key.into(), period.into()],
        )?
        .first_i64()
        .unwrap_or(1);
    // A new window for this key: a cheap moment to forget long-gone windows of any key.
    if count == 1 {
        db.execute("DELETE FROM rate_counters WHERE period < ?", &[(now - KEEP).into()])?;
    }
    Ok(count)
}

/// Seconds until the `window`-second window containing `now` ends (at least 1).
pub fn retry_after(window: i64, now: i64) -> u64 {
    let window = window.max(1);
    (window - now.rem_euclid(window)).max(1) as u64
}
