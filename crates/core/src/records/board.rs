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
use super::entity::{BoardColumns, BoardTotals};
use super::fields::ParseContext;
use super::list::{self, RecordQuery};
use super::values::format_wide_decimal;
use crate::acl::{Action, Caller, Level};
use crate::db::Db;
use crate::error::CoreError;

/// Cards per column unless `per_column` says otherwise (1..100).
pub const DEFAULT_CARDS: u32 = 20;

/// A board's column headers, from where the entity's traits say: a pipeline's stages
/// (`pipeline_id`, else the default pipeline, added to the filters) or a dictionary's entries.
fn columns(db: &dyn Db, def: &EntityDef, pairs: &mut Vec<(String, String)>) -> Result<Vec<Json>, CoreError> {
    let (Some(source), Some(_)) = (def.traits.board_columns, def.stage()) else {
        return Err(CoreError::NotFound);
    };
    if let BoardColumns::Dictionary(kind) = source {
        let rows = db.query(
            "SELECT code, name_en, name_ru, color, semantic FROM dictionary_entries WHERE kind = ? ORDER BY sort, code",
            &[kind.into()],
        )?;
        return Ok(rows.iter().map(|r| header(&r)).collect());
    }
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

/// Whether the running totals answer a board filtered by `pairs`: every pair filters one of the
/// table's columns by `eq` (either spelling), `in` or `ne`, and no value is what the table
/// stores for a record's NULL (0, ''), so each condition selects the same records there as in
/// the record table. Anything else (`q`, other fields, ranges, `null`) reads the records.
fn totals_answer(totals: &BoardTotals, pairs: &[(String, String)]) -> bool {
    pairs.iter().all(|(key, value)| {
        let Some(inner) = key.strip_prefix("filter[").and_then(|k| k.strip_suffix(']')) else {
            return false;
        };
        let (field, op) = inner.split_once("][").unwrap_or((inner, "eq"));
        let stand_in = |v: &str| v.trim().is_empty() || v.trim().parse::<i64>() == Ok(0);
        totals.filters.contains(&field) && matches!(op, "eq" | "in" | "ne") && !value.split(',').any(stand_in)
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
    // A board filtered only by columns a running-totals table keeps reads it (a few rows per
    // column) instead of every record.
    let reads_all = caller.level(def.acl, Action::Read) == Level::All;
    let summary = def
        .traits
        .board_totals
        .iter()
        .find(|totals| totals_answer(totals, &pairs) && (reads_all || !totals.whole_only));
    let totals = match summary.copied() {
        Some(totals) => list::group_totals_from(db, caller, def, &base, stage, totals.source)?,
        None => list::group_totals(db, caller, def, &base, stage)?,
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
    let base_currency = crate::records::dictionaries::base_currency(db)?;
    Ok(json!({ "columns": out, "currency": base_currency, "per_column": per_column }))
}
