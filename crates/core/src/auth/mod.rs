//! Authentication: who is calling. Bearer API tokens for scripts and integrations, session
//! cookies with a CSRF token for the UI, first-run setup, login with throttling, and the
//! password and email rules shared with user administration.
//!
//! Components call [`authenticate`] with what the request carried and get a [`Caller`] (the
//! ACL's view of the user) or a 401/403. Secrets are never stored as given: passwords as
//! argon2id PHC strings, token secrets, session ids and CSRF tokens as SHA-256 hashes, compared
//! in constant time. Nothing lives in guest memory between requests: tokens, failures and the
//! audit trail are in SQLite, sessions in the key-value store. See `/api/auth/...` in the API
//! conventions for the HTTP side.

mod email;
mod password;
mod password_change;
mod service;
mod session;
mod throttle;
mod token;

pub use email::normalize_email;
pub use password::{check_password, hash_password, verify_password};
pub use password_change::{PasswordChange, change_password};
pub use service::{LoginRequest, SetupRequest, login, me, setup, setup_needed};
pub use session::{SESSION_TTL, Session, logout};
pub use token::{IssuedToken, TokenInfo, create_token, list_tokens, revoke_token};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;
use crate::kv::Kv;

/// What a request carried to prove who sent it.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// The token of an `Authorization: Bearer <token>` header.
    pub bearer: Option<&'a str>,
    /// The session cookie's value.
    pub session: Option<&'a str>,
    /// The `X-CSRF-Token` header.
    pub csrf: Option<&'a str>,
    /// Whether the method changes state (anything but GET, HEAD, OPTIONS): a session then
    /// needs the CSRF token.
    pub unsafe_method: bool,
}

impl std::fmt::Debug for Credentials<'_> {
    /// Which credentials are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("bearer", &self.bearer.map(|_| "<redacted>"))
            .field("session", &self.session.map(|_| "<redacted>"))
            .field("csrf", &self.csrf.map(|_| "<redacted>"))
            .field("unsafe_method", &self.unsafe_method)
            .finish()
    }
}

/// The caller behind `creds`. A Bearer token, when present, wins and needs no CSRF token;
/// otherwise the session cookie is used. No, bad, expired or revoked credentials, or an
/// inactive user, are [`CoreError::Unauthorized`]; a session used for an unsafe method without
/// the matching CSRF token is [`CoreError::Forbidden`].
pub fn authenticate(db: &dyn Db, kv: &dyn Kv, creds: &Credentials) -> Result<Caller, CoreError> {
    match (creds.bearer, creds.session) {
        (Some(bearer), _) => token::authenticate(db, bearer),
        (None, Some(session_id)) => session::authenticate(db, kv, session_id, creds.csrf, creds.unsafe_method),
        (None, None) => Err(CoreError::Unauthorized),
    }
}

/// Ends every credential user `user_id` holds, in the caller's transaction (deactivation): their
/// API tokens are revoked, their calendar feed and REST webhooks are dropped and their credentials epoch moves on,
/// so sessions minted before stay dead even if the user is reactivated later.
pub(crate) fn end_credentials(db: &dyn Db, user_id: i64) -> Result<(), CoreError> {
    db.execute(
        "UPDATE users SET credentials_epoch = credentials_epoch + 1 WHERE id = ?",
        &[user_id.into()],
    )?;
    db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        &[crate::clock::now().into(), user_id.into()],
    )?;
    db.execute("DELETE FROM calendar_feeds WHERE user_id = ?", &[user_id.into()])?;
    db.execute("DELETE FROM rest_hooks WHERE user_id = ?", &[user_id.into()])?;
    Ok(())
}

/// 32 random bytes, base64url without padding (43 characters).
pub(crate) fn random_secret() -> Result<String, CoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// `<prefix><id>_<secret>` (API tokens, calendar feed tokens) split into its id and secret,
/// strictly in the form the app issues: the id in canonical decimal (no sign, no leading zero,
/// so `crm_02_...` is not `crm_2_...`) and a 43-character base64url secret
/// ([`random_secret`]).
pub(crate) fn split_token<'a>(token: &'a str, prefix: &str) -> Option<(i64, &'a str)> {
    let (id, secret) = token.strip_prefix(prefix)?.split_once('_')?;
    let canonical_id =
        !id.is_empty() && id.len() <= 18 && !id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit());
    let canonical_secret = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !canonical_id || !canonical_secret {
        return None;
    }
    Some((id.parse().ok()?, secret))
}

/// Lowercase hex SHA-256 of `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Constant-time equality of two hashes (of equal length; unequal lengths never match), for
/// every secret the app stores hashed (API tokens, calendar feed tokens).
pub(crate) fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_url_safe_characters_and_differ() {
        let a = random_secret().expect("random");
        let b = random_secret().expect("random");
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{a}"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_match_only_when_equal() {
        let h = sha256_hex("x");
        assert_eq!(h.len(), 64);
        assert!(hashes_match(&h, &sha256_hex("x")));
        assert!(!hashes_match(&h, &sha256_hex("y")));
        assert!(!hashes_match(&h, ""));
    }

    #[test]
    fn credentials_never_print_their_values() {
        let creds = Credentials {
            bearer: Some("crm_1_secret"),
            session: Some("cookie"),
            csrf: Some("csrf"),
            unsafe_method: true,
        };
        let printed = format!("{creds:?}");
        assert!(
            !printed.contains("secret") && !printed.contains("cookie") && !printed.contains("\"csrf\""),
            "{printed}"
        );
    }
}
