//! Parsing a list request against the entity's definition: filters with their operators,
//! `sort`, `limit`, `fields`, `count` and the cursor, each unknown or bad part a 400 naming it.

use super::*;
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
    /// A link's primary record is one of a comma list (a deal's primary contact:
    /// `filter[contact_ids][primary]=5`).
    Primary,
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
            "primary" => Op::Primary,
            _ => return None,
        })
    }
}

/// What a filter or sort key addresses.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// A bookkeeping column (`id`, `created_at`...).
    Meta(&'static str),
    /// A field of the definition.
    Field(FieldDef),
    /// A value computed from the record (`Traits::derived_filters`): filters only.
    Derived(&'static DerivedFilter),
}

pub(super) const META_SORTABLE: &[&str] = &["id", "version", "created_at", "updated_at", "created_by", "updated_by"];

/// One key of a list's order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SortKey {
    /// The SQL expression under alias `t`.
    pub(super) expr: String,
    pub(super) descending: bool,
    /// Whether the key can be NULL (then the keyset must place NULLs as SQLite sorts them).
    pub(super) nullable: bool,
}

/// Whether a target can hold NULL: bookkeeping times and ids cannot, nor can required columns.
pub(super) fn nullable(target: &Target) -> bool {
    match target {
        Target::Meta(name) => matches!(*name, "created_by" | "updated_by"),
        Target::Field(field) => !(field.required && field.storage == Storage::Column),
        Target::Derived(_) => true,
    }
}

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct RecordQuery {
    pub(super) q: Option<String>,
    pub(super) conditions: Vec<(String, Vec<Value>)>,
    pub(super) sort: Vec<SortKey>,
    pub(super) sort_spec: String,
    pub(super) limit: u32,
    pub(super) after: Option<Vec<Value>>,
    pub(super) fields: Option<Vec<String>>,
    pub(super) count: bool,
    pub(super) default_country: String,
    /// Rows to skip before the page (the REST API's `start`; the JSON API pages by cursor).
    pub(super) offset: u64,
}

pub(super) fn bad(message: String) -> CoreError {
    CoreError::BadRequest(message)
}

/// The SQL expression of a target under alias `t`.
pub(super) fn expression(target: &Target) -> String {
    match target {
        Target::Meta(name) => format!("t.{name}"),
        Target::Field(field) => field.sql_expression(),
        Target::Derived(derived) => format!("({})", derived.sql),
    }
}

pub(super) fn resolve(def: &EntityDef, name: &str) -> Option<Target> {
    if let Some(code) = name.strip_prefix("custom.") {
        return def.field(code).filter(|f| f.is_custom()).cloned().map(Target::Field);
    }
    if let Some(meta) = META_SORTABLE.iter().find(|m| **m == name) {
        return Some(Target::Meta(meta));
    }
    if let Some(derived) = def.traits.derived_filters.iter().find(|d| d.name == name) {
        return Some(Target::Derived(derived));
    }
    def.field(name).filter(|f| !f.is_custom()).cloned().map(Target::Field)
}

pub(super) fn comparable(target: &Target) -> Comparable {
    match target {
        Target::Meta(_) => Comparable::Ordered,
        Target::Field(f) => f.comparable(),
        Target::Derived(_) => Comparable::Equality,
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(super) fn like_pattern(text: &str) -> String {
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
pub(super) fn case_variants(text: &str) -> Vec<String> {
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
            offset: 0,
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

impl RecordQuery {
    /// The filters as SQL conditions over alias `t`, with their parameters (reports AND them
    /// into their own query).
    pub fn conditions(&self) -> &[(String, Vec<Value>)] {
        &self.conditions
    }

    /// The chosen `fields` (`id` first), if the request named any (exports write these columns).
    pub fn fields(&self) -> Option<&[String]> {
        self.fields.as_deref()
    }

    /// ANDs one more filter, `field` (a path as in `filter[field]`) `op` `value`, parsed as the
    /// query string's would be: for callers whose filters may repeat a field and operator (the
    /// REST API's `!@` is one `ne` per value), which a query string's keys cannot.
    pub fn and_filter(
        &mut self,
        def: &EntityDef,
        field: &str,
        op: Op,
        value: &str,
        cx: &ParseContext,
    ) -> Result<(), CoreError> {
        let target = resolve(def, field).ok_or_else(|| bad(format!("unknown filter field {field:?}")))?;
        let condition = condition(def, &target, op, value, cx).map_err(|m| bad(format!("{field}: {m}")))?;
        self.conditions.push(condition);
        Ok(())
    }

    /// Skips `offset` rows before the page (the REST API's `start`): the rows before it are
    /// still read, so deep pages cost more than with a cursor.
    pub fn skip(&mut self, offset: u64) {
        self.offset = offset;
    }
}

pub(super) fn parse_limit(value: &str) -> Result<u32, CoreError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(bad(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}, not {value:?}"
        ))),
    }
}

pub(super) fn parse_fields(def: &EntityDef, value: &str) -> Result<Vec<String>, CoreError> {
    let mut out = vec!["id".to_string()];
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let known = name == "custom"
            || def.traits.link_alias.is_some_and(|(alias, _)| alias == name)
            || resolve(def, name).is_some();
        if !known {
            return Err(bad(format!("unknown field {name:?} in fields")));
        }
        if !out.iter().any(|f| f == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

pub(super) fn parse_sort(def: &EntityDef, text: &str) -> Result<Vec<SortKey>, CoreError> {
    let mut keys = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (name, descending) = match part.strip_prefix('-') {
            Some(name) => (name, true),
            None => (part, false),
        };
        let target = resolve(def, name).ok_or_else(|| bad(format!("unknown sort key {name:?}")))?;
        if matches!(comparable(&target), Comparable::Members | Comparable::No) || matches!(target, Target::Derived(_)) {
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
