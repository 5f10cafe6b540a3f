//! A checked definition and the caller -> ONE SQL query with bound values: the rows of the
//! source under the caller's list ACL condition (`crate::acl::filter`), the filter (record
//! fields through the records list's own parser, `RecordQuery`, so there is one filter
//! language; derived fields by conditions of their own), the period, grouped by the groups and,
//! when a money measure is asked for, by each money field's currency too, with each measure's
//! parts: sums split in two as `records::money` does (so SQL never overflows), counts, extremes
//! and share numerators. Labels of the groups (users, stages, dictionary entries, records) are
//! read in the same statement, once per group. [`super::run`] converts each currency's sums
//! to the base currency exactly and shapes the result.

use jiff::tz::TimeZone;
use serde_json::{Map, Value as Json};

use super::buckets;
use super::definition::{Definition, Func};
use super::fields::{Field, FilterBy, Kind, Source};
use super::period::{self, Range};
use super::rollup;
use crate::acl::Caller;
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::entity::BoardColumns;
use crate::records::list::RecordQuery;
use crate::records::money::SPLIT;

/// The most groups a query may produce before the report asks for a narrower one.
pub const MAX_GROUPS: usize = 50_000;

/// What a run may override: the period's dates and list filters (`filter[...]` pairs).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The first day.
    pub from: Option<String>,
    /// The last day, inclusive.
    pub to: Option<String>,
    /// `filter[...]` pairs, ANDed.
    pub filter: Vec<(String, String)>,
}

/// The query and what reading its rows needs.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The SQL.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<Value>,
    /// For each measure, the index of its currency column (`c<k>`), if it is money.
    pub currency_of: Vec<Option<usize>>,
    /// The period in force.
    pub period: Option<(Field, Range)>,
    /// The firm's zone.
    pub zone: TimeZone,
}

/// Conditions ANDed: SQL pieces and their parameters.
#[derive(Debug, Default, Clone)]
struct Conditions {
    parts: Vec<String>,
    params: Vec<Value>,
}

impl Conditions {
    fn push(&mut self, sql: String, params: Vec<Value>) {
        self.parts.push(sql);
        self.params.extend(params);
    }

    fn text(&self) -> String {
        if self.parts.is_empty() {
            "1".into()
        } else {
            self.parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        }
    }
}

/// A filter value as the list language's text (`in` lists comma-joined), relative dates
/// resolved in `zone`.
fn value_text(field: &Field, value: &Json, zone: &TimeZone) -> Result<String, String> {
    let one = |v: &Json| -> Result<String, String> {
        let text = match v {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            _ => return Err("expected text, a number or true/false".into()),
        };
        date_text(field, &text, zone)
    };
    match value {
        Json::Array(items) => Ok(items.iter().map(one).collect::<Result<Vec<_>, _>>()?.join(",")),
        other => one(other),
    }
}

/// A date filter's text with `today`, `today-30d`... resolved; a plain date on a time field
/// means that day's first instant in the firm's zone.
fn date_text(field: &Field, text: &str, zone: &TimeZone) -> Result<String, String> {
    let dated = match field.kind {
        Kind::Date => true,
        Kind::Datetime => text.starts_with("today") || text.len() == 10,
        _ => false,
    };
    if !dated {
        return Ok(text.to_string());
    }
    let date = period::parse_date(text, period::today(zone))?;
    Ok(match field.kind {
        Kind::Date => date.to_string(),
        _ => crate::clock::rfc3339(period::day_start(zone, date).map_err(|e| e.to_string())?),
    })
}

