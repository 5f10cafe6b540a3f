//! The public `/f/<form_key>` component: where forms on any website post, with no login.
//!
//! | path | methods |
//! |---|---|
//! | `/f/<key>` | `POST` a submission (urlencoded, multipart, JSON); `OPTIONS` CORS preflight; `GET` (and `HEAD`) the hosted form page |
//! | `/f/<key>.js` | `GET`/`HEAD` the embed script |
//! | `/f/<key>/thanks` | `GET`/`HEAD` the thank-you page |
//!
//! A plain HTML post is answered `303 See Other` (to the form's redirect URL or the thank-you
//! page), a script's post `201 {"id", "status": "accepted"}`; spam is answered the same way and
//! kept aside. Invalid fields are 422: an HTML page for a plain post, problem+json otherwise.
//! The rules are `crm_core::intake`; this component only reads the request and shapes the
//! answer.

use crm_core::CoreError;
use crm_core::error::FieldErrors;
use crm_core::intake::form::{Form, by_key};
use crm_core::intake::submit::{Incoming, Outcome, submit};
use crm_core::intake::token;
use crm_forms_page as page;
use crm_spin_adapter::SpinDb;
use crm_spin_adapter::auth::client_info;
use crm_spin_adapter::problem::{ApiError, error_response, json_response};
use crm_spin_adapter::request::RequestError;
use crm_spin_adapter::route::{path_info, query_pairs};
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

/// What a path below `/f` names.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    Form(&'a str),
    Script(&'a str),
    Thanks(&'a str),
}

fn target(path: &str) -> Option<Target<'_>> {
    let path = path.strip_prefix('/')?;
    let valid = |k: &str| !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(key) = path.strip_suffix("/thanks") {
        return valid(key).then_some(Target::Thanks(key));
    }
    if let Some(key) = path.strip_suffix(".js") {
        return valid(key).then_some(Target::Script(key));
    }
    let key = path.trim_end_matches('/');
    valid(key).then_some(Target::Form(key))
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.header(name).and_then(|v| v.as_str())
}

/// The visitor's language: `ru` if the browser prefers Russian, else `en`.
fn language(request: &Request) -> &'static str {
    match header(request, "accept-language") {
        Some(l) if l.trim_start().to_ascii_lowercase().starts_with("ru") => "ru",
        _ => "en",
    }
}

/// Whether the poster reads JSON (a script), not a page (a plain HTML form).
fn wants_json(request: &Request) -> bool {
    let accept = header(request, "accept").unwrap_or_default();
    let content_type = header(request, "content-type").unwrap_or_default().to_ascii_lowercase();
    accept.contains("application/json") || content_type.starts_with("application/json")
}

fn html(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "strict-origin-when-cross-origin")
        .header("content-security-policy", page::content_security_policy())
        .body(body)
        .build()
}

/// Adds the CORS headers a script from an allowed origin needs to read the answer.
fn with_cors(mut response: Response, form: &Form, origin: Option<&str>) -> Response {
    if let Some(origin) = origin.filter(|o| form.allows_origin(o)) {
        response.set_header("access-control-allow-origin", origin);
        response.set_header("vary", "Origin");
    }
    response
}

fn not_found(request: &Request) -> Response {
    if wants_json(request) || *request.method() != Method::Get {
        error_response(&CoreError::NotFound.into())
    } else {
        html(404, page::not_found_page(language(request)))
    }
}

