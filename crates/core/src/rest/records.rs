//! The record methods `crm.{lead,contact,company,deal,product,activity}.{add,get,list,update,delete,fields}`:
//! Bitrix24's field names and value codes mapped onto the record engine (issue 19).
//!
//! Every method runs through the engine as the caller (`records::service`, `records::list`),
//! so the webhook user's permissions apply exactly as on `/api/...`: a record they may not
//! read is "Not found", a write they may not do 403 `INVALID_CREDENTIALS`. The six entities
//! differ only by their field maps ([`map`]); the handlers are one set of functions over a map.
//! [`write`] turns Bitrix24's `fields` into the engine's body, [`read`] a record back,
//! [`query`] a list's `filter`/`order`/`select` into our list language, [`describe`] the
//! `fields` method.

mod describe;
pub mod map;
mod query;
mod read;
mod write;

use std::cell::OnceCell;

use serde_json::{Value as Json, json};

use super::methods::Method;
use super::values::{FirmZone, id_param, page_reply_known, start_param};
use super::{Call, Reply, RestError};
use crate::db::{Db, transaction};
use crate::error::CoreError;
use crate::records::{EntityDef, list, service};
use map::{Conv, EntityMap, custom_name};

/// One call's view of an entity: its definition (with custom fields), its map, the firm's zone
/// and default pipeline (each read once, when first needed), and whether it creates.
pub struct Ctx<'a> {
    db: &'a dyn Db,
    def: EntityDef,
    map: &'static EntityMap,
    zone: FirmZone<'a>,
    default_pipeline: OnceCell<Option<i64>>,
    creating: bool,
}

impl<'a> Ctx<'a> {
    fn new(call: &Call<'a>, map: &'static EntityMap, creating: bool) -> Result<Self, RestError> {
        let db = call.db;
        let def = EntityDef::load_for(db, call.caller, map.entity)?;
        Ok(Ctx {
            db,
            def,
            map,
            zone: FirmZone::of_call(call),
            default_pipeline: OnceCell::new(),
            creating,
        })
    }

    fn creating(&self) -> bool {
        self.creating
    }

    /// The default pipeline's id (Bitrix24's category 0).
    fn default_pipeline(&self) -> Option<i64> {
        *self
            .default_pipeline
            .get_or_init(|| crate::records::pipelines::default_pipeline(self.db).ok())
    }

    /// The engine's refusal with our field names put back as Bitrix24's (`amount` ->
    /// `OPPORTUNITY`, `custom.uf_size` -> `UF_CRM_SIZE`).
    fn error(&self, error: CoreError) -> RestError {
        let CoreError::Validation(errors) = error else {
            return error.into();
        };
        let text: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", self.bitrix_path(&e.field), e.message))
            .collect();
        RestError::invalid(text.join("; "))
    }

    fn bitrix_path(&self, path: &str) -> String {
        if let Some(rest) = path.strip_prefix("custom.") {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            return format!("{}{}", custom_name(&rest[..end]), &rest[end..]);
        }
        let end = path.find(['.', '[']).unwrap_or(path.len());
        let (head, tail) = path.split_at(end);
        let name = self
            .map
            .fields()
            .filter(|m| m.ours == head && !matches!(m.conv, Conv::Has | Conv::FirstOf | Conv::OwnerType))
            .map(|m| m.name)
            .next();
        match name {
            Some(name) => format!("{name}{tail}"),
            None => path.to_owned(),
        }
    }
}

fn fields_param<'c>(call: &'c Call) -> &'c Json {
    static EMPTY: Json = Json::Null;
    call.param("fields").unwrap_or(&EMPTY)
}

fn add(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let cx = Ctx::new(call, map, true)?;
    let fields = fields_param(call);
    if !fields.is_object() {
        return Err(RestError::invalid_arg("fields must be an object"));
    }
    let body = write::body(&cx, fields, None)?;
    let created = service::create(call.db, call.caller, &cx.def, &body).map_err(|e| cx.error(e))?;
    Ok(Reply::of(json!(created["id"].as_i64())))
}

fn get(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let cx = Ctx::new(call, map, false)?;
    let record = service::get(call.db, call.caller, &cx.def, id)?;
    Ok(Reply::of(read::record(&cx, &record, &read::Selection::All)))
}

