//! Read access as an SQL condition, so lists are filtered by SQLite (using the index on the
//! responsible column) and a manager's page of a million leads costs what an admin's does.
//!
//! The same condition also comes as disjoint arms ([`read_arms`]): "responsible is the caller
//! (or in their departments)" and "opened, and not theirs". `owner OR opened` makes SQLite walk
//! a list's sort order testing every row, while each arm alone is one index range in sort order
//! (`(responsible_id, key, id)`, and `(key, id) WHERE opened = 1`), so a list reads each arm's
//! first page and merges them (`records::list`).

use super::{Caller, Entity, Level, StageRule};
use crate::db::Value;

/// Where a table keeps its ACL facts.
#[derive(Debug, Clone, Copy)]
pub struct AclColumns {
    /// The responsible user's id column, e.g. `leads.responsible_id`.
    pub responsible: &'static str,
    /// The "available to everyone" flag column, if the entity has one.
    pub opened: Option<&'static str>,
    /// The status/stage code column, for leads and deals.
    pub stage: Option<&'static str>,
}

/// A condition to AND into a `WHERE`, with its positional parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// SQL text using `?` placeholders; `1` when nothing is filtered out.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub params: Vec<Value>,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Who the caller reads as a condition on the responsible column, with its parameters: `None`
/// for everyone (level all), `Err(())` for no one.
fn owner_condition(caller: &Caller, level: Level, responsible: &str) -> Result<Option<(String, Vec<Value>)>, ()> {
    let mut params: Vec<Value> = Vec::new();
    match level {
        Level::None => Err(()),
        Level::All => Ok(None),
        Level::Own => {
            params.push(caller.user_id.into());
            Ok(Some((format!("{responsible} = ?"), params)))
        }
        Level::Department | Level::Subdepartments => {
            let departments: Vec<i64> = match (level, caller.department_id) {
                (_, None) => Vec::new(),
                (Level::Department, Some(d)) => vec![d],
                _ => caller.subtree.clone(),
            };
            params.push(caller.user_id.into());
            if departments.is_empty() {
                return Ok(Some((format!("{responsible} = ?"), params)));
            }
            params.extend(departments.iter().map(|d| Value::from(*d)));
            Ok(Some((
                format!(
                    "({responsible} = ? OR {responsible} IN (SELECT id FROM users WHERE department_id IN ({})))",
                    placeholders(departments.len())
                ),
                params,
            )))
        }
    }
}

/// The stage rule's condition (`stage IN (...)`), if the caller's role limits the stages it reads.
fn stage_condition(caller: &Caller, entity: Entity, columns: &AclColumns) -> Option<(String, Vec<Value>)> {
    let (Some(stage_column), Some(visible)) = (
        columns.stage,
        caller.permissions.stages(entity).and_then(|l| l.read.as_ref()),
    ) else {
        return None;
    };
    debug_assert!(caller.permissions.stage_allows(entity, StageRule::Read, None));
    let mut params = Vec::new();
    if visible.is_empty() {
        params.push(Value::Null);
    }
    params.extend(visible.iter().map(|s| Value::from(s.as_str())));
    Some((
        format!("{stage_column} IN ({})", placeholders(visible.len().max(1))),
        params,
    ))
}

/// `sql AND` the stage rule, if any.
fn with_stage(mut filter: SqlFilter, stage: &Option<(String, Vec<Value>)>) -> SqlFilter {
    if let Some((condition, params)) = stage {
        filter.sql = format!("({} AND {condition})", filter.sql);
        filter.params.extend(params.iter().cloned());
    }
    filter
}

pub(super) fn read_filter(caller: &Caller, entity: Entity, columns: &AclColumns) -> SqlFilter {
    let level = caller.permissions.level(entity, super::Action::Read);
    let Ok(owner) = owner_condition(caller, level, columns.responsible) else {
        return SqlFilter {
            sql: "0".into(),
            params: Vec::new(),
        };
    };
    let filter = match (owner, columns.opened) {
        (None, _) => SqlFilter {
            sql: "1".into(),
            params: Vec::new(),
        },
        (Some((owner, params)), Some(opened)) => SqlFilter {
            sql: format!("({owner} OR {opened} = 1)"),
            params,
        },
        (Some((sql, params)), None) => SqlFilter { sql, params },
    };
    with_stage(filter, &stage_condition(caller, entity, columns))
}

/// [`read_filter`] as two disjoint conditions whose union is the same rows: the caller's own
/// (or their departments') records, and opened records that are not. `None` when there is
/// nothing to split: the caller reads all or none, or the table has no `opened` column.
pub(super) fn read_arms(caller: &Caller, entity: Entity, columns: &AclColumns) -> Option<[SqlFilter; 2]> {
    let level = caller.permissions.level(entity, super::Action::Read);
    let (owner, params) = owner_condition(caller, level, columns.responsible).ok()??;
    let opened = columns.opened?;
    let stage = stage_condition(caller, entity, columns);
    let responsible = columns.responsible;
    // A NULL responsible makes `owner` NULL, not false: such an opened record is "not theirs".
    let not_theirs = SqlFilter {
        sql: format!("({opened} = 1 AND ({responsible} IS NULL OR NOT {owner}))"),
        params: params.clone(),
    };
    Some([
        with_stage(SqlFilter { sql: owner, params }, &stage),
        with_stage(not_theirs, &stage),
    ])
}
