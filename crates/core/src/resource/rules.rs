//! What a write must meet before it happens, in the order the API answers: the body read by
//! the declared rules (400, 422), the defaults of a create, immutable and fixed fields,
//! references and trees, the `before` hook (422s together, or its own 409), uniqueness (409);
//! and what a patch really changes, compared as the API shows the values.

use serde_json::{Map, Value as Json};

use super::{
    Body, Changes, Cx, Draft, Input, Key, Patch, Resource, Rule, Store, check_ids_exist, check_parent, exists,
};
use crate::db::{Db, DbError, Value};
use crate::error::CoreError;

impl Resource {
    /// Reads `body`: unknown keys (400 for a non-object), each writable field by its rule,
    /// required ones on create, then the `parse` hook; every problem at once (422).
    pub fn parse(&self, body: &Json, creating: bool, current: Option<&Json>) -> Result<Input, CoreError> {
        let writable: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.writable(creating))
            .map(|f| f.name)
            .collect();
        let mut b = Body::new(body, &writable)?;
        let mut patches = Vec::with_capacity(writable.len());
        for field in self.fields.iter().filter(|f| f.writable(creating)) {
            let patch = field.read(&mut b, creating);
            if creating && field.required {
                b.require(field.name, &patch);
            }
            patches.push((field.name, patch));
        }
        let given = body
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut input = Input::new(patches, given);
        if let Some(parse) = self.hooks.parse {
            parse(&mut b, &mut input, current)?;
        }
        b.errors.into_result()?;
        Ok(input)
    }

    /// The defaults of a create, computed ones included.
    pub(super) fn defaults(
        &self,
        db: &dyn Db,
        scope: &[(&'static str, Value)],
    ) -> Result<Map<String, Json>, CoreError> {
        let mut out = Map::new();
        for field in self.fields {
            let value = match field.default {
                None => continue,
                Some(super::Default::Int(i)) => Json::from(i),
                Some(super::Default::Text(t)) => Json::from(t),
                Some(super::Default::Bool(b)) => Json::from(b),
                Some(super::Default::Json(text)) => serde_json::from_str(text)
                    .map_err(|e| CoreError::Internal(format!("default of {}: {e}", field.name)))?,
                Some(super::Default::Computed(compute)) => compute(db, scope)?,
            };
            out.insert(field.name.to_string(), value);
        }
        Ok(out)
    }

    /// Immutable fields, references, the `before` hook (422s together), then uniqueness (409).
    pub(super) fn check(&self, cx: &mut Cx, scope: &[(&'static str, Value)]) -> Result<(), CoreError> {
        for field in self.fields {
            let Patch::Set(value) = cx.draft.patch(field.name).clone() else {
                continue;
            };
            if let Some(current) = cx.draft.current()
                && current.get(field.name) != Some(&value)
            {
                match field.on_update {
                    super::OnUpdate::Immutable(message) => cx.errors.push(field.name, "immutable", message),
                    super::OnUpdate::FixedIf { flag, code, message } if current[flag] == true => {
                        cx.errors.push(field.name, code, message)
                    }
                    _ => {}
                }
            }
            match field.rule {
                Rule::Ref { table, noun } => {
                    let id = value.as_i64().unwrap_or_default();
                    if !exists(cx.db, table, id)? {
                        cx.errors
                            .push(field.name, "not_found", format!("no {noun} with id {id}"));
                    }
                }
                Rule::Parent { noun } => {
                    let parent = Patch::Set(value.as_i64().unwrap_or_default());
                    let id = cx.key.as_ref().and_then(Key::as_id);
                    check_parent(cx.db, self.table, field.name, &parent, id, noun, &mut cx.errors)?;
                }
                Rule::Ids(table) => {
                    let ids: Vec<i64> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_i64)
                        .collect();
                    check_ids_exist(cx.db, table, field.name, &ids, &mut cx.errors)?;
                }
                _ => {}
            }
        }
        if let Some(before) = self.hooks.before {
            before(cx)?;
        }
        std::mem::take(&mut cx.errors).into_result()?;
        self.check_unique(cx, scope)
    }

    /// 409 if another record holds the unique columns' new values (checked when one of them
    /// is given).
    pub(super) fn check_unique(&self, cx: &Cx, scope: &[(&'static str, Value)]) -> Result<(), CoreError> {
        let Some(unique) = self.unique else { return Ok(()) };
        let mut columns: Vec<(&'static str, Value)> = scope.to_vec();
        if let Some(key) = &cx.key {
            columns.extend(key.0.iter().cloned());
        }
        let mut given = false;
        for field in self.fields {
            if let Some(value) = cx.draft.get(field.name) {
                let stored = field.columns(value, cx.draft.current().and_then(|c| c.get(field.name)));
                given |= cx.draft.patch(field.name).given()
                    && stored.iter().any(|(column, _)| unique.columns.contains(column));
                columns.extend(stored);
            }
        }
        if !given {
            return Ok(());
        }
        let collate = if unique.nocase { " COLLATE NOCASE" } else { "" };
        let mut clauses: Vec<String> = unique.columns.iter().map(|c| format!("{c} = ?{collate}")).collect();
        let mut params: Vec<Value> = unique.columns.iter().map(|c| column_value(&columns, c)).collect();
        if let Some(key) = &cx.key {
            clauses.push(format!("NOT ({})", key.sql()));
            params.extend(key.params());
        }
        let sql = format!("SELECT 1 FROM {} WHERE {}", self.table, clauses.join(" AND "));
        if db_has_rows(cx.db, &sql, &params)? {
            return Err(CoreError::Conflict(self.conflict_message(&cx.draft)));
        }
        Ok(())
    }

    /// A UNIQUE failure on the declared columns (a race past the check) is the same 409.
    pub(super) fn unique_violation(&self, result: Result<(), DbError>) -> Result<(), CoreError> {
        match (result, self.unique) {
            (Err(DbError::Constraint { message }), Some(unique))
                if message.contains("UNIQUE")
                    && unique
                        .columns
                        .iter()
                        .any(|c| message.contains(&format!("{}.{c}", self.table))) =>
            {
                Err(CoreError::Conflict(unique.message.to_string()))
            }
            (other, _) => Ok(other?),
        }
    }

    pub(super) fn conflict_message(&self, draft: &Draft) -> String {
        let mut message = self.unique.map(|u| u.message).unwrap_or_default().to_string();
        for field in self.fields {
            let placeholder = format!("{{{}}}", field.name);
            if message.contains(&placeholder) {
                let value = draft.get(field.name).and_then(Json::as_str).unwrap_or_default();
                message = message.replace(&placeholder, value);
            }
        }
        message
    }

    /// What a patch changes, field by field (compared as the API shows the values).
    pub(super) fn changes(&self, draft: &Draft, current: &Json) -> Changes {
        let mut changes = Changes::default();
        for field in self.fields {
            let new = match draft.patch(field.name) {
                Patch::Set(value) => value.clone(),
                Patch::Null => Json::Null,
                Patch::Absent | Patch::Invalid => continue,
            };
            let old = current.get(field.name).unwrap_or(&Json::Null);
            match field.store {
                Store::Outside => {
                    if new != *old {
                        changes.touched(field.name);
                    }
                }
                Store::Virtual => {}
                Store::Names(en, ru) => {
                    let full = super::field::complete_names(&new, Some(old));
                    for (part, column) in [("en", en), ("ru", ru)] {
                        let value = full[part].as_str().map(str::to_owned);
                        changes.set_if(full[part] != old[part], format!("{}.{part}", field.name), column, value);
                    }
                }
                _ => {
                    for (column, value) in field.columns(&new, Some(old)) {
                        changes.set_if(new != *old, field.name, column, value);
                    }
                }
            }
        }
        changes
    }
}

pub(super) fn column_value(columns: &[(&'static str, Value)], column: &str) -> Value {
    columns
        .iter()
        .rev()
        .find(|(c, _)| *c == column)
        .map_or(Value::Null, |(_, v)| v.clone())
}

fn db_has_rows(db: &dyn Db, sql: &str, params: &[Value]) -> Result<bool, CoreError> {
    Ok(!db.query(sql, params)?.is_empty())
}
