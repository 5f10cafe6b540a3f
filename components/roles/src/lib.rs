//! The `/api/roles` component: roles and their permission matrices (entity x action -> level, plus stage rules).
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::roles` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::roles;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/roles",
    filters: &["code"],
    list: roles::list,
    get: roles::get,
    create: roles::create,
    update: roles::update,
    delete: roles::delete,
};

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/roles/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::crud::serve(&request, &super::COLLECTION)
    }
}
