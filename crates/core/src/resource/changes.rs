//! Writing what a merge-patch changed: [`Changes`] collects the columns whose new value
//! differs from the stored one and writes them as ONE `UPDATE` that bumps `version` and
//! stamps `updated_at` (as far as the table keeps [`Stamps`]); [`check_version`] is the
//! `If-Match` rule (412 on a stale version) and [`audit`] appends the audit row of a settings
//! change, in the same transaction.

use serde_json::Value as Json;

use crate::acl::Caller;
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, Value};
use crate::error::CoreError;

/// Which bookkeeping columns a table has: each write bumps `version` and stamps `updated_at`
/// (and `updated_by`); each insert sets them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamps {
    /// None: rows that belong to another resource (pipeline stages), whose writes touch it.
    None,
    /// `version`, `created_at`, `updated_at`.
    Times,
    /// Those and `created_by`, `updated_by`.
    TimesAndUsers,
}

impl Stamps {
    /// The columns and values an insert by `user` adds.
    pub(crate) fn on_insert(self, user: i64) -> Vec<(&'static str, Value)> {
        let now = crate::clock::now();
        match self {
            Stamps::None => Vec::new(),
            Stamps::Times => vec![
                ("version", 1.into()),
                ("created_at", now.into()),
                ("updated_at", now.into()),
            ],
            Stamps::TimesAndUsers => vec![
                ("version", 1.into()),
                ("created_at", now.into()),
                ("updated_at", now.into()),
                ("created_by", user.into()),
                ("updated_by", user.into()),
            ],
        }
    }
}

/// The columns a merge-patch really changes, collected field by field, then written as one
/// `UPDATE` that also bumps `version` and stamps `updated_at` (and `updated_by`).
#[derive(Debug, Default)]
pub struct Changes {
    sets: Vec<String>,
    params: Vec<Value>,
    /// The API names of the changed fields, in order (for the audit log).
    pub(crate) fields: Vec<String>,
}

impl Changes {
    /// Records `field`, stored in `column`, when the new value differs from the stored one.
    pub fn set_if(&mut self, differs: bool, field: impl Into<String>, column: &str, value: impl Into<Value>) {
        if differs {
            self.sets.push(format!("{column} = ?"));
            self.params.push(value.into());
            self.fields.push(field.into());
        }
    }

    /// Records a changed field that is kept outside the row (e.g. role links).
    pub fn touched(&mut self, field: impl Into<String>) {
        self.fields.push(field.into());
    }

    /// Whether nothing changed (then nothing is written and the version stays).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Writes the row of `table` whose `key` columns hold the given values, with the `stamps`
    /// of a change by `user`. With no stamps and no changed column nothing is written.
    pub(crate) fn write(
        mut self,
        db: &dyn Db,
        table: &str,
        key: &[(&str, Value)],
        stamps: Stamps,
        user: i64,
    ) -> Result<(), crate::db::DbError> {
        if stamps != Stamps::None {
            self.sets.push("version = version + 1".into());
            self.sets.push("updated_at = ?".into());
            self.params.push(crate::clock::now().into());
        }
        if stamps == Stamps::TimesAndUsers {
            self.sets.push("updated_by = ?".into());
            self.params.push(user.into());
        }
        if self.sets.is_empty() {
            return Ok(());
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
