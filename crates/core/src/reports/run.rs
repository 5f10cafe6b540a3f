//! Running a report: the compiled query's grouped rows become the chart-ready Result (see
//! README's "Reports"): `columns`, `rows` (group cells `{value, label}`, measure values; money
//! as a decimal string in the base currency), `totals` over every group, a `drill` query
//! string per row for the records list, and `truncated` when `limit` cut rows off.
//!
//! Money: each (group, currency) sum arrives split in two parts, is combined exactly in `i128`
//! and converted once through the currency's exact rate (`records::money`, half away from
//! zero), as board totals are; a currency with no rate counts at par. Averages divide the
//! converted sum by the count of values; minimums and maximums convert each currency's extreme
//! (conversion keeps order).

use super::round4;
use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::{Value as Json, json};

use super::buckets;
use super::compile::{Compiled, MAX_GROUPS, Overrides, compile};
use super::definition::{Definition, Func};
use super::fields::{Field, Kind};
use crate::acl::Caller;
use crate::db::{Db, Row, Value};
use crate::error::CoreError;
use crate::records::dictionaries::{Rate, base_currency, currency_rates};
use crate::records::money;
use crate::records::values::format_wide_decimal;

/// One measure's running value in a group.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    /// Sum (base currency for money), or matches of a share.
    sum: i128,
    /// Values counted (avg).
    count: i64,
    /// Extreme (min or max).
    extreme: Option<i128>,
}

/// One output row before shaping.
#[derive(Debug, Clone)]
struct GroupRow {
    values: Vec<Value>,
    labels: Vec<Option<String>>,
    orders: Vec<Option<String>>,
    n: i64,
    acc: Vec<Acc>,
}

fn read_error(what: &str) -> CoreError {
    CoreError::Internal(format!(
        "a report total does not fit ({what}): amounts or rates past their bounds"
    ))
}

fn fold(acc: &mut Acc, func: Func, row: &Row, i: usize, rate: Option<Rate>) -> Result<(), CoreError> {
    let convert = |v: i128| match rate {
        Some(rate) => money::to_base(v, rate).ok_or_else(|| read_error("conversion")),
        None => Ok(v),
    };
    match func {
        Func::Count => {}
        Func::Sum | Func::Avg => {
            let hi = row.i64(&format!("m{i}h")).unwrap_or_default();
            let lo = row.i64(&format!("m{i}l")).unwrap_or_default();
            let part = convert(money::combine(hi, lo))?;
            acc.sum = acc.sum.checked_add(part).ok_or_else(|| read_error("sum"))?;
            acc.count += row.i64(&format!("m{i}n")).unwrap_or_default();
        }
        Func::Min | Func::Max => {
            if let Some(v) = row.i64(&format!("m{i}v")) {
                let v = convert(v.into())?;
                acc.extreme = Some(match (acc.extreme, func) {
                    (None, _) => v,
                    (Some(e), Func::Min) => e.min(v),
                    (Some(e), _) => e.max(v),
                });
            }
        }
        Func::Share => acc.sum += i128::from(row.i64(&format!("m{i}v")).unwrap_or_default()),
    }
    Ok(())
}

fn merge(into: &mut Acc, from: &Acc, func: Func) {
    into.sum += from.sum;
    into.count += from.count;
    if let Some(v) = from.extreme {
        into.extreme = Some(match (into.extreme, func) {
            (None, _) => v,
            (Some(e), Func::Min) => e.min(v),
            (Some(e), _) => e.max(v),
        });
    }
}

/// A measure's value as a JSON cell.
fn measure_value(func: Func, field: Option<&Field>, acc: &Acc, n: i64) -> Json {
    let scale = match field.map(|f| &f.kind) {
        Some(Kind::Money(scale, _)) | Some(Kind::Number(scale)) => *scale,
        _ => 0,
    };
    let money = matches!(field.map(|f| &f.kind), Some(Kind::Money(..)));
    let number = |v: i128| -> Json {
        if money {
            json!(format_wide_decimal(v, scale))
        } else if scale == 0 {
            i64::try_from(v).map(Json::from).unwrap_or(Json::Null)
        } else {
            json!(round4(v as f64 / 10f64.powi(scale as i32)))
        }
    };
    match func {
        Func::Count => json!(n),
        Func::Sum => number(acc.sum),
        Func::Avg if acc.count == 0 => Json::Null,
        Func::Avg if money => number(money::mul_div(acc.sum, 1, acc.count.into()).unwrap_or_default()),
        Func::Avg => json!(round4(acc.sum as f64 / acc.count as f64 / 10f64.powi(scale as i32))),
        Func::Min | Func::Max => acc.extreme.map(number).unwrap_or(Json::Null),
        Func::Share if n == 0 => Json::Null,
        Func::Share => json!(round4(acc.sum as f64 / n as f64)),
    }
}

