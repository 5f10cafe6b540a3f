//! The `/api/settings` component: `GET` the firm-wide settings (any signed-in user), `PATCH`
//! them with a merge-patch (`settings` update permission). Rules live in `crm_core::settings`.

use crm_core::CoreError;
use crm_spin_adapter::auth::{authenticate, client_info};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::route::{Target, path_info, target};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use spin_sdk::http::{Method, Request, Response};

fn handle(request: &Request) -> Result<Response, ApiError> {
    if target(path_info(request)) != Some(Target::Collection) {
        return Err(CoreError::NotFound.into());
    }
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    match request.method() {
        Method::Get => Ok(json_response(200, &crm_core::settings::get(&db, &caller)?)),
        Method::Patch => {
            let body: serde_json::Value = json_body(request)?;
            let client = client_info(request);
            Ok(json_response(
                200,
                &crm_core::settings::update(&db, &caller, &body, &client)?,
            ))
        }
        _ => Err(RequestError::MethodNotAllowed {
            allow: vec!["GET", "PATCH"],
        }
        .into()),
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/settings`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}
