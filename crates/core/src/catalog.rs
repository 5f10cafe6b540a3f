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

use crate::acl::{Caller, Entity};
use crate::db::Db;
use crate::error::CoreError;
use crate::records::EntityDef;
use crate::records::list::{RecordQuery, list as list_records};
use crate::resource::{Access, Audit, Default, Detail, Field, Hooks, ID, Key, Resource, service_functions};

/// The filters the section list accepts (`filter[parent_id]=3`).
pub const FILTERS: &[&str] = &["parent_id"];

/// The most products the picker returns.
pub const PICKER_LIMIT: u32 = 20;

/// The product fields the picker returns.
pub const PICKER_FIELDS: &str = "id,name,sku,price,currency,unit,vat_rate,vat_included";

/// The product sections, declared: a tree that stays a tree, not deleted while it holds
/// sub-sections or products (409). Reading needs the `product` read permission, writing its
/// add, update or delete permission.
pub const SECTIONS: Resource = Resource {
    fields: &[
        ID,
        Field::text("name", 200).required(),
        Field::parent("parent_id", "product section"),
        Field::int_not_null("sort").default(Default::Int(100)),
    ],
    filters: FILTERS,
    audit: Audit {
        created: &[Detail::Given, Detail::Field("name")],
        updated: &[Detail::Changed],
        deleted: &[Detail::Field("name")],
    },
    hooks: Hooks {
        deleting: Some(refuse_while_in_use),
        ..Hooks::NONE
    },
    ..Resource::new("product_sections", "product_section", Access::entity(Entity::Product))
};

service_functions!(SECTIONS: list, get, create, update, delete);

/// 409 while the section holds sub-sections or products.
fn refuse_while_in_use(db: &dyn Db, key: &Key, _: &Json) -> Result<(), CoreError> {
    let id = key.params();
    if !db
        .query("SELECT 1 FROM product_sections WHERE parent_id = ? LIMIT 1", &id)?
        .is_empty()
    {
        return Err(CoreError::Conflict("the section has sub-sections".into()));
    }
    if !db
        .query("SELECT 1 FROM products WHERE section_id = ? LIMIT 1", &id)?
        .is_empty()
    {
        return Err(CoreError::Conflict("the section has products".into()));
    }
    Ok(())
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
    let query = RecordQuery::parse(def, &query, &def.parse)?;
    let page = list_records(db, caller, def, &query)?;
    Ok(json!({ "items": page["items"] }))
}