fn handle(request: &Request) -> Result<Response, ApiError> {
    let Some(target) = target(path_info(request)) else {
        return Ok(not_found(request));
    };
    let key = match target {
        Target::Form(k) | Target::Script(k) | Target::Thanks(k) => k,
    };
    let db = SpinDb::open_migrated()?;
    let Some(form) = by_key(&db, key)?.filter(|f| f.active) else {
        return Ok(not_found(request));
    };
    let lang = language(request);
    let origin = header(request, "origin");
    let now = crm_core::clock::now();
    let action = format!("/f/{}", form.public_key);
    match (target, request.method()) {
        (Target::Form(_), Method::Options) => {
            let Some(origin) = origin.filter(|o| form.allows_origin(o)) else {
                return Err(CoreError::ForbiddenBecause("this origin may not post to the form".into()).into());
            };
            Ok(Response::builder()
                .status(204)
                .header("access-control-allow-origin", origin)
                .header("access-control-allow-methods", "POST, OPTIONS")
                .header("access-control-allow-headers", "Content-Type, Accept, Idempotency-Key")
                .header("access-control-max-age", "600")
                .header("vary", "Origin")
                .build())
        }
        (Target::Form(_), Method::Post) => {
            let client = client_info(request);
            let incoming = Incoming {
                content_type: header(request, "content-type"),
                body: request.body(),
                ip: client.ip.as_deref(),
                user_agent: client.user_agent.as_deref(),
                referer: header(request, "referer"),
                idempotency_key: header(request, "idempotency-key"),
                query: query_pairs(request),
            };
            let answer = submit(&db, &form, &incoming, now);
            Ok(with_cors(respond(request, &form, answer, lang), &form, origin))
        }
        (Target::Form(_), Method::Get) => {
            let token = token::issue(&form.secret, &form.public_key, now);
            Ok(html(200, page::hosted_page(&form, &token, &action, lang)))
        }
        (Target::Thanks(_), Method::Get) => Ok(html(200, page::thanks_page(&form, lang))),
        (Target::Script(_), Method::Get) => {
            let token = token::issue(&form.secret, &form.public_key, now);
            let base = header(request, "spin-full-url")
                .and_then(|u| u.find("/f/").map(|i| u[..i].to_string()))
                .unwrap_or_default();
            let script = page::embed_script(&form, &token, &format!("{base}{action}"), lang);
            Ok(Response::builder()
                .status(200)
                .header("content-type", "text/javascript; charset=utf-8")
                .header("cache-control", "no-store")
                .header("x-content-type-options", "nosniff")
                .body(script)
                .build())
        }
        (Target::Form(_), _) => Err(RequestError::MethodNotAllowed {
            allow: vec!["GET", "POST", "OPTIONS"],
        }
        .into()),
        _ => Err(RequestError::MethodNotAllowed { allow: vec!["GET"] }.into()),
    }
}

/// `request` as a `GET` (to answer a `HEAD` exactly as `GET`, headers included).
fn as_get(request: Request) -> Request {
    let mut get = Request::builder();
    get.method(Method::Get).uri(request.uri());
    for (name, value) in request.headers() {
        get.header(name, String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    get.build()
}

/// The answer to a submission, as the poster expects it.
fn respond(request: &Request, form: &Form, answer: Result<Outcome, CoreError>, lang: &str) -> Response {
    let json = wants_json(request);
    match answer {
        Ok(Outcome::Ping) => Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body("ok")
            .build(),
        Ok(Outcome::Accepted {
            submission_id,
            replayed,
        }) => {
            let mut response = accepted(form, submission_id, json);
            if replayed {
                response.set_header("idempotent-replayed", "true");
            }
            response
        }
        Ok(Outcome::Quarantined { submission_id }) => accepted(form, submission_id, json),
        Ok(Outcome::Invalid { errors, .. }) if json => invalid_problem(&errors),
        Ok(Outcome::Invalid { errors, .. }) => html(
            422,
            page::error_page(form, &errors, &format!("/f/{}", form.public_key), lang),
        ),
        Err(error) => error_response(&error.into()),
    }
}

fn accepted(form: &Form, submission_id: i64, json: bool) -> Response {
    if json {
        return json_response(201, &json!({"id": submission_id, "status": "accepted"}));
    }
    let location = form
        .redirect_target()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/f/{}/thanks", form.public_key));
    Response::builder()
        .status(303)
        .header("location", location)
        .body(Vec::new())
        .build()
}

fn invalid_problem(errors: &FieldErrors) -> Response {
    error_response(&ApiError::Core(CoreError::Validation(errors.clone())))
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/f/...`. `HEAD` is answered as `GET` without the body.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        let head = *request.method() == spin_sdk::http::Method::Head;
        let request = if head { super::as_get(request) } else { request };
        let mut response = super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e));
        if head {
            response.body_mut().clear();
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_form_its_script_and_its_thanks_page() {
        assert_eq!(target("/abc123"), Some(Target::Form("abc123")));
        assert_eq!(target("/abc123.js"), Some(Target::Script("abc123")));
        assert_eq!(target("/abc123/thanks"), Some(Target::Thanks("abc123")));
        assert_eq!(target("/ab-c"), None);
        assert_eq!(target("/"), None);
    }
}
