//! `cargo xtask bench reports`: the funnel, the standard reports and a two-dimension designer
//! report over a whole year of a million deals (issue 17's closing figures). Targets on the
//! 2-core machine: funnel p50 < 100 ms, every other standard report p50 < 300 ms, the designer
//! report p50 < 500 ms.
//!
//! The database ([`data`]: 1,000,000 deals with stage paths, line items, 2,000,000 activities)
//! is generated once and kept in `target/bench-state/reports-v1`. Each report runs for the 365
//! days up to yesterday, as the administrator (every deal) and as a manager (their own and the
//! opened ones): through the `reports` component over HTTP on crm-host (sequential requests, a
//! new connection each, a Bearer token), and beside it the same core call on a native
//! connection to the same file with the host stopped (the floor). First the funnel's answer is
//! checked against its recomputation from the stage history, and product income's kept months
//! against the line items (the kept data is exact).

mod data;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::reports::funnel::{self, FunnelParams};
use crm_core::reports::{saved, standard};
use crm_sqlite::NativeDb;
use serde_json::{Value as Json, json};

use crate::records_bench::{MANAGER, calls, http, ms, percentile, samples};

const FUNNEL_TARGET: Duration = Duration::from_millis(100);
const STANDARD_TARGET: Duration = Duration::from_millis(300);
const DESIGNER_TARGET: Duration = Duration::from_millis(500);

/// What a case runs.
#[derive(Clone)]
enum Call {
    Funnel,
    /// A system report by id (its code for the label).
    Standard(i64),
    /// An unsaved definition (`POST /api/reports/run`).
    Designer(Json),
}

struct Case {
    label: String,
    as_manager: bool,
    call: Call,
    target: Duration,
}

/// Generates (or reuses) the database, then measures.
pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(false)?;
    let state = root.join("target").join("bench-state").join("reports-v1");
    let fixture = data::prepare(&state)?;
    let path = state.join("sqlite_db.db");
    let (from, to) = year();
    let pairs = vec![("from".to_string(), from.clone()), ("to".to_string(), to.clone())];
    let cases = {
        let (db, _) = NativeDb::open_migrated(&path)?;
        analyze_new_indexes(&db)?;
        check_funnel(&db, &from, &to)?;
        check_product_months(&db)?;
        cases(&db, &from, &to)?
    };

    let (host, _) = crate::bench::start_host(&state)?;
    let measured = (|| {
        let mut out = Vec::new();
        for case in &cases {
            let token = if case.as_manager {
                &fixture.manager_token
            } else {
                &fixture.admin_token
            };
            out.push(over_http(&host.1, token, case, &from, &to).with_context(|| case.label.clone())?);
        }
        anyhow::Ok(out)
    })();
    crate::bench::stop(host);
    let over_http = measured?;
    let native = native(&path, &cases, &pairs)?;

    println!("\n## reports: a year of 1,000,000 deals ({from} .. {to}) through the reports component\n");
    println!(
        "{} sequential requests per row (a new connection each); floor: the same core call natively on the same file\n",
        calls()
    );
    println!("| report | as | p50 | p99 | native p50 | native p99 | ratio p50 | target |");
    println!("|---|---|---|---|---|---|---|---|");
    for ((case, http), native) in cases.iter().zip(&over_http).zip(&native) {
        let (p50, p99) = (percentile(http, 50), percentile(http, 99));
        let (n50, n99) = (percentile(native, 50), percentile(native, 99));
        let verdict = if p50 < case.target { "yes" } else { "**NO**" };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.2} | {verdict} (< {} ms) |",
            case.label,
            if case.as_manager { "manager" } else { "admin" },
            ms(p50),
            ms(p99),
            ms(n50),
            ms(n99),
            p50.as_secs_f64() / n50.as_secs_f64(),
            case.target.as_millis()
        );
    }
    Ok(())
}

