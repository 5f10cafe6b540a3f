//! Record lists exactly as API.md's "Lists" says: `q` full-text search, `filter[field][op]`,
//! `sort`, `limit`, a keyset `cursor`, `fields` and `count`, parsed strictly against the
//! entity's definition (an unknown field, operator or sort key is a 400 naming it) and run as
//! ONE parameterised query with the caller's ACL condition.
//!
//! The cursor holds the last row's sort-key values (and a fingerprint of the sort it belongs
//! to), so the next page is `WHERE (keys) > (last keys)` in the sort's order: page 1000 costs
//! what page 1 costs.
//!
//! The same conditions group records for boards ([`group_totals`]): a count and the exact sum
//! of `amount` per group in the base currency, summed in SQL in two parts that cannot overflow
//! and combined and converted in `i128` ([`super::money`]).

use base64::Engine as _;
use serde_json::{Map, Value as Json, json};

use super::fields::{Comparable, FieldDef, FieldKind, ParseContext, Storage};
use super::{EntityDef, index, money, store};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::resource::list::{DEFAULT_LIMIT, MAX_LIMIT};

/// Filter operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal (or, for lists, contains the value).
    Eq,
    /// Not equal.
    Ne,
    /// Greater than.
    Gt,
    /// Greater or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less or equal.
    Lte,
    /// One of a comma list.
    In,
    /// Case-insensitive contains.
    Like,
    /// `true`: empty; `false`: not empty.
    Null,
}

impl Op {
    fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "in" => Op::In,
            "like" => Op::Like,
            "null" => Op::Null,
            _ => return None,
        })
    }
}

