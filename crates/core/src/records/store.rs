//! Rows <-> values: reading a record into its stored [`Values`] (columns, custom JSON, links),
//! rendering values as the API record, and writing inserts, changes and link rows. Column
//! names come only from entity definitions (never from input); values are always bound.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use super::entity::LinkDef;
use super::fields::{FieldDef, Storage, json_to_stored, stored_to_json};
use super::{Change, EntityDef, Values};
use crate::db::{Db, Row, Value};
use crate::error::CoreError;

/// Bookkeeping columns every record table has, besides the fields.
pub const META: &[&str] = &["id", "version", "created_at", "updated_at", "created_by", "updated_by"];

/// The key under which a loaded record carries its responsible user's department.
pub const RESPONSIBLE_DEPARTMENT: &str = "_responsible_department_id";

/// `SELECT` list and `FROM` of a record table under alias `t`, with the responsible user's
/// department for the ACL.
pub fn select_from(def: &EntityDef) -> String {
    select_with(def, &[])
}

/// [`select_from`] with extra result columns (e.g. a list's sort keys).
pub fn select_with(def: &EntityDef, extra: &[String]) -> String {
    let extra: String = extra.iter().map(|e| format!(", {e}")).collect();
    if !def.owned {
        return format!(
            "SELECT t.*, NULL AS {RESPONSIBLE_DEPARTMENT}{extra} FROM {} t",
            def.table
        );
    }
    format!(
        "SELECT t.*, u.department_id AS {RESPONSIBLE_DEPARTMENT}{extra} FROM {} t \
         LEFT JOIN users u ON u.id = t.responsible_id",
        def.table
    )
}

/// The values of one row (links not yet loaded; see [`load_links`]).
pub fn row_values(def: &EntityDef, row: &Row) -> Values {
    let mut values = Values::new();
    for meta in META.iter().chain([&RESPONSIBLE_DEPARTMENT]) {
        values.insert(meta.to_string(), row.get(meta).cloned().unwrap_or(Value::Null));
    }
    let custom: Map<String, Json> = row
        .str("custom")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    for field in &def.fields {
        let value = match field.storage {
            Storage::Column => row.get(&field.name).cloned().unwrap_or(Value::Null),
            Storage::Custom => custom.get(&field.name).map(json_to_stored).unwrap_or(Value::Null),
            Storage::Link(_) => continue,
        };
        values.insert(field.name.clone(), value);
    }
    values
}

/// Loads one record's values, or `None`.
pub fn load(db: &dyn Db, def: &EntityDef, id: i64) -> Result<Option<Values>, CoreError> {
    let rows = db.query(&format!("{} WHERE t.id = ?", select_from(def)), &[id.into()])?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut values = row_values(def, &row);
    load_links(db, def, std::slice::from_mut(&mut values))?;
    Ok(Some(values))
}

/// Fills the link fields of loaded records (one query per link field for all of them).
pub fn load_links(db: &dyn Db, def: &EntityDef, records: &mut [Values]) -> Result<(), CoreError> {
    for field in &def.fields {
        let Storage::Link(link) = field.storage else { continue };
        let ids: Vec<Value> = records.iter().filter_map(|v| v.get("id").cloned()).collect();
        let mut by_owner: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        if !ids.is_empty() {
            let order = link.primary.map(|p| format!("{p} DESC, ")).unwrap_or_default();
            let rows = db.query(
                &format!(
                    "SELECT {this} AS owner, {other} AS other FROM {table} WHERE {this} IN ({}) ORDER BY {this}, {order}sort, {other}",
                    crate::resource::placeholders(ids.len()),
                    this = link.this,
                    other = link.other,
                    table = link.table,
                ),
                &ids,
            )?;
            for row in rows.iter() {
                if let (Some(owner), Some(other)) = (row.i64("owner"), row.i64("other")) {
                    by_owner.entry(owner).or_default().push(other);
                }
            }
        }
        for values in records.iter_mut() {
            let id = values.get("id").and_then(Value::as_i64).unwrap_or_default();
            let linked = by_owner.remove(&id).unwrap_or_default();
            let stored = if linked.is_empty() {
                Value::Null
            } else {
                Value::Text(json!(linked).to_string())
            };
            values.insert(field.name.clone(), stored);
        }
    }
    Ok(())
}

