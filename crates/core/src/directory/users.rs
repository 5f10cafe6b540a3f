//! Users: list, read, create, change and deactivate, with their direct roles (`user_roles`).
//!
//! A user record never carries the password or its hash. Email normalisation, the password
//! policy and hashing belong to `crate::auth`; this module only calls them. Users are never
//! deleted (their id stays on the records they own): they are deactivated, which also ends
//! their sessions and tokens because [`Caller::load`] refuses inactive users.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, DbError, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{
    Body, Changes, ListQuery, Page, Patch, Where, audit, check_ids_exist, check_version, exists, opt_i64, time,
};

/// The filters `list` accepts (`filter[active]=true`, `filter[department_id]=3`, `filter[email]=a@b.c`).
pub const FILTERS: &[&str] = &["active", "department_id", "email"];

const WRITABLE: &[&str] = &[
    "email",
    "name",
    "password",
    "active",
    "department_id",
    "position",
    "language",
    "time_zone",
    "role_ids",
];

const COLUMNS: &str = "id, email, name, active, department_id, position, language, time_zone, version, \
                       created_at, updated_at, created_by, updated_by";

const DUPLICATE_EMAIL: &str = "a user with this email exists";

/// Lists users by id ascending (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let mut filter = Where::default();
    if let Some(cursor) = query.cursor {
        filter.and("id > ?", [cursor.into()]);
    }
    if let Some(active) = query.filter_bool("active")? {
        filter.and("active = ?", [active.into()]);
    }
    if let Some(department) = query.filter_i64("department_id")? {
        filter.and("department_id = ?", [department.into()]);
    }
    if let Some(email) = query.filter("email") {
        filter.and("email = ?", [email.trim().into()]);
    }
    super::USER_ROLES.page(db, &format!("SELECT {COLUMNS} FROM users"), &filter, query, record)
}

/// The directory of active users (`id`, `name`, `department_id`) that anyone signed in may read,
/// so people pick an assignee by name without the `settings` permission; `caller` is the proof
/// of sign-in.
pub fn directory(db: &dyn Db, _caller: &Caller) -> Result<Json, CoreError> {
    let rows = db.query(
        "SELECT id, name, department_id FROM users WHERE active = 1 ORDER BY name, id",
        &[],
    )?;
    let items: Vec<Json> = rows
        .iter()
        .map(|r| json!({"id": r.i64("id"), "name": r.str("name"), "department_id": r.i64("department_id")}))
        .collect();
    Ok(json!({ "items": items }))
}

/// One user (settings read); 404 if there is none.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    load(db, id)?.map(|(_, record)| record).ok_or(CoreError::NotFound)
}

