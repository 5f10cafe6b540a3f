//! The resource kit: every settings resource (product sections, departments, users, roles,
//! pipelines, custom fields, forms, dictionary entries, currencies) is a [`Resource`]
//! declared as data — its table, its [`Field`]s with their columns and parse rules, what is
//! writable on create and update, defaults, uniqueness, references, the permission, the audit
//! noun — plus [`Hooks`] for what is truly its own. The one skeleton of a settings write lives
//! in [`service`]:
//!
//! ```text
//! require -> parse the body -> transaction { load -> check_version -> checks and hooks ->
//!            write what changed -> after-hooks -> audit -> load }
//! ```
//!
//! The pieces it is built from serve the record engine too:
//! - [`patch`]: reading a JSON merge-patch body key by key ([`Patch`], [`Body`]);
//! - [`changes`]: writing what really changed as one `UPDATE` ([`Changes`]), the `If-Match`
//!   rule ([`check_version`]) and the audit row ([`audit`]);
//! - [`list`]: strict list queries, keyset pages and `WHERE` building ([`ListQuery`],
//!   [`Page`], [`Where`]);
//! - [`checks`]: references, trees and column conversions;
//! - [`field`]: fields as data; [`draft`]: the input, the draft and what hooks see;
//! - [`names`]: `{"en", "ru"}` names, which several resources carry.
//!
//! A declaration, the product sections (`crate::catalog`):
//!
//! ```text
//! pub const SECTIONS: Resource = Resource {
//!     fields: &[
//!         ID,
//!         Field::text("name", 200).required(),
//!         Field::parent("parent_id", "product section"),
//!         Field::int_not_null("sort").default(Default::Int(100)),
//!         VERSION, CREATED_AT, UPDATED_AT, CREATED_BY, UPDATED_BY,
//!     ],
//!     audit: Audit { created: &[Detail::Given, Detail::Field("name")], .. },
//!     hooks: Hooks { deleting: Some(keep_sections_in_use), ..Hooks::NONE },
//!     ..Resource::new("product_sections", "product_section", Access::entity(Entity::Product))
//! };
//! ```

pub mod changes;
pub mod checks;
pub mod draft;
pub mod field;
pub mod list;
pub mod names;
pub mod patch;
pub mod service;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

pub use changes::{Changes, Stamps};
pub(crate) use changes::{audit, check_version};
pub(crate) use checks::{check_ids_exist, check_parent, exists, opt_i64, placeholders, time};
pub use draft::{Cx, Draft, Input, Key};
pub use field::{CREATED_AT, CREATED_BY, Default, Field, ID, OnUpdate, Rule, Store, UPDATED_AT, UPDATED_BY, VERSION};
pub(crate) use list::Where;
pub use list::{ListQuery, Page};
pub use patch::{Body, Patch};

use crate::acl::{Action, Caller, Entity};
use crate::db::{Db, Row};
use crate::error::CoreError;

/// A settings resource, declared.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// Its table (fixed, never input).
    pub table: &'static str,
    /// The audit noun: actions are `<noun>.created`, `.updated`, `.deleted`; resources keyed by
    /// `id` are the audit target `(noun, id)`.
    pub noun: &'static str,
    /// The columns that address a record: `["id"]`, or a text key (`["kind", "code"]`).
    pub key: &'static [&'static str],
    /// Who may read and write.
    pub access: Access,
    /// The record's fields, in the order the record shows them.
    pub fields: &'static [Field],
    /// The bookkeeping columns the table keeps.
    pub stamps: Stamps,
    /// The fields `filter[<name>]=` compares for equality in lists.
    pub filters: &'static [&'static str],
    /// `ORDER BY` of the unpaged list ([`Resource::all`]); pages go by id.
    pub order: &'static str,
    /// The columns no two records share, if any.
    pub unique: Option<Unique>,
    /// Whether an update reads the body against the stored record (loaded and version-checked
    /// before the transaction): for checks that need it, such as a password policy against the
    /// user's e-mail.
    pub parse_after_load: bool,
    /// Whether an update writes (a new version, an audit row) even when nothing changed: for
    /// definitions that are rewritten whole.
    pub always_write: bool,
    /// The audit details of each write.
    pub audit: Audit,
    /// What is truly the resource's own.
    pub hooks: Hooks,
}

