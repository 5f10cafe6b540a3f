//! `cargo xtask bench intake`: web-form submissions (`POST /f/<key>`, issue 6) beside their
//! native floor, measured in the same run. Nothing fails on a number.
//!
//! - **over HTTP**: `wrk` at concurrency 1, 8 and 32 posts JSON submissions (`Accept:
//!   application/json`), each with its own name, e-mail and phone (so every one makes a new
//!   lead, with its search row and channels) to a form without rate limits, on crm-host. Accepted
//!   submissions per second are counted in the database (log rows added / wrk's duration), the
//!   latency percentiles are wrk's;
//! - **the floor**: the SQL writes one accepted submission performs (the lead row, whose
//!   triggers write its full-text row, channels and `created` timeline entry; the log row, which
//!   carries the form's next round-robin turn),
//!   one transaction per submission, with prepared statements on a native rusqlite connection,
//!   over a copy of the same database (same migrations, same form), single-threaded and with as
//!   many threads as the concurrency (taking turns on a mutex, as SQLite has one writer); the
//!   verdict compares with the better of the two;
//! - **the engine natively**: the component's own database work (`migrate` fast path, the form
//!   by key, `intake::submit`) on a native connection that caches statements as crm-host's
//!   does, threads contending through SQLite's busy handler as the runtime's requests do, so
//!   the gap between HTTP and the floor splits into "engine" and "runtime + wasm";
//! - the floor and the engine single-threaded with the WAL auto-checkpoint off, to show what
//!   checkpointing inside COMMIT costs.
//!
//! A profile follows the table: the floor's statements timed one by one, the engine's
//! statements (reads and writes) counted and timed, and the runtime's own per-request cost
//! (`/.well-known/spin/health`, no wasm; `/api/health`, a wasm instance and a database open) on
//! the same host. The issue's targets: at least 2,000 submissions/s at concurrency 32 with p99
//! under 100 ms, and at least half the native floor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_core::intake::form::by_key;
use crm_core::intake::submit::{Incoming, Outcome, submit};
use crm_core::{Db, DbError, Nesting, Rows, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};

use crate::reliability::{Answer, request};

/// Seconds per wrk run.
const HTTP_SECONDS: u32 = 10;
/// Seconds per native run.
const NATIVE_SECONDS: u64 = 5;
/// Seconds per reference run (the runtime's own cost).
const REFERENCE_SECONDS: u32 = 5;
const CONCURRENCY: [u32; 3] = [1, 8, 32];
const TARGET_RPS: f64 = 2_000.0;
const TARGET_P99: Duration = Duration::from_millis(100);
const PASSWORD: &str = "swift otter lantern 2026";

/// The JSON body of submission `n` of run `run` by thread `thread` (the same shape wrk posts).
fn body(run: u32, thread: u32, n: u64) -> String {
    format!(
        r#"{{"name":"Bench {run}-{thread}-{n}","email":"p{run}-{thread}-{n}@bench.example","phone":"+7 9{run}{thread:02}{n:06}","message":"Please call me back about the spring offer"}}"#
    )
}

