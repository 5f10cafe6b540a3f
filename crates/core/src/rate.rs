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
    Ok(hit_all(db, &[key], window, now)?.first().copied().unwrap_or(1))
}

/// Counts one hit on each of `keys` (distinct) in the same window, in ONE statement (a request
/// pays per statement where the database is remote); the counts, in the order of `keys`.
pub fn hit_all(db: &dyn Db, keys: &[&str], window: i64, now: i64) -> Result<Vec<i64>, CoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let period = now - now.rem_euclid(window.max(1));
    let mut params = Vec::with_capacity(keys.len() * 2);
    for key in keys {
        params.extend([(*key).into(), period.into()]);
    }
    let rows = db.write(
        &format!(
            "INSERT INTO rate_counters (key, period, count) VALUES {} \
             ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN period = excluded.period THEN count + 1 ELSE 1 END, \
                 period = excluded.period \
             RETURNING key, count",
            vec!["(?, ?, 1)"; keys.len()].join(", ")
        ),
        &params,
    )?;
    // RETURNING names no order: match the rows to the keys.
    let counts: Vec<i64> = keys
        .iter()
        .map(|key| {
            rows.iter()
                .find(|row| row.str("key") == Some(*key))
                .and_then(|row| row.i64("count"))
                .unwrap_or(1)
        })
        .collect();
    // A new window for a key: a cheap moment to forget long-gone windows of any key.
    if counts.contains(&1) {
        db.execute("DELETE FROM rate_counters WHERE period < ?", &[(now - KEEP).into()])?;
    }
    Ok(counts)
}

/// Takes back one hit on `key` counted by [`hit_all`] in the same window (a request another
/// limit turned away does not count against this one).
pub fn take_back(db: &dyn Db, key: &str, window: i64, now: i64) -> Result<(), CoreError> {
    let period = now - now.rem_euclid(window.max(1));
    db.execute(
        "UPDATE rate_counters SET count = count - 1 WHERE key = ? AND period = ? AND count > 0",
        &[key.into(), period.into()],
    )?;
    Ok(())
}

/// Seconds until the `window`-second window containing `now` ends (at least 1).
pub fn retry_after(window: i64, now: i64) -> u64 {
    let window = window.max(1);
    (window - now.rem_euclid(window)).max(1) as u64
}
