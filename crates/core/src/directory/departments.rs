//! Departments: the firm's tree (`parent_id`), each with an optional head and the roles every
//! member gets (`department_roles`). The tree stays a tree: a parent that is the department
//! itself or one of its descendants is refused (`parent_id`/`cycle`), and a department that
//! still has sub-departments or users cannot be deleted.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{
    Body, Changes, ListQuery, Page, Patch, Where, audit, check_ids_exist, check_version, exists, opt_i64, time,
};

/// The filters `list` accepts (`filter[parent_id]=3`).
pub const FILTERS: &[&str] = &["parent_id"];

const WRITABLE: &[&str] = &["name", "parent_id", "head_user_id", "sort", "role_ids"];

const COLUMNS: &str =
    "id, name, parent_id, head_user_id, sort, version, created_at, updated_at, created_by, updated_by";

/// Lists departments by id ascending (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let mut filter = Where::default();
    if let Some(cursor) = query.cursor {
        filter.and("id > ?", [cursor.into()]);
    }
    if let Some(parent) = query.filter_i64("parent_id")? {
        filter.and("parent_id = ?", [parent.into()]);
    }
    super::DEPARTMENT_ROLES.page(
        db,
        &format!("SELECT {COLUMNS} FROM departments"),
        &filter,
        query,
        record,
    )
}

/// One department (settings read); 404 if there is none.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
}

/// Creates a department (settings add) from `{name, parent_id?, head_user_id?, sort?,
/// role_ids?}` and returns the record.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let input = Input::parse(body, true)?;
    transaction(db, |db| {
        input.check_references(db, None)?;
        let Patch::Set(name) = &input.name else {
            return Err(CoreError::Internal("create input lacks a name".into()));
        };
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO departments (name, parent_id, head_user_id, sort, version, created_at, updated_at, \
             created_by, updated_by) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
            &[
                name.as_str().into(),
                set_or_null(&input.parent_id),
                set_or_null(&input.head_user_id),
                input.sort.unwrap_or(100).into(),
                now.into(),
                now.into(),
                caller.user_id.into(),
                caller.user_id.into(),
            ],
        )?;
        let id = db.last_insert_id()?;
        let role_ids = input.role_ids.clone().unwrap_or_default();
        super::DEPARTMENT_ROLES.set(db, id, &role_ids)?;
        audit(
            db,
            caller,
            "department.created",
            ("department", id),
            json!({ "fields": input.given, "role_ids": role_ids }),
            client,
        )?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Changes a department (settings update) with a JSON merge-patch; 412 on a stale `if_match`.
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
        input.check_references(db, Some(id))?;
        let mut changes = Changes::default();
        if let Patch::Set(name) = &input.name {
            changes.set_if(*name != current.name, "name", "name", name.as_str());
        }
        if let Some(parent) = input.parent_id.change() {
            changes.set_if(parent != current.parent_id, "parent_id", "parent_id", parent);
        }
        if let Some(head) = input.head_user_id.change() {
            changes.set_if(head != current.head_user_id, "head_user_id", "head_user_id", head);
        }
        if let Some(sort) = input.sort {
            changes.set_if(sort != current.sort, "sort", "sort", sort);
        }
        let roles_changed = input.role_ids.as_ref().filter(|ids| **ids != current.role_ids);
        if roles_changed.is_some() {
            changes.touched("role_ids");
        }
        if changes.is_empty() {
            return load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound);
        }
        let changed = changes.fields.clone();
        changes.write(db, "departments", id, Some(caller.user_id))?;
        let mut details = json!({ "fields": changed });
        if let Some(role_ids) = roles_changed {
            super::DEPARTMENT_ROLES.set(db, id, role_ids)?;
            details["role_ids"] = json!(role_ids);
        }
        audit(db, caller, "department.updated", ("department", id), details, client)?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Deletes a department (settings delete); 409 while it has sub-departments or users (active
/// or not), 412 on a stale `if_match`.
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
        let children = db
            .query("SELECT count(*) FROM departments WHERE parent_id = ?", &[id.into()])?
            .first_i64()
            .unwrap_or_default();
        if children > 0 {
            return Err(CoreError::Conflict("the department has sub-departments".into()));
        }
        let users = db
            .query("SELECT count(*) FROM users WHERE department_id = ?", &[id.into()])?
            .first_i64()
            .unwrap_or_default();
        if users > 0 {
            return Err(CoreError::Conflict("the department has users".into()));
        }
        db.execute("DELETE FROM departments WHERE id = ?", &[id.into()])?;
        audit(
            db,
            caller,
            "department.deleted",
            ("department", id),
            json!({ "name": current.name }),
            client,
        )
    })
}

