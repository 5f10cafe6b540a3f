//! `cargo xtask bench orders`: verified store orders (`POST /hooks/orders/<key>`, issue 16)
//! beside their native floor.
//!
//! Each order is a new one in the generic format with 20 line items, signed with its own
//! timestamp (so every delivery is verified, stored in the inbox and processed into a contact,
//! a deal and 20 items). The HTTP figures send from 8 and 32 threads, a new connection per
//! delivery, for a fixed number of orders each; the floor runs the same core function
//! (`crm_core::orders::receive::receive`) natively on one connection, one order at a time.
//! Target (issue 16): at least 500 orders/s at 32 with p99 under 200 ms. It is not a test:
//! nothing here passes or fails on a number.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crm_core::Db;
use crm_core::orders::receive::{Delivery, Outcome, receive};
use crm_core::orders::signature::{Signed, sign_generic};
use crm_core::orders::source;

use crate::bench::{request, start_host, stop};

const ORDERS_PER_RUN: usize = 2_000;
const NATIVE_ORDERS: usize = 1_000;

/// A generic order with 20 items (total 20 x 12.50 + 5.00 shipping).
fn order(id: &str) -> String {
    let items: Vec<String> = (0..20)
        .map(|i| format!(r#"{{"sku":"BENCH-{i}","name":"Item {i}","price":"12.50","quantity":1}}"#))
        .collect();
    format!(
        r#"{{"id":"{id}","status":"paid","updated_at":"2026-11-22T08:30:00Z","currency":"EUR","total":"255.00","customer":{{"first_name":"Bench","email":"{id}@example.com"}},"items":[{}],"shipping":[{{"name":"Courier","amount":"5.00"}}]}}"#,
        items.join(",")
    )
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("target").join("bench-state").join("orders");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    println!();
    println!("## Store orders: POST /hooks/orders/<key>, 20-item orders, beside the native floor\n");
    println!("| where | concurrency | orders | orders/s | p50 | p99 |");
    println!("|---|---|---|---|---|---|");
    native(&dir.join("native.db"))?;
    let (host, _) = start_host(&dir.join("http"))?;
    let result = http(&host.1);
    stop(host);
    result
}

fn native(path: &Path) -> anyhow::Result<()> {
    let (db, _) = crm_sqlite::NativeDb::open_migrated(path).context("native database")?;
    db.execute(
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES ('b@example.com', 'B', 'x', 0, 0)",
        &[],
    )?;
    db.execute(
        "INSERT INTO user_roles (user_id, role_id) SELECT 1, id FROM roles WHERE code = 'administrator'",
        &[],
    )?;
    let admin = crm_core::acl::Caller::load(&db, 1)?;
    let client = crm_core::audit::ClientInfo {
        ip: None,
        user_agent: None,
    };
    let body = serde_json::json!({"name": "Bench", "kind": "generic", "responsible_ids": [1]});
    let created = source::create(&db, &admin, &body, &client, "")?;
    let id = created["id"].as_i64().context("source id")?;
    let source = source::by_id(&db, id)?.context("source")?;
    let secret = created["secret"].as_str().context("secret")?.to_string();
    let mut latencies = Vec::with_capacity(NATIVE_ORDERS);
    let started = Instant::now();
    for n in 0..NATIVE_ORDERS {
        let body = order(&format!("native-{n}"));
        let at = crm_core::clock::now();
        let signature = sign_generic(&secret, at, body.as_bytes());
        let timestamp = at.to_string();
        let delivery_id = format!("native-{n}");
        let delivery = Delivery {
            content_type: Some("application/json"),
            body: body.as_bytes(),
            signed: Signed {
                signature: Some(&signature),
                timestamp: Some(&timestamp),
            },
            delivery_id: Some(&delivery_id),
            ..Delivery::default()
        };
        let one = Instant::now();
        let outcome = receive(&db, &source, &delivery, at)?;
        latencies.push(one.elapsed());
        anyhow::ensure!(
            matches!(
                outcome,
                Outcome::Stored {
                    status: "processed",
                    ..
                }
            ),
            "native order {n}: {outcome:?}"
        );
    }
    row(
        "native floor (crm-sqlite)",
        1,
        NATIVE_ORDERS,
        started.elapsed(),
        &mut latencies,
    );
    Ok(())
}

fn http(addr: &str) -> anyhow::Result<()> {
    let setup = request(
        addr,
        "POST",
        "/api/auth/setup",
        &[],
        Some(r#"{"email":"orders-bench@example.com","password":"swift otter lantern 2026","name":"Bench"}"#),
    )?;
    let token = json_of(&setup)?["token"].as_str().context("token")?.to_string();
    let auth = format!("authorization: Bearer {token}");
    let created = request(
        addr,
        "POST",
        "/api/order-sources",
        &[&auth],
        Some(r#"{"name":"Bench","kind":"generic","responsible_ids":[1]}"#),
    )?;
    let created = json_of(&created)?;
    let key = created["public_key"].as_str().context("key")?.to_string();
    let secret = created["secret"].as_str().context("secret")?.to_string();
    for concurrency in [8usize, 32] {
        let next = AtomicUsize::new(0);
        let failures = AtomicUsize::new(0);
        let latencies = Mutex::new(Vec::with_capacity(ORDERS_PER_RUN));
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..concurrency {
                scope.spawn(|| {
                    loop {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        if n >= ORDERS_PER_RUN {
                            return;
                        }
                        let id = format!("c{concurrency}-{n}");
                        let body = order(&id);
                        let at = crm_core::clock::now();
                        let signature = format!("x-signature: {}", sign_generic(&secret, at, body.as_bytes()));
                        let timestamp = format!("x-timestamp: {at}");
                        let delivery = format!("x-delivery-id: {id}");
                        let one = Instant::now();
                        let answer = request(
                            addr,
                            "POST",
                            &format!("/hooks/orders/{key}"),
                            &[&signature, &timestamp, &delivery],
                            Some(&body),
                        );
                        let elapsed = one.elapsed();
                        match answer {
                            Ok(text) if text.contains("\"processed\"") => {
                                latencies.lock().expect("latencies").push(elapsed)
                            }
                            _ => {
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        let mut latencies = latencies.into_inner().expect("latencies");
        let failed = failures.load(Ordering::SeqCst);
        let label = if failed == 0 {
            "crm-host".to_string()
        } else {
            format!("crm-host ({failed} not processed)")
        };
        row(&label, concurrency, latencies.len(), elapsed, &mut latencies);
    }
    Ok(())
}

fn row(label: &str, concurrency: usize, orders: usize, elapsed: Duration, latencies: &mut [Duration]) {
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .map_or("-".to_string(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
    };
    println!(
        "| {label} | {concurrency} | {orders} | {:.0} | {} | {} |",
        orders as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99)
    );
}

fn json_of(response: &str) -> anyhow::Result<serde_json::Value> {
    // The body may come chunked: the JSON object is from its first `{` to its last `}`.
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).context("a body")?;
    let (start, end) = (body.find('{').context("JSON")?, body.rfind('}').context("JSON")?);
    serde_json::from_str(&body[start..=end]).with_context(|| format!("not JSON: {response}"))
}
