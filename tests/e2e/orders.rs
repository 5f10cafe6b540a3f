//! Store orders end to end (`/hooks/orders/<key>`, `/api/order-sources`): the shared samples
//! signed as the stores sign them, later updates and their stage moves, out-of-order and
//! repeated deliveries, concurrent deliveries of one order, forged and tampered signatures,
//! WooCommerce's ping, processing failures and their replay, and the refusals before anything
//! is stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, call, root, spawn_app};

const SECRET: &str = "test_secret";

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("crates/core/tests/data").join(name)).expect("sample")
}

fn hmac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A source of `kind` (`extra` over the defaults); returns its record.
fn source(app: &TestApp, admin: &Auth, kind: &str, extra: Value) -> Value {
    let mut body = json!({"name": format!("{kind} store"), "kind": kind, "responsible_ids": [1]});
    if kind != "generic" {
        body["secret"] = json!(SECRET);
    }
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    call(app, admin, Method::POST, "/api/order-sources", Some(body), 201)
}

fn key(source: &Value) -> String {
    source["public_key"].as_str().expect("key").to_string()
}

/// Posts `body` to `key` with `headers` and JSON content type; returns (status, body).
fn deliver(app: &TestApp, key: &str, body: &[u8], headers: &[(&str, String)]) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/hooks/orders/{key}", app.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().expect("post");
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn shopify(app: &TestApp, key: &str, body: &[u8], delivery: &str, topic: &str) -> (u16, Value) {
    let signature = STANDARD.encode(hmac(SECRET, &[body]));
    deliver(
        app,
        key,
        body,
        &[
            ("x-shopify-hmac-sha256", signature),
            ("x-shopify-webhook-id", delivery.to_string()),
            ("x-shopify-topic", topic.to_string()),
            ("x-shopify-shop-domain", "demo-shop.myshopify.com".to_string()),
        ],
    )
}

fn woo(app: &TestApp, key: &str, body: &[u8], delivery: &str) -> (u16, Value) {
    let signature = STANDARD.encode(hmac(SECRET, &[body]));
    deliver(
        app,
        key,
        body,
        &[
            ("x-wc-webhook-signature", signature),
            ("x-wc-webhook-delivery-id", delivery.to_string()),
            ("x-wc-webhook-topic", "order.updated".to_string()),
            ("x-wc-webhook-source", "https://shop.example.com/".to_string()),
        ],
    )
}

fn generic(app: &TestApp, key: &str, secret: &str, body: &[u8], at: i64, delivery: &str) -> (u16, Value) {
    let signature = format!(
        "sha256={}",
        hex::encode(hmac(secret, &[format!("{at}.").as_bytes(), body]))
    );
    deliver(
        app,
        key,
        body,
        &[
            ("x-signature", signature),
            ("x-timestamp", at.to_string()),
            ("x-delivery-id", delivery.to_string()),
        ],
    )
}