/// The sorter's helper threads for a report's query (this connection's, kept).
const SORT_THREADS: &str = "PRAGMA threads = 2";

/// Reads the compiled query's rows into groups with their measures, money converted.
fn groups(db: &dyn Db, def: &Definition, compiled: &Compiled) -> Result<Vec<GroupRow>, CoreError> {
    // A report over a year of deals groups hundreds of thousands of rows through SQLite's
    // sorter; with helper threads it sorts the spilled runs in parallel (about 40 % less time
    // at a million deals). A database that refuses the setting (a remote libSQL) just sorts
    // on one thread.
    let _ = db.query(SORT_THREADS, &[]);
    let rows = db.query(&compiled.sql, &compiled.params)?;
    if rows.len() > MAX_GROUPS {
        let mut errors = crate::error::FieldErrors::new();
        errors.push(
            "definition.group_by",
            "too_many_groups",
            format!("more than {MAX_GROUPS} groups: narrow the period or the filter, or group more coarsely"),
        );
        return Err(CoreError::Validation(errors));
    }
    let rates = if compiled.currency_of.iter().any(Option::is_some) {
        currency_rates(db)?
    } else {
        HashMap::new()
    };
    let mut out: Vec<GroupRow> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows.iter() {
        let values: Vec<Value> = (0..def.groups.len())
            .map(|i| row.get(&format!("g{i}")).cloned().unwrap_or(Value::Null))
            .collect();
        let key = format!("{values:?}");
        let at = *index.entry(key).or_insert_with(|| {
            out.push(GroupRow {
                labels: (0..def.groups.len())
                    .map(|i| row.str(&format!("l{i}")).map(str::to_owned))
                    .collect(),
                orders: (0..def.groups.len())
                    .map(|i| row.str(&format!("o{i}")).map(str::to_owned))
                    .collect(),
                values: values.clone(),
                n: 0,
                acc: vec![Acc::default(); def.measures.len()],
            });
            out.len() - 1
        });
        let group = &mut out[at];
        group.n += row.i64("n").unwrap_or_default();
        for (i, measure) in def.measures.iter().enumerate() {
            let rate = compiled.currency_of[i].map(|k| {
                rates
                    .get(row.str(&format!("c{k}")).unwrap_or_default())
                    .copied()
                    .unwrap_or(Rate::ONE)
            });
            fold(&mut group.acc[i], measure.func, &row, i, rate)?;
        }
    }
    // A report with no group has one row, even over no records.
    if def.groups.is_empty() && out.is_empty() {
        out.push(GroupRow {
            values: Vec::new(),
            labels: Vec::new(),
            orders: Vec::new(),
            n: 0,
            acc: vec![Acc::default(); def.measures.len()],
        });
    }
    Ok(out)
}

/// What the language calls yes, no and a stage semantic.
fn fixed_label(kind: &Kind, value: &Value, lang: &str) -> Option<String> {
    let ru = lang == "ru";
    let text = match (kind, value) {
        (Kind::Boolean, Value::Integer(1)) => {
            if ru {
                "Да"
            } else {
                "Yes"
            }
        }
        (Kind::Boolean, Value::Integer(0)) => {
            if ru {
                "Нет"
            } else {
                "No"
            }
        }
        (Kind::Semantic(_), Value::Text(s)) => match (s.as_str(), ru) {
            ("progress" | "open", false) => "In progress",
            ("progress" | "open", true) => "В работе",
            ("won" | "success", false) => "Won",
            ("won" | "success", true) => "Успех",
            ("lost" | "failure", false) => "Lost",
            ("lost" | "failure", true) => "Провал",
            _ => return None,
        },
        _ => return None,
    };
    Some(text.to_string())
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Text(s) => json!(s),
        Value::Blob(_) => Json::Null,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        _ => String::new(),
    }
}

