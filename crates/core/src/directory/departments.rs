//! Departments: the firm's tree (`parent_id`), each with an optional head and the roles every
//! member gets (`department_roles`). The tree stays a tree: a parent that is the department
//! itself or one of its descendants is refused (`parent_id`/`cycle`), and a department that
//! still has sub-departments or users cannot be deleted.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::DEPARTMENT_ROLES;
use crate::acl::Entity;
use crate::db::Db;
use crate::error::CoreError;
use crate::resource::{Access, Audit, Cx, Default, Detail, Field, Hooks, ID, Key, Resource, service_functions};

/// The filters `list` accepts (`filter[parent_id]=3`).
pub const FILTERS: &[&str] = &["parent_id"];

/// Departments, declared: `{name, parent_id?, head_user_id?, sort?, role_ids?}`, not deleted
/// while they have sub-departments or users, active or not (409). The `settings` permission.
pub const DEPARTMENTS: Resource = Resource {
    fields: &[
        ID,
        Field::text("name", 200).required(),
        Field::parent("parent_id", "department"),
        Field::reference("head_user_id", "users", "user"),
        Field::int_not_null("sort").default(Default::Int(100)),
        Field::ids("role_ids", "roles"),
    ],
    filters: FILTERS,
    audit: Audit {
        created: &[Detail::Given],
        updated: &[Detail::Changed],
        deleted: &[Detail::Field("name")],
    },
    hooks: Hooks {
        after: Some(write_roles),
        deleting: Some(refuse_while_in_use),
        outside: Some(read_roles),
        ..Hooks::NONE
    },
    ..Resource::new("departments", "department", Access::entity(Entity::Settings))
};

service_functions!(DEPARTMENTS: list, get, create, update, delete);

fn read_roles(db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError> {
    DEPARTMENT_ROLES.outside(db, ids)
}

fn write_roles(cx: &mut Cx) -> Result<(), CoreError> {
    DEPARTMENT_ROLES.written(cx)
}

/// 409 while the department has sub-departments or users.
fn refuse_while_in_use(db: &dyn Db, key: &Key, _: &Json) -> Result<(), CoreError> {
    let count =
        |sql: &str| -> Result<i64, CoreError> { Ok(db.query(sql, &key.params())?.first_i64().unwrap_or_default()) };
    if count("SELECT count(*) FROM departments WHERE parent_id = ?")? > 0 {
        return Err(CoreError::Conflict("the department has sub-departments".into()));
    }
    if count("SELECT count(*) FROM users WHERE department_id = ?")? > 0 {
        return Err(CoreError::Conflict("the department has users".into()));
    }
    Ok(())
}
