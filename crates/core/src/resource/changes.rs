//! Writing what a merge-patch changed: [`Changes`] collects the columns whose new value
//! differs from the stored one and writes them as ONE `UPDATE` that bumps `version` and
//! stamps `updated_at`; [`check_version`] is the `If-Match` rule (412 on a stale version) and
//! [`audit`] appends the audit row of a settings change, in the same transaction.

use serde_json::Value as Json;

use crate::acl::Caller;
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, Value};
use crate::error::CoreError;

/// The columns a merge-patch really changes, collected field by field, then written as one
/// `UPDATE` that also bumps `version` and stamps `updated_at` (and `updated_by`).
#[derive(Debug, Default)]
pub(crate) struct Changes {
    sets: Vec<String>,
    params: Vec<Value>,
    /// The API names of the changed fields, in order (for the audit log).
    pub(crate) fields: Vec<&'static str>,
}

impl Changes {
    /// Records `field`, stored in `column`, when the new value differs from the stored one.
    pub(crate) fn set_if(&mut self, differs: bool, field: &'static str, column: &str, value: impl Into<Value>) {
        if differs {
            self.sets.push(format!("{column} = ?"));
            self.params.push(value.into());
            self.fields.push(field);
        }
    }

    /// Records a changed field that is kept outside the row (e.g. role links).
    pub(crate) fn touched(&mut self, field: &'static str) {
        self.fields.push(field);
    }

    /// Whether nothing changed (then nothing is written and the version stays).
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Writes the row `id` of `table`; `updated_by` only for tables that record it.
    pub(crate) fn write(
        self,
        db: &dyn Db,
        table: &str,
        id: i64,
        updated_by: Option<i64>,
    ) -> Result<(), crate::db::DbError> {
        self.write_keyed(db, table, &[("id", id.into())], updated_by)
    }

    /// Writes the row of `table` whose `key` columns hold the given values (for tables keyed by
    /// text, such as dictionary entries).
    pub(crate) fn write_keyed(
        mut self,
        db: &dyn Db,
        table: &str,
        key: &[(&str, Value)],
        updated_by: Option<i64>,
    ) -> Result<(), crate::db::DbError> {
        self.sets.push("version = version + 1".into());
        self.sets.push("updated_at = ?".into());
        self.params.push(crate::clock::now().into());
        if let Some(user) = updated_by {
            self.sets.push("updated_by = ?".into());
            self.params.push(user.into());
        }
        let mut clauses = Vec::with_capacity(key.len());
        for (column, value) in key {
            clauses.push(format!("{column} = ?"));
            self.params.push(value.clone());
        }
        db.execute(
            &format!(
                "UPDATE {table} SET {} WHERE {}",
                self.sets.join(", "),
                clauses.join(" AND ")
            ),
            &self.params,
        )
    }
}

/// 412 unless `if_match` is absent or equals the stored `version`.
pub(crate) fn check_version(version: i64, if_match: Option<i64>) -> Result<(), CoreError> {
    match if_match {
        Some(expected) if expected != version => Err(CoreError::Stale),
        _ => Ok(()),
    }
}

/// Appends the audit row of a change made by `caller`.
pub(crate) fn audit(
    db: &dyn Db,
    caller: &Caller,
    action: &str,
    target: (&str, i64),
    details: Json,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    crate::audit::record(
        db,
        &AuditEvent {
            actor: Some(caller.user_id),
            action,
            target: Some(target),
            details,
        },
        client,
    )
}
