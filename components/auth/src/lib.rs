//! The `/api/auth` component and `/api/me`: the first administrator (`setup`), sessions for
//! the UI (`login`/`logout`, an `HttpOnly` cookie plus a CSRF token), API tokens for scripts
//! and integrations (created, listed, revoked; shown once), and who the caller is.
//!
//! The rules (hashing, throttling, session storage, token checks) are `crm_core::auth`'s;
//! this component only maps HTTP onto them (see API.md "Auth").

use crm_core::CoreError;
use crm_core::auth::{self, LoginRequest, PasswordChange, SetupRequest};
use crm_spin_adapter::auth::{SESSION_COOKIE, authenticate, cookie, expired_session_cookie, is_https, session_cookie};
use crm_spin_adapter::crud::{no_content, record_response};
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use crm_spin_adapter::{ApiError, SpinKv, json_response};
use serde::Deserialize;
use serde_json::json;

crm_spin_adapter::component!(
    Routes::new("/api/auth")
        .get("/setup", setup_needed)
        .post("/setup", setup)
        .post("/login", login)
        .post("/logout", logout)
        .get("/tokens", tokens)
        .post("/tokens", create_token)
        .delete("/tokens/<id:id>", revoke_token)
        .merge(Routes::new("/api/me").get("", me).post("/password", change_password))
);

/// `POST /api/auth/tokens` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

fn kv() -> Result<SpinKv, ApiError> {
    SpinKv::open_default().map_err(|e| ApiError::from(CoreError::from(e)))
}

/// `GET /api/auth/setup`: `{"needed": true}` until the first administrator exists.
fn setup_needed(cx: &Cx) -> Answer {
    let db = cx.db()?;
    Ok(json_response(200, &json!({ "needed": auth::setup_needed(&db)? })))
}

/// `POST /api/auth/setup`: the first administrator and their API token.
fn setup(cx: &Cx) -> Answer {
    let db = cx.db()?;
    let body: SetupRequest = cx.json()?;
    Ok(json_response(201, &auth::setup(&db, &body, &cx.client())?))
}

/// `POST /api/auth/login`: the session cookie and its CSRF token.
fn login(cx: &Cx) -> Answer {
    let db = cx.db()?;
    let body: LoginRequest = cx.json()?;
    let session = auth::login(&db, &kv()?, &body, &cx.client())?;
    let mut response = json_response(200, &json!({ "csrf_token": session.csrf_token }));
    response.set_header(
        "set-cookie",
        session_cookie(&session.id, session.max_age, is_https(cx.request)),
    );
    Ok(response)
}

/// `POST /api/auth/logout`: ends the cookie's session (which needs its CSRF token).
fn logout(cx: &Cx) -> Answer {
    let db = cx.db()?;
    let kv = kv()?;
    if let Some(session) = cookie(cx.header("cookie"), SESSION_COOKIE) {
        authenticate(cx.request, &db, &kv)?;
        auth::logout(&kv, session)?;
    }
    let mut response = no_content();
    response.set_header("set-cookie", expired_session_cookie(is_https(cx.request)));
    Ok(response)
}

/// `GET /api/auth/tokens`: the caller's tokens (never their secrets).
fn tokens(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let items = auth::list_tokens(&me.db, &me.caller)?;
    Ok(json_response(200, &json!({ "items": items, "next_cursor": null })))
}

/// `POST /api/auth/tokens {"name"}`: a new token, its secret shown once.
fn create_token(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: NewToken = cx.json()?;
    let token = auth::create_token(&me.db, &me.caller, &body.name, &me.client)?;
    let mut response = json_response(201, &token);
    response.set_header("location", format!("/api/auth/tokens/{}", token.id));
    Ok(response)
}

/// `DELETE /api/auth/tokens/<id>`.
fn revoke_token(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    auth::revoke_token(&me.db, &me.caller, cx.id("id")?, &me.client)?;
    Ok(no_content())
}

/// `POST /api/me/password {"current_password", "password"}`: a new password and a new session
/// cookie (every earlier session of the person ends).
fn change_password(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: PasswordChange = cx.json()?;
    let session = auth::change_password(&me.db, &kv()?, &me.caller, &body, &me.client)?;
    let mut response = json_response(200, &json!({ "csrf_token": session.csrf_token }));
    response.set_header(
        "set-cookie",
        session_cookie(&session.id, session.max_age, is_https(cx.request)),
    );
    Ok(response)
}

/// `GET /api/me`: who the caller is, with their permissions.
fn me(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(200, &auth::me(&me.db, &me.caller)?))
}
