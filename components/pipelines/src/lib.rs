//! The `/api/pipelines` component: deal pipelines and their stages. Anyone signed in reads
//! them; changing them needs the `settings` permission (rules in
//! `crm_core::records::pipelines`).
//!
//! | path | methods |
//! |---|---|
//! | `/api/pipelines` | `GET`, `POST` |
//! | `/api/pipelines/<id>` | `GET`, `PATCH` (`If-Match`), `DELETE` (`If-Match`) |
//! | `/api/pipelines/<id>/stages` | `POST` |
//! | `/api/pipelines/<id>/stages/<code>` | `PATCH`, `DELETE` (`?move_to=<code>`) |

use crm_core::CoreError;
use crm_core::records::pipelines;
use crm_spin_adapter::crud::{created_response, no_content, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::Value;

crm_spin_adapter::component!(
    Routes::new("/api/pipelines")
        .get("", list)
        .post("", create)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .delete("/<id:id>", delete)
        .post("/<id:id>/stages", add_stage)
        .put("/<id:id>/stages", reorder_stages)
        .patch("/<id:id>/stages/<code>", update_stage)
        .delete("/<id:id>/stages/<code>", delete_stage)
);

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(200, &pipelines::list(&me.db, &me.caller)?))
}

fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    created_response(cx.request, &me.db, &me.caller, "/api/pipelines", |db| {
        pipelines::create(db, &me.caller, &body, &me.client)
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(200, &pipelines::get(&me.db, &me.caller, cx.id("id")?)?))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let pipeline = pipelines::update(&me.db, &me.caller, cx.id("id")?, &body, cx.if_match()?, &me.client)?;
    Ok(record_response(200, &pipeline))
}

fn delete(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    pipelines::delete(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

fn add_stage(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let pipeline = pipelines::add_stage(&me.db, &me.caller, cx.id("id")?, &body, &me.client)?;
    Ok(record_response(201, &pipeline))
}

/// `PUT .../stages {"order": [code, ...]}`: the stages in this order (If-Match: the pipeline's version).
fn reorder_stages(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let pipeline = pipelines::reorder_stages(&me.db, &me.caller, cx.id("id")?, &body, cx.if_match()?, &me.client)?;
    Ok(record_response(200, &pipeline))
}

fn update_stage(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let pipeline = pipelines::update_stage(&me.db, &me.caller, cx.id("id")?, cx.param("code")?, &body, &me.client)?;
    Ok(record_response(200, &pipeline))
}

/// `DELETE .../stages/<code>?move_to=<code>`: the stage's deals move to `move_to` first.
fn delete_stage(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let pairs = cx.query();
    if let Some((key, _)) = pairs.iter().find(|(k, _)| k != "move_to") {
        return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}")).into());
    }
    let move_to = pairs.iter().find(|(k, _)| k == "move_to").map(|(_, v)| v.as_str());
    let pipeline = pipelines::delete_stage(&me.db, &me.caller, cx.id("id")?, cx.param("code")?, move_to, &me.client)?;
    Ok(record_response(200, &pipeline))
}
