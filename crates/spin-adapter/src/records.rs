//! The HTTP shape of a record entity (`/api/leads`, `/api/contacts`, `/api/deals`...): the
//! collection methods of [`crate::crud`] over the generic record engine in
//! `crm_core::records`, plus the record sub-resources every entity shares, as one route table
//! ([`routes`]):
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
//! A plain entity's component is `component!(records::routes("contact"))`; an entity with
//! actions of its own adds them to the table ([`RecordRoutes::post`]...), each a function of the
//! request and the [`Record`] it addresses (database, caller, definition), and deals and leads
//! take the [`sales`](RecordRoutes::sales) actions they share.

use crm_core::CoreError;
use crm_core::acl::Caller;
use crm_core::records::list::RecordQuery;
use crm_core::records::{EntityDef, service, timeline};
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};

use crate::SpinDb;
use crate::auth::open_signed_in;
use crate::crud::{created_response, no_content, record_response};
use crate::problem::{ApiError, json_response};
use crate::routes::{Answer, Cx, Routes, Serve};

/// A request to a record entity, once routed: the database, the caller and the entity's
/// definition (with its custom fields).
pub struct Record {
    /// The `default` database, migrated.
    pub db: SpinDb,
    /// Who is calling.
    pub caller: Caller,
    /// The entity's definition as stored now.
    pub def: EntityDef,
}

impl Record {
    /// Opens the database, authenticates the caller and loads entity `entity`.
    pub fn open(cx: &Cx, entity: &str) -> Result<Record, ApiError> {
        let (db, caller) = open_signed_in(cx.request)?;
        let def = EntityDef::load_for(&db, &caller, entity)?;
        Ok(Record { db, caller, def })
    }
}

/// The route table of one record entity: the shared shape plus the entity's own actions.
pub struct RecordRoutes {
    entity: &'static str,
    routes: Routes,
}

/// The shared table of entity `entity`, below its resource path (`/api/leads` for `lead`).
pub fn routes(entity: &'static str) -> RecordRoutes {
    let base = EntityDef::builtin(entity).map_or("", |def| def.resource);
    RecordRoutes {
        entity,
        routes: Routes::new(base),
    }
    .get("", |cx, r| {
        let parse = &r.def.parse;
        let query = RecordQuery::parse(&r.def, &cx.query(), parse)?;
        Ok(json_response(
            200,
            &crm_core::records::list::list(&r.db, &r.caller, &r.def, &query)?,
        ))
    })
    .post("", |cx, r| {
        let body: Value = cx.json()?;
        created_response(cx.request, &r.db, &r.caller, r.def.resource, |db| {
            service::create(db, &r.caller, &r.def, &body)
        })
    })
    .get("/fields", |_, r| {
        Ok(json_response(200, &crm_core::records::entity::describe(&r.def)))
    })
    .post("/bulk", |cx, r| {
        let body: Value = cx.json()?;
        let parse = &r.def.parse;
        Ok(json_response(
            200,
            &crm_core::records::bulk::run(&r.db, &r.caller, &r.def, &body, parse)?,
        ))
    })
    .get("/<id:id>", |cx, r| {
        Ok(record_response(
            200,
            &service::get(&r.db, &r.caller, &r.def, cx.id("id")?)?,
        ))
    })
    .patch("/<id:id>", |cx, r| {
        let body: Value = cx.json()?;
        let record = service::update(&r.db, &r.caller, &r.def, cx.id("id")?, &body, cx.if_match()?)?;
        Ok(record_response(200, &record))
    })
    .delete("/<id:id>", |cx, r| {
        service::delete(&r.db, &r.caller, &r.def, cx.id("id")?, cx.if_match()?)?;
        Ok(no_content())
    })
    .get("/<id:id>/timeline", |cx, r| {
        let pairs = cx.query();
        let (limit, cursor) = page_params(&pairs)?;
        let page = timeline::list(&r.db, &r.caller, &r.def, cx.id("id")?, limit, cursor.as_deref())?;
        Ok(json_response(200, &page))
    })
    .post("/<id:id>/merge", |cx, r| {
        let body: Value = cx.json()?;
        Ok(record_response(
            200,
            &crm_core::records::merge::merge(&r.db, &r.caller, &r.def, cx.id("id")?, &body)?,
        ))
    })
}

impl RecordRoutes {
    /// Adds an action: `action` answers `method` on the resource path + `pattern`.
    pub fn route(
        mut self,
        method: Method,
        pattern: &str,
        action: impl Fn(&Cx, &Record) -> Answer + 'static,
    ) -> RecordRoutes {
        let entity = self.entity;
        self.routes = self
            .routes
            .route(method, pattern, move |cx| action(cx, &Record::open(cx, entity)?));
        self
    }

