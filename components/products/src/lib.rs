//! The `/api/products` component: the product catalog.
//!
//! Everything but the picker is the generic record engine (`crm_core::records`, entity
//! `product`) behind the shared HTTP shape of a record entity (`crm_spin_adapter::records`):
//! list, create, read, change, delete, field definitions, bulk actions, timeline and merge.
//! The entity's own action is `GET /api/products/picker?q=&limit=`: the active products a form
//! offers as line items (`crm_core::catalog::picker`).

use crm_core::acl::Caller;
use crm_core::records::EntityDef;
use crm_spin_adapter::records::RecordTarget;
use crm_spin_adapter::route::query_pairs;
use crm_spin_adapter::{ApiError, RequestError, SpinDb, json_response};
use spin_sdk::http::{Method, Request, Response};

/// The product entity's own actions: `GET /picker`.
fn extra(
    request: &Request,
    db: &SpinDb,
    caller: &Caller,
    def: &EntityDef,
    target: RecordTarget,
) -> Option<Result<Response, ApiError>> {
    match (target, request.method()) {
        (RecordTarget::CollectionAction("picker"), Method::Get) => Some(
            crm_core::catalog::picker(db, caller, def, &query_pairs(request))
                .map(|page| json_response(200, &page))
                .map_err(ApiError::from),
        ),
        (RecordTarget::CollectionAction("picker"), _) => {
            Some(Err(RequestError::MethodNotAllowed { allow: vec!["GET"] }.into()))
        }
        _ => None,
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/products/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::records::serve_with(&request, "product", super::extra)
    }
}
