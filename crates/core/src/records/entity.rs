//! Entities as data: an [`EntityDef`] names the table, the fields (built-in, then the custom
//! ones loaded from `custom_fields`), the links to other entities, the fields full-text search
//! indexes, the stage field the ACL checks, the default order and the entity's own hooks.
//! Adding a field of an existing type to an entity is one line here (and a column in a
//! migration); adding a custom field is a row.

use serde_json::json;

use super::fields::{FieldDef, FieldKind, Options, ParseContext};
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
    /// This entity's own column that triggers keep equal to the primary link's other id, if
    /// any (a deal's `primary_contact_id`, sql/0024), so reports group a column.
    pub kept: Option<&'static str>,
}

/// A contact's companies (the first is the primary one).
pub static CONTACT_COMPANIES: LinkDef = LinkDef {
    table: "contact_companies",
    this: "contact_id",
    other: "company_id",
    other_entity: "company",
    primary: Some("is_primary"),
    kept: None,
};

/// A company's contacts (the same rows, seen from the company).
pub static COMPANY_CONTACTS: LinkDef = LinkDef {
    table: "contact_companies",
    this: "company_id",
    other: "contact_id",
    other_entity: "contact",
    primary: None,
    kept: None,
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
    /// What parsing its values needs from the firm's settings (the default phone country),
    /// read with the custom fields by [`EntityDef::load`]; the fallback in a built-in one.
    pub parse: ParseContext,
    /// What the engine does differently for this entity, as data.
    pub traits: Traits,
}

/// What the engine does differently for an entity, said as data so that the engine never
/// compares entity names. [`Traits::NONE`] is the plain entity.
#[derive(Debug, Clone, Copy)]
pub struct Traits {
    /// A read-only single id mirroring the first id of a link list, `(alias, list field)`:
    /// a contact's `company_id` is its `company_ids[0]`. Rendered on every record and
    /// accepted in `fields=`.
    pub link_alias: Option<(&'static str, &'static str)>,
    /// Whether the record's normalised title is a duplicate-search channel (company names).
    pub title_channel: bool,
    /// Whether `GET /api/duplicates` searches this entity.
    pub duplicate_search: bool,
    /// Whether activities bind to its records (deleting one unbinds them).
    pub bindable: bool,
    /// Where its board's columns come from, if it has a board.
    pub board_columns: Option<BoardColumns>,
    /// Running-totals tables that answer board totals when only their filters are used, the
    /// first that answers wins.
    pub board_totals: &'static [BoardTotals],
    /// Columns a report may group by in index order: each leads an index `(column, currency,
    /// created_at, ...)` covering what the standard reports read (sql/0024), so a report by
    /// one of them over every record reads the index in order and sorts nothing.
    pub report_orders: &'static [&'static str],
    /// Values a list may filter by (`eq`, `ne`, `in`, `null`) that are no field of the record:
    /// computed by SQL over the record `t` (a lost deal's stage it was lost at).
    pub derived_filters: &'static [DerivedFilter],
}

/// A list filter on a value computed from the record, not stored as a field.
#[derive(Debug, PartialEq, Eq)]
pub struct DerivedFilter {
    /// The name the list knows (`filter[<name>]`).
    pub name: &'static str,
    /// Its SQL over the record's alias `t` (a scalar; NULL where it has none).
    pub sql: &'static str,
}

impl Traits {
    /// No special behaviour.
    pub const NONE: Traits = Traits {
        link_alias: None,
        title_channel: false,
        duplicate_search: false,
        bindable: true,
        board_columns: None,
        board_totals: &[],
        report_orders: &[],
        derived_filters: &[],
    };
}

/// Where a board's columns come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardColumns {
    /// The stages of a pipeline (`pipeline_id`, else the default pipeline).
    PipelineStages,
    /// The entries of a dictionary kind (`lead_status`).
    Dictionary(&'static str),
}

/// A table of running totals a board may read instead of the records.
#[derive(Debug, Clone, Copy)]
pub struct BoardTotals {
    /// The table and how it counts and sums.
    pub source: super::list::TotalsSource,
    /// The equality filters the table can answer (a board with any other filter reads records).
    pub filters: &'static [&'static str],
    /// Whether the table keeps no owner columns, so that it answers only a caller who reads
    /// every record (no ACL condition to apply).
    pub whole_only: bool,
}

impl EntityDef {
    /// The built-in definition of entity `name` (one of [`NAMES`]).
    pub fn builtin(name: &str) -> Option<EntityDef> {
        REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, def)| def())
    }

    /// The built-in definition plus the entity's custom fields and the firm's parse settings,
    /// as stored now, in one statement.
    pub fn load(db: &dyn Db, name: &str) -> Result<EntityDef, CoreError> {
        let mut def = EntityDef::builtin(name).ok_or(CoreError::NotFound)?;
        let (fields, parse) = super::custom::field_defs_and_parse_context(db, name)?;
        def.fields.extend(fields);
        def.parse = parse;
        Ok(def)
    }

    /// The definition of entity `name` as the caller's request found it (no statement), or as
    /// stored now for a caller made without a query.
    pub fn load_for(db: &dyn Db, caller: &crate::acl::Caller, name: &str) -> Result<EntityDef, CoreError> {
        EntityDef::load_in(db, caller.workspace.as_ref(), name)
    }

    /// The definition of entity `name` from `workspace` when a request read one (no
    /// statement), else as stored now.
    pub fn load_in(
        db: &dyn Db,
        workspace: Option<&super::workspace::Workspace>,
        name: &str,
    ) -> Result<EntityDef, CoreError> {
        match workspace {
            Some(workspace) => workspace.entity(name),
            None => EntityDef::load(db, name),
        }
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

/// Builds an entity's definition.
type DefFn = fn() -> EntityDef;

/// Each record entity's definition, by name (the one place names meet definitions).
static REGISTRY: &[(&str, DefFn)] = &[
    ("lead", super::entities::lead::def),
    ("contact", super::entities::contact::def),
    ("company", super::entities::company::def),
    ("deal", super::entities::deal::def),
    ("product", super::entities::product::def),
    ("activity", super::entities::activity::def),
];

/// "lead, contact, company, deal, product or activity", for error messages.
pub fn names_text() -> String {
    or_list(NAMES)
}

/// `a, b or c`.
pub fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_its_definition_and_the_definition_its_name() {
        let registered: Vec<&str> = REGISTRY.iter().map(|(name, _)| *name).collect();
        assert_eq!(registered, NAMES);
        for name in NAMES {
            assert_eq!(EntityDef::builtin(name).map(|def| def.name), Some(*name));
        }
    }
}
