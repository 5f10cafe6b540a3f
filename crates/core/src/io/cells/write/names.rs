//! The names a page's cells are written by: its users' names and its referenced records'
//! titles, looked up once per page (one query per kind), a record the caller may not read
//! left as its id.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::{Column, Source, ids, value};
use crate::acl::Caller;
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::EntityDef;
use crate::records::fields::FieldKind;

/// The names a page's cells are written with: users by name, records by title.
#[derive(Debug, Default)]
pub struct Names {
    pub(super) users: HashMap<i64, String>,
    pub(super) records: HashMap<(&'static str, i64), String>,
}

impl Names {
    /// Looks up, in one query per kind, the users and the records `records` reference in
    /// `columns`. A record the caller may not read keeps its id (import takes an id too).
    pub fn load(db: &dyn Db, caller: &Caller, columns: &[Column], records: &[Json]) -> Result<Names, CoreError> {
        let mut users: Vec<i64> = Vec::new();
        let mut wanted: HashMap<&'static str, Vec<i64>> = HashMap::new();
        for column in columns {
            let (is_user, entity) = match &column.source {
                Source::Meta("created_by" | "updated_by") => (true, None),
                Source::Field(field) => match field.kind {
                    FieldKind::User => (true, None),
                    FieldKind::Record(entity) => (false, Some(entity)),
                    _ => continue,
                },
                Source::Alias(_, entity) => (false, Some(*entity)),
                _ => continue,
            };
            for record in records {
                let ids = ids(value(record, &column.source));
                if is_user {
                    users.extend(ids);
                } else if let Some(entity) = entity {
                    wanted.entry(entity).or_default().extend(ids);
                }
            }
        }
        let mut names = Names::default();
        users.sort_unstable();
        users.dedup();
        if !users.is_empty() {
            let params: Vec<Value> = users.iter().map(|id| Value::from(*id)).collect();
            let sql = format!("SELECT id, name FROM users WHERE id IN ({})", placeholders(users.len()));
            for row in db.query(&sql, &params)?.iter() {
                if let (Some(id), Some(name)) = (row.i64("id"), row.str("name")) {
                    names.users.insert(id, name.to_string());
                }
            }
        }
        for (entity, mut ids) in wanted {
            ids.sort_unstable();
            ids.dedup();
            let Some(def) = EntityDef::builtin(entity) else {
                continue;
            };
            if ids.is_empty() || caller.require(def.acl, crate::acl::Action::Read).is_err() {
                continue;
            }
            let title: Vec<String> = def
                .title_fields
                .iter()
                .map(|f| format!("COALESCE(t.{f}, '')"))
                .collect();
            let mut params: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
            let mut condition = "1".to_string();
            if def.owned {
                let filter = caller.list_filter(def.acl, &def.acl_columns());
                condition = filter.sql;
                params.extend(filter.params);
            }
            let sql = format!(
                "SELECT t.id, TRIM({}) AS title FROM {} t WHERE t.id IN ({}) AND {condition}",
                title.join(" || ' ' || "),
                def.table,
                placeholders(ids.len()),
            );
            for row in db.query(&sql, &params)?.iter() {
                if let (Some(id), Some(title)) = (row.i64("id"), row.str("title")) {
                    // Two spaces where a middle part is empty.
                    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
                    names.records.insert((entity, id), title);
                }
            }
        }
        Ok(names)
    }

    pub(super) fn user(&self, id: i64) -> String {
        self.users.get(&id).cloned().unwrap_or_else(|| id.to_string())
    }

    pub(super) fn record(&self, entity: &'static str, id: i64) -> String {
        match self.records.get(&(entity, id)) {
            Some(title) if !title.is_empty() => title.clone(),
            _ => id.to_string(),
        }
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
