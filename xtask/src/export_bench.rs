//! `cargo xtask bench exports`: issue 18's export half — 100,000 contacts exported as XLSX (and
//! CSV) through the `exports` component over HTTP, streamed page by page: the time to the
//! first byte and to the last, the file's size, and the guest's peak memory (the component logs
//! its linear memory when the file is complete; linear memory only grows, so that is the
//! instance's peak). Beside it the same 100,000 rows listed natively through `records::list`
//! in pages of 500 (the floor: what the database and the list engine cost), and the same export
//! run natively by `crm_core::io::export`.
//!
//! The contacts are made through the record engine (`service::create`) on a native connection:
//! Cyrillic and Latin names, one or two typed phones, an e-mail, an address, a birth date, a
//! primary company out of 200. Nothing fails on a number.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_core::acl::Caller;
use crm_core::io::export::{Export, PAGE};
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::{EntityDef, service};
use crm_sqlite::NativeDb;
use serde_json::json;

use crate::records_bench::{Rng, bulk_start, pairs, url_query};

const CONTACTS: i64 = 100_000;
const COMPANIES: i64 = 200;
const FIELDS: &str = "first_name,last_name,phones,emails,address,birthdate,company_id,responsible_id,created_at";

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(false)?;
    let state = root.join("target").join("bench-state").join("exports");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)?;
    let path = state.join("sqlite_db.db");
    let started = Instant::now();
    let token = generate(&path)?;
    let generation = started.elapsed();

    let query = pairs(&[("fields", FIELDS)]);
    let native_list = native_list(&path, &query)?;
    let native_xlsx = native_export(&path, &query, "xlsx")?;

    let log = state.join("host.log");
    let mut host = Command::new(crate::host_binary())
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--from",
            "spin.toml",
            "--state-dir",
        ])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("starting crm-host")?;
    let mut line = String::new();
    BufReader::new(host.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
    let addr = line.trim().rsplit("//").next().unwrap_or_default().to_string();
    let measured = (|| {
        let mut runs = Vec::new();
        for format in ["xlsx", "csv"] {
            let mut q = query.clone();
            q.push(("format".into(), format.into()));
            let path = format!("/api/exports/contacts?{}", url_query(&q));
            runs.push((format, download(&addr, &path, &token)?));
        }
        anyhow::Ok(runs)
    })();
    let _ = Command::new("kill").args(["-TERM", &host.id().to_string()]).status();
    let _ = host.wait();
    let runs = measured?;
    let memory: Vec<String> = std::fs::read_to_string(&log)?
        .lines()
        .filter(|l| l.contains("guest linear memory"))
        .map(str::to_string)
        .collect();

    println!("\n## exports: {CONTACTS} contacts through the exports component\n");
    println!(
        "generated in {:.1} s through the record engine; columns: id,{FIELDS} (address as 5 columns); pages of {PAGE}\n",
        generation.as_secs_f64()
    );
    println!("| run | first byte | last byte | rows/s | size | guest peak memory |");
    println!("|---|---|---|---|---|---|");
    for ((format, run), memory) in runs.iter().zip(memory.iter().map(Some).chain(std::iter::repeat(None))) {
        let kib = memory
            .and_then(|l| l.rsplit("memory ").next())
            .map(|m| m.trim().to_string())
            .unwrap_or_else(|| "not logged".into());
        println!(
            "| HTTP {format} | {} | {} | {:.0} | {:.1} MiB | {kib} |",
            ms(run.first_byte),
            ms(run.total),
            CONTACTS as f64 / run.total.as_secs_f64(),
            run.bytes as f64 / (1 << 20) as f64,
        );
    }
    println!(
        "| native export xlsx (crm_core::io::export) | | {} | {:.0} | {:.1} MiB | |",
        ms(native_xlsx.0),
        CONTACTS as f64 / native_xlsx.0.as_secs_f64(),
        native_xlsx.1 as f64 / (1 << 20) as f64
    );
    println!(
        "| native list, the same rows (records::list, {} pages) | | {} | {:.0} | | |",
        (CONTACTS as u64).div_ceil(u64::from(PAGE)),
        ms(native_list),
        CONTACTS as f64 / native_list.as_secs_f64()
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// 100,000 contacts and 200 companies through the record engine; the administrator's token.
fn generate(path: &Path) -> anyhow::Result<String> {
    let mut rng = Rng(18);
    let (db, admin_token, _) = bulk_start(path, &mut rng)?;
    let admin = Caller::load(&db, 1)?;
    let companies = EntityDef::load(&db, "company")?;
    for i in 0..COMPANIES {
        service::create(
            &db,
            &admin,
            &companies,
            &json!({"title": format!("ООО «Компания {i}»")}),
        )?;
    }
    let def = EntityDef::load(&db, "contact")?;
    const FIRST: &[&str] = &["Иван", "Мария", "Пётр", "Анна", "John", "Emma", "Сергей", "Ольга"];
    const LAST: &[&str] = &[
        "Смирнов",
        "Иванова",
        "Кузнецов",
        "Попова",
        "Smith",
        "Brown",
        "Соколов",
        "Лебедева",
    ];
    for i in 0..CONTACTS {
        let mut phones =
            vec![json!({"value": format!("+7 999 {:03} {:04}", rng.below(1000), rng.below(10_000)), "type": "mobile"})];
        if i % 3 == 0 {
            phones.push(
                json!({"value": format!("+7 495 {:03} {:04}", rng.below(1000), rng.below(10_000)), "type": "work"}),
            );
        }
        let body = json!({
            "first_name": FIRST[rng.below(FIRST.len() as i64) as usize],
            "last_name": LAST[rng.below(LAST.len() as i64) as usize],
            "phones": phones,
            "emails": [{"value": format!("person{i}@example.com"), "type": "work"}],
            "address": {"street": format!("ул. Ленина, {}", 1 + rng.below(200)), "city": "Москва", "postal_code": "101000", "country": "Россия"},
            "birthdate": format!("19{:02}-{:02}-{:02}", 50 + rng.below(50), 1 + rng.below(12), 1 + rng.below(28)),
            "company_ids": [1 + rng.below(COMPANIES)],
            "responsible_id": 2 + rng.below(crate::records_bench::USERS),
        });
        service::create(&db, &admin, &def, &body).with_context(|| format!("contact {i}"))?;
    }
    crate::bench::statistics(db.connection(), &[])?;
    Ok(admin_token)
}

/// Every page of the list natively (the administrator, pages of [`PAGE`]).
fn native_list(path: &Path, query: &[(String, String)]) -> anyhow::Result<Duration> {
    let db = NativeDb::open(path)?;
    let admin = Caller::load(&db, 1)?;
    let def = EntityDef::load(&db, "contact")?;
    let started = Instant::now();
    let mut cursor: Option<String> = None;
    let mut rows = 0;
    loop {
        let mut q = query.to_vec();
        q.push(("limit".into(), PAGE.to_string()));
        if let Some(c) = &cursor {
            q.push(("cursor".into(), c.clone()));
        }
        let parsed = RecordQuery::parse(&def, &q, &def.parse)?;
        let page = list(&db, &admin, &def, &parsed)?;
        rows += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    if rows as i64 != CONTACTS {
        bail!("the native list read {rows} rows, not {CONTACTS}");
    }
    Ok(started.elapsed())
}

/// The export run natively: its time and size.
fn native_export(path: &Path, query: &[(String, String)], format: &str) -> anyhow::Result<(Duration, usize)> {
    let db = NativeDb::open(path)?;
    let admin = Caller::load(&db, 1)?;
    let mut q = query.to_vec();
    q.push(("format".into(), format.into()));
    let started = Instant::now();
    let mut export = Export::new(&db, &admin, "contacts", &q, Some("en"), crm_core::clock::now())?;
    let mut bytes = 0;
    while let Some(chunk) = export.next_chunk(&db)? {
        bytes += chunk.len();
    }
    if export.rows() as i64 != CONTACTS {
        bail!("the native export wrote {} rows", export.rows());
    }
    Ok((started.elapsed(), bytes))
}

struct Download {
    first_byte: Duration,
    total: Duration,
    bytes: usize,
}

/// One GET read to its end over a fresh connection: times to the first body byte and the last.
fn download(addr: &str, path: &str, token: &str) -> anyhow::Result<Download> {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut received = Vec::new();
    let mut first_byte = None;
    loop {
        let n = s.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        first_byte.get_or_insert_with(|| started.elapsed());
        received.extend_from_slice(&buffer[..n]);
    }
    let total = started.elapsed();
    let end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no response head")?;
    let head = String::from_utf8_lossy(&received[..end]).to_string();
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {head}");
    }
    if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        bail!("GET {path} was not streamed: {head}");
    }
    let body = dechunk(&received[end + 4..])?;
    let complete = if path.contains("format=xlsx") {
        body.windows(4).rev().take(64).any(|w| w == [0x50, 0x4b, 0x05, 0x06])
    } else {
        body.iter().filter(|b| **b == b'\n').count() as i64 == CONTACTS + 1
    };
    if !complete {
        bail!("GET {path}: the file is incomplete ({} bytes)", body.len());
    }
    Ok(Download {
        first_byte: first_byte.unwrap_or(total),
        total,
        bytes: body.len(),
    })
}

/// The payload of a chunked HTTP/1.1 body.
fn dechunk(mut rest: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").context("a chunk size")?;
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line])?.trim(), 16)?;
        rest = &rest[line + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(rest.get(..size).context("a short chunk")?);
        rest = &rest[size + 2..];
    }
}
