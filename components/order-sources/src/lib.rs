//! The `/api/order-sources` component: store order sources (`settings` permission).
//!
//! | path | methods |
//! |---|---|
//! | `/api/order-sources` | `GET`, `POST` (`Idempotency-Key`; a generated secret is in this answer only) |
//! | `/api/order-sources/<id>` | `GET` (with the webhook URL), `PATCH` (`If-Match`; a new `secret` rotates), `DELETE` (deactivates) |
//! | `/api/order-sources/<id>/inbox` | `GET` the deliveries (`filter[status]=`, `filter[order_id]=`) |
//! | `/api/order-sources/<id>/inbox/<row>/replay` | `POST` process a stored delivery again |

use crm_core::orders::{inbox, source};
use crm_core::resource::ListQuery;
use crm_spin_adapter::crud::{created_response, no_content, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::Value;

crm_spin_adapter::component!(
    Routes::new("/api/order-sources")
        .get("", list)
        .post("", create)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .delete("/<id:id>", deactivate)
        .get("/<id:id>/inbox", deliveries)
        .post("/<id:id>/inbox/<row:id>/replay", replay)
);

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), source::FILTERS)?;
    Ok(json_response(
        200,
        &source::list(&me.db, &me.caller, &query, cx.origin())?,
    ))
}

fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    created_response(cx.request, &me.db, &me.caller, "/api/order-sources", |db| {
        source::create(db, &me.caller, &body, &me.client, cx.origin())
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &source::get(&me.db, &me.caller, cx.id("id")?, cx.origin())?,
    ))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let id = cx.id("id")?;
    let updated = source::update(&me.db, &me.caller, id, &body, cx.if_match()?, &me.client, cx.origin())?;
    Ok(record_response(200, &updated))
}

fn deactivate(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    source::deactivate(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

/// `GET /api/order-sources/<id>/inbox`: the deliveries, oldest first.
fn deliveries(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), inbox::FILTERS)?;
    Ok(json_response(
        200,
        &inbox::list(&me.db, &me.caller, cx.id("id")?, &query)?,
    ))
}

/// `POST /api/order-sources/<id>/inbox/<row>/replay`: a stored delivery processed again.
fn replay(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(
        200,
        &inbox::replay(&me.db, &me.caller, cx.id("id")?, cx.id("row")?)?,
    ))
}
