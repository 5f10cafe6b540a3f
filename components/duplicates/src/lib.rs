//! The `/api/duplicates` component: `GET ?entity=&email=&phone=&title=` lists the leads,
//! contacts and companies the caller can read whose normalised e-mail, phone or company title
//! match (`crm_core::records::duplicates`). Merging them is `POST /api/<entity>/<id>/merge`.

use crm_core::CoreError;
use crm_core::records::{duplicates, service};
use crm_spin_adapter::auth::authenticate;
use crm_spin_adapter::request::allow_methods;
use crm_spin_adapter::route::{Target, path_info, query_pairs, target};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use spin_sdk::http::{Request, Response};

fn handle(request: &Request) -> Result<Response, ApiError> {
    if target(path_info(request)) != Some(Target::Collection) {
        return Err(CoreError::NotFound.into());
    }
    allow_methods(request, &["GET"])?;
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    let cx = service::parse_context(&db)?;
    Ok(json_response(
        200,
        &duplicates::find(&db, &caller, &query_pairs(request), &cx)?,
    ))
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/duplicates`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}
