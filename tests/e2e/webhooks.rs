//! Outbound webhooks end to end: subscriptions through `/api/webhooks`, record changes through
//! the JSON API, `POST /internal/tick` called by the test with the secret, and a small HTTP
//! server on 127.0.0.1 in the test receiving the deliveries: both styles, the signature
//! checked, failures (500, nobody listening) retried with backoff, the subscription paused
//! after failures in a row, nothing for a refused change or without a subscription.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Auth, TestApp, assert_problem, call, fields, get, post, spawn_app, spawn_app_with_variables};

pub(crate) const TICK_SECRET: &str = "tick-secret-for-tests";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// A receiving server on 127.0.0.1: records every request and answers `status`.
pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<Received>>>,
    pub(crate) status: Arc<AtomicU16>,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (got2, status2) = (got.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.trim_end().split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                got2.lock().unwrap().push(Received { path, headers, body });
                let code = status2.load(Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        Receiver { url, got, status }
    }

    pub(crate) fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

fn tick(app: &TestApp) -> Value {
    let r = app
        .client
        .post(format!("{}/internal/tick", app.base))
        .header("X-Tick-Secret", TICK_SECRET)
        .send()
        .expect("tick");
    assert_eq!(r.status(), 200);
    r.json().expect("tick JSON")
}

pub(crate) fn webhook_app() -> TestApp {
    spawn_app_with_variables(&[("tick_secret", TICK_SECRET), ("webhook_hosts", "http://127.0.0.1:*")])
}

fn subscribe(app: &TestApp, admin: &Auth, url: &str, style: &str, events: Value) -> Value {
    post(
        app,
        admin,
        "/api/webhooks",
        json!({"name": format!("{style} receiver"), "url": url, "style": style, "events": events}),
    )
}

pub(crate) fn verify(secret: &str, got: &Received) {
    let timestamp = got.header("X-Webhook-Timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&got.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(got.header("X-Signature"), expected, "signature of {}", got.path);
    let age = crm_now() - timestamp.parse::<i64>().expect("timestamp");
    assert!((0..60).contains(&age), "timestamp {timestamp}");
}

fn crm_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn both_styles_are_delivered_signed_and_a_failure_is_retried_after_its_backoff() {
    let app = webhook_app();
    let admin = app.setup_admin();
    let receiver = Receiver::start();
    let j = subscribe(
        &app,
        &admin,
        &format!("{}/json", receiver.url),
        "json",
        json!(["lead.created", "deal.stage_changed"]),
    );
    let b = subscribe(
        &app,
        &admin,
        &format!("{}/b24", receiver.url),
        "bitrix24",
        json!(["ONCRMLEADADD"]),
    );
    let (j_secret, b_secret) = (j["secret"].as_str().unwrap(), b["secret"].as_str().unwrap());
    let shown = get(&app, &admin, &format!("/api/webhooks/{}", j["id"]));
    assert!(shown.get("secret").is_none(), "the secret is shown once: {shown}");

    // The tick is refused without its secret.
    let r = app.client.post(format!("{}/internal/tick", app.base)).send().unwrap();
    assert_problem(r, 401);
    let r = app
        .client
        .post(format!("{}/internal/tick", app.base))
        .header("X-Tick-Secret", "wrong")
        .send()
        .unwrap();
    assert_problem(r, 401);

    let lead = post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "Webhook lead", "status": "NEW"}),
    );
    assert!(receiver.take().is_empty(), "nothing is sent before a tick");
    assert_eq!(tick(&app)["delivered"], 2);
    let mut got = receiver.take();
    got.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(got.len(), 2, "{got:?}");
    let (b24, js) = (&got[0], &got[1]);
    assert_eq!(js.path, "/json");
    verify(j_secret, js);
    assert_eq!(js.header("Content-Type"), "application/json");
    let body = js.json();
    assert_eq!(body["event"], "lead.created");
    assert_eq!(body["data"]["id"], lead["id"]);
    assert_eq!(body["data"]["record"]["title"], "Webhook lead");
    assert_eq!(js.header("X-Webhook-Delivery"), body["delivery_id"].to_string());

    assert_eq!(b24.path, "/b24");
    verify(b_secret, b24);
    assert_eq!(b24.header("Content-Type"), "application/x-www-form-urlencoded");
    let form = b24.form();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(field("event"), "ONCRMLEADADD");
    assert_eq!(field("data[FIELDS][ID]"), lead["id"].to_string());
    assert_eq!(field("event_handler_id"), b["id"].to_string());
    assert_eq!(field("auth[application_token]"), b_secret);
    let host = app.base.trim_start_matches("http://");
    assert_eq!(field("auth[domain]"), host);
    assert_eq!(field("auth[client_endpoint]"), format!("{}/rest/", app.base));
    assert!(field("ts").parse::<i64>().is_ok());

    // A stage change, while the receiver fails: kept, retried after its backoff, same delivery id.
    receiver.status.store(500, Ordering::SeqCst);
    let deal = post(&app, &admin, "/api/deals", json!({"title": "Moving", "stage": "NEW"}));
    call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/deals/{}", deal["id"]),
        Some(json!({"stage": "PREPARATION"})),
        200,
    );
    let first = tick(&app);
    assert_eq!(
        (first["delivered"].clone(), first["failed"].clone()),
        (json!(0), json!(1))
    );
    let failed = receiver.take();
    assert_eq!(failed.len(), 1);
    let log = get(&app, &admin, &format!("/api/webhooks/{}/deliveries", j["id"]));
    let entry = &log["items"][0];
    assert_eq!(entry["event"], "deal.stage_changed");
    assert_eq!(entry["status"], "pending");
    assert_eq!(entry["attempts"], 1);
    assert_eq!(entry["last_status"], 500);
    assert_eq!(entry["details"], json!({"from": "NEW", "to": "PREPARATION"}));
    assert!(entry["next_attempt_at"].is_string(), "{entry}");
    assert_eq!(tick(&app)["failed"], 0, "not due before its backoff");
    assert!(receiver.take().is_empty());
    // The backoff is 30 s: the test moves the clock by moving the due time.
    let db = app.db();
    let wait: i64 = db
        .query_row(
            "SELECT next_attempt_at - last_attempt_at FROM webhook_deliveries WHERE event = 'deal.stage_changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wait, 30);
    db.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = next_attempt_at - 30 WHERE status = 'pending'",
        [],
    )
    .unwrap();
    receiver.status.store(200, Ordering::SeqCst);
    assert_eq!(tick(&app)["delivered"], 1);
    let retried = receiver.take();
    assert_eq!(
        retried[0].header("X-Webhook-Delivery"),
        failed[0].header("X-Webhook-Delivery")
    );
    assert_eq!(retried[0].json()["data"]["to"], "PREPARATION");
    verify(j_secret, &retried[0]);
    let one = get(
        &app,
        &admin,
        &format!(
            "/api/webhooks/{}/deliveries/{}",
            j["id"],
            retried[0].header("X-Webhook-Delivery")
        ),
    );
    assert_eq!(one["status"], "delivered");
    let statuses: Vec<&Value> = one["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(200)]);

    // A rotated secret signs from then on.
    let rotated = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/webhooks/{}/rotate-secret", j["id"]),
        None,
        200,
    );
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, j_secret);
    post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "After rotation", "status": "NEW"}),
    );
    tick(&app);
    let after = receiver.take();
    let js = after.iter().find(|r| r.path == "/json").expect("json delivery");
    verify(new_secret, js);
}