/// A filter object as (field, op, text) triples in the list language, or errors by key.
fn triples<'s>(
    source: &'s Source,
    filter: &Map<String, Json>,
    zone: &TimeZone,
    path: &str,
    errors: &mut FieldErrors,
) -> Vec<(&'s Field, String, String)> {
    let mut out = Vec::new();
    for (key, value) in filter {
        let at = format!("{path}.{key}");
        let Some(field) = source.field(key) else {
            errors.push(at, "unknown_field", format!("{key:?} is no field of {}", source.entity));
            continue;
        };
        if field.filter == FilterBy::No {
            errors.push(at, "not_filterable", format!("{key:?} cannot be filtered"));
            continue;
        }
        let ops: Vec<(String, &Json)> = match value {
            Json::Object(ops) => ops.iter().map(|(op, v)| (op.clone(), v)).collect(),
            Json::Null => vec![("null".into(), &Json::Bool(true))],
            Json::Array(_) => vec![("in".into(), value)],
            other => vec![("eq".into(), other)],
        };
        if ops.is_empty() {
            errors.push(at.clone(), "invalid_filter", "expected a value or {op: value}");
        }
        for (op, v) in ops {
            match value_text(field, v, zone) {
                Ok(text) => out.push((field, op, text)),
                Err(message) => errors.push(format!("{at}.{op}"), "invalid_filter", message),
            }
        }
    }
    out
}

/// The SQL of one filter triple, or the message naming what is wrong.
fn condition(source: &Source, field: &Field, op: &str, text: &str) -> Result<(String, Vec<Value>), String> {
    match &field.filter {
        FilterBy::List(name) => {
            let key = format!("filter[{name}][{op}]");
            let query = RecordQuery::parse(&source.def, &[(key, text.to_string())], &source.def.parse).map_err(
                |e| match e {
                    CoreError::BadRequest(message) => message,
                    other => other.to_string(),
                },
            )?;
            Ok(query.conditions().first().cloned().unwrap_or(("1".into(), Vec::new())))
        }
        FilterBy::Own | FilterBy::Primary(_) => own_condition(&source.def, field, op, text),
        FilterBy::No => Err("this field cannot be filtered".into()),
    }
}

/// A derived or own field's condition: `eq ne gt gte lt lte in null` (and `like` on text).
fn own_condition(def: &EntityDef, field: &Field, op: &str, text: &str) -> Result<(String, Vec<Value>), String> {
    let parse = |t: &str| -> Result<Value, String> {
        let t = t.trim();
        match &field.kind {
            Kind::Number(scale) | Kind::Money(scale, _) => crate::records::values::parse_decimal_text(t, *scale)
                .map(Value::Integer)
                .map_err(|e| e.message),
            Kind::User | Kind::Department | Kind::Pipeline | Kind::Record(_) => t
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| "expected an integer".into()),
            Kind::Boolean => match t {
                "true" | "1" => Ok(Value::Integer(1)),
                "false" | "0" => Ok(Value::Integer(0)),
                _ => Err("expected true or false".into()),
            },
            Kind::Date => crate::records::values::parse_date(t)
                .map(Value::Text)
                .map_err(|e| e.message),
            Kind::Datetime => crate::records::values::parse_datetime(t)
                .map(Value::Integer)
                .map_err(|e| e.message),
            Kind::Semantic(columns) => {
                let known: &[&str] = match columns {
                    BoardColumns::PipelineStages => &["progress", "won", "lost"],
                    BoardColumns::Dictionary(_) => &["open", "success", "failure"],
                };
                if known.contains(&t) {
                    Ok(Value::from(t))
                } else {
                    Err(format!("expected one of {}", known.join(", ")))
                }
            }
            _ => Ok(Value::from(t)),
        }
    };
    let expr = &field.expr;
    if op == "null" {
        return match text {
            "true" | "1" => Ok((format!("{expr} IS NULL"), Vec::new())),
            "false" | "0" => Ok((format!("{expr} IS NOT NULL"), Vec::new())),
            _ => Err("expected true or false".into()),
        };
    }
    let values: Vec<Value> = if op == "in" {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.is_empty() || items.len() > 100 {
            return Err("expected a comma list of 1 to 100 values".into());
        }
        items.into_iter().map(parse).collect::<Result<_, _>>()?
    } else if op == "like" {
        vec![Value::from(format!("%{}%", text.trim()))]
    } else {
        vec![parse(text)?]
    };
    let list = vec!["?"; values.len()].join(", ");
    // A stage semantic reads the stages (or statuses) of that semantic, so the record's own
    // stage index answers.
    if let (Kind::Semantic(columns), Some((_, column))) = (&field.kind, def.stage_field)
        && matches!(op, "eq" | "in" | "ne")
    {
        let codes = match columns {
            BoardColumns::PipelineStages => format!("SELECT code FROM pipeline_stages WHERE semantic IN ({list})"),
            BoardColumns::Dictionary(kind) => {
                format!("SELECT code FROM dictionary_entries WHERE kind = '{kind}' AND semantic IN ({list})")
            }
        };
        let not = if op == "ne" { "NOT " } else { "" };
        return Ok((format!("{column} {not}IN ({codes})"), values));
    }
    let sql = match op {
        "eq" => format!("{expr} = ?"),
        "ne" => format!("{expr} IS NOT ?"),
        "gt" => format!("{expr} > ?"),
        "gte" => format!("{expr} >= ?"),
        "lt" => format!("{expr} < ?"),
        "lte" => format!("{expr} <= ?"),
        "in" => format!("{expr} IN ({list})"),
        "like" if field.kind == Kind::Text => format!("{expr} LIKE ?"),
        "like" => return Err("like applies only to text fields".into()),
        _ => return Err(format!("unknown filter operator {op:?}")),
    };
    Ok((sql, values))
}