fn update(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let cx = Ctx::new(call, map, false)?;
    let fields = fields_param(call);
    if !fields.is_object() {
        return Err(RestError::invalid_arg("fields must be an object"));
    }
    // The read and the write are one transaction; a refusal of the fields themselves leaves
    // it having written nothing.
    let written = transaction(call.db, |db| {
        let before = service::get(db, call.caller, &cx.def, id)?;
        match write::body(&cx, fields, Some(&before)) {
            Ok(body) => service::update(db, call.caller, &cx.def, id, &body, None).map(|_| Ok(())),
            Err(refused) => Ok(Err(refused)),
        }
    });
    written.map_err(|e| cx.error(e))??;
    Ok(Reply::of(json!(true)))
}

fn delete(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let cx = Ctx::new(call, map, false)?;
    service::delete(call.db, call.caller, &cx.def, id, None)?;
    Ok(Reply::of(json!(true)))
}

fn list(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let start = start_param(call)?;
    let cx = Ctx::new(call, map, false)?;
    let query = query::list_query(&cx, call, start.unwrap_or(0), start.is_some())?;
    let page = list::list(call.db, call.caller, &cx.def, &query)?;
    let selection = query::selection(call);
    let rows: Vec<Json> = page["items"]
        .as_array()
        .map(|items| items.iter().map(|r| read::record(&cx, r, &selection)).collect())
        .unwrap_or_default();
    let more = !page["next_cursor"].is_null();
    let total = page["total"].as_u64();
    Ok(page_reply_known(rows, start, total, more))
}

fn fields(call: &Call, map: &'static EntityMap) -> Result<Reply, RestError> {
    let cx = Ctx::new(call, map, false)?;
    Ok(Reply::of(describe::fields(&cx)))
}

/// One entity's six handlers, as plain functions for the method table.
macro_rules! entity_methods {
    ($module:ident, $map:expr) => {
        mod $module {
            use super::{Call, Reply, RestError};
            pub fn add(call: &Call) -> Result<Reply, RestError> {
                super::add(call, &$map)
            }
            pub fn get(call: &Call) -> Result<Reply, RestError> {
                super::get(call, &$map)
            }
            pub fn list(call: &Call) -> Result<Reply, RestError> {
                super::list(call, &$map)
            }
            pub fn update(call: &Call) -> Result<Reply, RestError> {
                super::update(call, &$map)
            }
            pub fn delete(call: &Call) -> Result<Reply, RestError> {
                super::delete(call, &$map)
            }
            pub fn fields(call: &Call) -> Result<Reply, RestError> {
                super::fields(call, &$map)
            }
        }
    };
}

entity_methods!(lead, super::map::LEAD);
entity_methods!(contact, super::map::CONTACT);
entity_methods!(company, super::map::COMPANY);
entity_methods!(deal, super::map::DEAL);
entity_methods!(product, super::map::PRODUCT);
entity_methods!(activity, super::map::ACTIVITY);

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.lead.add", "crm", lead::add),
    ("crm.lead.get", "crm", lead::get),
    ("crm.lead.list", "crm", lead::list),
    ("crm.lead.update", "crm", lead::update),
    ("crm.lead.delete", "crm", lead::delete),
    ("crm.lead.fields", "crm", lead::fields),
    ("crm.contact.add", "crm", contact::add),
    ("crm.contact.get", "crm", contact::get),
    ("crm.contact.list", "crm", contact::list),
    ("crm.contact.update", "crm", contact::update),
    ("crm.contact.delete", "crm", contact::delete),
    ("crm.contact.fields", "crm", contact::fields),
    ("crm.company.add", "crm", company::add),
    ("crm.company.get", "crm", company::get),
    ("crm.company.list", "crm", company::list),
    ("crm.company.update", "crm", company::update),
    ("crm.company.delete", "crm", company::delete),
    ("crm.company.fields", "crm", company::fields),
    ("crm.deal.add", "crm", deal::add),
    ("crm.deal.get", "crm", deal::get),
    ("crm.deal.list", "crm", deal::list),
    ("crm.deal.update", "crm", deal::update),
    ("crm.deal.delete", "crm", deal::delete),
    ("crm.deal.fields", "crm", deal::fields),
    ("crm.product.add", "crm", product::add),
    ("crm.product.get", "crm", product::get),
    ("crm.product.list", "crm", product::list),
    ("crm.product.update", "crm", product::update),
    ("crm.product.delete", "crm", product::delete),
    ("crm.product.fields", "crm", product::fields),
    ("crm.activity.add", "crm", activity::add),
    ("crm.activity.get", "crm", activity::get),
    ("crm.activity.list", "crm", activity::list),
    ("crm.activity.update", "crm", activity::update),
    ("crm.activity.delete", "crm", activity::delete),
    ("crm.activity.fields", "crm", activity::fields),
];
