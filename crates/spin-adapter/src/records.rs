//! The HTTP shape of a record entity (`/api/leads`, `/api/contacts`, `/api/companies`, later
//! deals...): the collection methods of [`crate::crud`] over the generic record engine in
//! `crm_core::records`, plus the record sub-resources every entity shares:
//!
//! | path | methods |
//! |---|---|
//! | `/` | `GET` list (API.md "Lists"), `POST` create (`Idempotency-Key`) |
//! | `/fields` | `GET` the entity's field definitions (built-in and custom) |
//! | `/bulk` | `POST` assign, set a field or delete, by ids or filter |
//! | `/<id>` | `GET`, `PATCH` (`If-Match`), `DELETE` (`If-Match`) |
//! | `/<id>/timeline` | `GET` newest first (`limit`, `cursor`) |
//! | `/<id>/merge` | `POST {"from": [ids]}` |
//!
//! A component is one line: `records::serve(&request, "lead")`; an entity with actions of its
//! own (`/api/deals/board`, `/api/leads/<id>/convert`) passes them to [`serve_with`].

use crm_core::CoreError;
use crm_core::acl::Caller;
use crm_core::records::list::RecordQuery;
use crm_core::records::{EntityDef, service, timeline};
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};

use crate::auth::authenticate;
use crate::crud::{created_response, record_response};
use crate::problem::{ApiError, error_response, json_response};
use crate::request::{RequestError, json_body};
use crate::route::{if_match, path_info, query_pairs};
use crate::{SpinDb, SpinKv};

/// What a path below an entity's route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordTarget<'a> {
    /// The collection.
    Collection,
    /// A collection-level action (`fields`, `bulk`).
    CollectionAction(&'a str),
    /// One record.
    Item(i64),
    /// A record-level action (`timeline`, `merge`).
    ItemAction(i64, &'a str),
}

fn parse_id(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}

/// Reads a path below the entity's route; `None` is a 404.
pub fn record_target(path_info: &str) -> Option<RecordTarget<'_>> {
    let path = path_info.trim_end_matches('/');
    if path.is_empty() {
        return Some(RecordTarget::Collection);
    }
    let mut parts = path.strip_prefix('/')?.split('/');
    let first = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let is_action = |a: &str| !a.is_empty() && a.len() <= 40 && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    match (parse_id(first), second) {
        (Some(id), None) => Some(RecordTarget::Item(id)),
        (Some(id), Some(action)) if is_action(action) => Some(RecordTarget::ItemAction(id, action)),
        (None, None) if is_action(first) => Some(RecordTarget::CollectionAction(first)),
        _ => None,
    }
}

/// An entity's own actions: answers the targets it knows (`None` for the others, which are
/// then a 404).
pub type Extra = fn(&Request, &SpinDb, &Caller, &EntityDef, RecordTarget) -> Option<Result<Response, ApiError>>;

/// Answers a request to entity `entity`'s routes.
pub fn serve(request: &Request, entity: &str) -> Response {
    serve_with(request, entity, |_, _, _, _, _| None)
}

/// [`serve`], with the entity's own actions tried for paths the shared shape does not know.
pub fn serve_with(request: &Request, entity: &str, extra: Extra) -> Response {
    handle(request, entity, extra).unwrap_or_else(|e| error_response(&e))
}

