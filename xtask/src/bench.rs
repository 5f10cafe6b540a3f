//! `cargo xtask bench`: the runtime's figures, each beside a floor measured in the same run.
//!
//! - start-up: process start to the first `200` from `/api/health`, with a warm compile
//!   cache (after one throw-away start), on a new and on an existing database;
//! - throughput and latency with `wrk` at concurrency 1, 8 and 32 for 10 s each on
//!   `/api/health` (a wasm instance + SQLite) and a static file (a wasm instance + a
//!   mounted file), against the floor `/.well-known/spin/health`, answered by the
//!   runtime itself over the same HTTP stack without any instance;
//! - the native floor of the health check's database work (the migration runner's fast path:
//!   one statement reading the settings and the schema's fingerprint) with `crm-sqlite`, per call.
//!
//! - `GET /api/me` with a token against the anonymous 401, one login against native argon2id,
//!   and lists over a million rows per role ([`crate::acl_bench`]);
//! - the record engine over a million leads and contacts ([`crate::records_bench`]);
//! - deals and the kanban board over a million deals ([`crate::deals_bench`]);
//! - the web UI's screen times in chromium over a million leads ([`crate::ui_bench`]).
//!
//! It is not a test: nothing here passes or fails on a number.
//!
//! The generated databases are planned as a deployed one is: the app never runs `ANALYZE`, so
//! they keep the statistics the migrations ship (sql/0034) unless `CRM_BENCH_ANALYZE=1` measures
//! their own ([`statistics`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const SECONDS: u32 = 10;

pub fn run(root: &Path) -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("`wrk` is needed: apt-get install -y wrk");
    }
    crate::build_all(true)?;
    let state = root.join("target").join("bench-state");
    let _ = std::fs::remove_dir_all(&state);

    // Warm the compile cache, then measure starts that find it warm.
    let (host, _) = start_host(&state)?;
    stop(host);
    let _ = std::fs::remove_dir_all(&state);
    let (host, new_db) = start_host(&state)?;
    stop(host);
    let (host, existing_db) = start_host(&state)?;
    let addr = host.1.clone();

    println!("\n## crm-host benchmark ({} s per row, wrk)\n", SECONDS);
    println!(
        "start-up to first 200 on /api/health (warm compile cache): new database {new_db:?}, existing database {existing_db:?}"
    );
    let floor = native_health_floor(&state)?;
    println!(
        "native floor of the health check's database work (the migration runner's one-statement fast path on a reused connection): {floor:?} per call\n"
    );

    println!("| path | concurrency | req/s | p50 | p99 | req/s vs floor |");
    println!("|---|---|---|---|---|---|");
    for c in [1u32, 8, 32] {
        let floor = wrk(&addr, "/.well-known/spin/health", c)?;
        print_row("/.well-known/spin/health (floor, no wasm)", c, &floor, &floor);
        for path in ["/api/health", "/app.css"] {
            let r = wrk(&addr, path, c)?;
            print_row(path, c, &r, &floor);
        }
    }
    auth_figures(&addr)?;
    stop(host);
    crate::acl_bench::run(&state)?;

    // A trivial spin-sdk component (the test probe answering from memory): the runtime's own
    // per-request cost, comparable with other Spin engines' figures for a hello-world.
    let trivial = trivial_app(root, &state)?;
    let (host, _) = start_host_with(&trivial, &state.join("trivial"), "/counter")?;
    println!();
    println!("| trivial component | concurrency | req/s | p50 | p99 | req/s vs floor |");
    println!("|---|---|---|---|---|---|");
    for c in [1u32, 8, 32] {
        let floor = wrk(&host.1, "/.well-known/spin/health", c)?;
        let r = wrk(&host.1, "/counter", c)?;
        print_row("/counter", c, &r, &floor);
    }
    stop(host);
    crate::intake_bench::run(root)?;
    crate::orders_bench::run(root)?;
    crate::records_bench::run(root)?;
    crate::deals_bench::run(root)?;
    crate::deploy_bench::run(root)?;
    crate::ui_bench::run(root)
}

