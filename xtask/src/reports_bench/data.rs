//! The reports benchmark's database, generated once into `target/bench-state/reports-v1` and
//! kept between runs (a `ready` file holds the tokens; delete the directory to regenerate).
//!
//! On top of `cargo xtask bench deals`' 1,000,000 deals (its generator, `deals_bench::add_deals`,
//! over the same staff: 200 users in 20 departments, user 2 a manager, RUB/USD/EUR at the stored
//! rates, two years): stage paths through the intermediate stages (most won and lost deals walk
//! the pipeline stage by stage, some jump ahead, some go back and forth, lost deals are lost at
//! every stage), 1–3 line items per deal from 200 catalog products, and 2,000,000 activities
//! (calls, meetings, tasks, e-mails) bound to deals over the same two years.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use crm_sqlite::NativeDb;
use rusqlite::params;

use crate::records_bench::{DAY, Rng};

/// Activities in all.
pub const ACTIVITIES: i64 = 2_000_000;
/// Catalog products the line items refer to.
const PRODUCTS: i64 = 200;

/// What a measurement needs from the cached database.
pub struct Fixture {
    pub admin_token: String,
    pub manager_token: String,
}

/// The cached database at `state/sqlite_db.db`, generated first when `state/ready` is missing.
pub fn prepare(state: &Path) -> anyhow::Result<Fixture> {
    let ready = state.join("ready");
    if let Ok(text) = std::fs::read_to_string(&ready)
        && let Some((admin, manager)) = text.trim().split_once('\n')
    {
        eprintln!("reusing the generated database in {}", state.display());
        return Ok(Fixture {
            admin_token: admin.to_string(),
            manager_token: manager.to_string(),
        });
    }
    let _ = std::fs::remove_dir_all(state);
    std::fs::create_dir_all(state)?;
    let started = Instant::now();
    let fixture = generate(&state.join("sqlite_db.db"))?;
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    std::fs::write(&ready, format!("{}\n{}\n", fixture.admin_token, fixture.manager_token))?;
    Ok(fixture)
}

fn generate(path: &Path) -> anyhow::Result<Fixture> {
    let mut rng = Rng(2028);
    let (db, admin_token, manager_token) = crate::records_bench::bulk_start(path, &mut rng)?;
    let conn = db.connection();
    crate::deals_bench::add_deals(&db, &mut rng)?;
    let started = Instant::now();
    stage_paths(&db, &mut rng)?;
    eprintln!("stage paths in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    line_items(&db)?;
    eprintln!("line items in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    activities(&db)?;
    eprintln!("{ACTIVITIES} activities in {:.1} s", started.elapsed().as_secs_f64());
    crate::bench::statistics(conn, &[])?;
    Ok(Fixture {
        admin_token,
        manager_token,
    })
}

/// A pipeline's id, its progress stages in order, its won stage and its lost stage.
type Pipeline = (i64, Vec<String>, String, String);

/// Each pipeline's progress stages in order, and its won and lost stage.
fn pipelines(db: &NativeDb) -> anyhow::Result<Vec<Pipeline>> {
    let conn = db.connection();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM pipelines ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        let mut stages =
            conn.prepare("SELECT code, semantic FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id")?;
        let rows: Vec<(String, String)> = stages
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let pick = |semantic: &str| rows.iter().find(|(_, s)| s == semantic).map(|(c, _)| c.clone());
        let progress = rows
            .iter()
            .filter(|(_, s)| s == "progress")
            .map(|(c, _)| c.clone())
            .collect();
        out.push((
            id,
            progress,
            pick("won").context("a pipeline without a won stage")?,
            pick("lost").context("a pipeline without a lost stage")?,
        ));
    }
    Ok(out)
}

/// The generated history is "created in the first stage" and, for a deal past it, one move to
/// where it is now. This adds the stages between (at times between creation and that move): a
/// won deal walks all progress stages (or, one in five, jumps from somewhere), a lost deal walks
/// to a random progress stage first, an open deal walks to its stage (one in three jumps), and
/// one deal in twenty goes one stage back and forward again on the way.
fn stage_paths(db: &NativeDb, rng: &mut Rng) -> anyhow::Result<()> {
    let conn = db.connection();
    let pipelines = pipelines(db)?;
    let deals: Vec<(i64, i64, String, i64, i64, Option<i64>)> = conn
        .prepare("SELECT id, pipeline_id, stage, created_at, updated_at, responsible_id FROM deals ORDER BY id")?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut insert = conn.prepare(
        "INSERT INTO deal_stage_history (deal_id, pipeline_id, from_stage, to_stage, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    conn.execute_batch("BEGIN")?;
    for (n, (id, pipeline, stage, created, updated, owner)) in deals.into_iter().enumerate() {
        let Some((_, progress, won, _)) = pipelines.iter().find(|p| p.0 == pipeline) else {
            continue;
        };
        let last = progress.len() as i64 - 1;
        // The index of the last progress stage walked through before the final move.
        let walked = match progress.iter().position(|c| *c == stage) {
            Some(0) => continue,
            Some(at) if rng.chance(33) => rng.below(at as i64),
            Some(at) => at as i64 - 1,
            None if stage == *won && rng.chance(20) => rng.below(last + 1),
            None if stage == *won => last,
            None => rng.below(last + 1),
        };
        let mut path: Vec<&str> = (1..=walked).map(|i| progress[i as usize].as_str()).collect();
        if rng.chance(5) && walked >= 2 {
            let back = progress[walked as usize - 1].as_str();
            path.extend([back, progress[walked as usize].as_str()]);
        }
        let steps = path.len() as i64 + 1;
        let mut from = progress[0].as_str();
        for (i, to) in path.into_iter().enumerate() {
            let at = created + (updated - created) * (i as i64 + 1) / steps;
            insert.execute(params![id, pipeline, from, to, owner, at])?;
            from = to;
        }
        if n % 100_000 == 99_999 {
            conn.execute_batch("COMMIT; BEGIN")?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(())
}

/// 200 catalog products, and 1–3 line items on each deal (in the deal's currency).
fn line_items(db: &NativeDb) -> anyhow::Result<()> {
    db.connection().execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PRODUCTS})
         INSERT INTO products (id, name, sku, price, currency, vat_rate, unit, created_at, updated_at, search_body)
           SELECT i, 'Товар ' || i, 'SKU-' || i, (100 + i * 37 % 5000) * 100, 'RUB', 2000, 'шт', 0, 0, 'товар ' || i FROM n;
         INSERT INTO record_products (entity, record_id, product_id, name, price, quantity, discount_type, discount_rate,
                                      discount_sum, tax_rate, tax_included, unit, sort)
           SELECT 'deal', d.id, 1 + (d.id * 31 + k.k * 7) % {PRODUCTS}, 'Товар ' || (1 + (d.id * 31 + k.k * 7) % {PRODUCTS}),
                  (100 + (d.id * 13 + k.k) % 5000) * 100, (1 + (d.id + k.k) % 5) * 1000, 'percent',
                  CASE WHEN d.id % 7 = 0 THEN 500 ELSE 0 END, 0, 2000, 1, 'шт', k.k
           FROM deals d JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) k ON k.k <= 1 + d.id % 3;
         COMMIT;"
    ))?;
    Ok(())
}

