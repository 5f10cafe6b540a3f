//! What a submission reads inside its transaction, in ONE statement (where the database is
//! remote every statement is a round trip): the earlier answer to a retry, the form's rate
//! windows, whose turn it is, and the contact or lead the submission duplicates.
//!
//! The rate limits count the form's own log rows of the last minute (a sliding window over
//! `form_submissions`, sql/0017), read under the write lock the transaction holds, so a hundred
//! concurrent posts against a limit of twenty let exactly twenty through. A post turned away is
//! not logged, so it uses up no limit: one address over its own limit cannot spend the form's.

use serde_json::Value as Json;

use super::form::Form;
use crate::db::{Db, Value};
use crate::error::CoreError;

/// The rate limits' window, in seconds.
const WINDOW: i64 = 60;

/// What [`Situation::read`] found.
pub(super) struct Situation {
    /// The log row of an earlier submission with the same idempotency key.
    pub replay: Option<i64>,
    /// Seconds until a post is let through again, when over a limit.
    pub retry_after: Option<u64>,
    /// The contact or lead the submission duplicates.
    pub matched: Option<Matched>,
    next_responsible: i64,
    /// The form's active responsible users, with their departments.
    active: Vec<(i64, Option<i64>)>,
}

/// A record a submission duplicates: its entity and id.
pub(super) type Matched = (&'static str, i64);

/// Whose turn a submission is, and where the round goes on from (kept on its log row).
pub(super) struct Turn {
    pub user: i64,
    pub department: Option<i64>,
    pub next: i64,
}

impl Situation {
    /// Reads it all for `form`: `key` is the submission's idempotency key, `ip` its address,
    /// `duplicate` an SQL expression (and its parameters) giving the duplicated `[entity, id]`
    /// as JSON.
    pub fn read(
        db: &dyn Db,
        form: &Form,
        key: Option<&str>,
        ip: Option<&str>,
        now: i64,
        duplicate: Option<(String, Vec<Value>)>,
    ) -> Result<Situation, CoreError> {
        let since = now - WINDOW;
        // Parameters in the order their `?` appear in the text.
        let mut params: Vec<Value> = Vec::new();
        let replay = match key {
            Some(key) => {
                params.push(key.into());
                "(SELECT id FROM form_submissions WHERE form_id = f.id AND submission_key = ?)"
            }
            None => "NULL",
        };
        let window = "(SELECT json_array(count(*), min(received_at)) FROM form_submissions \
                      WHERE form_id = f.id AND received_at > ?";
        let ip_window = if form.ip_limit_per_minute > 0 {
            params.extend([since.into(), ip.into()]);
            format!("{window} AND ip IS ?)")
        } else {
            "NULL".into()
        };
        let form_window = if form.form_limit_per_minute > 0 {
            params.push(since.into());
            format!("{window})")
        } else {
            "NULL".into()
        };
        params.push(Json::from(form.responsible_ids.clone()).to_string().into());
        let (duplicate, duplicate_params) = duplicate.unwrap_or_else(|| ("NULL".into(), Vec::new()));
        params.extend(duplicate_params);
        params.push(form.id.into());
        let rows = db.query(
            &format!(
                "SELECT {replay} AS replay, {ip_window} AS ip_window, {form_window} AS form_window, \
                        COALESCE((SELECT s.next_turn FROM form_submissions s \
                                  WHERE s.form_id = f.id AND s.next_turn IS NOT NULL \
                                  ORDER BY s.id DESC LIMIT 1), f.next_responsible) AS next_responsible, \
                        (SELECT json_group_array(json_array(u.id, u.department_id)) FROM users u \
                         WHERE u.id IN (SELECT value FROM json_each(?)) AND u.active = 1) AS active, \
                        {duplicate} AS duplicate \
                 FROM forms f WHERE f.id = ?"
            ),
            &params,
        )?;
        let row = rows.first().ok_or(CoreError::NotFound)?;
        let over = |column: &str, limit: i64| -> Option<u64> {
            let (count, oldest): (i64, Option<i64>) = serde_json::from_str(row.str(column)?).ok()?;
            // Through again once the oldest post of the window has left it.
            (count >= limit).then(|| (oldest.unwrap_or(now) + WINDOW - now).clamp(1, WINDOW) as u64)
        };
        let retry_after = [
            over("ip_window", form.ip_limit_per_minute),
            over("form_window", form.form_limit_per_minute),
        ]
        .into_iter()
        .flatten()
        .max();
        let matched = row
            .str("duplicate")
            .and_then(|d| serde_json::from_str::<(String, i64)>(d).ok())
            .map(|(entity, id)| (if entity == "contact" { "contact" } else { "lead" }, id));
        let active = serde_json::from_str(row.str("active").unwrap_or("[]"))
            .map_err(|e| CoreError::Internal(format!("the form's users do not read: {e}")))?;
        Ok(Situation {
            replay: row.i64("replay"),
            retry_after,
            matched,
            next_responsible: row.i64("next_responsible").unwrap_or(0),
            active,
        })
    }

    /// Whose turn it is: the first active user of the form's round from where it stands.
    pub fn turn(&self, form: &Form) -> Result<Turn, CoreError> {
        let n = form.responsible_ids.len().max(1) as i64;
        for step in 0..n {
            let at = (self.next_responsible + step) % n;
            let candidate = form.responsible_ids.get(at as usize).copied().unwrap_or(0);
            if let Some((user, department)) = self.active.iter().find(|(id, _)| *id == candidate) {
                return Ok(Turn {
                    user: *user,
                    department: *department,
                    next: (at + 1) % n,
                });
            }
        }
        Err(CoreError::Unavailable(format!(
            "form {} has no active responsible user",
            form.id
        )))
    }
}
