//! `cargo xtask bench imports`: a 100,000-row contact CSV imported end to end through the steps
//! (issue 18), beside the same work natively. Nothing fails on a number.
//!
//! - **over HTTP**: the file uploaded to `POST /api/imports` on crm-host, then
//!   `POST /api/imports/<id>/step?rows=2000` until done, one request at a time as the wizard
//!   drives it: rows/s over the steps (and with the upload), each step's p50/p99;
//! - **the engine natively**: the same `crm_core::io::imports` upload and steps on a native
//!   connection (`crm-sqlite`), so the gap splits into "engine" and "runtime + wasm";
//! - **the floor**: the contact rows' guarded `INSERT`s alone (with their derived-row
//!   triggers), 2,000 per transaction, on a native connection.
//!
//! Target (issue 18): at least 5,000 rows/s over HTTP, each step under 2 s p99.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_core::Db;
use crm_core::io::imports::{self, Upload};

use crate::bench::{start_host, stop};

/// Rows in the file.
const ROWS: usize = 100_000;
/// Rows per step.
const STEP_ROWS: usize = 2_000;

/// The contact CSV: unique names, e-mails and phones, a position and a multi-word comment.
fn csv() -> String {
    let mut out = String::with_capacity(ROWS * 110);
    out.push_str("First name,Last name,E-mail,Phones,Position,Comments\r\n");
    for n in 0..ROWS {
        out.push_str(&format!(
            "Name{n},Surname{n},person{n}@bench.example,+7 916 {:03}-{:02}-{:02},Manager,\"Met at the fair, call back\"\r\n",
            n / 10_000,
            (n / 100) % 100,
            n % 100
        ));
    }
    out
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(true)?;
    let dir = root.join("target").join("bench-state").join("imports");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let file = csv();
    println!();
    println!(
        "## Imports: a {ROWS}-row contact CSV ({:.1} MB) through the steps ({STEP_ROWS} rows each)\n",
        file.len() as f64 / 1e6
    );
    println!("| where | upload | steps | rows/s (steps) | rows/s (with upload) | step p50 | step p99 |");
    println!("|---|---|---|---|---|---|---|");
    floor(&dir.join("floor.db"))?;
    native(&dir.join("native.db"), &file)?;
    let (host, _) = start_host(&dir.join("http"))?;
    let result = http(&host.1, &file);
    stop(host);
    result
}

