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
//! it never entered one (created lost).

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use super::{FunnelParams, Sums, language, period, placeholders, ratio, split_columns};
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

/// The deals funnel (the contract's "Funnel Result").
pub fn deals(db: &dyn Db, caller: &Caller, params: &FunnelParams) -> Result<Json, CoreError> {
    let lang = language(db, caller.user_id)?;
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

    let def = EntityDef::load_for(db, caller, "deal")?;
    let acl = caller.list_filter(Entity::Deal, &def.acl_columns());
    // The rank of a history row's stage, as a CASE over bound codes.
    let mut params: Vec<Value> = Vec::new();
    let mut case = String::from("CASE h.to_stage");
    for (code, r) in &rank {
        case.push_str(" WHEN ? THEN ?");
        params.extend([Value::from(*code), Value::from(*r)]);
    }
    case.push_str(" END");
    let progress_codes: Vec<Value> = progress.iter().map(|s| Value::from(s.code.as_str())).collect();
    let lost_codes: Vec<Value> = lost.iter().map(|s| Value::from(s.code.as_str())).collect();
    params.extend(lost_codes.iter().cloned());
    params.extend(progress_codes.iter().cloned());
    params.extend([pipeline_id.into(), period.start.into(), period.end.into()]);
    params.extend(acl.params);
    let sql = format!(
        "SELECT d.top, d.stage, d.lost_at, d.c, COUNT(*) AS n, {sums} FROM (
           SELECT t.stage, COALESCE(t.currency, '') AS c, t.amount,
             (SELECT MAX({case}) FROM deal_stage_history h WHERE h.deal_id = t.id) AS top,
             CASE WHEN t.stage IN ({lost}) THEN
               (SELECT h.to_stage FROM deal_stage_history h WHERE h.deal_id = t.id AND h.to_stage IN ({progress})
                ORDER BY h.at DESC, h.id DESC LIMIT 1) END AS lost_at
           FROM deals t WHERE t.pipeline_id = ? AND t.created_at >= ? AND t.created_at < ? AND {acl}
         ) d GROUP BY d.top, d.stage, d.lost_at, d.c",
        sums = split_columns("d.amount"),
        lost = placeholders(lost_codes.len()),
        progress = placeholders(progress_codes.len()),
        acl = acl.sql,
    );
    let rows = db.query(&sql, &params)?;

    let mut tallies: Vec<Tally> = progress.iter().map(|_| Tally::default()).collect();
    let mut won_tally = Tally::default();
    let mut lost_tally: Vec<(i64, Sums)> = progress.iter().map(|_| (0, Sums::default())).collect();
    for row in rows.iter() {
        let stage = row.str("stage").unwrap_or_default();
        let currency = row.str("c").unwrap_or_default();
        let count = row.i64("n").unwrap_or_default();
        let sum = crate::records::money::combine(row.i64("hi").unwrap_or_default(), row.i64("lo").unwrap_or_default());
        let current = rank.get(stage).copied().unwrap_or(-1);
        let top = row.i64("top").unwrap_or(0).max(current).max(0);
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
            let at = row.str("lost_at").and_then(|c| rank.get(c)).copied().unwrap_or(0);
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
        "report": {"id": null, "name": title, "kind": "funnel", "chart": "funnel"},
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

/// The drill-down query of the deals now in stage `code`.
fn stage_drill(base: &str, code: &str) -> String {
    let code: String = code
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{base}&filter[stage]={code}")
}
