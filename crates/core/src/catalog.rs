//! The product catalog around the `product` record entity
//! (`crate::records::entities::product`): the tree of product sections
//! (`/api/product-sections`) and the product picker (`/api/products/picker`) that forms use
//! to add products to a deal or an invoice.
//!
//! Sections are a tree (`parent_id`) that stays a tree: a parent that does not exist is
//! refused (`parent_id`/`not_found`), and so is one that is the section itself or lies below it
//! (`parent_id`/`cycle`). A section that still holds products or sub-sections cannot be
//! deleted (409). Reading needs the `product` read permission, writing its add, update or
//! delete permission (403); each write is ONE transaction together with its audit row.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::list::{RecordQuery, list as list_records};
use crate::resource::{Body, Changes, ListQuery, Page, Patch, Where, audit, check_version, opt_i64, time};

/// The filters the section list accepts (`filter[parent_id]=3`).
pub const FILTERS: &[&str] = &["parent_id"];

/// The most products the picker returns.
pub const PICKER_LIMIT: u32 = 20;

/// The product fields the picker returns.
pub const PICKER_FIELDS: &str = "id,name,sku,price,currency,unit,vat_rate,vat_included";

const WRITABLE: &[&str] = &["name", "parent_id", "sort"];

const COLUMNS: &str = "id, name, parent_id, sort, version, created_at, updated_at, created_by, updated_by";

/// Lists sections by id ascending (`filter[parent_id]`); `product` read.
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Product, Action::Read)?;
    let mut filter = Where::default();
    if let Some(parent) = query.filter_i64("parent_id")? {
        filter.and("parent_id = ?", [parent.into()]);
    }
    filter.page(db, &format!("SELECT {COLUMNS} FROM product_sections"), query, |row| {
        Ok(record(row))
    })
}

/// One section; 404 if there is none. `product` read.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Product, Action::Read)?;
    load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
}

/// Creates a section from `{name, parent_id?, sort?}` (`sort` defaults to 100); `product` add.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Product, Action::Add)?;
    let input = Input::parse(body, true)?;
    transaction(db, |db| {
        input.check_parent(db, None)?;
        let Patch::Set(name) = &input.name else {
            return Err(CoreError::Internal("create input lacks a name".into()));
        };
        let parent = match input.parent_id {
            Patch::Set(parent) => Value::from(parent),
            _ => Value::Null,
        };
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO product_sections (name, parent_id, sort, version, created_at, updated_at, created_by, \
             updated_by) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            &[
                name.as_str().into(),
                parent,
                input.sort.unwrap_or(100).into(),
                now.into(),
                now.into(),
                caller.user_id.into(),
                caller.user_id.into(),
            ],
        )?;
        let id = db.last_insert_id()?;
        audit(
            db,
            caller,
            "product_section.created",
            ("product_section", id),
            json!({ "fields": input.given, "name": name }),
            client,
        )?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Changes a section with a JSON merge-patch (`parent_id: null` moves it to the top level);
/// 412 on a stale `if_match`. `product` update.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Product, Action::Update)?;
    let input = Input::parse(body, false)?;
    transaction(db, |db| {
        let (current, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        input.check_parent(db, Some(id))?;
        let mut changes = Changes::default();
        if let Patch::Set(name) = &input.name {
            changes.set_if(*name != current.name, "name", "name", name.as_str());
        }
        if let Some(parent) = input.parent_id.change() {
            changes.set_if(parent != current.parent_id, "parent_id", "parent_id", parent);
        }
        if let Some(sort) = input.sort {
            changes.set_if(sort != current.sort, "sort", "sort", sort);
        }
        if changes.is_empty() {
            return load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound);
        }
        let changed = changes.fields.clone();
        changes.write(db, "product_sections", id, Some(caller.user_id))?;
        audit(
            db,
            caller,
            "product_section.updated",
            ("product_section", id),
            json!({ "fields": changed }),
            client,
        )?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Deletes a section; 409 while it holds sub-sections or products, 412 on a stale
/// `if_match`. `product` delete.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Product, Action::Delete)?;
    transaction(db, |db| {
        let (current, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        let children = db.query(
            "SELECT 1 FROM product_sections WHERE parent_id = ? LIMIT 1",
            &[id.into()],
        )?;
        if !children.is_empty() {
            return Err(CoreError::Conflict("the section has sub-sections".into()));
        }
        let products = db.query("SELECT 1 FROM products WHERE section_id = ? LIMIT 1", &[id.into()])?;
        if !products.is_empty() {
            return Err(CoreError::Conflict("the section has products".into()));
        }
        db.execute("DELETE FROM product_sections WHERE id = ?", &[id.into()])?;
        audit(
            db,
            caller,
            "product_section.deleted",
            ("product_section", id),
            json!({ "name": current.name }),
            client,
        )
    })
}

/// The product picker: up to [`PICKER_LIMIT`] ACTIVE products matching `q` (each word of `q`
/// is a case-insensitive prefix of a word of the name or SKU, Cyrillic included; no `q`: all
/// active products), ordered by name, with the fields a line item needs ([`PICKER_FIELDS`]).
/// Accepts `q` and `limit` (1 or more; above 20 is taken as 20); anything else is a 400.
/// Returns `{"items": [...]}`. `product` read.
pub fn picker(db: &dyn Db, caller: &Caller, def: &EntityDef, pairs: &[(String, String)]) -> Result<Json, CoreError> {
    let mut q = None;
    let mut limit = PICKER_LIMIT;
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key.as_str()) {
            return Err(CoreError::BadRequest(format!("{key} is given more than once")));
        }
        seen.push(key);
        match key.as_str() {
            "q" => q = Some(value.clone()),
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1 && value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| CoreError::BadRequest(format!("limit must be a positive integer, not {value:?}")))?
                    .min(PICKER_LIMIT);
            }
            _ => return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}"))),
        }
    }
    let mut query = vec![
        ("filter[active]".to_string(), "true".to_string()),
        ("sort".to_string(), "name".to_string()),
        ("limit".to_string(), limit.to_string()),
        ("fields".to_string(), PICKER_FIELDS.to_string()),
    ];
    if let Some(q) = q {
        query.push(("q".to_string(), q));
    }
    let cx = crate::records::service::parse_context(db)?;
    let query = RecordQuery::parse(def, &query, &cx)?;
    let page = list_records(db, caller, def, &query)?;
    Ok(json!({ "items": page["items"] }))
}

