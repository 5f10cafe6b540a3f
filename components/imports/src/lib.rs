//! The `/api/imports` component: import jobs. An upload is the file as the raw body (any
//! content type; settings in the query) or `multipart/form-data` with a `file` part (settings
//! as form fields or in the query), up to 50 MiB; the rest is `crm_core::io::imports`. Every
//! call needs the role's `import` permission on the import's entity; each row is written
//! through the record engine as the caller.
//!
//! | path | methods |
//! |---|---|
//! | `/api/imports` | `GET`, `POST` (`?entity=&file_name=&encoding=&delimiter=&header=&sheet=`) |
//! | `/api/imports/<id>` | `GET`, `PATCH` (`If-Match`) |
//! | `/api/imports/<id>/dry-run` | `POST` (`?offset=&limit=`) |
//! | `/api/imports/<id>/step` | `POST` (`?rows=`) |
//! | `/api/imports/<id>/cancel`, `/api/imports/<id>/rollback` | `POST` |
//! | `/api/imports/<id>/rejected` | `GET` (CSV) |

use crm_core::CoreError;
use crm_core::io::imports::{self, MAX_FILE_BYTES, Upload, multipart};
use crm_spin_adapter::crud::{created_response, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::Value;
use spin_sdk::http::Response;

crm_spin_adapter::component!(
    Routes::new("/api/imports")
        .get("", list)
        .post("", upload)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .post("/<id:id>/dry-run", dry_run)
        .post("/<id:id>/step", step)
        .post("/<id:id>/cancel", cancel)
        .post("/<id:id>/rollback", rollback)
        .get("/<id:id>/rejected", rejected)
);

/// Slack for the multipart envelope and fields around a file at the limit.
const MULTIPART_SLACK: usize = 64 * 1024;

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(200, &imports::list(&me.db, &me.caller)?))
}

fn upload(cx: &Cx) -> Answer {
    let body = cx.request.body();
    let content_type = cx.header("content-type");
    let multipart = multipart::is_multipart(content_type);
    let limit = if multipart {
        MAX_FILE_BYTES + MULTIPART_SLACK
    } else {
        MAX_FILE_BYTES
    };
    if body.len() > limit {
        return Err(CoreError::TooLarge { limit: MAX_FILE_BYTES }.into());
    }
    let me = cx.signed_in()?;
    let mut upload = Upload {
        settings: cx.query(),
        part_file_name: None,
        bytes: body,
    };
    if multipart {
        let form = multipart::parse(content_type.unwrap_or_default(), body)?;
        let Some((bytes, name)) = form.file else {
            return Err(CoreError::BadRequest("the multipart body has no `file` part".into()).into());
        };
        upload.bytes = bytes;
        upload.part_file_name = name;
        upload.settings.extend(form.fields);
    }
    created_response(cx.request, &me.db, &me.caller, "/api/imports", |db| {
        imports::upload(db, &me.caller, &upload)
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(200, &imports::get(&me.db, &me.caller, cx.id("id")?)?))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let answer = imports::update(&me.db, &me.caller, cx.id("id")?, &body, cx.if_match()?)?;
    Ok(record_response(200, &answer))
}

/// The integer query parameters `names` (400 for another parameter or a bad number).
fn numbers<const N: usize>(cx: &Cx, names: [&str; N]) -> Result<[Option<i64>; N], CoreError> {
    let mut out = [None; N];
    for (key, value) in cx.query() {
        let Some(i) = names.iter().position(|n| *n == key) else {
            return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}")));
        };
        out[i] = Some(
            value
                .parse()
                .map_err(|_| CoreError::BadRequest(format!("{key} must be a whole number")))?,
        );
    }
    Ok(out)
}

fn dry_run(cx: &Cx) -> Answer {
    let [offset, limit] = numbers(cx, ["offset", "limit"])?;
    let me = cx.signed_in()?;
    Ok(json_response(
        200,
        &imports::dry_run(&me.db, &me.caller, cx.id("id")?, offset, limit)?,
    ))
}

fn step(cx: &Cx) -> Answer {
    let [rows] = numbers(cx, ["rows"])?;
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &imports::step(&me.db, &me.caller, cx.id("id")?, rows)?,
    ))
}

fn cancel(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &imports::cancel(&me.db, &me.caller, cx.id("id")?)?,
    ))
}

fn rollback(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &imports::rollback(&me.db, &me.caller, cx.id("id")?)?,
    ))
}

fn rejected(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let (bytes, name) = imports::rejected::csv(&me.db, &me.caller, cx.id("id")?)?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{name}\""))
        .body(bytes)
        .build())
}
