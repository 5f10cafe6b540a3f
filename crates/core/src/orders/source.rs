//! Order sources (`/api/order-sources`, `settings` permission): one store's webhook — its kind
//! (`shopify`, `woocommerce`, `generic`), the signing secret, the pipeline and the mapping from
//! the store's order states to its stages, who gets the deals (one user or round-robin),
//! whether unknown SKUs become catalog products, and the deals' source code. The public key
//! is generated (unguessable) and is the webhook's URL (`/hooks/orders/<key>`).
//!
//! The secret is kept as the store gives it (an HMAC needs the key itself) and never shown:
//! a `shopify` or `woocommerce` source takes the one pasted from the store's admin, a
//! `generic` one gets a generated secret, shown once in the create answer. A patch with a new
//! `secret` rotates it: the old one keeps verifying for `rotation_grace_minutes` (Shopify
//! takes up to an hour to switch).

use serde_json::{Map, Value as Json, json};

use super::signature::Kind;
use crate::acl::{Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value};
use crate::error::{CoreError, FieldErrors};
use crate::records::workspace::Workspace;
use crate::resource::{
    Access, Audit, Body, Cx, Default, Detail, Field, Hooks, ID, Key, ListQuery, Page, Patch, Resource, Store,
    service_functions,
};

/// Filters `GET /api/order-sources` accepts.
pub const FILTERS: &[&str] = &["active", "kind"];

/// Order sources, declared: checked whole before each write; the secret written, never shown.
pub const ORDER_SOURCES: Resource = Resource {
    fields: &[
        ID,
        Field::any("name", Store::Text("name")),
        Field::any("kind", Store::Text("kind"))
            .required()
            .immutable("the kind of a source cannot change; make a new source"),
        Field::read_only("public_key", Store::Text("public_key")).default(Default::Computed(new_public_key)),
        Field::custom("active", Store::Bool("active"), read_active).default(Default::Bool(true)),
        Field::text("secret", 500)
            .secret()
            .default(Default::Computed(new_secret)),
        Field::read_only("previous_secret_expires_at", Store::Time("previous_secret_expires_at")),
        Field::int_not_null("rotation_grace_minutes").default(Default::Int(1440)),
        Field::any("pipeline_id", Store::Int("pipeline_id")),
        Field::any("stage_map", Store::Json("stage_map")).default(Default::Json("{}")),
        Field::any("responsible_ids", Store::Json("responsible_ids")),
        Field::bool("create_products").default(Default::Bool(false)),
        Field::any("source", Store::Text("source")).default(Default::Text("STORE")),
        Field::read_only("failed_signatures", Store::Int("failed_signatures")),
        Field::read_only("last_failed_at", Store::Time("last_failed_at")),
    ],
    filters: FILTERS,
    audit: Audit {
        created: &[Detail::Given, Detail::Field("name"), Detail::Field("kind")],
        updated: &[Detail::Changed],
        deleted: &[],
    },
    hooks: Hooks {
        before: Some(check_definition),
        ..Hooks::NONE
    },
    ..Resource::new("order_sources", "order_source", Access::entity(Entity::Settings))
};

/// What a store state does to a deal by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The pipeline's first stage.
    First,
    /// A stage a little further on (the pipeline's second progress stage).
    Paid,
    /// The first won stage.
    Won,
    /// The first lost stage.
    Lost,
}

/// The states each kind's orders have, with their default stage role.
fn states(kind: Kind) -> &'static [(&'static str, Role)] {
    match kind {
        Kind::Shopify => &[
            ("pending", Role::First),
            ("authorized", Role::First),
            ("partially_paid", Role::First),
            ("paid", Role::Paid),
            ("partially_refunded", Role::Paid),
            ("partially_fulfilled", Role::Paid),
            ("fulfilled", Role::Won),
            ("refunded", Role::Lost),
            ("voided", Role::Lost),
            ("cancelled", Role::Lost),
        ],
        Kind::WooCommerce => &[
            ("pending", Role::First),
            ("on-hold", Role::First),
            ("checkout-draft", Role::First),
            ("processing", Role::Paid),
            ("completed", Role::Won),
            ("cancelled", Role::Lost),
            ("refunded", Role::Lost),
            ("failed", Role::Lost),
            ("trash", Role::Lost),
        ],
        Kind::Generic => &[
            ("pending", Role::First),
            ("paid", Role::Paid),
            ("fulfilled", Role::Won),
            ("completed", Role::Won),
            ("cancelled", Role::Lost),
            ("refunded", Role::Lost),
            ("failed", Role::Lost),
        ],
    }
}

