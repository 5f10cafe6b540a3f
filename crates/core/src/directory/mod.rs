//! The directory: users, departments, roles and the audit log, as the settings screens and the
//! `/api/users`, `/api/departments`, `/api/roles` endpoints see them.
//!
//! Every function takes the [`Caller`](crate::acl::Caller) and checks the `settings` scope
//! first (403), returns API-shaped JSON records (never a password or its hash), and makes each
//! write ONE [`transaction`](crate::db::transaction) together with its audit row, so a request
//! either commits whole or changes nothing. Request bodies are JSON merge-patches read by the
//! small [`Body`] reader here: unknown keys and wrong types are 422 errors naming the field.

pub mod audit_log;
pub mod departments;
pub mod list;
pub mod roles;
pub mod users;

pub use list::{ListQuery, Page};
use serde_json::{Map, Value as Json};

use crate::acl::Caller;
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};

/// One key of a merge-patch body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Patch<T> {
    /// The key is not there: leave the field alone.
    Absent,
    /// The key is `null`: clear the field.
    Null,
    /// A new value.
    Set(T),
    /// The value was invalid (already reported).
    Invalid,
}

impl<T: Clone> Patch<T> {
    /// What the patch does to the field: `None` leaves it alone, `Some(None)` clears it,
    /// `Some(Some(v))` sets it.
    pub(crate) fn change(&self) -> Option<Option<T>> {
        match self {
            Patch::Set(v) => Some(Some(v.clone())),
            Patch::Null => Some(None),
            Patch::Absent | Patch::Invalid => None,
        }
    }
}

/// The columns a merge-patch really changes, collected field by field, then written as one
/// `UPDATE` that also bumps `version` and stamps `updated_at` (and `updated_by`).
#[derive(Debug, Default)]
pub(crate) struct Changes {
    sets: Vec<String>,
    params: Vec<Value>,
    /// The API names of the changed fields, in order (for the audit log).
    pub(crate) fields: Vec<&'static str>,
}

impl Changes {
    /// Records `field`, stored in `column`, when the new value differs from the stored one.
    pub(crate) fn set_if(&mut self, differs: bool, field: &'static str, column: &str, value: impl Into<Value>) {
        if differs {
            self.sets.push(format!("{column} = ?"));
            self.params.push(value.into());
            self.fields.push(field);
        }
    }

    /// Records a changed field that is kept outside the row (e.g. role links).
    pub(crate) fn touched(&mut self, field: &'static str) {
        self.fields.push(field);
    }

    /// Whether nothing changed (then nothing is written and the version stays).
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Writes the row `id` of `table`; `updated_by` only for tables that record it.
    pub(crate) fn write(
        self,
        db: &dyn Db,
        table: &str,
        id: i64,
        updated_by: Option<i64>,
    ) -> Result<(), crate::db::DbError> {
        self.write_keyed(db, table, &[("id", id.into())], updated_by)
    }

    /// Writes the row of `table` whose `key` columns hold the given values (for tables keyed by
    /// text, such as dictionary entries).
    pub(crate) fn write_keyed(
        mut self,
        db: &dyn Db,
        table: &str,
        key: &[(&str, Value)],
        updated_by: Option<i64>,
    ) -> Result<(), crate::db::DbError> {
        self.sets.push("version = version + 1".into());
        self.sets.push("updated_at = ?".into());
        self.params.push(crate::clock::now().into());
        if let Some(user) = updated_by {
            self.sets.push("updated_by = ?".into());
            self.params.push(user.into());
        }
        let mut clauses = Vec::with_capacity(key.len());
        for (column, value) in key {
            clauses.push(format!("{column} = ?"));
            self.params.push(value.clone());
        }
        db.execute(
            &format!(
                "UPDATE {table} SET {} WHERE {}",
                self.sets.join(", "),
                clauses.join(" AND ")
            ),
            &self.params,
        )
    }
}

/// Reads a JSON object body field by field, collecting every error.
pub(crate) struct Body<'a> {
    map: &'a Map<String, Json>,
    /// Every invalid field found so far.
    pub(crate) errors: FieldErrors,
}