/// The wrk script: the same bodies as [`body`], one per request, unique per thread and run.
fn lua_script(run: u32) -> String {
    format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local body = string.format('{{"name":"Bench {run}-%d-%d","email":"p{run}-%d-%d@bench.example","phone":"+7 9{run}%02d%06d","message":"Please call me back about the spring offer"}}', tid, n, tid, n, tid, n)
  return wrk.format(nil, nil, nil, body)
end
"#
    )
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("`wrk` is needed: apt-get install -y wrk");
    }
    crate::build_all(true)?;
    let dir = root.join("target").join("bench-state").join("intake");
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.join("state");
    let template = dir.join("template.db");
    let db_path = state.join("sqlite_db.db");

    let (host, _) = crate::bench::start_host(&state)?;
    let measured = (|| {
        let (form_id, key) = set_up(&host.1)?;
        // The floor and the engine start from this copy: same migrations, users and form.
        rusqlite::Connection::open(&db_path)?.execute("VACUUM INTO ?", [template.to_string_lossy()])?;
        // VACUUM INTO writes a rollback-journal file; the app's database is WAL (sql/0001).
        rusqlite::Connection::open(&template)?.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        let mut http = Vec::new();
        for (run, c) in CONCURRENCY.into_iter().enumerate() {
            let before = submissions(&db_path, form_id)?;
            let result = wrk(
                &host.1,
                &format!("/f/{key}"),
                c,
                HTTP_SECONDS,
                Some(&lua_script(run as u32 + 1)),
            )?;
            let accepted = submissions(&db_path, form_id)? - before;
            http.push((result, accepted));
        }
        let mut reference = Vec::new();
        for path in ["/.well-known/spin/health", "/api/health"] {
            reference.push((path, wrk(&host.1, path, 32, REFERENCE_SECONDS, None)?));
        }
        anyhow::Ok((form_id, key, http, reference))
    })();
    crate::bench::stop(host);
    let (form_id, key, http, reference) = measured?;

    let mut native_tiers = Vec::new();
    for c in CONCURRENCY {
        let floor = native(&template, &dir, &format!("floor-{c}"), c, true, |p, t| {
            Floor::new(p, t, form_id)
        })
        .with_context(|| format!("the floor with {c} threads"))?;
        let engine = native(&template, &dir, &format!("engine-{c}"), c, false, |p, t| {
            Engine::new(p, t, &key)
        })
        .with_context(|| format!("the engine natively with {c} threads"))?;
        native_tiers.push((floor, engine));
    }
    let floor_1 = &native_tiers[0].0;
    let rows: Vec<_> = CONCURRENCY
        .into_iter()
        .zip(&http)
        .zip(&native_tiers)
        .map(|((c, http), (floor_n, engine))| (c, http, floor_1, floor_n, engine))
        .collect();

    println!(
        "\n## Web-form intake: POST /f/<key> beside its native floor (wrk {HTTP_SECONDS} s per row, native {NATIVE_SECONDS} s per tier)\n"
    );
    println!(
        "2 cores, shared with wrk (which drives the load from the same machine) and with other engineers' builds: figures move between runs.\n"
    );
    println!(
        "| concurrency | accepted/s (HTTP) | req/s (wrk) | p50 | p99 | floor req/s (1 thread / c threads) | engine natively req/s (c threads) | ratio to floor | verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (c, (wrk, accepted), floor_1, floor_n, engine) in &rows {
        let accepted_rps = *accepted as f64 / wrk.seconds;
        let floor = floor_1.rps().max(floor_n.rps());
        let ratio = accepted_rps / floor;
        let mut verdict = vec![mark(ratio >= 0.5, "≥ ½ floor")];
        if *c == 32 {
            verdict.push(mark(accepted_rps >= TARGET_RPS, "≥ 2,000/s"));
            verdict.push(mark(wrk.p99.is_some_and(|p| p < TARGET_P99), "p99 < 100 ms"));
        }
        println!(
            "| {c} | {accepted_rps:.0} | {:.0} | {} | {} | {:.0} / {:.0} | {:.0} | {ratio:.2} | {} |",
            wrk.rps,
            show(wrk.p50),
            show(wrk.p99),
            floor_1.rps(),
            floor_n.rps(),
            engine.rps(),
            verdict.join(", ")
        );
    }
    println!(
        "\nThe ratio is accepted/s over the better floor. Native latency per submission (p50 / p99; with c threads it includes waiting for the writer's turn):"
    );
    for (c, (wrk, _), floor_1, floor_n, engine) in &rows {
        println!(
            "- c={c}: floor 1 thread {} / {}; floor {c} threads {} / {}; engine {c} threads {} / {}{}{}",
            show(floor_1.p(0.50)),
            show(floor_1.p(0.99)),
            show(floor_n.p(0.50)),
            show(floor_n.p(0.99)),
            show(engine.p(0.50)),
            show(engine.p(0.99)),
            if engine.failed > 0 {
                format!(" ({} failed: database busy past the 5 s timeout)", engine.failed)
            } else {
                String::new()
            },
            if wrk.non_2xx > 0 || wrk.errors > 0 {
                format!(
                    "; over HTTP {} non-2xx answers, {} socket errors",
                    wrk.non_2xx, wrk.errors
                )
            } else {
                String::new()
            },
        );
    }

    println!("\n### Profile\n");
    let floor_profile = profile_floor(&template, &dir, form_id, true)?;
    let no_checkpoint = profile_floor(&template, &dir, form_id, false)?;
    let engine_profile = profile_engine(&template, &dir, &key, true)?;
    let engine_no_checkpoint = profile_engine(&template, &dir, &key, false)?;
    println!(
        "The floor's statements, single thread ({} submissions, one transaction each; mean per submission):\n",
        floor_profile.count
    );
    println!("| statement | mean |");
    println!("|---|---|");
    let mut floor_total = Duration::ZERO;
    for (label, spent) in &floor_profile.steps {
        let mean = *spent / floor_profile.count;
        floor_total += mean;
        println!("| {label} | {mean:?} |");
    }
    println!("| **all** | **{floor_total:?}** |");
    let commits = &floor_profile.commits;
    let slow: Vec<&Duration> = commits.iter().filter(|d| **d >= Duration::from_millis(1)).collect();
    let all: Duration = commits.iter().sum();
    let in_slow: Duration = slow.iter().copied().sum();
    println!(
        "\nCOMMIT: p50 {}, p99 {}; {} of {} commits took over 1 ms (the WAL auto-checkpoint, every 1,000 pages, which copies pages into the database and fsyncs) and hold {:.0}% of all commit time.",
        show(percentile(commits, 0.50)),
        show(percentile(commits, 0.99)),
        slow.len(),
        commits.len(),
        100.0 * in_slow.as_secs_f64() / all.as_secs_f64().max(1e-9),
    );
    println!(
        "Each submission appends {:.1} pages ({:.0} KiB) to the WAL. The same floor with the auto-checkpoint off (`wal_autocheckpoint=0`): {:.0} submissions/s against {:.0}/s with it.",
        no_checkpoint.wal_bytes as f64 / 4096.0 / no_checkpoint.count as f64,
        no_checkpoint.wal_bytes as f64 / 1024.0 / no_checkpoint.count as f64,
        no_checkpoint.count as f64 / no_checkpoint.elapsed.as_secs_f64(),
        floor_profile.count as f64 / floor_profile.elapsed.as_secs_f64(),
    );
    let floor_sql: Vec<String> = Floor::STATEMENTS.iter().map(|s| s.1.to_string()).collect();
    let engine_writes: Vec<String> = engine_profile
        .trace
        .iter()
        .filter(|(sql, failed)| is_write(sql) && !failed)
        .map(|(sql, _)| sql.clone())
        .collect();
    let same = same_multiset(&floor_sql, &engine_writes);
    println!(
        "\nThe floor's statements {} the engine's successful writes for one submission ({} of them; {} statements in all).",
        if same { "are exactly" } else { "DIFFER from" },
        engine_writes.len(),
        engine_profile.trace.len()
    );
    for (sql, _) in engine_profile.trace.iter().filter(|(_, failed)| *failed) {
        println!(
            "The engine also sends `{}`, which fails (a nested `transaction()`).",
            short(sql)
        );
    }
    if !same {
        for sql in &engine_writes {
            println!("  engine write: {sql}");
        }
    }
    let n = engine_profile.count;
    let sql_time = engine_profile.reads + engine_profile.writes;
    println!(
        "\nThe engine natively, single thread ({n} submissions, statements cached as crm-host caches them): {:?} per submission: {:?} in {} reads, {:?} in {} writes (with BEGIN/COMMIT), {:?} in Rust (parsing, validation, JSON).",
        engine_profile.total / n,
        engine_profile.reads / n,
        engine_profile.read_count,
        engine_profile.writes / n,
        engine_profile.write_count,
        engine_profile.total.saturating_sub(sql_time) / n,
    );
    println!(
        "It holds the write lock (BEGIN IMMEDIATE to the end of COMMIT) for {:?} per submission, which bounds any number of writers to {:.0} submissions/s; the floor holds it for {floor_total:?}. With the auto-checkpoint off, the engine natively takes {:.0} submissions/s (lock held {:?}) against {:.0}/s.",
        engine_profile.locked / n,
        n as f64 / engine_profile.locked.as_secs_f64(),
        n as f64 / engine_no_checkpoint.total.as_secs_f64(),
        engine_no_checkpoint.locked / n,
        n as f64 / engine_profile.total.as_secs_f64(),
    );
    println!("\nThe engine's costliest statements (mean per submission):\n");
    println!("| statement | calls | mean |");
    println!("|---|---|---|");
    let mut by_time: Vec<_> = engine_profile.by_statement.iter().collect();
    by_time.sort_by_key(|(_, (_, spent))| std::cmp::Reverse(*spent));
    for (sql, (calls, spent)) in by_time.into_iter().take(10) {
        println!("| `{}` | {} | {:?} |", short(sql), calls / n, *spent / n);
    }
    println!("\nThe runtime's own cost on the same host, concurrency 32 ({REFERENCE_SECONDS} s each):\n");
    println!("| path | req/s | p50 | p99 |");
    println!("|---|---|---|---|");
    for (path, r) in &reference {
        println!("| {path} | {:.0} | {} | {} |", r.rps, show(r.p50), show(r.p99));
    }
    let _ = std::fs::remove_dir_all(dir.join("native"));
    Ok(())
}