/// The default mapping of `kind`'s states to the stages of `pipeline`.
pub fn default_stage_map(db: &dyn Db, kind: Kind, pipeline: i64) -> Result<Map<String, Json>, CoreError> {
    let rows = db.query(
        "SELECT code, semantic FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id",
        &[pipeline.into()],
    )?;
    let stages: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.str("code").unwrap_or_default().to_string(),
                r.str("semantic").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let of = |semantic: &str, nth: usize| {
        stages
            .iter()
            .filter(|(_, s)| s == semantic)
            .nth(nth)
            .or_else(|| stages.iter().find(|(_, s)| s == semantic))
            .map(|(code, _)| code.clone())
    };
    let mut map = Map::new();
    for (state, role) in states(kind) {
        let stage = match role {
            Role::First => of("progress", 0),
            Role::Paid => of("progress", 1),
            Role::Won => of("won", 0),
            Role::Lost => of("lost", 0),
        };
        if let Some(stage) = stage {
            map.insert((*state).to_string(), Json::from(stage));
        }
    }
    Ok(map)
}

/// A source as processing needs it.
#[derive(Debug, Clone)]
pub struct OrderSource {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Whether it takes deliveries.
    pub active: bool,
    /// The signing secret.
    pub secret: String,
    /// The rotated-out secret and when it stops verifying.
    pub previous_secret: Option<(String, i64)>,
    /// The deals' pipeline.
    pub pipeline_id: i64,
    /// Store state -> stage code.
    pub stage_map: Map<String, Json>,
    /// Who gets new deals (round-robin).
    pub responsible_ids: Vec<i64>,
    /// Whether unknown SKUs become catalog products.
    pub create_products: bool,
    /// The deals' source code.
    pub source: String,
    /// The firm's configuration as the request found it (read with the source by [`by_key`]).
    pub workspace: Option<Workspace>,
}

impl OrderSource {
    fn from_row(row: &Row) -> Option<OrderSource> {
        let json = |name: &str| -> Json {
            row.str(name)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Json::Null)
        };
        Some(OrderSource {
            id: row.i64("id")?,
            name: row.str("name").unwrap_or_default().to_string(),
            kind: Kind::parse(row.str("kind")?)?,
            active: row.i64("active") == Some(1),
            secret: row.str("secret").unwrap_or_default().to_string(),
            previous_secret: row
                .str("previous_secret")
                .map(str::to_owned)
                .zip(row.i64("previous_secret_expires_at")),
            pipeline_id: row.i64("pipeline_id").unwrap_or(1),
            stage_map: json("stage_map").as_object().cloned().unwrap_or_default(),
            responsible_ids: serde_json::from_value(json("responsible_ids")).unwrap_or_default(),
            create_products: row.i64("create_products") == Some(1),
            source: row.str("source").unwrap_or("STORE").to_string(),
            workspace: None,
        })
    }

    /// The secrets that verify at `now`: the current one, and the previous one in its grace.
    pub fn secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some((previous, until)) = &self.previous_secret
            && now <= *until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// The source with this public key (active or not), with the firm's workspace. A database
/// not on this build's schema is [`CoreError::Unavailable`]: migrate, then ask again.
pub fn by_key(db: &dyn Db, key: &str) -> Result<Option<OrderSource>, CoreError> {
    let Some((rows, workspace)) = crate::records::workspace::by_public_key(db, "order_sources", key)? else {
        return Ok(None);
    };
    let Some(mut source) = rows.first().and_then(|row| OrderSource::from_row(&row)) else {
        return Ok(None);
    };
    source.workspace = Some(workspace);
    Ok(Some(source))
}

