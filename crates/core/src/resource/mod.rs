//! The resource kit: every settings resource (product sections, departments, users, roles,
//! pipelines, custom fields, forms, dictionary entries, currencies) is a [`Resource`]
//! declared as data — its table, its [`Field`]s with their columns and parse rules, what is
//! writable on create and update, defaults, uniqueness, references, the permission, the audit
//! noun — plus [`Hooks`] for what is truly its own. The one skeleton of a settings write lives
//! in [`service`] (with [`rules`], what a write must meet, and [`read`], lists and records):
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
//!     ],
//!     filters: FILTERS,
//!     audit: Audit {
//!         created: &[Detail::Given, Detail::Field("name")],
//!         updated: &[Detail::Changed],
//!         deleted: &[Detail::Field("name")],
//!     },
//!     hooks: Hooks { deleting: Some(refuse_while_in_use), ..Hooks::NONE },
//!     ..Resource::new("product_sections", "product_section", Access::entity(Entity::Product))
//! };
//! service_functions!(SECTIONS: list, get, create, update, delete);
//! ```
//!
//! ([`Resource::new`] gives the rest: keyed by `id`, `version`, `created_at`, `updated_at`,
//! `created_by`, `updated_by` kept and shown after the fields.)

pub mod changes;
pub mod checks;
pub mod draft;
pub mod field;
pub mod list;
pub mod names;
pub mod patch;
pub mod public;
pub mod read;
pub mod rules;
pub mod service;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

pub use changes::{Changes, Stamps};
pub(crate) use changes::{audit, check_version};
pub use checks::is_code;
pub(crate) use checks::{check_ids_exist, check_parent, exists, opt_i64, placeholders, time};
pub use draft::{Cx, Draft, Input, Key};
pub use field::{CREATED_AT, CREATED_BY, Default, Field, ID, OnUpdate, Rule, Store, UPDATED_AT, UPDATED_BY, VERSION};
pub(crate) use list::Where;
pub use list::{ListQuery, Page};
pub use patch::{Body, Patch};

use crate::acl::{Action, Caller, Entity};
use crate::db::{Db, Row};
use crate::error::CoreError;

/// Writes the functions the components call for a resource keyed by `id` — any of `list`,
/// `get`, `create`, `update`, `delete`, `deactivate` — each delegating to the declaration's service, so a
/// resource's module keeps its plain paths (`departments::list`) without writing them out.
macro_rules! service_functions {
    ($resource:ident: $($function:ident),+) => {
        $($crate::resource::service_functions!(@$function $resource);)+
    };
    (@list $resource:ident) => {
        /// One page of records by id ascending, filtered by the declared filters (read
        /// permission).
        pub fn list(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            query: &$crate::resource::ListQuery,
        ) -> Result<$crate::resource::Page, $crate::error::CoreError> {
            $resource.list(db, caller, query)
        }
    };
    (@get $resource:ident) => {
        /// One record (read permission); 404 if there is none.
        pub fn get(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            id: i64,
        ) -> Result<serde_json::Value, $crate::error::CoreError> {
            $resource.get(db, caller, &$crate::resource::Key::id(id))
        }
    };
    (@create $resource:ident) => {
        /// Creates a record from a JSON body (add permission) and returns it.
        pub fn create(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            body: &serde_json::Value,
            client: &$crate::audit::ClientInfo,
        ) -> Result<serde_json::Value, $crate::error::CoreError> {
            $resource.create(db, caller, &[], body, client)
        }
    };
    (@update $resource:ident) => {
        /// Changes a record with a JSON merge-patch (update permission); 412 on a stale
        /// `if_match`.
        pub fn update(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            id: i64,
            body: &serde_json::Value,
            if_match: Option<i64>,
            client: &$crate::audit::ClientInfo,
        ) -> Result<serde_json::Value, $crate::error::CoreError> {
            $resource.update(db, caller, &$crate::resource::Key::id(id), body, if_match, client)
        }
    };
    (@delete $resource:ident) => {
        /// Deletes a record (delete permission) unless the resource refuses (409); 412 on a
        /// stale `if_match`.
        pub fn delete(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            id: i64,
            if_match: Option<i64>,
            client: &$crate::audit::ClientInfo,
        ) -> Result<(), $crate::error::CoreError> {
            $resource.delete(db, caller, &$crate::resource::Key::id(id), if_match, client)
        }
    };
    (@deactivate $resource:ident) => {
        /// Deactivates a record instead of deleting it (delete permission): audited as
        /// `<noun>.deactivated`; 412 on a stale `if_match`.
        pub fn deactivate(
            db: &dyn $crate::db::Db,
            caller: &$crate::acl::Caller,
            id: i64,
            if_match: Option<i64>,
            client: &$crate::audit::ClientInfo,
        ) -> Result<(), $crate::error::CoreError> {
            let key = $crate::resource::Key::id(id);
            $resource.deactivate(db, caller, &key, if_match, client, serde_json::json!({}), |_, _| Ok(true))
        }
    };
}
pub(crate) use service_functions;

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
    /// The bookkeeping columns the table keeps; the record shows them after its fields (or
    /// where `fields` lists them).
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