const BENCH_EMAIL: &str = "bench@example.com";
const BENCH_PASSWORD: &str = "swift otter lantern 2026";

/// `GET /api/me` with a Bearer token (token lookup + permissions) against the same request
/// with no credentials (401 after the same database open), and the cost of one login
/// against the native floor of one argon2id verification.
fn auth_figures(addr: &str) -> anyhow::Result<()> {
    let setup = request(
        addr,
        "POST",
        "/api/auth/setup",
        &[],
        Some(&format!(
            r#"{{"email":"{BENCH_EMAIL}","password":"{BENCH_PASSWORD}","name":"Bench"}}"#
        )),
    )?;
    let token = setup
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .with_context(|| format!("setup returned no token: {setup}"))?
        .to_string();
    println!();
    println!("| GET /api/me | concurrency | req/s | p50 | p99 | req/s vs anonymous |");
    println!("|---|---|---|---|---|---|");
    for c in [1u32, 8] {
        let anonymous = wrk_with(addr, "/api/me", c, &[])?;
        let authenticated = wrk_with(addr, "/api/me", c, &[format!("authorization: Bearer {token}")])?;
        print_row("anonymous (401)", c, &anonymous, &anonymous);
        print_row("Bearer token (200)", c, &authenticated, &anonymous);
    }
    let rounds = 20u32;
    let body = format!(r#"{{"email":"{BENCH_EMAIL}","password":"{BENCH_PASSWORD}"}}"#);
    let started = Instant::now();
    for _ in 0..rounds {
        let answer = request(addr, "POST", "/api/auth/login", &[], Some(&body))?;
        if !answer.starts_with("HTTP/1.1 200") {
            bail!("login failed: {answer}");
        }
    }
    let login = started.elapsed() / rounds;
    let hash = crm_core::auth::hash_password(BENCH_PASSWORD)?;
    let started = Instant::now();
    for _ in 0..5 {
        crm_core::auth::verify_password(BENCH_PASSWORD, &hash);
    }
    let native = started.elapsed() / 5;
    println!(
        "\none login (POST /api/auth/login, argon2id in wasm): {login:?}; native argon2id verify: {native:?}; ratio {:.2}",
        login.as_secs_f64() / native.as_secs_f64()
    );
    Ok(())
}

/// One HTTP/1.1 request; returns the whole response text.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: Option<&str>,
) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(&format!("{h}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    s.write_all(head.as_bytes())?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    Ok(response)
}

fn trivial_app(root: &Path, state: &Path) -> anyhow::Result<std::path::PathBuf> {
    let wasm = root.join("target/wasm32-wasip2/release/fixture_probe.wasm");
    let dir = state.join("trivial");
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"trivial\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"probe\"\n[component.probe]\nsource = {:?}\n",
            wasm.to_string_lossy()
        ),
    )?;
    Ok(manifest)
}

struct WrkResult {
    rps: f64,
    p50: String,
    p99: String,
}

fn print_row(path: &str, c: u32, r: &WrkResult, floor: &WrkResult) {
    println!(
        "| {path} | {c} | {:.0} | {} | {} | {:.2} |",
        r.rps,
        r.p50,
        r.p99,
        r.rps / floor.rps
    );
}

fn wrk(addr: &str, path: &str, connections: u32) -> anyhow::Result<WrkResult> {
    wrk_with(addr, path, connections, &[])
}

fn wrk_with(addr: &str, path: &str, connections: u32, headers: &[String]) -> anyhow::Result<WrkResult> {
    let threads = connections.min(2).to_string();
    let mut command = Command::new("wrk");
    for h in headers {
        command.args(["-H", h]);
    }
    let out = command
        .args([
            "-t",
            &threads,
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{SECONDS}s"),
            "--latency",
        ])
        .arg(format!("http://{addr}{path}"))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| "?".into())
    };
    if text.contains("Non-2xx") && !path.starts_with("/api/me") {
        eprintln!("warning: {path} answered non-2xx statuses:\n{text}");
    }
    Ok(WrkResult {
        rps: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
    })
}

