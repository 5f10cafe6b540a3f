//! The `/api/departments` component: the firm's structure, a tree of departments with heads and department roles.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::departments` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::departments;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/departments",
    filters: &["parent_id"],
    list: departments::list,
    get: departments::get,
    create: departments::create,
    update: departments::update,
    delete: departments::delete,
};

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/departments/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::crud::serve(&request, &super::COLLECTION)
    }
}
