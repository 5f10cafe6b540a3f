//! The deals funnel of one pipeline: per in-progress stage (in the pipeline's order) how many
//! deals reached it and how many are in it now, with their amounts; the won end; the lost deals
//! by the stage they were lost at.
//!
//! A deal's furthest rank is the highest of the ranks of every stage its history entered (the
//! progress stages 0..n-1 in order, the won stage n; lost stages have none) and of its current
//! stage (for a deal whose history was not kept), and at least 0: every deal counted entered the
//! pipeline, so the first stage's `reached` is all of them. It reached progress stage k when
//! that rank is at least k, and the won end when it is n (ever won, even if reopened since). A lost deal was
//! lost at the progress stage its history entered last (by time, then id) — the first stage when
//! it never entered one (created lost). The answer's `drill` has a list query per stage
//! (`stage:<code>`: the deals now in it) and per "lost at" row (`lost:<code>`, through the deals
//! list's `lost_at_stage` filter, which computes the same stage in SQL).

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use super::{FunnelParams, Period, Sums, period, ratio};
use crate::acl::{Caller, Entity};
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;

/// One stage of the pipeline.
struct Stage {
    code: String,
    name: String,
    color: String,
    semantic: String,
}

/// What the funnel adds up per stage.
#[derive(Default)]
struct Tally {
    reached: i64,
    now: i64,
    amount: Sums,
    reached_amount: Sums,
}

/// The pipeline's id, name and stages (in order); unknown -> 422 naming `pipeline_id`.
fn pipeline(db: &dyn Db, id: Option<i64>, lang: &str) -> Result<(i64, String, Vec<Stage>), CoreError> {
    let id = match id {
        Some(id) => id,
        None => crate::records::pipelines::default_pipeline(db)?,
    };
    let name_column = if lang == "ru" { "name_ru" } else { "name_en" };
    let name = db
        .query(
            &format!("SELECT {name_column} AS name FROM pipelines WHERE id = ?"),
            &[id.into()],
        )?
        .iter()
        .next()
        .and_then(|r| r.str("name").map(str::to_owned));
    let Some(name) = name else {
        let mut errors = FieldErrors::new();
        errors.push("pipeline_id", "unknown_pipeline", format!("no pipeline with id {id}"));
        return Err(CoreError::Validation(errors));
    };
    let rows = db.query(
        &format!(
            "SELECT code, {name_column} AS name, color, semantic FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id"
        ),
        &[id.into()],
    )?;
    let stages = rows
        .iter()
        .map(|r| Stage {
            code: r.str("code").unwrap_or_default().to_string(),
            name: r.str("name").unwrap_or_default().to_string(),
            color: r.str("color").unwrap_or_default().to_string(),
            semantic: r.str("semantic").unwrap_or_default().to_string(),
        })
        .collect();
    Ok((id, name, stages))
}

/// Where a funnel reads each deal's entered stages from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The kept `deals.funnel_entered` and, for a caller who reads every deal, the kept
    /// `deal_funnel_days` (sql/0021).
    Kept,
    /// Recomputed from `deal_stage_history` for every deal (what the kept data must equal).
    Recomputed,
}

/// The deals funnel (the contract's "Funnel Result").
pub fn deals(db: &dyn Db, caller: &Caller, params: &FunnelParams) -> Result<Json, CoreError> {
    deals_from(db, caller, params, Source::Kept)
}

/// [`deals`] recomputed from the stage history of every deal, bypassing the kept columns and
/// aggregate: slow, for tests and benchmarks that check the kept data against it.
#[doc(hidden)]
pub fn deals_recomputed(db: &dyn Db, caller: &Caller, params: &FunnelParams) -> Result<Json, CoreError> {
    deals_from(db, caller, params, Source::Recomputed)
}