/// What a filter or sort key addresses.
#[derive(Debug, Clone)]
enum Target {
    /// A bookkeeping column (`id`, `created_at`...).
    Meta(&'static str),
    /// A field of the definition.
    Field(FieldDef),
}

const META_SORTABLE: &[&str] = &["id", "version", "created_at", "updated_at", "created_by", "updated_by"];

/// One key of a list's order.
#[derive(Debug, Clone, PartialEq)]
struct SortKey {
    /// The SQL expression under alias `t`.
    expr: String,
    descending: bool,
    /// Whether the key can be NULL (then the keyset must place NULLs as SQLite sorts them).
    nullable: bool,
}

/// Whether a target can hold NULL: bookkeeping times and ids cannot, nor can required columns.
fn nullable(target: &Target) -> bool {
    match target {
        Target::Meta(name) => matches!(*name, "created_by" | "updated_by"),
        Target::Field(field) => !(field.required && field.storage == Storage::Column),
    }
}

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct RecordQuery {
    q: Option<String>,
    conditions: Vec<(String, Vec<Value>)>,
    sort: Vec<SortKey>,
    sort_spec: String,
    limit: u32,
    after: Option<Vec<Value>>,
    fields: Option<Vec<String>>,
    count: bool,
    default_country: String,
}

fn bad(message: String) -> CoreError {
    CoreError::BadRequest(message)
}

/// The SQL expression of a target under alias `t`.
fn expression(target: &Target) -> String {
    match target {
        Target::Meta(name) => format!("t.{name}"),
        Target::Field(field) => field.sql_expression(),
    }
}

fn resolve(def: &EntityDef, name: &str) -> Option<Target> {
    if let Some(code) = name.strip_prefix("custom.") {
        return def.field(code).filter(|f| f.is_custom()).cloned().map(Target::Field);
    }
    if let Some(meta) = META_SORTABLE.iter().find(|m| **m == name) {
        return Some(Target::Meta(meta));
    }
    def.field(name).filter(|f| !f.is_custom()).cloned().map(Target::Field)
}

fn comparable(target: &Target) -> Comparable {
    match target {
        Target::Meta(_) => Comparable::Ordered,
        Target::Field(f) => f.comparable(),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The case variants a `like` tries: SQLite folds only ASCII case, so Cyrillic "иван" must also
/// be tried as "Иван" and "ИВАН".
fn case_variants(text: &str) -> Vec<String> {
    let mut capitalised = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 0 {
            capitalised.extend(c.to_uppercase());
        } else {
            capitalised.extend(c.to_lowercase());
        }
    }
    let mut variants = vec![text.to_string(), text.to_lowercase(), text.to_uppercase(), capitalised];
    variants.sort();
    variants.dedup();
    variants
}

impl RecordQuery {
    /// Parses decoded query pairs against `def`.
    pub fn parse(def: &EntityDef, pairs: &[(String, String)], cx: &ParseContext) -> Result<RecordQuery, CoreError> {
        let mut query = RecordQuery {
            q: None,
            conditions: Vec::new(),
            sort: Vec::new(),
            sort_spec: String::new(),
            limit: DEFAULT_LIMIT,
            after: None,
            fields: None,
            count: false,
            default_country: cx.default_country.clone(),
        };
        let mut seen: Vec<String> = Vec::new();
        let mut sort_text = def.default_sort.to_string();
        let mut cursor = None;
        for (key, value) in pairs {
            if seen.contains(key) {
                return Err(bad(format!("{key} is given more than once")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "q" => query.q = Some(value.trim().to_string()).filter(|q| !q.is_empty()),
                "limit" => query.limit = parse_limit(value)?,
                "sort" => sort_text = value.clone(),
                "cursor" => cursor = Some(value.clone()),
                "count" => {
                    query.count = match value.as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => return Err(bad("count must be true or false".into())),
                    }
                }
                "fields" => query.fields = Some(parse_fields(def, value)?),
                _ => {
                    let Some(inner) = key.strip_prefix("filter[").and_then(|k| k.strip_suffix(']')) else {
                        return Err(bad(format!("unknown query parameter {key:?}")));
                    };
                    let (name, op) = match inner.split_once("][") {
                        Some((name, op)) => (
                            name,
                            Op::parse(op).ok_or_else(|| bad(format!("unknown filter operator {op:?} in {key}")))?,
                        ),
                        None => (inner, Op::Eq),
                    };
                    let target = resolve(def, name).ok_or_else(|| bad(format!("unknown filter field {name:?}")))?;
                    let condition = condition(def, &target, op, value, cx).map_err(|m| bad(format!("{key}: {m}")))?;
                    query.conditions.push(condition);
                }
            }
        }
        query.sort = parse_sort(def, &sort_text)?;
        query.sort_spec = sort_text;
        if let Some(cursor) = cursor {
            query.after = Some(decode_cursor(&cursor, &query.sort_spec, query.sort.len())?);
        }
        Ok(query)
    }
}

fn parse_limit(value: &str) -> Result<u32, CoreError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(bad(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}, not {value:?}"
        ))),
    }
}

