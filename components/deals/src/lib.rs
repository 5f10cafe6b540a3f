//! The `/api/deals` component: deals on the generic record engine (list, create, read,
//! change, delete, fields, bulk, timeline, merge), plus what deals have of their own:
//! `GET /api/deals/board` (kanban by stage), `GET`/`PUT /api/deals/<id>/products` (line items),
//! `POST /api/deals/<id>/move` (to another pipeline) and `GET /api/deals/<id>/stage-history`.

use crm_core::CoreError;
use crm_core::acl::Caller;
use crm_core::records::EntityDef;
use crm_core::records::entities::deal;
use crm_spin_adapter::crud::record_response;
use crm_spin_adapter::records::{RecordTarget, sales_actions};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::{ApiError, SpinDb, json_response};
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
    let answer = match (target, request.method()) {
        (RecordTarget::ItemAction(id, "move"), Method::Post) => json_body::<serde_json::Value>(request)
            .map_err(ApiError::from)
            .and_then(|body| {
                Ok(record_response(
                    200,
                    &deal::move_to_pipeline(db, caller, def, id, &body)?,
                ))
            }),
        (RecordTarget::ItemAction(id, "stage-history"), Method::Get) => {
            crm_core::records::access::load_checked(db, caller, def, id, crm_core::acl::Action::Read)
                .and_then(|_| deal::stage_history(db, id))
                .map(|history| json_response(200, &history))
                .map_err(ApiError::from)
        }
        (RecordTarget::ItemAction(_, action @ ("move" | "stage-history")), _) => {
            let allow = if action == "move" { vec!["POST"] } else { vec!["GET"] };
            Err(RequestError::MethodNotAllowed { allow }.into())
        }
        _ => Err(CoreError::NotFound.into()),
    };
    Some(answer)
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/deals/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::records::serve_with(&request, "deal", super::extra)
    }
}
