//! A signed-in person changing their own password (`POST /api/me/password`): the current
//! password proves it is them (a stolen session alone cannot take the account over), throttled
//! like logins; the new one meets the password policy. The change ends every session the
//! person had (the credentials epoch moves on) and starts a fresh one for the browser that
//! made it; API tokens are separate credentials and stay (the person revokes them).

use serde::Deserialize;

use super::{Session, check_password, hash_password, session, throttle, verify_password};
use crate::acl::Caller;
use crate::audit::{self, AuditEvent, ClientInfo};
use crate::clock;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::kv::Kv;

/// `POST /api/me/password`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password the account has now.
    pub current_password: String,
    /// The new password (checked by [`check_password`]).
    pub password: String,
}

impl std::fmt::Debug for PasswordChange {
    /// No passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { <redacted> }")
    }
}

/// Changes the caller's password and answers the new session. A wrong current password is 422
/// on `current_password` (not 401: the session itself is fine) and counts as a failed login;
/// a new password the policy refuses, or the same as the current one, is 422 on `password`.
/// Audited as `user.password_changed`.
pub fn change_password(
    db: &dyn Db,
    kv: &dyn Kv,
    caller: &Caller,
    req: &PasswordChange,
    client: &ClientInfo,
) -> Result<Session, CoreError> {
    let rows = db.query(
        "SELECT email, password_hash FROM users WHERE id = ?",
        &[caller.user_id.into()],
    )?;
    let user = rows.first().ok_or(CoreError::Unauthorized)?;
    let email = user.str("email").unwrap_or_default().to_string();
    let hash = user.str("password_hash").unwrap_or_default().to_string();

    let reserved = throttle::reserve(db, Some(&email), client)?;
    let mut errors = FieldErrors::new();
    if !verify_password(&req.current_password, &hash) {
        errors.push("current_password", "wrong_password", "is not your current password");
        return Err(CoreError::Validation(errors));
    }
    if let Err((code, message)) = check_password(&req.password, &email) {
        errors.push("password", code, message);
    } else if req.password == req.current_password {
        errors.push("password", "unchanged", "must differ from the current password");
    }
    if !errors.is_empty() {
        transaction(db, |db| throttle::forget(db, &reserved))?;
        return Err(CoreError::Validation(errors));
    }
    let new_hash = hash_password(&req.password)?;

    let epoch = transaction(db, |db| {
        throttle::forget(db, &reserved)?;
        db.execute(
            "UPDATE users SET password_hash = ?, credentials_epoch = credentials_epoch + 1, \
             version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            &[
                new_hash.into(),
                clock::now().into(),
                caller.user_id.into(),
                caller.user_id.into(),
            ],
        )?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "user.password_changed",
                target: Some(("user", caller.user_id)),
                details: serde_json::Value::Null,
            },
            client,
        )?;
        db.query(
            "SELECT credentials_epoch FROM users WHERE id = ?",
            &[caller.user_id.into()],
        )?
        .first_i64()
        .ok_or(CoreError::Unauthorized)
    })?;
    session::create(kv, caller.user_id, epoch)
}
