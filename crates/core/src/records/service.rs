//! The one record pipeline every record entity shares (EspoCRM's `Record/Service`). Each
//! operation reads top-down: permission check, parse only known writable fields, defaults,
//! before-hooks, references, ACL on the owner and stage, write, after-hooks (search index,
//! channels, timeline), all in ONE transaction: a request commits whole or changes nothing.

use serde_json::{Value as Json, json};

use super::fields::{ParseContext, Reference, Storage};
use super::hooks::{self, HookContext, HookPoint};
use super::{Change, EntityDef, Values, access, input, store, timeline};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value, transaction};
use crate::error::CoreError;

/// What parsing needs from the settings (the default phone country), for work with no
/// [`EntityDef`] at hand (a loaded definition carries it: [`EntityDef::parse`]).
pub fn parse_context(db: &dyn Db) -> Result<ParseContext, CoreError> {
    let country = db
        .query("SELECT value FROM app_settings WHERE key = 'default_country'", &[])?
        .first_str()
        .unwrap_or(ParseContext::FALLBACK_COUNTRY)
        .to_string();
    Ok(ParseContext {
        default_country: country,
    })
}

/// The parse context as the caller's request found it (no statement), else as stored now.
pub fn parse_context_for(db: &dyn Db, caller: &Caller) -> Result<ParseContext, CoreError> {
    match &caller.workspace {
        Some(workspace) => Ok(workspace.parse.clone()),
        None => parse_context(db),
    }
}

/// Reads one record the caller may see.
pub fn get(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64) -> Result<Json, CoreError> {
    let values = access::load_checked(db, caller, def, id, Action::Read)?;
    Ok(store::render(def, &values))
}

/// Creates a record from a JSON body; the caller is responsible unless the body names someone.
///
/// Everything before the row is read-only (parsing, the before-create hooks, the responsible's
/// department, the access check), so it runs before the write lock is taken. A record whose
/// create writes only its row (no links, no after-create hook) is that one guarded `INSERT`,
/// atomic on its own with its triggers: no `BEGIN`/`COMMIT` (or `SAVEPOINT`/`RELEASE` inside a
/// caller's transaction), which where each statement is a round trip saves two.
pub fn create(db: &dyn Db, caller: &Caller, def: &EntityDef, body: &Json) -> Result<Json, CoreError> {
    caller.require(def.acl, Action::Add)?;
    create_parsed(db, caller, def, input::parse(def, body, &def.parse, true)?)
}

/// [`create`] of a body already read by [`input::parse`] (with `creating`), so that a caller
/// holding the write lock for the write can read the body before it takes the lock (web-form
/// intake). A body without `responsible_id` gets the caller's user, as in [`create`].
// The closure passed to `transaction` re-borrows the connection for the transaction's own
// lifetime; `write` itself is typed for the caller's and does not fit.
#[allow(clippy::redundant_closure)]
pub fn create_parsed(db: &dyn Db, caller: &Caller, def: &EntityDef, parsed: input::Input) -> Result<Json, CoreError> {
    caller.require(def.acl, Action::Add)?;
    let input::Input { mut values, refs, .. } = parsed;
    if def.owned && values.get("responsible_id").is_none_or(Value::is_null) {
        values.insert("responsible_id".into(), caller.user_id.into());
    }
    let mut cx = HookContext {
        db,
        caller,
        def,
        id: 0,
        before: None,
        values: &mut values,
        changes: &[],
    };
    hooks::run(HookPoint::BeforeCreate, &mut cx)?;
    let responsible = values.get("responsible_id").and_then(Value::as_i64);
    values.insert(
        store::RESPONSIBLE_DEPARTMENT.into(),
        access::department_of(db, caller, responsible)?.into(),
    );
    let acl = access::record_acl(def, &values);
    let allowed = if def.owned {
        caller.check_add(def.acl, &acl)
    } else {
        Ok(())
    }
    .and_then(|()| {
        acl.stage
            .as_ref()
            .map_or(Ok(()), |stage| caller.check_move(def.acl, stage))
    });
    if let Err(refused) = allowed {
        // A body with bad references is a 422 before it is a 403.
        input::check_references(db, caller, &refs)?;
        return Err(refused);
    }
    // The references are checked by the INSERT itself; when it writes nothing, the check says
    // which failed.
    let guard = input::reference_guard(caller, &refs)?;
    let one_statement =
        store::insert_is_one_statement(def, &values) && !def.hooks.iter().any(|h| h.point == HookPoint::AfterCreate);
    let write = |db: &dyn Db| {
        let Some(mut stored) = store::insert(db, def, &values, caller.user_id, guard)? else {
            input::check_references(db, caller, &refs)?;
            return Err(CoreError::Internal(
                "an insert guarded by its references wrote nothing".into(),
            ));
        };
        let id = stored.get("id").and_then(Value::as_i64).unwrap_or_default();
        record_links(db, caller, def, id, &Values::new(), &stored)?;
        let mut cx = HookContext {
            db,
            caller,
            def,
            id,
            before: None,
            values: &mut stored,
            changes: &[],
        };
        hooks::run(HookPoint::AfterCreate, &mut cx)?;
        Ok(store::render(def, &stored))
    };
    if one_statement {
        write(db)
    } else {
        transaction(db, |db| write(db))
    }
}

