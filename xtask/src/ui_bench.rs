//! `cargo xtask bench ui`: how soon each screen of the web UI is drawn once its API answers are
//! in (issue 11: "each screen drawn within 100 ms of its API answers on this machine, also over a
//! million leads (the API's cursor, never a full load)").
//!
//! The database is the one `cargo xtask bench records` makes (its generator: 1,000,000 leads and
//! 1,000,000 contacts, 201 users, one of them a manager) plus the 1,000,000 deals of
//! `cargo xtask bench deals` (its generator, into the same file); the manager gets a password so
//! that both people sign in through the sign-in form. Then crm-host serves it and
//! `tests/browser/bench/screens.mjs` drives Debian's chromium (playwright-core): as the
//! administrator and as the manager, each screen is opened by a full page load and by an in-app
//! link, [`REPS`] times after a warm-up, reading the marks the UI sets (`api:answered` in
//! `static/api.js`, `screen:drawn` in `static/app.js`) and Resource Timing.
//!
//! Per screen, role and way in: the API calls the screen waited for (and the waterfall's depth,
//! and the calls answered after it was mounted: panels that fill in), the slowest awaited call's
//! time, draw after API (`screen:drawn` minus the last answer the screen waited for: what the
//! issue's 100 ms is about) and the total from the navigation's start; then each call's time.
//! The floor, measured in the same run and interleaved with the screens: the not-found screen,
//! the same shell and router with no data to wait for (after `/api/me` on a full load, after the
//! click in the app), so its draw time is the fixed cost of a render and the next animation
//! frame. Nothing fails on a number.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use crm_sqlite::NativeDb;
use serde_json::{Value as Json, json};

use crate::deals_bench::DEALS;
use crate::records_bench::{ADMIN_EMAIL, MANAGER, PASSWORD, ROWS, Rng, SURNAME};

/// Measured runs per screen, role and way in (after one warm-up run).
const REPS: usize = 20;
/// The bound for drawing after the API's answers.
const TARGET_MS: f64 = 100.0;
/// The floor: a screen the router does not know (the not-found screen).
const FLOOR: &str = "/no-such-page";
/// Where each in-app navigation starts: another not-found screen.
const START: &str = "/bench-start";

/// Generates the database, runs the browser over every screen, prints the tables.
pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::tooling::ensure_browser_tooling(root)?;
    crate::build_all(false)?;
    let state = root.join("target").join("bench-state").join("ui");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)?;
    let path = state.join("sqlite_db.db");
    let started = Instant::now();
    let fixture = crate::records_bench::generate(&path)?;
    let (db, _) = NativeDb::open_migrated(&path)?;
    let conn = db.connection();
    conn.execute_batch("PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;")?;
    crate::deals_bench::add_deals(&db, &mut Rng(2027))?;
    crate::bench::statistics(conn, &["deals", "deal_stage_history", "timeline"])?;
    let generation = started.elapsed();
    let manager_email: String = conn.query_row("SELECT email FROM users WHERE id = ?", [MANAGER], |r| r.get(0))?;
    conn.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?",
        rusqlite::params![crm_core::auth::hash_password(PASSWORD)?, MANAGER],
    )?;
    // Records both people may open: the manager's own newest lead and contact.
    let own = |table: &str| -> rusqlite::Result<i64> {
        conn.query_row(
            &format!("SELECT max(id) FROM {table} WHERE responsible_id = ?"),
            [MANAGER],
            |r| r.get(0),
        )
    };
    let (lead, contact) = (own("leads")?, own("contacts")?);
    drop(db);
    let size = std::fs::metadata(&path)?.len();

    let screens = json!([
        {"name": "start page `/`", "path": "/"},
        {"name": "leads `/leads`", "path": "/leads"},
        {"name": "leads, status NEW", "path": "/leads?filter%5Bstatus%5D=NEW"},
        {"name": "leads, `q` = a phone's digits", "path": format!("/leads?q={}", fixture.phone)},
        {"name": "lead card `/leads/<id>`", "path": format!("/leads/{lead}")},
        {"name": "leads board `/leads/board`", "path": "/leads/board"},
        {"name": "contacts `/contacts`", "path": "/contacts"},
        {"name": "contacts, `q` = a surname", "path": format!("/contacts?q={}", url_escape(SURNAME))},
        {"name": "contact card `/contacts/<id>`", "path": format!("/contacts/{contact}")},
        {"name": "deals `/deals`", "path": "/deals"},
        {"name": "deals board `/deals/board`", "path": "/deals/board"},
        {"name": "activities `/activities` (none generated)", "path": "/activities"},
        {"name": "my activities `/activities/my` (none generated)", "path": "/activities/my"},
        {"name": "global search: a surname", "search": SURNAME},
        {"name": "global search: a phone's digits", "search": fixture.phone},
    ]);
    let (host, _) = crate::bench::start_host(&state)?;
    let config = json!({
        "base": format!("http://{}", host.1),
        "reps": REPS,
        "floor": FLOOR,
        "start": START,
        "users": [
            {"role": "admin", "email": ADMIN_EMAIL, "password": PASSWORD},
            {"role": "manager", "email": manager_email, "password": PASSWORD},
        ],
        "screens": screens,
    });
    let measured = browse(root, &config);
    crate::bench::stop(host);
    let results = measured?;
    report(&results, generation.as_secs_f64(), size);
    Ok(())
}