/// The Shopify sample with changes (compact, as real deliveries are).
fn shopify_variant(changes: Value) -> Vec<u8> {
    let mut order: Value = serde_json::from_slice(&sample("shopify-order.json")).expect("sample");
    for (k, v) in changes.as_object().expect("object") {
        order[k] = v.clone();
    }
    serde_json::to_vec(&order).expect("json")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn deals(app: &TestApp, admin: &Auth) -> Vec<Value> {
    call(app, admin, Method::GET, "/api/deals?sort=id", None, 200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.db().query_row(sql, [], |r| r.get(0)).expect("count")
}

fn inbox(app: &TestApp, admin: &Auth, source_id: i64) -> Vec<Value> {
    call(
        app,
        admin,
        Method::GET,
        &format!("/api/order-sources/{source_id}/inbox?limit=500"),
        None,
        200,
    )["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_shopify_sample_becomes_a_deal_with_its_customer_company_and_items() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    assert!(
        created.get("secret").is_none(),
        "a pasted secret is never shown: {created}"
    );
    assert!(
        created["webhook_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/hooks/orders/{}", key(&created)))),
        "{created}"
    );
    assert_eq!(created["stage_map"]["paid"], "PREPARATION");
    assert_eq!(created["stage_map"]["fulfilled"], "WON");
    // The sample as stored, with the reference's documented signature.
    let body = sample("shopify-order.json");
    let (status, answer) = deliver(
        &app,
        &key(&created),
        &body,
        &[
            (
                "x-shopify-hmac-sha256",
                "/8eqZ9Wn8U+5L5zvT90wDh39jiICug+P0WXE22QhzXY=".to_string(),
            ),
            (
                "x-shopify-webhook-id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".to_string(),
            ),
            ("x-shopify-topic", "orders/create".to_string()),
            ("x-shopify-shop-domain", "demo-shop.myshopify.com".to_string()),
        ],
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    let deal_id = answer["deal_id"].as_i64().expect("deal");
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{deal_id}"), None, 200);
    assert_eq!(deal["title"], "Order #1042");
    assert_eq!(
        (deal["amount"].as_str(), deal["currency"].as_str()),
        (Some("124.80"), Some("EUR"))
    );
    assert_eq!(deal["stage"], "PREPARATION", "paid maps to the paid stage");
    assert_eq!(deal["source"], "STORE");
    assert!(
        deal["source_description"].as_str().is_some_and(
            |d| d.contains("#1042") && d.contains("https://demo-shop.myshopify.com/admin/orders/5790124523811")
        ),
        "{deal}"
    );
    assert!(
        deal["comments"]
            .as_str()
            .is_some_and(|c| c.contains("utm_source=google")),
        "{deal}"
    );
    let items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/products"),
        None,
        200,
    );
    assert_eq!(
        items["totals"]["total"], "124.80",
        "the items add up to the order total: {items}"
    );
    let names: Vec<&str> = items["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "Кофе зерновой «Эфиопия» - 500 г",
            "French press 1 l",
            "Shipping: Standard",
            "Discount SPRING5"
        ]
    );
    let contact_id = deal["contact_ids"][0].as_i64().expect("contact");
    let contact = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/contacts/{contact_id}"),
        None,
        200,
    );
    assert_eq!(contact["first_name"], "Anna");
    let company_id = deal["company_id"].as_i64().expect("company");
    let company = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/companies/{company_id}"),
        None,
        200,
    );
    assert_eq!(company["title"], "ООО «Ромашка»");
    let row = &inbox(&app, &admin, created["id"].as_i64().expect("id"))[0];
    assert_eq!(
        (row["status"].as_str(), row["order_id"].as_str()),
        (Some("processed"), Some("5790124523811"))
    );

    // The deal card's store order: its number, store and admin link, for whoever reads the deal.
    let order = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/store-order"),
        None,
        200,
    );
    assert_eq!(order["number"], "#1042", "{order}");
    assert_eq!(order["order_id"], "5790124523811", "{order}");
    assert_eq!(order["source"]["kind"], "shopify", "{order}");
    assert_eq!(
        order["admin_url"], "https://demo-shop.myshopify.com/admin/orders/5790124523811",
        "{order}"
    );
    let other = call(
        &app,
        &admin,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Made by hand"})),
        201,
    );
    let path = format!("/api/deals/{}/store-order", other["id"]);
    call(&app, &admin, Method::GET, &path, None, 404);
    // A manager who may not read the deal learns nothing of its order.
    app.create_user(&admin, "boris@example.com", &["manager"], None);
    let boris = app.login("boris@example.com", PASSWORD);
    let path = format!("/api/deals/{deal_id}/store-order");
    let refused = call(&app, &boris, Method::GET, &path, None, 404);
    assert!(refused.get("number").is_none(), "{refused}");
}

