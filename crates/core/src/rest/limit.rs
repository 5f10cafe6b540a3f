//! The leaky-bucket rate limit per webhook token (2 requests/s, a burst of 50):
//! `QUERY_LIMIT_EXCEEDED` with 503 (issue 19, transport helper).
//!
//! Each hook's bucket lives on its `rest_hooks` row (every request is a fresh instance, so
//! nothing lasts in memory): its level in thousandths of a request and when it was last
//! filled. [`take`] is ONE guarded `UPDATE`: it drains the level by the time passed, and adds
//! this request only if the level stays within the burst — an atomic check-and-add, so a
//! burst of parallel requests gets exactly what the bucket holds. A refused request adds
//! nothing (it overflowed). The same statement stamps the hook's `last_used_at`. A clock that
//! steps back drains nothing and never moves the bucket's time back.

use crate::db::Db;
use crate::error::CoreError;

/// Requests the bucket holds before it refuses.
pub const BURST: i64 = 50;
/// Requests it drains per second.
pub const DRAIN_PER_SECOND: i64 = 2;
/// One request, in the bucket's unit.
const ONE: i64 = 1000;

/// Counts a request against hook `hook_id` at `now_ms` (unix milliseconds): `Ok(true)` if
/// the bucket had room, `Ok(false)` if it is full.
pub fn take(db: &dyn Db, hook_id: i64, now_ms: i64) -> Result<bool, CoreError> {
    // ONE per request, drained by DRAIN_PER_SECOND * ONE per 1000 ms.
    let rows = db.query(
        "UPDATE rest_hooks SET bucket = max(bucket - max(?1 - bucket_at, 0) * ?2, 0) + ?3, \
         bucket_at = max(bucket_at, ?1), last_used_at = ?1 / 1000 \
         WHERE id = ?4 AND max(bucket - max(?1 - bucket_at, 0) * ?2, 0) + ?3 <= ?5 RETURNING id",
        &[
            now_ms.into(),
            (DRAIN_PER_SECOND * ONE / 1000).into(),
            ONE.into(),
            hook_id.into(),
            (BURST * ONE).into(),
        ],
    )?;
    Ok(!rows.rows.is_empty())
}

/// Now, as unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