/// The API record of stored values.
pub fn render(def: &EntityDef, values: &Values) -> Json {
    let mut out = Map::new();
    let null = Value::Null;
    out.insert("id".into(), json!(values.get("id").and_then(Value::as_i64)));
    let mut custom = Map::new();
    for field in &def.fields {
        let rendered = field.render(values.get(&field.name).unwrap_or(&null));
        if field.is_custom() {
            custom.insert(field.name.clone(), rendered);
        } else {
            out.insert(field.name.clone(), rendered);
        }
    }
    if let Some((alias, list)) = def.traits.link_alias {
        let first = out.get(list).and_then(|ids| ids.get(0)).cloned().unwrap_or(Json::Null);
        out.insert(alias.into(), first);
    }
    out.insert("custom".into(), Json::Object(custom));
    let int = |name: &str| values.get(name).and_then(Value::as_i64);
    out.insert("version".into(), json!(int("version")));
    for at in ["created_at", "updated_at"] {
        out.insert(at.into(), json!(int(at).map(crate::clock::rfc3339)));
    }
    for by in ["created_by", "updated_by"] {
        out.insert(by.into(), json!(int(by)));
    }
    Json::Object(out)
}

fn custom_json(def: &EntityDef, values: &Values) -> String {
    let mut custom = Map::new();
    for field in def.fields.iter().filter(|f| f.is_custom()) {
        if let Some(value) = values.get(&field.name).filter(|v| !v.is_null()) {
            custom.insert(field.name.clone(), stored_to_json(value, &field.kind));
        }
    }
    Json::Object(custom).to_string()
}

/// Inserts a new record and its links in as few statements as it can (`INSERT ... RETURNING`,
/// no reload unless links were written); returns the values as `load` would read them. With a
/// `guard` (a condition and its parameters) the row is inserted only when it holds: `None`
/// then means nothing was written.
pub fn insert(
    db: &dyn Db,
    def: &EntityDef,
    values: &Values,
    actor: i64,
    guard: Option<(String, Vec<Value>)>,
) -> Result<Option<Values>, CoreError> {
    let now = crate::clock::now();
    let mut columns: Vec<&str> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for field in def.fields.iter().filter(|f| f.storage == Storage::Column) {
        if let Some(value) = values.get(&field.name).filter(|v| !v.is_null()) {
            columns.push(&field.name);
            params.push(value.clone());
        }
    }
    columns.extend([
        "custom",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    ]);
    params.extend([
        custom_json(def, values).into(),
        1.into(),
        now.into(),
        now.into(),
        actor.into(),
        actor.into(),
    ]);
    for (column, value) in super::index::derived_columns(def, values, None) {
        columns.push(column);
        params.push(value);
    }
    let (condition, guard_params) = guard.unwrap_or_else(|| ("1".into(), Vec::new()));
    params.extend(guard_params);
    let rows = db.write(
        &format!(
            "INSERT INTO {} ({}) SELECT {} WHERE {condition} RETURNING *",
            def.table,
            columns.join(", "),
            crate::resource::placeholders(columns.len())
        ),
        &params,
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut stored = row_values(def, &row);
    let id = stored
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| CoreError::Internal("no id".into()))?;
    stored.insert(
        RESPONSIBLE_DEPARTMENT.into(),
        values.get(RESPONSIBLE_DEPARTMENT).cloned().unwrap_or(Value::Null),
    );
    let mut linked = false;
    for field in &def.fields {
        if let Storage::Link(link) = field.storage {
            let ids = linked_ids(values.get(&field.name));
            // A new record has no links yet: an empty set costs no statement.
            if !ids.is_empty() {
                linked = true;
                set_links(db, link, id, &ids)?;
            }
        }
    }
    if linked {
        // Links read back in their stored order.
        load_links(db, def, std::slice::from_mut(&mut stored))?;
    } else {
        for field in def.fields.iter().filter(|f| matches!(f.storage, Storage::Link(_))) {
            stored.insert(field.name.clone(), Value::Null);
        }
    }
    Ok(Some(stored))
}

/// Whether [`insert`] of `values` sends one statement: the row (its triggers write the derived
/// rows), no links.
pub fn insert_is_one_statement(def: &EntityDef, values: &Values) -> bool {
    def.fields
        .iter()
        .all(|field| !matches!(field.storage, Storage::Link(_)) || linked_ids(values.get(&field.name)).is_empty())
}