fn row(label: &str, upload: Duration, steps: &mut [Duration]) {
    let total: Duration = steps.iter().sum();
    steps.sort_unstable();
    let at = |q: f64| {
        steps
            .get(((steps.len() as f64 - 1.0) * q).round() as usize)
            .map_or("-".to_string(), |d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
    };
    println!(
        "| {label} | {:.2} s | {} | {:.0} | {:.0} | {} | {} |",
        upload.as_secs_f64(),
        steps.len(),
        ROWS as f64 / total.as_secs_f64(),
        ROWS as f64 / (total + upload).as_secs_f64(),
        at(0.5),
        at(0.99)
    );
}

fn admin(db: &dyn Db) -> anyhow::Result<crm_core::acl::Caller> {
    db.execute(
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES ('b@example.com', 'B', 'x', 0, 0)",
        &[],
    )?;
    db.execute(
        "INSERT INTO user_roles (user_id, role_id) SELECT 1, id FROM roles WHERE code = 'administrator'",
        &[],
    )?;
    Ok(crm_core::acl::Caller::load(db, 1)?)
}

fn native(path: &Path, file: &str) -> anyhow::Result<()> {
    let (db, _) = crm_sqlite::NativeDb::open_migrated(path).context("native database")?;
    let caller = admin(&db)?;
    let started = Instant::now();
    let import = imports::upload(
        &db,
        &caller,
        &Upload {
            settings: vec![("entity".into(), "contacts".into())],
            part_file_name: Some("bench.csv".into()),
            bytes: file.as_bytes(),
        },
    )?;
    let upload = started.elapsed();
    let id = import["id"].as_i64().context("id")?;
    let mut steps = Vec::new();
    loop {
        let one = Instant::now();
        let answer = imports::step(&db, &caller, id, Some(STEP_ROWS as i64))?;
        steps.push(one.elapsed());
        if answer["status"] == "done" {
            anyhow::ensure!(answer["counts"]["created"] == ROWS, "native: {answer}");
            break;
        }
    }
    row("engine natively (crm-sqlite)", upload, &mut steps);
    Ok(())
}

/// The contact INSERTs alone: the derived columns as the engine computes them, the triggers.
fn floor(path: &Path) -> anyhow::Result<()> {
    crm_sqlite::NativeDb::open_migrated(path).context("floor database")?;
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    let mut steps = Vec::new();
    for chunk in 0..ROWS / STEP_ROWS {
        let one = Instant::now();
        let tx = conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO contacts (first_name, last_name, emails, phones, post, comments, opened, responsible_id, \
                 search_body, channel_keys, created_at, updated_at, created_by, updated_by) \
                 VALUES (?, ?, ?, ?, 'Manager', 'Met at the fair, call back', 0, NULL, ?, ?, 0, 0, NULL, NULL)",
            )?;
            for n in chunk * STEP_ROWS..(chunk + 1) * STEP_ROWS {
                let email = format!("person{n}@bench.example");
                let phone = format!("+7916{:03}{:02}{:02}", n / 10_000, (n / 100) % 100, n % 100);
                insert.execute(rusqlite::params![
                    format!("Name{n}"),
                    format!("Surname{n}"),
                    format!(r#"[{{"value":"{email}","type":"work"}}]"#),
                    format!(r#"[{{"value":"{phone}","type":"work","e164":"{phone}"}}]"#),
                    format!("Name{n} Surname{n} {phone} {email}"),
                    format!(r#"[["phone","{phone}"],["email","{email}"]]"#),
                ])?;
            }
        }
        tx.commit()?;
        steps.push(one.elapsed());
    }
    row("floor: the INSERTs alone (rusqlite)", Duration::ZERO, &mut steps);
    Ok(())
}

/// One HTTP/1.1 request with a body of any type; returns the status and the body.
fn send(addr: &str, method: &str, path: &str, headers: &[&str], body: &[u8]) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(&format!("{h}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The JSON object in a (possibly chunked) body.
fn json_of(body: &str) -> anyhow::Result<serde_json::Value> {
    let (start, end) = (body.find('{').context("JSON")?, body.rfind('}').context("JSON")?);
    serde_json::from_str(&body[start..=end]).with_context(|| format!("not JSON: {body}"))
}

fn http(addr: &str, file: &str) -> anyhow::Result<()> {
    let (_, setup) = send(
        addr,
        "POST",
        "/api/auth/setup",
        &["content-type: application/json"],
        br#"{"email":"imports-bench@example.com","password":"swift otter lantern 2026","name":"Bench"}"#,
    )?;
    let token = json_of(&setup)?["token"].as_str().context("token")?.to_string();
    let auth = format!("authorization: Bearer {token}");
    let started = Instant::now();
    let (status, body) = send(
        addr,
        "POST",
        "/api/imports?entity=contacts&file_name=bench.csv",
        &[&auth, "content-type: text/csv"],
        file.as_bytes(),
    )?;
    let upload = started.elapsed();
    if status != 201 {
        bail!("upload: {status} {body}");
    }
    let id = json_of(&body)?["id"].as_i64().context("id")?;
    let mut steps = Vec::new();
    loop {
        let one = Instant::now();
        let (status, body) = send(
            addr,
            "POST",
            &format!("/api/imports/{id}/step?rows={STEP_ROWS}"),
            &[&auth],
            b"",
        )?;
        steps.push(one.elapsed());
        if status != 200 {
            bail!("step: {status} {body}");
        }
        let answer = json_of(&body)?;
        if answer["status"] == "done" {
            anyhow::ensure!(answer["counts"]["created"] == ROWS, "http: {answer}");
            break;
        }
    }
    row("crm-host (HTTP, wasm)", upload, &mut steps);
    Ok(())
}