/// The source with this id.
pub fn by_id(db: &dyn Db, id: i64) -> Result<Option<OrderSource>, CoreError> {
    let rows = db.query("SELECT * FROM order_sources WHERE id = ?", &[id.into()])?;
    Ok(rows.first().and_then(|r| OrderSource::from_row(&r)))
}

/// Counts a delivery whose signature failed (nothing of it is kept).
pub fn count_failed_signature(db: &dyn Db, source_id: i64, now: i64) -> Result<(), CoreError> {
    db.execute(
        "UPDATE order_sources SET failed_signatures = failed_signatures + 1, last_failed_at = ? WHERE id = ?",
        &[now.into(), source_id.into()],
    )?;
    Ok(())
}

/// Lists sources (settings read), each with its webhook URL.
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery, base_url: &str) -> Result<Page, CoreError> {
    let mut page = ORDER_SOURCES.list(db, caller, query)?;
    for record in &mut page.items {
        add_url(record, base_url);
    }
    Ok(page)
}

/// One source (settings read).
pub fn get(db: &dyn Db, caller: &Caller, id: i64, base_url: &str) -> Result<Json, CoreError> {
    let mut record = ORDER_SOURCES.get(db, caller, &Key::id(id))?;
    add_url(&mut record, base_url);
    Ok(record)
}

/// Creates a source (settings add). A generated secret (no `secret` in the body) is in this
/// answer, and only here.
pub fn create(
    db: &dyn Db,
    caller: &Caller,
    body: &Json,
    client: &ClientInfo,
    base_url: &str,
) -> Result<Json, CoreError> {
    let mut record = ORDER_SOURCES.create(db, caller, &[], body, client)?;
    if body.get("secret").is_none()
        && let Some(id) = record["id"].as_i64()
    {
        let secret = db
            .query("SELECT secret FROM order_sources WHERE id = ?", &[id.into()])?
            .first_str()
            .map(str::to_owned);
        record["secret"] = json!(secret);
    }
    add_url(&mut record, base_url);
    Ok(record)
}

/// Changes a source (settings update); a new `secret` rotates it.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
    base_url: &str,
) -> Result<Json, CoreError> {
    let mut record = ORDER_SOURCES.update(db, caller, &Key::id(id), body, if_match, client)?;
    add_url(&mut record, base_url);
    Ok(record)
}

service_functions!(ORDER_SOURCES: deactivate);

fn add_url(record: &mut Json, base_url: &str) {
    if let Some(key) = record["public_key"].as_str() {
        let url = format!("{base_url}/hooks/orders/{key}");
        record["webhook_url"] = json!(url);
    }
}

/// `active` as given; anything but `false` is `true`.
fn read_active(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.get(key) {
        None => Patch::Absent,
        Some(value) => Patch::Set(Json::Bool(value.as_bool().unwrap_or(true))),
    }
}

fn new_public_key(_: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    let key: String = crate::auth::random_secret()?
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    Ok(Json::from(key))
}

fn new_secret(_: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    Ok(Json::from(crate::auth::random_secret()?))
}

