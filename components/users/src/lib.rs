//! The `/api/users` component: user accounts. `DELETE` deactivates (users stay as the owners of their records); an inactive user cannot log in and their tokens stop working at once.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::users` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::CoreError;
use crm_core::directory::users;
use crm_spin_adapter::auth::authenticate;
use crm_spin_adapter::crud::Crud;
use crm_spin_adapter::request::RequestError;
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use spin_sdk::http::{Method, Request, Response};

const COLLECTION: Crud = Crud {
    resource: "/api/users",
    filters: &["active", "department_id", "email"],
    list: users::list,
    get: users::get,
    create: users::create,
    update: users::update,
    delete: users::deactivate,
};

/// `GET /api/users/directory`: the active users' `id`, `name` and `department_id`, for anyone
/// signed in (so people can pick an assignee by name without the `settings` permission).
fn directory(request: &Request) -> Result<Response, ApiError> {
    if *request.method() != Method::Get {
        return Err(RequestError::MethodNotAllowed { allow: vec!["GET"] }.into());
    }
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    Ok(json_response(200, &users::directory(&db, &caller)?))
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/users/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        if request.path().trim_end_matches('/') == "/api/users/directory" {
            return super::directory(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e));
        }
        crm_spin_adapter::crud::serve(&request, &super::COLLECTION)
    }
}