fn parse_fields(def: &EntityDef, value: &str) -> Result<Vec<String>, CoreError> {
    let mut out = vec!["id".to_string()];
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let known = name == "custom" || (def.name == "contact" && name == "company_id") || resolve(def, name).is_some();
        if !known {
            return Err(bad(format!("unknown field {name:?} in fields")));
        }
        if !out.iter().any(|f| f == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

fn parse_sort(def: &EntityDef, text: &str) -> Result<Vec<SortKey>, CoreError> {
    let mut keys = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (name, descending) = match part.strip_prefix('-') {
            Some(name) => (name, true),
            None => (part, false),
        };
        let target = resolve(def, name).ok_or_else(|| bad(format!("unknown sort key {name:?}")))?;
        if matches!(comparable(&target), Comparable::Members | Comparable::No) {
            return Err(bad(format!("cannot sort by {name:?}")));
        }
        keys.push(SortKey {
            expr: expression(&target),
            descending,
            nullable: nullable(&target),
        });
        if name == "id" {
            return Ok(keys);
        }
    }
    let descending = keys.first().is_some_and(|k| k.descending);
    keys.push(SortKey {
        expr: "t.id".into(),
        descending,
        nullable: false,
    });
    Ok(keys)
}

/// One filter as SQL over alias `t`, with its parameters.
fn condition(
    def: &EntityDef,
    target: &Target,
    op: Op,
    text: &str,
    cx: &ParseContext,
) -> Result<(String, Vec<Value>), String> {
    let expr = expression(target);
    let kind = comparable(target);
    let parse = |t: &str| -> Result<Value, String> {
        match target {
            Target::Meta(name) if name.ends_with("_at") => super::values::parse_datetime(t)
                .map(Value::Integer)
                .map_err(|e| e.message),
            Target::Meta(_) => t
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| "expected an integer".into()),
            Target::Field(f) => f.parse_filter_value(t, cx).map_err(|e| e.message),
        }
    };
    if op == Op::Null {
        let empty = match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err("expected true or false".into()),
        };
        let sql = match target {
            Target::Field(f) if matches!(f.storage, Storage::Link(_)) => {
                let Storage::Link(link) = f.storage else { unreachable!() };
                format!(
                    "{}EXISTS (SELECT 1 FROM {} WHERE {} = t.id)",
                    if empty { "NOT " } else { "" },
                    link.table,
                    link.this
                )
            }
            _ => format!("{expr} IS {}NULL", if empty { "" } else { "NOT " }),
        };
        return Ok((sql, Vec::new()));
    }
    let values: Vec<Value> = if op == Op::In {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.is_empty() || items.len() > 100 {
            return Err("expected a comma list of 1 to 100 values".into());
        }
        items.into_iter().map(parse).collect::<Result<_, _>>()?
    } else if op == Op::Like {
        Vec::new()
    } else {
        vec![parse(text)?]
    };
    match kind {
        Comparable::No => Err("this field cannot be filtered".into()),
        Comparable::Members => members_condition(def, target, &expr, op, text, values),
        _ => {
            let sql = match op {
                Op::Eq => format!("{expr} = ?"),
                Op::Ne => format!("{expr} IS NOT ?"),
                Op::Gt | Op::Gte | Op::Lt | Op::Lte if kind == Comparable::Equality => {
                    return Err("only eq, ne, in and null apply to this field".into());
                }
                Op::Gt => format!("{expr} > ?"),
                Op::Gte => format!("{expr} >= ?"),
                Op::Lt => format!("{expr} < ?"),
                Op::Lte => format!("{expr} <= ?"),
                Op::In => format!("{expr} IN ({})", crate::resource::placeholders(values.len())),
                Op::Like if kind == Comparable::Text => {
                    let variants = case_variants(text.trim());
                    let sql = vec![format!("{expr} LIKE ? ESCAPE '\\'"); variants.len()].join(" OR ");
                    return Ok((
                        format!("({sql})"),
                        variants.iter().map(|v| Value::from(like_pattern(v))).collect(),
                    ));
                }
                Op::Like => return Err("like applies only to text fields".into()),
                Op::Null => unreachable!("handled above"),
            };
            Ok((sql, values))
        }
    }
}

