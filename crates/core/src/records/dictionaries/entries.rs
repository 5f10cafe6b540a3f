//! Dictionary entries (`/api/dictionaries/<kind>`), declared on the resource kit: `{code,
//! name: {en, ru}, sort, color, system, version, created_at, updated_at}`, lead statuses also
//! with a `semantic` (`open`, `success`, `failure`). Entries seeded by
//! `sql/0005_dictionaries.sql` are `system`: they may be renamed, reordered and recoloured,
//! but keep their semantic and cannot be deleted. An entry still used by a record (or a form,
//! a custom field...) cannot be deleted either.
//!
//! Reading needs only an authenticated caller; writing the `settings` add, update or delete
//! permission. Entries are keyed by kind and code, so their audit rows name both in the
//! details rather than an integer target.

use serde_json::Value as Json;

use super::{LEAD_STATUS, SEMANTICS, next_sort, read_sort, stored_kind};
use crate::acl::{Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::usage::{Used, first_use};
use crate::resource::{
    Access, Audit, Body, CREATED_AT, Default, Detail, Field, Hooks, Key, Patch, Resource, Stamps, Store, UPDATED_AT,
    Unique, VERSION, is_code, names,
};

const CODE: Field = Field::code(
    "code",
    valid_entry_code,
    "1 to 50 capital letters, digits or '_', starting with a letter",
)
.required()
.immutable("the code cannot change; create a new record instead");
const NAME: Field = Field::custom("name", Store::Names("name_en", "name_ru"), names::patch).required();
const SORT: Field = Field::custom("sort", Store::Int("sort"), read_sort).default(Default::Computed(last_in_kind));
const COLOR: Field = Field::custom("color", Store::Text("color"), read_color);
const SYSTEM: Field = Field::read_only("system", Store::Bool("system")).default(Default::Bool(false));
const SEMANTIC: Field = Field::custom("semantic", Store::Text("semantic"), read_semantic)
    .required()
    .fixed_if("system", "system_entry", "the semantic of a system entry cannot change");

/// The entries of every dictionary but lead statuses, declared.
pub const ENTRIES: Resource = entries(&[CODE, NAME, SORT, COLOR, SYSTEM]);

/// Lead statuses, declared: entries with a semantic (shown last).
pub const LEAD_STATUSES: Resource = entries(&[
    CODE, NAME, SORT, COLOR, SYSTEM, VERSION, CREATED_AT, UPDATED_AT, SEMANTIC,
]);

const fn entries(fields: &'static [Field]) -> Resource {
    Resource {
        key: &["kind", "code"],
        fields,
        stamps: Stamps::Times,
        order: "sort, code",
        unique: Some(Unique {
            columns: &["kind", "code"],
            nocase: false,
            message: "an entry with this code exists",
        }),
        audit: Audit {
            created: &[Detail::Key, Detail::Field("semantic")],
            updated: &[Detail::Key, Detail::Changed],
            deleted: &[Detail::Key, Detail::Field("name")],
        },
        hooks: Hooks {
            deleting: Some(refuse_system_or_used),
            ..Hooks::NONE
        },
        ..Resource::new(
            "dictionary_entries",
            "dictionary_entry",
            Access::open_read(Entity::Settings),
        )
    }
}

/// The declaration of the stored kind `kind`.
fn declaration(kind: &str) -> &'static Resource {
    if kind == LEAD_STATUS { &LEAD_STATUSES } else { &ENTRIES }
}

/// The declaration and stored kind of the URL segment `kind` (404 for an unknown one).
fn resolve(kind: &str) -> Result<(&'static Resource, &'static str), CoreError> {
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    Ok((declaration(kind), kind))
}

fn key(kind: &str, code: &str) -> Result<(&'static Resource, Key), CoreError> {
    let (resource, kind) = resolve(kind)?;
    Ok((resource, Key(vec![("kind", kind.into()), ("code", code.into())])))
}

/// The entries of the dictionary `kind` (a URL segment such as `lead-statuses`), by `sort`
/// then `code` (any authenticated caller); an unknown kind is [`CoreError::NotFound`].
pub fn list(db: &dyn Db, caller: &Caller, kind: &str) -> Result<Vec<Json>, CoreError> {
    let (resource, kind) = resolve(kind)?;
    resource.all(db, caller, &[("kind", kind.into())])
}

/// One entry of the dictionary `kind` (a URL segment); 404 for an unknown kind or code.
pub fn get(db: &dyn Db, caller: &Caller, kind: &str, code: &str) -> Result<Json, CoreError> {
    let (resource, key) = key(kind, code)?;
    resource.get(db, caller, &key)
}

