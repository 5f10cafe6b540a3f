//! `cargo xtask reliability`: issue 6's promise that a web-form submission answered 2xx is
//! stored, once, even when the runtime dies in the middle of a load.
//!
//! It starts `target/release/crm-host` on a fresh state dir, creates the administrator and a
//! form without rate limits, then sends 10,000 JSON submissions from 16 client threads (std
//! `TcpStream`, one connection per request, `Accept: application/json`). Each submission carries
//! its own `submission_id`, also posted as the person's name so its lead can be found. After
//! 3,000 are acknowledged the runtime is killed with SIGKILL (no graceful shutdown: requests in
//! flight are cut mid-way) and started again on the same state dir and, if it can be bound, the
//! same address. Clients carry on; one whose request failed (connection refused or reset, a
//! 5xx) retries the SAME `submission_id`, as a form tool would. At the end the runtime is killed
//! with SIGKILL once more, and the SQLite file is read natively: every acknowledged submission
//! must have exactly one `form_submissions` row (by `submission_key`) and exactly one lead.
//! Exits non-zero if any is missing or doubled.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// What a run does.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Submissions in all (each with its own `submission_id`).
    pub submissions: usize,
    /// Concurrent client threads.
    pub clients: usize,
    /// The runtime is killed once this many submissions are acknowledged.
    pub kill_after: usize,
}

/// The full run: 10,000 submissions, 16 clients, SIGKILL after 3,000.
pub const FULL: Plan = Plan {
    submissions: 10_000,
    clients: 16,
    kill_after: 3_000,
};

/// How long one submission may keep failing before its client gives up on it.
const GIVE_UP: Duration = Duration::from_secs(60);
/// Pause between attempts of a submission that failed.
const BACKOFF: Duration = Duration::from_millis(20);

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(false)?;
    let state = root.join("target").join("reliability-state");
    let _ = std::fs::remove_dir_all(&state);
    let report = run_plan(&state, FULL)?;
    report.print(FULL);
    if report.lost > 0 || report.duplicated > 0 || report.acknowledged < FULL.submissions {
        bail!(
            "{} acknowledged submissions lost, {} duplicated, {} of {} never acknowledged",
            report.lost,
            report.duplicated,
            FULL.submissions - report.acknowledged,
            FULL.submissions
        );
    }
    Ok(())
}

/// A running crm-host: the process and its address.
struct Runtime {
    child: Child,
    addr: String,
}

impl Runtime {
    /// Starts crm-host on `state`, listening on `listen` (`127.0.0.1:0` for any port), and
    /// returns once `/api/health` answers 200.
    fn start(state: &Path, listen: &str) -> anyhow::Result<Runtime> {
        let started = Instant::now();
        let mut child = Command::new(crate::host_binary())
            .args([
                "up",
                "--quiet",
                "--listen",
                listen,
                "--from",
                "spin.toml",
                "--state-dir",
            ])
            .arg(state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting crm-host")?;
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("Serving http://").map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("crm-host did not start on {listen}: {line:?}");
        };
        let runtime = Runtime { child, addr };
        while request(&runtime.addr, "GET", "/api/health", &[], None)
            .ok()
            .map(|r| r.status)
            != Some(200)
        {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("crm-host did not answer 200 on /api/health within 30 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(runtime)
    }

    /// SIGKILL (`Child::kill` on Unix): no signal handler, no graceful drain, no checkpoint.
    fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer: status, whether it replays an earlier answer, the body.
#[derive(Debug, PartialEq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) replayed: bool,
    pub(crate) body: String,
    /// `crm-host-sql-statements` (a host started with `--report-sql-statements`).
    pub(crate) statements: Option<u32>,
    /// `Server-Timing`'s durations by name (`instantiate`, `sql`, `total`), from the same host.
    pub(crate) timing: Vec<(String, Duration)>,
}

/// One HTTP/1.1 request on a new connection (`Connection: close`).
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or_default());
    stream.write_all(head.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("no HTTP status in {response:?}"),
        )
    })?;
    let header = |name: &str, value: &str| {
        head.lines()
            .any(|l| l.to_ascii_lowercase().replace(' ', "") == format!("{name}:{value}"))
    };
    let body = if header("transfer-encoding", "chunked") {
        dechunk(body).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("a chunked body cut short: {body:?}"),
            )
        })?
    } else {
        body.to_string()
    };
    let statements = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("crm-host-sql-statements")
            .then(|| value.trim().parse().ok())?
    });
    let timing = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("server-timing"))
        .map(|(_, value)| server_timing(value))
        .unwrap_or_default();
    Ok(Answer {
        status,
        replayed: header("idempotent-replayed", "true"),
        body,
        statements,
        timing,
    })
}

/// The named durations of a `Server-Timing` value (`sql;dur=0.412;desc="2 statements", ...`).
fn server_timing(value: &str) -> Vec<(String, Duration)> {
    value
        .split(',')
        .filter_map(|metric| {
            let mut parts = metric.split(';').map(str::trim);
            let name = parts.next()?.to_string();
            let ms: f64 = parts.find_map(|p| p.strip_prefix("dur="))?.parse().ok()?;
            Some((name, Duration::from_secs_f64(ms / 1e3)))
        })
        .collect()
}

