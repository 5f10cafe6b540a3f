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
//! The rules are `crm_core::intake`, the pages `crm_forms_page`; this component is its route
//! table, reads the request and shapes the answer. A path or key no active form has is a 404:
//! a page for a browser, the problem for a script. `HEAD` is answered as `GET`.

use crm_core::CoreError;
use crm_core::intake::form::{Form, by_key};
use crm_core::intake::submit::{self, Incoming, Outcome};
use crm_core::intake::token;
use crm_forms_page as page;
use crm_spin_adapter::SpinDb;
use crm_spin_adapter::problem::{ApiError, error_response, json_response};
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

crm_spin_adapter::component!(
    Routes::new("/f")
        .get("/<key>", hosted_page)
        .post("/<key>", submit)
        .options("/<key>", preflight)
        .get("/<key>.js", embed_script)
        .get("/<key>/thanks", thanks_page)
        .head_as_get()
        .fallback(|request| Ok(not_found(request)))
);

/// The active form the path's `<key>` names, with the database it was read from; `None` for
/// a key no active form has (a malformed key is not looked up).
fn active_form(cx: &Cx) -> Result<Option<(SpinDb, Form)>, ApiError> {
    let key = cx.param("key")?;
    if key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    // The form's query checks the schema too: no statement of its own for that.
    let (db, form) = SpinDb::open_checked(|db| Ok(by_key(db, key)?))?;
    Ok(form.filter(|f| f.active).map(|form| (db, form)))
}

/// `GET /f/<key>`: the hosted form page with a fresh time token.
fn hosted_page(cx: &Cx) -> Answer {
    let Some((_, form)) = active_form(cx)? else {
        return Ok(not_found(cx.request));
    };
    let token = token::issue(&form.secret, &form.public_key, crm_core::clock::now());
    let action = format!("/f/{}", form.public_key);
    Ok(html(200, page::hosted_page(&form, &token, &action, language(cx))))
}

/// `GET /f/<key>/thanks`.
fn thanks_page(cx: &Cx) -> Answer {
    let Some((_, form)) = active_form(cx)? else {
        return Ok(not_found(cx.request));
    };
    Ok(html(200, page::thanks_page(&form, language(cx))))
}

/// `GET /f/<key>.js`: the embed script, posting to this deployment's absolute address.
fn embed_script(cx: &Cx) -> Answer {
    let Some((_, form)) = active_form(cx)? else {
        return Ok(not_found(cx.request));
    };
    let token = token::issue(&form.secret, &form.public_key, crm_core::clock::now());
    let action = format!("{}/f/{}", cx.origin(), form.public_key);
    let script = page::embed_script(&form, &token, &action, language(cx));
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/javascript; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(script)
        .build())
}

/// `OPTIONS /f/<key>`: the CORS preflight, for the form's allowed origins only (403 otherwise).
fn preflight(cx: &Cx) -> Answer {
    let Some((_, form)) = active_form(cx)? else {
        return Ok(not_found(cx.request));
    };
    let Some(origin) = cx.header("origin").filter(|o| form.allows_origin(o)) else {
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

/// `POST /f/<key>`: one submission, answered as the poster expects it, with CORS for an
/// allowed origin.
fn submit(cx: &Cx) -> Answer {
    let Some((db, form)) = active_form(cx)? else {
        return Ok(not_found(cx.request));
    };
    let client = cx.client();
    let incoming = Incoming {
        content_type: cx.header("content-type"),
        body: cx.request.body(),
        ip: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
        referer: cx.header("referer"),
        idempotency_key: cx.header("idempotency-key"),
        query: cx.query(),
    };
    let answer = submit::submit(&db, &form, &incoming, crm_core::clock::now());
    let mut response = respond(cx, &form, answer);
    if let Some(origin) = cx.header("origin").filter(|o| form.allows_origin(o)) {
        response.set_header("access-control-allow-origin", origin);
        response.set_header("vary", "Origin");
    }
    Ok(response)
}

/// The answer to a submission: a script gets JSON (201, or the problem), a plain HTML form a
/// redirect (303) or the page listing its invalid fields (422).
fn respond(cx: &Cx, form: &Form, answer: Result<Outcome, CoreError>) -> Response {
    let json = wants_json(cx.request);
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
        Ok(Outcome::Invalid { errors, .. }) if json => error_response(&CoreError::Validation(errors).into()),
        Ok(Outcome::Invalid { errors, .. }) => html(
            422,
            page::error_page(form, &errors, &format!("/f/{}", form.public_key), language(cx)),
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

/// No such (active) form: a page for a browser's `GET`, the 404 problem for anything else.
fn not_found(request: &Request) -> Response {
    if wants_json(request) || *request.method() != Method::Get {
        error_response(&CoreError::NotFound.into())
    } else {
        html(404, page::not_found_page(language_of(request)))
    }
}

/// Whether the poster reads JSON (a script), not a page (a plain HTML form).
fn wants_json(request: &Request) -> bool {
    let header = |name| request.header(name).and_then(|v| v.as_str()).unwrap_or_default();
    header("accept").contains("application/json")
        || header("content-type")
            .to_ascii_lowercase()
            .starts_with("application/json")
}

/// The visitor's language: the first of `en`, `ru` their browser lists, else `en`.
fn language_of(request: &Request) -> &'static str {
    request
        .header("accept-language")
        .and_then(|v| v.as_str())
        .and_then(crm_spin_adapter::language::preferred)
        .unwrap_or("en")
}

fn language(cx: &Cx) -> &'static str {
    language_of(cx.request)
}

/// An HTML page with the headers every form page carries (its CSP above all).
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
