//! The `/api/pipelines` component: deal pipelines and their stages. Anyone signed in reads
//! them; changing them needs the `settings` permission (rules in
//! `crm_core::records::pipelines`).
//!
//! | path | methods |
//! |---|---|
//! | `/api/pipelines` | `GET`, `POST` |
//! | `/api/pipelines/<id>` | `GET`, `PATCH` (`If-Match`), `DELETE` (`If-Match`) |
//! | `/api/pipelines/<id>/stages` | `POST` |
//! | `/api/pipelines/<id>/stages/<code>` | `PATCH`, `DELETE` (`?move_to=<code>`) |

use crm_core::CoreError;
use crm_core::records::pipelines;
use crm_spin_adapter::auth::{authenticate, client_info};
use crm_spin_adapter::crud::{created_with_location, record_response};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::route::{if_match, path_info, query_pairs};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};

/// What a path below `/api/pipelines` names.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Collection,
    Pipeline(i64),
    Stages(i64),
    Stage(i64, String),
}

fn target(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    let id = |text: &str| text.parse::<i64>().ok().filter(|id| *id > 0);
    match parts.as_slice() {
        [] => Some(Target::Collection),
        [pipeline] => id(pipeline).map(Target::Pipeline),
        [pipeline, "stages"] => id(pipeline).map(Target::Stages),
        [pipeline, "stages", code] => id(pipeline).map(|p| Target::Stage(p, (*code).to_string())),
        _ => None,
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
    match (target, request.method()) {
        (Target::Collection, Method::Get) => Ok(json_response(200, &pipelines::list(&db, &caller)?)),
        (Target::Collection, Method::Post) => {
            let body: Value = json_body(request)?;
            created_with_location(request, &db, &caller, "/api/pipelines", |db| {
                let record = pipelines::create(db, &caller, &body, &client)?;
                let location = format!("/api/pipelines/{}", record["id"]);
                Ok((record, location))
            })
        }
        (Target::Collection, _) => Err(not_allowed(&["GET", "POST"])),
        (Target::Pipeline(id), Method::Get) => Ok(record_response(200, &pipelines::get(&db, &caller, id)?)),
        (Target::Pipeline(id), Method::Patch) => {
            let body: Value = json_body(request)?;
            let version = if_match(request)?;
            Ok(record_response(
                200,
                &pipelines::update(&db, &caller, id, &body, version, &client)?,
            ))
        }
        (Target::Pipeline(id), Method::Delete) => {
            pipelines::delete(&db, &caller, id, if_match(request)?, &client)?;
            Ok(Response::builder().status(204).build())
        }
        (Target::Pipeline(_), _) => Err(not_allowed(&["GET", "PATCH", "DELETE"])),
        (Target::Stages(id), Method::Post) => {
            let body: Value = json_body(request)?;
            Ok(record_response(
                201,
                &pipelines::add_stage(&db, &caller, id, &body, &client)?,
            ))
        }
        (Target::Stages(_), _) => Err(not_allowed(&["POST"])),
        (Target::Stage(id, code), Method::Patch) => {
            let body: Value = json_body(request)?;
            Ok(record_response(
                200,
                &pipelines::update_stage(&db, &caller, id, &code, &body, &client)?,
            ))
        }
        (Target::Stage(id, code), Method::Delete) => {
            let pairs = query_pairs(request);
            if let Some((key, _)) = pairs.iter().find(|(k, _)| k != "move_to") {
                return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}")).into());
            }
            let move_to = pairs.iter().find(|(k, _)| k == "move_to").map(|(_, v)| v.as_str());
            Ok(record_response(
                200,
                &pipelines::delete_stage(&db, &caller, id, &code, move_to, &client)?,
            ))
        }
        (Target::Stage(..), _) => Err(not_allowed(&["PATCH", "DELETE"])),
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/pipelines/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_pipelines_and_stages() {
        assert_eq!(target(""), Some(Target::Collection));
        assert_eq!(target("/2"), Some(Target::Pipeline(2)));
        assert_eq!(target("/2/stages"), Some(Target::Stages(2)));
        assert_eq!(target("/2/stages/C2:NEW"), Some(Target::Stage(2, "C2:NEW".into())));
        assert_eq!(target("/x"), None);
        assert_eq!(target("/2/other"), None);
    }
}