/// `filter[...]` pairs of the list language selecting the rows of a group value, or `None`
/// where the list cannot say it.
fn drill_pairs(
    db: &dyn Db,
    def: &Definition,
    compiled: &Compiled,
    i: usize,
    value: &Value,
) -> Result<Option<Vec<(String, String)>>, CoreError> {
    let group = &def.groups[i];
    let name = match &group.field.filter {
        super::fields::FilterBy::List(name) => name.clone(),
        super::fields::FilterBy::Primary(link) => return Ok(Some(primary_pairs(link, "eq", &value_text(value)))),
        _ if value.is_null() => return Ok(None),
        _ => return list_equivalent(db, def, &group.field, "eq", &value_text(value)),
    };
    if value.is_null() {
        return Ok(Some(vec![(format!("filter[{name}][null]"), "true".into())]));
    }
    let Some(bucket) = group.bucket else {
        return Ok(Some(vec![(format!("filter[{name}]"), value_text(value))]));
    };
    let Ok(first) = value_text(value).parse::<Date>() else {
        return Ok(None);
    };
    let next = buckets::next(bucket, first)?;
    Ok(Some(match group.field.kind {
        Kind::Date => vec![
            (format!("filter[{name}][gte]"), first.to_string()),
            (format!("filter[{name}][lt]"), next.to_string()),
        ],
        _ => vec![
            (
                format!("filter[{name}][gte]"),
                crate::clock::rfc3339(super::period::day_start(&compiled.zone, first)?),
            ),
            (
                format!("filter[{name}][lt]"),
                crate::clock::rfc3339(super::period::day_start(&compiled.zone, next)?),
            ),
        ],
    }))
}

/// The definition's own filter and period as list pairs, or `None` if the list cannot say them.
fn base_pairs(
    db: &dyn Db,
    def: &Definition,
    compiled: &Compiled,
    overrides: &Overrides,
) -> Result<Option<Vec<(String, String)>>, CoreError> {
    let mut pairs = Vec::new();
    for (key, value) in &def.filter {
        let Some(field) = def.source.field(key) else {
            return Ok(None);
        };
        let ops: Vec<(String, &Json)> = match value {
            Json::Object(ops) => ops.iter().map(|(op, v)| (op.clone(), v)).collect(),
            Json::Null => vec![("null".into(), &Json::Bool(true))],
            Json::Array(_) => vec![("in".into(), value)],
            other => vec![("eq".into(), other)],
        };
        for (op, v) in ops {
            let text = match v {
                Json::Array(items) => items
                    .iter()
                    .map(|i| json_text(i, field, compiled))
                    .collect::<Vec<_>>()
                    .join(","),
                other => json_text(other, field, compiled),
            };
            match &field.filter {
                super::fields::FilterBy::List(name) => pairs.push((format!("filter[{name}][{op}]"), text)),
                super::fields::FilterBy::Primary(link) if matches!(op.as_str(), "eq" | "in" | "null") => {
                    pairs.extend(primary_pairs(link, &op, &text))
                }
                _ => match list_equivalent(db, def, field, &op, &text)? {
                    Some(more) => pairs.extend(more),
                    None => return Ok(None),
                },
            }
        }
    }
    pairs.extend(overrides.filter.iter().cloned());
    if let Some((field, range)) = &compiled.period {
        let super::fields::FilterBy::List(name) = &field.filter else {
            return Ok(None);
        };
        match field.kind {
            Kind::Date => {
                if let Some(from) = &range.from {
                    pairs.push((format!("filter[{name}][gte]"), from.clone()));
                }
                if let Some(to) = &range.to {
                    pairs.push((format!("filter[{name}][lte]"), to.clone()));
                }
            }
            _ => {
                if let Some(start) = range.start {
                    pairs.push((format!("filter[{name}][gte]"), crate::clock::rfc3339(start)));
                }
                if let Some(end) = range.end {
                    pairs.push((format!("filter[{name}][lt]"), crate::clock::rfc3339(end)));
                }
            }
        }
    }
    Ok(Some(pairs))
}

/// A primary record's `eq`/`in`/`null` said in the list language: `filter[<link>][primary]`,
/// and no primary record as no links at all (the first link is always the primary one).
fn primary_pairs(link: &str, op: &str, text: &str) -> Vec<(String, String)> {
    match (op, text) {
        ("null", "true" | "1") | ("eq" | "in", "") => vec![(format!("filter[{link}][null]"), "true".into())],
        ("null", _) => vec![(format!("filter[{link}][null]"), "false".into())],
        _ => vec![(format!("filter[{link}][primary]"), text.to_string())],
    }
}