fn percentile(sorted_or_not: &[Duration], q: f64) -> Option<Duration> {
    let mut sorted = sorted_or_not.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len().checked_sub(1)?);
    Some(sorted[i])
}

fn mark(ok: bool, what: &str) -> String {
    format!("{} {what}", if ok { "✓" } else { "✗" })
}

fn show(d: Option<Duration>) -> String {
    match d {
        Some(d) if d >= Duration::from_millis(1) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.0} µs", d.as_secs_f64() * 1e6),
        None => "?".into(),
    }
}

fn short(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 90 {
        format!("{}…", one_line.chars().take(90).collect::<String>())
    } else {
        one_line
    }
}

fn is_write(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    ["INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT"]
        .iter()
        .any(|w| head.starts_with(w))
}

fn same_multiset(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// Log rows of the form so far (read natively while the host runs; WAL lets both read).
fn submissions(db: &Path, form_id: i64) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open(db)?;
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM form_submissions WHERE form_id = ? AND outcome = 'accepted'",
        [form_id],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// The administrator and a form without rate limits: `(form id, public key)`.
fn set_up(addr: &str) -> anyhow::Result<(i64, String)> {
    let setup = request(
        addr,
        "POST",
        "/api/auth/setup",
        &[],
        Some(&format!(
            r#"{{"email":"intake-bench@example.com","password":"{PASSWORD}","name":"Bench"}}"#
        )),
    )?;
    let token = json_of(&setup)?["token"]
        .as_str()
        .with_context(|| format!("setup returned no token: {}", setup.body))?
        .to_string();
    let form = serde_json::json!({
        "name": "Contact us",
        "fields": [
            {"name": "name", "target": "name", "label": {"en": "Name"}, "required": true},
            {"name": "email", "target": "email", "label": {"en": "E-mail"}},
            {"name": "phone", "target": "phone", "label": {"en": "Phone"}}
        ],
        "responsible_ids": [1],
        "ip_limit_per_minute": 0,
        "form_limit_per_minute": 0
    });
    let created = request(
        addr,
        "POST",
        "/api/forms",
        &[&format!("authorization: Bearer {token}")],
        Some(&form.to_string()),
    )?;
    let created = json_of(&created)?;
    Ok((
        created["id"].as_i64().with_context(|| format!("no form: {created}"))?,
        created["public_key"].as_str().context("public key")?.to_string(),
    ))
}

fn json_of(answer: &Answer) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(&answer.body).with_context(|| format!("{}: not JSON: {}", answer.status, answer.body))
}

