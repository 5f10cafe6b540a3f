//! The auth endpoints' logic: first-run setup, login and `me`. Each write is one transaction
//! that also writes its audit events; slow argon2 work happens outside it, so the write lock is
//! never held while hashing.

use serde::Deserialize;

use super::{IssuedToken, Session, check_password, hash_password, normalize_email, verify_password};
use super::{password, session, throttle, token};
use crate::acl::Caller;
use crate::audit::{self, AuditEvent, ClientInfo};
use crate::clock;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::kv::Kv;

/// Longest user name, in characters.
const NAME_MAX: usize = 200;

/// `POST /api/auth/setup`: the first administrator.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The administrator's email (the login).
    pub email: String,
    /// The administrator's password (checked by [`check_password`]).
    pub password: String,
    /// The administrator's display name.
    pub name: String,
}

impl std::fmt::Debug for SetupRequest {
    /// Everything but the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

/// `POST /api/auth/login`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email.
    pub email: String,
    /// The account's password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    /// Everything but the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Creates the first user, an administrator, with an API token named "setup", in one
/// transaction (audited as `setup` and `token.created`). Once any user exists this is
/// [`CoreError::Conflict`]; invalid fields are one [`CoreError::Validation`] naming them all.
pub fn setup(db: &dyn Db, req: &SetupRequest, client: &ClientInfo) -> Result<IssuedToken, CoreError> {
    let done = || CoreError::Conflict("setup is already done".into());
    if any_user(db)? {
        return Err(done());
    }
    let mut errors = FieldErrors::new();
    let email = normalize_email(&req.email)
        .map_err(|(code, message)| errors.push("email", code, message))
        .ok();
    if let Err((code, message)) = check_password(&req.password, &req.email) {
        errors.push("password", code, message);
    }
    let name = req.name.trim();
    if name.is_empty() {
        errors.push("name", "required", "must not be empty");
    } else if name.chars().count() > NAME_MAX {
        errors.push("name", "too_long", format!("must be at most {NAME_MAX} characters"));
    }
    errors.into_result()?;
    let email = email.ok_or_else(|| CoreError::Internal("a valid email was lost".into()))?;
    let hash = hash_password(&req.password)?;

    transaction(db, |db| {
        if any_user(db)? {
            return Err(done());
        }
        let now = clock::now();
        db.execute(
            "INSERT INTO users (email, name, password_hash, active, language, time_zone, created_at, updated_at) \
             VALUES (?, ?, ?, 1, 'en', 'UTC', ?, ?)",
            &[email.as_str().into(), name.into(), hash.into(), now.into(), now.into()],
        )?;
        let user_id = db.last_insert_id()?;
        let role = db
            .query("SELECT id FROM roles WHERE code = 'administrator'", &[])?
            .first_i64()
            .ok_or_else(|| CoreError::Internal("the administrator role is missing".into()))?;
        db.execute(
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
            &[user_id.into(), role.into()],
        )?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(user_id),
                action: "setup",
                target: Some(("user", user_id)),
                details: serde_json::json!({ "email": email }),
            },
            client,
        )?;
        token::issue(db, user_id, "setup", client)
    })
}

/// Whether the first administrator is still to be created (`GET /api/auth/setup`); says
/// nothing else about the users.
pub fn setup_needed(db: &dyn Db) -> Result<bool, CoreError> {
    Ok(!any_user(db)?)
}

/// Whether any user exists.
fn any_user(db: &dyn Db) -> Result<bool, CoreError> {
    Ok(db.query("SELECT EXISTS (SELECT 1 FROM users) AS any", &[])?.first_i64() == Some(1))
}

/// Checks the credentials and starts a session.
///
/// Throttled first ([`CoreError::TooManyRequests`], see `throttle`: the attempt is counted as a
/// failure before verifying, atomically with the check). An unknown email, a wrong password or
/// an inactive user all cost one argon2 verification, stay counted, are audited as `login.failed` with the reason (never the password) and answer
/// [`CoreError::Unauthorized`]. Success forgets the account's failures and is audited as
/// `login.ok`.
pub fn login(db: &dyn Db, kv: &dyn Kv, req: &LoginRequest, client: &ClientInfo) -> Result<Session, CoreError> {
    // An invalid email names no account; it still costs a verification and counts per IP.
    let account = normalize_email(&req.email).ok();
    let reserved = throttle::reserve(db, account.as_deref(), client)?;

    let rows = match &account {
        Some(email) => db.query(
            "SELECT id, password_hash, active, credentials_epoch FROM users WHERE email = ?",
            &[email.as_str().into()],
        )?,
        None => Default::default(),
    };
    let user = rows.first().map(|r| {
        (
            r.i64("id").unwrap_or_default(),
            r.str("password_hash").unwrap_or_default(),
            r.i64("active") == Some(1),
            r.i64("credentials_epoch").unwrap_or_default(),
        )
    });
    let failure = match user {
        None => {
            password::verify_dummy(&req.password);
            Some((None, "unknown_email"))
        }
        Some((id, hash, active, _)) => {
            if !verify_password(&req.password, hash) {
                Some((Some(id), "wrong_password"))
            } else if !active {
                Some((Some(id), "inactive"))
            } else {
                None
            }
        }
    };

    if let Some((user_id, reason)) = failure {
        transaction(db, |db| {
            // The email is logged only when it names an account: a mistyped "email" may be a password.
            let details = match user_id {
                Some(_) => serde_json::json!({ "reason": reason, "email": account }),
                None => serde_json::json!({ "reason": reason }),
            };
            audit::record(
                db,
                &AuditEvent {
                    actor: None,
                    action: "login.failed",
                    target: user_id.map(|id| ("user", id)),
                    details,
                },
                client,
            )
        })?;
        return Err(CoreError::Unauthorized);
    }

    let (user_id, epoch) = user.map(|(id, _, _, epoch)| (id, epoch)).unwrap_or_default();
    transaction(db, |db| {
        throttle::forget(db, &reserved)?;
        throttle::clear_account(db, account.as_deref().unwrap_or_default())?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(user_id),
                action: "login.ok",
                target: Some(("user", user_id)),
                details: serde_json::Value::Null,
            },
            client,
        )
    })?;
    session::create(kv, user_id, epoch)
}

/// The caller's own user record with role codes and effective permissions (never the
/// password hash).
pub fn me(db: &dyn Db, caller: &Caller) -> Result<serde_json::Value, CoreError> {
    let rows = db.query(
        "SELECT id, email, name, active, department_id, position, language, time_zone, created_at, updated_at \
         FROM users WHERE id = ?",
        &[caller.user_id.into()],
    )?;
    let user = rows.first().ok_or(CoreError::Unauthorized)?;
    Ok(serde_json::json!({
        "id": user.i64("id"),
        "email": user.str("email"),
        "name": user.str("name"),
        "active": user.i64("active") == Some(1),
        "department_id": user.i64("department_id"),
        "position": user.str("position"),
        "language": user.str("language"),
        "time_zone": user.str("time_zone"),
        "roles": caller.roles,
        "permissions": caller.permissions.to_value(),
        "created_at": clock::rfc3339(user.i64("created_at").unwrap_or_default()),
        "updated_at": clock::rfc3339(user.i64("updated_at").unwrap_or_default()),
    }))
}
