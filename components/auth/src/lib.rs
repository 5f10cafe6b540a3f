//! The `/api/auth` component and `/api/me`: the first administrator (`setup`), sessions for
//! the UI (`login`/`logout`, an `HttpOnly` cookie plus a CSRF token), API tokens for scripts
//! and integrations (created, listed, revoked; shown once), and who the caller is.
//!
//! The rules (hashing, throttling, session storage, token checks) are `crm_core::auth`'s;
//! this component only maps HTTP onto them (see API.md "Auth").

use crm_core::CoreError;
use crm_core::auth::{self, LoginRequest, SetupRequest};
use crm_spin_adapter::auth::{SESSION_COOKIE, authenticate, client_info, cookie, expired_session_cookie, is_https};
use crm_spin_adapter::crud::record_response;
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

/// `POST /api/auth/tokens` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

fn handle(request: &Request) -> Result<Response, ApiError> {
    let path = request.path().trim_end_matches('/');
    let method = request.method();
    let route = path.strip_prefix("/api/auth").unwrap_or(path);
    let db = SpinDb::open_migrated()?;
    let kv = || SpinKv::open_default().map_err(|e| ApiError::from(CoreError::from(e)));
    let client = client_info(request);
    match (route, method) {
        ("/setup", Method::Get) => Ok(json_response(200, &json!({ "needed": auth::setup_needed(&db)? }))),
        ("/setup", Method::Post) => {
            let body: SetupRequest = json_body(request)?;
            let token = auth::setup(&db, &body, &client)?;
            Ok(json_response(201, &token))
        }
        ("/login", Method::Post) => {
            let body: LoginRequest = json_body(request)?;
            let session = auth::login(&db, &kv()?, &body, &client)?;
            let mut response = json_response(200, &json!({ "csrf_token": session.csrf_token }));
            let cookie = crm_spin_adapter::auth::session_cookie(&session.id, session.max_age, is_https(request));
            response.set_header("set-cookie", cookie);
            Ok(response)
        }
        ("/logout", Method::Post) => {
            let kv = kv()?;
            let session = cookie(request.header("cookie").and_then(|v| v.as_str()), SESSION_COOKIE);
            if let Some(session) = session {
                authenticate(request, &db, &kv)?; // a cookie request needs its CSRF token
                auth::logout(&kv, session)?;
            }
            let mut response = Response::builder().status(204).build();
            response.set_header("set-cookie", expired_session_cookie(is_https(request)));
            Ok(response)
        }
        ("/tokens", Method::Get) => {
            let caller = authenticate(request, &db, &kv()?)?;
            let items = auth::list_tokens(&db, &caller)?;
            Ok(json_response(200, &json!({ "items": items, "next_cursor": null })))
        }
        ("/tokens", Method::Post) => {
            let caller = authenticate(request, &db, &kv()?)?;
            let body: NewToken = json_body(request)?;
            let token = auth::create_token(&db, &caller, &body.name, &client)?;
            let mut response = json_response(201, &token);
            response.set_header("location", format!("/api/auth/tokens/{}", token.id));
            Ok(response)
        }
        (route, Method::Delete) if route.starts_with("/tokens/") => {
            let id = route["/tokens/".len()..]
                .parse::<i64>()
                .map_err(|_| CoreError::NotFound)?;
            let caller = authenticate(request, &db, &kv()?)?;
            auth::revoke_token(&db, &caller, id, &client)?;
            Ok(Response::builder().status(204).build())
        }
        ("/api/me", Method::Get) => {
            let caller = authenticate(request, &db, &kv()?)?;
            Ok(record_response(200, &auth::me(&db, &caller)?))
        }
        ("/setup", _) => Err(RequestError::MethodNotAllowed {
            allow: vec!["GET", "POST"],
        }
        .into()),
        ("/login" | "/logout", _) => Err(RequestError::MethodNotAllowed { allow: vec!["POST"] }.into()),
        ("/tokens", _) => Err(RequestError::MethodNotAllowed {
            allow: vec!["GET", "POST"],
        }
        .into()),
        ("/api/me", _) => Err(RequestError::MethodNotAllowed { allow: vec!["GET"] }.into()),
        _ => Err(CoreError::NotFound.into()),
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/auth/...` and `/api/me`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}
