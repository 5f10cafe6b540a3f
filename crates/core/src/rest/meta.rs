//! Methods about the API itself and the caller: `methods`, `scope`, `user.current`, `profile`
//! (issue 19, transport helper); `batch` is listed here too (its work is [`super::batch`]).
//!
//! `methods` and `scope` answer for the hook a request came with when the transport calls
//! them ([`super::dispatch`]); called without one, they answer for every scope.

use serde_json::{Value as Json, json};

use super::hooks::SCOPES;
use super::methods::Method;
use super::values::{id_text, yes_no};
use super::{Call, Reply, RestError};
use crate::acl::{Action, Entity, Level};
use crate::error::CoreError;

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("batch", "", batch_inside_batch),
    ("methods", "", methods),
    ("scope", "", scope),
    ("user.current", "user", user_current),
    ("profile", "user", profile),
];

/// `methods`: the names of the methods the given scopes reach, lower-case, in table order;
/// `scope=<name>` keeps one scope's, `full=true` every method whatever the scopes.
pub fn methods_for(scopes: &[&str], params: &Json) -> Json {
    let param = |name: &str| {
        params
            .as_object()
            .and_then(|map| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v)
    };
    let full = param("full").and_then(super::values::flag_of).unwrap_or(false);
    let only = param("scope").and_then(Json::as_str).map(str::to_ascii_lowercase);
    let names: Vec<Json> = super::methods::all()
        .filter(|(_, scope, _)| full || scope.is_empty() || scopes.contains(scope))
        .filter(|(_, scope, _)| only.as_deref().is_none_or(|only| only == *scope))
        .map(|(name, _, _)| Json::String((*name).to_owned()))
        .collect();
    Json::Array(names)
}

/// `scope`: the given scopes; `full=true` every scope there is.
pub fn scope_for(scopes: &[&str], params: &Json) -> Json {
    let full = params
        .as_object()
        .and_then(|map| map.iter().find(|(k, _)| k.eq_ignore_ascii_case("full")))
        .and_then(|(_, v)| super::values::flag_of(v))
        .unwrap_or(false);
    let list: &[&str] = if full { SCOPES } else { scopes };
    json!(list)
}

fn methods(call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(methods_for(SCOPES, call.params)))
}

fn scope(call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(scope_for(SCOPES, call.params)))
}

/// `batch` reached through the dispatcher is a batch inside a batch: refused as Bitrix24
/// refuses it since rest 24.0.0.
fn batch_inside_batch(_: &Call) -> Result<Reply, RestError> {
    Err(RestError::new(
        405,
        "ERROR_BATCH_METHOD_NOT_ALLOWED",
        "Method is not allowed for batch usage",
    ))
}

/// The caller's user row, as Bitrix24 names a user's fields.
fn user_row(call: &Call) -> Result<(Json, String), RestError> {
    let rows = call
        .db
        .query(
            "SELECT id, email, name, position, active, time_zone, department_id FROM users WHERE id = ?",
            &[call.caller.user_id.into()],
        )
        .map_err(CoreError::from)?;
    let row = rows.first().ok_or_else(|| RestError::from(CoreError::Unauthorized))?;
    let full_name = row.str("name").unwrap_or_default().trim();
    let (first, last) = full_name.split_once(char::is_whitespace).unwrap_or((full_name, ""));
    let zone = row.str("time_zone").unwrap_or("UTC").to_owned();
    let department: Vec<i64> = row.i64("department_id").into_iter().collect();
    Ok((
        json!({
            "ID": id_text(call.caller.user_id),
            "ACTIVE": row.i64("active") == Some(1),
            "EMAIL": row.str("email"),
            "NAME": first,
            "LAST_NAME": last.trim(),
            "SECOND_NAME": "",
            "WORK_POSITION": row.str("position").unwrap_or_default(),
            "UF_DEPARTMENT": department,
            "IS_ADMIN": yes_no(is_admin(call)),
        }),
        zone,
    ))
}

fn is_admin(call: &Call) -> bool {
    call.caller.level(Entity::Settings, Action::Update) != Level::None
}

/// The zone's offset from UTC now, in seconds (0 for an unknown zone).
fn offset_seconds(zone: &str) -> i64 {
    crate::tz::get(zone)
        .map(|tz| i64::from(tz.to_offset(jiff::Timestamp::now()).seconds()))
        .unwrap_or(0)
}

/// `user.current`: the webhook's user.
fn user_current(call: &Call) -> Result<Reply, RestError> {
    let (mut user, zone) = user_row(call)?;
    user["TIME_ZONE"] = json!(zone);
    user["TIME_ZONE_OFFSET"] = json!(offset_seconds(&zone).to_string());
    Ok(Reply::of(user))
}

/// `profile`: the webhook's user, briefly, with `ADMIN`.
fn profile(call: &Call) -> Result<Reply, RestError> {
    let (user, zone) = user_row(call)?;
    Ok(Reply::of(json!({
        "ID": user["ID"],
        "ADMIN": is_admin(call),
        "NAME": user["NAME"],
        "LAST_NAME": user["LAST_NAME"],
        "PERSONAL_GENDER": "",
        "TIME_ZONE": zone,
        "TIME_ZONE_OFFSET": offset_seconds(&zone),
    })))
}
