//! Users: list, read, create, change and deactivate, with their direct roles (`user_roles`).
//!
//! A user record never carries the password or its hash. Email normalisation, the password
//! policy and hashing belong to `crate::auth`; this module only calls them. Users are never
//! deleted (their id stays on the records they own): they are deactivated, which also ends
//! their sessions and tokens because [`Caller::load`] refuses inactive users.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use super::USER_ROLES;
use crate::acl::{Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};
use crate::records::values;
use crate::resource::{
    Access, Body, Cx, Default, Field, Hooks, ID, Input, Key, Patch, Resource, Store, Unique, service_functions,
};

/// The filters `list` accepts (`filter[active]=true`, `filter[department_id]=3`, `filter[email]=a@b.c`).
pub const FILTERS: &[&str] = &["active", "department_id", "email"];

const DUPLICATE_EMAIL: &str = "a user with this email exists";

/// Users, declared: `{email, name, password, active?, department_id?, position?, language?,
/// time_zone?, role_ids?}`. The e-mail is normalised and the password checked and hashed by
/// the `parse` hook (against the stored e-mail on update, so updates parse after load); a
/// taken e-mail is 409. Setting `active` to `false` deactivates (audited as
/// `user.deactivated`; not allowed on oneself, 409) and ends the user's credentials for good
/// (`auth::end_credentials`). The `settings` permission.
pub const USERS: Resource = Resource {
    fields: &[
        ID,
        Field::raw("email").required(),
        Field::text("name", 200).required(),
        Field::raw("password").column("password_hash").secret().required(),
        Field::bool("active").default(Default::Bool(true)),
        Field::reference("department_id", "departments", "department"),
        Field::text("position", 200),
        Field::custom("language", Store::Text("language"), language).default(Default::Text("en")),
        Field::custom("time_zone", Store::Text("time_zone"), time_zone).default(Default::Text("UTC")),
        Field::ids("role_ids", "roles"),
    ],
    filters: FILTERS,
    unique: Some(Unique {
        columns: &["email"],
        nocase: true,
        message: DUPLICATE_EMAIL,
    }),
    parse_after_load: true,
    hooks: Hooks {
        parse: Some(credentials),
        before: Some(refuse_deactivating_oneself),
        after: Some(after_write),
        outside: Some(read_roles),
        ..Hooks::NONE
    },
    ..Resource::new("users", "user", Access::entity(Entity::Settings))
};

service_functions!(USERS: list, get, create, update);

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

/// Deactivates a user (settings delete) and ends their credentials for good; 409 on oneself,
/// 412 on a stale `if_match`. A user who is already inactive stays so and nothing is written.
pub fn deactivate(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    let details = json!({ "fields": ["active"] });
    USERS.deactivate(db, caller, &Key::id(id), if_match, client, details, |db, current| {
        if id == caller.user_id {
            return Err(CoreError::Conflict("you cannot deactivate yourself".into()));
        }
        if current["active"] != true {
            return Ok(false);
        }
        crate::auth::end_credentials(db, id)?;
        Ok(true)
    })
}

/// `en` or `ru`.
fn language(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.raw(key) {
        Patch::Set(l) if l == "en" || l == "ru" => Patch::Set(Json::from(l)),
        Patch::Set(_) => {
            b.errors.push(key, "invalid_choice", "must be en or ru");
            Patch::Invalid
        }
        other => other.map(Json::from),
    }
}

/// An IANA time zone of the bundled tz database ([`values::parse_time_zone`]).
fn time_zone(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.raw(key) {
        Patch::Set(zone) => match values::parse_time_zone(&zone) {
            Ok(zone) => Patch::Set(Json::from(zone)),
            Err(e) => {
                b.errors.push(key, e.code, e.message);
                Patch::Invalid
            }
        },
        other => other.map(Json::from),
    }
}

/// The `parse` hook: the e-mail normalised, the password checked and hashed.
fn credentials(b: &mut Body, input: &mut Input, current: Option<&Json>) -> Result<(), CoreError> {
    let raw_email = match input.patch("email") {
        Patch::Set(email) => email.as_str().map(str::to_owned),
        _ => None,
    };
    let password = match input.patch("password") {
        Patch::Set(password) => password.as_str().map(str::to_owned),
        _ => None,
    };
    let current_email = current.and_then(|c| c["email"].as_str());
    let (email, hash) = hash_credentials(raw_email.as_deref(), password.as_deref(), current_email, &mut b.errors)?;
    if raw_email.is_some() {
        input.set("email", email.map_or(Patch::Invalid, |e| Patch::Set(Json::from(e))));
    }
    if password.is_some() {
        input.set("password", hash.map_or(Patch::Invalid, |h| Patch::Set(Json::from(h))));
    }
    Ok(())
}

/// 409 when a user would deactivate themselves.
fn refuse_deactivating_oneself(cx: &mut Cx) -> Result<(), CoreError> {
    if *cx.draft.patch("active") == Patch::Set(Json::Bool(false)) && cx.id() == cx.caller.user_id {
        return Err(CoreError::Conflict("you cannot deactivate yourself".into()));
    }
    Ok(())
}

/// Role links; a user set inactive is `user.deactivated` and loses their credentials for good.
fn after_write(cx: &mut Cx) -> Result<(), CoreError> {
    USER_ROLES.written(cx)?;
    let was_active = cx.draft.current().is_some_and(|c| c["active"] == true);
    if was_active && *cx.draft.patch("active") == Patch::Set(Json::Bool(false)) {
        crate::auth::end_credentials(cx.db, cx.id())?;
        cx.verb = "deactivated";
    }
    Ok(())
}

fn read_roles(db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError> {
    USER_ROLES.outside(db, ids)
}

/// The one place this module calls `crate::auth`: normalises the email, applies the password
/// policy (against the new or current email) and hashes the password. Problems go to `errors`;
/// the (slow) hash is only computed when the body is otherwise valid.
fn hash_credentials(
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
