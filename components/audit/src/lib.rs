//! The `/api/audit` component: the audit log of auth and permission events (logins, tokens,
//! users, roles, departments), newest first. Read-only; needs `settings` read.

use crm_core::CoreError;
use crm_core::directory::audit_log;
use crm_core::resource::ListQuery;
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
    let query = ListQuery::parse(&query_pairs(request), &["action", "actor_user_id", "target_type"])?;
    Ok(json_response(200, &audit_log::list(&db, &caller, &query)?))
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/audit`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}