/// [`ACTIVITIES`] activities over the last two years, two per deal on average, each bound to a
/// deal and owned by its responsible user; past ones completed. The triggers write their search
/// rows.
fn activities(db: &NativeDb) -> anyhow::Result<()> {
    let now = crm_core::clock::now();
    let span = 730 * DAY;
    let start = now - span;
    db.connection().execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ACTIVITIES})
         INSERT INTO activities (id, type, subject, direction, start_at, end_at, deadline, priority, completed, completed_at,
                                 bindings, responsible_id, opened, created_at, updated_at, created_by, updated_by, search_body)
           SELECT i,
                  CASE i % 4 WHEN 0 THEN 'CALL' WHEN 1 THEN 'MEETING' WHEN 2 THEN 'TASK' ELSE 'EMAIL' END,
                  CASE i % 4 WHEN 0 THEN 'Звонок клиенту' WHEN 1 THEN 'Встреча' WHEN 2 THEN 'Подготовить КП' ELSE 'Письмо' END,
                  CASE WHEN i % 4 IN (0, 3) THEN CASE WHEN i % 3 = 0 THEN 'INCOMING' ELSE 'OUTGOING' END END,
                  {start} + {span} * i / {ACTIVITIES}, {start} + {span} * i / {ACTIVITIES} + 1800,
                  {start} + {span} * i / {ACTIVITIES} + 86400,
                  CASE i % 10 WHEN 0 THEN 'HIGH' ELSE 'NORMAL' END,
                  CASE WHEN {start} + {span} * i / {ACTIVITIES} + 86400 < {now} AND i % 10 <> 1 THEN 1 ELSE 0 END,
                  CASE WHEN {start} + {span} * i / {ACTIVITIES} + 86400 < {now} AND i % 10 <> 1
                       THEN {start} + {span} * i / {ACTIVITIES} + 3600 END,
                  json_array(json_object('entity', 'deal', 'id', (i + 1) / 2)),
                  d.responsible_id, d.opened,
                  {start} + {span} * i / {ACTIVITIES} - 86400, {start} + {span} * i / {ACTIVITIES},
                  d.responsible_id, d.responsible_id,
                  CASE i % 4 WHEN 0 THEN 'звонок клиенту' WHEN 1 THEN 'встреча' WHEN 2 THEN 'подготовить кп' ELSE 'письмо' END
           FROM n JOIN deals d ON d.id = (n.i + 1) / 2;
         INSERT INTO activity_bindings (activity_id, entity, record_id) SELECT id, 'deal', (id + 1) / 2 FROM activities;
         COMMIT;"
    ))?;
    Ok(())
}
