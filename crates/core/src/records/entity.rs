//! Entities as data: an [`EntityDef`] names the table, the fields (built-in, then the custom
//! ones loaded from `custom_fields`), the links to other entities, the fields full-text search
//! indexes, the stage field the ACL checks, the default order and the entity's own hooks.
//! Adding a field of an existing type to an entity is one line here (and a column in a
//! migration); adding a custom field is a row.

use serde_json::json;

use super::fields::{FieldDef, FieldKind, Options};
use super::hooks::Hook;
use crate::acl::{AclColumns, Entity};
use crate::db::Db;
use crate::error::CoreError;

/// A many-to-many link kept in a link table (`contact_companies`).
#[derive(Debug, PartialEq, Eq)]
pub struct LinkDef {
    /// The link table.
    pub table: &'static str,
    /// Its column holding this entity's id.
    pub this: &'static str,
    /// Its column holding the other entity's id.
    pub other: &'static str,
    /// The other entity's name.
    pub other_entity: &'static str,
    /// The column flagging the primary link (the first id of the list), if any.
    pub primary: Option<&'static str>,
}

/// A contact's companies (the first is the primary one).
pub static CONTACT_COMPANIES: LinkDef = LinkDef {
    table: "contact_companies",
    this: "contact_id",
    other: "company_id",
    other_entity: "company",
    primary: Some("is_primary"),
};

/// A company's contacts (the same rows, seen from the company).
pub static COMPANY_CONTACTS: LinkDef = LinkDef {
    table: "contact_companies",
    this: "company_id",
    other: "contact_id",
    other_entity: "contact",
    primary: None,
};

/// One entity: its table, fields and behaviour.
#[derive(Debug, Clone)]
pub struct EntityDef {
    /// The entity's name (`lead`), as in the timeline and custom fields.
    pub name: &'static str,
    /// The ACL entity.
    pub acl: Entity,
    /// The table (`leads`); its search table is `<table>_search`.
    pub table: &'static str,
    /// The collection path (`/api/leads`).
    pub resource: &'static str,
    /// Built-in fields, then custom fields.
    pub fields: Vec<FieldDef>,
    /// The status/stage field the ACL's stage rules apply to, and its column under alias `t`.
    pub stage_field: Option<(&'static str, &'static str)>,
    /// Whether records have a responsible user and the `opened` flag (record-level ACL). An
    /// unowned entity (the product catalog) is checked at the scope level only.
    pub owned: bool,
    /// Fields whose values feed full-text search.
    pub search_fields: &'static [&'static str],
    /// Fields that make the record's display title, joined by spaces.
    pub title_fields: &'static [&'static str],
    /// The default `sort`.
    pub default_sort: &'static str,
    /// The entity's own hooks (besides the engine-wide ones).
    pub hooks: &'static [Hook],
}

impl EntityDef {
    /// The built-in definition of entity `name` (`lead`, `contact`, `company`).
    pub fn builtin(name: &str) -> Option<EntityDef> {
        match name {
            "lead" => Some(super::entities::lead::def()),
            "contact" => Some(super::entities::contact::def()),
            "company" => Some(super::entities::company::def()),
            "activity" => Some(super::entities::activity::def()),
            "deal" => Some(super::entities::deal::def()),
            "product" => Some(super::entities::product::def()),
            _ => None,
        }
    }

    /// The built-in definition plus the entity's custom fields, as stored now.
    pub fn load(db: &dyn Db, name: &str) -> Result<EntityDef, CoreError> {
        let mut def = EntityDef::builtin(name).ok_or(CoreError::NotFound)?;
        def.fields.extend(super::custom::field_defs(db, name)?);
        Ok(def)
    }

    /// The field named `name` (custom fields by code).
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The ACL columns of the table under alias `t`.
    pub fn acl_columns(&self) -> AclColumns {
        AclColumns {
            responsible: "t.responsible_id",
            opened: Some("t.opened"),
            stage: self.stage_field.map(|(_, column)| column),
        }
    }

    /// The name of the status/stage field, if the entity has one.
    pub fn stage(&self) -> Option<&'static str> {
        self.stage_field.map(|(field, _)| field)
    }
}

/// The record entities, by name.
pub const NAMES: &[&str] = &["lead", "contact", "company", "deal", "product", "activity"];

/// "lead, contact or company", for error messages.
pub fn names_text() -> String {
    match NAMES.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => NAMES.join(""),
    }
}

/// The `'static` name of entity `name`, if it is a record entity.
pub fn static_name(name: &str) -> Option<&'static str> {
    NAMES.iter().copied().find(|n| *n == name)
}

/// The table of entity `name` (for references), if it is a record entity.
pub fn table_of(name: &str) -> Option<&'static str> {
    EntityDef::builtin(name).map(|def| def.table)
}

/// The entity's field definitions as API JSON (`GET /api/<entity>/fields`), for forms, list
/// columns and filter builders.
pub fn describe(def: &EntityDef) -> serde_json::Value {
    use super::fields::Comparable;
    let fields: Vec<serde_json::Value> = def
        .fields
        .iter()
        .map(|f| {
            let mut out = json!({
                "name": f.name,
                "path": f.path(),
                "label": {"en": f.label.0, "ru": f.label.1},
                "type": f.kind.code(),
                "required": f.required,
                "multiple": f.multiple,
                "custom": f.is_custom(),
                "show_in_list": f.show_in_list,
                "writable": match f.access {
                    super::fields::Access::ReadWrite => "always",
                    super::fields::Access::CreateOnly => "on_create",
                    super::fields::Access::ReadOnly => "never",
                },
                "filterable": f.comparable() != Comparable::No,
                "sortable": matches!(f.comparable(), Comparable::Text | Comparable::Ordered | Comparable::Equality),
                "operators": f.operators(),
            });
            match &f.kind {
                FieldKind::Enumeration(Options::Dictionary(kind)) => out["dictionary"] = json!(kind),
                FieldKind::Enumeration(Options::Own(options)) => out["options"] = json!(options),
                FieldKind::Record(entity) => out["record_entity"] = json!(entity),
                _ => {}
            }
            out
        })
        .collect();
    json!({ "entity": def.name, "stage_field": def.stage(), "default_sort": def.default_sort, "fields": fields })
}