#[test]
fn the_woocommerce_sample_becomes_a_deal_and_its_ping_creates_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "woocommerce", json!({}));
    let ping = app
        .client
        .post(format!("{}/hooks/orders/{}", app.base, key(&created)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=7")
        .send()
        .expect("ping");
    assert_eq!(ping.status().as_u16(), 200);
    assert_eq!(count(&app, "SELECT count(*) FROM order_inbox"), 0);
    let body = sample("woocommerce-order.json");
    let (status, answer) = deliver(
        &app,
        &key(&created),
        &body,
        &[
            (
                "x-wc-webhook-signature",
                "xUAO8oX7kKMpxWDA5E+8u6o9/NQajEgLW651S1X2010=".to_string(),
            ),
            ("x-wc-webhook-delivery-id", "a1b2c3".to_string()),
            ("x-wc-webhook-topic", "order.created".to_string()),
        ],
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    let deal_id = answer["deal_id"].as_i64().expect("deal");
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{deal_id}"), None, 200);
    assert_eq!(
        (deal["title"].as_str(), deal["amount"].as_str()),
        (Some("Order #1583"), Some("5240.00"))
    );
    assert_eq!(deal["stage"], "PREPARATION", "processing maps to the paid stage");
    let items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/products"),
        None,
        200,
    );
    assert_eq!(items["totals"]["total"], "5240.00");
    assert_eq!(items["items"].as_array().map(Vec::len), Some(3));
    // What wp_json_encode really sends (`\/`, `\uXXXX`), verified over its own bytes.
    let escaped = br#"{"id":1584,"status":"completed","currency":"RUB","total":"790.00","date_modified_gmt":"2025-03-14T08:00:00","billing":{"first_name":"\u041e\u043b\u044c\u0433\u0430","email":"olga@example.com"},"line_items":[{"name":"\u0427\u0430\u0439 1\/2","quantity":1,"subtotal":"790.00","sku":"TEA-1\/2"}]}"#;
    let (status, answer) = woo(&app, &key(&created), escaped, "php");
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    let deal_id = answer["deal_id"].as_i64().expect("deal");
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{deal_id}"), None, 200);
    assert_eq!(deal["stage"], "WON", "completed maps to won");
    let items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/products"),
        None,
        200,
    );
    assert_eq!(items["items"][0]["name"], "Чай 1/2");
    let contact_id = deal["contact_ids"][0].as_i64().expect("contact");
    let contact = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/contacts/{contact_id}"),
        None,
        200,
    );
    assert_eq!(contact["first_name"], "Ольга");
}

#[test]
fn later_updates_move_the_stage_and_an_older_one_changes_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    let key = key(&created);
    let steps = [
        (
            json!({"financial_status": "pending", "updated_at": "2025-03-14T10:00:00+03:00"}),
            "NEW",
        ),
        (
            json!({"financial_status": "paid", "updated_at": "2025-03-14T11:00:00+03:00"}),
            "PREPARATION",
        ),
        (
            json!({"fulfillment_status": "fulfilled", "updated_at": "2025-03-14T12:00:00+03:00"}),
            "WON",
        ),
        // Older than the last applied: skipped, the deal stays won.
        (
            json!({"financial_status": "pending", "updated_at": "2025-03-14T10:30:00+03:00"}),
            "WON",
        ),
        (
            json!({"financial_status": "refunded", "updated_at": "2025-03-15T09:00:00+03:00"}),
            "LOSE",
        ),
    ];
    for (i, (changes, stage)) in steps.iter().enumerate() {
        let (status, answer) = shopify(
            &app,
            &key,
            &shopify_variant(changes.clone()),
            &format!("d{i}"),
            "orders/updated",
        );
        assert_eq!(status, 200, "{answer}");
        let deals = deals(&app, &admin);
        assert_eq!(deals.len(), 1, "step {i}");
        assert_eq!(deals[0]["stage"], *stage, "step {i}: {answer}");
    }
    let statuses: Vec<String> = inbox(&app, &admin, created["id"].as_i64().expect("id"))
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["processed", "processed", "processed", "skipped", "processed"]
    );
    // A changed total updates the amount and the items; cancelling moves to lost.
    let (_, answer) = shopify(
        &app,
        &key,
        &shopify_variant(
            json!({"total_price": "130.00", "cancelled_at": "2025-03-16T09:00:00+03:00",
                                "updated_at": "2025-03-16T09:00:00+03:00"}),
        ),
        "d9",
        "orders/cancelled",
    );
    let deal_id = answer["deal_id"].as_i64().expect("deal");
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{deal_id}"), None, 200);
    assert_eq!(
        (deal["amount"].as_str(), deal["stage"].as_str()),
        (Some("130.00"), Some("LOSE"))
    );
    let items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/products"),
        None,
        200,
    );
    assert_eq!(
        items["totals"]["total"], "130.00",
        "an adjustment keeps the items at the total"
    );
}