/// A running crm-host and its address.
pub(crate) struct Host(Child, pub(crate) String);

/// Whether the generated databases get statistics (`CRM_BENCH_ANALYZE=1`).
pub(crate) fn analyzed() -> bool {
    std::env::var_os("CRM_BENCH_ANALYZE").is_some_and(|v| v == "1")
}

/// What a bench's heading says about the statistics.
pub(crate) fn statistics_label() -> &'static str {
    if analyzed() {
        "with ANALYZE (CRM_BENCH_ANALYZE=1)"
    } else {
        "with the shipped statistics, as a deployed database"
    }
}

/// Ends a generated database: `ANALYZE` of `tables` (all when empty) when `CRM_BENCH_ANALYZE=1`
/// (for comparison; a deployed database has only the statistics the migrations ship), then a
/// checkpoint.
pub(crate) fn statistics(conn: &rusqlite::Connection, tables: &[&str]) -> anyhow::Result<()> {
    let started = Instant::now();
    if analyzed() {
        if tables.is_empty() {
            conn.execute_batch("ANALYZE")?;
        }
        for table in tables {
            conn.execute_batch(&format!("ANALYZE \"{table}\""))?;
        }
        eprintln!("ANALYZE in {:.1} s", started.elapsed().as_secs_f64());
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// Starts crm-host on `spin.toml` and state dir `state`; returns once `/api/health` answers 200.
pub(crate) fn start_host(state: &Path) -> anyhow::Result<(Host, Duration)> {
    start_host_with(Path::new("spin.toml"), state, "/api/health")
}

/// The app's host with extra `crm-host up` flags (`--sqlite-connections fresh`...).
pub(crate) fn start_host_args(state: &Path, flags: &[&str]) -> anyhow::Result<(Host, Duration)> {
    start_host_full(
        &crate::host_binary(),
        Path::new("spin.toml"),
        state,
        "/api/health",
        flags,
    )
}

fn start_host_with(manifest: &Path, state: &Path, ready_path: &str) -> anyhow::Result<(Host, Duration)> {
    start_host_full(&crate::host_binary(), manifest, state, ready_path, &[])
}

pub(crate) fn start_host_full(
    binary: &Path,
    manifest: &Path,
    state: &Path,
    ready_path: &str,
    flags: &[&str],
) -> anyhow::Result<(Host, Duration)> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["up", "--listen", "127.0.0.1:0", "--quiet", "--from"])
        .arg(manifest)
        .arg("--state-dir")
        .arg(state)
        .args(flags)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting crm-host")?;
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
    let addr = line.trim().rsplit("//").next().unwrap_or_default().to_string();
    loop {
        if status_of(&addr, ready_path).unwrap_or(0) == 200 {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("crm-host did not answer 200 on {ready_path} within 30 s");
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok((Host(child, addr), started.elapsed()))
}

/// Stops the host (SIGTERM, graceful) and waits for it.
pub(crate) fn stop(mut host: Host) {
    let _ = Command::new("kill").args(["-TERM", &host.0.id().to_string()]).status();
    let _ = host.0.wait();
}

fn status_of(addr: &str, path: &str) -> anyhow::Result<u16> {
    let mut s = TcpStream::connect(addr)?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    Ok(response.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0))
}

/// The health check's database work done natively on one reused connection (as the
/// runtime's pool reuses them): settings check, migrations fast path, the query.
fn native_health_floor(state: &Path) -> anyhow::Result<Duration> {
    let db = crm_sqlite::NativeDb::open(state.join("sqlite_db.db"))?;
    crm_core::migrate::migrate(&db)?;
    let rounds = 5000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        crm_core::migrate::migrate(&db)?;
    }
    Ok(started.elapsed() / rounds)
}