/// A `Transfer-Encoding: chunked` body's content; `None` unless it ends with the last chunk.
fn dechunk(mut rest: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// The administrator's token and a form without rate limits: `(form id, public key)`.
fn set_up(addr: &str) -> anyhow::Result<(i64, String)> {
    let setup = request(
        addr,
        "POST",
        "/api/auth/setup",
        &[],
        Some(r#"{"email":"reliability@example.com","password":"swift otter lantern 2026","name":"Reliability"}"#),
    )?;
    if setup.status != 201 {
        bail!("setup answered {}: {}", setup.status, setup.body);
    }
    let token: serde_json::Value = serde_json::from_str(&setup.body)?;
    let token = token["token"].as_str().context("setup returned no token")?;
    let form = serde_json::json!({
        "name": "Reliability",
        "fields": [{"name": "name", "target": "name", "label": {"en": "Name"}, "required": true}],
        "responsible_ids": [1],
        "duplicates": "repeat",
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
    if created.status != 201 {
        bail!("creating the form answered {}: {}", created.status, created.body);
    }
    let created: serde_json::Value = serde_json::from_str(&created.body)?;
    Ok((
        created["id"].as_i64().context("form id")?,
        created["public_key"].as_str().context("public key")?.to_string(),
    ))
}

/// What happened to one submission, as its client saw it.
#[derive(Debug, Default, Clone)]
struct Fate {
    /// Answered 2xx (finally).
    acknowledged: bool,
    /// Requests sent for it.
    attempts: u32,
    /// Its 2xx said it replays an earlier answer (stored before a failure the client saw).
    replayed: bool,
}

/// What the clients share: where the runtime is, the next submission, how many were answered.
struct Shared {
    addr: RwLock<String>,
    next: AtomicUsize,
    acknowledged: AtomicUsize,
    /// Attempts that ended in a connection error (refused, reset, cut short).
    connection_errors: AtomicUsize,
    /// Attempts answered with a status that is not 2xx.
    error_statuses: AtomicUsize,
}

/// The submission id of submission `i`.
fn submission_id(i: usize) -> String {
    format!("rel-{i:06}")
}

/// Sends submission `i` until it is answered 2xx (or [`GIVE_UP`] passes).
fn submit_one(shared: &Shared, key: &str, i: usize) -> Fate {
    let id = submission_id(i);
    let body = serde_json::json!({"name": id, "submission_id": id, "note": "load"}).to_string();
    let path = format!("/f/{key}");
    let started = Instant::now();
    let mut fate = Fate::default();
    while started.elapsed() < GIVE_UP {
        fate.attempts += 1;
        let addr = shared.addr.read().unwrap_or_else(|e| e.into_inner()).clone();
        match request(&addr, "POST", &path, &["accept: application/json"], Some(&body)) {
            Ok(answer) if (200..300).contains(&answer.status) && answer.body.contains("\"accepted\"") => {
                fate.acknowledged = true;
                fate.replayed = answer.replayed;
                shared.acknowledged.fetch_add(1, Ordering::SeqCst);
                return fate;
            }
            Ok(_) => {
                shared.error_statuses.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                shared.connection_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        std::thread::sleep(BACKOFF);
    }
    fate
}

/// The counts a run ends with.
#[derive(Debug, Default)]
pub struct Report {
    /// Submissions answered 2xx.
    pub acknowledged: usize,
    /// Submissions sent more than once.
    pub retried: usize,
    /// Retries answered as replays: stored before the kill, the first answer lost with it.
    pub replayed: usize,
    /// Acknowledged submissions without a log row or without a lead.
    pub lost: usize,
    /// Submissions with more than one log row or more than one lead.
    pub duplicated: usize,
    /// Log rows of the form in the database.
    pub rows: usize,
    /// Leads in the database.
    pub leads: usize,
    /// Acknowledged when the runtime was killed.
    pub acknowledged_at_kill: usize,
    /// Failed attempts: connection errors and non-2xx statuses.
    pub connection_errors: usize,
    /// Attempts answered with a non-2xx status.
    pub error_statuses: usize,
    /// From the kill to the new runtime answering `/api/health`.
    pub downtime: Duration,
    /// Whether the new runtime got the old address back.
    pub same_address: bool,
    /// The whole load.
    pub elapsed: Duration,
}

impl Report {
    /// The report as markdown.
    pub fn print(&self, plan: Plan) {
        println!(
            "\n## Reliability: {} web-form submissions, {} clients, SIGKILL after {} acknowledged\n",
            plan.submissions, plan.clients, plan.kill_after
        );
        println!("| | count |");
        println!("|---|---|");
        println!("| submissions sent | {} |", plan.submissions);
        println!("| acknowledged (2xx) | {} |", self.acknowledged);
        println!("| acknowledged when killed | {} |", self.acknowledged_at_kill);
        println!(
            "| failed attempts: connection errors / non-2xx | {} / {} |",
            self.connection_errors, self.error_statuses
        );
        println!("| retried (same submission_id sent again) | {} |", self.retried);
        println!(
            "| of those, answered as a replay (stored before the kill, answer lost) | {} |",
            self.replayed
        );
        println!(
            "| form_submissions rows / leads in the database | {} / {} |",
            self.rows, self.leads
        );
        println!("| **lost** (acknowledged, not stored once) | **{}** |", self.lost);
        println!("| **duplicated** (stored more than once) | **{}** |", self.duplicated);
        println!(
            "\nruntime down for {:?} (SIGKILL to the restarted runtime's first 200, {}); load took {:?} in all",
            self.downtime,
            if self.same_address {
                "same address"
            } else {
                "new address"
            },
            self.elapsed
        );
    }
}

/// Runs `plan` against a new runtime on `state` (which must not hold a database yet).
pub fn run_plan(state: &Path, plan: Plan) -> anyhow::Result<Report> {
    let runtime = Runtime::start(state, "127.0.0.1:0")?;
    let (form_id, key) = match set_up(&runtime.addr) {
        Ok(form) => form,
        Err(e) => {
            runtime.kill_hard();
            return Err(e);
        }
    };
    let shared = Shared {
        addr: RwLock::new(runtime.addr.clone()),
        next: AtomicUsize::new(0),
        acknowledged: AtomicUsize::new(0),
        connection_errors: AtomicUsize::new(0),
        error_statuses: AtomicUsize::new(0),
    };
    let started = Instant::now();
    let mut report = Report::default();
    let (fates, runtime) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..plan.clients)
            .map(|_| {
                scope.spawn(|| {
                    let mut fates = Vec::new();
                    loop {
                        let i = shared.next.fetch_add(1, Ordering::SeqCst);
                        if i >= plan.submissions {
                            return fates;
                        }
                        fates.push((i, submit_one(&shared, &key, i)));
                    }
                })
            })
            .collect();
        let restarted = (|| {
            while shared.acknowledged.load(Ordering::SeqCst) < plan.kill_after {
                if clients.iter().all(|c| c.is_finished()) {
                    bail!("the clients finished before {} were acknowledged", plan.kill_after);
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            let addr = runtime.addr.clone();
            report.acknowledged_at_kill = shared.acknowledged.load(Ordering::SeqCst);
            let killed = Instant::now();
            runtime.kill_hard();
            let (restarted, same) = match Runtime::start(state, &addr) {
                Ok(r) => (r, true),
                Err(_) => (Runtime::start(state, "127.0.0.1:0")?, false),
            };
            report.downtime = killed.elapsed();
            report.same_address = same;
            *shared.addr.write().unwrap_or_else(|e| e.into_inner()) = restarted.addr.clone();
            Ok(restarted)
        })();
        let fates: Vec<(usize, Fate)> = clients.into_iter().flat_map(|c| c.join().unwrap_or_default()).collect();
        (fates, restarted)
    });
    report.elapsed = started.elapsed();
    // The end is a hard kill too: what was acknowledged must already be in the file.
    runtime?.kill_hard();
    report.connection_errors = shared.connection_errors.load(Ordering::SeqCst);
    report.error_statuses = shared.error_statuses.load(Ordering::SeqCst);
    verify(&state.join("sqlite_db.db"), form_id, &fates, &mut report)?;
    Ok(report)
}

/// Reads the database natively and counts what every submission left behind.
fn verify(db: &Path, form_id: i64, fates: &[(usize, Fate)], report: &mut Report) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let mut logged: HashMap<String, (usize, Option<i64>)> = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT submission_key, count(*), max(lead_id) FROM form_submissions WHERE form_id = ? GROUP BY submission_key",
    )?;
    let mut rows = statement.query([form_id])?;
    while let Some(row) = rows.next()? {
        let key: Option<String> = row.get(0)?;
        let count: i64 = row.get(1)?;
        report.rows += count as usize;
        logged.insert(key.unwrap_or_default(), (count as usize, row.get(2)?));
    }
    let mut leads: HashMap<String, Vec<i64>> = HashMap::new();
    let mut statement = conn.prepare("SELECT id, first_name FROM leads")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let name: Option<String> = row.get(1)?;
        leads.entry(name.unwrap_or_default()).or_default().push(row.get(0)?);
        report.leads += 1;
    }
    for (i, fate) in fates {
        let id = submission_id(*i);
        let log = logged.get(&id).copied().unwrap_or((0, None));
        let found = leads.get(&id).map(Vec::as_slice).unwrap_or_default();
        if fate.attempts > 1 {
            report.retried += 1;
            report.replayed += usize::from(fate.replayed);
        }
        if log.0 > 1 || found.len() > 1 {
            report.duplicated += 1;
        }
        if fate.acknowledged {
            report.acknowledged += 1;
            // Its log row must name its lead: a row pointing elsewhere counts as lost too.
            let linked = found.iter().any(|lead| log.1 == Some(*lead));
            if log.0 == 0 || !linked {
                report.lost += 1;
            }
        }
    }
    Ok(())
}
