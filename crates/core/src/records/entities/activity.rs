//! An activity: a call, meeting, task or logged e-mail (`/api/activities`), bound to any of
//! the records it concerns (`bindings`: leads, contacts, companies, deals).
//!
//! What the generic engine does not know is in this entity's hooks ([`ACTIVITY`]):
//! - before a write: `end_at` may not be before `start_at` (422 `end_at`); a meeting or call
//!   without `start_at` starts at its `deadline`; `completed` cleared means `false`;
//!   `completed_at` is read-only, set here (when `completed` turns true; cleared when it turns
//!   false); a binding must name a record the caller may read (422 `bindings[i]`, the same
//!   answer as for a record that does not exist) of an entity with owners (not another
//!   activity, not a product).
//! - after a write: `activity_bindings` is rewritten from the `bindings` JSON, and each bound
//!   record (before and after the change) gets an `activity` entry on its timeline (`event`:
//!   `created`, `completed`, `updated` or `deleted`).
//!
//! Reading an activity needs the activity ACL only: being bound to a record the caller can
//! see grants nothing. A record that is merged hands its activities to the survivor
//! ([`repoint_bindings`], called by the merge). Deleting a bound record leaves the binding as
//! it is (the activity keeps naming it).
//!
//! [`my`] is "my open activities by deadline"; [`feed`] the per-user iCalendar feed.

pub mod feed;
pub mod my;

use serde_json::{Value as Json, json};

use super::ownership;
use crate::acl::{Action, Entity};
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};
use crate::records::entity::Traits;
use crate::records::fields::{FieldDef, FieldKind, Options};
use crate::records::hooks::{Hook, HookContext, HookPoint};
use crate::records::{EntityDef, Values, access, timeline};

/// Activity types.
pub const TYPES: &[&str] = &["CALL", "MEETING", "TASK", "EMAIL"];
/// The types that happen at a time (a calendar event rather than a to-do).
pub const TIMED_TYPES: &[&str] = &["CALL", "MEETING"];

fn own(options: &[&str]) -> FieldKind {
    FieldKind::Enumeration(Options::Own(options.iter().map(|o| o.to_string()).collect()))
}

/// An activity: a call, meeting, task or logged e-mail.
pub fn def() -> EntityDef {
    let mut bindings = FieldDef::column("bindings", "Bound to", "Связано с", FieldKind::Bindings).listed();
    bindings.max = 20;
    let mut fields = vec![
        FieldDef::column("type", "Type", "Тип", own(TYPES)).required().listed(),
        FieldDef::column("subject", "Subject", "Тема", FieldKind::String)
            .required()
            .listed(),
        FieldDef::column("description", "Description", "Описание", FieldKind::Text),
        FieldDef::column("direction", "Direction", "Направление", own(&["INCOMING", "OUTGOING"])),
        FieldDef::column("start_at", "Start", "Начало", FieldKind::Datetime),
        FieldDef::column("end_at", "End", "Окончание", FieldKind::Datetime),
        FieldDef::column("deadline", "Deadline", "Крайний срок", FieldKind::Datetime).listed(),
        FieldDef::column("remind_at", "Reminder", "Напоминание", FieldKind::Datetime),
        FieldDef::column("priority", "Priority", "Важность", own(&["LOW", "NORMAL", "HIGH"]))
            .default_value(json!("NORMAL")),
        FieldDef::column("completed", "Completed", "Завершено", FieldKind::Boolean)
            .default_value(json!(false))
            .listed(),
        FieldDef::column("completed_at", "Completed at", "Когда завершено", FieldKind::Datetime).read_only(),
        FieldDef::column("result", "Result", "Результат", FieldKind::Text),
        bindings,
    ];
    fields.extend(ownership());
    EntityDef {
        name: "activity",
        acl: Entity::Activity,
        table: "activities",
        resource: "/api/activities",
        fields,
        stage_field: None,
        owned: true,
        search_fields: &["subject", "description"],
        title_fields: &["subject"],
        default_sort: "-id",
        hooks: ACTIVITY,
        parse: Default::default(),
        traits: Traits {
            bindable: false,
            ..Traits::NONE
        },
    }
}

/// Activity hooks: times and completion before a write; the binding rows and the bound
/// records' timelines after it.
pub static ACTIVITY: &[Hook] = &[
    Hook {
        point: HookPoint::BeforeCreate,
        run: before_write,
    },
    Hook {
        point: HookPoint::BeforeUpdate,
        run: before_write,
    },
    Hook {
        point: HookPoint::AfterCreate,
        run: after_create,
    },
    Hook {
        point: HookPoint::AfterUpdate,
        run: after_update,
    },
    Hook {
        point: HookPoint::AfterDelete,
        run: after_delete,
    },
];

