//! The audit log of auth and permission events (`audit_log`): who did what, to what, from
//! where and when. Written in the same transaction as the change it records.

use crate::db::{Db, Value};
use crate::error::CoreError;

/// Where a request came from, for the audit log and throttling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's IP address (from the runtime's `spin-client-addr`).
    pub ip: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

/// What is recorded (`action` codes are stable: `login.ok`, `login.failed`, `token.created`,
/// `token.revoked`, `user.created`, `user.updated`, `user.deactivated`, `role.created`,
/// `role.updated`, `role.deleted`, `department.created`, `department.updated`,
/// `department.deleted`, `setup`).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent<'a> {
    /// The user who acted (`None` for anonymous, e.g. a failed login).
    pub actor: Option<i64>,
    /// The action code.
    pub action: &'a str,
    /// The kind and id of what was acted on.
    pub target: Option<(&'a str, i64)>,
    /// Extra facts (never secrets).
    pub details: serde_json::Value,
}

/// Appends one event.
pub fn record(db: &dyn Db, event: &AuditEvent, client: &ClientInfo) -> Result<(), CoreError> {
    let (target_type, target_id) = match event.target {
        Some((kind, id)) => (Value::from(kind), Value::from(id)),
        None => (Value::Null, Value::Null),
    };
    let details = if event.details.is_null() {
        Value::Null
    } else {
        Value::from(event.details.to_string())
    };
    db.execute(
        "INSERT INTO audit_log (at, actor_user_id, action, target_type, target_id, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            crate::clock::now().into(),
            event.actor.map(Value::from).unwrap_or(Value::Null),
            event.action.into(),
            target_type,
            target_id,
            client.ip.clone().map(Value::from).unwrap_or(Value::Null),
            details,
        ],
    )?;
    Ok(())
}
