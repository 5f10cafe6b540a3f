//! The public `/hooks/orders/<key>` component: where stores deliver their order webhooks
//! (Shopify, WooCommerce, the generic format), with no login — the HMAC signature of the raw
//! body is the credential.
//!
//! | path | methods |
//! |---|---|
//! | `/hooks/orders/<key>` | `POST` one delivery |
//!
//! Answers: 200 `{"id", "status", "deal_id", "error"}` for every verified delivery (`status`
//! `processed`, `skipped`, `ignored`, `failed` or `duplicate`; a failure is kept in the inbox
//! and still answered 200, so the store does not disable the hook), 200 for WooCommerce's
//! unsigned ping, 401 for a bad or missing signature, 404 for a key no active source has, 413
//! over 1 MiB, 415 for a body that is not JSON. The rules are `crm_core::orders`; this
//! component reads the request and shapes the answer.

use crm_core::CoreError;
use crm_core::orders::receive::{self, Delivery, Outcome};
use crm_core::orders::signature::Signed;
use crm_core::orders::source::by_key;
use crm_spin_adapter::SpinDb;
use crm_spin_adapter::problem::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::json;

crm_spin_adapter::component!(Routes::new("/hooks/orders").post("/<key>", deliver));

/// `POST /hooks/orders/<key>`: one delivery.
fn deliver(cx: &Cx) -> Answer {
    let key = cx.param("key")?;
    if key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CoreError::NotFound.into());
    }
    // The source's query checks the schema too: no statement of its own for that.
    let (db, source) = SpinDb::open_checked(|db| Ok(by_key(db, key)?))?;
    let Some(source) = source.filter(|s| s.active) else {
        return Err(CoreError::NotFound.into());
    };
    let names = receive::headers(source.kind);
    let delivery = Delivery {
        content_type: cx.header("content-type"),
        body: cx.request.body(),
        signed: Signed {
            signature: cx.header(names.signature),
            timestamp: names.timestamp.and_then(|name| cx.header(name)),
        },
        topic: cx.header(names.topic),
        delivery_id: cx.header(names.delivery_id),
        shop: names.shop.and_then(|name| cx.header(name)),
    };
    let answer = match receive::receive(&db, &source, &delivery, crm_core::clock::now())? {
        Outcome::Ping => json!({"status": "ok"}),
        Outcome::Duplicate { inbox_id } => json!({"id": inbox_id, "status": "duplicate"}),
        Outcome::Stored {
            inbox_id,
            status,
            deal_id,
            error,
        } => json!({"id": inbox_id, "status": status, "deal_id": deal_id, "error": error}),
    };
    Ok(json_response(200, &answer))
}
