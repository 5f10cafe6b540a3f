//! The one HTTP shape of a collection resource (API.md "Methods"), shared by every
//! component whose records are plain CRUD: `GET /x` lists, `POST /x` creates (201 +
//! `Location`), `GET /x/<id>` reads (`ETag: "<version>"`), `PATCH` merges with `If-Match`,
//! `DELETE` removes (204); a `POST` with `Idempotency-Key` is answered once and replayed after.
//! A component names its core functions in a [`Crud`], which is its route table
//! ([`Crud::routes`], or the `Crud` itself given to [`crate::component!`]); authentication,
//! parsing and errors happen here, once. The response helpers ([`created_response`],
//! [`record_response`], [`no_content`]) serve the other tables too.

use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::idempotency::{self, Outcome, StoredResponse};
use crm_core::resource::{ListQuery, Page};
use crm_core::{CoreError, Db};
use serde_json::Value;
use spin_sdk::http::{Request, Response};

use crate::problem::{ApiError, json_response};
use crate::routes::{Routes, Serve};

/// `update(db, caller, id, merge_patch, if_match_version, client)`.
pub type UpdateFn = fn(&dyn Db, &Caller, i64, &Value, Option<i64>, &ClientInfo) -> Result<Value, CoreError>;
/// `delete(db, caller, id, if_match_version, client)`.
pub type DeleteFn = fn(&dyn Db, &Caller, i64, Option<i64>, &ClientInfo) -> Result<(), CoreError>;

/// A collection's core functions.
#[derive(Clone, Copy)]
pub struct Crud {
    /// The collection's path, e.g. `/api/users` (for `Location`).
    pub resource: &'static str,
    /// Filter names `GET` accepts (`filter[<name>]=`).
    pub filters: &'static [&'static str],
    /// Lists a page.
    pub list: fn(&dyn Db, &Caller, &ListQuery) -> Result<Page, CoreError>,
    /// Reads one record.
    pub get: fn(&dyn Db, &Caller, i64) -> Result<Value, CoreError>,
    /// Creates from a JSON body.
    pub create: fn(&dyn Db, &Caller, &Value, &ClientInfo) -> Result<Value, CoreError>,
    /// Merge-patches, checking the `If-Match` version.
    pub update: UpdateFn,
    /// Deletes (or deactivates), checking the `If-Match` version.
    pub delete: DeleteFn,
}

impl Crud {
    /// The collection's route table: `""` and `/<id:id>` below [`Crud::resource`].
    pub fn routes(self) -> Routes {
        let crud = self;
        Routes::new(crud.resource)
            .get("", move |cx| {
                let me = cx.signed_in()?;
                let query = ListQuery::parse(&cx.query(), crud.filters)?;
                Ok(json_response(200, &(crud.list)(&me.db, &me.caller, &query)?))
            })
            .post("", move |cx| {
                let me = cx.signed_in()?;
                let body: Value = cx.json()?;
                created_response(cx.request, &me.db, &me.caller, crud.resource, |db| {
                    (crud.create)(db, &me.caller, &body, &me.client)
                })
            })
            .get("/<id:id>", move |cx| {
                let me = cx.signed_in()?;
                Ok(record_response(200, &(crud.get)(&me.db, &me.caller, cx.id("id")?)?))
            })
            .patch("/<id:id>", move |cx| {
                let me = cx.signed_in()?;
                let body: Value = cx.json()?;
                let record = (crud.update)(&me.db, &me.caller, cx.id("id")?, &body, cx.if_match()?, &me.client)?;
                Ok(record_response(200, &record))
            })
            .delete("/<id:id>", move |cx| {
                let me = cx.signed_in()?;
                (crud.delete)(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
                Ok(no_content())
            })
    }
}

impl Serve for Crud {
    fn serve(&self, request: &Request) -> Response {
        self.routes().serve(request)
    }
}

/// Runs `create` and answers 201 with `Location: <resource>/<id>` and the record, once per
/// `Idempotency-Key` (per caller and resource): a repeat within 24 h gets the stored response.
pub fn created_response(
    request: &Request,
    db: &dyn Db,
    caller: &Caller,
    resource: &str,
    create: impl FnOnce(&dyn Db) -> Result<Value, CoreError>,
) -> Result<Response, ApiError> {
    created_with_location(request, db, caller, resource, |db| {
        let record = create(db)?;
        let location = format!("{resource}/{}", record["id"]);
        Ok((record, location))
    })
}

/// Answers a `POST` that creates a record not addressed by an integer `id` (e.g. a dictionary
/// entry, by its code): `create` returns the record and its `Location` path. 201 with
/// `Location`, `ETag` and the record, once per `Idempotency-Key` (per caller and `resource`): a
/// repeat within 24 h gets the stored response and creates nothing.
pub fn created_with_location(
    request: &Request,
    db: &dyn Db,
    caller: &Caller,
    resource: &str,
    create: impl FnOnce(&dyn Db) -> Result<(Value, String), CoreError>,
) -> Result<Response, ApiError> {
    let run = |db: &dyn Db| -> Result<StoredResponse, CoreError> {
        let (record, location) = create(db)?;
        Ok(StoredResponse {
            status: 201,
            location: Some(location),
            body: record.to_string(),
        })
    };
    let outcome = match request.header("idempotency-key").and_then(|v| v.as_str()) {
        Some(key) => {
            let scope = format!("user:{} POST {resource}", caller.user_id);
            idempotency::once(db, &scope, key, run)?
        }
        None => Outcome::Fresh(run(db)?),
    };
    Ok(stored_response(outcome))
}

/// A created record's response, first made or replayed (`Idempotent-Replayed: true`).
fn stored_response(outcome: Outcome) -> Response {
    let (stored, replayed) = match outcome {
        Outcome::Fresh(s) => (s, false),
        Outcome::Replayed(s) => (s, true),
    };
    let record: Value = serde_json::from_str(&stored.body).unwrap_or(Value::Null);
    let mut response = record_response(stored.status, &record);
    if let Some(location) = stored.location {
        response.set_header("location", location);
    }
    if replayed {
        response.set_header("idempotent-replayed", "true");
    }
    response
}

/// `204 No Content`.
pub fn no_content() -> Response {
    Response::builder().status(204).build()
}

/// A record with its `ETag: "<version>"`.
pub fn record_response(status: u16, record: &Value) -> Response {
    let mut response = json_response(status, record);
    if let Some(version) = record.get("version").and_then(Value::as_i64) {
        response.set_header("etag", format!("\"{version}\""));
    }
    response
}