/// Filters on list-valued fields: `eq`/`in` mean "contains", `ne` "does not contain".
fn members_condition(
    def: &EntityDef,
    target: &Target,
    expr: &str,
    op: Op,
    text: &str,
    values: Vec<Value>,
) -> Result<(String, Vec<Value>), String> {
    let Target::Field(field) = target else {
        return Err("this field cannot be filtered".into());
    };
    let typed = matches!(
        field.kind,
        FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers
    );
    let (membership, params): (String, Vec<Value>) = match op {
        Op::Like if typed => {
            let variants = case_variants(text.trim());
            let any = vec!["json_extract(j.value, '$.value') LIKE ? ESCAPE '\\'"; variants.len()].join(" OR ");
            (
                format!("EXISTS (SELECT 1 FROM json_each({expr}) j WHERE {any})"),
                variants.iter().map(|v| Value::from(like_pattern(v))).collect(),
            )
        }
        Op::Eq | Op::Ne | Op::In => {
            let list = crate::resource::placeholders(values.len());
            let sql = match (&field.storage, &field.kind) {
                (Storage::Link(link), _) => format!(
                    "EXISTS (SELECT 1 FROM {} WHERE {} = t.id AND {} IN ({list}))",
                    link.table, link.this, link.other
                ),
                (Storage::Column, FieldKind::Emails | FieldKind::Phones) => {
                    let kind = if field.kind == FieldKind::Emails {
                        "email"
                    } else {
                        "phone"
                    };
                    format!(
                        "t.id IN (SELECT record_id FROM record_channels WHERE kind = '{kind}' AND entity = '{}' AND value IN ({list}))",
                        def.name
                    )
                }
                _ if typed => format!(
                    "EXISTS (SELECT 1 FROM json_each({expr}) j WHERE json_extract(j.value, '$.normalized') IN ({list}))"
                ),
                (_, FieldKind::Bindings) => format!(
                    "EXISTS (SELECT 1 FROM json_each({expr}) j \
                     WHERE json_extract(j.value, '$.entity') || ':' || json_extract(j.value, '$.id') IN ({list}))"
                ),
                _ => format!("EXISTS (SELECT 1 FROM json_each({expr}) j WHERE j.value IN ({list}))"),
            };
            (sql, values)
        }
        _ => return Err("only eq, ne, in, like and null apply to this field".into()),
    };
    if op == Op::Ne {
        Ok((format!("NOT {membership}"), params))
    } else {
        Ok((membership, params))
    }
}

fn sort_fingerprint(spec: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(spec.as_bytes())[..4])
}

