//! The ACL's promise measured: lists are filtered in SQL, so the first page of a million
//! rows costs a manager (own records) about what it costs an administrator (all records).
//!
//! Natively on a real SQLite file: 1,000,000 rows owned by 200 users in 20 departments,
//! indexed on the responsible column; the first page (50 rows, keyset by id) and a deep
//! page (cursor near the end) for each default role's read level, against the same query
//! without any ACL condition as the floor.

use std::time::{Duration, Instant};

use crm_core::Db;
use crm_core::acl::{AclColumns, Caller, Entity};
use crm_sqlite::NativeDb;

const ROWS: i64 = 1_000_000;
const USERS: i64 = 200;
const DEPARTMENTS: i64 = 20;
const COLUMNS: AclColumns = AclColumns {
    responsible: "responsible_id",
    opened: Some("opened"),
    stage: None,
};

pub fn run(dir: &std::path::Path) -> anyhow::Result<()> {
    let path = dir.join("acl-bench.db");
    let _ = std::fs::remove_file(&path);
    let db = NativeDb::open(&path)?;
    crm_core::migrate(&db)?;
    seed(&db)?;
    println!("\n| list of {ROWS} rows, 50 per page | first page | page near the end | vs no ACL (first, deep) |");
    println!("|---|---|---|---|");
    let floor = (page(&db, "1", &[], 0)?, page(&db, "1", &[], ROWS - 100)?);
    println!(
        "| no ACL condition (floor) | {:?} | {:?} | 1.00, 1.00 |",
        floor.0, floor.1
    );
    for (role, user) in [("administrator", 1), ("director", 2), ("head", 3), ("manager", 4)] {
        let caller = Caller::load(&db, user)?;
        let filter = caller.list_filter(Entity::Lead, &COLUMNS);
        let first = page(&db, &filter.sql, &filter.params, 0)?;
        let deep = page(&db, &filter.sql, &filter.params, ROWS - 100)?;
        println!(
            "| {role} ({}) | {first:?} | {deep:?} | {:.2}, {:.2} |",
            caller.level(Entity::Lead, crm_core::acl::Action::Read).code(),
            first.as_secs_f64() / floor.0.as_secs_f64(),
            deep.as_secs_f64() / floor.1.as_secs_f64()
        );
    }
    drop(db);
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Median time of one page query (50 rows after `cursor`) over 21 runs.
fn page(db: &NativeDb, condition: &str, params: &[crm_core::Value], cursor: i64) -> anyhow::Result<Duration> {
    let sql = format!("SELECT id, title FROM things WHERE id > ? AND ({condition}) ORDER BY id LIMIT 50");
    let mut all = vec![crm_core::Value::from(cursor)];
    all.extend_from_slice(params);
    let mut times = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        db.query(&sql, &all)?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn seed(db: &NativeDb) -> anyhow::Result<()> {
    let conn = db.connection();
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DEPARTMENTS})
         INSERT INTO departments (id, name, parent_id, created_at, updated_at)
           SELECT i, 'Dept ' || i, CASE WHEN i = 1 THEN NULL ELSE 1 + (i - 2) / 4 END, 0, 0 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})
         INSERT INTO users (id, email, name, password_hash, department_id, created_at, updated_at)
           SELECT i, 'u' || i || '@example.com', 'User ' || i, 'x', 1 + (i % {DEPARTMENTS}), 0, 0 FROM n;
         INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r
           WHERE (u.id, r.code) IN (VALUES (1, 'administrator'), (2, 'director'), (3, 'head'), (4, 'manager'));
         CREATE TABLE things (id INTEGER PRIMARY KEY, title TEXT NOT NULL, responsible_id INTEGER NOT NULL, opened INTEGER NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
         INSERT INTO things (id, title, responsible_id, opened)
           SELECT i, 'Lead ' || i, 1 + (i * 7919) % {USERS}, (i % 97 = 0) FROM n;
         CREATE INDEX things_responsible ON things(responsible_id, id);
         COMMIT;
         ANALYZE;"
    ))?;
    Ok(())
}
