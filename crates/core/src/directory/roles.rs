//! Roles: a code, a name and a permission matrix ([`Permissions`]), assigned to users
//! (`user_roles`) and departments (`department_roles`).
//!
//! The four seeded roles are system roles (`is_system`): they may be renamed and have their
//! matrix changed, but keep their code and cannot be deleted, because code and people rely on
//! them. A role still assigned to anyone cannot be deleted either. Matrix changes are audited
//! with the old and the new matrix.

use serde_json::{Map, Value as Json};

use crate::acl::{Caller, Entity, Permissions};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value};
use crate::error::CoreError;
use crate::resource::{
    Access, Audit, Body, CREATED_AT, Cx, Default, Detail, Field, Hooks, ID, Key, ListQuery, Page, Patch, Resource,
    Stamps, Store, UPDATED_AT, Unique, VERSION,
};

/// The filters `list` accepts (`filter[code]=manager`).
pub const FILTERS: &[&str] = &["code"];

/// Roles, declared. The matrix is stored as JSON and always shown in its full, checked form.
pub const ROLES: Resource = Resource {
    fields: &[
        ID,
        Field::code(
            "code",
            valid_code,
            "2 to 50 lowercase letters, digits or '_', starting with a letter",
        )
        .required(),
        Field::text("name", 200).required(),
        Field::read_only("is_system", Store::Bool("is_system")).default(Default::Bool(false)),
        Field::custom("permissions", Store::Json("permissions"), permissions)
            .default(Default::Computed(nothing_granted)),
        VERSION,
        CREATED_AT,
        UPDATED_AT,
    ],
    stamps: Stamps::Times,
    filters: FILTERS,
    unique: Some(Unique {
        columns: &["code"],
        nocase: false,
        message: "a role with this code exists",
    }),
    audit: Audit {
        created: &[Detail::Field("code"), Detail::Field("permissions")],
        updated: &[],
        deleted: &[Detail::Field("code"), Detail::Field("permissions")],
    },
    hooks: Hooks {
        before: Some(keep_system_codes),
        after: Some(audit_old_and_new),
        deleting: Some(refuse_system_or_assigned),
        finish: Some(show_permissions),
        ..Hooks::NONE
    },
    ..Resource::new("roles", "role", Access::entity(Entity::Settings))
};

/// Lists roles by id ascending (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    ROLES.list(db, caller, query)
}

/// One role (settings read); 404 if there is none.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    ROLES.get(db, caller, &Key::id(id))
}

/// Creates a role (settings add) from `{code, name, permissions?}` (no permissions: nothing
/// granted) and returns the record.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    ROLES.create(db, caller, &[], body, client)
}

/// Changes a role (settings update) with a JSON merge-patch; a system role keeps its code
/// (422 `code`/`system_role`); 412 on a stale `if_match`.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    ROLES.update(db, caller, &Key::id(id), body, if_match, client)
}

/// Deletes a role (settings delete); 409 for a system role or one still assigned to a user or
/// department, 412 on a stale `if_match`.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    ROLES.delete(db, caller, &Key::id(id), if_match, client)
}

/// A permission matrix, checked ([`Permissions::from_value`]) and kept in its full form.
fn permissions(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    let Some(value) = b.get(key) else { return Patch::Absent };
    match Permissions::from_value(value, key) {
        Ok(permissions) => Patch::Set(permissions.to_value()),
        Err(errors) => {
            b.errors.0.extend(errors.0);
            Patch::Invalid
        }
    }
}

fn nothing_granted(_: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    Ok(Permissions::none().to_value())
}

/// A system role keeps its code (422 `code`/`system_role`).
fn keep_system_codes(cx: &mut Cx) -> Result<(), CoreError> {
    let Some(current) = cx.draft.current() else {
        return Ok(());
    };
    if let Patch::Set(code) = cx.draft.patch("code")
        && *code != current["code"]
        && current["is_system"] == true
    {
        cx.errors
            .push("code", "system_role", "the code of a system role cannot change");
    }
    Ok(())
}

/// A changed code or matrix is audited with its old and new value.
fn audit_old_and_new(cx: &mut Cx) -> Result<(), CoreError> {
    let Some(current) = cx.draft.current().cloned() else {
        return Ok(());
    };
    for field in ["code", "permissions"] {
        if cx.changed.iter().any(|f| f == field) {
            let new = cx.draft.get(field).cloned().unwrap_or(Json::Null);
            cx.details.insert(format!("old_{field}"), current[field].clone());
            cx.details.insert(format!("new_{field}"), new);
        }
    }
    cx.details.insert("fields".into(), Json::from(cx.changed.clone()));
    Ok(())
}

/// 409 for a system role or one still assigned to a user or department.
fn refuse_system_or_assigned(db: &dyn Db, key: &Key, current: &Json) -> Result<(), CoreError> {
    if current["is_system"] == true {
        return Err(CoreError::Conflict("a system role cannot be deleted".into()));
    }
    let id = key.params().pop().unwrap_or(Value::Null);
    let assigned = db
        .query(
            "SELECT (SELECT count(*) FROM user_roles WHERE role_id = ?) \
             + (SELECT count(*) FROM department_roles WHERE role_id = ?)",
            &[id.clone(), id],
        )?
        .first_i64()
        .unwrap_or_default();
    if assigned > 0 {
        return Err(CoreError::Conflict("the role is still assigned".into()));
    }
    Ok(())
}

/// The stored matrix in its full form; a broken one is a 500.
fn show_permissions(row: &Row, record: &mut Map<String, Json>) -> Result<(), CoreError> {
    let permissions = Permissions::from_json(row.str("permissions").unwrap_or_default())
        .map_err(|e| CoreError::Internal(format!("role {:?} has an invalid matrix: {e}", row.str("code"))))?;
    record.insert("permissions".into(), permissions.to_value());
    Ok(())
}

/// `^[a-z][a-z0-9_]{1,49}$`.
fn valid_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    (2..=50).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_pattern() {
        for good in ["ab", "sales_2", &format!("a{}", "b".repeat(49))] {
            assert!(valid_code(good), "{good}");
        }
        for bad in ["", "a", "2a", "_a", "Ab", "a-b", "a b", &format!("a{}", "b".repeat(50))] {
            assert!(!valid_code(bad), "{bad}");
        }
    }
}