#[test]
fn a_receiver_that_is_down_pauses_its_subscription_until_resumed_and_retried() {
    let app = webhook_app();
    let admin = app.setup_admin();
    // A port nobody listens on.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let sub = subscribe(&app, &admin, &dead, "json", json!(["lead.created"]));
    let path = format!("/api/webhooks/{}", sub["id"]);
    for i in 0..5 {
        post(
            &app,
            &admin,
            "/api/leads",
            json!({"title": format!("Lost {i}"), "status": "NEW"}),
        );
    }
    let result = tick(&app);
    assert_eq!(result["failed"], 5, "{result}");
    assert_eq!(result["paused"], json!([sub["id"]]));
    let paused = get(&app, &admin, &path);
    assert_eq!(paused["active"], false);
    assert!(
        paused["paused_reason"].as_str().unwrap().contains("connection refused"),
        "{paused}"
    );
    assert_eq!(paused["consecutive_failures"], 5);

    // Paused: new changes write no deliveries, and a tick sends nothing.
    post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "While paused", "status": "NEW"}),
    );
    let log = get(&app, &admin, &format!("{path}/deliveries"));
    assert_eq!(log["items"].as_array().unwrap().len(), 5);
    assert_eq!(tick(&app)["failed"], 0);

    // Resumed against a live receiver, the waiting deliveries go at once.
    let receiver = Receiver::start();
    call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"url": format!("{}/hook", receiver.url)})),
        200,
    );
    let resumed = call(&app, &admin, Method::POST, &format!("{path}/resume"), None, 200);
    assert_eq!(
        (resumed["active"].clone(), resumed["paused_reason"].clone()),
        (json!(true), Value::Null)
    );
    assert_eq!(tick(&app)["delivered"], 5);
    assert_eq!(receiver.take().len(), 5);

    // A delivered one can be sent again by hand; pausing by hand says why.
    let first = log["items"][4]["id"].clone();
    let retried = call(
        &app,
        &admin,
        Method::POST,
        &format!("{path}/deliveries/{first}/retry"),
        None,
        200,
    );
    assert_eq!(retried["status"], "pending");
    assert_eq!(tick(&app)["delivered"], 1);
    assert_eq!(receiver.take().len(), 1);
    let by_hand = call(
        &app,
        &admin,
        Method::POST,
        &format!("{path}/pause"),
        Some(json!({"reason": "receiver moving"})),
        200,
    );
    assert_eq!(by_hand["paused_reason"], "receiver moving");
}