/// Creates a user (settings add) from `{email, name, password, active?, department_id?,
/// position?, language?, time_zone?, role_ids?}` and returns the record.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let input = Input::parse(body, None)?;
    transaction(db, |db| {
        input.check_references(db, None)?;
        let now = crate::clock::now();
        let (Some(email), Patch::Set(name), Some(hash)) = (&input.email, &input.name, &input.password_hash) else {
            return Err(CoreError::Internal("create input lacks a required field".into()));
        };
        let inserted = db.execute(
            "INSERT INTO users (email, name, password_hash, active, department_id, position, language, time_zone, \
             version, created_at, updated_at, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            &[
                email.as_str().into(),
                name.as_str().into(),
                hash.as_str().into(),
                input.active.unwrap_or(true).into(),
                patched_i64(&input.department_id),
                patched_text(&input.position),
                input.language.as_deref().unwrap_or("en").into(),
                input.time_zone.as_deref().unwrap_or("UTC").into(),
                now.into(),
                now.into(),
                caller.user_id.into(),
                caller.user_id.into(),
            ],
        );
        map_unique(inserted)?;
        let id = db.last_insert_id()?;
        let role_ids = input.role_ids.clone().unwrap_or_default();
        super::USER_ROLES.set(db, id, &role_ids)?;
        audit(
            db,
            caller,
            "user.created",
            ("user", id),
            json!({ "fields": input.field_names(), "role_ids": role_ids }),
            client,
        )?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Changes a user (settings update) with a JSON merge-patch of the fields `create` takes;
/// `if_match` is the version the client last saw (412 if it changed). Setting `active` to
/// `false` deactivates (audited as `user.deactivated`; not allowed on oneself, 409) and ends
/// the user's credentials for good (`auth::end_credentials`).
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let (before, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
    check_version(before.version, if_match)?;
    let input = Input::parse(body, Some(&before.email))?;
    if input.active == Some(false) && id == caller.user_id {
        return Err(CoreError::Conflict("you cannot deactivate yourself".into()));
    }
    transaction(db, |db| {
        let (current, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        input.check_references(db, Some(id))?;
        let mut changes = Changes::default();
        if let Some(email) = &input.email {
            changes.set_if(*email != current.email, "email", "email", email.as_str());
        }
        if let Patch::Set(name) = &input.name {
            changes.set_if(*name != current.name, "name", "name", name.as_str());
        }
        if let Some(hash) = &input.password_hash {
            changes.set_if(true, "password", "password_hash", hash.as_str());
        }
        if let Some(active) = input.active {
            changes.set_if(active != current.active, "active", "active", active);
        }
        if let Some(department) = input.department_id.change() {
            changes.set_if(
                department != current.department_id,
                "department_id",
                "department_id",
                department,
            );
        }
        if let Some(position) = input.position.change() {
            changes.set_if(position != current.position, "position", "position", position);
        }
        if let Some(language) = &input.language {
            changes.set_if(*language != current.language, "language", "language", language.as_str());
        }
        if let Some(zone) = &input.time_zone {
            changes.set_if(*zone != current.time_zone, "time_zone", "time_zone", zone.as_str());
        }
        let roles_changed = input.role_ids.as_ref().filter(|ids| **ids != current.role_ids);
        if roles_changed.is_some() {
            changes.touched("role_ids");
        }
        if changes.is_empty() {
            return load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound);
        }
        let changed = changes.fields.clone();
        map_unique(changes.write(db, "users", id, Some(caller.user_id)))?;
        let mut details = json!({ "fields": changed });
        if let Some(role_ids) = roles_changed {
            super::USER_ROLES.set(db, id, role_ids)?;
            details["role_ids"] = json!(role_ids);
        }
        let action = if input.active == Some(false) && current.active {
            crate::auth::end_credentials(db, id)?;
            "user.deactivated"
        } else {
            "user.updated"
        };
        audit(db, caller, action, ("user", id), details, client)?;
        load(db, id)?.map(|(_, r)| r).ok_or(CoreError::NotFound)
    })
}

/// Deactivates a user (settings delete) and ends their credentials for good; 409 on oneself,
/// 412 on a stale `if_match`. A user who is already inactive stays so and nothing is written.
pub fn deactivate(
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
        if id == caller.user_id {
            return Err(CoreError::Conflict("you cannot deactivate yourself".into()));
        }
        if !current.active {
            return Ok(());
        }
        db.execute(
            "UPDATE users SET active = 0, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            &[crate::clock::now().into(), caller.user_id.into(), id.into()],
        )?;
        crate::auth::end_credentials(db, id)?;
        audit(
            db,
            caller,
            "user.deactivated",
            ("user", id),
            json!({ "fields": ["active"] }),
            client,
        )
    })
}

/// The stored facts an update compares against.
struct Current {
    email: String,
    name: String,
    active: bool,
    department_id: Option<i64>,
    position: Option<String>,
    language: String,
    time_zone: String,
    role_ids: Vec<i64>,
    version: i64,
}

/// Parsed and checked body of a create or update (`None`/`Absent`: not given).
struct Input {
    email: Option<String>,
    name: Patch<String>,
    password_hash: Option<String>,
    active: Option<bool>,
    department_id: Patch<i64>,
    position: Patch<String>,
    language: Option<String>,
    time_zone: Option<String>,
    role_ids: Option<Vec<i64>>,
    given: Vec<String>,
}

impl Input {
    /// Reads and checks every field of `body`; `current_email` is `None` on create (when
    /// email, name and password are required) and the stored email on update.
    fn parse(body: &Json, current_email: Option<&str>) -> Result<Input, CoreError> {
        let creating = current_email.is_none();
        let mut b = Body::new(body, WRITABLE)?;
        let raw_email = b.raw_string("email");
        let name = b.text("name", 200, true);
        let password = b.raw_string("password");
        let active = b.bool("active");
        let department_id = b.int("department_id");
        let position = b.text("position", 200, false);
        let language = match b.raw_string("language") {
            Some(l) if l == "en" || l == "ru" => Some(l),
            Some(_) => {
                b.errors.push("language", "invalid_choice", "must be en or ru");
                None
            }
            None => None,
        };
        let time_zone = match b.raw_string("time_zone") {
            Some(zone) if valid_time_zone(&zone) => Some(zone),
            Some(_) => {
                b.errors.push(
                    "time_zone",
                    "invalid_time_zone",
                    "1 to 64 letters, digits, '/', '_', '+' or '-'",
                );
                None
            }
            None => None,
        };
        let role_ids = b.ids("role_ids");
        if creating {
            if raw_email.is_none() && !b.errors.iter().any(|e| e.field == "email") {
                b.errors.push("email", "required", "is required");
            }
            b.require("name", &name);
            if password.is_none() && !b.errors.iter().any(|e| e.field == "password") {
                b.errors.push("password", "required", "is required");
            }
        }
        let given = body
            .as_object()
            .map(|m| m.keys().filter(|k| WRITABLE.contains(&k.as_str())).cloned().collect())
            .unwrap_or_default();
        let (email, password_hash) =
            credentials(raw_email.as_deref(), password.as_deref(), current_email, &mut b.errors)?;
        b.errors.into_result()?;
        Ok(Input {
            email,
            name,
            password_hash,
            active,
            department_id,
            position,
            language,
            time_zone,
            role_ids,
            given,
        })
    }