    /// A `GET` action.
    pub fn get(self, pattern: &str, action: impl Fn(&Cx, &Record) -> Answer + 'static) -> RecordRoutes {
        self.route(Method::Get, pattern, action)
    }

    /// A `POST` action.
    pub fn post(self, pattern: &str, action: impl Fn(&Cx, &Record) -> Answer + 'static) -> RecordRoutes {
        self.route(Method::Post, pattern, action)
    }

    /// A `PUT` action.
    pub fn put(self, pattern: &str, action: impl Fn(&Cx, &Record) -> Answer + 'static) -> RecordRoutes {
        self.route(Method::Put, pattern, action)
    }

    /// A `PATCH` action.
    pub fn patch(self, pattern: &str, action: impl Fn(&Cx, &Record) -> Answer + 'static) -> RecordRoutes {
        self.route(Method::Patch, pattern, action)
    }

    /// A `DELETE` action.
    pub fn delete(self, pattern: &str, action: impl Fn(&Cx, &Record) -> Answer + 'static) -> RecordRoutes {
        self.route(Method::Delete, pattern, action)
    }

    /// The actions deals and leads share: `GET /board` (a column per stage or status) and
    /// `GET`/`PUT /<id>/products` (line items).
    pub fn sales(self) -> RecordRoutes {
        self.get("/board", |cx, r| {
            let parse = &r.def.parse;
            let board = crm_core::records::board::board(&r.db, &r.caller, &r.def, &cx.query(), parse)?;
            Ok(json_response(200, &board))
        })
        .get("/<id:id>/products", |cx, r| {
            Ok(json_response(
                200,
                &crm_core::records::line_items::get(&r.db, &r.caller, &r.def, cx.id("id")?)?,
            ))
        })
        .put("/<id:id>/products", |cx, r| {
            let body: Value = cx.json()?;
            let items = crm_core::records::line_items::replace(&r.db, &r.caller, &r.def, cx.id("id")?, &body)?;
            Ok(json_response(200, &items))
        })
    }

    /// Routes that are not the entity's records (another base, no [`Record`]).
    pub fn merge(mut self, other: Routes) -> RecordRoutes {
        self.routes = self.routes.merge(other);
        self
    }

    /// The finished table.
    pub fn into_routes(self) -> Routes {
        self.routes
    }
}

impl Serve for RecordRoutes {
    fn serve(&self, request: &Request) -> Response {
        self.routes.serve(request)
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
    use crate::routes::Found;

    #[test]
    fn the_shared_shape_and_an_entitys_actions_share_one_table() {
        let routes = routes("deal")
            .sales()
            .post("/<id:id>/move", |_, _| Ok(no_content()))
            .into_routes();
        let cases: &[(Method, &str, bool)] = &[
            (Method::Get, "/api/deals", true),
            (Method::Post, "/api/deals/", true),
            (Method::Get, "/api/deals/fields", true),
            (Method::Post, "/api/deals/bulk", true),
            (Method::Get, "/api/deals/7", true),
            (Method::Get, "/api/deals/7/timeline", true),
            (Method::Post, "/api/deals/7/merge", true),
            (Method::Get, "/api/deals/board", true),
            (Method::Put, "/api/deals/7/products", true),
            (Method::Post, "/api/deals/7/move", true),
        ];
        for (method, path, _) in cases {
            assert!(matches!(routes.find(method, path), Found::Route(..)), "{method} {path}");
        }
        for path in [
            "/api/deals/7/convert",
            "/api/deals/x",
            "/api/deals/0",
            "/api/deals/7/timeline/1",
            "/api/leads",
        ] {
            assert_eq!(routes.find(&Method::Get, path), Found::NotFound, "{path}");
        }
        assert_eq!(
            routes.find(&Method::Put, "/api/deals"),
            Found::MethodNotAllowed(vec!["GET", "POST"])
        );
        assert_eq!(
            routes.find(&Method::Post, "/api/deals/7"),
            Found::MethodNotAllowed(vec!["GET", "PATCH", "DELETE"])
        );
        assert_eq!(
            routes.find(&Method::Delete, "/api/deals/7/products"),
            Found::MethodNotAllowed(vec!["GET", "PUT"])
        );
        assert_eq!(
            routes.find(&Method::Get, "/api/deals/7/move"),
            Found::MethodNotAllowed(vec!["POST"])
        );
    }
}