/// Percent-encodes a query value.
fn url_escape(text: &str) -> String {
    crate::records_bench::url_query(&[(String::new(), text.to_string())])[1..].to_string()
}

/// Runs `tests/browser/bench/screens.mjs` with `config`; its `results`.
fn browse(root: &Path, config: &Json) -> anyhow::Result<Vec<Json>> {
    let mut child = Command::new("node")
        .arg("bench/screens.mjs")
        .current_dir(root.join("tests/browser"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting node")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(config.to_string().as_bytes())?;
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcome: Json = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .with_context(|| format!("bench/screens.mjs printed no result ({}): {stdout}", output.status))?;
    if outcome["ok"] != true {
        bail!("bench/screens.mjs failed: {}", outcome["error"]);
    }
    outcome["results"].as_array().cloned().context("no results")
}

/// The runs of one screen, role and way in.
struct Measured<'a> {
    result: &'a Json,
    draw: Vec<f64>,
    total: Vec<f64>,
    slowest: Vec<f64>,
}

impl<'a> Measured<'a> {
    fn of(result: &'a Json) -> Self {
        let runs = result["runs"].as_array().map(Vec::as_slice).unwrap_or_default();
        let series = |pick: &dyn Fn(&Json) -> f64| -> Vec<f64> {
            let mut values: Vec<f64> = runs.iter().map(pick).collect();
            values.sort_by(f64::total_cmp);
            values
        };
        Measured {
            result,
            draw: series(&|r| r["draw_after_api"].as_f64().unwrap_or(f64::NAN)),
            total: series(&|r| r["total"].as_f64().unwrap_or(f64::NAN)),
            slowest: series(&|r| {
                let apis = r["apis"].as_array().map(Vec::as_slice).unwrap_or_default();
                let on_time = apis.iter().filter(|a| a[2] != true);
                on_time.filter_map(|a| a[1].as_f64()).fold(0.0, f64::max)
            }),
        }
    }

    /// The most frequent value of an integer field over the runs (calls, rounds, late).
    fn usual(&self, field: &str) -> i64 {
        let mut counts = BTreeMap::new();
        for run in self.result["runs"].as_array().into_iter().flatten() {
            *counts.entry(run[field].as_i64().unwrap_or(-1)).or_insert(0) += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(v, _)| v).unwrap_or(-1)
    }
}

fn p50(sorted: &[f64]) -> f64 {
    sorted.get((sorted.len().max(1) - 1) / 2).copied().unwrap_or(f64::NAN)
}

fn max(sorted: &[f64]) -> f64 {
    sorted.last().copied().unwrap_or(f64::NAN)
}

fn how(mode: &str) -> &'static str {
    if mode == "load" { "full load" } else { "in-app link" }
}