/// A derived field's `eq`/`in` filter said in the list language: a stage semantic as the
/// stages (statuses) that have it, a department as its users; `None` where the list cannot say
/// it (other operators, more than 100 values).
fn list_equivalent(
    db: &dyn Db,
    def: &Definition,
    field: &Field,
    op: &str,
    text: &str,
) -> Result<Option<Vec<(String, String)>>, CoreError> {
    if !matches!(op, "eq" | "in") {
        return Ok(None);
    }
    let values: Vec<Value> = text.split(',').map(|v| Value::from(v.trim())).collect();
    let list = vec!["?"; values.len()].join(", ");
    let (column, sql, params) = match &field.kind {
        Kind::Semantic(columns) => {
            let Some(stage) = def.source.def.stage() else {
                return Ok(None);
            };
            let sql = match columns {
                crate::records::entity::BoardColumns::PipelineStages => {
                    format!("SELECT code AS v FROM pipeline_stages WHERE semantic IN ({list}) ORDER BY id")
                }
                crate::records::entity::BoardColumns::Dictionary(kind) => format!(
                    "SELECT code AS v FROM dictionary_entries WHERE kind = '{kind}' AND semantic IN ({list}) ORDER BY sort"
                ),
            };
            (stage, sql, values)
        }
        Kind::Department => (
            "responsible_id",
            format!("SELECT id AS v FROM users WHERE department_id IN ({list}) ORDER BY id"),
            values
                .iter()
                .map(|v| Value::from(value_text(v).parse::<i64>().unwrap_or_default()))
                .collect(),
        ),
        _ => return Ok(None),
    };
    let rows = db.query(&sql, &params)?;
    let found: Vec<String> = rows.iter().filter_map(|r| r.get("v").map(value_text)).collect();
    if found.is_empty() || found.len() > 100 {
        return Ok(None);
    }
    Ok(Some(vec![(format!("filter[{column}][in]"), found.join(","))]))
}

fn json_text(value: &Json, field: &Field, compiled: &Compiled) -> String {
    let text = match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.starts_with("today") || (field.kind == Kind::Datetime && text.len() == 10) {
        let today = super::period::today(&compiled.zone);
        if let Ok(date) = super::period::parse_date(&text, today) {
            return match field.kind {
                Kind::Datetime => super::period::day_start(&compiled.zone, date)
                    .map(crate::clock::rfc3339)
                    .unwrap_or(text),
                _ => date.to_string(),
            };
        }
    }
    text
}