fn encode_cursor(spec: &str, keys: &[Value]) -> String {
    let values: Vec<Json> = keys
        .iter()
        .map(|v| match v {
            Value::Integer(i) => json!(i),
            Value::Real(f) => json!(f),
            Value::Text(s) => json!(s),
            _ => Json::Null,
        })
        .collect();
    let body = json!([sort_fingerprint(spec), values]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
}

fn decode_cursor(text: &str, spec: &str, keys: usize) -> Result<Vec<Value>, CoreError> {
    let invalid = || bad(format!("cursor {text:?} is not a valid cursor for this sort"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| invalid())?;
    let parsed: (String, Vec<Json>) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if parsed.0 != sort_fingerprint(spec) || parsed.1.len() != keys {
        return Err(invalid());
    }
    parsed
        .1
        .iter()
        .map(|j| match j {
            Json::Null => Ok(Value::Null),
            Json::Number(n) => n
                .as_i64()
                .map(Value::Integer)
                .or(n.as_f64().map(Value::Real))
                .ok_or_else(invalid),
            Json::String(s) => Ok(Value::Text(s.clone())),
            _ => Err(invalid()),
        })
        .collect()
}

/// `WHERE` part that continues after the row whose sort keys were `after`. Keys that cannot
/// be NULL going one way compare as one row value, `(a, id) > (?, ?)`, which SQLite answers by
/// seeking the index; otherwise each key's turn is spelt out, placing NULLs as SQLite sorts
/// them (first ascending, last descending).
fn keyset(sort: &[SortKey], after: &[Value]) -> (String, Vec<Value>) {
    let same_way = sort.iter().all(|k| k.descending == sort[0].descending);
    if same_way && sort.iter().zip(after).all(|(k, v)| !k.nullable && !v.is_null()) {
        let exprs: Vec<&str> = sort.iter().map(|k| k.expr.as_str()).collect();
        let op = if sort[0].descending { "<" } else { ">" };
        let sql = if sort.len() == 1 {
            format!("{} {op} ?", exprs[0])
        } else {
            format!(
                "({}) {op} ({})",
                exprs.join(", "),
                crate::resource::placeholders(sort.len())
            )
        };
        return (sql, after.to_vec());
    }
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    for i in 0..sort.len() {
        let mut parts = Vec::new();
        for (j, key) in sort.iter().enumerate().take(i) {
            if after[j].is_null() {
                parts.push(format!("{} IS NULL", key.expr));
            } else {
                parts.push(format!("{} = ?", key.expr));
                params.push(after[j].clone());
            }
        }
        let SortKey {
            expr,
            descending,
            nullable,
        } = &sort[i];
        let strictly_after = match (descending, after[i].is_null()) {
            (false, true) => format!("{expr} IS NOT NULL"),
            (false, false) => {
                params.push(after[i].clone());
                format!("{expr} > ?")
            }
            (true, true) => "0".to_string(),
            (true, false) if *nullable => {
                params.push(after[i].clone());
                format!("({expr} < ? OR {expr} IS NULL)")
            }
            (true, false) => {
                params.push(after[i].clone());
                format!("{expr} < ?")
            }
        };
        parts.push(strictly_after);
        alternatives.push(format!("({})", parts.join(" AND ")));
    }
    (format!("({})", alternatives.join(" OR ")), params)
}

/// The `WHERE` conditions of a list without its cursor: the caller's ACL, the filters, `q`.
fn conditions(caller: &Caller, def: &EntityDef, query: &RecordQuery) -> Result<(Vec<String>, Vec<Value>), CoreError> {
    caller.require(def.acl, Action::Read)?;
    let acl = if def.owned {
        caller.list_filter(def.acl, &def.acl_columns())
    } else {
        crate::acl::SqlFilter {
            sql: "1".into(),
            params: Vec::new(),
        }
    };
    let mut clauses = vec![acl.sql];
    let mut params = acl.params;
    for (sql, values) in &query.conditions {
        clauses.push(sql.clone());
        params.extend(values.iter().cloned());
    }
    if let Some(q) = &query.q {
        match index::match_query(q, &query.default_country) {
            Some(fts) => {
                clauses.push(format!(
                    "t.id IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH ?)",
                    table = def.table
                ));
                params.push(fts.into());
            }
            None => clauses.push("0".into()),
        }
    }
    Ok((clauses, params))
}

/// Where [`group_totals_from`] reads: the record table itself or a table of running totals.
#[derive(Debug, Clone, Copy)]
pub struct TotalsSource {
    /// The table (from a definition or a constant, never from input).
    pub table: &'static str,
    /// What counts the records of a group (`COUNT(*)`, or `SUM(t.n)` over running totals).
    pub count: &'static str,
    /// The columns holding the amount split in two (see [`money::SPLIT`]): `None` splits
    /// `t.amount` on the fly, `Some((hi, lo))` reads parts summed already.
    pub split: Option<(&'static str, &'static str)>,
}

/// Per value of `group` (a column under alias `t`): how many records the list's conditions
/// select, and the sum of their `amount` in the base currency (minor units). The board's
/// column totals. Amounts are summed per group and currency in two parts (SQL's `SUM` never
/// sees more than ~10^9 per row), combined exactly in `i128` and converted once per
/// (group, currency) through the currency's exact rate, rounded half away from zero; a
/// currency with no rate (none given, or since deleted) counts at par, as before.
pub fn group_totals(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    query: &RecordQuery,
    group: &str,
) -> Result<Vec<(Value, i64, i128)>, CoreError> {
    let source = TotalsSource {
        table: def.table,
        count: "COUNT(*)",
        split: None,
    };
    group_totals_from(db, caller, def, query, group, source)
}

/// [`group_totals`] read from `source`, which has the record table's ACL and filter columns
/// (such as `deal_board_totals`, sql/0012). Only for queries whose conditions use those columns
/// alone.
pub fn group_totals_from(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    query: &RecordQuery,
    group: &str,
    source: TotalsSource,
) -> Result<Vec<(Value, i64, i128)>, CoreError> {
    let (clauses, params) = conditions(caller, def, query)?;
    let (hi, lo) = match source.split {
        Some((hi, lo)) => (format!("t.{hi}"), format!("t.{lo}")),
        None => money::split_sums("t.amount"),
    };
    let rows = db.query(
        &format!(
            "SELECT t.{group} AS g, COALESCE(t.currency, '') AS c, {count} AS n, \
             COALESCE(SUM({hi}), 0) AS hi, COALESCE(SUM({lo}), 0) AS lo \
             FROM {table} t WHERE {} GROUP BY t.{group}, COALESCE(t.currency, '')",
            clauses.join(" AND "),
            count = source.count,
            table = source.table,
        ),
        &params,
    )?;
    let rates = crate::dictionaries::currency_rates(db)?;
    let mut totals: Vec<(Value, i64, i128)> = Vec::new();
    for row in rows.iter() {
        let group = row.get("g").cloned().unwrap_or(Value::Null);
        let currency = row.str("c").unwrap_or_default();
        let sum = money::combine(row.i64("hi").unwrap_or_default(), row.i64("lo").unwrap_or_default());
        let rate = rates.get(currency).copied().unwrap_or(crate::dictionaries::Rate::ONE);
        let at = match totals.iter().position(|(g, _, _)| *g == group) {
            Some(at) => at,
            None => {
                totals.push((group.clone(), 0, 0));
                totals.len() - 1
            }
        };
        let entry = &mut totals[at];
        entry.1 += row.i64("n").unwrap_or_default();
        entry.2 = money::to_base(sum, rate)
            .and_then(|converted| entry.2.checked_add(converted))
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "the {} total of {group:?} does not fit i128 (amounts or rates far past their bounds)",
                    def.name
                ))
            })?;
    }
    Ok(totals)
}