fn report(results: &[Json], generation: f64, size: u64) {
    println!("\n## UI screens over {ROWS} leads, {ROWS} contacts and {DEALS} deals (chromium, headless)\n");
    println!(
        "database generated in {generation:.1} s (the generators of `bench records` and `bench deals`, with search, \
         channel, stage history and timeline rows), planned {}; {:.0} MiB",
        crate::bench::statistics_label(),
        size as f64 / (1 << 20) as f64
    );
    println!(
        "{REPS} runs per row after a warm-up, floor and screens interleaved. API calls: the answers the screen \
         waited for (those before the router mounted it), with the waterfall's depth (rounds) and, after `+`, \
         calls answered after the mounting (panels that fill in). API time: the slowest awaited call, request \
         start to response end. Draw after API: `screen:drawn` (the next animation frame after mounting, layout \
         forced) minus the last awaited `api:answered`. Total: from the navigation's start (full load: the \
         document's; in-app: the click; search: the keystroke, so it includes the box's 250 ms debounce). \
         Floor: the not-found screen (`{FLOOR}`), the same shell and router with nothing to wait for; vs floor: \
         draw after API p50 / the floor's, same role and way in.\n"
    );
    let measured: Vec<Measured> = results.iter().map(Measured::of).collect();
    let floor_of = |role: &Json, mode: &Json| {
        measured
            .iter()
            .find(|m| m.result["screen"] == "floor" && &m.result["role"] == role && &m.result["mode"] == mode)
            .map(|m| p50(&m.draw))
            .unwrap_or(f64::NAN)
    };
    println!(
        "| screen | role | API calls | API time p50 | draw after API p50 / max | total p50 | vs floor | draw ≤ {TARGET_MS:.0} ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for m in &measured {
        let r = m.result;
        let (role, mode) = (&r["role"], &r["mode"]);
        let floor = floor_of(role, mode);
        let screen = r["screen"].as_str().unwrap_or("?");
        let label = if screen == "floor" {
            format!("**floor**: not found `{FLOOR}`")
        } else {
            screen.to_string()
        };
        let shown = match r["error_shown"].as_str() {
            Some(text) => format!(" (shows an error: {text})"),
            None => String::new(),
        };
        let late = m.usual("late");
        let calls = format!(
            "{} in {} round{}{}",
            m.usual("calls"),
            m.usual("rounds"),
            if m.usual("rounds") == 1 { "" } else { "s" },
            if late > 0 { format!(" + {late}") } else { String::new() }
        );
        let verdict = match (p50(&m.draw) < TARGET_MS, max(&m.draw) < TARGET_MS) {
            (true, true) => "yes",
            (true, false) => "p50 only",
            _ => "**NO**",
        };
        println!(
            "| {label} ({}){shown} | {} | {calls} | {:.1} ms | {:.1} / {:.1} ms | {:.1} ms | {:.2} | {verdict} |",
            how(mode.as_str().unwrap_or("")),
            role.as_str().unwrap_or("?"),
            p50(&m.slowest),
            p50(&m.draw),
            max(&m.draw),
            p50(&m.total),
            p50(&m.draw) / floor,
        );
    }

    println!(
        "\nWhere the time goes: each API call of a full load, request start to response end (calls answered after \
         the screen was mounted, panels that fill in, are marked)\n"
    );
    println!("| screen | role | call | p50 | max |");
    println!("|---|---|---|---|---|");
    for m in measured.iter().filter(|m| m.result["mode"] == "load") {
        // Each call's times and how often it was answered after the mounting, in first-seen order.
        let mut calls: Vec<(String, Vec<f64>, usize)> = Vec::new();
        for run in m.result["runs"].as_array().into_iter().flatten() {
            for api in run["apis"].as_array().into_iter().flatten() {
                let url = api[0].as_str().unwrap_or("?");
                let i = match calls.iter().position(|(u, _, _)| u == url) {
                    Some(i) => i,
                    None => {
                        calls.push((url.to_string(), Vec::new(), 0));
                        calls.len() - 1
                    }
                };
                calls[i].1.push(api[1].as_f64().unwrap_or(f64::NAN));
                calls[i].2 += usize::from(api[2] == true);
            }
        }
        for (url, mut times, late) in calls {
            times.sort_by(f64::total_cmp);
            let late = match late {
                0 => String::new(),
                n if n == times.len() => " (after the mounting)".to_string(),
                n => format!(" (after the mounting in {n} of {} runs)", times.len()),
            };
            println!(
                "| {} | {} | `{url}`{late} | {:.1} ms | {:.1} ms |",
                m.result["screen"].as_str().unwrap_or("?"),
                m.result["role"].as_str().unwrap_or("?"),
                p50(&times),
                max(&times)
            );
        }
    }
}