    /// The names of the fields the body set.
    fn field_names(&self) -> &[String] {
        &self.given
    }

    /// Checks what needs the database: the department and roles exist (422), the email is
    /// free (409). `id` is the user being changed, if any.
    fn check_references(&self, db: &dyn Db, id: Option<i64>) -> Result<(), CoreError> {
        let mut errors = FieldErrors::new();
        if let Patch::Set(department) = self.department_id
            && !exists(db, "departments", department)?
        {
            errors.push(
                "department_id",
                "not_found",
                format!("no department with id {department}"),
            );
        }
        if let Some(role_ids) = &self.role_ids {
            check_ids_exist(db, "roles", "role_ids", role_ids, &mut errors)?;
        }
        errors.into_result()?;
        if let Some(email) = &self.email {
            let taken = db.query(
                "SELECT id FROM users WHERE email = ? COLLATE NOCASE AND id IS NOT ?",
                &[email.as_str().into(), id.map(Value::from).unwrap_or(Value::Null)],
            )?;
            if !taken.is_empty() {
                return Err(CoreError::Conflict(DUPLICATE_EMAIL.into()));
            }
        }
        Ok(())
    }
}

/// The one place this module calls `crate::auth`: normalises the email, applies the password
/// policy (against the new or current email) and hashes the password. Problems go to `errors`;
/// the (slow) hash is only computed when the body is otherwise valid.
fn credentials(
    raw_email: Option<&str>,
    password: Option<&str>,
    current_email: Option<&str>,
    errors: &mut FieldErrors,
) -> Result<(Option<String>, Option<String>), CoreError> {
    let email = match raw_email.map(crate::auth::normalize_email) {
        Some(Ok(email)) => Some(email),
        Some(Err((code, message))) => {
            errors.push("email", code, message);
            None
        }
        None => None,
    };
    let Some(password) = password else {
        return Ok((email, None));
    };
    let policy_email = email.as_deref().or(current_email).unwrap_or_default();
    if let Err((code, message)) = crate::auth::check_password(password, policy_email) {
        errors.push("password", code, message);
    }
    if !errors.is_empty() {
        return Ok((email, None));
    }
    Ok((email, Some(crate::auth::hash_password(password)?)))
}

fn valid_time_zone(zone: &str) -> bool {
    !zone.is_empty()
        && zone.len() <= 64
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '+' | '-'))
}

/// A UNIQUE failure on the email (a race past the check) is the same 409.
fn map_unique(result: Result<(), DbError>) -> Result<(), CoreError> {
    match result {
        Err(DbError::Constraint { message }) if message.contains("users.email") => {
            Err(CoreError::Conflict(DUPLICATE_EMAIL.into()))
        }
        other => Ok(other?),
    }
}

fn patched_i64(value: &Patch<i64>) -> Value {
    match value {
        Patch::Set(v) => (*v).into(),
        _ => Value::Null,
    }
}

fn patched_text(value: &Patch<String>) -> Value {
    match value {
        Patch::Set(v) => v.as_str().into(),
        _ => Value::Null,
    }
}

fn load(db: &dyn Db, id: i64) -> Result<Option<(Current, Json)>, CoreError> {
    let rows = db.query(&format!("SELECT {COLUMNS} FROM users WHERE id = ?"), &[id.into()])?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let role_ids = super::USER_ROLES.of_one(db, id)?;
    let current = Current {
        email: row.str("email").unwrap_or_default().to_string(),
        name: row.str("name").unwrap_or_default().to_string(),
        active: row.i64("active") == Some(1),
        department_id: row.i64("department_id"),
        position: row.str("position").map(str::to_owned),
        language: row.str("language").unwrap_or_default().to_string(),
        time_zone: row.str("time_zone").unwrap_or_default().to_string(),
        role_ids: role_ids.clone(),
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((current, record(&row, role_ids))))
}

fn record(row: &Row, role_ids: Vec<i64>) -> Json {
    json!({
        "id": row.i64("id"),
        "email": row.str("email"),
        "name": row.str("name"),
        "active": row.i64("active") == Some(1),
        "department_id": opt_i64(row.i64("department_id")),
        "position": row.str("position"),
        "language": row.str("language"),
        "time_zone": row.str("time_zone"),
        "role_ids": role_ids,
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
        "created_by": opt_i64(row.i64("created_by")),
        "updated_by": opt_i64(row.i64("updated_by")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_checked_by_shape() {
        for good in ["UTC", "Europe/Moscow", "America/Argentina/Buenos_Aires", "Etc/GMT+3"] {
            assert!(valid_time_zone(good), "{good}");
        }
        for bad in ["", "Europe Moscow", "a;b", &"x".repeat(65)] {
            assert!(!valid_time_zone(bad), "{bad}");
        }
    }
}