/// The stored facts an update compares against.
struct Current {
    name: String,
    parent_id: Option<i64>,
    sort: i64,
    version: i64,
}

struct Input {
    name: Patch<String>,
    parent_id: Patch<i64>,
    sort: Option<i64>,
    given: Vec<String>,
}

impl Input {
    fn parse(body: &Json, creating: bool) -> Result<Input, CoreError> {
        let mut b = Body::new(body, WRITABLE)?;
        let name = b.text("name", 200, true);
        if creating {
            b.require("name", &name);
        }
        let parent_id = b.int("parent_id");
        let sort = b.required_int("sort");
        b.errors.into_result()?;
        let given = body
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        Ok(Input {
            name,
            parent_id,
            sort,
            given,
        })
    }

    /// The parent exists and is not section `id` or below it.
    fn check_parent(&self, db: &dyn Db, id: Option<i64>) -> Result<(), CoreError> {
        let mut errors = FieldErrors::new();
        crate::resource::check_parent(
            db,
            "product_sections",
            &self.parent_id,
            id,
            "product section",
            &mut errors,
        )?;
        errors.into_result()
    }
}

/// Whether `candidate` is `root` or lies below it.
fn load(db: &dyn Db, id: i64) -> Result<Option<(Current, Json)>, CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM product_sections WHERE id = ?"),
        &[id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let current = Current {
        name: row.str("name").unwrap_or_default().to_string(),
        parent_id: row.i64("parent_id"),
        sort: row.i64("sort").unwrap_or_default(),
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((current, record(&row))))
}

fn record(row: &Row) -> Json {
    json!({
        "id": row.i64("id"),
        "name": row.str("name"),
        "parent_id": opt_i64(row.i64("parent_id")),
        "sort": row.i64("sort"),
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
        "created_by": opt_i64(row.i64("created_by")),
        "updated_by": opt_i64(row.i64("updated_by")),
    })
}
