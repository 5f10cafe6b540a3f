//! Inbound-webhook tokens: `/api/rest-hooks` (name, scopes, the token shown once, stored
//! hashed) and their check for `/rest/<user_id>/<token>/...` (issue 19, transport helper).
//!
//! A hook belongs to the user who made it and acts with that user's rights (any signed-in
//! user may make hooks for themself; an administrator with `settings` sees and revokes
//! everyone's). Its token is 24 random lowercase letters and digits, like a Bitrix24 webhook
//! code; only its SHA-256 is kept. A request's hook and its caller are ONE statement
//! ([`authenticate`]): the row found by (user, hash), the hash compared again in constant
//! time, the user active, the schema checked as every caller's statement checks it.

use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity, Level};
use crate::audit::{self, AuditEvent, ClientInfo};
use crate::auth::{hashes_match, sha256_hex};
use crate::clock;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};

/// The scopes a hook may be given; methods of scope `""` (`methods`, `scope`, `batch`) need none.
pub const SCOPES: &[&str] = &["crm", "user"];
/// Length of a token.
const TOKEN_LEN: usize = 24;
/// Longest hook name, in characters.
const NAME_MAX: usize = 100;

/// A hook as listed: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hook {
    /// The hook's id.
    pub id: i64,
    /// The user it acts as.
    pub user_id: i64,
    /// That user's name.
    pub user_name: String,
    /// What its maker called it.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339), if ever.
    pub last_used_at: Option<String>,
}

/// A hook just made: the only time its token is shown.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IssuedHook {
    /// The hook.
    #[serde(flatten)]
    pub hook: Hook,
    /// The token.
    pub token: String,
    /// The URL path to call methods under: `/rest/<user_id>/<token>/`.
    pub path: String,
}

impl std::fmt::Debug for IssuedHook {
    /// Everything but the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedHook")
            .field("hook", &self.hook)
            .finish_non_exhaustive()
    }
}

/// Whom a request's hook lets in: its id, its scopes, the caller, their time zone.
#[derive(Debug, Clone)]
pub struct Authorized {
    /// The hook's id (the rate limit's bucket).
    pub hook_id: i64,
    /// The hook's scopes.
    pub scopes: Vec<String>,
    /// The hook's user.
    pub caller: Caller,
    /// The firm's time zone (IANA name), for the envelope's dates: the zone every method
    /// writes its dates in.
    pub time_zone: Option<String>,
}

impl Authorized {
    /// Whether the hook may call a method of `scope` (`""`: any hook may).
    pub fn allows(&self, scope: &str) -> bool {
        scope.is_empty() || self.scopes.iter().any(|s| s == scope)
    }
}

/// The columns of a hook joined with its user `u`.
const HOOK_COLUMNS: &str = "h.id, h.user_id, u.name AS user_name, h.name, h.scopes, h.created_at, h.last_used_at";

fn hook_of(row: &crate::db::Row<'_>) -> Hook {
    Hook {
        id: row.i64("id").unwrap_or_default(),
        user_id: row.i64("user_id").unwrap_or_default(),
        user_name: row.str("user_name").unwrap_or_default().to_owned(),
        name: row.str("name").unwrap_or_default().to_owned(),
        scopes: split_scopes(row.str("scopes").unwrap_or_default()),
        created_at: clock::rfc3339(row.i64("created_at").unwrap_or_default()),
        last_used_at: row.i64("last_used_at").map(clock::rfc3339),
    }
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Whether the caller manages everyone's hooks (an administrator with `settings`).
fn sees_all(caller: &Caller) -> bool {
    caller.level(Entity::Settings, Action::Update) != Level::None
}

/// The hooks the caller may see: their own, or everyone's for an administrator; oldest first.
pub fn list(db: &dyn Db, caller: &Caller) -> Result<Vec<Hook>, CoreError> {
    let all = sees_all(caller);
    let rows = db.query(
        &format!(
            "SELECT {HOOK_COLUMNS} FROM rest_hooks h JOIN users u ON u.id = h.user_id \
             WHERE ? OR h.user_id = ? ORDER BY h.id"
        ),
        &[i64::from(all).into(), caller.user_id.into()],
    )?;
    Ok(rows.iter().map(|row| hook_of(&row)).collect())
}

/// Makes a hook for the caller from `{name, scopes}` (`scopes` a list or a comma list of
/// [`SCOPES`]); audited as `rest_hook.created`. Bad fields are a 422 naming each.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<IssuedHook, CoreError> {
    let mut errors = FieldErrors::new();
    let name = checked_name(body.get("name"), &mut errors);
    let scopes = checked_scopes(body.get("scopes"), &mut errors);
    errors.into_result()?;
    let token = random_token()?;
    let hook = transaction(db, |db| {
        let rows = db.query(
            "INSERT INTO rest_hooks (user_id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            &[
                caller.user_id.into(),
                name.as_str().into(),
                sha256_hex(&token).into(),
                scopes.join(",").into(),
                clock::now().into(),
            ],
        )?;
        let id = rows
            .first()
            .and_then(|r| r.i64("id"))
            .ok_or(CoreError::Internal("no hook id".into()))?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "rest_hook.created",
                target: Some(("rest_hook", id)),
                details: json!({ "name": name, "scopes": scopes }),
            },
            client,
        )?;
        load(db, caller, id)
    })?;
    Ok(IssuedHook {
        path: format!("/rest/{}/{token}/", hook.user_id),
        hook,
        token,
    })
}

