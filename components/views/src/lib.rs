//! The `/api/views` component: saved list views (a list query and columns per entity), the
//! caller's own and the shared ones. A plain collection over `crm_core::records::views`.

use crm_core::records::views;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/views",
    filters: views::FILTERS,
    list: views::list,
    get: views::get,
    create: views::create,
    update: views::update,
    delete: views::delete,
};

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/views/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::crud::serve(&request, &super::COLLECTION)
    }
}
