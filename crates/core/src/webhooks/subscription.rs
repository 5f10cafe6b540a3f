//! Subscriptions (`/api/webhooks`, `settings` permission), declared on the resource kit: a
//! name, the receiving URL (http or https), the events, the style (`bitrix24` | `json`),
//! active or paused (and why), who created it (the record a `json` delivery carries is
//! rendered as that user may read it). The secret — the HMAC key of the signature and
//! Bitrix24's `auth[application_token]` — is generated on create, shown in that answer only,
//! never rendered afterwards, and replaced by [`rotate_secret`] (shown once again).
//!
//! The events are kept twice: on the row in the style's spelling (what the API shows), and as
//! `webhook_events` rows in the native spelling, which the record tables' triggers read; the
//! `after` hook rewrites those with every write.

use serde_json::{Value as Json, json};

use super::events::{self, Style};
use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};
use crate::resource::public::new_secret;
use crate::resource::{
    Access, Audit, Cx, Default, Detail, Field, Hooks, ID, Key, Patch, Resource, Store, service_functions,
};

/// Filters `GET /api/webhooks` accepts.
pub const FILTERS: &[&str] = &["active", "style"];

/// The longest URL taken.
pub const MAX_URL: usize = 2000;

/// Subscriptions, declared.
pub const WEBHOOKS: Resource = Resource {
    fields: &[
        ID,
        Field::text("name", 200).required(),
        Field::any("url", Store::Text("url")).required(),
        Field::any("style", Store::Text("style")).default(Default::Text("json")),
        Field::any("events", Store::Json("events")).required(),
        Field::read_only("secret", Store::Secret("secret")).default(Default::Computed(new_secret)),
        Field::read_only("active", Store::Bool("active")),
        Field::read_only("paused_reason", Store::Text("paused_reason")),
        Field::read_only("paused_at", Store::Time("paused_at")),
        Field::read_only("consecutive_failures", Store::Int("consecutive_failures")),
        Field::read_only("last_success_at", Store::Time("last_success_at")),
        Field::read_only("last_failure_at", Store::Time("last_failure_at")),
    ],
    filters: FILTERS,
    audit: Audit {
        created: &[Detail::Given, Detail::Field("name"), Detail::Field("url")],
        updated: &[Detail::Changed],
        deleted: &[Detail::Field("name"), Detail::Field("url")],
    },
    hooks: Hooks {
        before: Some(check_definition),
        after: Some(keep_event_rows),
        ..Hooks::NONE
    },
    ..Resource::new("webhooks", "webhook", Access::entity(Entity::Settings))
};

service_functions!(WEBHOOKS: list, get, update, delete);

/// Creates a subscription (settings add); the answer carries the generated `secret`, the only
/// time it is shown.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    let mut record = WEBHOOKS.create(db, caller, &[], body, client)?;
    let id = record["id"]
        .as_i64()
        .ok_or_else(|| CoreError::Internal("a created webhook has no id".into()))?;
    record["secret"] = json!(stored_secret(db, id)?);
    Ok(record)
}

/// A new secret for subscription `id` (settings update), in the answer only; the old one stops
/// signing at once.
pub fn rotate_secret(db: &dyn Db, caller: &Caller, id: i64, client: &ClientInfo) -> Result<Json, CoreError> {
    let secret = crate::auth::random_secret()?;
    let given = secret.clone();
    let mut record = WEBHOOKS.act(
        db,
        caller,
        Action::Update,
        &Key::id(id),
        None,
        client,
        "secret_rotated",
        |_, _, changes| {
            changes.set_if(true, "secret", "secret", given);
            Ok(Some(json!({})))
        },
    )?;
    record["secret"] = json!(secret);
    Ok(record)
}

