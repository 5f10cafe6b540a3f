//! CRM records (leads, contacts, companies, later deals...): entities defined as data and one
//! generic record engine over them.
//!
//! - [`entity`]: the entity definitions (fields, links, search fields, stage field, hooks);
//!   [`fields`]: field types that parse, render, filter and sort their own values;
//!   [`values`]: the pure parsers of typed values (e-mail, E.164 phone, bounded decimal,
//!   date...); [`money`]: checked integer money arithmetic (rounding, rates, split sums).
//! - [`service`]: the create/read/update/delete pipeline with [`hooks`]; [`list`]: filtered,
//!   sorted, keyset-paginated, full-text searched lists; [`access`]: the record-level ACL.
//! - [`store`]: rows <-> values; [`index`]: the search and channel indexes; [`timeline`]: the
//!   history of every change; [`custom`]: custom field definitions; [`bulk`] and [`merge`]:
//!   many records at once, through the same pipeline; [`duplicates`]: matching by normalised
//!   e-mail, phone and title; [`views`]: saved list views; [`usage`]: where a code is in use.
//! - Sales: [`pipelines`] and their stages, [`line_items`] of deals and leads, lead
//!   [`convert`]sion, kanban [`board`]s.
//!
//! Architecture invariant: entity-specific behaviour is data in [`entity`] or a hook in
//! [`hooks`]; the pipeline in [`service`] has no `if entity == ...`.

pub mod access;
pub mod board;
pub mod bulk;
pub mod convert;
pub mod custom;
pub mod dictionaries;
pub mod duplicates;
pub mod entities;
pub mod entity;
pub mod fields;
pub mod hooks;
pub mod ical;
pub mod index;
pub mod input;
pub mod line_items;
pub mod list;
pub mod merge;
pub mod money;
pub mod pipelines;
pub mod service;
pub mod store;
pub mod timeline;
pub mod usage;
pub mod values;
pub mod views;
pub mod workspace;

use std::collections::BTreeMap;

pub use entity::EntityDef;

use crate::db::Value;

/// A record's stored values by field name (custom fields by code), plus the bookkeeping
/// columns (`id`, `version`, ...).
pub type Values = BTreeMap<String, Value>;

/// One field an update changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The field's name (custom fields: the code).
    pub field: String,
    /// The field's request path (`custom.uf_x` for custom fields).
    pub path: String,
    /// The stored value before.
    pub old: Value,
    /// The stored value after.
    pub new: Value,
    /// The old value as API JSON (for the timeline).
    pub old_json: serde_json::Value,
    /// The new value as API JSON.
    pub new_json: serde_json::Value,
    /// Whether the field is a link (recorded as link/unlink entries).
    pub link: bool,
}