impl<'a> Body<'a> {
    /// Starts reading `body`, reporting keys outside `allowed` as `unknown_field`.
    pub(crate) fn new(body: &'a Json, allowed: &[&str]) -> Result<Body<'a>, CoreError> {
        let Some(map) = body.as_object() else {
            return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
        };
        let mut errors = FieldErrors::new();
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                errors.push(key.clone(), "unknown_field", "not a writable field");
            }
        }
        Ok(Body { map, errors })
    }

    fn typed<T>(&mut self, key: &str, expected: &str, read: impl FnOnce(&Json) -> Option<T>) -> Patch<T> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(value) => match read(value) {
                Some(v) => Patch::Set(v),
                None => {
                    self.errors.push(key, "invalid_type", format!("expected {expected}"));
                    Patch::Invalid
                }
            },
        }
    }

    /// A boolean; `null` is invalid.
    pub(crate) fn bool(&mut self, key: &str) -> Option<bool> {
        match self.typed(key, "true or false", Json::as_bool) {
            Patch::Set(v) => Some(v),
            Patch::Null => {
                self.errors.push(key, "invalid_type", "expected true or false");
                None
            }
            _ => None,
        }
    }

    /// An integer (or `null` to clear).
    pub(crate) fn int(&mut self, key: &str) -> Patch<i64> {
        self.typed(key, "an integer", Json::as_i64)
    }

    /// An integer that may not be cleared.
    pub(crate) fn required_int(&mut self, key: &str) -> Option<i64> {
        match self.int(key) {
            Patch::Set(v) => Some(v),
            Patch::Null => {
                self.errors.push(key, "invalid_type", "expected an integer");
                None
            }
            _ => None,
        }
    }

    /// A raw string, not trimmed (passwords), that may not be cleared.
    pub(crate) fn raw_string(&mut self, key: &str) -> Option<String> {
        match self.typed(key, "a string", |v| v.as_str().map(str::to_owned)) {
            Patch::Set(v) => Some(v),
            Patch::Null => {
                self.errors.push(key, "required", "may not be empty");
                None
            }
            _ => None,
        }
    }

    /// A trimmed text of at most `max` characters. With `required`, `null` and an empty text
    /// are `required` errors; otherwise they clear the field (`Patch::Null`).
    pub(crate) fn text(&mut self, key: &str, max: usize, required: bool) -> Patch<String> {
        let text = match self.typed(key, "a string", |v| v.as_str().map(|s| s.trim().to_owned())) {
            Patch::Set(s) if s.is_empty() => Patch::Null,
            other => other,
        };
        match text {
            Patch::Null if required => {
                self.errors.push(key, "required", "may not be empty");
                Patch::Invalid
            }
            Patch::Set(s) if s.chars().count() > max => {
                self.errors.push(key, "too_long", format!("at most {max} characters"));
                Patch::Invalid
            }
            other => other,
        }
    }

    /// A list of integer ids, sorted and without repeats (`null` is the empty list).
    pub(crate) fn ids(&mut self, key: &str) -> Option<Vec<i64>> {
        let read = |v: &Json| -> Option<Vec<i64>> { v.as_array()?.iter().map(Json::as_i64).collect() };
        match self.typed(key, "a list of integer ids", read) {
            Patch::Set(mut ids) => {
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
            Patch::Null => Some(Vec::new()),
            _ => None,
        }
    }

    /// Reports `key` as missing if `value` is absent (for create).
    pub(crate) fn require<T>(&mut self, key: &str, value: &Patch<T>) {
        if matches!(value, Patch::Absent) {
            self.errors.push(key, "required", "is required");
        }
    }
}

/// Whether a row with this id exists in `table` (a fixed table name, never input).
pub(crate) fn exists(db: &dyn Db, table: &'static str, id: i64) -> Result<bool, CoreError> {
    Ok(!db
        .query(&format!("SELECT 1 FROM {table} WHERE id = ?"), &[id.into()])?
        .is_empty())
}

/// Checks a tree node's new parent in `table` (a fixed table name with `id` and `parent_id`):
/// it must exist (`not_found`) and, when moving node `id`, not be the node or below it
/// (`cycle`). Problems go to `errors` under `parent_id`; `noun` names the node kind.
pub(crate) fn check_parent(
    db: &dyn Db,
    table: &'static str,
    parent: &Patch<i64>,
    id: Option<i64>,
    noun: &str,
    errors: &mut FieldErrors,
) -> Result<(), CoreError> {
    let Patch::Set(parent) = *parent else { return Ok(()) };
    if !exists(db, table, parent)? {
        errors.push("parent_id", "not_found", format!("no {noun} with id {parent}"));
        return Ok(());
    }
    let Some(id) = id else { return Ok(()) };
    let below = db.query(
        &format!(
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT t.id FROM {table} t JOIN sub ON t.parent_id = sub.id) \
             SELECT 1 FROM sub WHERE id = ?"
        ),
        &[id.into(), parent.into()],
    )?;
    if !below.is_empty() {
        errors.push(
            "parent_id",
            "cycle",
            format!("a {noun} cannot be placed under itself or below itself"),
        );
    }
    Ok(())
}

/// Reports each of `ids` missing from `table` as `<field>[i]`/`not_found`.
pub(crate) fn check_ids_exist(
    db: &dyn Db,
    table: &'static str,
    field: &str,
    ids: &[i64],
    errors: &mut FieldErrors,
) -> Result<(), CoreError> {
    for (i, id) in ids.iter().enumerate() {
        if !exists(db, table, *id)? {
            errors.push(format!("{field}[{i}]"), "not_found", format!("no record with id {id}"));
        }
    }
    Ok(())
}

/// 412 unless `if_match` is absent or equals the stored `version`.
pub(crate) fn check_version(version: i64, if_match: Option<i64>) -> Result<(), CoreError> {
    match if_match {
        Some(expected) if expected != version => Err(CoreError::Stale),
        _ => Ok(()),
    }
}

