//! Who is calling: credentials and client facts read from a Spin request, the session
//! cookie written back. The decisions themselves are `crm_core::auth`'s.
//!
//! Credentials are a Bearer token (`Authorization: Bearer crm_...`) or the `crm_session`
//! cookie; unsafe methods with the cookie must carry `X-CSRF-Token`.

use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::auth::Credentials;
use crm_core::{CoreError, Db, kv::Kv};
use spin_sdk::http::Request;

use crate::problem::ApiError;
use crate::{SpinDb, SpinKv};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crm_session";

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.header(name).and_then(|v| v.as_str())
}

/// The Bearer token of an `Authorization` header value, if that is what it holds.
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The value of cookie `name` in a `Cookie` header value.
pub fn cookie<'c>(cookie_header: Option<&'c str>, name: &str) -> Option<&'c str> {
    cookie_header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Whether `method` may change state (and so needs CSRF protection with a cookie).
pub fn is_unsafe_method(method: &str) -> bool {
    !matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD" | "OPTIONS")
}

/// The credentials a request carries.
pub fn credentials(request: &Request) -> Credentials<'_> {
    Credentials {
        bearer: bearer_token(header(request, "authorization")),
        session: cookie(header(request, "cookie"), SESSION_COOKIE),
        csrf: header(request, "x-csrf-token"),
        unsafe_method: is_unsafe_method(&request.method().to_string()),
    }
}

/// The client's address (from the runtime's `spin-client-addr`, port dropped) and agent.
pub fn client_info(request: &Request) -> ClientInfo {
    ClientInfo {
        ip: header(request, "spin-client-addr").map(strip_port),
        user_agent: header(request, "user-agent").map(|ua| ua.chars().take(300).collect()),
    }
}

fn strip_port(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.ends_with(':') => {
            host.trim_start_matches('[').trim_end_matches(']').to_string()
        }
        _ => addr.to_string(),
    }
}

/// Authenticates the request: 401 without working credentials, 403 on a CSRF failure.
pub fn authenticate(request: &Request, db: &dyn Db, kv: &dyn Kv) -> Result<Caller, ApiError> {
    Ok(crm_core::auth::authenticate(db, kv, &credentials(request))?)
}

/// The `default` database and the request's caller, the schema checked by the same statement
/// that loads the caller (`crm_core::migrate::accept_state`): a signed-in request pays no
/// statement of its own for the schema ([`SpinDb::open_checked`]).
pub fn open_signed_in(request: &Request) -> Result<(SpinDb, Caller), ApiError> {
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    SpinDb::open_checked(|db| authenticate(request, db, &kv))
}

/// Whether the app was reached over HTTPS (so cookies get `Secure`).
pub fn is_https(request: &Request) -> bool {
    header(request, "spin-full-url").is_some_and(|u| u.starts_with("https://"))
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(session_id: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_and_cookies_are_read_strictly() {
        assert_eq!(bearer_token(Some("Bearer crm_1_abc")), Some("crm_1_abc"));
        assert_eq!(bearer_token(Some("bearer   crm_1_abc ")), Some("crm_1_abc"));
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
        assert_eq!(cookie(Some("a=1; crm_session=xyz; b=2"), SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(Some("crm_sessionx=1"), SESSION_COOKIE), None);
        assert_eq!(cookie(Some("crm_session="), SESSION_COOKIE), None);
    }

    #[test]
    fn unsafe_methods_and_client_addresses() {
        assert!(is_unsafe_method("POST") && is_unsafe_method("delete") && is_unsafe_method("PATCH"));
        assert!(!is_unsafe_method("GET") && !is_unsafe_method("head"));
        assert_eq!(strip_port("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:5000"), "::1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn session_cookies_are_http_only_and_lax() {
        assert_eq!(
            session_cookie("s", 60, false),
            "crm_session=s; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert!(session_cookie("s", 60, true).ends_with("; Secure"));
        assert!(expired_session_cookie(false).contains("Max-Age=0"));
    }
}
