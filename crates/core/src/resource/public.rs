//! What a resource reached from outside by a key of its own needs (web forms at `/f/<key>`,
//! order sources at `/hooks/orders/<key>`): the unguessable public key and signing secret it
//! is created with, and its `active` flag read leniently (anything but `false` is `true`).

use serde_json::Value as Json;

use super::patch::{Body, Patch};
use crate::db::{Db, Value};
use crate::error::CoreError;

/// [`super::Default::Computed`]: a new public key, 24 random letters and digits.
pub fn new_public_key(_: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    let key: String = crate::auth::random_secret()?
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    Ok(Json::from(key))
}

/// [`super::Default::Computed`]: a new random secret.
pub fn new_secret(_: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    Ok(Json::from(crate::auth::random_secret()?))
}

/// A field reader for `active` as given; anything but `false` is `true`.
pub fn read_active(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.get(key) {
        None => Patch::Absent,
        Some(value) => Patch::Set(Json::Bool(value.as_bool().unwrap_or(true))),
    }
}
