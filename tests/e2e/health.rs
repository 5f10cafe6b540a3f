//! `GET /api/health`: a real query on `default`, after the migrations.

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn health_is_ok_after_a_real_query_on_a_fresh_database() {
    let app = spawn_app();
    let r = app.get("/api/health");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    let db = app.db();
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal", "the first migration switches the file to WAL");
    let applied: i64 = db
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir(crate::helpers::root().join("sql"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count() as i64;
    assert_eq!(applied, files, "every sql/ file is applied once");
}

#[test]
fn concurrent_first_requests_apply_the_migrations_once() {
    let app = spawn_app();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|_| s.spawn(|| app.get("/api/health").status().as_u16()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let db = app.db();
    let dupes: i64 = db
        .query_row(
            "SELECT count(*) - count(DISTINCT version) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dupes, 0);
}

#[test]
fn health_refuses_other_methods_with_405() {
    let app = spawn_app();
    let r = app.request(reqwest::Method::POST, "/api/health");
    assert_eq!(r.headers()["allow"], "GET");
    assert_problem(r, 405);
}
