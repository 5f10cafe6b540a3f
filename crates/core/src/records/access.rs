//! The record layer of the ACL for record entities: a stored record's [`RecordAcl`] facts and
//! the one loader every read and write of a single record goes through (404 when the caller
//! may not see it, 403 when they may see it but not act on it), and [`readable`], the check
//! every reference a write sets must pass.

use super::store::{self, RESPONSIBLE_DEPARTMENT};
use super::{EntityDef, Values};
use crate::acl::{Action, Caller, RecordAcl};
use crate::db::{Db, Value};
use crate::error::CoreError;

/// The ACL facts of stored values.
pub fn record_acl(def: &EntityDef, values: &Values) -> RecordAcl {
    let int = |name: &str| values.get(name).and_then(Value::as_i64);
    RecordAcl {
        responsible_id: int("responsible_id"),
        responsible_department_id: int(RESPONSIBLE_DEPARTMENT),
        opened: int("opened") == Some(1),
        stage: def
            .stage()
            .and_then(|f| values.get(f))
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

/// Loads a record the caller may `action`: [`CoreError::Forbidden`] without any read scope on
/// the entity, [`CoreError::NotFound`] if there is none or the caller may not read it, [`CoreError::Forbidden`] if they may read but not `action` it.
pub fn load_checked(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    action: Action,
) -> Result<Values, CoreError> {
    caller.require(def.acl, Action::Read)?;
    let values = store::load(db, def, id)?.ok_or(CoreError::NotFound)?;
    if def.owned {
        caller.check_record(def.acl, action, &record_acl(def, &values))?;
    } else {
        caller.require(def.acl, action)?;
    }
    Ok(values)
}

/// The department of user `id` (for the ACL facts of a record they will own).
pub fn department_of(db: &dyn Db, caller: &Caller, user_id: Option<i64>) -> Result<Option<i64>, CoreError> {
    let Some(id) = user_id else { return Ok(None) };
    // The caller's own department came with the caller (no statement).
    if id == caller.user_id {
        return Ok(caller.department_id);
    }
    Ok(db
        .query("SELECT department_id FROM users WHERE id = ?", &[id.into()])?
        .first()
        .and_then(|r| r.i64("department_id")))
}

/// Whether record `id` of `def` exists and the caller may read it: one indexed query with the
/// same ACL condition lists use. The write side asks this of every record a write references.
pub fn readable(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64) -> Result<bool, CoreError> {
    let Some((expression, params)) = readable_expression(caller, def, id) else {
        return Ok(false);
    };
    Ok(db
        .query(&format!("SELECT {expression} AS readable"), &params)?
        .first_i64()
        == Some(1))
}

/// An SQL expression (and its parameters) that is 1 when the caller may read record `id`;
/// `None` when they may read no record of the entity. [`readable`] as a column, for a query
/// that checks several references at once.
pub(crate) fn readable_expression(caller: &Caller, def: &EntityDef, id: i64) -> Option<(String, Vec<Value>)> {
    caller.require(def.acl, Action::Read).ok()?;
    let (condition, mut params) = if def.owned {
        let filter = caller.list_filter(def.acl, &def.acl_columns());
        (filter.sql, filter.params)
    } else {
        ("1".to_string(), Vec::new())
    };
    params.insert(0, id.into());
    Some((
        format!("EXISTS (SELECT 1 FROM {} t WHERE t.id = ? AND {condition})", def.table),
        params,
    ))
}
