//! The health component: `GET /api/health` answers whether this deployment can serve.
//!
//! It does what every other component does on each request (open `default`, run the migration
//! runner) plus one real query, so a 200 means the database is reachable, granted to components
//! and on the current schema. Any database failure is an opaque 503 problem with the cause in
//! the log. The body is for uptime checks and the UI's status line:
//! `{"status": "ok", "version": "<crate version>", "database": "ok"}`.

use crm_spin_adapter::request::allow_methods;
use crm_spin_adapter::{ApiError, SpinDb, json_response};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module so the rest of the crate stays under the
/// workspace's `unsafe_code = "deny"`.
#[allow(unsafe_code)]
mod entry {
    use super::*;

    /// Entry point for `/api/health`.
    #[http_component]
    fn handle_health(request: Request) -> Response {
        match health(&request) {
            Ok(response) => response,
            Err(error) => crm_spin_adapter::problem::error_response(&error),
        }
    }
}

fn health(request: &Request) -> Result<Response, ApiError> {
    allow_methods(request, &["GET"])?;
    let db = SpinDb::open_migrated()?;
    crm_core::migrate::health_check(&db)?;
    let mut response = json_response(
        200,
        &json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok"}),
    );
    response.set_header("cache-control", "no-store");
    Ok(response)
}
