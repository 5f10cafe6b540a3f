//! The `/api/forms` component: web forms as records (`settings` permission).
//!
//! | path | methods |
//! |---|---|
//! | `/api/forms` | `GET`, `POST` (`Idempotency-Key`) |
//! | `/api/forms/<id>` | `GET` (with the public link and embed snippets), `PATCH` (`If-Match`), `DELETE` (deactivates) |
//! | `/api/forms/<id>/submissions` | `GET` the submission log (`filter[outcome]=`) |
//! | `/api/forms/<id>/submissions/<sid>/release` | `POST` a quarantined submission into the CRM |

use crm_core::CoreError;
use crm_core::intake::{form, log};
use crm_core::resource::ListQuery;
use crm_spin_adapter::auth::{authenticate, client_info};
use crm_spin_adapter::crud::{created_response, record_response};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::route::{if_match, path_info, query_pairs};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};

#[derive(Debug, PartialEq, Eq)]
enum Target {
    Collection,
    Form(i64),
    Submissions(i64),
    Release(i64, i64),
}

fn target(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    let id = |t: &str| t.parse::<i64>().ok().filter(|id| *id > 0);
    match parts.as_slice() {
        [] => Some(Target::Collection),
        [f] => id(f).map(Target::Form),
        [f, "submissions"] => id(f).map(Target::Submissions),
        [f, "submissions", s, "release"] => Some(Target::Release(id(f)?, id(s)?)),
        _ => None,
    }
}

/// `scheme://host` of the request, for the public links.
fn base_url(request: &Request) -> String {
    let full = request
        .header("spin-full-url")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    match full.find("://").map(|i| i + 3) {
        Some(start) => {
            let end = full[start..].find('/').map(|e| start + e).unwrap_or(full.len());
            full[..end].to_string()
        }
        None => String::new(),
    }
}

fn not_allowed(allow: &[&'static str]) -> ApiError {
    RequestError::MethodNotAllowed { allow: allow.to_vec() }.into()
}

fn handle(request: &Request) -> Result<Response, ApiError> {
    let target = target(path_info(request)).ok_or(CoreError::NotFound)?;
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    let client = client_info(request);
    let base = base_url(request);
    match (target, request.method()) {
        (Target::Collection, Method::Get) => {
            let query = ListQuery::parse(&query_pairs(request), form::FILTERS)?;
            Ok(json_response(200, &form::list(&db, &caller, &query, &base)?))
        }
        (Target::Collection, Method::Post) => {
            let body: Value = json_body(request)?;
            created_response(request, &db, &caller, "/api/forms", |db| {
                form::create(db, &caller, &body, &client, &base)
            })
        }
        (Target::Collection, _) => Err(not_allowed(&["GET", "POST"])),
        (Target::Form(id), Method::Get) => Ok(record_response(200, &form::get(&db, &caller, id, &base)?)),
        (Target::Form(id), Method::Patch) => {
            let body: Value = json_body(request)?;
            let version = if_match(request)?;
            Ok(record_response(
                200,
                &form::update(&db, &caller, id, &body, version, &client, &base)?,
            ))
        }
        (Target::Form(id), Method::Delete) => {
            form::deactivate(&db, &caller, id, if_match(request)?, &client)?;
            Ok(Response::builder().status(204).build())
        }
        (Target::Form(_), _) => Err(not_allowed(&["GET", "PATCH", "DELETE"])),
        (Target::Submissions(id), Method::Get) => {
            let query = ListQuery::parse(&query_pairs(request), log::FILTERS)?;
            Ok(json_response(200, &log::list(&db, &caller, id, &query)?))
        }
        (Target::Submissions(_), _) => Err(not_allowed(&["GET"])),
        (Target::Release(form_id, id), Method::Post) => {
            Ok(json_response(200, &log::release(&db, &caller, form_id, id)?))
        }
        (Target::Release(..), _) => Err(not_allowed(&["POST"])),
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/forms/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_forms_and_their_log() {
        assert_eq!(target(""), Some(Target::Collection));
        assert_eq!(target("/3"), Some(Target::Form(3)));
        assert_eq!(target("/3/submissions"), Some(Target::Submissions(3)));
        assert_eq!(target("/3/submissions/9/release"), Some(Target::Release(3, 9)));
        assert_eq!(target("/3/other"), None);
    }
}
