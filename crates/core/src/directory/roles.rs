//! Roles: a code, a name and a permission matrix ([`Permissions`]), assigned to users
//! (`user_roles`) and departments (`department_roles`).
//!
//! The four seeded roles are system roles (`is_system`): they may be renamed and have their
//! matrix changed, but keep their code and cannot be deleted, because code and people rely on
//! them. A role still assigned to anyone cannot be deleted either. Matrix changes are audited
//! with the old and the new matrix.

use serde_json::{Map, Value as Json};

use crate::acl::{Entity, Permissions};
use crate::db::{Db, Row, Value};
use crate::error::CoreError;
use crate::resource::{
    Access, Audit, Body, Cx, Default, Detail, Field, Hooks, ID, Key, Patch, Resource, Stamps, Store, Unique, is_code,
    service_functions,
};

/// The filters `list` accepts (`filter[code]=manager`).
pub const FILTERS: &[&str] = &["code"];

/// Roles, declared: `{code, name, permissions?}` (no permissions: nothing granted). The
/// matrix is stored as JSON and always shown in its full, checked form. A system role keeps
/// its code (422 `code`/`system_role`); a system role or one still assigned to a user or
/// department is not deleted (409). The `settings` permission.
pub const ROLES: Resource = Resource {
    fields: &[
        ID,
        Field::code(
            "code",
            valid_code,
            "2 to 50 lowercase letters, digits or '_', starting with a letter",
        )
        .required()
        .fixed_if("is_system", "system_role", "the code of a system role cannot change"),
        Field::text("name", 200).required(),
        Field::read_only("is_system", Store::Bool("is_system")).default(Default::Bool(false)),
        Field::custom("permissions", Store::Json("permissions"), permissions)
            .default(Default::Computed(nothing_granted)),
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
        after: Some(audit_old_and_new),
        deleting: Some(refuse_system_or_assigned),
        finish: Some(show_permissions),
        ..Hooks::NONE
    },
    ..Resource::new("roles", "role", Access::entity(Entity::Settings))
};

service_functions!(ROLES: list, get, create, update, delete);

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
    is_code(code, 2..=50, u8::is_ascii_lowercase, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_'
    })
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
