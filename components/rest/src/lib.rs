//! The Bitrix24-compatible REST API (issue 19): `/rest/<user_id>/<token>/<method>[.json]`
//! (GET or POST; query string, urlencoded, multipart or JSON parameters), answered as
//! Bitrix24 answers (`result`, `total`, `next`, `time`; `{error, error_description}` with its
//! statuses), and `/api/rest-hooks`, where a signed-in user makes (token shown once), lists,
//! renames and revokes the inbound webhooks that act as them.
//!
//! A call costs two statements before its method: the hook and its user in one
//! (`rest::hooks::authenticate`, which also checks the schema), and the rate limit's guarded
//! `UPDATE` (`rest::limit::take`). Everything else is `crm_core::rest`'s.

use crm_core::CoreError;
use crm_core::rest::envelope::{self, Timing};
use crm_core::rest::{RestError, dispatch, form, hooks, limit};
use crm_spin_adapter::crud::no_content;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use crm_spin_adapter::{ApiError, SpinDb, json_response};
use serde_json::{Value as Json, json};
use spin_sdk::http::{Method, Request, Response};
use std::time::SystemTime;

crm_spin_adapter::component!(serve);

/// The largest body a call may send (Bitrix24 takes files inline as base64).
const BODY_MAX: usize = 8 * 1024 * 1024;

/// `/rest/...` is answered the Bitrix24 way; the rest is `/api/rest-hooks`.
fn serve(request: &Request) -> Answer {
    let path = request.path();
    if path == "/rest" || path.starts_with("/rest/") {
        return Ok(rest_call(request));
    }
    Ok(hook_routes().serve(request))
}

fn hook_routes() -> Routes {
    Routes::new("/api/rest-hooks")
        .get("", list)
        .post("", create)
        .patch("/<id:id>", rename)
        .delete("/<id:id>", revoke)
}

/// `GET /api/rest-hooks`: the caller's hooks (everyone's for an administrator).
fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let items = hooks::list(&me.db, &me.caller)?;
    Ok(json_response(200, &json!({ "items": items, "next_cursor": null })))
}

/// `POST /api/rest-hooks {"name", "scopes"}`: a new hook, its token and URL path shown once.
fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Json = cx.json()?;
    let issued = hooks::create(&me.db, &me.caller, &body, &me.client)?;
    let mut response = json_response(201, &issued);
    response.set_header("location", format!("/api/rest-hooks/{}", issued.hook.id));
    Ok(response)
}

/// `PATCH /api/rest-hooks/<id> {"name"}`.
fn rename(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Json = cx.json()?;
    let hook = hooks::rename(&me.db, &me.caller, cx.id("id")?, &body, &me.client)?;
    Ok(json_response(200, &hook))
}

/// `DELETE /api/rest-hooks/<id>`: the token stops working.
fn revoke(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    hooks::revoke(&me.db, &me.caller, cx.id("id")?, &me.client)?;
    Ok(no_content())
}

/// What a `/rest/...` path names.
struct Target<'p> {
    user_id: &'p str,
    token: &'p str,
    /// The method as written, `None` when the path names none (or REST 3.0's `/rest/api/`).
    method: Option<&'p str>,
}

/// `/rest/<user_id>/<token>/<method>`, `/rest/<user_id>/<token>/` and
/// `/rest/api/<user_id>/<token>/<method>` (REST 3.0, whose methods we do not serve); `None`
/// when the path carries no webhook credentials.
fn target(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix("/rest/")?.trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [user_id, token, method] => Some(Target {
            user_id,
            token,
            method: Some(method),
        }),
        [user_id, token] => Some(Target {
            user_id,
            token,
            method: None,
        }),
        ["api", user_id, token, _] => Some(Target {
            user_id,
            token,
            method: None,
        }),
        _ => None,
    }
}

/// The body of a REST answer with its status.
fn rest_response(status: u16, body: &Json) -> Response {
    let mut response = json_response(status, body);
    response.set_header("content-type", "application/json; charset=utf-8");
    response
}

