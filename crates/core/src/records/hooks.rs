//! Named hook points of the record pipeline (EspoCRM's record hooks): before/after create,
//! update and delete. An entity lists its own [`Hook`]s in its definition (in its file under
//! `entities/`); this module holds only the engine-wide after-hooks (the timeline, line items,
//! activity bindings) that run for every entity. The search index, the normalised channels and
//! the `created` timeline entry are written by the database with the row ([`super::index`]).
//! Hooks run inside the write's transaction, so what they write commits or rolls back with it.
//! Later issues (automation, duplicate rules, outbound webhooks) add hooks here, not pipelines.

use serde_json::json;

use super::entity::EntityDef;
use super::{Change, Values};
use crate::acl::Caller;
use crate::db::{Db, Value};
use crate::error::CoreError;

/// Where in the pipeline a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPoint {
    /// After parsing and defaults, before references are checked and the row is written; may
    /// change the values or refuse with field errors.
    BeforeCreate,
    /// After the row is written.
    AfterCreate,
    /// After the patch is merged into the stored values, before the row is written.
    BeforeUpdate,
    /// After the row is changed.
    AfterUpdate,
    /// Before the row is removed.
    BeforeDelete,
    /// After the row is removed.
    AfterDelete,
}

/// What a hook sees.
pub struct HookContext<'a> {
    /// The database, inside the write's transaction.
    pub db: &'a dyn Db,
    /// Who is writing.
    pub caller: &'a Caller,
    /// The entity.
    pub def: &'a EntityDef,
    /// The record's id (0 before it is created).
    pub id: i64,
    /// The stored values before the write (update, delete).
    pub before: Option<&'a Values>,
    /// The values being written (create, update) or removed (delete).
    pub values: &'a mut Values,
    /// The fields an update changes.
    pub changes: &'a [Change],
}

/// One hook: a point and a function.
#[derive(Debug, Clone, Copy)]
pub struct Hook {
    /// When it runs.
    pub point: HookPoint,
    /// What it does.
    pub run: fn(&mut HookContext) -> Result<(), CoreError>,
}

/// Runs the entity's hooks for `point`, then the engine-wide ones.
pub fn run(point: HookPoint, cx: &mut HookContext) -> Result<(), CoreError> {
    for hook in cx.def.hooks.iter().chain(ENGINE) {
        if hook.point == point {
            (hook.run)(cx)?;
        }
    }
    Ok(())
}

/// Hooks every entity gets.
static ENGINE: &[Hook] = &[
    Hook {
        point: HookPoint::AfterUpdate,
        run: super::timeline::after_update,
    },
    Hook {
        point: HookPoint::AfterDelete,
        run: super::timeline::after_delete,
    },
    Hook {
        point: HookPoint::AfterDelete,
        run: remove_line_items,
    },
    Hook {
        point: HookPoint::AfterDelete,
        run: super::entities::activity::unbind,
    },
];

fn remove_line_items(cx: &mut HookContext) -> Result<(), CoreError> {
    super::line_items::remove(cx.db, cx.def.name, cx.id)
}

/// A non-empty text value of `field`.
pub(crate) fn text<'v>(values: &'v Values, field: &str) -> Option<&'v str> {
    values.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The record's display title (its title fields joined), for the timeline and duplicates.
pub fn display_title(def: &EntityDef, values: &Values) -> serde_json::Value {
    let parts: Vec<&str> = def.title_fields.iter().filter_map(|f| text(values, f)).collect();
    json!(parts.join(" "))
}