#[test]
fn no_event_without_a_subscription_or_for_a_change_the_engine_refuses() {
    let app = webhook_app();
    let admin = app.setup_admin();
    post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "Unwatched", "status": "NEW"}),
    );
    let receiver = Receiver::start();
    subscribe(
        &app,
        &admin,
        &format!("{}/in", receiver.url),
        "json",
        json!(["lead.created", "lead.updated"]),
    );
    // Refused by the engine: nothing written, so nothing to deliver.
    let refused = app.send(
        Method::POST,
        "/api/leads",
        &admin,
        Some(json!({"title": "Bad", "status": "NOPE"})),
    );
    assert_problem(refused, 422);
    let stale = app.send_if_match(
        Method::PATCH,
        "/api/leads/1",
        &admin,
        "\"99\"",
        json!({"title": "Stale"}),
    );
    assert_eq!(stale.status(), 412);
    let result = tick(&app);
    assert_eq!(
        (result["delivered"].clone(), result["failed"].clone()),
        (json!(0), json!(0))
    );
    assert!(receiver.take().is_empty());
    let count: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM webhook_deliveries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn bad_input_is_a_4xx_naming_the_field_and_settings_are_needed() {
    let app = webhook_app();
    let admin = app.setup_admin();
    let bad = app.send(
        Method::POST,
        "/api/webhooks",
        &admin,
        Some(json!({"name": "x", "url": "ftp://x", "style": "soap", "events": ["lead.exploded"]})),
    );
    let problem = assert_problem(bad, 422);
    let named = fields(&problem);
    for field in ["url", "style"] {
        assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
    }
    let no_name = app.send(
        Method::POST,
        "/api/webhooks",
        &admin,
        Some(json!({"url": "https://example.com/", "events": ["lead.created"]})),
    );
    assert_eq!(fields(&assert_problem(no_name, 422)), ["name"]);
    let bad_events = app.send(
        Method::POST,
        "/api/webhooks",
        &admin,
        Some(json!({"name": "x", "url": "https://example.com/", "events": ["lead.created", "nope"]})),
    );
    assert_eq!(fields(&assert_problem(bad_events, 422)), ["events[1]"]);
    let not_json = app
        .client
        .post(format!("{}/api/webhooks", app.base))
        .bearer_auth(admin.bearer.as_deref().unwrap())
        .header("content-type", "application/json")
        .body("{")
        .send()
        .unwrap();
    assert_problem(not_json, 400);
    assert_problem(app.send(Method::GET, "/api/webhooks?filter[url]=x", &admin, None), 400);
    assert_problem(app.send(Method::GET, "/api/webhooks/999/deliveries", &admin, None), 404);
    let sub = post(
        &app,
        &admin,
        "/api/webhooks",
        json!({"name": "ok", "url": "https://example.com/", "events": ["lead.created"]}),
    );
    assert_problem(
        app.send(
            Method::GET,
            &format!("/api/webhooks/{}/deliveries?filter[status]=lost", sub["id"]),
            &admin,
            None,
        ),
        400,
    );
    assert_problem(
        app.send(
            Method::POST,
            &format!("/api/webhooks/{}/deliveries/5/retry", sub["id"]),
            &admin,
            None,
        ),
        404,
    );
    // Settings permission.
    app.create_user(&admin, "manager@example.com", &["manager"], None);
    let manager = app.login("manager@example.com", crate::helpers::PASSWORD);
    assert_problem(app.send(Method::GET, "/api/webhooks", &manager, None), 403);
    assert_problem(
        app.send(Method::POST, "/api/webhooks", &manager, Some(json!({"name": "x"}))),
        403,
    );
}

#[test]
fn the_tick_refuses_everything_when_no_secret_is_set() {
    let app = spawn_app();
    for secret in [None, Some("")] {
        let mut r = app.client.post(format!("{}/internal/tick", app.base));
        if let Some(s) = secret {
            r = r.header("X-Tick-Secret", s);
        }
        let problem = assert_problem(r.send().unwrap(), 403);
        assert!(
            problem["detail"].as_str().unwrap_or_default().contains("tick_secret"),
            "{problem}"
        );
    }
}