fn deals_from(db: &dyn Db, caller: &Caller, params: &FunnelParams, source: Source) -> Result<Json, CoreError> {
    let lang = super::super::saved::language(db, caller, params.language.as_deref())?;
    let lang = lang.as_str();
    let (pipeline_id, pipeline_name, stages) = pipeline(db, params.pipeline_id, lang)?;
    let period = period(db, params)?;
    let progress: Vec<&Stage> = stages.iter().filter(|s| s.semantic == "progress").collect();
    let won = stages.iter().find(|s| s.semantic == "won");
    let lost: Vec<&Stage> = stages.iter().filter(|s| s.semantic == "lost").collect();
    let n = progress.len() as i64;
    let rank: HashMap<&str, i64> = progress
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i as i64))
        .chain(won.map(|w| (w.code.as_str(), n)))
        .collect();

    let rows = grouped_rows(db, caller, pipeline_id, &period, source)?;

    let mut tallies: Vec<Tally> = progress.iter().map(|_| Tally::default()).collect();
    let mut won_tally = Tally::default();
    let mut lost_tally: Vec<(i64, Sums)> = progress.iter().map(|_| (0, Sums::default())).collect();
    for row in rows.iter() {
        let stage = row.str("stage").unwrap_or_default();
        let currency = row.str("c").unwrap_or_default();
        let count = row.i64("n").unwrap_or_default();
        let sum = crate::records::money::combine(row.i64("hi").unwrap_or_default(), row.i64("lo").unwrap_or_default());
        let entered: Vec<&str> = row.str("entered").unwrap_or_default().split(',').collect();
        let current = rank.get(stage).copied().unwrap_or(-1);
        let top = entered
            .iter()
            .filter_map(|c| rank.get(c).copied())
            .fold(current.max(0), i64::max);
        for (k, tally) in tallies.iter_mut().enumerate() {
            if top >= k as i64 {
                tally.reached += count;
                tally.reached_amount.add(currency, sum);
            }
            if current == k as i64 {
                tally.now += count;
                tally.amount.add(currency, sum);
            }
        }
        if top >= n && won.is_some() {
            won_tally.reached += count;
            won_tally.reached_amount.add(currency, sum);
        }
        if current == n {
            won_tally.now += count;
            won_tally.amount.add(currency, sum);
        }
        if lost.iter().any(|s| s.code == stage) && !lost_tally.is_empty() {
            // The progress stage entered last (the list is in order of last entry).
            let at = entered
                .iter()
                .rev()
                .find_map(|c| rank.get(c).copied().filter(|r| *r < n))
                .unwrap_or(0);
            let entry = &mut lost_tally[at as usize];
            entry.0 += count;
            entry.1.add(currency, sum);
        }
    }

    let (rates, base) = super::currency(db)?;
    let first = tallies.first().map_or(0, |t| t.reached);
    let drill_base = format!("filter[pipeline_id]={pipeline_id}&{}", period.drill());
    let mut drill = serde_json::Map::new();
    drill.insert("all".into(), json!(drill_base));
    let mut out_stages = Vec::new();
    let mut previous: Option<i64> = None;
    for (stage, tally) in progress.iter().zip(&tallies) {
        out_stages.push(json!({
            "code": stage.code, "name": stage.name, "color": stage.color,
            "reached": tally.reached, "now": tally.now,
            "amount": tally.amount.in_base(&rates)?, "reached_amount": tally.reached_amount.in_base(&rates)?,
            "share": ratio(tally.reached, first),
            "conversion": previous.and_then(|p| ratio(tally.reached, p)),
        }));
        previous = Some(tally.reached);
        drill.insert(
            format!("stage:{}", stage.code),
            json!(stage_drill(&drill_base, &stage.code)),
        );
    }
    let won_json = match won {
        Some(stage) => {
            drill.insert(
                format!("stage:{}", stage.code),
                json!(stage_drill(&drill_base, &stage.code)),
            );
            json!({
                "code": stage.code, "name": stage.name, "color": stage.color,
                "reached": won_tally.reached, "now": won_tally.now,
                "amount": won_tally.amount.in_base(&rates)?, "reached_amount": won_tally.reached_amount.in_base(&rates)?,
                "share": ratio(won_tally.reached, first),
                "conversion": previous.and_then(|p| ratio(won_tally.reached, p)),
            })
        }
        None => Json::Null,
    };
    for stage in &lost {
        drill.insert(
            format!("stage:{}", stage.code),
            json!(stage_drill(&drill_base, &stage.code)),
        );
    }
    let mut out_lost = Vec::new();
    for (stage, (count, sums)) in progress.iter().zip(&lost_tally) {
        drill.insert(
            format!("lost:{}", stage.code),
            json!(format!(
                "{drill_base}&filter[lost_at_stage]={}",
                query_part(&stage.code)
            )),
        );
        out_lost.push(json!({
            "code": stage.code, "name": stage.name, "count": count, "amount": sums.in_base(&rates)?,
        }));
    }
    let title = if lang == "ru" {
        "Воронка продаж"
    } else {
        "Sales funnel"
    };
    Ok(json!({
        "report": super::report_head(db, params, "funnel", title)?,
        "currency": base,
        "pipeline": {"id": pipeline_id, "name": pipeline_name},
        "period": period.json(),
        "total": first,
        "stages": out_stages,
        "won": won_json,
        "lost": out_lost,
        "drill": drill,
    }))
}

