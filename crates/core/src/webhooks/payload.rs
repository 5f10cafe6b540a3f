//! What a delivery sends: the body in the subscription's style and the headers, signed.
//!
//! - `bitrix24`: `application/x-www-form-urlencoded` as Bitrix24 sends its outbound webhooks:
//!   `event=ONCRMLEADADD&event_handler_id=<subscription id>&data[FIELDS][ID]=<id>&ts=<unix>`
//!   `&auth[domain]=<host>&auth[client_endpoint]=<origin>/rest/&auth[server_endpoint]=<origin>/rest/`
//!   `&auth[member_id]=<stable id of this CRM>&auth[application_token]=<the secret>`. Only the
//!   id, as Bitrix24 does; the receiver reads the record with `crm.lead.get`.
//! - `json`: `{"event":"lead.created","delivery_id":7,"occurred_at":"<RFC 3339>",`
//!   `"data":{"entity":"lead","id":5,"record":{...}}}` — the record rendered by the record
//!   engine now, as the subscription's creator may read it (left out for a deletion, or when
//!   that user may not read it or is no longer active); a stage change adds `from` and `to`;
//!   a comment's event (`entity` `comment`, `id` the comment's) adds the `record_entity` and
//!   `record_id` it is on, and no record (read it with `crm.timeline.comment.get`).
//!
//! Both carry `X-Webhook-Event`, `X-Webhook-Delivery` (the delivery id: the same on a retry,
//! so a receiver can drop repeats), and the signature ([`super::signature`]).

use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::events::{Style, spelled};
use super::planner::Due;
use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;
use crate::records::entity::EntityDef;

/// Where this CRM is reached (for Bitrix24's `auth[...]`): `https://crm.example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Scheme and authority, no trailing slash.
    pub origin: String,
}

impl Site {
    /// The authority part (`crm.example.com:8443`).
    pub fn domain(&self) -> &str {
        self.origin
            .split_once("://")
            .map_or(self.origin.as_str(), |(_, rest)| rest)
    }

    /// A stable id of this CRM, as Bitrix24's `member_id` (32 hex digits of the domain's SHA-256).
    pub fn member_id(&self) -> String {
        hex::encode(Sha256::digest(self.domain().as_bytes()))[..32].to_string()
    }
}

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The body.
    pub body: Vec<u8>,
    /// The headers, `Content-Type` first.
    pub headers: Vec<(String, String)>,
}

/// The request of delivery `due` at `now` (the signature's timestamp).
pub fn build(db: &dyn Db, due: &Due, site: &Site, now: i64) -> Result<Message, CoreError> {
    let (content_type, body) = match due.style {
        Style::Bitrix24 => ("application/x-www-form-urlencoded", bitrix24_body(due, site)),
        Style::Json => ("application/json", json_body(db, due)?.to_string().into_bytes()),
    };
    let headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("User-Agent".to_string(), "crm-webhooks/1".to_string()),
        ("X-Webhook-Event".to_string(), spelled(due.style, &due.event)),
        ("X-Webhook-Delivery".to_string(), due.id.to_string()),
        (TIMESTAMP_HEADER.to_string(), now.to_string()),
        (SIGNATURE_HEADER.to_string(), sign(&due.secret, now, &body)),
    ];
    Ok(Message { body, headers })
}

fn bitrix24_body(due: &Due, site: &Site) -> Vec<u8> {
    let endpoint = format!("{}/rest/", site.origin);
    form_urlencoded::Serializer::new(String::new())
        .append_pair("event", &spelled(Style::Bitrix24, &due.event))
        .append_pair("event_handler_id", &due.webhook_id.to_string())
        .append_pair("data[FIELDS][ID]", &due.record_id.to_string())
        .append_pair("ts", &due.occurred_at.to_string())
        .append_pair("auth[domain]", site.domain())
        .append_pair("auth[client_endpoint]", &endpoint)
        .append_pair("auth[server_endpoint]", &endpoint)
        .append_pair("auth[member_id]", &site.member_id())
        .append_pair("auth[application_token]", &due.secret)
        .finish()
        .into_bytes()
}

fn json_body(db: &dyn Db, due: &Due) -> Result<Json, CoreError> {
    let mut data = Map::new();
    data.insert("entity".into(), json!(due.entity));
    data.insert("id".into(), json!(due.record_id));
    if let Some(Json::Object(details)) = &due.details {
        data.extend(details.clone());
    }
    if !due.event.ends_with(".deleted")
        && due.entity != super::events::COMMENT
        && let Some(record) = readable_record(db, due)?
    {
        data.insert("record".into(), record);
    }
    Ok(json!({
        "event": due.event,
        "delivery_id": due.id,
        "occurred_at": crate::clock::rfc3339(due.occurred_at),
        "data": data,
    }))
}

/// The record as the subscription's creator reads it now; `None` when there is no such
/// record any more, they may not read it, or they are not an active user.
fn readable_record(db: &dyn Db, due: &Due) -> Result<Option<Json>, CoreError> {
    let Some(user) = due.created_by else { return Ok(None) };
    let caller = match Caller::load(db, user) {
        Ok(caller) => caller,
        Err(CoreError::Unauthorized | CoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let def = EntityDef::load_for(db, &caller, &due.entity)?;
    match crate::records::service::get(db, &caller, &def, due.record_id) {
        Ok(record) => Ok(Some(record)),
        Err(CoreError::NotFound | CoreError::Forbidden | CoreError::ForbiddenBecause(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