fn error_response(error: &RestError) -> Response {
    rest_response(error.status, &envelope::failure(error))
}

fn no_auth() -> RestError {
    RestError::new(401, "NO_AUTH_FOUND", "Wrong authorization data")
}

/// A core failure on the way in: bad credentials are `NO_AUTH_FOUND`, the rest as core says.
fn from_api(error: ApiError) -> RestError {
    match error {
        ApiError::Core(CoreError::Unauthorized) => no_auth(),
        ApiError::Core(error) => RestError::from(error),
        ApiError::Request(error) => RestError::new(400, "INVALID_REQUEST", error.to_string()),
    }
}

/// One call: path, method, hook, rate limit, parameters, the method, the envelope.
fn rest_call(request: &Request) -> Response {
    let start = SystemTime::now();
    match call(request, start) {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

fn call(request: &Request, start: SystemTime) -> Result<Response, RestError> {
    if !matches!(request.method(), Method::Get | Method::Post) {
        let mut response = error_response(&RestError::new(405, "INVALID_REQUEST", "Use GET or POST"));
        response.set_header("allow", "GET, POST");
        return Ok(response);
    }
    let target = target(request.path()).ok_or_else(no_auth)?;
    let (db, hook) =
        SpinDb::open_checked(|db| Ok(hooks::authenticate(db, target.user_id, target.token)?)).map_err(from_api)?;
    if !limit::take(&db, hook.hook_id, limit::now_ms())? {
        return Err(RestError::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"));
    }
    let method = target.method.ok_or_else(RestError::method_not_found)?;
    let method = percent_decoded(method);
    if method.to_ascii_lowercase().ends_with(".xml") {
        return Err(RestError::new(
            400,
            "INVALID_REQUEST",
            "XML answers are not supported: call the method without a suffix or with .json",
        ));
    }
    let method = method.strip_suffix(".json").unwrap_or(&method);
    if request.body().len() > BODY_MAX {
        return Err(RestError::new(
            413,
            "INVALID_REQUEST",
            format!("The body is over {BODY_MAX} bytes"),
        ));
    }
    let content_type = request.header("content-type").and_then(|v| v.as_str());
    let params = form::params(request.query(), content_type, request.body())
        .map_err(|e| RestError::new(400, "INVALID_REQUEST", e.0))?;
    let reply = dispatch::dispatch(&db, &hook, method, &params, false)?;
    let timing = Timing::since(start, hook.time_zone.clone());
    Ok(rest_response(200, &envelope::success(&reply, &timing)))
}

/// A path segment percent-decoded (`crm.lead.add` arrives as written; the JS SDK encodes it).
fn percent_decoded(segment: &str) -> String {
    form::from_query(format!("m={}", segment.replace('+', "%2B")).as_bytes())
        .ok()
        .and_then(|map| map.get("m").and_then(Json::as_str).map(str::to_owned))
        .unwrap_or_else(|| segment.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_hook_and_the_method() {
        let t = target("/rest/1/abc/crm.lead.add.json").expect("a target");
        assert_eq!((t.user_id, t.token, t.method), ("1", "abc", Some("crm.lead.add.json")));
        let t = target("/rest/1/abc/").expect("a target");
        assert_eq!(t.method, None);
        let t = target("/rest/api/1/abc/crm.item.add").expect("a target");
        assert_eq!((t.user_id, t.method), ("1", None));
        assert!(target("/rest/crm.lead.add").is_none());
        assert!(target("/rest/").is_none());
        assert!(target("/rest/1/2/3/4/5").is_none());
    }

    #[test]
    fn methods_are_percent_decoded() {
        assert_eq!(percent_decoded("crm.lead.add"), "crm.lead.add");
        assert_eq!(percent_decoded("crm%2Elead.add"), "crm.lead.add");
        assert_eq!(percent_decoded("a+b"), "a+b");
    }
}