/// Merge-patches a record (`null` clears a field); `if_match` is the version the client saw.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
) -> Result<Json, CoreError> {
    caller.require(def.acl, Action::Update)?;
    let parsed = input::parse(def, body, &def.parse, false)?;
    transaction(db, |db| {
        let before = access::load_checked(db, caller, def, id, Action::Update)?;
        check_version(&before, if_match)?;
        let mut after = before.clone();
        after.extend(parsed.values.clone());
        write_update(db, caller, def, id, &before, after, &parsed.refs)
    })
}

/// The write half of an update, shared by merge-patches, bulk edits, merges, line items and
/// conversion: before-hooks, the references it adds (each must be readable by the caller), a
/// new owner (checked as on create: the caller's add level must reach them), the stage rule,
/// the row and link writes and the after-hooks. `before` is the stored record (already
/// access-checked), `after` the values it should have.
pub fn write_update(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    before: &Values,
    mut after: Values,
    refs: &[(String, Reference)],
) -> Result<Json, CoreError> {
    let mut cx = HookContext {
        db,
        caller,
        def,
        id,
        before: Some(before),
        values: &mut after,
        changes: &[],
    };
    hooks::run(HookPoint::BeforeUpdate, &mut cx)?;
    let changes = changes(def, before, &after);
    if changes.is_empty() {
        return Ok(store::render(def, before));
    }
    input::check_references(db, caller, &input::added_references(def, before, refs))?;
    if def.owned && changes.iter().any(|c| c.field == "responsible_id") {
        let responsible = after.get("responsible_id").and_then(Value::as_i64);
        after.insert(
            store::RESPONSIBLE_DEPARTMENT.into(),
            access::department_of(db, caller, responsible)?.into(),
        );
        caller.check_add(def.acl, &access::record_acl(def, &after))?;
    }
    if let Some(stage) = def.stage()
        && let Some(change) = changes.iter().find(|c| c.field == stage)
        && let Some(code) = change.new.as_str()
    {
        caller.check_move(def.acl, code)?;
    }
    store::update(db, def, id, &after, &changes, caller.user_id)?;
    let mut stored = store::load(db, def, id)?.ok_or(CoreError::NotFound)?;
    record_links(db, caller, def, id, before, &stored)?;
    let mut cx = HookContext {
        db,
        caller,
        def,
        id,
        before: Some(before),
        values: &mut stored,
        changes: &changes,
    };
    hooks::run(HookPoint::AfterUpdate, &mut cx)?;
    Ok(store::render(def, &stored))
}

/// Deletes a record (its links, search row and channels go with it; the timeline keeps a
/// `deleted` entry).
pub fn delete(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64, if_match: Option<i64>) -> Result<(), CoreError> {
    caller.require(def.acl, Action::Delete)?;
    transaction(db, |db| {
        let values = access::load_checked(db, caller, def, id, Action::Delete)?;
        check_version(&values, if_match)?;
        remove(db, caller, def, id, values)
    })
}

/// The write half of a delete (shared with bulk deletes and merges): hooks, link entries on the
/// timeline, the row and its links. `values` is the stored record, already access-checked.
pub fn remove(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64, mut values: Values) -> Result<(), CoreError> {
    let before = values.clone();
    let mut cx = HookContext {
        db,
        caller,
        def,
        id,
        before: Some(&before),
        values: &mut values,
        changes: &[],
    };
    hooks::run(HookPoint::BeforeDelete, &mut cx)?;
    record_links(db, caller, def, id, &before, &Values::new())?;
    store::delete(db, def, id)?;
    hooks::run(HookPoint::AfterDelete, &mut cx)
}

/// 412 unless `if_match` is absent or equals the stored version.
pub fn check_version(values: &Values, if_match: Option<i64>) -> Result<(), CoreError> {
    match if_match {
        Some(expected) if Some(expected) != values.get("version").and_then(Value::as_i64) => Err(CoreError::Stale),
        _ => Ok(()),
    }
}

/// The fields whose stored value differs between `before` and `after`.
pub fn changes(def: &EntityDef, before: &Values, after: &Values) -> Vec<Change> {
    let mut out = Vec::new();
    for field in &def.fields {
        let old = store::value_of(before, field);
        let new = store::value_of(after, field);
        if old != new {
            out.push(Change {
                field: field.name.clone(),
                path: field.path(),
                old: old.clone(),
                new: new.clone(),
                old_json: field.render(old),
                new_json: field.render(new),
                link: matches!(field.storage, Storage::Link(_)),
            });
        }
    }
    out
}

/// Timeline entries for links added and removed between `before` and `after`, on both sides.
fn record_links(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    before: &Values,
    after: &Values,
) -> Result<(), CoreError> {
    for field in &def.fields {
        let Storage::Link(link) = field.storage else { continue };
        let old = store::linked_ids(before.get(&field.name));
        let new = store::linked_ids(after.get(&field.name));
        for (kind, ids, others) in [("linked", &new, &old), ("unlinked", &old, &new)] {
            for other in ids.iter().filter(|o| !others.contains(o)) {
                let actor = Some(caller.user_id);
                let here = json!({ "entity": link.other_entity, "record_id": other });
                timeline::append(db, def.name, id, kind, actor, &here)?;
                let there = json!({ "entity": def.name, "record_id": id });
                timeline::append(db, link.other_entity, *other, kind, actor, &there)?;
            }
        }
    }
    Ok(())
}
