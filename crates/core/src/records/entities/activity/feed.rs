//! The calendar feed: a per-user iCalendar (`GET /api/activities.ics?token=...`) that calendar
//! apps subscribe to, since they can send neither a cookie nor a Bearer header.
//!
//! The token is `cal_<user_id>_<secret>`: 32 random bytes (base64url), of which only the hex
//! SHA-256 is stored (`calendar_feeds`, one row per user, so issuing a new token replaces the
//! old one); the hashes are compared in constant time. It grants the feed and nothing else. A
//! feed works while the user is active and their role may read activities.
//!
//! The feed holds the user's activities as responsible that are open or were completed in the
//! last 30 days: a call or meeting with a start is a `VEVENT`; anything else (tasks, e-mails,
//! a call without a time) is a `VTODO`, `DUE` at its deadline. `UID` is `activity-<id>@crm`,
//! `DTSTAMP` the last change, `SEQUENCE` the version less one; a reminder of an open activity
//! is a display alarm.

use serde_json::{Value as Json, json};

use super::TIMED_TYPES;
use crate::acl::{Action, Caller, Entity};
use crate::audit::{self, AuditEvent, ClientInfo};
use crate::auth::{hashes_match, random_secret, sha256_hex, split_token};
use crate::db::{Db, transaction};
use crate::error::CoreError;
use crate::records::ical::{self, Calendar, Component, Kind};

/// Prefix of every feed token.
const PREFIX: &str = "cal_";
/// The path of the feed.
pub const FEED_PATH: &str = "/api/activities.ics";
/// How long completed activities stay in the feed, in seconds (30 days).
pub const COMPLETED_KEPT: i64 = 30 * 86_400;
/// The most activities one feed holds (the latest ones).
pub const MAX_ITEMS: i64 = 5_000;

/// `cal_<user_id>_<secret>` split into its user id and secret (strictly, as issued).
fn parse(token: &str) -> Option<(i64, &str)> {
    split_token(token, PREFIX)
}

/// Issues a feed token for the caller, replacing any earlier one (which stops working at once);
/// audited as `calendar_feed.issued`. Returns `{"url", "created_at"}`: the feed's path with the
/// token, the only time the token is shown.
pub fn issue(db: &dyn Db, caller: &Caller, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Activity, Action::Read)?;
    let secret = random_secret()?;
    let now = crate::clock::now();
    transaction(db, |db| {
        db.execute(
            "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
            &[caller.user_id.into(), sha256_hex(&secret).into(), now.into()],
        )?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "calendar_feed.issued",
                target: Some(("user", caller.user_id)),
                details: Json::Null,
            },
            client,
        )
    })?;
    let token = format!("{PREFIX}{}_{secret}", caller.user_id);
    Ok(json!({
        "url": format!("{FEED_PATH}?token={token}"),
        "created_at": crate::clock::rfc3339(now),
    }))
}

/// Revokes the caller's feed token, if any; audited as `calendar_feed.revoked`.
pub fn revoke(db: &dyn Db, caller: &Caller, client: &ClientInfo) -> Result<(), CoreError> {
    transaction(db, |db| {
        let had = !db
            .query(
                "SELECT 1 FROM calendar_feeds WHERE user_id = ?",
                &[caller.user_id.into()],
            )?
            .is_empty();
        if !had {
            return Ok(());
        }
        db.execute("DELETE FROM calendar_feeds WHERE user_id = ?", &[caller.user_id.into()])?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "calendar_feed.revoked",
                target: Some(("user", caller.user_id)),
                details: Json::Null,
            },
            client,
        )
    })
}

/// The user a feed token stands for: anything malformed, unknown or replaced, or an inactive
/// user, is [`CoreError::Unauthorized`]; a user whose role may not read activities is
/// [`CoreError::Forbidden`].
pub fn authenticate(db: &dyn Db, token: &str) -> Result<Caller, CoreError> {
    let (user_id, secret) = parse(token).ok_or(CoreError::Unauthorized)?;
    let rows = db.query(
        "SELECT token_hash FROM calendar_feeds WHERE user_id = ?",
        &[user_id.into()],
    )?;
    let stored = rows.first_str().ok_or(CoreError::Unauthorized)?;
    let matches = hashes_match(&sha256_hex(secret), stored);
    if !matches {
        return Err(CoreError::Unauthorized);
    }
    let caller = Caller::load(db, user_id)?;
    caller.require(Entity::Activity, Action::Read)?;
    Ok(caller)
}

/// The feed of the user `token` stands for, as iCalendar text; `now` (unix seconds) decides
/// which completed activities are still shown.
pub fn feed(db: &dyn Db, token: &str, now: i64) -> Result<String, CoreError> {
    let caller = authenticate(db, token)?;
    let rows = db.query(
        "SELECT id, type, subject, description, result, start_at, end_at, deadline, remind_at, priority, \
                completed, completed_at, version, updated_at \
         FROM activities WHERE responsible_id = ? AND (completed = 0 OR completed_at >= ?) \
         ORDER BY id DESC LIMIT ?",
        &[caller.user_id.into(), (now - COMPLETED_KEPT).into(), MAX_ITEMS.into()],
    )?;
    let mut components: Vec<Component> = rows.iter().map(|r| component(&r)).collect();
    components.reverse();
    Ok(ical::write(&Calendar {
        prodid: "-//crm//activities//EN".into(),
        name: Some("CRM activities".into()),
        refresh_minutes: Some(15),
        components,
    }))
}

/// One activity row as a calendar component.
fn component(row: &crate::db::Row) -> Component {
    let kind_code = row.str("type").unwrap_or_default();
    let completed = row.i64("completed") == Some(1);
    let start = row.i64("start_at");
    let kind = match start {
        Some(start) if TIMED_TYPES.contains(&kind_code) => Kind::Event {
            start,
            end: row.i64("end_at"),
        },
        _ => Kind::Todo {
            due: row.i64("deadline"),
            completed: if completed { row.i64("completed_at") } else { None },
        },
    };
    let status = match (kind, completed) {
        (Kind::Event { .. }, _) => "CONFIRMED",
        (Kind::Todo { .. }, true) => "COMPLETED",
        (Kind::Todo { .. }, false) => "NEEDS-ACTION",
    };
    let description: Vec<&str> = [row.str("description"), row.str("result")]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    Component {
        uid: format!("activity-{}@crm", row.i64("id").unwrap_or_default()),
        stamp: row.i64("updated_at").unwrap_or_default(),
        kind,
        summary: row.str("subject").unwrap_or_default().to_string(),
        description: Some(description.join("\n\n")).filter(|d| !d.is_empty()),
        status,
        priority: match row.str("priority") {
            Some("HIGH") => Some(1),
            Some("NORMAL") => Some(5),
            Some("LOW") => Some(9),
            _ => None,
        },
        sequence: row.i64("version").map(|v| v - 1),
        categories: vec![kind_code.to_string()],
        alarm: if completed { None } else { row.i64("remind_at") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_into_user_and_secret() {
        let secret = "abc_-def0123456789abcdefghijklmnopqrstuvwxy";
        assert_eq!(parse(&format!("cal_12_{secret}")), Some((12, secret)));
        assert_eq!(parse(&format!("cal_012_{secret}")), None, "leading zero");
        for bad in [
            "",
            "cal_",
            "cal_12",
            "cal_12_",
            "cal__abc",
            "cal_-1_abc",
            "crm_1_abc",
            "cal_99999999999999999999_abc",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_random_and_url_safe() {
        let a = random_secret().expect("random");
        let b = random_secret().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