/// Renames a hook (`{name}`); audited as `rest_hook.renamed`.
pub fn rename(db: &dyn Db, caller: &Caller, id: i64, body: &Json, client: &ClientInfo) -> Result<Hook, CoreError> {
    let mut errors = FieldErrors::new();
    let name = checked_name(body.get("name"), &mut errors);
    errors.into_result()?;
    transaction(db, |db| {
        let before = load(db, caller, id)?;
        if before.name == name {
            return Ok(before);
        }
        db.execute(
            "UPDATE rest_hooks SET name = ? WHERE id = ?",
            &[name.as_str().into(), id.into()],
        )?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "rest_hook.renamed",
                target: Some(("rest_hook", id)),
                details: json!({ "from": before.name, "to": name }),
            },
            client,
        )?;
        load(db, caller, id)
    })
}

/// Revokes (deletes) a hook: its token stops working at once; audited as `rest_hook.revoked`.
pub fn revoke(db: &dyn Db, caller: &Caller, id: i64, client: &ClientInfo) -> Result<(), CoreError> {
    transaction(db, |db| {
        let hook = load(db, caller, id)?;
        db.execute("DELETE FROM rest_hooks WHERE id = ?", &[id.into()])?;
        audit::record(
            db,
            &AuditEvent {
                actor: Some(caller.user_id),
                action: "rest_hook.revoked",
                target: Some(("rest_hook", id)),
                details: json!({ "name": hook.name, "user_id": hook.user_id }),
            },
            client,
        )
    })
}

/// One hook the caller may see, or [`CoreError::NotFound`].
fn load(db: &dyn Db, caller: &Caller, id: i64) -> Result<Hook, CoreError> {
    let rows = db.query(
        &format!(
            "SELECT {HOOK_COLUMNS} FROM rest_hooks h JOIN users u ON u.id = h.user_id \
             WHERE h.id = ? AND (? OR h.user_id = ?)"
        ),
        &[id.into(), i64::from(sees_all(caller)).into(), caller.user_id.into()],
    )?;
    rows.first().map(|row| hook_of(&row)).ok_or(CoreError::NotFound)
}

fn checked_name(value: Option<&Json>, errors: &mut FieldErrors) -> String {
    let name = value.and_then(Json::as_str).unwrap_or_default().trim();
    match value {
        Some(Json::String(_)) | None | Some(Json::Null) => {}
        Some(_) => errors.push("name", "invalid", "must be text"),
    }
    if name.is_empty() {
        errors.push("name", "required", "must not be empty");
    } else if name.chars().count() > NAME_MAX {
        errors.push("name", "too_long", format!("must be at most {NAME_MAX} characters"));
    }
    name.to_owned()
}

