//! The `/api/reports` component: saved and system reports, running them (a saved one or an
//! unsaved definition from the designer), the designer's fields, the funnels, and downloads as
//! CSV or XLSX (`?format=`). All the work is `crm_core::reports`; a report only ever covers
//! the records the caller may read.
//!
//! | path | methods |
//! |---|---|
//! | `/api/reports` | `GET`, `POST` |
//! | `/api/reports/fields?entity=deals` | `GET` |
//! | `/api/reports/run` | `POST {"definition": {...}}` (`?from=&to=&filter[...]=&format=csv\|xlsx`) |
//! | `/api/reports/funnel`, `/api/reports/leads-funnel` | `GET` (`?pipeline_id=&from=&to=`) |
//! | `/api/reports/<id>` | `GET`, `PATCH` (`If-Match`), `DELETE` (`If-Match`) |
//! | `/api/reports/<id>/copy` | `POST` |
//! | `/api/reports/<id>/run` | `GET` (`?from=&to=&pipeline_id=&filter[...]=&format=csv\|xlsx`) |

use crm_core::CoreError;
use crm_core::reports::{export, saved};
use crm_spin_adapter::crud::{created_response, no_content, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::Value;
use spin_sdk::http::Response;

crm_spin_adapter::component!(
    Routes::new("/api/reports")
        .get("", list)
        .post("", create)
        .get("/fields", fields)
        .post("/run", run_unsaved)
        .get("/funnel", funnel)
        .get("/leads-funnel", leads_funnel)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .delete("/<id:id>", delete)
        .post("/<id:id>/copy", copy)
        .get("/<id:id>/run", run)
);

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    Ok(json_response(200, &saved::list(&me.db, &me.caller, &lang)?))
}

fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    created_response(cx.request, &me.db, &me.caller, "/api/reports", |db| {
        saved::create(db, &me.caller, &body, &lang, &me.client)
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    Ok(record_response(
        200,
        &saved::get(&me.db, &me.caller, cx.id("id")?, &lang)?,
    ))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let report = saved::update(
        &me.db,
        &me.caller,
        cx.id("id")?,
        &body,
        cx.if_match()?,
        &lang,
        &me.client,
    )?;
    Ok(record_response(200, &report))
}

fn delete(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    saved::delete(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

fn copy(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let id = cx.id("id")?;
    created_response(cx.request, &me.db, &me.caller, "/api/reports", |db| {
        saved::copy(db, &me.caller, id, &lang, &me.client)
    })
}

fn fields(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let query = cx.query();
    let entity = query
        .iter()
        .find(|(k, _)| k == "entity")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    Ok(json_response(
        200,
        &crm_core::reports::fields(&me.db, &me.caller, entity, &lang)?,
    ))
}

fn run(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let query = cx.query();
    let result = saved::run(&me.db, &me.caller, cx.id("id")?, &query, &lang)?;
    answer(&query, &result, &lang)
}

fn run_unsaved(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let query = cx.query();
    let result = saved::run_unsaved(&me.db, &me.caller, &body, &query, &lang)?;
    answer(&query, &result, &lang)
}

fn funnel(cx: &Cx) -> Answer {
    system(cx, "funnel")
}

fn leads_funnel(cx: &Cx) -> Answer {
    system(cx, "leads_funnel")
}

fn system(cx: &Cx, code: &str) -> Answer {
    let me = cx.signed_in()?;
    let lang = saved::language(&me.db, &me.caller, cx.language())?;
    let query = cx.query();
    let result = saved::run_system(&me.db, &me.caller, code, &query, &lang)?;
    answer(&query, &result, &lang)
}

/// The Result as JSON, or as the download `?format=` asks for.
fn answer(query: &[(String, String)], result: &Value, lang: &str) -> Answer {
    let format = query.iter().find(|(k, _)| k == "format").map(|(_, v)| v.as_str());
    let (bytes, content_type, extension) = match format {
        None | Some("json") => return Ok(json_response(200, result)),
        Some("csv") => (export::csv(result), "text/csv; charset=utf-8", "csv"),
        Some("xlsx") => (
            export::xlsx(result, lang),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Some(other) => {
            return Err(CoreError::BadRequest(format!("format must be json, csv or xlsx, not {other:?}")).into());
        }
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header(
            "content-disposition",
            format!("attachment; filename=\"{}\"", export::file_name(result, extension)),
        )
        .body(bytes)
        .build())
}
