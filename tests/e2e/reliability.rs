//! Nothing acknowledged is lost or doubled when the runtime dies: 600 web-form submissions from
//! 8 clients, a SIGKILL of crm-host after 200 are acknowledged, a restart on the same state dir,
//! and clients retrying the same `submission_id` after a failed request, as a form tool would.
//! The database, read natively, must hold every acknowledged submission exactly once. The full
//! run (10,000 submissions) is `cargo xtask reliability`.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

const SUBMISSIONS: usize = 600;
const CLIENTS: usize = 8;
const KILL_AFTER: usize = 200;

/// What a client saw for one submission: acknowledged, attempts.
type Fate = (bool, u32);

fn submit_until_acknowledged(base: &RwLock<String>, key: &str, id: &str, acknowledged: &AtomicUsize) -> Fate {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let started = Instant::now();
    let mut attempts = 0;
    while started.elapsed() < Duration::from_secs(20) {
        attempts += 1;
        let url = format!("{}/f/{key}", base.read().expect("base"));
        let answer = client
            .post(url)
            .header("accept", "application/json")
            .json(&json!({"name": id, "submission_id": id}))
            .send()
            .and_then(|r| Ok((r.status().as_u16(), r.json::<Value>()?)));
        if let Ok((201, body)) = &answer
            && body["status"] == "accepted"
        {
            acknowledged.fetch_add(1, Ordering::SeqCst);
            return (true, attempts);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (false, attempts)
}

#[test]
fn every_acknowledged_submission_survives_a_sigkill_exactly_once() {
    let mut app = spawn_app();
    let admin = app.setup_admin();
    let form = json!({
        "name": "Reliability",
        "fields": [{"name": "name", "target": "name", "label": {"en": "Name"}, "required": true}],
        "responsible_ids": [1],
        "ip_limit_per_minute": 0,
        "form_limit_per_minute": 0
    });
    let r = app.send(Method::POST, "/api/forms", &admin, Some(form));
    assert_eq!(r.status(), 201);
    let created: Value = r.json().expect("form");
    let key = created["public_key"].as_str().expect("key").to_string();
    let form_id = created["id"].as_i64().expect("id");

    let base = RwLock::new(app.base.clone());
    let next = AtomicUsize::new(0);
    let acknowledged = AtomicUsize::new(0);
    let (fates, acknowledged_at_kill) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    let mut fates = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= SUBMISSIONS {
                            return fates;
                        }
                        let id = format!("sub-{i:04}");
                        let fate = submit_until_acknowledged(&base, &key, &id, &acknowledged);
                        fates.push((id, fate));
                    }
                })
            })
            .collect();
        while acknowledged.load(Ordering::SeqCst) < KILL_AFTER && !clients.iter().all(|c| c.is_finished()) {
            std::thread::sleep(Duration::from_micros(200));
        }
        let at_kill = acknowledged.load(Ordering::SeqCst);
        app.kill_hard_and_restart();
        *base.write().expect("base") = app.base.clone();
        let fates: Vec<(String, Fate)> = clients
            .into_iter()
            .flat_map(|c| c.join().expect("client thread"))
            .collect();
        (fates, at_kill)
    });
    assert!(acknowledged_at_kill < SUBMISSIONS, "the kill came after the load ended");

    let db = app.db();
    let mut logged: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    let mut statement = db
        .prepare(
            "SELECT submission_key, count(*), max(lead_id) FROM form_submissions WHERE form_id = ? GROUP BY submission_key",
        )
        .expect("prepare");
    let rows = statement
        .query_map([form_id], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))
        .expect("query");
    for row in rows {
        let (key, value) = row.expect("row");
        logged.insert(key, value);
    }
    let mut leads: HashMap<String, Vec<i64>> = HashMap::new();
    let mut statement = db.prepare("SELECT id, first_name FROM leads").expect("prepare");
    let rows = statement
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .expect("query");
    for row in rows {
        let (id, name) = row.expect("row");
        leads.entry(name).or_default().push(id);
    }

    let retried = fates.iter().filter(|(_, (_, attempts))| *attempts > 1).count();
    let mut lost = Vec::new();
    let mut duplicated = Vec::new();
    for (id, (ok, _)) in &fates {
        let log = logged.get(id).copied().unwrap_or((0, None));
        let found = leads.get(id).cloned().unwrap_or_default();
        if log.0 > 1 || found.len() > 1 {
            duplicated.push(id.clone());
        }
        if *ok && (log.0 == 0 || !found.iter().any(|lead| log.1 == Some(*lead))) {
            lost.push(id.clone());
        }
    }
    let acknowledged = fates.iter().filter(|(_, (ok, _))| *ok).count();
    eprintln!(
        "reliability: {acknowledged}/{SUBMISSIONS} acknowledged, SIGKILL at {acknowledged_at_kill}, {retried} retried, {} lost, {} duplicated",
        lost.len(),
        duplicated.len()
    );
    assert!(lost.is_empty(), "acknowledged but not stored once: {lost:?}");
    assert!(duplicated.is_empty(), "stored more than once: {duplicated:?}");
    assert_eq!(acknowledged, SUBMISSIONS, "every submission is acknowledged in the end");
    assert_eq!(logged.values().map(|v| v.0).sum::<i64>(), SUBMISSIONS as i64);
    assert_eq!(leads.values().map(Vec::len).sum::<usize>(), SUBMISSIONS);
}