#[test]
fn a_hundred_repeats_of_one_delivery_make_one_deal_and_one_set_of_items() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    let body = shopify_variant(json!({}));
    for _ in 0..100 {
        let (status, _) = shopify(&app, &key(&created), &body, "same-delivery", "orders/create");
        assert_eq!(status, 200);
    }
    // The same version under new delivery ids (as WooCommerce retries) changes nothing either.
    for i in 0..5 {
        let (status, answer) = shopify(&app, &key(&created), &body, &format!("other-{i}"), "orders/updated");
        assert_eq!((status, answer["status"].as_str()), (200, Some("skipped")));
    }
    assert_eq!(count(&app, "SELECT count(*) FROM deals"), 1);
    assert_eq!(count(&app, "SELECT count(*) FROM record_products"), 4);
    assert_eq!(count(&app, "SELECT count(*) FROM contacts"), 1);
    assert_eq!(count(&app, "SELECT count(*) FROM order_inbox"), 6);
    assert_eq!(
        count(
            &app,
            "SELECT attempts FROM order_inbox WHERE delivery_id = 'same-delivery'"
        ),
        100
    );
}

#[test]
fn concurrent_deliveries_of_one_order_make_one_deal() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    let key = key(&created);
    std::thread::scope(|scope| {
        for i in 0..100 {
            let (app, key) = (&app, &key);
            scope.spawn(move || {
                let at = format!("2025-03-14T10:{:02}:00+03:00", i % 6);
                let body = shopify_variant(json!({"updated_at": at}));
                let (status, answer) = shopify(app, key, &body, &format!("c{i}"), "orders/updated");
                assert_eq!(status, 200, "{answer}");
            });
        }
    });
    assert_eq!(count(&app, "SELECT count(*) FROM deals"), 1);
    assert_eq!(count(&app, "SELECT count(*) FROM deal_orders"), 1);
    assert_eq!(count(&app, "SELECT count(*) FROM record_products"), 4);
    assert_eq!(
        count(&app, "SELECT count(*) FROM order_inbox WHERE status = 'failed'"),
        0
    );
    let last = count(&app, "SELECT order_updated_at FROM deal_orders");
    assert_eq!(
        crate_time(last),
        "2025-03-14T07:05:00Z",
        "the newest update is the one kept"
    );
}

fn crate_time(unix: i64) -> String {
    let days = unix / 86_400;
    assert_eq!(days, 20_161, "2025-03-14");
    let s = unix % 86_400;
    format!("2025-03-14T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

#[test]
fn forged_and_tampered_deliveries_are_401_and_store_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    let body = sample("shopify-order.json");
    let good = STANDARD.encode(hmac(SECRET, &[&body]));
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'9').expect("a digit");
    tampered[at] = b'8';
    let forged = STANDARD.encode(hmac("guess", &[&body]));
    for (body, signature) in [
        (&body, Some(forged)),
        (&tampered, Some(good.clone())),
        (&body, None),
        (&body, Some("garbage".to_string())),
    ] {
        let mut headers = vec![("x-shopify-webhook-id", "f".to_string())];
        if let Some(signature) = signature {
            headers.push(("x-shopify-hmac-sha256", signature));
        }
        let mut req = app
            .client
            .post(format!("{}/hooks/orders/{}", app.base, key(&created)))
            .header("content-type", "application/json")
            .body(body.clone());
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        assert_problem(req.send().expect("post"), 401);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM order_inbox"), 0);
    assert_eq!(count(&app, "SELECT count(*) FROM deals"), 0);
    let source = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/order-sources/{}", created["id"]),
        None,
        200,
    );
    assert_eq!(source["failed_signatures"], 4, "{source}");
}

