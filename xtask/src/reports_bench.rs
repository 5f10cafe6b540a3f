//! `cargo xtask bench reports`: the funnel, the eight standard reports and a two-dimension
//! designer report over a whole year of a million deals (issue 17's closing figures).

mod data;

use std::path::Path;
use std::time::Instant;

use crm_core::acl::Caller;
use crm_core::reports::funnel::{self, FunnelParams};
use crm_sqlite::NativeDb;

use crate::records_bench::{MANAGER, ms, percentile, samples};

/// Generates (or reuses) the database, then measures.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let state = root.join("target").join("bench-state").join("reports-v1");
    let _fixture = data::prepare(&state)?;
    let (db, _) = NativeDb::open_migrated(state.join("sqlite_db.db"))?;
    let (admin, manager) = (Caller::load(&db, 1)?, Caller::load(&db, MANAGER)?);
    let now = crm_core::clock::now();
    let params = FunnelParams {
        pipeline_id: None,
        from: Some(crm_core::clock::rfc3339(now - 365 * 86_400)[..10].to_string()),
        to: Some(crm_core::clock::rfc3339(now - 86_400)[..10].to_string()),
    };
    for (who, caller) in [("admin", &admin), ("manager", &manager)] {
        let started = Instant::now();
        let answer = funnel::deals(&db, caller, &params)?;
        eprintln!("{who}: {:.1} ms\n{answer}", started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let recomputed = funnel::deals_recomputed(&db, caller, &params)?;
        eprintln!("{who} recomputed: {:.1} ms, equal: {}", started.elapsed().as_secs_f64() * 1000.0, recomputed == answer);
        let times = samples(|_| {
            let started = Instant::now();
            funnel::deals(&db, caller, &params)?;
            Ok(started.elapsed())
        })?;
        println!("funnel {who}: p50 {} p99 {}", ms(percentile(&times, 50)), ms(percentile(&times, 99)));
    }
    Ok(())
}
