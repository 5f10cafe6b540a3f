//! One webhook delivery, start to end. The order matters and reads top-down:
//!
//! 1. over [`MAX_BODY`]: 413; WooCommerce's unsigned ping (`webhook_id=N`, form-encoded): 200,
//!    nothing kept; a content type other than JSON: 415;
//! 2. the signature over the raw bytes ([`super::signature`]): a bad or missing one is 401 and
//!    only counts on the source;
//! 3. in ONE transaction: a delivery id seen before is a duplicate (the first row stands);
//!    else the raw body becomes an inbox row, and the order is processed ([`super::apply`])
//!    in a savepoint: a failure (malformed JSON, no order id, a negative quantity, an unknown
//!    currency...) is undone alone and the row keeps its error. The 2xx goes out after the
//!    commit, so an acknowledged delivery is in the inbox.

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::apply::{self, Applied};
use super::order::{self, OrderError};
use super::signature::{self, Kind, Signed};
use super::source::{self, OrderSource};
use super::{generic, shopify, woocommerce};
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};

/// The largest body a store may send (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// What arrived, as the component read it from the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivery<'a> {
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
    /// The signature headers.
    pub signed: Signed<'a>,
    /// `X-Shopify-Topic`, `X-WC-Webhook-Topic` or `X-Topic`.
    pub topic: Option<&'a str>,
    /// `X-Shopify-Webhook-Id`, `X-WC-Webhook-Delivery-ID` or `X-Delivery-Id`.
    pub delivery_id: Option<&'a str>,
    /// `X-Shopify-Shop-Domain` or `X-WC-Webhook-Source` (for the admin link).
    pub shop: Option<&'a str>,
}

/// The headers a kind's deliveries carry: signature, timestamp, topic, delivery id, shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers {
    /// The signature.
    pub signature: &'static str,
    /// The signed timestamp (generic only).
    pub timestamp: Option<&'static str>,
    /// The topic (`orders/updated`, `order.updated`).
    pub topic: &'static str,
    /// The per-delivery id (the dedupe key).
    pub delivery_id: &'static str,
    /// The shop's identity (for the admin link).
    pub shop: Option<&'static str>,
}

/// The headers of `kind`'s deliveries.
pub fn headers(kind: Kind) -> Headers {
    match kind {
        Kind::Shopify => Headers {
            signature: "x-shopify-hmac-sha256",
            timestamp: None,
            topic: "x-shopify-topic",
            delivery_id: "x-shopify-webhook-id",
            shop: Some("x-shopify-shop-domain"),
        },
        Kind::WooCommerce => Headers {
            signature: "x-wc-webhook-signature",
            timestamp: None,
            topic: "x-wc-webhook-topic",
            delivery_id: "x-wc-webhook-delivery-id",
            shop: Some("x-wc-webhook-source"),
        },
        Kind::Generic => Headers {
            signature: "x-signature",
            timestamp: Some("x-timestamp"),
            topic: "x-topic",
            delivery_id: "x-delivery-id",
            shop: None,
        },
    }
}

/// How a delivery ended (each but `Ping` is answered 200 with its inbox row).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// WooCommerce's connection check: nothing kept.
    Ping,
    /// A delivery id seen before: its first row.
    Duplicate {
        /// The first row.
        inbox_id: i64,
    },
    /// Stored and processed (or skipped as older, or ignored as not an order).
    Stored {
        /// The inbox row.
        inbox_id: i64,
        /// `processed`, `skipped`, `ignored` or `failed`.
        status: &'static str,
        /// The deal, if one was made or changed.
        deal_id: Option<i64>,
        /// Why processing failed.
        error: Option<String>,
    },
}

/// Takes one delivery to `source` (active; the component answers 404 otherwise).
pub fn receive(db: &dyn Db, source: &OrderSource, delivery: &Delivery, now: i64) -> Result<Outcome, CoreError> {
    if delivery.body.len() > MAX_BODY {
        return Err(CoreError::TooLarge { limit: MAX_BODY });
    }
    let media = delivery
        .content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media == "application/x-www-form-urlencoded" && source.kind == Kind::WooCommerce && is_ping(delivery.body) {
        return Ok(Outcome::Ping);
    }
    if media != "application/json" {
        return Err(CoreError::UnsupportedMediaType(
            "a store sends its orders as application/json".into(),
        ));
    }
    if !signature::verify(source.kind, &source.secrets(now), delivery.body, &delivery.signed, now) {
        source::count_failed_signature(db, source.id, now)?;
        return Err(CoreError::Unauthorized);
    }
    let delivery_id = delivery
        .delivery_id
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| order::cut(d, 200));
    let hash = hex::encode(Sha256::digest(delivery.body));
    let peek = order::json(delivery.body).ok();
    let order_id = peek.as_ref().and_then(|b| order::order_id(b.get("id"), "id").ok());
    let topic = delivery.topic.map(|t| order::cut(t.trim(), 100));
    transaction(db, |db| {
        if let Some(id) = &delivery_id
            && let Some(inbox_id) = db
                .query(
                    "SELECT id FROM order_inbox WHERE source_id = ? AND delivery_id = ?",
                    &[source.id.into(), id.as_str().into()],
                )?
                .first_i64()
        {
            db.execute(
                "UPDATE order_inbox SET attempts = attempts + 1 WHERE id = ?",
                &[inbox_id.into()],
            )?;
            return Ok(Outcome::Duplicate { inbox_id });
        }
        let inbox_id = db
            .write(
                "INSERT INTO order_inbox (source_id, topic, delivery_id, shop, order_id, body, body_sha256, status, \
                 received_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'failed', ?) RETURNING id",
                &[
                    source.id.into(),
                    topic.as_deref().into(),
                    delivery_id.as_deref().into(),
                    delivery.shop.map(|s| order::cut(s.trim(), 255)).into(),
                    order_id.as_deref().into(),
                    String::from_utf8_lossy(delivery.body).into_owned().into(),
                    hash.as_str().into(),
                    now.into(),
                ],
            )?
            .first_i64()
            .ok_or_else(|| CoreError::Internal("the inbox row returned no id".into()))?;
        process_row(
            db,
            source,
            inbox_id,
            delivery.body,
            topic.as_deref(),
            delivery.shop,
            &hash,
            now,
        )
    })
}

