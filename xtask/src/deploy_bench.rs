//! `cargo xtask bench deploy`: what a request costs where the app is deployed, not only on our
//! runtime. The same app is served three ways by `crm-host`:
//!
//! - **pooled**: our runtime's default (reused connections, background checkpoints);
//! - **Spin**: a fresh SQLite connection per guest `open`, as real Spin, SpinKube and Spin
//!   clouds make them (`--sqlite-connections fresh`): each request parses the schema and sets
//!   its pragmas;
//! - **Spin + 2 ms**: the same with 2 ms added to every statement, standing in for a Spin
//!   cloud's remote libSQL, where every statement is a network round trip.
//!
//! Each endpoint is called sequentially (one client, a new TCP connection per request, the same
//! for every mode) and reported as its p50 beside the statements it took (the runtime counts
//! them: `--report-sql-statements`). Beside them, the floor every request pays on Spin: a fresh
//! native connection to the same file and its first statement (the schema parse). Then where
//! each request's time goes, from the runtime's `Server-Timing` header: instantiating the
//! component, SQL, the rest of the runtime and the guest's own work up to the response head,
//! and what lies outside the runtime (the client, TCP, the HTTP parse and the body). A
//! benchmark, never a test: it prints figures.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::records_bench::{ms, percentile};
use crate::reliability::{Answer, request};

const PASSWORD: &str = "swift otter lantern 2026";

/// The three ways of serving: a name and the `crm-host up` flags.
const MODES: [(&str, &[&str]); 3] = [
    ("pooled (crm-host)", &[]),
    ("Spin: fresh connection", &["--sqlite-connections", "fresh"]),
    (
        "Spin + 2 ms per statement",
        &["--sqlite-connections", "fresh", "--sqlite-statement-delay-ms", "2"],
    ),
];

/// One endpoint as measured in one mode.
struct Figure {
    statements: Option<u32>,
    p50: Duration,
    /// The p50 of each part of a request's time, in [`PARTS`]' order.
    parts: [Duration; 4],
}

/// The parts of a request's time in the breakdown table.
const PARTS: [&str; 4] = [
    "instantiate",
    "SQL",
    "guest and runtime, to the response head",
    "outside the runtime (client, TCP, HTTP, body)",
];

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(true)?;
    let mut rows: Vec<(String, Vec<Figure>)> = Vec::new();
    let mut floor = None;
    for (index, (_, flags)) in MODES.iter().enumerate() {
        let state = root.join("target").join("bench-deploy").join(index.to_string());
        let _ = std::fs::remove_dir_all(&state);
        let mut args = vec!["--report-sql-statements"];
        args.extend_from_slice(flags);
        let (host, _) = crate::bench::start_host_args(&state, &args)?;
        let measured = measure(&host.1, if index == 2 { 40 } else { 200 });
        crate::bench::stop(host);
        if index == 1 {
            floor = Some(fresh_connection_floor(&state.join("sqlite_db.db"), 200)?);
        }
        for (name, figure) in measured? {
            match rows.iter_mut().find(|(n, _)| *n == name) {
                Some((_, figures)) => figures.push(figure),
                None => rows.push((name, vec![figure])),
            }
        }
    }
    println!("\n## Request cost where the app is deployed (p50 of sequential requests; statements per request)\n");
    println!(
        "| request | statements (pooled / Spin) | {} | {} | {} | Spin ÷ pooled |",
        MODES[0].0, MODES[1].0, MODES[2].0
    );
    println!("|---|---|---|---|---|---|");
    for (name, figures) in &rows {
        let count = |f: &Figure| f.statements.map_or("?".to_string(), |n| n.to_string());
        let p50 = |i: usize| figures.get(i).map_or("—".to_string(), |f| ms(f.p50));
        let ratio = match (figures.first(), figures.get(1)) {
            (Some(a), Some(b)) => format!("{:.1}x", b.p50.as_secs_f64() / a.p50.as_secs_f64()),
            _ => "—".into(),
        };
        println!(
            "| {name} | {} / {} | {} | {} | {} | {ratio} |",
            figures.first().map(count).unwrap_or_default(),
            figures.get(1).map(count).unwrap_or_default(),
            p50(0),
            p50(1),
            p50(2),
        );
    }
    if let Some(floor) = floor {
        println!(
            "\nThe floor of every request on Spin, natively on the same file: a fresh connection and \
             its first statement (which parses the schema), p50 {:.2} ms.",
            floor.as_secs_f64() * 1e3
        );
    }
    for (mode, (label, _)) in MODES.iter().enumerate().take(2) {
        println!("\n### Where the time goes, {label} (p50 of each part)\n");
        println!("| request | p50 | {} |", PARTS.join(" | "));
        println!("|---|---|---|---|---|---|");
        for (name, figures) in &rows {
            let Some(figure) = figures.get(mode) else { continue };
            let parts: Vec<String> = figure.parts.iter().map(|d| ms(*d)).collect();
            println!("| {name} | {} | {} |", ms(figure.p50), parts.join(" | "));
        }
    }
    Ok(())
}

/// What a fresh connection costs before any work: open the database file natively and run
/// one statement that needs the schema, `n` times; the p50.
fn fresh_connection_floor(path: &Path, n: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let conn = rusqlite::Connection::open(path)?;
        conn.query_row("SELECT count(*) FROM users WHERE id = 0", [], |_| Ok(()))?;
        drop(conn);
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times[n / 2])
}

