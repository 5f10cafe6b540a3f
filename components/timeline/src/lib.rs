//! The `/api/timeline` component: `POST {"entity", "record_id", "text"}` adds a comment to the
//! timeline of a record the caller can read (201 with the entry). A record's timeline is read
//! at `/api/<entity>/<id>/timeline` (the entity's component).

use crm_core::CoreError;
use crm_core::records::timeline;
use crm_spin_adapter::auth::authenticate;
use crm_spin_adapter::request::{allow_methods, json_body};
use crm_spin_adapter::route::{Target, path_info, target};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use spin_sdk::http::{Request, Response};

fn handle(request: &Request) -> Result<Response, ApiError> {
    if target(path_info(request)) != Some(Target::Collection) {
        return Err(CoreError::NotFound.into());
    }
    allow_methods(request, &["POST"])?;
    let body: serde_json::Value = json_body(request)?;
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    Ok(json_response(201, &timeline::comment(&db, &caller, &body)?))
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/timeline`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}