/// Writes an update's changes to the row (one `UPDATE`, version + 1) and its links.
pub fn update(
    db: &dyn Db,
    def: &EntityDef,
    id: i64,
    after: &Values,
    changes: &[Change],
    actor: i64,
) -> Result<(), CoreError> {
    let mut sets: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut custom_changed = false;
    for change in changes {
        let Some(field) = def.field(&change.field) else {
            continue;
        };
        match field.storage {
            Storage::Column => {
                sets.push(format!("{} = ?", field.name));
                params.push(change.new.clone());
            }
            Storage::Custom => custom_changed = true,
            Storage::Link(link) => set_links(db, link, id, &linked_ids(Some(&change.new)))?,
        }
    }
    if custom_changed {
        sets.push("custom = ?".into());
        params.push(custom_json(def, after).into());
    }
    for (column, value) in super::index::derived_columns(def, after, Some(changes)) {
        sets.push(format!("{column} = ?"));
        params.push(value);
    }
    sets.extend([
        "version = version + 1".into(),
        "updated_at = ?".into(),
        "updated_by = ?".into(),
    ]);
    params.extend([crate::clock::now().into(), actor.into(), id.into()]);
    db.execute(
        &format!("UPDATE {} SET {} WHERE id = ?", def.table, sets.join(", ")),
        &params,
    )?;
    Ok(())
}

/// Removes a record's row and its link rows.
pub fn delete(db: &dyn Db, def: &EntityDef, id: i64) -> Result<(), CoreError> {
    for field in &def.fields {
        if let Storage::Link(link) = field.storage {
            set_links(db, link, id, &[])?;
        }
    }
    db.execute(&format!("DELETE FROM {} WHERE id = ?", def.table), &[id.into()])?;
    Ok(())
}

/// The ids a link field's stored value lists.
pub fn linked_ids(value: Option<&Value>) -> Vec<i64> {
    value
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Vec<i64>>(s).ok())
        .unwrap_or_default()
}

/// Replaces the links of record `id`. Where links have a primary flag (the contact's side),
/// the rows are rewritten in order and the first id is the primary one; from the other side
/// (a company's contacts) only added and removed rows change, so each contact keeps its primary.
fn set_links(db: &dyn Db, link: &LinkDef, id: i64, ids: &[i64]) -> Result<(), CoreError> {
    if let Some(primary) = link.primary {
        db.execute(
            &format!("DELETE FROM {} WHERE {} = ?", link.table, link.this),
            &[id.into()],
        )?;
        for (i, other) in ids.iter().enumerate() {
            db.execute(
                &format!(
                    "INSERT INTO {} ({}, {}, {primary}, sort) VALUES (?, ?, ?, ?)",
                    link.table, link.this, link.other
                ),
                &[id.into(), (*other).into(), (i == 0).into(), (i as i64).into()],
            )?;
        }
        return Ok(());
    }
    let existing: Vec<i64> = db
        .query(
            &format!(
                "SELECT {} AS other FROM {} WHERE {} = ?",
                link.other, link.table, link.this
            ),
            &[id.into()],
        )?
        .iter()
        .filter_map(|r| r.i64("other"))
        .collect();
    for gone in existing.iter().filter(|o| !ids.contains(o)) {
        db.execute(
            &format!(
                "DELETE FROM {} WHERE {} = ? AND {} = ?",
                link.table, link.this, link.other
            ),
            &[id.into(), (*gone).into()],
        )?;
    }
    for added in ids.iter().filter(|o| !existing.contains(o)) {
        db.execute(
            &format!(
                "INSERT INTO {table} ({this}, {other}, sort) VALUES (?, ?, \
                 (SELECT COUNT(*) FROM {table} WHERE {other} = ?))",
                table = link.table,
                this = link.this,
                other = link.other
            ),
            &[id.into(), (*added).into(), (*added).into()],
        )?;
    }
    Ok(())
}

/// A field's stored value, or `NULL`.
pub fn value_of<'v>(values: &'v Values, field: &FieldDef) -> &'v Value {
    static NULL: Value = Value::Null;
    values.get(&field.name).unwrap_or(&NULL)
}
