//! API tokens: `crm_<id>_<secret>` Bearer credentials for scripts and integrations.
//!
//! The secret is 32 random bytes (base64url); only its hex SHA-256 is stored in
//! `api_tokens.secret_hash`, so a leaked database yields no usable token. The id in front lets
//! a request find its row with one indexed read; the hashes are then compared in constant time.
//! A token works while it is not revoked and its user is active.

use serde::Serialize;

use super::{hashes_match, random_secret, sha256_hex};
use crate::acl::Caller;
use crate::audit::{self, AuditEvent, ClientInfo};
use crate::clock;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};

/// Prefix of every token, so that leaked tokens are easy to recognise (and to scan for).
const PREFIX: &str = "crm_";
/// Longest token name, in characters.
const NAME_MAX: usize = 100;

/// A token just issued: the only time its full value is shown.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The token's id (for listing and revoking).
    pub id: i64,
    /// What the owner called it.
    pub name: String,
    /// The Bearer value, `crm_<id>_<secret>`.
    pub token: String,
    /// When it was issued (RFC 3339).
    pub created_at: String,
}

impl std::fmt::Debug for IssuedToken {
    /// Everything but the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The token's id.
    pub id: i64,
    /// What the owner called it.
    pub name: String,
    /// When it was issued (RFC 3339).
    pub created_at: String,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
}

/// Issues a token named `name` for the caller; audited as `token.created`.
pub fn create_token(db: &dyn Db, caller: &Caller, name: &str, client: &ClientInfo) -> Result<IssuedToken, CoreError> {
    let name = valid_name(name)?;
    transaction(db, |db| issue(db, caller.user_id, &name, client))
}

/// The caller's tokens, oldest first, revoked ones included.
pub fn list_tokens(db: &dyn Db, caller: &Caller) -> Result<Vec<TokenInfo>, CoreError> {
    let rows = db.query(
        "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id",
        &[caller.user_id.into()],
    )?;
    Ok(rows
        .iter()
        .map(|r| TokenInfo {
            id: r.i64("id").unwrap_or_default(),
            name: r.str("name").unwrap_or_default().to_string(),
            created_at: clock::rfc3339(r.i64("created_at").unwrap_or_default()),
            revoked_at: r.i64("revoked_at").map(clock::rfc3339),
        })
        .collect())
}

/// Revokes one of the caller's tokens; audited as `token.revoked`. Someone else's token or an
/// unknown id is [`CoreError::NotFound`]; revoking a revoked token again changes nothing.
pub fn revoke_token(db: &dyn Db, caller: &Caller, id: i64, client: &ClientInfo) -> Result<(), CoreError> {
    transaction(db, |db| {
        let rows = db.query(
            "SELECT name, revoked_at FROM api_tokens WHERE id = ? AND user_id = ?",
            &[id.into(), caller.user_id.into()],
        )?;
        let Some(row) = rows.first() else {
            return Err(CoreError::NotFound);
        };
        if row.i64("revoked_at").is_some() {
            return Ok(());
        }
        db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
            &[clock::now().into(), id.into()],
        )?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "token.revoked",
                target: Some(("api_token", id)),
                details: serde_json::json!({ "name": row.str("name") }),
            },
            client,
        )
    })
}

/// The trimmed token name, or a 422 naming the field `name`.
pub(crate) fn valid_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    let mut errors = FieldErrors::new();
    if name.is_empty() {
        errors.push("name", "required", "must not be empty");
    } else if name.chars().count() > NAME_MAX {
        errors.push("name", "too_long", format!("must be at most {NAME_MAX} characters"));
    }
    errors.into_result().map(|()| name.to_string())
}

/// Inserts a token for `user_id` and audits it; the caller holds the transaction.
pub(crate) fn issue(db: &dyn Db, user_id: i64, name: &str, client: &ClientInfo) -> Result<IssuedToken, CoreError> {
    let secret = random_secret()?;
    let now = clock::now();
    db.execute(
        "INSERT INTO api_tokens (user_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)",
        &[user_id.into(), name.into(), sha256_hex(&secret).into(), now.into()],
    )?;
    let id = db.last_insert_id()?;
    audit::record(
        db,
        &AuditEvent {
            actor: Some(user_id),
            action: "token.created",
            target: Some(("api_token", id)),
            details: serde_json::json!({ "name": name }),
        },
        client,
    )?;
    Ok(IssuedToken {
        id,
        name: name.to_string(),
        token: format!("{PREFIX}{id}_{secret}"),
        created_at: clock::rfc3339(now),
    })
}

/// The caller a Bearer token stands for; anything malformed, unknown, revoked or belonging to an
/// inactive user is [`CoreError::Unauthorized`].
pub(crate) fn authenticate(db: &dyn Db, token: &str) -> Result<Caller, CoreError> {
    let (id, secret) = parse(token).ok_or(CoreError::Unauthorized)?;
    // The token and the caller it stands for in one statement.
    let rows = db.query(
        &format!(
            "SELECT t.user_id, t.secret_hash, t.revoked_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?",
            crate::acl::CALLER_COLUMNS
        ),
        &[id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::Unauthorized)?;
    let stored = row.str("secret_hash").unwrap_or_default();
    if !hashes_match(&sha256_hex(secret), stored) || row.i64("revoked_at").is_some() {
        return Err(CoreError::Unauthorized);
    }
    let user_id = row.i64("user_id").ok_or(CoreError::Unauthorized)?;
    Caller::from_row(db, &row, user_id)
}

/// `crm_<id>_<secret>` split into its id and secret ([`super::split_token`]).
fn parse(token: &str) -> Option<(i64, &str)> {
    super::split_token(token, PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_into_id_and_secret() {
        let secret = "abc_-def0123456789abcdefghijklmnopqrstuvwxy";
        assert_eq!(secret.len(), 43);
        assert_eq!(parse(&format!("crm_12_{secret}")), Some((12, secret)));
        let leading_zero = format!("crm_012_{secret}");
        let short = format!("crm_12_{}", &secret[1..]);
        let long = format!("crm_12_{secret}x");
        let padded = format!("crm_12_{}=", &secret[1..]);
        let plus = format!("crm_12_{}+", &secret[1..]);
        for token in [&leading_zero, &short, &long, &padded, &plus] {
            assert_eq!(parse(token), None, "{token:?}");
        }
        let malformed = [
            "",
            "crm_",
            "crm_12",
            "crm_12_",
            "crm__abc",
            "crm_+1_abc",
            "crm_-1_abc",
            "crm_x_abc",
            "xrm_1_abc",
            "crm_99999999999999999999_abc",
        ];
        for token in malformed {
            assert_eq!(parse(token), None, "{token:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(valid_name("  ci  "), Ok("ci".to_string()));
        for (name, code) in [("", "required"), ("   ", "required"), (&"я".repeat(101), "too_long")] {
            let Err(CoreError::Validation(errors)) = valid_name(name) else {
                panic!("{name:?} must be invalid");
            };
            let error = errors.iter().next().expect("one error");
            assert_eq!((error.field.as_str(), error.code.as_str()), ("name", code), "{name:?}");
        }
        assert!(valid_name(&"я".repeat(100)).is_ok());
    }
}
