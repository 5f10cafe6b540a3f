//! The `/api/deals` component: deals on the generic record engine (list, create, read,
//! change, delete, fields, bulk, timeline, merge), plus what deals have of their own:
//! `GET /api/deals/board` (kanban by stage), `GET`/`PUT /api/deals/<id>/products` (line items),
//! `POST /api/deals/<id>/move` (to another pipeline), `GET /api/deals/<id>/stage-history` and
//! `GET /api/deals/<id>/store-order` (the store order the deal was made from; 404 for none).

use crm_core::CoreError;
use crm_core::acl::Action;
use crm_core::orders::inbox::order_of_deal;
use crm_core::records::access::load_checked;
use crm_core::records::entities::deal;
use crm_spin_adapter::crud::record_response;
use crm_spin_adapter::json_response;
use crm_spin_adapter::records::{self, Record};
use crm_spin_adapter::routes::{Answer, Cx};

crm_spin_adapter::component!(
    records::routes("deal")
        .sales()
        .post("/<id:id>/move", move_to_pipeline)
        .get("/<id:id>/stage-history", stage_history)
        .get("/<id:id>/store-order", store_order)
);

/// `POST /api/deals/<id>/move {"pipeline_id", "stage"?}`.
fn move_to_pipeline(cx: &Cx, deal: &Record) -> Answer {
    let body: serde_json::Value = cx.json()?;
    let moved = deal::move_to_pipeline(&deal.db, &deal.caller, &deal.def, cx.id("id")?, &body)?;
    Ok(record_response(200, &moved))
}

/// `GET /api/deals/<id>/stage-history` of a deal the caller may read.
fn stage_history(cx: &Cx, r: &Record) -> Answer {
    let id = cx.id("id")?;
    load_checked(&r.db, &r.caller, &r.def, id, Action::Read)?;
    Ok(json_response(200, &deal::stage_history(&r.db, id)?))
}

/// `GET /api/deals/<id>/store-order` of a deal the caller may read: its store order, or 404.
fn store_order(cx: &Cx, r: &Record) -> Answer {
    let id = cx.id("id")?;
    load_checked(&r.db, &r.caller, &r.def, id, Action::Read)?;
    let order = order_of_deal(&r.db, id)?.ok_or(CoreError::NotFound)?;
    Ok(json_response(200, &order))
}