#[test]
fn bad_requests_are_refused_before_anything_is_stored() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "shopify", json!({}));
    let (status, _) = shopify(
        &app,
        "NoSuchKey123",
        &sample("shopify-order.json"),
        "x",
        "orders/create",
    );
    assert_eq!(status, 404);
    let big = vec![b' '; 1024 * 1024 + 1];
    let (status, _) = shopify(&app, &key(&created), &big, "x", "orders/create");
    assert_eq!(status, 413);
    let r = app
        .client
        .post(format!("{}/hooks/orders/{}", app.base, key(&created)))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .expect("post");
    assert_problem(r, 415);
    // Only a WooCommerce source takes the ping.
    let r = app
        .client
        .post(format!("{}/hooks/orders/{}", app.base, key(&created)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=7")
        .send()
        .expect("post");
    assert_problem(r, 415);
    assert_eq!(count(&app, "SELECT count(*) FROM order_inbox"), 0);
    // A deactivated source is unknown.
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/order-sources/{}", created["id"]),
        None,
        204,
    );
    let (status, _) = shopify(
        &app,
        &key(&created),
        &sample("shopify-order.json"),
        "x",
        "orders/create",
    );
    assert_eq!(status, 404);
}

#[test]
fn processing_failures_are_kept_with_their_error_and_replay_after_the_fix() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "woocommerce", json!({}));
    let source_id = created["id"].as_i64().expect("id");
    let key = key(&created);
    let mut order: Value = serde_json::from_slice(&sample("woocommerce-order.json")).expect("sample");
    let cases = [
        (b"{not json".to_vec(), "body: malformed JSON"),
        (
            {
                let mut o = order.clone();
                o.as_object_mut().expect("object").remove("id");
                serde_json::to_vec(&o).expect("json")
            },
            "id: the order id is missing",
        ),
        (
            {
                let mut o = order.clone();
                o["line_items"][1]["quantity"] = json!(-1);
                serde_json::to_vec(&o).expect("json")
            },
            "line_items[1].quantity: the quantity must be positive",
        ),
    ];
    for (i, (body, error)) in cases.iter().enumerate() {
        let (status, answer) = woo(&app, &key, body, &format!("bad{i}"));
        assert_eq!((status, answer["status"].as_str()), (200, Some("failed")), "{answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| e.starts_with(error)),
            "{answer}"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM deals"), 0);
    assert_eq!(count(&app, "SELECT count(*) FROM contacts"), 0, "nothing half-written");
    order["currency"] = json!("GBP");
    let (status, answer) = woo(&app, &key, &serde_json::to_vec(&order).expect("json"), "gbp");
    assert_eq!((status, answer["status"].as_str()), (200, Some("failed")), "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown currency GBP")),
        "{answer}"
    );
    let row = answer["id"].as_i64().expect("row");
    call(
        &app,
        &admin,
        Method::POST,
        "/api/currencies",
        Some(json!({"code": "GBP", "name": {"en": "Pound sterling"}, "rate": "117.5000"})),
        201,
    );
    let replayed = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/order-sources/{source_id}/inbox/{row}/replay"),
        None,
        200,
    );
    assert_eq!(replayed["status"], "processed", "{replayed}");
    assert_eq!(replayed["attempts"], 2);
    let deal_id = replayed["deal_id"].as_i64().expect("deal");
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{deal_id}"), None, 200);
    assert_eq!(
        (deal["amount"].as_str(), deal["currency"].as_str()),
        (Some("5240.00"), Some("GBP"))
    );
    let failed = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/order-sources/{source_id}/inbox?filter[status]=failed"),
        None,
        200,
    );
    assert_eq!(failed["items"].as_array().map(Vec::len), Some(3));
}