/// One wrk run.
struct WrkResult {
    rps: f64,
    seconds: f64,
    p50: Option<Duration>,
    p99: Option<Duration>,
    non_2xx: u64,
    errors: u64,
}

fn wrk(addr: &str, path: &str, connections: u32, seconds: u32, script: Option<&str>) -> anyhow::Result<WrkResult> {
    let mut command = Command::new("wrk");
    command.args([
        "-t",
        &connections.min(2).to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--timeout",
        "10s",
        "--latency",
    ]);
    let script_file = std::env::temp_dir().join(format!("intake-bench-{}.lua", std::process::id()));
    if let Some(script) = script {
        std::fs::write(&script_file, script)?;
        command.arg("-s").arg(&script_file);
    }
    let out = command.arg(format!("http://{addr}{path}")).output()?;
    let _ = std::fs::remove_file(&script_file);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
    };
    // "12345 requests in 10.00s, 3.21MB read"
    let seconds = text
        .lines()
        .find_map(|l| l.split(" requests in ").nth(1))
        .and_then(|rest| rest.split('s').next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(seconds as f64);
    let errors = field("Socket errors:")
        .map(|e| {
            e.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Ok(WrkResult {
        rps: field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(0.0),
        seconds,
        p50: field("50%").and_then(|v| duration_of(&v)),
        p99: field("99%").and_then(|v| duration_of(&v)),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        errors,
    })
}

/// wrk's `1.23ms`, `950.00us`, `1.20s`.
fn duration_of(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// What one native tier measured.
struct Tier {
    count: u64,
    /// Submissions that failed (e.g. the database stayed busy past the 5 s timeout).
    failed: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Tier {
    fn rps(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn p(&self, q: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let i = ((self.latencies.len() as f64 * q) as usize).min(self.latencies.len() - 1);
        Some(self.latencies[i])
    }
}

/// One way to take a submission natively (each thread has its own).
trait Worker {
    /// Takes submission `n`; `Err` if it was not accepted.
    fn take(&mut self, n: u64) -> anyhow::Result<()>;
}

/// A fresh copy of the template for one tier.
fn copy_of(template: &Path, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let native = dir.join("native");
    std::fs::create_dir_all(&native)?;
    let path = native.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(template, &path)?;
    Ok(path)
}

/// Runs `threads` workers on a copy of the template for [`NATIVE_SECONDS`].
fn native<W: Worker>(
    template: &Path,
    dir: &Path,
    name: &str,
    threads: u32,
    serialize: bool,
    make: impl Fn(&Path, u32) -> anyhow::Result<W> + Sync,
) -> anyhow::Result<Tier> {
    let path = copy_of(template, dir, name)?;
    let stop = AtomicBool::new(false);
    // SQLite takes one writer at a time; its busy handler makes the others sleep and poll, and
    // with many threads on two cores some starve past the 5 s busy timeout. With `serialize`
    // the threads take turns on a mutex instead, as a native server would queue its writers.
    let writer = Mutex::new(());
    let started = Instant::now();
    let results: Vec<anyhow::Result<(Vec<Duration>, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (path, stop, make, writer) = (&path, &stop, &make, &writer);
                scope.spawn(move || {
                    let mut worker = make(path, t)?;
                    let mut latencies = Vec::new();
                    let mut failed = 0;
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let one = Instant::now();
                        let turn = serialize.then(|| writer.lock().unwrap_or_else(|e| e.into_inner()));
                        let taken = worker.take(n);
                        drop(turn);
                        match taken {
                            Ok(()) => latencies.push(one.elapsed()),
                            Err(_) => failed += 1,
                        }
                    }
                    anyhow::Ok((latencies, failed))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(NATIVE_SECONDS));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("worker panicked"))))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for r in results {
        let (l, f) = r?;
        latencies.extend(l);
        failed += f;
    }
    latencies.sort();
    Ok(Tier {
        count: latencies.len() as u64,
        failed,
        elapsed,
        latencies,
    })
}

/// The per-connection settings `crm_core::migrate` gives every connection.
fn connect(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The floor: only the writes one accepted submission performs, values precomputed.
struct Floor {
    conn: rusqlite::Connection,
    thread: u32,
    form_id: i64,
    /// Per step, time spent (profiling only).
    steps: Option<BTreeMap<usize, Duration>>,
    /// Each COMMIT's time (profiling only).
    commits: Vec<Duration>,
}

impl Floor {
    /// The statements, in order, with a label for the profile.
    const STATEMENTS: [(&'static str, &'static str); 4] = [
        ("BEGIN IMMEDIATE", "BEGIN IMMEDIATE"),
        (
            "lead row (its triggers write the search, channel and timeline rows)",
            "INSERT INTO leads (title, first_name, last_name, status, source, source_description, phones, emails, comments, responsible_id, opened, custom, version, created_at, updated_at, created_by, updated_by, search_body, channel_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ),
        (
            "log row",
            "INSERT INTO form_submissions (form_id, received_at, outcome, reason, content_type, payload, ip, user_agent, page_url, referrer, utm, consent, submission_key, lead_id, contact_id, deal_id, matched_entity, matched_id, activity_id, next_turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ),
        ("COMMIT", "COMMIT"),
    ];

    fn new(path: &Path, thread: u32, form_id: i64) -> anyhow::Result<Floor> {
        Ok(Floor {
            conn: connect(path)?,
            thread,
            form_id,
            steps: None,
            commits: Vec::new(),
        })
    }

    fn step(&mut self, i: usize, params: &[SqlValue]) -> anyhow::Result<()> {
        let started = self.steps.as_ref().map(|_| Instant::now());
        self.conn
            .prepare_cached(Self::STATEMENTS[i].1)?
            .execute(rusqlite::params_from_iter(params))?;
        if let (Some(steps), Some(started)) = (self.steps.as_mut(), started) {
            let spent = started.elapsed();
            *steps.entry(i).or_default() += spent;
            if i == Self::STATEMENTS.len() - 1 {
                self.commits.push(spent);
            }
        }
        Ok(())
    }

    fn write(&mut self, n: u64) -> anyhow::Result<()> {
        let (run, t) = (9, self.thread);
        let name = format!("Bench {run}-{t}-{n}");
        let email = format!("p{run}-{t}-{n}@bench.example");
        let phone = format!("+7 9{run}{t:02}{n:06}");
        let e164 = format!("+79{run}{t:02}{n:06}");
        let digits = &e164[1..];
        let now = crm_core::clock::now();
        let text = |s: &str| SqlValue::Text(s.to_string());
        let int = SqlValue::Integer;
        self.step(0, &[])?;
        self.step(
            1,
            &[
                text(&format!("Contact us: {name}")),
                text("Bench"),
                text(&format!("{run}-{t}-{n}")),
                text("NEW"),
                text("WEBFORM"),
                text("Web form \"Contact us\""),
                text(&format!(
                    r#"[{{"value":"{phone}","type":"work","normalized":"{e164}"}}]"#
                )),
                text(&format!(
                    r#"[{{"value":"{email}","type":"work","normalized":"{email}"}}]"#
                )),
                text("Please call me back about the spring offer"),
                int(1),
                int(0),
                text("{}"),
                int(1),
                int(now),
                int(now),
                int(1),
                int(1),
                text(&format!("Contact us: {name} {name} {digits} {} {email}", &digits[1..])),
                text(&format!(r#"[["email","{email}"],["phone","{e164}"]]"#)),
            ],
        )?;
        let lead = self.conn.last_insert_rowid();
        self.step(
            2,
            &[
                int(self.form_id),
                int(now),
                text("accepted"),
                SqlValue::Null,
                text("application/json"),
                text(&body(run, t, n)),
                text("127.0.0.1"),
                SqlValue::Null,
                SqlValue::Null,
                SqlValue::Null,
                text("{}"),
                SqlValue::Null,
                SqlValue::Null,
                int(lead),
                SqlValue::Null,
                SqlValue::Null,
                SqlValue::Null,
                SqlValue::Null,
                SqlValue::Null,
                int(0),
            ],
        )?;
        self.step(3, &[])
    }
}

impl Worker for Floor {
    fn take(&mut self, n: u64) -> anyhow::Result<()> {
        let result = self.write(n);
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }
}

/// A native connection shaped like crm-host's: statements prepared once and cached. With
/// `trace`, every statement is timed and the first submission's statements are kept.
struct CachedDb {
    conn: rusqlite::Connection,
    nesting: Nesting,
    trace: Option<std::cell::RefCell<Trace>>,
}

#[derive(Default)]
struct Trace {
    recording: bool,
    statements: Vec<(String, bool)>,
    by_statement: BTreeMap<String, (u32, Duration)>,
    reads: Duration,
    writes: Duration,
    read_count: u32,
    write_count: u32,
    /// When the current write transaction took the lock, and the time it was held in all.
    locked_since: Option<Instant>,
    locked: Duration,
}

impl Db for CachedDb {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        let started = Instant::now();
        let rows = self.run(sql, params);
        if let Some(trace) = &self.trace {
            let spent = started.elapsed();
            let mut trace = trace.borrow_mut();
            let entry = trace.by_statement.entry(sql.to_string()).or_default();
            entry.0 += 1;
            entry.1 += spent;
            if is_write(sql) || sql.starts_with("ROLLBACK") {
                trace.writes += spent;
                trace.write_count += 1;
            } else {
                trace.reads += spent;
                trace.read_count += 1;
            }
            if trace.recording {
                trace.statements.push((sql.to_string(), rows.is_err()));
            }
            if sql == "BEGIN IMMEDIATE" && rows.is_ok() {
                trace.locked_since = Some(started);
            } else if (sql == "COMMIT" || sql == "ROLLBACK")
                && let Some(since) = trace.locked_since.take()
            {
                trace.locked += since.elapsed();
            }
        }
        rows
    }

    fn nesting(&self) -> &Nesting {
        &self.nesting
    }
}

impl CachedDb {
    fn run(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(db_error)?;
        let columns: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
        let params = params.iter().map(|p| match p {
            Value::Null => SqlValue::Null,
            Value::Integer(i) => SqlValue::Integer(*i),
            Value::Real(f) => SqlValue::Real(*f),
            Value::Text(s) => SqlValue::Text(s.clone()),
            Value::Blob(b) => SqlValue::Blob(b.clone()),
        });
        let mut cursor = statement.query(rusqlite::params_from_iter(params)).map_err(db_error)?;
        let mut rows = Vec::new();
        while let Some(row) = cursor.next().map_err(db_error)? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(match row.get_ref(i).map_err(db_error)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            rows.push(values);
        }
        Ok(Rows { columns, rows })
    }
}

fn db_error(e: rusqlite::Error) -> DbError {
    DbError::from_message(e.to_string())
}

/// The component's database work natively: what `components/intake` does per request.
struct Engine {
    db: CachedDb,
    key: String,
    thread: u32,
}

impl Engine {
    fn new(path: &Path, thread: u32, key: &str) -> anyhow::Result<Engine> {
        // No pragmas here: `crm_core::migrate` sets them, as in the component. The statement
        // cache is as large as crm-host's (a submission uses about 30 distinct statements).
        let conn = rusqlite::Connection::open(path)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Engine {
            db: CachedDb {
                conn,
                nesting: Nesting::new(),
                trace: None,
            },
            key: key.to_string(),
            thread,
        })
    }
}

impl Worker for Engine {
    fn take(&mut self, n: u64) -> anyhow::Result<()> {
        crm_core::migrate(&self.db)?;
        let form = by_key(&self.db, &self.key)?.filter(|f| f.active).context("no form")?;
        let body = body(8, self.thread, n);
        let incoming = Incoming {
            content_type: Some("application/json"),
            body: body.as_bytes(),
            ip: Some("127.0.0.1"),
            ..Incoming::default()
        };
        match submit(&self.db, &form, &incoming, crm_core::clock::now())? {
            Outcome::Accepted { replayed: false, .. } => Ok(()),
            other => bail!("submission {n} was not accepted: {other:?}"),
        }
    }
}

/// The floor single-threaded with every statement timed.
struct FloorProfile {
    count: u32,
    elapsed: Duration,
    steps: Vec<(String, Duration)>,
    commits: Vec<Duration>,
    wal_bytes: u64,
}

/// Submissions per profiling pass.
const PROFILED: u32 = 3_000;

fn profile_floor(template: &Path, dir: &Path, form_id: i64, autocheckpoint: bool) -> anyhow::Result<FloorProfile> {
    let name = if autocheckpoint {
        "floor-profile"
    } else {
        "floor-no-checkpoint"
    };
    let path = copy_of(template, dir, name)?;
    let mut floor = Floor::new(&path, 0, form_id)?;
    if !autocheckpoint {
        floor.conn.execute_batch("PRAGMA wal_autocheckpoint=0")?;
    }
    floor.steps = Some(BTreeMap::new());
    let started = Instant::now();
    for n in 1..=PROFILED {
        floor.take(n.into())?;
    }
    let elapsed = started.elapsed();
    let wal_bytes = std::fs::metadata(format!("{}-wal", path.display()))
        .map(|m| m.len())
        .unwrap_or(0);
    let steps = floor.steps.take().unwrap_or_default();
    Ok(FloorProfile {
        count: PROFILED,
        elapsed,
        steps: steps
            .into_iter()
            .map(|(i, spent)| (Floor::STATEMENTS[i].0.to_string(), spent))
            .collect(),
        commits: std::mem::take(&mut floor.commits),
        wal_bytes,
    })
}

/// The engine single-threaded with every statement timed.
struct EngineProfile {
    count: u32,
    total: Duration,
    /// One submission's statements, and whether each failed.
    trace: Vec<(String, bool)>,
    by_statement: BTreeMap<String, (u32, Duration)>,
    reads: Duration,
    writes: Duration,
    read_count: u32,
    write_count: u32,
    /// The write lock held (BEGIN IMMEDIATE to the end of COMMIT), in all.
    locked: Duration,
}

fn profile_engine(template: &Path, dir: &Path, key: &str, autocheckpoint: bool) -> anyhow::Result<EngineProfile> {
    let name = if autocheckpoint {
        "engine-profile"
    } else {
        "engine-no-checkpoint"
    };
    let path = copy_of(template, dir, name)?;
    let mut engine = Engine::new(&path, 0, key)?;
    if !autocheckpoint {
        engine.db.conn.execute_batch("PRAGMA wal_autocheckpoint=0")?;
    }
    engine.take(0)?; // warm the statement cache
    engine.db.trace = Some(std::cell::RefCell::new(Trace {
        recording: true,
        ..Trace::default()
    }));
    let started = Instant::now();
    for n in 1..=PROFILED {
        engine.take(n.into())?;
        if n == 1
            && let Some(trace) = &engine.db.trace
        {
            trace.borrow_mut().recording = false;
        }
    }
    let total = started.elapsed();
    let trace = engine.db.trace.take().context("trace")?.into_inner();
    Ok(EngineProfile {
        count: PROFILED,
        total,
        trace: trace.statements,
        by_statement: trace.by_statement,
        reads: trace.reads,
        writes: trace.writes,
        read_count: trace.read_count / PROFILED,
        write_count: trace.write_count / PROFILED,
        locked: trace.locked,
    })
}