/// Adds an entry to the dictionary `kind` (settings add) from `{code, name: {en, ru?},
/// sort?, color?, semantic}` (`semantic` for lead statuses only, and required there); `name.ru`
/// defaults to `name.en`, `sort` to the largest one plus 10. A taken code is 409.
pub fn create(db: &dyn Db, caller: &Caller, kind: &str, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, crate::acl::Action::Add)?;
    let (resource, kind) = resolve(kind)?;
    resource.create(db, caller, &[("kind", kind.into())], body, client)
}

/// Changes an entry (settings update) with a JSON merge-patch of `name`, `sort`, `color` and
/// (lead statuses) `semantic`. The code never changes (422 `code`); a system entry keeps its
/// semantic (422 `semantic`); a stale `if_match` is 412.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    kind: &str,
    code: &str,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, crate::acl::Action::Update)?;
    let (resource, key) = key(kind, code)?;
    resource.update(db, caller, &key, body, if_match, client)
}

/// Deletes an entry (settings delete); a system entry or one still in use is 409, a stale
/// `if_match` 412.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    kind: &str,
    code: &str,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Settings, crate::acl::Action::Delete)?;
    let (resource, key) = key(kind, code)?;
    resource.delete(db, caller, &key, if_match, client)
}

fn last_in_kind(db: &dyn Db, scope: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    let kind = scope.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();
    next_sort(
        db,
        "SELECT coalesce(max(sort), 0) FROM dictionary_entries WHERE kind = ?",
        &kind,
    )
}

/// A colour such as `#1A2B3C`, kept in capitals; `null` clears.
fn read_color(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.text(key, 100, false) {
        Patch::Set(color) if valid_color(&color) => Patch::Set(Json::from(color.to_ascii_uppercase())),
        Patch::Set(_) => {
            b.errors.push(key, "invalid_color", "a colour such as #1A2B3C");
            Patch::Invalid
        }
        other => other.map(Json::from),
    }
}

/// One of [`SEMANTICS`].
fn read_semantic(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.text(key, 100, true) {
        Patch::Set(s) if SEMANTICS.contains(&s.as_str()) => Patch::Set(Json::from(s)),
        Patch::Set(_) => {
            b.errors.push(key, "invalid_semantic", "one of open, success, failure");
            Patch::Invalid
        }
        other => other.map(Json::from),
    }
}

/// 409 for a system entry or one still in use.
fn refuse_system_or_used(db: &dyn Db, key: &Key, current: &Json) -> Result<(), CoreError> {
    if current["system"] == true {
        return Err(CoreError::Conflict("system entries cannot be deleted".into()));
    }
    let [(_, Value::Text(kind)), (_, Value::Text(code))] = key.0.as_slice() else {
        return Err(CoreError::Internal("an entry is keyed by kind and code".into()));
    };
    let kind = super::known_stored_kind(kind)?;
    if let Some(place) = first_use(db, Used::Dictionary(kind), code)? {
        return Err(CoreError::Conflict(format!("{code} is still used in {place}")));
    }
    Ok(())
}

/// `^[A-Z][A-Z0-9_]{0,49}$`.
fn valid_entry_code(code: &str) -> bool {
    is_code(code, 1..=50, u8::is_ascii_uppercase, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_'
    })
}

/// `#RRGGBB` (hex digits in either case).
fn valid_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn codes_and_colors_follow_their_patterns() {
        for good in ["A", "NEW", "IN_PROCESS", "EMPLOYEES_1", &format!("A{}", "B".repeat(49))] {
            assert!(valid_entry_code(good), "{good}");
        }
        for bad in [
            "",
            "new",
            "1A",
            "_A",
            "A-B",
            "A B",
            "Ä",
            &format!("A{}", "B".repeat(50)),
        ] {
            assert!(!valid_entry_code(bad), "{bad}");
        }
        for good in ["#1A2B3C", "#abcdef", "#000000"] {
            assert!(valid_color(good), "{good}");
        }
        for bad in ["1A2B3C", "#1A2B3", "#1A2B3C4", "#GGGGGG", "red", "#ééé"] {
            assert!(!valid_color(bad), "{bad}");
        }
    }

    #[test]
    fn entry_bodies_report_every_bad_field() {
        let body =
            json!({"code": "bad code", "name": {"en": "", "xx": 1}, "color": "red", "semantic": "won", "sort": -1});
        let Err(CoreError::Validation(errors)) = declaration(LEAD_STATUS).parse(&body, true, None) else {
            panic!("invalid");
        };
        let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["code", "color", "name.en", "name.xx", "semantic", "sort"]);
        let Err(CoreError::Validation(errors)) = declaration("source").parse(&json!({"semantic": "open"}), false, None)
        else {
            panic!("semantic is for lead statuses only");
        };
        assert_eq!(
            errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            ["unknown_field"]
        );
        let Err(CoreError::Validation(errors)) = declaration(LEAD_STATUS).parse(&json!({}), true, None) else {
            panic!("empty create");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "semantic"]);
    }
}