#[test]
fn generic_orders_carry_a_timestamped_signature_and_a_generated_secret() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "generic", json!({}));
    let secret = created["secret"]
        .as_str()
        .expect("the generated secret, shown once")
        .to_string();
    let fetched = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/order-sources/{}", created["id"]),
        None,
        200,
    );
    assert!(fetched.get("secret").is_none(), "{fetched}");
    let order = json!({"id": "A-1001", "number": "1001", "status": "paid", "updated_at": "2026-11-22T08:30:00Z",
        "currency": "EUR", "total": "37.50", "customer": {"first_name": "Olga", "email": "olga@example.com"},
        "items": [{"sku": "NEW-1", "name": "Mug", "price": "12.50", "quantity": 2}],
        "shipping": [{"name": "Courier", "amount": "15.00"}], "discounts": [{"name": "WELCOME", "amount": "2.50"}]});
    let body = serde_json::to_vec(&order).expect("json");
    let (status, _) = generic(&app, &key(&created), &secret, &body, now() - 400, "g0");
    assert_eq!(status, 401, "a timestamp past the window");
    let (status, answer) = generic(&app, &key(&created), &secret, &body, now(), "g1");
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    let deal_id = answer["deal_id"].as_i64().expect("deal");
    let items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{deal_id}/products"),
        None,
        200,
    );
    assert_eq!(items["totals"]["total"], "37.50");
    assert!(
        items["items"][0]["product_id"].is_null(),
        "unknown SKUs make no product unless allowed"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM products"), 0);
    // Rotation: the old secret verifies during the grace period.
    let rotated = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/order-sources/{}", created["id"]),
        Some(json!({"secret": "the-new-secret", "create_products": true})),
        200,
    );
    assert!(rotated["previous_secret_expires_at"].is_string(), "{rotated}");
    let newer = serde_json::to_vec(
        &json!({"id": "A-1002", "updated_at": "2026-11-22T09:00:00Z", "currency": "EUR",
        "total": "12.50", "items": [{"sku": "NEW-1", "name": "Mug", "price": "12.50", "quantity": 1}]}),
    )
    .expect("json");
    let (status, answer) = generic(&app, &key(&created), &secret, &newer, now(), "g2");
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE sku = 'NEW-1'"), 1);
    let (status, _) = generic(&app, &key(&created), "the-new-secret", &newer, now(), "g3");
    assert_eq!(status, 200);
    call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/order-sources/{}", created["id"]),
        Some(json!({"secret": "third", "rotation_grace_minutes": 0})),
        200,
    );
    // With no grace, the one before stops at once (only the latest previous one is kept).
    let (status, _) = generic(&app, &key(&created), &secret, &newer, now(), "g4");
    assert_eq!(status, 401);
}