/// Pauses subscription `id` by hand (settings update): no events are written for it and its
/// due deliveries wait until it is resumed.
pub fn pause(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    reason: Option<&str>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("paused by a user");
    if reason.chars().count() > 500 {
        let mut errors = FieldErrors::new();
        errors.push("reason", "too_long", "at most 500 characters");
        return Err(CoreError::Validation(errors));
    }
    let reason = reason.to_string();
    WEBHOOKS.act(
        db,
        caller,
        Action::Update,
        &Key::id(id),
        None,
        client,
        "paused",
        |_, current, changes| {
            if current["active"] == json!(false) {
                return Ok(None);
            }
            changes.set_if(true, "active", "active", false);
            changes.set_if(true, "paused_reason", "paused_reason", reason.clone());
            changes.set_if(true, "paused_at", "paused_at", crate::clock::now());
            Ok(Some(json!({ "reason": reason })))
        },
    )
}

/// Resumes subscription `id` (settings update): its failure count starts again and its
/// waiting deliveries are due now.
pub fn resume(db: &dyn Db, caller: &Caller, id: i64, client: &ClientInfo) -> Result<Json, CoreError> {
    WEBHOOKS.act(
        db,
        caller,
        Action::Update,
        &Key::id(id),
        None,
        client,
        "resumed",
        |db, current, changes| {
            if current["active"] == json!(true) {
                return Ok(None);
            }
            changes.set_if(true, "active", "active", true);
            changes.set_if(true, "paused_reason", "paused_reason", Value::Null);
            changes.set_if(true, "paused_at", "paused_at", Value::Null);
            changes.set_if(true, "consecutive_failures", "consecutive_failures", 0);
            db.execute(
                "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE webhook_id = ? AND status = 'pending'",
                &[crate::clock::now().into(), id.into()],
            )?;
            Ok(Some(json!({})))
        },
    )
}

fn stored_secret(db: &dyn Db, id: i64) -> Result<String, CoreError> {
    db.query("SELECT secret FROM webhooks WHERE id = ?", &[id.into()])?
        .first()
        .and_then(|row| row.str("secret").map(str::to_owned))
        .ok_or(CoreError::NotFound)
}

/// Whether `url` is an absolute http or https URL with a host, no spaces and no credentials.
pub fn check_url(url: &str) -> Result<(), &'static str> {
    if url.len() > MAX_URL {
        return Err("at most 2000 characters");
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("may not contain spaces");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("may not carry a user name or password");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    if host.is_empty() {
        return Err("has no host");
    }
    if let Some((_, port)) = authority.rsplit_once(':')
        && !authority.ends_with(']')
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err("has a bad port");
    }
    Ok(())
}

/// The `before` hook: the URL, the style and the events checked together; the events kept in
/// the style's spelling.
fn check_definition(cx: &mut Cx) -> Result<(), CoreError> {
    let draft = cx.draft.merged();
    let mut errors = FieldErrors::new();
    match draft.get("url").and_then(Json::as_str).map(str::trim) {
        Some(url) => match check_url(url) {
            Ok(()) => cx.draft.set("url", json!(url)),
            Err(message) => errors.push("url", "invalid_url", message),
        },
        None => errors.push("url", "required", "the receiving URL (http or https)"),
    }
    let style = draft.get("style").and_then(Json::as_str).and_then(Style::parse);
    if style.is_none() {
        errors.push("style", "invalid_choice", "must be bitrix24 or json");
    }
    let events_or_style_given =
        !matches!(cx.draft.patch("events"), Patch::Absent) || !matches!(cx.draft.patch("style"), Patch::Absent);
    if cx.creating() || events_or_style_given {
        let (spelled, _) = events::read(draft.get("events"), style, &mut errors);
        if errors.is_empty() {
            cx.draft.set("events", json!(spelled));
        }
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    Ok(())
}

/// The `after` hook: `webhook_events` rewritten from the stored events.
fn keep_event_rows(cx: &mut Cx) -> Result<(), CoreError> {
    let id = cx.id();
    let draft = cx.draft.merged();
    let natives: Vec<String> = draft
        .get("events")
        .and_then(Json::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| e.as_str().and_then(events::native))
                .collect()
        })
        .unwrap_or_default();
    cx.db
        .execute("DELETE FROM webhook_events WHERE webhook_id = ?", &[id.into()])?;
    for event in natives {
        cx.db.execute(
            "INSERT OR IGNORE INTO webhook_events (event, webhook_id) VALUES (?, ?)",
            &[event.into(), id.into()],
        )?;
    }
    Ok(())
}
