//! The `/api/leads` component: leads.
//!
//! Everything is the generic record engine (`crm_core::records`) behind the shared HTTP shape
//! of a record entity (`crm_spin_adapter::records`): list, create, read, change, delete,
//! field definitions, bulk actions, timeline and merge; plus the sales actions leads share with
//! deals (`GET /api/leads/board` by status, `GET`/`PUT /api/leads/<id>/products`) and
//! `POST /api/leads/<id>/convert` into a contact, a company and a deal.

use crm_core::acl::Caller;
use crm_core::records::EntityDef;
use crm_spin_adapter::ApiError;
use crm_spin_adapter::records::{RecordTarget, sales_actions};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::{SpinDb, json_response};
use spin_sdk::http::{Method, Request, Response};

fn extra(
    request: &Request,
    db: &SpinDb,
    caller: &Caller,
    def: &EntityDef,
    target: RecordTarget,
) -> Option<Result<Response, ApiError>> {
    if let Some(answer) = sales_actions(request, db, caller, def, target) {
        return Some(answer);
    }
    let RecordTarget::ItemAction(id, "convert") = target else {
        return None;
    };
    if *request.method() != Method::Post {
        return Some(Err(RequestError::MethodNotAllowed { allow: vec!["POST"] }.into()));
    }
    Some(
        json_body::<serde_json::Value>(request)
            .map_err(ApiError::from)
            .and_then(|body| {
                Ok(json_response(
                    200,
                    &crm_core::records::convert::convert(db, caller, id, &body)?,
                ))
            }),
    )
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/leads/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::records::serve_with(&request, "lead", super::extra)
    }
}
