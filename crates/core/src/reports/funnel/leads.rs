//! The leads funnel: the lead statuses in order with how many leads are in each now and how
//! many reached it, the converted share, the junk share and the time to convert.
//!
//! Leads keep no status history table, so the history is the timeline: every change of a lead
//! writes an `updated` entry listing each changed field with its old and new value
//! (`records::timeline::after_update`), so the statuses a lead has been in are its current one
//! and every `old`/`new` of its `status` changes. The `open` statuses (dictionary
//! `lead_status`, in order) are ranks 0..n-1 and a `success` status (converted) is rank n: a
//! lead reached open status k when its furthest rank is at least k (every lead counted reached
//! the first), and a converted lead has passed them all; `failure` (junk) statuses have no rank,
//! like a lost deal's. `reached` of a success or failure status is the leads ever in it.
//! Time to convert: from the lead's creation to the timeline entry that set it to a success
//! status (the last such, for a lead reopened and converted again), over the leads now in a
//! success status that have one (a lead created already converted has none and is left out).

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use super::{FunnelParams, period, ratio};
use crate::acl::{Caller, Entity};
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::EntityDef;
use crate::resource::checks::placeholders;

/// One lead status.
struct Status {
    code: String,
    name: String,
    color: String,
    semantic: String,
}

fn statuses(db: &dyn Db, lang: &str) -> Result<Vec<Status>, CoreError> {
    let name = if lang == "ru" { "name_ru" } else { "name_en" };
    let rows = db.query(
        &format!(
            "SELECT code, {name} AS name, color, semantic FROM dictionary_entries WHERE kind = 'lead_status' ORDER BY sort, code"
        ),
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| Status {
            code: r.str("code").unwrap_or_default().to_string(),
            name: r.str("name").unwrap_or_default().to_string(),
            color: r.str("color").unwrap_or_default().to_string(),
            semantic: r.str("semantic").unwrap_or_default().to_string(),
        })
        .collect())
}

/// The leads funnel (the contract's `leads_funnel` Result).
pub fn leads(db: &dyn Db, caller: &Caller, params: &FunnelParams) -> Result<Json, CoreError> {
    let lang = super::super::saved::language(db, caller, params.language.as_deref())?;
    let lang = lang.as_str();
    let statuses = statuses(db, lang)?;
    let period = period(db, params)?;
    let open: Vec<&Status> = statuses.iter().filter(|s| s.semantic == "open").collect();
    let n = open.len() as i64;
    let rank = |code: &str| -> Option<i64> {
        match statuses.iter().find(|s| s.code == code)?.semantic.as_str() {
            "open" => open.iter().position(|s| s.code == code).map(|i| i as i64),
            "success" => Some(n),
            _ => None,
        }
    };
    let success: Vec<Value> = statuses
        .iter()
        .filter(|s| s.semantic == "success")
        .map(|s| Value::from(s.code.as_str()))
        .collect();

    let def = EntityDef::load_for(db, caller, "lead")?;
    let acl = caller.list_filter(Entity::Lead, &def.acl_columns());
    // Per lead: its status, creation time, and from its status changes every status it was in
    // (as a comma list) and when it was last set to a success status.
    let mut values: Vec<Value> = vec![period.start.into(), period.end.into()];
    values.extend(acl.params);
    values.extend(success.iter().cloned());
    let sql = format!(
        "WITH l AS (
           SELECT t.id, t.status, t.created_at FROM leads t WHERE t.created_at >= ? AND t.created_at < ? AND {acl}
         ), changes AS (
           SELECT tl.record_id AS id, tl.at,
                  json_extract(c.value, '$.old') AS old, json_extract(c.value, '$.new') AS new
           FROM l JOIN timeline tl ON tl.entity = 'lead' AND tl.record_id = l.id AND tl.kind = 'updated',
                json_each(tl.payload, '$.changes') c
           WHERE json_extract(c.value, '$.field') = 'status'
         )
         SELECT l.status, l.created_at,
                (SELECT group_concat(s) FROM (SELECT old AS s FROM changes WHERE changes.id = l.id
                                              UNION SELECT new FROM changes WHERE changes.id = l.id)) AS been,
                (SELECT MAX(at) FROM changes WHERE changes.id = l.id AND changes.new IN ({success})) AS converted_at
         FROM l",
        acl = acl.sql,
        success = placeholders(success.len()),
    );
    let rows = db.query(&sql, &values)?;

    let mut now: HashMap<String, i64> = HashMap::new();
    let mut reached: Vec<i64> = vec![0; statuses.len()];
    let mut days: Vec<f64> = Vec::new();
    let total = rows.len() as i64;
    for row in rows.iter() {
        let status = row.str("status").unwrap_or_default();
        *now.entry(status.to_string()).or_default() += 1;
        let mut been: Vec<&str> = row.str("been").map(|b| b.split(',').collect()).unwrap_or_default();
        been.push(status);
        let top = been.iter().filter_map(|c| rank(c)).max().unwrap_or(0).max(0);
        for (i, s) in statuses.iter().enumerate() {
            let counts = match rank(&s.code) {
                Some(r) if s.semantic == "open" => top >= r,
                _ => been.contains(&s.code.as_str()),
            };
            if counts {
                reached[i] += 1;
            }
        }
        if success.iter().any(|c| c.as_str() == Some(status))
            && let (Some(at), Some(created)) = (row.i64("converted_at"), row.i64("created_at"))
        {
            days.push((at - created) as f64 / 86_400.0);
        }
    }

    let count_of = |semantic: &str| -> i64 {
        statuses
            .iter()
            .filter(|s| s.semantic == semantic)
            .map(|s| now.get(&s.code).copied().unwrap_or_default())
            .sum()
    };
    let first = open
        .first()
        .and_then(|f| statuses.iter().position(|s| s.code == f.code));
    let first_reached = first.map_or(total, |i| reached[i]);
    let out: Vec<Json> = statuses
        .iter()
        .zip(&reached)
        .map(|(s, r)| {
            json!({
                "code": s.code, "name": s.name, "color": s.color, "semantic": s.semantic,
                "now": now.get(&s.code).copied().unwrap_or_default(), "reached": r,
                "share": ratio(*r, first_reached),
            })
        })
        .collect();
    let (converted, junk) = (count_of("success"), count_of("failure"));
    let title = if lang == "ru" {
        "Воронка лидов"
    } else {
        "Leads funnel"
    };
    Ok(json!({
        "report": super::report_head(db, params, "leads_funnel", title)?,
        "period": period.json(),
        "total": total,
        "statuses": out,
        "converted": {"count": converted, "share": ratio(converted, total)},
        "junk": {"count": junk, "share": ratio(junk, total)},
        "time_to_convert": time_to_convert(&mut days),
        "drill": {"all": period.drill()},
    }))
}

/// The average and median of `days`, to a tenth of a day (`null`s when there are none).
fn time_to_convert(days: &mut [f64]) -> Json {
    if days.is_empty() {
        return json!({"count": 0, "avg_days": null, "median_days": null});
    }
    days.sort_by(f64::total_cmp);
    let tenth = |d: f64| (d * 10.0).round() / 10.0;
    let avg = days.iter().sum::<f64>() / days.len() as f64;
    let mid = days.len() / 2;
    let median = if days.len().is_multiple_of(2) {
        (days[mid - 1] + days[mid]) / 2.0
    } else {
        days[mid]
    };
    json!({"count": days.len(), "avg_days": tenth(avg), "median_days": tenth(median)})
}