impl Resource {
    /// A resource keyed by `id` with full stamps, no filters, unique columns or hooks, and
    /// audited with the fields given or changed: the base that declarations override.
    pub const fn new(table: &'static str, noun: &'static str, access: Access) -> Resource {
        Resource {
            table,
            noun,
            key: &["id"],
            access,
            fields: &[],
            stamps: Stamps::TimesAndUsers,
            filters: &[],
            order: "id",
            unique: None,
            parse_after_load: false,
            always_write: false,
            audit: Audit {
                created: &[Detail::Given],
                updated: &[Detail::Changed],
                deleted: &[],
            },
            hooks: Hooks::NONE,
        }
    }

    /// The field called `name`.
    pub(crate) fn field(&self, name: &str) -> Result<&'static Field, CoreError> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| CoreError::Internal(format!("{} has no field {name}", self.table)))
    }
}

/// Who may read and write a resource.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The scope whose read permission reading needs; `None`: anyone signed in.
    pub read: Option<Entity>,
    /// The scope whose add, update and delete permissions writing needs.
    pub write: Entity,
}

impl Access {
    /// Reading and writing need `entity`'s permissions.
    pub const fn entity(entity: Entity) -> Access {
        Access {
            read: Some(entity),
            write: entity,
        }
    }

    /// Anyone signed in reads; writing needs `entity`'s permissions.
    pub const fn open_read(write: Entity) -> Access {
        Access { read: None, write }
    }

    /// 403 unless `caller` may read.
    pub(crate) fn require_read(&self, caller: &Caller) -> Result<(), CoreError> {
        match self.read {
            Some(entity) => caller.require(entity, Action::Read),
            None => Ok(()),
        }
    }
}

/// Columns no two records share, and the 409 a clash is.
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    /// The columns (scope columns such as a dictionary's `kind` included).
    pub columns: &'static [&'static str],
    /// Whether text compares case-insensitively.
    pub nocase: bool,
    /// The conflict's message; `{field}` is replaced by the field's value.
    pub message: &'static str,
}

/// What each write's audit row says (in this order, then what hooks add).
#[derive(Debug, Clone, Copy)]
pub struct Audit {
    /// Details of `<noun>.created`.
    pub created: &'static [Detail],
    /// Details of `<noun>.updated`.
    pub updated: &'static [Detail],
    /// Details of `<noun>.deleted`.
    pub deleted: &'static [Detail],
}

/// One part of an audit row's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `"fields"`: the keys the body gave.
    Given,
    /// `"fields"`: the fields that changed.
    Changed,
    /// The body itself, key by key.
    Body,
    /// The key columns (`"kind"`, `"code"`), for records not keyed by id.
    Key,
    /// The record's value of this field (the new record; the old one on delete).
    Field(&'static str),
}

/// The resource's own parts of the skeleton. Each runs inside the write's transaction except
/// `parse`.
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    /// After the fields are read, for what needs several at once (a user's e-mail and
    /// password): `(body, input, stored record on update if parsed after load)`. Problems go
    /// to the body's errors.
    pub parse: Option<ParseHook>,
    /// Before the write, after the declared checks: rules of its own (422s into `errors`, or a
    /// 409 returned), values derived from others, writes that must come first.
    pub before: Option<WriteHook>,
    /// After the row is written: rows kept elsewhere (role links, default stages), audit
    /// details, another audit verb.
    pub after: Option<WriteHook>,
    /// Before a delete, with the stored record: 409 while it is still in use; rows that go
    /// with it.
    pub deleting: Option<DeleteHook>,
    /// The values of [`Store::Outside`] fields of the records with these ids.
    pub outside: Option<Outside>,
    /// Last touches on a rendered record, from its row.
    pub finish: Option<FinishHook>,
}

/// Reads what needs several fields at once: `(body, input, stored record if parsed after load)`.
pub type ParseHook = fn(&mut Body, &mut Input, Option<&Json>) -> Result<(), CoreError>;
/// Runs before or after a write, inside its transaction.
pub type WriteHook = fn(&mut Cx) -> Result<(), CoreError>;
/// Runs before a delete with the record's key and stored record.
pub type DeleteHook = fn(&dyn Db, &Key, &Json) -> Result<(), CoreError>;
/// Finishes a rendered record from its row.
pub type FinishHook = fn(&Row, &mut Map<String, Json>) -> Result<(), CoreError>;

/// Reads the values kept outside the rows of these ids: `{id: {field: value}}`.
pub type Outside = fn(&dyn Db, &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError>;

impl Hooks {
    /// No hooks.
    pub const NONE: Hooks = Hooks {
        parse: None,
        before: None,
        after: None,
        deleting: None,
        outside: None,
        finish: None,
    };
}