/// The `before` hook: the source as it will be, checked whole; the default pipeline and stage
/// mapping filled in; a new secret rotates the stored one into its grace period.
fn check_definition(cx: &mut Cx) -> Result<(), CoreError> {
    let draft = cx.draft.merged();
    let mut errors = FieldErrors::new();
    let text = |key: &str| draft.get(key).and_then(Json::as_str).unwrap_or_default().to_string();
    if text("name").trim().is_empty() || text("name").chars().count() > 200 {
        errors.push("name", "required", "a name of 1 to 200 characters is required");
    }
    let kind = Kind::parse(&text("kind"));
    if kind.is_none() {
        errors.push("kind", "invalid_choice", "must be shopify, woocommerce or generic");
    }
    let secret_given = matches!(cx.draft.patch("secret"), Patch::Set(_));
    if cx.creating() && !secret_given && kind.is_some_and(|k| k != Kind::Generic) {
        errors.push(
            "secret",
            "required",
            "paste the webhook signing secret from the store's admin",
        );
    }
    let cleared = matches!(cx.draft.patch("secret"), Patch::Null);
    if cleared || matches!(cx.draft.patch("secret"), Patch::Set(secret) if secret.as_str().is_none_or(str::is_empty)) {
        errors.push("secret", "required", "may not be empty");
    }
    let grace = draft
        .get("rotation_grace_minutes")
        .and_then(Json::as_i64)
        .unwrap_or(1440);
    if !(0..=10_080).contains(&grace) {
        errors.push("rotation_grace_minutes", "out_of_range", "minutes from 0 to 10080");
    }
    let pipeline = match draft.get("pipeline_id") {
        None | Some(Json::Null) => {
            let id = crate::records::pipelines::default_pipeline(cx.db)?;
            cx.draft.set("pipeline_id", json!(id));
            Some(id)
        }
        Some(value) => match value.as_i64() {
            Some(id) if !crate::records::pipelines::stage_codes(cx.db, id)?.is_empty() => Some(id),
            _ => {
                errors.push("pipeline_id", "not_found", format!("no pipeline {value}"));
                None
            }
        },
    };
    let pipeline_changed = matches!(cx.draft.patch("pipeline_id"), Patch::Set(_));
    let map_given = matches!(cx.draft.patch("stage_map"), Patch::Set(_));
    if let (Some(kind), Some(pipeline)) = (kind, pipeline) {
        let mut map = default_stage_map(cx.db, kind, pipeline)?;
        if map_given || !pipeline_changed {
            match draft.get("stage_map") {
                None | Some(Json::Null) => {}
                Some(Json::Object(given)) => {
                    let stages = crate::records::pipelines::stage_codes(cx.db, pipeline)?;
                    for (state, stage) in given {
                        match stage.as_str() {
                            Some(code) if stages.iter().any(|s| s == code) => {
                                map.insert(state.clone(), json!(code));
                            }
                            _ => errors.push(
                                format!("stage_map.{state}"),
                                "invalid_choice",
                                format!("not a stage of pipeline {pipeline}"),
                            ),
                        }
                    }
                }
                Some(_) => errors.push(
                    "stage_map",
                    "invalid_type",
                    "expected {\"<store state>\": \"<stage code>\"}",
                ),
            }
        }
        cx.draft.set("stage_map", Json::Object(map));
    }
    match serde_json::from_value::<Vec<i64>>(draft.get("responsible_ids").cloned().unwrap_or(json!([]))) {
        Ok(ids) if !ids.is_empty() && ids.len() <= 50 => {
            for (i, id) in ids.iter().enumerate() {
                if cx
                    .db
                    .query("SELECT 1 FROM users WHERE id = ? AND active = 1", &[(*id).into()])?
                    .is_empty()
                {
                    errors.push(
                        format!("responsible_ids[{i}]"),
                        "not_found",
                        format!("no active user {id}"),
                    );
                }
            }
        }
        _ => errors.push("responsible_ids", "required", "1 to 50 user ids (several take turns)"),
    }
    if crate::records::dictionaries::missing_codes(cx.db, "source", &[text("source").as_str()])?.len() == 1 {
        errors.push("source", "invalid_choice", "not a source code");
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    if !cx.creating()
        && let Patch::Set(Json::String(secret)) = cx.draft.patch("secret")
    {
        cx.db.execute(
            "UPDATE order_sources SET previous_secret = secret, previous_secret_expires_at = ? \
             WHERE id = ? AND secret <> ?",
            &[
                (crate::clock::now() + grace * 60).into(),
                cx.id().into(),
                secret.as_str().into(),
            ],
        )?;
    }
    Ok(())
}