/// Product income's kept monthly sums must equal the line items (sql/0027).
fn check_product_months(db: &NativeDb) -> anyhow::Result<()> {
    let started = Instant::now();
    let differences = crm_core::reports::rollup::product_months_differences(db)?;
    if !differences.is_empty() {
        bail!(
            "deal_product_months differs from its line items at {:?}",
            &differences[..differences.len().min(5)]
        );
    }
    eprintln!(
        "kept product months equal the line items ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// With `CRM_BENCH_ANALYZE=1`, statistics for the indexes a migration added after the reused
/// database was generated, so it is planned as a fresh one would be (without it the database
/// keeps the statistics it was generated with, `crate::bench::statistics`).
fn analyze_new_indexes(db: &NativeDb) -> anyhow::Result<()> {
    if !crate::bench::analyzed() {
        return Ok(());
    }
    let conn = db.connection();
    let missing: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for name in missing {
        let started = Instant::now();
        conn.execute_batch(&format!("ANALYZE \"{name}\""))?;
        eprintln!("ANALYZE {name} in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The 365 days up to yesterday (UTC dates; the generated deals span the two years before the
/// generation).
fn year() -> (String, String) {
    let now = crm_core::clock::now();
    let day = |t: i64| crm_core::clock::rfc3339(t)[..10].to_string();
    (day(now - 365 * 86_400), day(now - 86_400))
}

/// The funnel from the kept data equals its recomputation from the stage history, for both
/// callers (the recomputation takes seconds).
fn check_funnel(db: &NativeDb, from: &str, to: &str) -> anyhow::Result<()> {
    let params = FunnelParams {
        pipeline_id: None,
        from: Some(from.into()),
        to: Some(to.into()),
        ..Default::default()
    };
    for user in [1, MANAGER] {
        let caller = Caller::load(db, user)?;
        let started = Instant::now();
        let recomputed = funnel::deals_recomputed(db, &caller, &params)?;
        let recomputed_in = started.elapsed();
        let kept = funnel::deals(db, &caller, &params)?;
        if kept != recomputed {
            bail!("user {user}'s funnel from the kept data differs from the recomputation:\n{kept}\n{recomputed}");
        }
        eprintln!(
            "user {user}: the funnel ({} deals) equals its recomputation from the stage history ({} to recompute)",
            kept["total"],
            ms(recomputed_in)
        );
    }
    Ok(())
}

/// The designer report: deals created in the period by responsible x close month, count and
/// sum of amounts.
fn designer(from: &str, to: &str) -> Json {
    json!({"entity": "deals", "period": {"field": "created_at", "from": from, "to": to},
           "group_by": [{"field": "responsible_id"}, {"field": "closed_at", "bucket": "month"}],
           "measures": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
           "limit": 1000, "chart": "stacked_bar"})
}

fn cases(db: &NativeDb, from: &str, to: &str) -> anyhow::Result<Vec<Case>> {
    let mut calls = vec![("funnel".to_string(), Call::Funnel, FUNNEL_TARGET)];
    for code in standard::CODES {
        let id = db
            .query("SELECT id FROM reports WHERE code = ?", &[(*code).into()])?
            .first_i64()
            .with_context(|| format!("no system report {code}"))?;
        calls.push((code.to_string(), Call::Standard(id), STANDARD_TARGET));
    }
    calls.push((
        "designer: responsible x close month".into(),
        Call::Designer(designer(from, to)),
        DESIGNER_TARGET,
    ));
    let mut cases = Vec::new();
    for (label, call, target) in calls {
        for as_manager in [false, true] {
            cases.push(Case {
                label: label.clone(),
                as_manager,
                call: call.clone(),
                target,
            });
        }
    }
    Ok(cases)
}

fn over_http(addr: &str, token: &str, case: &Case, from: &str, to: &str) -> anyhow::Result<Vec<Duration>> {
    let query = format!("from={from}&to={to}");
    samples(|_| {
        let started = Instant::now();
        match &case.call {
            Call::Funnel => http(addr, "GET", &format!("/api/reports/funnel?{query}"), token, None)?,
            Call::Standard(id) => http(addr, "GET", &format!("/api/reports/{id}/run?{query}"), token, None)?,
            Call::Designer(definition) => {
                let body = json!({ "definition": definition }).to_string();
                http(addr, "POST", "/api/reports/run", token, Some(&body))?
            }
        };
        Ok(started.elapsed())
    })
}

fn native(path: &Path, cases: &[Case], pairs: &[(String, String)]) -> anyhow::Result<Vec<Vec<Duration>>> {
    let (db, _) = NativeDb::open_migrated(path)?;
    let mut out = Vec::new();
    for case in cases {
        let caller = Caller::load(&db, if case.as_manager { MANAGER } else { 1 })?;
        out.push(samples(|_| {
            let started = Instant::now();
            let lang = saved::language(&db, &caller, None)?;
            match &case.call {
                Call::Funnel => saved::run_system(&db, &caller, "funnel", pairs, &lang)?,
                Call::Standard(id) => saved::run(&db, &caller, *id, pairs, &lang)?,
                Call::Designer(definition) => {
                    saved::run_unsaved(&db, &caller, &json!({ "definition": definition }), &[], &lang)?
                }
            };
            Ok(started.elapsed())
        })?);
    }
    Ok(out)
}

/// Each designer report's compiled SQL and its query plan, as the administrator and as a
/// manager (`cargo xtask bench reports plans`): what an index would have to serve.
pub fn plans(root: &Path) -> anyhow::Result<()> {
    let path = root
        .join("target")
        .join("bench-state")
        .join("reports-v1")
        .join("sqlite_db.db");
    let (db, _) = NativeDb::open_migrated(&path)?;
    analyze_new_indexes(&db)?;
    let (from, to) = year();
    let overrides = crm_core::reports::Overrides {
        from: Some(from.clone()),
        to: Some(to.clone()),
        filter: Vec::new(),
    };
    let mut definitions: Vec<(String, Json)> = standard::CODES
        .iter()
        .filter_map(|code| Some((code.to_string(), standard::definition(code)?)))
        .collect();
    definitions.push(("designer".into(), designer(&from, &to)));
    for user in [1, MANAGER] {
        let caller = Caller::load(&db, user)?;
        for (code, raw) in &definitions {
            let def = crm_core::reports::check(&db, &caller, raw, "definition.")?;
            let compiled = crm_core::reports::compile::compile(&db, &caller, &def, &overrides, "en")?;
            println!(
                "\n### {code} (user {user})\n{}\nparams: {:?}",
                compiled.sql, compiled.params
            );
            let plan = db.query(&format!("EXPLAIN QUERY PLAN {}", compiled.sql), &compiled.params)?;
            for row in plan.iter() {
                println!("  {}", row.str("detail").unwrap_or_default());
            }
        }
    }
    Ok(())
}