/// A query string of pairs, percent-encoded (brackets, commas and colons kept readable).
fn query_string(pairs: &[(String, String)]) -> String {
    fn encode(text: &str) -> String {
        let mut out = String::new();
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~[],:".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Runs a checked definition for the caller: the Result JSON. `report` is the Result's
/// `report` object (id, name, kind, chart).
pub fn run(
    db: &dyn Db,
    caller: &Caller,
    def: &Definition,
    report: Json,
    overrides: &Overrides,
    lang: &str,
) -> Result<Json, CoreError> {
    let compiled = compile(db, caller, def, overrides, lang)?;
    let mut rows = groups(db, def, &compiled)?;
    let currency = base_currency(db)?;

    // Totals over every group, before the limit.
    let mut total_n = 0;
    let mut totals = vec![Acc::default(); def.measures.len()];
    for row in &rows {
        total_n += row.n;
        for (i, measure) in def.measures.iter().enumerate() {
            merge(&mut totals[i], &row.acc[i], measure.func);
        }
    }
    let measure_cells = |acc: &[Acc], n: i64| -> Vec<Json> {
        def.measures
            .iter()
            .enumerate()
            .map(|(i, m)| measure_value(m.func, m.field.as_ref(), &acc[i], n))
            .collect()
    };

    // Sort.
    if let Some((key, descending)) = &def.sort {
        if let Some(g) = def.groups.iter().position(|g| &g.key == key) {
            rows.sort_by(|a, b| {
                let ka = (a.orders[g].clone(), sort_value(&a.values[g]));
                let kb = (b.orders[g].clone(), sort_value(&b.values[g]));
                ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
            });
        } else if let Some(m) = def.measures.iter().position(|m| &m.key == key) {
            let measure = &def.measures[m];
            rows.sort_by(|a, b| {
                let va = measure_value(measure.func, measure.field.as_ref(), &a.acc[m], a.n);
                let vb = measure_value(measure.func, measure.field.as_ref(), &b.acc[m], b.n);
                number_of(&va)
                    .partial_cmp(&number_of(&vb))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        if *descending {
            rows.reverse();
        }
    }
    let truncated = rows.len() > def.limit as usize;
    rows.truncate(def.limit as usize);

    let base = if def.source.drill {
        base_pairs(db, def, &compiled, overrides)?
    } else {
        None
    };
    let mut out_rows = Vec::new();
    for row in &rows {
        let mut cells = Vec::new();
        let mut drill = base.clone();
        for (i, group) in def.groups.iter().enumerate() {
            let value = &row.values[i];
            let label = match (group.bucket, value) {
                (_, Value::Null) => "—".to_string(),
                (Some(bucket), v) => value_text(v)
                    .parse::<Date>()
                    .map(|d| buckets::label(bucket, d))
                    .unwrap_or_else(|_| value_text(v)),
                (None, v) => row.labels[i]
                    .clone()
                    .or_else(|| fixed_label(&group.field.kind, v, lang))
                    .unwrap_or_else(|| value_text(v)),
            };
            cells.push(json!({"value": value_json(value), "label": label}));
            if let Some(pairs) = drill.as_mut() {
                match drill_pairs(db, def, &compiled, i, value)? {
                    Some(more) => pairs.extend(more),
                    None => drill = None,
                }
            }
        }
        cells.extend(measure_cells(&row.acc, row.n));
        out_rows.push(json!({"cells": cells, "drill": drill.map(|p| query_string(&p))}));
    }
    let mut total_cells: Vec<Json> = def.groups.iter().map(|_| Json::Null).collect();
    total_cells.extend(measure_cells(&totals, total_n));

    let mut columns = Vec::new();
    for group in &def.groups {
        let mut column = json!({
            "key": group.key,
            "label": group.field.label(lang),
            "role": "group",
            "type": if group.bucket.is_some() { "date" } else { group.field.kind.code() },
        });
        if let Some(bucket) = group.bucket {
            column["bucket"] = json!(bucket);
            column["label"] = json!(format!("{} ({})", group.field.label(lang), bucket_name(bucket, lang)));
        }
        columns.push(column);
    }
    for measure in &def.measures {
        let (kind, label) = measure_column(measure, lang);
        let mut column = json!({"key": measure.key, "label": label, "role": "measure", "type": kind});
        if kind == "money" {
            column["currency"] = json!(currency);
        }
        columns.push(column);
    }
    let period = compiled
        .period
        .as_ref()
        .map(|(field, range)| json!({"field": field.name, "from": range.from, "to": range.to}));
    Ok(json!({
        "report": report,
        "currency": currency,
        "period": period,
        "columns": columns,
        "rows": out_rows,
        "totals": total_cells,
        "truncated": truncated,
    }))
}

fn sort_value(value: &Value) -> (u8, i64, String) {
    match value {
        Value::Null => (0, 0, String::new()),
        Value::Integer(i) => (1, *i, String::new()),
        Value::Real(f) => (1, *f as i64, String::new()),
        Value::Text(s) => (2, 0, s.clone()),
        Value::Blob(_) => (3, 0, String::new()),
    }
}

fn number_of(value: &Json) -> f64 {
    match value {
        Json::Number(n) => n.as_f64().unwrap_or_default(),
        Json::String(s) => s.parse().unwrap_or_default(),
        _ => f64::NEG_INFINITY,
    }
}

fn bucket_name(bucket: &str, lang: &str) -> &'static str {
    match (bucket, lang == "ru") {
        ("day", false) => "day",
        ("day", true) => "день",
        ("week", false) => "week",
        ("week", true) => "неделя",
        ("month", false) => "month",
        ("month", true) => "месяц",
        ("quarter", false) => "quarter",
        ("quarter", true) => "квартал",
        (_, false) => "year",
        (_, true) => "год",
    }
}

/// A measure column's type and label.
fn measure_column(measure: &super::definition::Measure, lang: &str) -> (&'static str, String) {
    let ru = lang == "ru";
    let kind = match (measure.func, measure.field.as_ref().map(|f| &f.kind)) {
        (Func::Share, _) => "percent",
        (Func::Count, _) => "number",
        (_, Some(Kind::Money(..))) => "money",
        _ => "number",
    };
    if let Some(label) = &measure.label {
        return (kind, label.clone());
    }
    let label = match (measure.func, &measure.field) {
        (Func::Count, _) => (if ru { "Количество" } else { "Count" }).to_string(),
        (Func::Share, _) => (if ru { "Доля" } else { "Share" }).to_string(),
        (func, Some(field)) => {
            let fname = match (func, ru) {
                (Func::Sum, false) => "sum",
                (Func::Sum, true) => "сумма",
                (Func::Avg, false) => "average",
                (Func::Avg, true) => "среднее",
                (Func::Min, false) => "min",
                (Func::Min, true) => "мин.",
                (_, false) => "max",
                (_, true) => "макс.",
            };
            format!("{}, {fname}", field.label(lang))
        }
        (_, None) => String::new(),
    };
    (kind, label)
}
