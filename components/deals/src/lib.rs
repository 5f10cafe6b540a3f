//! The `/api/deals` component: deals on the generic record engine (list, create, read,
//! change, delete, fields, bulk, timeline, merge), plus what deals have of their own:
//! `GET /api/deals/board` (kanban by stage), `GET`/`PUT /api/deals/<id>/products` (line items),
//! `POST /api/deals/<id>/move` (to another pipeline) and `GET /api/deals/<id>/stage-history`.

use crm_core::acl::Action;
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