/// Appends the audit row of a change made by `caller`.
pub(crate) fn audit(
    db: &dyn Db,
    caller: &Caller,
    action: &str,
    target: (&str, i64),
    details: Json,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    crate::audit::record(
        db,
        &AuditEvent {
            actor: Some(caller.user_id),
            action,
            target: Some(target),
            details,
        },
        client,
    )
}

/// An optional integer column as JSON.
pub(crate) fn opt_i64(value: Option<i64>) -> Json {
    value.map_or(Json::Null, Json::from)
}

/// A unix-seconds column as RFC 3339 JSON (`null` if missing).
pub(crate) fn time(value: Option<i64>) -> Json {
    value.map_or(Json::Null, |t| Json::from(crate::clock::rfc3339(t)))
}

/// `?, ?, ?` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Builds `WHERE` clauses and their parameters.
#[derive(Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    /// The parameters, in order.
    pub(crate) params: Vec<Value>,
}

impl Where {
    /// Adds one condition with its parameters.
    pub(crate) fn and(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    /// One keyset page (by id, ascending) of `select` under these conditions and after the
    /// query's cursor, each row rendered by `record`.
    pub(crate) fn page(
        mut self,
        db: &dyn Db,
        select: &str,
        query: &ListQuery,
        record: impl Fn(&crate::db::Row) -> Result<Json, CoreError>,
    ) -> Result<Page, CoreError> {
        if let Some(cursor) = query.cursor {
            self.and("id > ?", [cursor.into()]);
        }
        let mut params = self.params.clone();
        params.push((query.limit + 1).into());
        let rows = db.query(&format!("{select}{} ORDER BY id LIMIT ?", self.sql()), &params)?;
        let fetched = rows
            .iter()
            .map(|row| Ok((row.i64("id").unwrap_or_default(), record(&row)?)))
            .collect::<Result<Vec<_>, CoreError>>()?;
        Ok(Page::from_fetched(fetched, query.limit))
    }

    /// ` WHERE a AND b` (empty without conditions).
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// A link table from users or departments to their roles.
pub(crate) struct RoleLinks {
    /// `user_roles` or `department_roles`.
    table: &'static str,
    /// `user_id` or `department_id`.
    owner: &'static str,
}

/// Roles assigned to users.
pub(crate) const USER_ROLES: RoleLinks = RoleLinks {
    table: "user_roles",
    owner: "user_id",
};
/// Roles assigned to departments (every member gets them).
pub(crate) const DEPARTMENT_ROLES: RoleLinks = RoleLinks {
    table: "department_roles",
    owner: "department_id",
};

impl RoleLinks {
    /// Role ids per owner id, sorted, for the given owners.
    pub(crate) fn of(&self, db: &dyn Db, ids: &[i64]) -> Result<std::collections::BTreeMap<i64, Vec<i64>>, CoreError> {
        let mut out: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows = db.query(
            &format!(
                "SELECT {owner} AS owner, role_id FROM {table} WHERE {owner} IN ({}) ORDER BY {owner}, role_id",
                placeholders(ids.len()),
                owner = self.owner,
                table = self.table,
            ),
            &ids.iter().map(|id| Value::from(*id)).collect::<Vec<_>>(),
        )?;
        for row in rows.iter() {
            if let (Some(owner), Some(role)) = (row.i64("owner"), row.i64("role_id")) {
                out.entry(owner).or_default().push(role);
            }
        }
        Ok(out)
    }

    /// Replaces the roles of one owner.
    pub(crate) fn set(&self, db: &dyn Db, id: i64, role_ids: &[i64]) -> Result<(), CoreError> {
        db.execute(
            &format!("DELETE FROM {} WHERE {} = ?", self.table, self.owner),
            &[id.into()],
        )?;
        for role in role_ids {
            db.execute(
                &format!("INSERT INTO {} ({}, role_id) VALUES (?, ?)", self.table, self.owner),
                &[id.into(), (*role).into()],
            )?;
        }
        Ok(())
    }

    /// The role ids of one owner.
    pub(crate) fn of_one(&self, db: &dyn Db, id: i64) -> Result<Vec<i64>, CoreError> {
        Ok(self.of(db, &[id])?.remove(&id).unwrap_or_default())
    }

    /// One keyset page of `SELECT {columns} FROM {table}` under `filter`, each row rendered
    /// by `record` with its role ids.
    pub(crate) fn page(
        &self,
        db: &dyn Db,
        select: &str,
        filter: &Where,
        query: &ListQuery,
        record: fn(&crate::db::Row, Vec<i64>) -> Json,
    ) -> Result<Page, CoreError> {
        let mut params = filter.params.clone();
        params.push((query.limit + 1).into());
        let rows = db.query(&format!("{select}{} ORDER BY id LIMIT ?", filter.sql()), &params)?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.i64("id")).collect();
        let mut roles = self.of(db, &ids)?;
        let fetched = rows
            .iter()
            .map(|row| {
                let id = row.i64("id").unwrap_or_default();
                (id, record(&row, roles.remove(&id).unwrap_or_default()))
            })
            .collect();
        Ok(Page::from_fetched(fetched, query.limit))
    }
}
