//! Browser sessions, kept in the key-value store (an instance lives for one request, so
//! nothing can be kept in memory).
//!
//! The cookie holds a random session id; the store holds, under `session:<hex SHA-256 of the
//! id>`, the JSON `{"user_id", "csrf_hash", "expires_at"}`, so the store's contents alone do not
//! let anyone log in. Unsafe requests made with the cookie must echo the CSRF token issued at
//! login (`X-CSRF-Token`); it is compared by hash, in constant time.

use serde::{Deserialize, Serialize};

use super::{hashes_match, random_secret, sha256_hex};
use crate::acl::Caller;
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::kv::Kv;

/// How long a session lasts from login, in seconds (12 hours).
pub const SESSION_TTL: u64 = 12 * 60 * 60;

/// A session just created at login: what the component puts into the cookie and the body.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The raw session id, the cookie's value.
    pub id: String,
    /// The CSRF token the client must send as `X-CSRF-Token` on unsafe requests.
    pub csrf_token: String,
    /// The cookie's `Max-Age`, in seconds.
    pub max_age: u64,
    /// Whose session it is.
    pub user_id: i64,
}

impl std::fmt::Debug for Session {
    /// Everything but the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &"<redacted>")
            .field("csrf_token", &"<redacted>")
            .field("max_age", &self.max_age)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// What the store keeps for one session.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    user_id: i64,
    csrf_hash: String,
    expires_at: i64,
    /// The user's credentials epoch at login (sessions from before this field are epoch 0).
    #[serde(default)]
    epoch: i64,
}

/// Ends the session `session_id` (nothing happens if there is none).
pub fn logout(kv: &dyn Kv, session_id: &str) -> Result<(), CoreError> {
    kv.delete(&key(session_id))?;
    Ok(())
}

/// The store key of a raw session id.
fn key(session_id: &str) -> String {
    format!("session:{}", sha256_hex(session_id))
}

/// Starts a session for `user_id`, whose credentials epoch is now `epoch`.
pub(crate) fn create(kv: &dyn Kv, user_id: i64, epoch: i64) -> Result<Session, CoreError> {
    let id = random_secret()?;
    let csrf_token = random_secret()?;
    let stored = Stored {
        user_id,
        csrf_hash: sha256_hex(&csrf_token),
        expires_at: clock::now().saturating_add(SESSION_TTL as i64),
        epoch,
    };
    let json = serde_json::to_vec(&stored).map_err(|e| CoreError::Internal(format!("session json: {e}")))?;
    kv.set(&key(&id), &json)?;
    Ok(Session {
        id,
        csrf_token,
        max_age: SESSION_TTL,
        user_id,
    })
}

/// The caller of a session cookie. A missing, unreadable or expired session (expired and
/// unreadable ones are deleted), an inactive user, or a session minted before the user was last
/// deactivated is [`CoreError::Unauthorized`]; an unsafe
/// request without the matching CSRF token is [`CoreError::Forbidden`].
pub(crate) fn authenticate(
    db: &dyn Db,
    kv: &dyn Kv,
    session_id: &str,
    csrf: Option<&str>,
    unsafe_method: bool,
) -> Result<Caller, CoreError> {
    let key = key(session_id);
    let Some(bytes) = kv.get(&key)? else {
        return Err(CoreError::Unauthorized);
    };
    let stored = match serde_json::from_slice::<Stored>(&bytes) {
        Ok(stored) if stored.expires_at > clock::now() => stored,
        _ => {
            kv.delete(&key)?;
            return Err(CoreError::Unauthorized);
        }
    };
    let caller = Caller::load(db, stored.user_id)?;
    if caller.credentials_epoch != stored.epoch {
        // Minted before the user was deactivated: dead for good, even after reactivation.
        kv.delete(&key)?;
        return Err(CoreError::Unauthorized);
    }
    if unsafe_method && !csrf.is_some_and(|token| hashes_match(&sha256_hex(token), &stored.csrf_hash)) {
        return Err(CoreError::Forbidden);
    }
    Ok(caller)
}