/// One page of records the caller may read.
pub fn list(db: &dyn Db, caller: &Caller, def: &EntityDef, query: &RecordQuery) -> Result<Json, CoreError> {
    let (mut clauses, mut params) = conditions(caller, def, query)?;
    let total = if query.count {
        let rows = db.query(
            &format!(
                "SELECT COUNT(*) AS n FROM {} t WHERE {}",
                def.table,
                clauses.join(" AND ")
            ),
            &params,
        )?;
        Some(rows.first_i64().unwrap_or_default())
    } else {
        None
    };
    if let Some(after) = &query.after {
        let (sql, values) = keyset(&query.sort, after);
        clauses.push(sql);
        params.extend(values);
    }
    let keys: Vec<String> = query
        .sort
        .iter()
        .enumerate()
        .map(|(i, key)| format!("{} AS _k{i}", key.expr))
        .collect();
    let order: Vec<String> = query
        .sort
        .iter()
        .map(|key| format!("{} {}", key.expr, if key.descending { "DESC" } else { "ASC" }))
        .collect();
    params.push((query.limit + 1).into());
    let sql = format!(
        "{} WHERE {} ORDER BY {} LIMIT ?",
        store::select_with(def, &keys),
        clauses.join(" AND "),
        order.join(", ")
    );
    let rows = db.query(&sql, &params)?;
    let mut records: Vec<super::Values> = rows.iter().map(|r| store::row_values(def, &r)).collect();
    let more = records.len() > query.limit as usize;
    records.truncate(query.limit as usize);
    let next_cursor = if more {
        rows.iter().nth(query.limit as usize - 1).map(|row| {
            let keys: Vec<Value> = (0..query.sort.len())
                .map(|i| row.get(&format!("_k{i}")).cloned().unwrap_or(Value::Null))
                .collect();
            encode_cursor(&query.sort_spec, &keys)
        })
    } else {
        None
    };
    store::load_links(db, def, &mut records)?;
    let items: Vec<Json> = records
        .iter()
        .map(|values| project(store::render(def, values), query.fields.as_deref()))
        .collect();
    let mut page = json!({ "items": items, "next_cursor": next_cursor });
    if let Some(total) = total {
        page["total"] = json!(total);
    }
    Ok(page)
}