#[test]
fn order_sources_refuse_bad_definitions_by_field() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let cases = [
        (json!({"name": "S", "kind": "magento", "responsible_ids": [1]}), "kind"),
        (
            json!({"name": "S", "kind": "shopify", "responsible_ids": [1]}),
            "secret",
        ),
        (
            json!({"name": "S", "kind": "generic", "responsible_ids": [99]}),
            "responsible_ids[0]",
        ),
        (
            json!({"name": "S", "kind": "generic", "responsible_ids": [1], "pipeline_id": 77}),
            "pipeline_id",
        ),
        (
            json!({"name": "S", "kind": "generic", "responsible_ids": [1], "stage_map": {"paid": "NOPE"}}),
            "stage_map.paid",
        ),
        (
            json!({"name": "S", "kind": "generic", "responsible_ids": [1], "source": "NOPE"}),
            "source",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.send(Method::POST, "/api/order-sources", &admin, Some(body.clone())),
            422,
        );
        assert!(
            crate::helpers::fields(&problem).iter().any(|f| f == field),
            "{body}: {problem}"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM order_sources"), 0);
}

/// Delivers one generic order until it is acknowledged (a fresh timestamp per attempt, the same
/// delivery id, as a store retries); whether it was, and how many attempts it took.
fn deliver_until_acknowledged(
    base: &std::sync::RwLock<String>,
    key: &str,
    secret: &str,
    id: &str,
    acknowledged: &std::sync::atomic::AtomicUsize,
) -> (bool, u32) {
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client");
    let body = serde_json::to_vec(
        &json!({"id": id, "updated_at": "2026-11-22T08:30:00Z", "currency": "EUR",
        "total": "10.00", "status": "paid", "customer": {"email": format!("{id}@example.com")},
        "items": [{"name": "Thing", "price": "10.00", "quantity": 1}]}),
    )
    .expect("json");
    let started = std::time::Instant::now();
    let mut attempts = 0;
    while started.elapsed() < std::time::Duration::from_secs(20) {
        attempts += 1;
        let at = now();
        let signature = format!(
            "sha256={}",
            hex::encode(hmac(secret, &[format!("{at}.").as_bytes(), &body]))
        );
        let answer = client
            .post(format!("{}/hooks/orders/{key}", base.read().expect("base")))
            .header("content-type", "application/json")
            .header("x-signature", signature)
            .header("x-timestamp", at.to_string())
            .header("x-delivery-id", id)
            .body(body.clone())
            .send()
            .and_then(|r| Ok((r.status().as_u16(), r.json::<Value>()?)));
        if let Ok((200, answer)) = &answer
            && (answer["status"] == "processed" || answer["status"] == "duplicate")
        {
            acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return (true, attempts);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (false, attempts)
}

#[test]
fn every_acknowledged_delivery_survives_a_sigkill_and_is_processed_once() {
    use std::sync::RwLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const ORDERS: usize = 200;
    const KILL_AFTER: usize = 60;
    let mut app = spawn_app();
    let admin = app.setup_admin();
    let created = source(&app, &admin, "generic", json!({}));
    let secret = created["secret"].as_str().expect("secret").to_string();
    let key = key(&created);
    let base = RwLock::new(app.base.clone());
    let next = AtomicUsize::new(0);
    let acknowledged = AtomicUsize::new(0);
    let (fates, at_kill) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut fates = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= ORDERS {
                            return fates;
                        }
                        let id = format!("order-{i:04}");
                        let fate = deliver_until_acknowledged(&base, &key, &secret, &id, &acknowledged);
                        fates.push((id, fate));
                    }
                })
            })
            .collect();
        while acknowledged.load(Ordering::SeqCst) < KILL_AFTER && !clients.iter().all(|c| c.is_finished()) {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let at_kill = acknowledged.load(Ordering::SeqCst);
        app.kill_hard_and_restart();
        *base.write().expect("base") = app.base.clone();
        let fates: Vec<(String, (bool, u32))> = clients
            .into_iter()
            .flat_map(|c| c.join().expect("client thread"))
            .collect();
        (fates, at_kill)
    });
    assert!(at_kill < ORDERS, "the kill came after the load ended");
    assert!(
        fates.iter().all(|(_, (ok, _))| *ok),
        "every delivery is acknowledged in the end"
    );
    let db = app.db();
    let per_order = |sql: &str| -> std::collections::HashMap<String, i64> {
        let mut statement = db.prepare(sql).expect("prepare");
        statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let rows =
        per_order("SELECT delivery_id, count(*) FROM order_inbox WHERE status = 'processed' GROUP BY delivery_id");
    let links = per_order("SELECT order_id, count(*) FROM deal_orders GROUP BY order_id");
    for (id, _) in &fates {
        assert_eq!(rows.get(id), Some(&1), "{id}: one processed inbox row");
        assert_eq!(links.get(id), Some(&1), "{id}: one deal");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM order_inbox"), ORDERS as i64);
    assert_eq!(count(&app, "SELECT count(*) FROM deals"), ORDERS as i64);
    assert_eq!(count(&app, "SELECT count(*) FROM record_products"), ORDERS as i64);
}