/// Sets the app up (an administrator, a lead, a web form, REST hooks), then times each
/// endpoint `n` times.
fn measure(addr: &str, n: usize) -> anyhow::Result<Vec<(String, Figure)>> {
    let setup = ok(request(
        addr,
        "POST",
        "/api/auth/setup",
        &[],
        Some(&format!(
            r#"{{"email":"deploy-bench@example.com","password":"{PASSWORD}","name":"Bench"}}"#
        )),
    )?)?;
    let token = json(&setup)?["token"].as_str().context("a token")?.to_string();
    let bearer = format!("authorization: Bearer {token}");
    let auth = [bearer.as_str()];
    let lead = ok(request(
        addr,
        "POST",
        "/api/leads",
        &auth,
        Some(r#"{"title":"Bench lead","phones":["+7 999 123-45-67"]}"#),
    )?)?;
    let lead_id = json(&lead)?["id"].as_i64().context("a lead id")?;
    let form = serde_json::json!({
        "name": "Contact us",
        "fields": [
            {"name": "name", "target": "name", "label": {"en": "Name"}, "required": true},
            {"name": "phone", "target": "phone", "label": {"en": "Phone"}}
        ],
        "responsible_ids": [1],
        "ip_limit_per_minute": 0,
        "form_limit_per_minute": 0
    });
    let form = json(&ok(request(
        addr,
        "POST",
        "/api/forms",
        &auth,
        Some(&form.to_string()),
    )?)?)?;
    let key = form["public_key"].as_str().context("a form key")?.to_string();

    // REST hooks enough that no call meets the rate limit (a burst of 50 per hook).
    let calls = 2 * (n + 5);
    let mut hooks = Vec::new();
    for i in 0..calls.div_ceil(40) {
        let made = json(&ok(request(
            addr,
            "POST",
            "/api/rest-hooks",
            &auth,
            Some(&format!(r#"{{"name":"Bench {i}","scopes":["crm"]}}"#)),
        )?)?)?;
        hooks.push(made["path"].as_str().context("a hook path")?.to_string());
    }
    let hook = std::cell::Cell::new(0_usize);
    let next_hook = || {
        let i = hook.get();
        hook.set(i + 1);
        hooks[i % hooks.len()].clone()
    };

    let lead_path = format!("/api/leads/{lead_id}");
    let form_path = format!("/f/{key}");
    let mut out = Vec::new();
    out.push((
        "GET /api/health".into(),
        time(n, |_| request(addr, "GET", "/api/health", &[], None))?,
    ));
    out.push((
        "GET /api/leads/<id>".into(),
        time(n, |_| request(addr, "GET", &lead_path, &auth, None))?,
    ));
    out.push((
        "GET /api/leads?limit=20".into(),
        time(n, |_| request(addr, "GET", "/api/leads?limit=20", &auth, None))?,
    ));
    out.push((
        "POST /api/leads".into(),
        time(n, |i| {
            request(
                addr,
                "POST",
                "/api/leads",
                &auth,
                Some(&format!(r#"{{"title":"Lead {i}"}}"#)),
            )
        })?,
    ));
    out.push((
        "GET /rest/../crm.lead.get (Bitrix24 REST)".into(),
        time(n, |_| {
            let path = format!("{}crm.lead.get.json?id={lead_id}", next_hook());
            request(addr, "GET", &path, &[], None)
        })?,
    ));
    out.push((
        "POST /rest/../crm.lead.add (Bitrix24 REST)".into(),
        time(n, |i| {
            let path = format!("{}crm.lead.add.json", next_hook());
            let body = format!(
                r#"{{"fields":{{"TITLE":"REST lead {i}","PHONE":[{{"VALUE":"+7 916 {:07}","VALUE_TYPE":"WORK"}}]}}}}"#,
                i
            );
            request(addr, "POST", &path, &[], Some(&body))
        })?,
    ));
    out.push((
        "POST /f/<key> (a web form)".into(),
        time(n, |i| {
            let body = format!(r#"{{"name":"Visitor {i}","phone":"+7 916 {:07}"}}"#, i);
            request(addr, "POST", &form_path, &[], Some(&body))
        })?,
    ));
    Ok(out)
}

/// Calls `call` `n` times (after a few unmeasured warm-up calls): the p50 and the statements of
/// the last answer.
fn time(n: usize, mut call: impl FnMut(usize) -> std::io::Result<Answer>) -> anyhow::Result<Figure> {
    for i in 0..5 {
        ok(call(1_000_000 + i)?)?;
    }
    let mut times = Vec::with_capacity(n);
    let mut parts: [Vec<Duration>; 4] = Default::default();
    let mut statements = None;
    for i in 0..n {
        let started = Instant::now();
        let answer = ok(call(i)?)?;
        let client = started.elapsed();
        times.push(client);
        statements = answer.statements;
        let timed = |name: &str| answer.timing.iter().find(|(n, _)| n == name).map(|(_, d)| *d);
        let (instantiate, sql, total) = (
            timed("instantiate").unwrap_or_default(),
            timed("sql").unwrap_or_default(),
            timed("total").unwrap_or_default(),
        );
        let rest = total.saturating_sub(instantiate + sql);
        for (list, part) in parts
            .iter_mut()
            .zip([instantiate, sql, rest, client.saturating_sub(total)])
        {
            list.push(part);
        }
    }
    let p50 = |mut list: Vec<Duration>| {
        list.sort_unstable();
        percentile(&list, 50)
    };
    Ok(Figure {
        statements,
        p50: p50(times),
        parts: parts.map(p50),
    })
}

fn ok(answer: Answer) -> anyhow::Result<Answer> {
    if answer.status >= 300 {
        bail!("HTTP {}: {}", answer.status, answer.body);
    }
    Ok(answer)
}

fn json(answer: &Answer) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(&answer.body).with_context(|| format!("not JSON: {}", answer.body))
}
