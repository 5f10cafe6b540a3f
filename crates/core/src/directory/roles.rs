//! Roles: a code, a name and a permission matrix ([`Permissions`]), assigned to users
//! (`user_roles`) and departments (`department_roles`).
//!
//! The four seeded roles are system roles (`is_system`): they may be renamed and have their
//! matrix changed, but keep their code and cannot be deleted, because code and people rely on
//! them. A role still assigned to anyone cannot be deleted either. Matrix changes are audited
//! with the old and the new matrix.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity, Permissions};
use crate::audit::ClientInfo;
use crate::db::{Db, DbError, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{Body, Changes, ListQuery, Page, Patch, Where, audit, check_version, time};

/// The filters `list` accepts (`filter[code]=manager`).
pub const FILTERS: &[&str] = &["code"];

const WRITABLE: &[&str] = &["code", "name", "permissions"];

const COLUMNS: &str = "id, code, name, is_system, permissions, version, created_at, updated_at";

const DUPLICATE_CODE: &str = "a role with this code exists";

/// Lists roles by id ascending (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let mut filter = Where::default();
    if let Some(code) = query.filter("code") {
        filter.and("code = ?", [code.into()]);
    }
    filter.page(db, &format!("SELECT {COLUMNS} FROM roles"), query, record)
}

/// One role (settings read); 404 if there is none.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
}

/// Creates a role (settings add) from `{code, name, permissions?}` (no permissions: nothing
/// granted) and returns the record.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let input = Input::parse(body, true)?;
    let (Some(code), Patch::Set(name)) = (&input.code, &input.name) else {
        return Err(CoreError::Internal("create input lacks a required field".into()));
    };
    let permissions = input.permissions.clone().unwrap_or_else(Permissions::none);
    transaction(db, |db| {
        check_code_free(db, code, None)?;
        let now = crate::clock::now();
        let inserted = db.execute(
            "INSERT INTO roles (code, name, is_system, permissions, version, created_at, updated_at) \
             VALUES (?, ?, 0, ?, 1, ?, ?)",
            &[
                code.as_str().into(),
                name.as_str().into(),
                permissions.to_json().into(),
                now.into(),
                now.into(),
            ],
        );
        map_unique(inserted)?;
        let id = db.last_insert_id()?;
        audit(
            db,
            caller,
            "role.created",
            ("role", id),
            json!({ "code": code, "permissions": permissions.to_value() }),
            client,
        )?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
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
    caller.require(Entity::Settings, Action::Update)?;
    let input = Input::parse(body, false)?;
    transaction(db, |db| {
        let (current, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        let mut changes = Changes::default();
        let mut details = json!({});
        if let Some(code) = input.code.as_ref().filter(|c| **c != current.code) {
            if current.is_system {
                let mut errors = FieldErrors::new();
                errors.push("code", "system_role", "the code of a system role cannot change");
                return Err(CoreError::Validation(errors));
            }
            check_code_free(db, code, Some(id))?;
            changes.set_if(true, "code", "code", code.as_str());
            details["old_code"] = json!(current.code);
            details["new_code"] = json!(code);
        }
        if let Patch::Set(name) = &input.name {
            changes.set_if(*name != current.name, "name", "name", name.as_str());
        }
        if let Some(permissions) = input.permissions.as_ref().filter(|p| **p != current.permissions) {
            changes.set_if(true, "permissions", "permissions", permissions.to_json());
            details["old_permissions"] = current.permissions.to_value();
            details["new_permissions"] = permissions.to_value();
        }
        if changes.is_empty() {
            return load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound);
        }
        details["fields"] = json!(changes.fields);
        map_unique(changes.write(db, "roles", id, None))?;
        audit(db, caller, "role.updated", ("role", id), details, client)?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
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
    caller.require(Entity::Settings, Action::Delete)?;
    transaction(db, |db| {
        let (current, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        if current.is_system {
            return Err(CoreError::Conflict("a system role cannot be deleted".into()));
        }
        let assigned = db
            .query(
                "SELECT (SELECT count(*) FROM user_roles WHERE role_id = ?) \
                 + (SELECT count(*) FROM department_roles WHERE role_id = ?)",
                &[id.into(), id.into()],
            )?
            .first_i64()
            .unwrap_or_default();
        if assigned > 0 {
            return Err(CoreError::Conflict("the role is still assigned".into()));
        }
        db.execute("DELETE FROM roles WHERE id = ?", &[id.into()])?;
        audit(
            db,
            caller,
            "role.deleted",
            ("role", id),
            json!({ "code": current.code, "permissions": current.permissions.to_value() }),
            client,
        )
    })
}

struct Current {
    code: String,
    name: String,
    is_system: bool,
    permissions: Permissions,
    version: i64,
}

struct Input {
    code: Option<String>,
    name: Patch<String>,
    permissions: Option<Permissions>,
}

impl Input {
    fn parse(body: &Json, creating: bool) -> Result<Input, CoreError> {
        let mut b = Body::new(body, WRITABLE)?;
        let code = match b.raw_string("code") {
            Some(code) if valid_code(&code) => Some(code),
            Some(_) => {
                b.errors.push(
                    "code",
                    "invalid_code",
                    "2 to 50 lowercase letters, digits or '_', starting with a letter",
                );
                None
            }
            None => None,
        };
        let name = b.text("name", 200, true);
        if creating {
            if code.is_none() && !b.errors.iter().any(|e| e.field == "code") {
                b.errors.push("code", "required", "is required");
            }
            b.require("name", &name);
        }
        let permissions = match body.get("permissions") {
            None => None,
            Some(value) => match Permissions::from_value(value, "permissions") {
                Ok(p) => Some(p),
                Err(errors) => {
                    b.errors.0.extend(errors.0);
                    None
                }
            },
        };
        b.errors.into_result()?;
        Ok(Input {
            code,
            name,
            permissions,
        })
    }
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

fn check_code_free(db: &dyn Db, code: &str, id: Option<i64>) -> Result<(), CoreError> {
    let taken = db.query(
        "SELECT 1 FROM roles WHERE code = ? AND id IS NOT ?",
        &[code.into(), id.map(Value::from).unwrap_or(Value::Null)],
    )?;
    if taken.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Conflict(DUPLICATE_CODE.into()))
    }
}

fn map_unique(result: Result<(), DbError>) -> Result<(), CoreError> {
    match result {
        Err(DbError::Constraint { message }) if message.contains("roles.code") => {
            Err(CoreError::Conflict(DUPLICATE_CODE.into()))
        }
        other => Ok(other?),
    }
}

fn load(db: &dyn Db, id: i64) -> Result<Option<(Current, Json)>, CoreError> {
    let rows = db.query(&format!("SELECT {COLUMNS} FROM roles WHERE id = ?"), &[id.into()])?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let current = Current {
        code: row.str("code").unwrap_or_default().to_string(),
        name: row.str("name").unwrap_or_default().to_string(),
        is_system: row.i64("is_system") == Some(1),
        permissions: stored_permissions(&row)?,
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((current, record(&row)?)))
}

fn stored_permissions(row: &Row) -> Result<Permissions, CoreError> {
    Permissions::from_json(row.str("permissions").unwrap_or_default())
        .map_err(|e| CoreError::Internal(format!("role {:?} has an invalid matrix: {e}", row.str("code"))))
}

fn record(row: &Row) -> Result<Json, CoreError> {
    Ok(json!({
        "id": row.i64("id"),
        "code": row.str("code"),
        "name": row.str("name"),
        "is_system": row.i64("is_system") == Some(1),
        "permissions": stored_permissions(row)?.to_value(),
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
    }))
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