fn not_allowed(allow: &[&'static str]) -> ApiError {
    RequestError::MethodNotAllowed { allow: allow.to_vec() }.into()
}

fn handle(request: &Request, entity: &str, extra: Extra) -> Result<Response, ApiError> {
    let target = record_target(path_info(request)).ok_or(CoreError::NotFound)?;
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller: Caller = authenticate(request, &db, &kv)?;
    let def = EntityDef::load(&db, entity)?;
    let method = request.method();
    match (target, method) {
        (RecordTarget::Collection, Method::Get) => {
            let cx = service::parse_context(&db)?;
            let query = RecordQuery::parse(&def, &query_pairs(request), &cx)?;
            Ok(json_response(
                200,
                &crm_core::records::list::list(&db, &caller, &def, &query)?,
            ))
        }
        (RecordTarget::Collection, Method::Post) => {
            let body: Value = json_body(request)?;
            created_response(request, &db, &caller, def.resource, |db| {
                service::create(db, &caller, &def, &body)
            })
        }
        (RecordTarget::Collection, _) => Err(not_allowed(&["GET", "POST"])),
        (RecordTarget::CollectionAction("fields"), Method::Get) => {
            Ok(json_response(200, &crm_core::records::entity::describe(&def)))
        }
        (RecordTarget::CollectionAction("fields"), _) => Err(not_allowed(&["GET"])),
        (RecordTarget::CollectionAction("bulk"), Method::Post) => {
            let body: Value = json_body(request)?;
            let cx = service::parse_context(&db)?;
            Ok(json_response(
                200,
                &crm_core::records::bulk::run(&db, &caller, &def, &body, &cx)?,
            ))
        }
        (RecordTarget::CollectionAction("bulk"), _) => Err(not_allowed(&["POST"])),
        (RecordTarget::Item(id), Method::Get) => Ok(record_response(200, &service::get(&db, &caller, &def, id)?)),
        (RecordTarget::Item(id), Method::Patch) => {
            let body: Value = json_body(request)?;
            let version = if_match(request)?;
            Ok(record_response(
                200,
                &service::update(&db, &caller, &def, id, &body, version)?,
            ))
        }
        (RecordTarget::Item(id), Method::Delete) => {
            service::delete(&db, &caller, &def, id, if_match(request)?)?;
            Ok(Response::builder().status(204).build())
        }
        (RecordTarget::Item(_), _) => Err(not_allowed(&["GET", "PATCH", "DELETE"])),
        (RecordTarget::ItemAction(id, "timeline"), Method::Get) => {
            let (limit, cursor) = page_params(&query_pairs(request))?;
            Ok(json_response(
                200,
                &timeline::list(&db, &caller, &def, id, limit, cursor.as_deref())?,
            ))
        }
        (RecordTarget::ItemAction(_, "timeline"), _) => Err(not_allowed(&["GET"])),
        (RecordTarget::ItemAction(id, "merge"), Method::Post) => {
            let body: Value = json_body(request)?;
            Ok(record_response(
                200,
                &crm_core::records::merge::merge(&db, &caller, &def, id, &body)?,
            ))
        }
        (RecordTarget::ItemAction(_, "merge"), _) => Err(not_allowed(&["POST"])),
        (target, _) => extra(request, &db, &caller, &def, target).unwrap_or(Err(CoreError::NotFound.into())),
    }
}

/// The actions deals and leads share: `GET /board`, and `GET`/`PUT /<id>/products` (line
/// items). An [`Extra`] for their components, to try before their own.
pub fn sales_actions(
    request: &Request,
    db: &SpinDb,
    caller: &Caller,
    def: &EntityDef,
    target: RecordTarget,
) -> Option<Result<Response, ApiError>> {
    if !matches!(
        target,
        RecordTarget::CollectionAction("board") | RecordTarget::ItemAction(_, "products")
    ) {
        return None;
    }
    Some(sales_action(request, db, caller, def, target))
}

fn sales_action(
    request: &Request,
    db: &SpinDb,
    caller: &Caller,
    def: &EntityDef,
    target: RecordTarget,
) -> Result<Response, ApiError> {
    match (target, request.method()) {
        (RecordTarget::CollectionAction("board"), Method::Get) => {
            let cx = service::parse_context(db)?;
            let board = crm_core::records::board::board(db, caller, def, &query_pairs(request), &cx)?;
            Ok(json_response(200, &board))
        }
        (RecordTarget::CollectionAction("board"), _) => Err(not_allowed(&["GET"])),
        (RecordTarget::ItemAction(id, "products"), Method::Get) => Ok(json_response(
            200,
            &crm_core::records::line_items::get(db, caller, def, id)?,
        )),
        (RecordTarget::ItemAction(id, "products"), Method::Put) => {
            let body: Value = json_body(request)?;
            Ok(json_response(
                200,
                &crm_core::records::line_items::replace(db, caller, def, id, &body)?,
            ))
        }
        (RecordTarget::ItemAction(_, "products"), _) => Err(not_allowed(&["GET", "PUT"])),
        _ => Err(CoreError::NotFound.into()),
    }
}

/// `limit` and `cursor` of a simple page (anything else is a 400 naming it).
fn page_params(pairs: &[(String, String)]) -> Result<(u32, Option<String>), CoreError> {
    let query = crm_core::resource::ListQuery::parse(
        &pairs.iter().filter(|(k, _)| k != "cursor").cloned().collect::<Vec<_>>(),
        &[],
    )?;
    let cursor = pairs.iter().find(|(k, _)| k == "cursor").map(|(_, v)| v.clone());
    Ok((query.limit, cursor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_collections_items_and_their_actions() {
        let cases = [
            ("", Some(RecordTarget::Collection)),
            ("/", Some(RecordTarget::Collection)),
            ("/fields", Some(RecordTarget::CollectionAction("fields"))),
            ("/bulk", Some(RecordTarget::CollectionAction("bulk"))),
            ("/7", Some(RecordTarget::Item(7))),
            ("/7/timeline", Some(RecordTarget::ItemAction(7, "timeline"))),
            ("/7/merge/", Some(RecordTarget::ItemAction(7, "merge"))),
            ("/0", None),
            ("/7/convert", Some(RecordTarget::ItemAction(7, "convert"))),
            ("/board", Some(RecordTarget::CollectionAction("board"))),
            ("/7/Other", None),
            ("/x", Some(RecordTarget::CollectionAction("x"))),
            ("/x1", None),
            ("/7/timeline/1", None),
        ];
        for (path, expected) in cases {
            assert_eq!(record_target(path), expected, "{path}");
        }
    }
}
