//! Read access as an SQL condition, so lists are filtered by SQLite (using the index on the
//! responsible column) and a manager's page of a million leads costs what an admin's does.

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

pub(super) fn read_filter(caller: &Caller, entity: Entity, columns: &AclColumns) -> SqlFilter {
    let level = caller.permissions.level(entity, super::Action::Read);
    let mut params: Vec<Value> = Vec::new();
    let responsible = columns.responsible;
    let owner = match level {
        Level::None => {
            return SqlFilter {
                sql: "0".into(),
                params,
            };
        }
        Level::All => None,
        Level::Own => {
            params.push(caller.user_id.into());
            Some(format!("{responsible} = ?"))
        }
        Level::Department | Level::Subdepartments => {
            let departments: Vec<i64> = match (level, caller.department_id) {
                (_, None) => Vec::new(),
                (Level::Department, Some(d)) => vec![d],
                _ => caller.subtree.clone(),
            };
            params.push(caller.user_id.into());
            if departments.is_empty() {
                Some(format!("{responsible} = ?"))
            } else {
                params.extend(departments.iter().map(|d| Value::from(*d)));
                Some(format!(
                    "({responsible} = ? OR {responsible} IN (SELECT id FROM users WHERE department_id IN ({})))",
                    placeholders(departments.len())
                ))
            }
        }
    };
    let mut sql = match (owner, columns.opened) {
        (None, _) => "1".to_string(),
        (Some(owner), Some(opened)) => format!("({owner} OR {opened} = 1)"),
        (Some(owner), None) => owner,
    };
    if let (Some(stage_column), Some(visible)) = (
        columns.stage,
        caller.permissions.stages(entity).and_then(|l| l.read.as_ref()),
    ) {
        debug_assert!(caller.permissions.stage_allows(entity, StageRule::Read, None));
        sql = format!("({sql} AND {stage_column} IN ({}))", placeholders(visible.len().max(1)));
        if visible.is_empty() {
            params.push(Value::Null);
        }
        params.extend(visible.iter().map(|s| Value::from(s.as_str())));
    }
    SqlFilter { sql, params }
}