/// Processes a stored inbox row inside the caller's transaction, in a savepoint, and records
/// how it ended on the row. Only an unavailable database is an error (the whole delivery is
/// then rolled back and the store retries); anything else is kept on the row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn process_row(
    db: &dyn Db,
    source: &OrderSource,
    inbox_id: i64,
    body: &[u8],
    topic: Option<&str>,
    shop: Option<&str>,
    hash: &str,
    now: i64,
) -> Result<Outcome, CoreError> {
    let result = transaction(db, |db| {
        let parsed = parse(source.kind, body, topic, shop);
        let (order, updated_at) = match parsed {
            Ok(Some(order)) => {
                let at = order.updated_at;
                (order, at)
            }
            Ok(None) => return Ok((Applied::Ignored, None)),
            Err(e) => return Err(order_error(e)),
        };
        apply::apply(db, source, &order, hash, now).map(|applied| (applied, Some(updated_at)))
    });
    let (status, deal_id, error, updated_at) = match result {
        Ok((Applied::Processed { deal_id }, at)) => ("processed", Some(deal_id), None, at),
        Ok((Applied::Skipped { deal_id }, at)) => ("skipped", Some(deal_id), None, at),
        Ok((Applied::Ignored, at)) => ("ignored", None, None, at),
        Err(CoreError::Unavailable(cause)) => return Err(CoreError::Unavailable(cause)),
        Err(other) => ("failed", None, Some(describe(&other)), None),
    };
    db.execute(
        "UPDATE order_inbox SET status = ?, error = ?, deal_id = ?, order_updated_at = coalesce(?, order_updated_at), \
         processed_at = ? WHERE id = ?",
        &[
            status.into(),
            error.as_deref().into(),
            deal_id.into(),
            updated_at.into(),
            now.into(),
            inbox_id.into(),
        ],
    )?;
    Ok(Outcome::Stored {
        inbox_id,
        status,
        deal_id,
        error,
    })
}

/// The order in the body, by the source's kind; `None` for a topic that is not an order
/// change (Shopify's `orders/delete`, a product or customer topic).
fn parse(kind: Kind, body: &[u8], topic: Option<&str>, shop: Option<&str>) -> Result<Option<order::Order>, OrderError> {
    let is_order_topic = match (kind, topic) {
        (_, None) => true,
        (Kind::Shopify, Some(t)) => t.starts_with("orders/") && t != "orders/delete",
        (Kind::WooCommerce, Some(t)) => t.starts_with("order.") && t != "order.deleted",
        (Kind::Generic, Some(t)) => !t.ends_with("deleted") && !t.ends_with("delete"),
    };
    let json: Json = order::json(body)?;
    if !is_order_topic {
        return Ok(None);
    }
    let mut order = match kind {
        Kind::Shopify => shopify::parse(&json)?,
        Kind::WooCommerce => woocommerce::parse(&json)?,
        Kind::Generic => generic::parse(&json)?,
    };
    if order.admin_url.is_none() {
        order.admin_url = match (kind, shop) {
            (Kind::Shopify, Some(shop)) => shopify::admin_url(shop, &order.id),
            (Kind::WooCommerce, Some(shop)) => woocommerce::admin_url(shop, &order.id),
            _ => None,
        };
    }
    Ok(Some(order))
}

/// A form body that is exactly WooCommerce's ping, `webhook_id=<digits>`.
fn is_ping(body: &[u8]) -> bool {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    matches!(pairs.as_slice(), [(k, v)] if k == "webhook_id" && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

fn order_error(e: OrderError) -> CoreError {
    let mut errors = FieldErrors::new();
    errors.push(e.field, "invalid_order", e.message);
    CoreError::Validation(errors)
}

/// The row's error text: the fields and what is wrong, or the failure's own text.
pub(crate) fn describe(error: &CoreError) -> String {
    match error {
        CoreError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_ping_is_a_ping() {
        assert!(is_ping(b"webhook_id=7"));
        assert!(!is_ping(b"webhook_id=7&x=1"));
        assert!(!is_ping(b"webhook_id="));
        assert!(!is_ping(b"id=7"));
    }
}
