//! The one skeleton of a settings write: create, update, delete, a resource's own actions
//! (`act`, `deactivate`) and rows another record owns (`add_row`, `change_row`), each write
//! ONE [`transaction`] together with its audit row, so a request either commits whole or
//! changes nothing. What differs between resources is their declaration ([`Resource`]) and
//! hooks; nothing here names a resource. Reading is in [`super::read`], the checks a write must
//! meet in [`super::rules`].
//!
//! The order of a write is part of the API (which problem a client sees first): permission
//! (403), body (400, 422), record (404), `If-Match` (412), declared checks and the `before`
//! hook (422, 409), uniqueness (409), write, `after` hook, audit.

use serde_json::{Map, Value as Json};

use super::rules::column_value;
use super::{Changes, Cx, Detail, Draft, Input, Key, Resource, audit, check_version};
use crate::acl::{Action, Caller};
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, Value, transaction};
use crate::error::CoreError;

impl Resource {
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

    fn load_current(&self, db: &dyn Db, key: &Key, if_match: Option<i64>) -> Result<Json, CoreError> {
        let current = self.load(db, key)?.ok_or(CoreError::NotFound)?;
        check_version(version(&current), if_match)?;
        Ok(current)
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