fn int(values: &Values, field: &str) -> Option<i64> {
    values.get(field).and_then(Value::as_i64)
}

fn text<'v>(values: &'v Values, field: &str) -> Option<&'v str> {
    values.get(field).and_then(Value::as_str)
}

fn is_completed(values: Option<&Values>) -> bool {
    values.and_then(|v| int(v, "completed")) == Some(1)
}

/// One bound record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    entity: String,
    id: i64,
}

/// The bindings a stored `bindings` value lists.
fn bindings_of(values: Option<&Values>) -> Vec<Binding> {
    let stored: Json = values
        .and_then(|v| text(v, "bindings"))
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Json::Null);
    parse_bindings(&stored)
}

fn parse_bindings(stored: &Json) -> Vec<Binding> {
    stored
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|b| {
                    Some(Binding {
                        entity: b.get("entity")?.as_str()?.to_string(),
                        id: b.get("id")?.as_i64()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an activity (`this`) may be bound to records of `other`: records with an owner
/// (leads, contacts, companies, deals), not other activities nor the product catalog.
fn bindable(this: &EntityDef, other: &EntityDef) -> bool {
    other.owned && other.name != this.name
}

/// The entities an activity may be bound to.
pub fn bindable_names(this: &EntityDef) -> Vec<&'static str> {
    crate::records::entity::NAMES
        .iter()
        .copied()
        .filter(|n| EntityDef::builtin(n).is_some_and(|d| bindable(this, &d)))
        .collect()
}

fn before_write(cx: &mut HookContext) -> Result<(), CoreError> {
    let mut errors = FieldErrors::new();
    if cx.values.get("completed").is_none_or(Value::is_null) {
        cx.values.insert("completed".into(), Value::from(false));
    }
    let timed = text(cx.values, "type").is_some_and(|t| TIMED_TYPES.contains(&t));
    if timed
        && int(cx.values, "start_at").is_none()
        && let Some(deadline) = int(cx.values, "deadline")
    {
        cx.values.insert("start_at".into(), deadline.into());
    }
    if let (Some(start), Some(end)) = (int(cx.values, "start_at"), int(cx.values, "end_at"))
        && end < start
    {
        errors.push("end_at", "before_start", "may not be before start_at");
    }
    let completed_at = match (is_completed(Some(cx.values)), is_completed(cx.before)) {
        (false, _) => Value::Null,
        (true, false) => crate::clock::now().into(),
        (true, true) => cx
            .before
            .and_then(|b| b.get("completed_at"))
            .cloned()
            .unwrap_or(Value::Null),
    };
    cx.values.insert("completed_at".into(), completed_at);
    let before = bindings_of(cx.before);
    for (i, binding) in bindings_of(Some(cx.values)).iter().enumerate() {
        if before.contains(binding) {
            continue;
        }
        let path = format!("bindings[{i}]");
        let Some(def) = EntityDef::builtin(&binding.entity).filter(|d| bindable(cx.def, d)) else {
            errors.push(
                format!("{path}.entity"),
                "invalid_choice",
                format!("must be one of {}", bindable_names(cx.def).join(", ")),
            );
            continue;
        };
        match access::load_checked(cx.db, cx.caller, &def, binding.id, Action::Read) {
            Ok(_) => {}
            Err(CoreError::NotFound | CoreError::Forbidden) => errors.push(
                path,
                "not_found",
                format!("no {} with id {} that you may see", binding.entity, binding.id),
            ),
            Err(other) => return Err(other),
        }
    }
    errors.into_result()
}

/// Rewrites the `activity_bindings` rows of activity `id`.
fn sync_rows(db: &dyn Db, id: i64, bindings: &[Binding]) -> Result<(), CoreError> {
    db.execute("DELETE FROM activity_bindings WHERE activity_id = ?", &[id.into()])?;
    for b in bindings {
        db.execute(
            "INSERT OR IGNORE INTO activity_bindings (activity_id, entity, record_id) VALUES (?, ?, ?)",
            &[id.into(), b.entity.as_str().into(), b.id.into()],
        )?;
    }
    Ok(())
}

/// An `activity` entry on the timeline of each record in `records`.
fn announce(cx: &HookContext, records: &[Binding], event: &str) -> Result<(), CoreError> {
    let payload = json!({
        "activity_id": cx.id,
        "type": text(cx.values, "type"),
        "subject": text(cx.values, "subject"),
        "event": event,
    });
    for b in records {
        timeline::append(cx.db, &b.entity, b.id, "activity", Some(cx.caller.user_id), &payload)?;
    }
    Ok(())
}

fn after_create(cx: &mut HookContext) -> Result<(), CoreError> {
    let bindings = bindings_of(Some(cx.values));
    sync_rows(cx.db, cx.id, &bindings)?;
    announce(cx, &bindings, "created")
}

fn after_update(cx: &mut HookContext) -> Result<(), CoreError> {
    let before = bindings_of(cx.before);
    let after = bindings_of(Some(cx.values));
    if before != after {
        sync_rows(cx.db, cx.id, &after)?;
    }
    let event = if is_completed(Some(cx.values)) && !is_completed(cx.before) {
        "completed"
    } else {
        "updated"
    };
    let mut concerned = after;
    for b in before {
        if !concerned.contains(&b) {
            concerned.push(b);
        }
    }
    announce(cx, &concerned, event)
}

fn after_delete(cx: &mut HookContext) -> Result<(), CoreError> {
    cx.db
        .execute("DELETE FROM activity_bindings WHERE activity_id = ?", &[cx.id.into()])?;
    let bindings = bindings_of(Some(cx.values));
    announce(cx, &bindings, "deleted")
}

/// Binds every activity bound to record `from` of `entity` to record `to` instead: the
/// `bindings` JSON of each activity (without duplicates; the activity's version goes up) and
/// the `activity_bindings` rows. Runs inside the caller's (the merge's) transaction.
pub fn repoint_bindings(db: &dyn Db, entity: &str, from: i64, to: i64) -> Result<(), CoreError> {
    rebind(db, entity, from, Some(to))
}

/// After a record is deleted: its bindings are dropped from every activity (an activity bound
/// only to it stays, unbound), so no activity points at a record that is gone.
pub fn unbind(cx: &mut crate::records::hooks::HookContext) -> Result<(), CoreError> {
    if !cx.def.traits.bindable {
        return Ok(());
    }
    rebind(cx.db, cx.def.name, cx.id, None)
}

/// Rewrites the bindings to record `from` of `entity`: to record `to`, or away (`None`).
fn rebind(db: &dyn Db, entity: &str, from: i64, to: Option<i64>) -> Result<(), CoreError> {
    let rows = db.query(
        "SELECT a.id, a.bindings FROM activity_bindings b JOIN activities a ON a.id = b.activity_id \
         WHERE b.entity = ? AND b.record_id = ? ORDER BY a.id",
        &[entity.into(), from.into()],
    )?;
    for row in rows.iter() {
        let Some(id) = row.i64("id") else { continue };
        let stored: Json = row
            .str("bindings")
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Json::Null);
        let mut rewritten: Vec<Json> = Vec::new();
        for b in parse_bindings(&stored) {
            let record = if b.entity == entity && b.id == from {
                to
            } else {
                Some(b.id)
            };
            let Some(record) = record else { continue };
            let item = json!({ "entity": b.entity, "id": record });
            if !rewritten.contains(&item) {
                rewritten.push(item);
            }
        }
        db.execute(
            "UPDATE activities SET bindings = ?, version = version + 1, updated_at = ? WHERE id = ?",
            &[
                Json::Array(rewritten).to_string().into(),
                crate::clock::now().into(),
                id.into(),
            ],
        )?;
    }
    if let Some(to) = to {
        db.execute(
            "INSERT OR IGNORE INTO activity_bindings (activity_id, entity, record_id) \
             SELECT activity_id, entity, ? FROM activity_bindings WHERE entity = ? AND record_id = ?",
            &[to.into(), entity.into(), from.into()],
        )?;
    }
    db.execute(
        "DELETE FROM activity_bindings WHERE entity = ? AND record_id = ?",
        &[entity.into(), from.into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_has_the_documented_fields() {
        let def = def();
        for name in [
            "type",
            "subject",
            "description",
            "direction",
            "start_at",
            "end_at",
            "deadline",
            "remind_at",
            "priority",
            "completed",
            "completed_at",
            "result",
            "bindings",
            "responsible_id",
            "opened",
        ] {
            assert!(def.field(name).is_some(), "{name}");
        }
        assert_eq!(def.field("bindings").map(|f| f.max), Some(20));
        assert!(def.field("type").is_some_and(|f| f.required));
    }

    #[test]
    fn stored_bindings_parse_and_skip_junk() {
        let parsed = parse_bindings(&json!([{"entity": "lead", "id": 5}, {"entity": "x"}, 7]));
        assert_eq!(
            parsed,
            vec![Binding {
                entity: "lead".into(),
                id: 5
            }]
        );
        assert!(parse_bindings(&Json::Null).is_empty());
    }
}
