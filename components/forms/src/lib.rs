//! The `/api/forms` component: web forms as records (`settings` permission).
//!
//! | path | methods |
//! |---|---|
//! | `/api/forms` | `GET`, `POST` (`Idempotency-Key`) |
//! | `/api/forms/<id>` | `GET` (with the public link and embed snippets), `PATCH` (`If-Match`), `DELETE` (deactivates) |
//! | `/api/forms/<id>/submissions` | `GET` the submission log (`filter[outcome]=`) |
//! | `/api/forms/<id>/submissions/<sid>/release` | `POST` a quarantined submission into the CRM |

use crm_core::intake::{form, log};
use crm_core::resource::ListQuery;
use crm_spin_adapter::crud::{created_response, no_content, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::Value;

crm_spin_adapter::component!(
    Routes::new("/api/forms")
        .get("", list)
        .post("", create)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .delete("/<id:id>", deactivate)
        .get("/<id:id>/submissions", submissions)
        .post("/<id:id>/submissions/<sid:id>/release", release)
);

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), form::FILTERS)?;
    Ok(json_response(
        200,
        &form::list(&me.db, &me.caller, &query, cx.origin())?,
    ))
}

fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    created_response(cx.request, &me.db, &me.caller, "/api/forms", |db| {
        form::create(db, &me.caller, &body, &me.client, cx.origin())
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &form::get(&me.db, &me.caller, cx.id("id")?, cx.origin())?,
    ))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let id = cx.id("id")?;
    let updated = form::update(&me.db, &me.caller, id, &body, cx.if_match()?, &me.client, cx.origin())?;
    Ok(record_response(200, &updated))
}

fn deactivate(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    form::deactivate(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

/// `GET /api/forms/<id>/submissions?filter[outcome]=`: the submission log.
fn submissions(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), log::FILTERS)?;
    Ok(json_response(
        200,
        &log::list(&me.db, &me.caller, cx.id("id")?, &query)?,
    ))
}

/// `POST /api/forms/<id>/submissions/<sid>/release`: a quarantined submission into the CRM.
fn release(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(
        200,
        &log::release(&me.db, &me.caller, cx.id("id")?, cx.id("sid")?)?,
    ))
}