/// The stages a deal's history entered, each once, in order of their last entry: what
/// `deals.funnel_entered` keeps (the same expression as sql/0021's trigger).
const ENTERED: &str = "COALESCE((SELECT group_concat(to_stage, ',') FROM (\
     SELECT h.to_stage FROM deal_stage_history h WHERE h.deal_id = t.id \
     GROUP BY h.to_stage ORDER BY MAX(h.at), MAX(h.id))), '')";

/// The deals of the pipeline created in the period that the caller may read, counted and
/// summed per (current stage, entered stages, currency): columns `stage`, `entered`, `c`, `n`,
/// `hi`, `lo`.
fn grouped_rows(
    db: &dyn Db,
    caller: &Caller,
    pipeline_id: i64,
    period: &Period,
    source: Source,
) -> Result<crate::db::Rows, CoreError> {
    let def = EntityDef::load_for(db, caller, "deal")?;
    let acl = caller.list_filter(Entity::Deal, &def.acl_columns());
    let parts = "COALESCE(t.amount / 1000000000, 0)";
    let (hi, lo) = (parts, "COALESCE(t.amount % 1000000000, 0)");
    let rows_in = |entered: &str, condition: &str| {
        format!(
            "SELECT t.stage AS stage, {entered} AS entered, COALESCE(t.currency, '') AS c, 1 AS n, {hi} AS hi, {lo} AS lo \
             FROM deals t WHERE t.pipeline_id = ? AND t.created_at >= ? AND t.created_at < ? AND {condition}"
        )
    };
    let group = |inner: &str| {
        format!(
            "SELECT stage, entered, c, SUM(n) AS n, SUM(hi) AS hi, SUM(lo) AS lo FROM ({inner}) GROUP BY stage, entered, c"
        )
    };
    let (whole_from, whole_to) = ((period.start + DAY - 1).div_euclid(DAY), period.end.div_euclid(DAY));
    let (sql, params): (String, Vec<Value>) = match source {
        Source::Recomputed => {
            let mut params: Vec<Value> = vec![pipeline_id.into(), period.start.into(), period.end.into()];
            params.extend(acl.params);
            (group(&rows_in(ENTERED, &acl.sql)), params)
        }
        // Every deal: the whole UTC days from the kept aggregate, the edges from the deals.
        Source::Kept if acl.sql == "1" && whole_from < whole_to => {
            let kept = "SELECT stage, entered, currency AS c, n, amount_hi AS hi, amount_lo AS lo FROM deal_funnel_days \
                        WHERE pipeline_id = ? AND day >= ? AND day < ?";
            let edge = rows_in("t.funnel_entered", "1");
            let params = vec![
                pipeline_id.into(),
                whole_from.into(),
                whole_to.into(),
                pipeline_id.into(),
                period.start.into(),
                (whole_from * DAY).into(),
                pipeline_id.into(),
                (whole_to * DAY).into(),
                period.end.into(),
            ];
            (group(&format!("{kept} UNION ALL {edge} UNION ALL {edge}")), params)
        }
        // Some deals: the list ACL's two disjoint arms (own or department; opened to everyone),
        // each an index range (deals_funnel_owner, deals_funnel_opened), else its condition.
        Source::Kept => match caller.list_arms(Entity::Deal, &def.acl_columns()) {
            Some(arms) => {
                let mut params: Vec<Value> = Vec::new();
                let mut parts = Vec::new();
                for arm in arms {
                    params.extend([pipeline_id.into(), period.start.into(), period.end.into()]);
                    params.extend(arm.params);
                    parts.push(rows_in("t.funnel_entered", &arm.sql));
                }
                (group(&parts.join(" UNION ALL ")), params)
            }
            None => {
                let mut params: Vec<Value> = vec![pipeline_id.into(), period.start.into(), period.end.into()];
                params.extend(acl.params);
                (group(&rows_in("t.funnel_entered", &acl.sql)), params)
            }
        },
    };
    Ok(db.query(&sql, &params)?)
}

const DAY: i64 = 86_400;

/// The drill-down query of the deals now in stage `code`.
fn stage_drill(base: &str, code: &str) -> String {
    format!("{base}&filter[stage]={}", query_part(code))
}

/// A stage code percent-encoded for a query string.
fn query_part(code: &str) -> String {
    code.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
