//! Application settings (`/api/settings`): firm-wide values kept in `app_settings`: the firm's
//! name, its time zone (reports bucket dates in it) and the default country phones are read in
//! when typed without `+`. Any signed-in user may read
//! them; changing them needs the `settings` update permission and is audited.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::values;

/// The settings as one JSON object.
pub fn get(db: &dyn Db, _caller: &Caller) -> Result<Json, CoreError> {
    let rows = db.query("SELECT key, value FROM app_settings ORDER BY key", &[])?;
    let mut out = serde_json::Map::new();
    out.insert("firm_name".into(), json!(""));
    out.insert("time_zone".into(), json!("UTC"));
    for row in rows.iter() {
        if let (Some(key), Some(value)) = (row.str("key"), row.str("value")) {
            out.insert(key.to_string(), json!(value));
        }
    }
    Ok(Json::Object(out))
}

/// Merge-patches the settings (`{"default_country": "KZ", "firm_name": "...", "time_zone": "Asia/Almaty"}`).
pub fn update(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    let mut changes: Vec<(&str, String)> = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            "default_country" => match value.as_str().map(str::to_ascii_uppercase) {
                Some(code) if values::is_known_country(&code) => changes.push(("default_country", code)),
                _ => errors.push(
                    key.clone(),
                    "invalid_choice",
                    "not a country code this CRM knows phones of",
                ),
            },
            "firm_name" => match value.as_str().map(str::trim).or(value.is_null().then_some("")) {
                Some(name) if name.chars().count() <= 200 => changes.push(("firm_name", name.to_string())),
                _ => errors.push(key.clone(), "too_long", "a name of at most 200 characters"),
            },
            "time_zone" => match value.as_str().map(values::parse_time_zone) {
                Some(Ok(zone)) => changes.push(("time_zone", zone)),
                Some(Err(e)) => errors.push(key.clone(), e.code, e.message),
                None => errors.push(key.clone(), "invalid_type", "expected a time zone name"),
            },
            _ => errors.push(key.clone(), "unknown_field", "not a setting"),
        }
    }
    errors.into_result()?;
    transaction(db, |db| {
        for (key, value) in &changes {
            db.execute(
                "INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[(*key).into(), value.as_str().into()],
            )?;
        }
        crate::resource::audit(db, caller, "settings.updated", ("settings", 0), body.clone(), client)?;
        get(db, caller)
    })
}