/// The conditions of a filter object; bad parts pushed to `errors` under `path`.
fn filter_conditions(
    db: &dyn Db,
    source: &Source,
    filter: &Map<String, Json>,
    zone: &TimeZone,
    path: &str,
    errors: &mut FieldErrors,
) -> Result<Conditions, CoreError> {
    let mut out = Conditions::default();
    for (field, op, text) in triples(source, filter, zone, path, errors) {
        let at = format!("{path}.{}", field.name);
        match condition(source, field, &op, &text) {
            Ok((sql, params)) => {
                let sql = unindexed_date_range(field, &op, sql);
                if field.kind == Kind::Pipeline && matches!(op.as_str(), "eq" | "in") {
                    let unknown = unknown_pipelines(db, &params)?;
                    if !unknown.is_empty() {
                        errors.push(
                            at,
                            "unknown_pipeline",
                            format!("no pipeline with id {}", unknown.join(", ")),
                        );
                        continue;
                    }
                }
                out.push(sql, params);
            }
            Err(message) => errors.push(at, "invalid_filter", message),
        }
    }
    Ok(out)
}

/// A date range that is not the period (`close_date < today`) matches most rows: it is written
/// `+column`, so SQLite never reads its index and a table row per match instead of the
/// period's, the stage's or an ACL arm's index (seconds at a million deals).
fn unindexed_date_range(field: &Field, op: &str, sql: String) -> String {
    let range = matches!(op, "lt" | "lte" | "gt" | "gte");
    let dated = matches!(field.kind, Kind::Date | Kind::Datetime);
    if range && dated && is_column(&field.expr) && sql.starts_with(&field.expr) {
        format!("+{sql}")
    } else {
        sql
    }
}

fn unknown_pipelines(db: &dyn Db, ids: &[Value]) -> Result<Vec<String>, CoreError> {
    let mut unknown = Vec::new();
    for id in ids {
        if db
            .query("SELECT 1 FROM pipelines WHERE id = ?", std::slice::from_ref(id))?
            .is_empty()
        {
            unknown.push(id.as_i64().map(|i| i.to_string()).unwrap_or_default());
        }
    }
    Ok(unknown)
}