fn checked_scopes(value: Option<&Json>, errors: &mut FieldErrors) -> Vec<String> {
    let given: Vec<String> = match value {
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| item.as_str().unwrap_or("\u{0}").trim().to_ascii_lowercase())
            .collect(),
        Some(Json::String(text)) => text
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        None | Some(Json::Null) => Vec::new(),
        Some(_) => {
            errors.push("scopes", "invalid", "must be a list of scopes");
            return Vec::new();
        }
    };
    let mut scopes = Vec::new();
    for scope in given {
        if !SCOPES.contains(&scope.as_str()) {
            errors.push(
                "scopes",
                "unknown_scope",
                format!("{scope:?} is not one of {}", SCOPES.join(", ")),
            );
        } else if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() && !errors.iter().any(|e| e.field == "scopes") {
        errors.push(
            "scopes",
            "required",
            format!("name at least one of {}", SCOPES.join(", ")),
        );
    }
    scopes.sort_unstable();
    scopes
}

/// 24 random lowercase letters and digits.
fn random_token() -> Result<String, CoreError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = String::with_capacity(TOKEN_LEN);
    while token.len() < TOKEN_LEN {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
        // 252 = 7 * 36: bytes above it would favour the first letters.
        for byte in bytes.into_iter().filter(|b| *b < 252) {
            if token.len() < TOKEN_LEN {
                token.push(char::from(ALPHABET[usize::from(byte % 36)]));
            }
        }
    }
    Ok(token)
}

/// Whether `token` has the form this app issues (so a malformed one costs no statement).
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The hook and caller of `/rest/<user_id>/<token>/`, in one statement: anything malformed,
/// unknown, or of an inactive user is [`CoreError::Unauthorized`]; a database not on this
/// build's schema is [`CoreError::Unavailable`] (migrate, then ask again).
pub fn authenticate(db: &dyn Db, user_id: &str, token: &str) -> Result<Authorized, CoreError> {
    let user_id: i64 = match user_id.parse() {
        Ok(id) if id > 0 && !user_id.starts_with(['0', '+']) => id,
        _ => return Err(CoreError::Unauthorized),
    };
    if !well_formed(token) {
        return Err(CoreError::Unauthorized);
    }
    let hash = sha256_hex(token);
    let rows = db.query(
        &format!(
            "SELECT h.id AS hook_id, h.token_hash, h.scopes, \
             (SELECT value FROM app_settings WHERE key = 'time_zone') AS time_zone, {} \
             FROM users u LEFT JOIN rest_hooks h ON h.user_id = u.id AND h.token_hash = ? WHERE u.id = ?",
            crate::acl::CALLER_COLUMNS
        ),
        &[hash.as_str().into(), user_id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::Unauthorized)?;
    // The caller first: it checks the schema, so an old database migrates even for a bad token.
    let caller = Caller::from_row(db, &row, user_id)?;
    let (Some(hook_id), Some(stored)) = (row.i64("hook_id"), row.str("token_hash")) else {
        return Err(CoreError::Unauthorized);
    };
    if !hashes_match(&hash, stored) {
        return Err(CoreError::Unauthorized);
    }
    Ok(Authorized {
        hook_id,
        scopes: split_scopes(row.str("scopes").unwrap_or_default()),
        caller,
        time_zone: row.str("time_zone").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_24_lowercase_letters_and_digits() {
        let a = random_token().unwrap();
        assert!(well_formed(&a), "{a}");
        assert_ne!(a, random_token().unwrap());
        for bad in [
            "",
            "ABCDEFGHIJKLMNOPQRSTUVWX",
            "abc",
            "abcdefghijklmnopqrstuvw_",
            "abcdefghijklmnopqrstuvwxy",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn scopes_are_checked_and_named() {
        let check = |value: Json| {
            let mut errors = FieldErrors::new();
            let scopes = checked_scopes(Some(&value), &mut errors);
            (scopes, errors.iter().map(|e| e.code.clone()).collect::<Vec<_>>())
        };
        assert_eq!(
            check(json!(["user", "CRM", "crm"])),
            (vec!["crm".into(), "user".into()], vec![])
        );
        assert_eq!(check(json!("crm, user")), (vec!["crm".into(), "user".into()], vec![]));
        assert_eq!(check(json!(["tasks"])).1, vec!["unknown_scope"]);
        assert_eq!(check(json!([])).1, vec!["required"]);
        assert_eq!(check(json!(5)).1, vec!["invalid"]);
        assert_eq!(check(json!([1])).1, vec!["unknown_scope"]);
    }
}
