//! The one skeleton of a settings resource: list, read, create, update, delete and named
//! actions, each write ONE [`transaction`] together with its audit row, so a request either
//! commits whole or changes nothing. What differs between resources is their declaration
//! ([`Resource`]) and hooks; nothing here names a resource.
//!
//! The order of a write is part of the API (which problem a client sees first): permission
//! (403), body (400, 422), record (404), `If-Match` (412), declared checks and the `before`
//! hook (422, 409), uniqueness (409), write, `after` hook, audit.

use serde_json::{Map, Value as Json};

use super::{
    Body, Changes, Cx, Detail, Draft, Input, Key, ListQuery, Page, Patch, Resource, Rule, Store, Where, audit,
    check_ids_exist, check_parent, check_version, exists,
};
use crate::acl::{Action, Caller};
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, DbError, Rows, Value, transaction};
use crate::error::CoreError;

impl Resource {
    /// One keyset page by id ascending, filtered by the declared filters (read permission).
    pub fn list(&self, db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
        self.access.require_read(caller)?;
        let mut filter = Where::default();
        for name in self.filters {
            let field = self.field(name)?;
            match field.store {
                Store::Int(column) => {
                    if let Some(value) = query.filter_i64(name)? {
                        filter.and(format!("{column} = ?"), [value.into()]);
                    }
                }
                Store::Bool(column) => {
                    if let Some(value) = query.filter_bool(name)? {
                        filter.and(format!("{column} = ?"), [value.into()]);
                    }
                }
                Store::Text(column) => {
                    if let Some(value) = query.filter(name) {
                        filter.and(format!("{column} = ?"), [value.trim().into()]);
                    }
                }
                _ => return Err(CoreError::Internal(format!("{name} cannot be a filter"))),
            }
        }
        if let Some(cursor) = query.cursor {
            filter.and("id > ?", [cursor.into()]);
        }
        let mut params = filter.params.clone();
        params.push((query.limit + 1).into());
        let sql = format!("SELECT * FROM {}{} ORDER BY id LIMIT ?", self.table, filter.sql());
        let rows = db.query(&sql, &params)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.i64("id").unwrap_or_default()).collect();
        let records = self.render(db, &rows)?;
        Ok(Page::from_fetched(ids.into_iter().zip(records).collect(), query.limit))
    }

    /// Every record whose `scope` columns hold the given values, in the declared order
    /// (read permission).
    pub fn all(&self, db: &dyn Db, caller: &Caller, scope: &[(&'static str, Value)]) -> Result<Vec<Json>, CoreError> {
        self.access.require_read(caller)?;
        let mut filter = Where::default();
        for (column, value) in scope {
            filter.and(format!("{column} = ?"), [value.clone()]);
        }
        let sql = format!("SELECT * FROM {}{} ORDER BY {}", self.table, filter.sql(), self.order);
        self.render(db, &db.query(&sql, &filter.params)?)
    }

    /// One record (read permission); 404 if there is none.
    pub fn get(&self, db: &dyn Db, caller: &Caller, key: &Key) -> Result<Json, CoreError> {
        self.access.require_read(caller)?;
        self.load(db, key)?.ok_or(CoreError::NotFound)
    }

    /// The record `key` addresses, if any, as the API shows it.
    pub fn load(&self, db: &dyn Db, key: &Key) -> Result<Option<Json>, CoreError> {
        let sql = format!("SELECT * FROM {} WHERE {}", self.table, key.sql());
        Ok(self.render(db, &db.query(&sql, &key.params())?)?.pop())
    }

    /// Creates a record from `body` (add permission), with the `scope` columns (a dictionary's
    /// `kind`), and returns it.
    pub fn create(
        &self,
        db: &dyn Db,
        caller: &Caller,
        scope: &[(&'static str, Value)],
        body: &Json,
        client: &ClientInfo,
    ) -> Result<Json, CoreError> {
        caller.require(self.access.write, Action::Add)?;
        let input = self.parse(body, true, None)?;
        transaction(db, |db| {
            let cx = self.insert(db, caller, scope, input, body)?;
            self.finish_write(cx, self.audit.created, client)
        })
    }

    /// Changes a record with a JSON merge-patch (update permission); 412 on a stale
    /// `if_match`. A patch that changes nothing writes nothing, unless the resource is
    /// written whole ([`Resource::always_write`]).
    pub fn update(
        &self,
        db: &dyn Db,
        caller: &Caller,
        key: &Key,
        body: &Json,
        if_match: Option<i64>,
        client: &ClientInfo,
    ) -> Result<Json, CoreError> {
        caller.require(self.access.write, Action::Update)?;
        let early = match self.parse_after_load {
            true => Some(self.load_current(db, key, if_match)?),
            false => None,
        };
        let input = self.parse(body, false, early.as_ref())?;
        transaction(db, |db| {
            let current = self.load_current(db, key, if_match)?;
            let input = match &early {
                Some(early) if version(early) != version(&current) => self.parse(body, false, Some(&current))?,
                _ => input,
            };
            match self.write_changes(db, caller, key, input, current.clone(), body)? {
                Some(cx) => self.finish_write(cx, self.audit.updated, client),
                None => Ok(current),
            }
        })
    }

    /// Adds a row that belongs to another record (a pipeline's stage) inside the caller's
    /// transaction: what [`Resource::create`] does between parsing and auditing — defaults,
    /// checks, insert, the `after` hook. The owner's action audits it. Returns its key.
    pub fn add_row(
        &self,
        db: &dyn Db,
        caller: &Caller,
        scope: &[(&'static str, Value)],
        input: Input,
    ) -> Result<Key, CoreError> {
        let mut cx = self.insert(db, caller, scope, input, &Json::Null)?;
        self.after(&mut cx)?;
        cx.key
            .ok_or_else(|| CoreError::Internal("an insert without a key".into()))
    }

    /// Changes a row that belongs to another record inside the caller's transaction (404 if
    /// there is none): what [`Resource::update`] does between loading and auditing. Returns the
    /// fields that changed.
    pub fn change_row(&self, db: &dyn Db, caller: &Caller, key: &Key, input: Input) -> Result<Vec<String>, CoreError> {
        let current = self.load(db, key)?.ok_or(CoreError::NotFound)?;
        let Some(mut cx) = self.write_changes(db, caller, key, input, current, &Json::Null)? else {
            return Ok(Vec::new());
        };
        self.after(&mut cx)?;
        Ok(cx.changed)
    }

    /// Deletes a record (delete permission); the `deleting` hook may refuse (409); 412 on a
    /// stale `if_match`.
    pub fn delete(
        &self,
        db: &dyn Db,
        caller: &Caller,
        key: &Key,
        if_match: Option<i64>,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        caller.require(self.access.write, Action::Delete)?;
        transaction(db, |db| {
            let current = self.load_current(db, key, if_match)?;
            if let Some(deleting) = self.hooks.deleting {
                deleting(db, key, &current)?;
            }
            db.execute(
                &format!("DELETE FROM {} WHERE {}", self.table, key.sql()),
                &key.params(),
            )?;
            let mut cx = context(
                db,
                caller,
                Draft::new(Input::default(), None, Map::new(), &Json::Null),
                "deleted",
            );
            cx.key = Some(key.clone());
            let details = self.details(self.audit.deleted, &cx, &current);
            self.write_audit(&cx, details, client)
        })
    }

    /// An action of the resource's own on one record (`permission` needed; 412 on a stale
    /// `if_match`): `work` sees the stored record and notes column changes; its audit details
    /// (`None`: nothing done, nothing written) go under `<noun>.<verb>`, and the record is
    /// written with a new version even if no column of its own changed (its stages did).
    /// Returns the record as it is after.
    #[allow(clippy::too_many_arguments)]
    pub fn act(
        &self,
        db: &dyn Db,
        caller: &Caller,
        permission: Action,
        key: &Key,
        if_match: Option<i64>,
        client: &ClientInfo,
        verb: &'static str,
        work: impl FnOnce(&dyn Db, &Json, &mut Changes) -> Result<Option<Json>, CoreError>,
    ) -> Result<Json, CoreError> {
        caller.require(self.access.write, permission)?;
        transaction(db, |db| {
            let current = self.load_current(db, key, if_match)?;
            let mut changes = Changes::default();
            let Some(details) = work(db, &current, &mut changes)? else {
                return Ok(current);
            };
            changes.write(db, self.table, &key.0, self.stamps, caller.user_id)?;
            let mut cx = context(
                db,
                caller,
                Draft::new(Input::default(), None, Map::new(), &Json::Null),
                verb,
            );
            cx.key = Some(key.clone());
            self.write_audit(&cx, details.as_object().cloned().unwrap_or_default(), client)?;
            self.load(db, key)?.ok_or(CoreError::NotFound)
        })
    }

    /// Deactivates instead of deleting, for records that stay referred to (delete permission;
    /// 412 on a stale `if_match`): the `active` column becomes false, audited as
    /// `<noun>.deactivated` with `details`. `guard` runs first with the stored record: it may
    /// refuse (409), say there is nothing to do (`false`: nothing is written), or do what goes
    /// with it.
    #[allow(clippy::too_many_arguments)]
    pub fn deactivate(
        &self,
        db: &dyn Db,
        caller: &Caller,
        key: &Key,
        if_match: Option<i64>,
        client: &ClientInfo,
        details: Json,
        guard: impl FnOnce(&dyn Db, &Json) -> Result<bool, CoreError>,
    ) -> Result<(), CoreError> {
        self.act(
            db,
            caller,
            Action::Delete,
            key,
            if_match,
            client,
            "deactivated",
            |db, current, changes| {
                if !guard(db, current)? {
                    return Ok(None);
                }
                changes.set_if(true, "active", "active", false);
                Ok(Some(details))
            },
        )?;
        Ok(())
    }

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

    fn load_current(&self, db: &dyn Db, key: &Key, if_match: Option<i64>) -> Result<Json, CoreError> {
        let current = self.load(db, key)?.ok_or(CoreError::NotFound)?;
        check_version(version(&current), if_match)?;
        Ok(current)
    }

    /// The records of `rows` as the API shows them.
    pub fn render(&self, db: &dyn Db, rows: &Rows) -> Result<Vec<Json>, CoreError> {
        let mut outside = match self.hooks.outside {
            Some(outside) => outside(db, &rows.iter().filter_map(|r| r.i64("id")).collect::<Vec<_>>())?,
            None => Default::default(),
        };
        let mut records = Vec::with_capacity(rows.len());
        for row in rows.iter() {
            let mut extra = outside.remove(&row.i64("id").unwrap_or_default()).unwrap_or_default();
            let mut record = Map::new();
            for field in self.fields {
                let value = match field.store {
                    Store::Outside => Some(extra.remove(field.name).unwrap_or(Json::Null)),
                    _ => field.render(&row),
                };
                if let Some(value) = value {
                    record.insert(field.name.to_string(), value);
                }
            }
            for field in self.stamps.fields() {
                if !record.contains_key(field.name)
                    && let Some(value) = field.render(&row)
                {
                    record.insert(field.name.to_string(), value);
                }
            }
            if let Some(finish) = self.hooks.finish {
                finish(&row, &mut record)?;
            }
            records.push(Json::Object(record));
        }
        Ok(records)
    }

    /// The defaults of a create, computed ones included.
    fn defaults(&self, db: &dyn Db, scope: &[(&'static str, Value)]) -> Result<Map<String, Json>, CoreError> {
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
    fn check(&self, cx: &mut Cx, scope: &[(&'static str, Value)]) -> Result<(), CoreError> {
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
    fn check_unique(&self, cx: &Cx, scope: &[(&'static str, Value)]) -> Result<(), CoreError> {
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
    fn unique_violation(&self, result: Result<(), DbError>) -> Result<(), CoreError> {
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

    fn conflict_message(&self, draft: &Draft) -> String {
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
    fn changes(&self, draft: &Draft, current: &Json) -> Changes {
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

    /// Defaults, checks and the insert of a create; the context has the new key.
    fn insert<'a>(
        &self,
        db: &'a dyn Db,
        caller: &'a Caller,
        scope: &[(&'static str, Value)],
        input: Input,
        body: &'a Json,
    ) -> Result<Cx<'a>, CoreError> {
        let defaults = self.defaults(db, scope)?;
        let mut cx = context(db, caller, Draft::new(input, None, defaults, body), "created");
        self.check(&mut cx, scope)?;
        let mut columns = scope.to_vec();
        for field in self.fields {
            if let Some(value) = cx.draft.get(field.name) {
                columns.extend(field.columns(value, None));
            }
        }
        columns.extend(self.stamps.on_insert(caller.user_id));
        let names: Vec<&str> = columns.iter().map(|(column, _)| *column).collect();
        let values: Vec<Value> = columns.iter().map(|(_, value)| value.clone()).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.table,
            names.join(", "),
            super::placeholders(names.len())
        );
        self.unique_violation(db.execute(&sql, &values))?;
        cx.key = Some(match self.key {
            ["id"] => Key::id(db.last_insert_id()?),
            key => Key(key.iter().map(|k| (*k, column_value(&columns, k))).collect()),
        });
        Ok(cx)
    }

    /// Checks and writes what `input` changes in the stored record `current`; `None` when
    /// nothing changed and nothing was written.
    fn write_changes<'a>(
        &self,
        db: &'a dyn Db,
        caller: &'a Caller,
        key: &Key,
        input: Input,
        current: Json,
        body: &'a Json,
    ) -> Result<Option<Cx<'a>>, CoreError> {
        let mut cx = context(
            db,
            caller,
            Draft::new(input, Some(current), Map::new(), body),
            "updated",
        );
        cx.key = Some(key.clone());
        self.check(&mut cx, &[])?;
        let current = cx.draft.current().cloned().unwrap_or_default();
        let changes = self.changes(&cx.draft, &current);
        if changes.is_empty() && !self.always_write {
            return Ok(None);
        }
        cx.changed = changes.fields.clone();
        self.unique_violation(changes.write(db, self.table, &key.0, self.stamps, caller.user_id))?;
        Ok(Some(cx))
    }

    fn after(&self, cx: &mut Cx) -> Result<(), CoreError> {
        match self.hooks.after {
            Some(after) => after(cx),
            None => Ok(()),
        }
    }

    /// The `after` hook, then the audit row, then the record as it is now.
    fn finish_write(&self, mut cx: Cx, declared: &[Detail], client: &ClientInfo) -> Result<Json, CoreError> {
        self.after(&mut cx)?;
        let key = cx
            .key
            .clone()
            .ok_or_else(|| CoreError::Internal("a write without a key".into()))?;
        let record = self.load(cx.db, &key)?.ok_or(CoreError::NotFound)?;
        let details = self.details(declared, &cx, &record);
        self.write_audit(&cx, details, client)?;
        Ok(record)
    }

    fn details(&self, declared: &[Detail], cx: &Cx, record: &Json) -> Map<String, Json> {
        let mut out = Map::new();
        for detail in declared {
            match detail {
                Detail::Given => {
                    out.insert("fields".into(), Json::from(cx.draft.input.given().to_vec()));
                }
                Detail::Changed => {
                    out.insert("fields".into(), Json::from(cx.changed.clone()));
                }
                Detail::Body => out.extend(cx.draft.body.as_object().cloned().unwrap_or_default()),
                Detail::Key => out.extend(cx.key.as_ref().map(Key::to_json).unwrap_or_default()),
                Detail::Field(name) => {
                    out.insert((*name).into(), record.get(*name).cloned().unwrap_or(Json::Null));
                }
            }
        }
        out.extend(cx.details.clone());
        out
    }

    fn write_audit(&self, cx: &Cx, details: Map<String, Json>, client: &ClientInfo) -> Result<(), CoreError> {
        let action = format!("{}.{}", self.noun, cx.verb);
        match cx.key.as_ref().and_then(Key::as_id) {
            Some(id) => audit(
                cx.db,
                cx.caller,
                &action,
                (self.noun, id),
                Json::Object(details),
                client,
            ),
            None => crate::audit::record(
                cx.db,
                &AuditEvent {
                    actor: Some(cx.caller.user_id),
                    action: &action,
                    target: None,
                    details: Json::Object(details),
                },
                client,
            ),
        }
    }
}

fn context<'a>(db: &'a dyn Db, caller: &'a Caller, draft: Draft<'a>, verb: &'static str) -> Cx<'a> {
    Cx {
        db,
        caller,
        key: None,
        draft,
        errors: Default::default(),
        details: Map::new(),
        verb,
        changed: Vec::new(),
    }
}

/// A record's `version` (0 for rows without one).
fn version(record: &Json) -> i64 {
    record["version"].as_i64().unwrap_or_default()
}

fn column_value(columns: &[(&'static str, Value)], column: &str) -> Value {
    columns
        .iter()
        .rev()
        .find(|(c, _)| *c == column)
        .map_or(Value::Null, |(_, v)| v.clone())
}

fn db_has_rows(db: &dyn Db, sql: &str, params: &[Value]) -> Result<bool, CoreError> {
    Ok(!db.query(sql, params)?.is_empty())
}
