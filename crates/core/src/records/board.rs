//! Kanban boards (`GET /api/deals/board`, `GET /api/leads/board`): one column per stage (a
//! pipeline's stages) or status, each with its record count, the total `amount` in the base
//! currency, the first cards and a cursor for more (the entity's list with
//! `filter[<stage field>]=<column>` and the board's sort, so every list filter works on a board
//! too). Moving a card is a `PATCH` of the stage with `If-Match`, checked like any change.
//!
//! A column's total is exact however many amounts it adds: summed in two parts in SQL, combined
//! in `i128` and converted through exact rates once per currency (`list::group_totals`), and
//! written as a decimal string that may exceed any single amount's maximum.

use serde_json::{Value as Json, json};

use super::EntityDef;
use super::fields::ParseContext;
use super::list::{self, RecordQuery, TotalsSource};
use super::values::format_wide_decimal;
use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;

/// The running totals of deals (sql/0012): counts and amounts split in two parts.
const DEAL_TOTALS: TotalsSource = TotalsSource {
    table: "deal_board_totals",
    count: "SUM(t.n)",
    split: Some(("amount_hi", "amount_lo")),
};

/// The equality filters `deal_board_totals` can answer.
const SUMMARY_FILTERS: &[&str] = &["pipeline_id", "responsible_id", "opened", "currency"];

/// Cards per column unless `per_column` says otherwise (1..100).
pub const DEFAULT_CARDS: u32 = 20;

/// A board's column headers: for deals the stages of `pipeline_id` (the default pipeline
/// without it, added to the filters), for leads the lead statuses.
fn columns(db: &dyn Db, def: &EntityDef, pairs: &mut Vec<(String, String)>) -> Result<Vec<Json>, CoreError> {
    let Some(stage_field) = def.stage() else {
        return Err(CoreError::NotFound);
    };
    if stage_field == "stage" {
        let pipeline = match pairs.iter().position(|(k, _)| k == "pipeline_id") {
            Some(i) => {
                let (_, v) = pairs.remove(i);
                v.parse::<i64>()
                    .map_err(|_| CoreError::BadRequest("pipeline_id must be an integer".into()))?
            }
            None => super::pipelines::default_pipeline(db)?,
        };
        pairs.push(("filter[pipeline_id]".into(), pipeline.to_string()));
        let rows = db.query(
            "SELECT code, name_en, name_ru, color, semantic FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id",
            &[pipeline.into()],
        )?;
        if rows.is_empty() {
            return Err(CoreError::NotFound);
        }
        return Ok(rows.iter().map(|r| header(&r)).collect());
    }
    let rows = db.query(
        "SELECT code, name_en, name_ru, color, semantic FROM dictionary_entries WHERE kind = 'lead_status' ORDER BY sort, code",
        &[],
    )?;
    Ok(rows.iter().map(|r| header(&r)).collect())
}

fn header(row: &crate::db::Row) -> Json {
    json!({
        "code": row.str("code"),
        "name": {"en": row.str("name_en"), "ru": row.str("name_ru")},
        "color": row.str("color"),
        "semantic": row.str("semantic"),
    })
}

/// The board of `def` for the list query `pairs` (plus `pipeline_id` and `per_column`).
pub fn board(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    pairs: &[(String, String)],
    cx: &ParseContext,
) -> Result<Json, CoreError> {
    let mut pairs = pairs.to_vec();
    let per_column = match pairs.iter().position(|(k, _)| k == "per_column") {
        Some(i) => match pairs.remove(i).1.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(CoreError::BadRequest(
                    "per_column must be an integer from 1 to 100".into(),
                ));
            }
        },
        None => DEFAULT_CARDS,
    };
    if pairs.iter().any(|(k, _)| k == "cursor" || k == "limit" || k == "count") {
        return Err(CoreError::BadRequest(
            "a board takes no cursor, limit or count; page a column through the list".into(),
        ));
    }
    let headers = columns(db, def, &mut pairs)?;
    let stage = def.stage().unwrap_or_default();
    if pairs.iter().any(|(k, _)| k.starts_with(&format!("filter[{stage}]"))) {
        return Err(CoreError::BadRequest(format!(
            "a board has a column per {stage}; do not filter by it"
        )));
    }
    let base = RecordQuery::parse(def, &pairs, cx)?;
    // A deal board filtered only by columns the running totals keep reads them (a few rows per
    // stage) instead of every deal of the pipeline.
    let summarised = def.name == "deal"
        && pairs
            .iter()
            .all(|(k, _)| SUMMARY_FILTERS.iter().any(|f| k == &format!("filter[{f}]")));
    let totals = if summarised {
        list::group_totals_from(db, caller, def, &base, stage, DEAL_TOTALS)?
    } else {
        list::group_totals(db, caller, def, &base, stage)?
    };
    let mut out = Vec::new();
    for header in headers {
        let code = header["code"].as_str().unwrap_or_default().to_string();
        let (count, amount) = totals
            .iter()
            .find(|(g, _, _)| g.as_str() == Some(code.as_str()))
            .map(|(_, n, s)| (*n, *s))
            .unwrap_or((0, 0));
        let mut column_pairs = pairs.clone();
        column_pairs.push((format!("filter[{stage}]"), code.clone()));
        column_pairs.push(("limit".into(), per_column.to_string()));
        let page = if count == 0 {
            json!({ "items": [], "next_cursor": null })
        } else {
            list::list(db, caller, def, &RecordQuery::parse(def, &column_pairs, cx)?)?
        };
        out.push(json!({
            "stage": header,
            "count": count,
            "amount": format_wide_decimal(amount, 2),
            "items": page["items"],
            "next_cursor": page["next_cursor"],
        }));
    }
    let base_currency = crate::dictionaries::base_currency(db)?;
    Ok(json!({ "columns": out, "currency": base_currency, "per_column": per_column }))
}