/// The stored facts an update compares against.
struct Current {
    name: String,
    parent_id: Option<i64>,
    head_user_id: Option<i64>,
    sort: i64,
    role_ids: Vec<i64>,
    version: i64,
}

struct Input {
    name: Patch<String>,
    parent_id: Patch<i64>,
    head_user_id: Patch<i64>,
    sort: Option<i64>,
    role_ids: Option<Vec<i64>>,
    given: Vec<String>,
}

impl Input {
    fn parse(body: &Json, creating: bool) -> Result<Input, CoreError> {
        let mut b = Body::new(body, WRITABLE)?;
        let name = b.text("name", 200, true);
        if creating {
            b.require("name", &name);
        }
        let parent_id = b.int("parent_id");
        let head_user_id = b.int("head_user_id");
        let sort = b.required_int("sort");
        let role_ids = b.ids("role_ids");
        b.errors.into_result()?;
        let given = body
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        Ok(Input {
            name,
            parent_id,
            head_user_id,
            sort,
            role_ids,
            given,
        })
    }

    /// The parent, head and roles exist, and the parent is not `id` or below it.
    fn check_references(&self, db: &dyn Db, id: Option<i64>) -> Result<(), CoreError> {
        let mut errors = FieldErrors::new();
        crate::resource::check_parent(
            db,
            "departments",
            "parent_id",
            &self.parent_id,
            id,
            "department",
            &mut errors,
        )?;
        if let Patch::Set(head) = self.head_user_id
            && !exists(db, "users", head)?
        {
            errors.push("head_user_id", "not_found", format!("no user with id {head}"));
        }
        if let Some(role_ids) = &self.role_ids {
            check_ids_exist(db, "roles", "role_ids", role_ids, &mut errors)?;
        }
        errors.into_result()
    }
}

/// Whether `candidate` is `root` or lies below it.
fn set_or_null(value: &Patch<i64>) -> Value {
    match value {
        Patch::Set(v) => (*v).into(),
        _ => Value::Null,
    }
}

fn load(db: &dyn Db, id: i64) -> Result<Option<(Current, Json)>, CoreError> {
    let rows = db.query(&format!("SELECT {COLUMNS} FROM departments WHERE id = ?"), &[id.into()])?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let role_ids = super::DEPARTMENT_ROLES.of_one(db, id)?;
    let current = Current {
        name: row.str("name").unwrap_or_default().to_string(),
        parent_id: row.i64("parent_id"),
        head_user_id: row.i64("head_user_id"),
        sort: row.i64("sort").unwrap_or_default(),
        role_ids: role_ids.clone(),
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((current, record(&row, role_ids))))
}

fn record(row: &Row, role_ids: Vec<i64>) -> Json {
    json!({
        "id": row.i64("id"),
        "name": row.str("name"),
        "parent_id": opt_i64(row.i64("parent_id")),
        "head_user_id": opt_i64(row.i64("head_user_id")),
        "sort": row.i64("sort"),
        "role_ids": role_ids,
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
        "created_by": opt_i64(row.i64("created_by")),
        "updated_by": opt_i64(row.i64("updated_by")),
    })
}
