//! The `/api/users` component: user accounts. `DELETE` deactivates (users stay as the owners of their records); an inactive user cannot log in and their tokens stop working at once.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::users` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::users;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/users",
    filters: &["active", "department_id", "email"],
    list: users::list,
    get: users::get,
    create: users::create,
    update: users::update,
    delete: users::deactivate,
};

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/users/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::crud::serve(&request, &super::COLLECTION)
    }
}