/// Keeps only the requested keys (`custom.<code>` keeps one custom value).
fn project(record: Json, fields: Option<&[String]>) -> Json {
    let (Some(fields), Json::Object(mut map)) = (fields, record.clone()) else {
        return record;
    };
    let mut out = Map::new();
    let mut custom = Map::new();
    for name in fields {
        if let Some(code) = name.strip_prefix("custom.") {
            if let Some(v) = map["custom"].get(code) {
                custom.insert(code.to_string(), v.clone());
            }
        } else if let Some(v) = map.remove(name) {
            out.insert(name.clone(), v);
        }
    }
    if !custom.is_empty() {
        out.insert("custom".into(), Json::Object(custom));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> ParseContext {
        ParseContext {
            default_country: "RU".into(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A filter value each field type parses (the operator is what the test is about).
    fn sample_value(field: &FieldDef) -> &'static str {
        match &field.kind {
            FieldKind::Integer | FieldKind::User | FieldKind::Record(_) => "1",
            FieldKind::Decimal(_) | FieldKind::Money(_) => "1.5",
            FieldKind::Boolean => "true",
            FieldKind::Date => "2026-01-01",
            FieldKind::Datetime => "2026-01-01T00:00:00Z",
            FieldKind::Phones => "+79991234567",
            FieldKind::Emails => "a@example.com",
            FieldKind::Bindings => "lead:1",
            _ => "NEW",
        }
    }

    #[test]
    fn every_operator_fields_lists_is_accepted_and_no_other() {
        const ALL: &[&str] = &["eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "null"];
        for name in super::super::entity::NAMES {
            let def = EntityDef::builtin(name).expect("entity");
            for field in &def.fields {
                let listed = field.operators();
                for op in ALL {
                    let value = if *op == "null" { "true" } else { sample_value(field) };
                    let key = format!("filter[{}][{op}]", field.path());
                    let parsed = RecordQuery::parse(&def, &[(key.clone(), value.to_string())], &cx());
                    assert_eq!(
                        parsed.is_ok(),
                        listed.contains(op),
                        "{name}.{} {op}: listed {listed:?}, parse gave {:?}",
                        field.name,
                        parsed.err()
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_unknown_fields_operators_and_sort_keys_by_name() {
        let def = super::super::entities::lead::def();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("filter[nope]", "1")], "nope"),
            (&[("filter[title][between]", "1")], "between"),
            (&[("sort", "-nope")], "nope"),
            (&[("sort", "phones")], "phones"),
            (&[("fields", "id,secret")], "secret"),
            (&[("limit", "501")], "limit"),
            (&[("cursor", "abc")], "cursor"),
            (&[("filter[amount][like]", "1")], "like"),
            (&[("filter[address]", "x")], "address"),
            (&[("filter[created_at][gte]", "yesterday")], "created_at"),
            (&[("page", "2")], "page"),
            (&[("q", "a"), ("q", "b")], "q"),
        ];
        for (input, named) in cases {
            match RecordQuery::parse(&def, &pairs(input), &cx()) {
                Err(CoreError::BadRequest(text)) => assert!(text.contains(named), "{input:?}: {text}"),
                other => panic!("{input:?}: expected BadRequest, got {other:?}"),
            }
        }
    }

    #[test]
    fn cursors_belong_to_their_sort() {
        let cursor = encode_cursor("-updated_at", &[Value::Integer(5), Value::Integer(9)]);
        assert_eq!(
            decode_cursor(&cursor, "-updated_at", 2).expect("decodes"),
            vec![Value::Integer(5), Value::Integer(9)]
        );
        assert!(decode_cursor(&cursor, "title", 2).is_err());
    }

    fn key(expr: &str, descending: bool, nullable: bool) -> SortKey {
        SortKey {
            expr: expr.into(),
            descending,
            nullable,
        }
    }

    #[test]
    fn keyset_continues_after_nulls_in_both_directions() {
        let sort = vec![key("t.a", false, true), key("t.id", false, false)];
        let (sql, params) = keyset(&sort, &[Value::Null, Value::Integer(3)]);
        assert_eq!(sql, "((t.a IS NOT NULL) OR (t.a IS NULL AND t.id > ?))");
        assert_eq!(params, vec![Value::Integer(3)]);
        let sort = vec![key("t.a", true, true), key("t.id", true, false)];
        let (sql, _) = keyset(&sort, &[Value::Integer(1), Value::Integer(3)]);
        assert_eq!(sql, "(((t.a < ? OR t.a IS NULL)) OR (t.a = ? AND t.id < ?))");
    }

    #[test]
    fn keyset_over_keys_that_cannot_be_null_is_one_row_value_comparison() {
        let sort = vec![key("t.updated_at", true, false), key("t.id", true, false)];
        let (sql, params) = keyset(&sort, &[Value::Integer(7), Value::Integer(3)]);
        assert_eq!(sql, "(t.updated_at, t.id) < (?, ?)");
        assert_eq!(params.len(), 2);
        let (sql, _) = keyset(&[key("t.id", true, false)], &[Value::Integer(3)]);
        assert_eq!(sql, "t.id < ?");
    }

    #[test]
    fn like_tries_cyrillic_case_variants() {
        assert!(case_variants("иван").contains(&"Иван".to_string()));
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn cx() -> ParseContext {
        ParseContext {
            default_country: "RU".into(),
        }
    }

    /// Query keys and values built from the list language's own pieces and junk.
    fn pair() -> impl Strategy<Value = (String, String)> {
        let field = prop::sample::select(vec![
            "title",
            "status",
            "amount",
            "created_at",
            "phones",
            "custom.x",
            "nope",
            "id",
            "",
        ]);
        let op = prop::sample::select(vec![
            "", "[eq]", "[ne]", "[gt]", "[in]", "[like]", "[null]", "[zz]", "][", "[gt][lt]",
        ]);
        let key = prop_oneof![
            (field.clone(), op).prop_map(|(f, o)| format!("filter[{f}]{o}")),
            Just("sort".to_string()),
            Just("limit".to_string()),
            Just("cursor".to_string()),
            Just("fields".to_string()),
            Just("q".to_string()),
            Just("count".to_string()),
            "\\PC{0,12}",
        ];
        (key, "\\PC{0,30}")
    }

    proptest! {
        #[test]
        fn any_query_parses_or_is_a_bad_request_naming_it(pairs in proptest::collection::vec(pair(), 0..6)) {
            let def = super::super::entities::lead::def();
            match RecordQuery::parse(&def, &pairs, &cx()) {
                Ok(query) => prop_assert!((1..=500).contains(&query.limit)),
                Err(CoreError::BadRequest(message)) => prop_assert!(!message.is_empty()),
                Err(other) => prop_assert!(false, "{pairs:?} gave {other:?}"),
            }
        }

        #[test]
        fn cursors_round_trip_and_junk_cursors_are_refused(
            ints in proptest::collection::vec(any::<i64>(), 1..4),
            text in "\\PC{0,20}",
            junk in "\\PC{0,60}",
        ) {
            let mut keys: Vec<Value> = ints.into_iter().map(Value::Integer).collect();
            keys.push(Value::Text(text));
            keys.push(Value::Null);
            let cursor = encode_cursor("-updated_at,id", &keys);
            prop_assert_eq!(decode_cursor(&cursor, "-updated_at,id", keys.len()), Ok(keys.clone()));
            prop_assert!(decode_cursor(&cursor, "id", keys.len()).is_err(), "a cursor belongs to its sort");
            prop_assert!(decode_cursor(&cursor, "-updated_at,id", keys.len() + 1).is_err());
            let _ = decode_cursor(&junk, "-updated_at,id", keys.len());
        }
    }
}