/// Pushes every bad part of the definition's filters and period to `errors` (part of
/// [`super::definition::check`]).
pub fn check_filters(
    db: &dyn Db,
    def: &Definition,
    zone: &TimeZone,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Result<(), CoreError> {
    filter_conditions(db, &def.source, &def.filter, zone, &format!("{prefix}filter"), errors)?;
    for (i, measure) in def.measures.iter().enumerate() {
        if let Some(filter) = &measure.filter {
            filter_conditions(
                db,
                &def.source,
                filter,
                zone,
                &format!("{prefix}measures[{i}].filter"),
                errors,
            )?;
        }
    }
    if let Some(p) = &def.period
        && let Err(CoreError::Validation(e)) = period_range(p, &Overrides::default(), zone, prefix)
    {
        errors.0.extend(e.0);
    }
    Ok(())
}

/// The period in force: the overrides' dates if given, else the definition's.
fn period_range(
    p: &super::definition::Period,
    overrides: &Overrides,
    zone: &TimeZone,
    prefix: &str,
) -> Result<Range, CoreError> {
    if overrides.from.is_some() || overrides.to.is_some() {
        return period::bounds_in(zone, overrides.from.as_deref(), overrides.to.as_deref(), ("from", "to"));
    }
    match &p.last {
        Some(last) => period::last(zone, last, &format!("{prefix}period.last")),
        None => period::bounds_in(
            zone,
            p.from.as_deref(),
            p.to.as_deref(),
            (&format!("{prefix}period.from"), &format!("{prefix}period.to")),
        ),
    }
}

/// The SQL of a period on `field` over `range`; `unindexed` writes the column as `+column`, so
/// SQLite finds the rows by another condition's index.
fn period_condition(field: &Field, range: &Range, unindexed: bool) -> Conditions {
    let mut out = Conditions::default();
    let expr = if unindexed && is_column(&field.expr) {
        format!("+{}", field.expr)
    } else {
        field.expr.clone()
    };
    match field.kind {
        Kind::Date => {
            if let Some(from) = &range.from {
                out.push(format!("{expr} >= ?"), vec![from.as_str().into()]);
            }
            if let Some(to) = &range.to {
                out.push(format!("{expr} <= ?"), vec![to.as_str().into()]);
            }
        }
        _ => {
            if let Some(start) = range.start {
                out.push(format!("{expr} >= ?"), vec![start.into()]);
            }
            if let Some(end) = range.end {
                out.push(format!("{expr} < ?"), vec![end.into()]);
            }
        }
    }
    out
}

/// The SQL of the partial months of a period that a rollup answers in whole months: the rows
/// from the period's start to the first whole month and from the last one's end to its end.
fn edges(field: &Field, range: &Range, chosen: &rollup::Chosen) -> Conditions {
    let expr = &field.expr;
    let mut out = Conditions::default();
    out.push(
        format!("({expr} >= ? AND {expr} < ?) OR ({expr} >= ? AND {expr} < ?)"),
        [range.start, Some(chosen.from), Some(chosen.to), range.end]
            .into_iter()
            .map(|t| Value::Integer(t.unwrap_or_default()))
            .collect(),
    );
    out
}

/// The label and order expressions of a group's value `g` (a column of the grouped rows), with
/// their parameters, in `lang`.
fn label_sql(kind: &Kind, g: &str, lang: &str) -> Option<(String, Option<String>, Vec<Value>)> {
    let name = if lang == "ru" { "name_ru" } else { "name_en" };
    Some(match kind {
        Kind::User => (format!("(SELECT name FROM users WHERE id = {g})"), None, Vec::new()),
        Kind::Department => (
            format!("(SELECT name FROM departments WHERE id = {g})"),
            None,
            Vec::new(),
        ),
        Kind::Pipeline => (
            format!("(SELECT {name} FROM pipelines WHERE id = {g})"),
            Some(format!("(SELECT printf('%010d', sort) FROM pipelines WHERE id = {g})")),
            Vec::new(),
        ),
        Kind::Stage => (
            format!("(SELECT {name} FROM pipeline_stages WHERE code = {g})"),
            Some(format!(
                "(SELECT printf('%010d %010d %010d', p.sort, p.id, s.sort) FROM pipeline_stages s \
                 JOIN pipelines p ON p.id = s.pipeline_id WHERE s.code = {g})"
            )),
            Vec::new(),
        ),
        Kind::Dictionary(dictionary) => (
            format!("(SELECT {name} FROM dictionary_entries WHERE kind = ? AND code = {g})"),
            Some(format!(
                "(SELECT printf('%010d', sort) FROM dictionary_entries WHERE kind = ? AND code = {g})"
            )),
            vec![dictionary.as_str().into(), dictionary.as_str().into()],
        ),
        Kind::Record(entity) => {
            let def = EntityDef::builtin(entity)?;
            let title: Vec<String> = def.title_fields.iter().map(|f| format!("COALESCE({f}, '')")).collect();
            (
                format!(
                    "(SELECT TRIM({}) FROM {} WHERE id = {g})",
                    title.join(" || ' ' || "),
                    def.table
                ),
                None,
                Vec::new(),
            )
        }
        _ => return None,
    })
}

/// Whether `expr` is a plain column (`t.company_id`).
fn is_column(expr: &str) -> bool {
    expr.split_once('.').is_some_and(|(alias, column)| {
        !alias.is_empty()
            && alias.bytes().all(|b| b.is_ascii_lowercase())
            && column.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// How the query should read the source, for a caller with no ACL condition; each choice
/// changes only which index SQLite reads, never the rows.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    /// A stage condition narrows the rows (open deals, won deals) and the period is the
    /// creation time: the period is written `+created_at`, so SQLite reads the stage index
    /// (`deals_report_stage`, which carries `created_at`) instead of a year of the creation
    /// index with a table read per row.
    by_stage: bool,
    /// One group by a column of `Traits::report_orders` over the creation period: the group
    /// and currency are plain columns, so SQLite reads that column's index in order and sorts
    /// nothing (sql/0024).
    in_group_order: bool,
}

impl Plan {
    fn of(def: &Definition, overrides: &Overrides, period: Option<&Field>, reads_all: bool) -> Plan {
        if !reads_all {
            return Plan::default();
        }
        let source = &def.source;
        let is_stage = |name: &str| {
            source
                .field(name)
                .is_some_and(|f| matches!(f.kind, Kind::Stage | Kind::Semantic(_)))
        };
        let stage_filtered = def.filter.keys().any(|k| is_stage(k))
            || overrides.filter.iter().any(|(key, _)| {
                key.strip_prefix("filter[")
                    .and_then(|rest| rest.split(']').next())
                    .is_some_and(is_stage)
            });
        let by_creation = period.is_none_or(|f| f.name == "created_at");
        let in_group_order = !stage_filtered
            && by_creation
            && matches!(def.groups.as_slice(), [group] if group.bucket.is_none()
                && group.field.expr.split_once('.').is_some_and(|(_, column)|
                    is_column(&group.field.expr) && source.def.traits.report_orders.contains(&column)));
        Plan {
            by_stage: stage_filtered && period.is_some_and(|f| f.name == "created_at"),
            in_group_order,
        }
    }
}

/// Compiles `def` for the caller with `overrides` into one query.
pub fn compile(
    db: &dyn Db,
    caller: &Caller,
    def: &Definition,
    overrides: &Overrides,
    lang: &str,
) -> Result<Compiled, CoreError> {
    let zone = period::firm_zone(db)?;
    let source = &def.source;
    let mut errors = FieldErrors::new();
    let own = filter_conditions(db, source, &def.filter, &zone, "definition.filter", &mut errors)?;
    let mut filters = own.clone();
    // The run's own filters are the list's query parameters (`filter[stage]=WON`).
    for (key, value) in &overrides.filter {
        let query = RecordQuery::parse(&source.def, &[(key.clone(), value.clone())], &source.def.parse)?;
        for (sql, params) in query.conditions() {
            filters.push(sql.clone(), params.clone());
        }
    }
    let period = match (&def.period, overrides.from.is_some() || overrides.to.is_some()) {
        (Some(p), _) => Some((p.field.clone(), period_range(p, overrides, &zone, "definition.")?)),
        (None, true) => {
            let field = source
                .field("created_at")
                .cloned()
                .ok_or_else(|| CoreError::Internal("a source without created_at".into()))?;
            let range = period::bounds_in(
                &zone,
                overrides.from.as_deref(),
                overrides.to.as_deref(),
                ("from", "to"),
            )?;
            Some((field, range))
        }
        (None, false) => None,
    };
    let acl = caller.list_filter(source.def.acl, &source.def.acl_columns());
    let plan = Plan::of(def, overrides, period.as_ref().map(|(field, _)| field), acl.sql == "1");
    let rollup = rollup::choose(def, period.as_ref(), acl.sql == "1", !overrides.filter.is_empty());
    if let Some((field, range)) = &period {
        let c = match &rollup {
            // The rows answer only the partial months at the period's edges.
            Some(chosen) => edges(field, range, chosen),
            None => period_condition(field, range, plan.by_stage),
        };
        filters.push(c.text(), c.params);
    }
    filters.push(acl.sql, acl.params);

    let (start, end) = period.as_ref().map_or((None, None), |(_, r)| (r.start, r.end));
    let mut select: Vec<String> = Vec::new();
    let mut select_params: Vec<Value> = Vec::new();
    let mut group_by: Vec<String> = Vec::new();
    for (i, group) in def.groups.iter().enumerate() {
        let (sql, params) = match (group.bucket, &group.field.kind) {
            (Some(bucket), Kind::Date) => (buckets::of_date(bucket, &group.field.expr), Vec::new()),
            (Some(bucket), _) => buckets::of_time(bucket, &group.field.expr, &zone, start, end),
            (None, _) if plan.in_group_order => (group.field.expr.clone(), Vec::new()),
            // `+column`: SQLite then groups in a temporary b-tree after reading the period's
            // index range, instead of walking a group column's index and reading every row of
            // the table at random (seconds at a million deals).
            (None, _) if is_column(&group.field.expr) => (format!("+{}", group.field.expr), Vec::new()),
            (None, _) => (group.field.expr.clone(), Vec::new()),
        };
        select.push(format!("{sql} AS g{i}"));
        select_params.extend(params);
        group_by.push(format!("g{i}"));
    }
    let mut currencies: Vec<String> = Vec::new();
    let mut currency_of = Vec::new();
    for measure in &def.measures {
        currency_of.push(match measure.field.as_ref().map(|f| &f.kind) {
            Some(Kind::Money(_, currency)) => Some(match currencies.iter().position(|c| c == currency) {
                Some(k) => k,
                None => {
                    currencies.push(currency.clone());
                    currencies.len() - 1
                }
            }),
            _ => None,
        });
    }
    for (k, currency) in currencies.iter().enumerate() {
        // In group order the currency is the index's own column (no currency reads as '').
        select.push(if plan.in_group_order {
            format!("{currency} AS c{k}")
        } else {
            format!("COALESCE({currency}, '') AS c{k}")
        });
        group_by.push(format!("c{k}"));
    }
    select.push("COUNT(*) AS n".into());
    for (i, measure) in def.measures.iter().enumerate() {
        let expr = measure.field.as_ref().map(|f| f.expr.as_str()).unwrap_or("NULL");
        match measure.func {
            Func::Count => {}
            Func::Sum | Func::Avg => select.push(format!(
                "SUM({expr} / {SPLIT}) AS m{i}h, SUM({expr} % {SPLIT}) AS m{i}l, COUNT({expr}) AS m{i}n"
            )),
            Func::Min => select.push(format!("MIN({expr}) AS m{i}v")),
            Func::Max => select.push(format!("MAX({expr}) AS m{i}v")),
            Func::Share => {
                let filter = measure.filter.clone().unwrap_or_default();
                let c = filter_conditions(
                    db,
                    source,
                    &filter,
                    &zone,
                    &format!("definition.measures[{i}].filter"),
                    &mut errors,
                )?;
                select.push(format!("SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS m{i}v", c.text()));
                select_params.extend(c.params);
            }
        }
    }
    errors.into_result()?;
    let inner = format!(
        "SELECT {} FROM {} WHERE {}{}",
        select.join(", "),
        source.from,
        filters.text(),
        if group_by.is_empty() {
            String::new()
        } else {
            format!(" GROUP BY {}", group_by.join(", "))
        }
    );
    let mut params = Vec::new();
    let inner = match &rollup {
        Some(chosen) => {
            params.extend(own.params.clone());
            params.extend([Value::Integer(chosen.from), Value::Integer(chosen.to)]);
            rollup::Chosen::combine(def, &format!("{} UNION ALL {inner}", chosen.select(def, &own.text())))
        }
        None => inner,
    };
    let mut outer = vec!["x.*".to_string()];
    let mut outer_params = Vec::new();
    for (i, group) in def.groups.iter().enumerate() {
        if group.bucket.is_some() {
            continue;
        }
        if let Some((label, order, params)) = label_sql(&group.field.kind, &format!("x.g{i}"), lang) {
            outer.push(format!("{label} AS l{i}"));
            if let Some(order) = order {
                outer.push(format!("{order} AS o{i}"));
            }
            outer_params.extend(params);
        }
    }
    let sql = format!("SELECT {} FROM ({inner}) x LIMIT {}", outer.join(", "), MAX_GROUPS + 1);
    let params = [outer_params, params, select_params, filters.params].concat();
    Ok(Compiled {
        sql,
        params,
        currency_of,
        period,
        zone,
    })
}
