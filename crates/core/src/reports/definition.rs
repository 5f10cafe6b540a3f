//! A report definition (see README's "Reports"): entity, filter, period, up to two groups,
//! measures, sort, limit and chart, read from JSON and checked against the entity's report
//! fields ([`super::fields`]) with every bad part named in one 422 (`definition.group_by[1].field`,
//! `definition.measures[0].field`...). The filter is checked by compiling it
//! ([`super::compile::filter`]), so the list language's own parser judges it.

use serde_json::{Map, Value as Json};

use super::fields::{BUCKETS, ENTITIES, Field, Kind, Source, source};
use crate::acl::{Action, Caller, Entity, Level};
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};

/// The most groups a report has.
pub const MAX_GROUPS: usize = 2;
/// The most measures a report has.
pub const MAX_MEASURES: usize = 10;
/// The largest `limit`.
pub const MAX_LIMIT: u32 = 1000;
/// The `limit` when none is given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The chart kinds.
pub const CHARTS: &[&str] = &["bar", "stacked_bar", "line", "funnel", "table"];

/// The measure functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// Rows.
    Count,
    /// Sum of a numeric field.
    Sum,
    /// Mean of a numeric field's non-empty values.
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// The share of the group's rows matching a filter, 0..1.
    Share,
}

impl Func {
    fn parse(text: &str) -> Option<Func> {
        Some(match text {
            "count" => Func::Count,
            "sum" => Func::Sum,
            "avg" => Func::Avg,
            "min" => Func::Min,
            "max" => Func::Max,
            "share" => Func::Share,
            _ => return None,
        })
    }

    /// The function's name in definitions and column keys.
    pub fn code(self) -> &'static str {
        match self {
            Func::Count => "count",
            Func::Sum => "sum",
            Func::Avg => "avg",
            Func::Min => "min",
            Func::Max => "max",
            Func::Share => "share",
        }
    }
}

/// The period: a date or time field and its dates (or a rolling `last`).
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// The field.
    pub field: Field,
    /// The first day (`YYYY-MM-DD` or relative).
    pub from: Option<String>,
    /// The last day, inclusive.
    pub to: Option<String>,
    /// `30d` / `12m`.
    pub last: Option<String>,
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The field.
    pub field: Field,
    /// The date bucket (dates and times only).
    pub bucket: Option<&'static str>,
    /// The column key: the field's name or `<field>:<bucket>`.
    pub key: String,
}

/// A measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The function.
    pub func: Func,
    /// The field (sum, avg, min, max).
    pub field: Option<Field>,
    /// The condition of a share, as given.
    pub filter: Option<Map<String, Json>>,
    /// The column key (`count`, `sum_amount`, `share_1` or the measure's own `key`).
    pub key: String,
    /// The measure's own label, if given.
    pub label: Option<String>,
}

/// A checked definition over its source.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The definition as given (what is saved).
    pub raw: Json,
    /// Where the rows come from.
    pub source: Source,
    /// The filter, as given.
    pub filter: Map<String, Json>,
    /// The period, if any.
    pub period: Option<Period>,
    /// The groups (0..=2).
    pub groups: Vec<Group>,
    /// The measures (1..=10).
    pub measures: Vec<Measure>,
    /// The sort column's key and whether descending.
    pub sort: Option<(String, bool)>,
    /// The most rows shown.
    pub limit: u32,
    /// The chart kind.
    pub chart: String,
}

impl Definition {
    /// Every column key, groups first, in order.
    pub fn keys(&self) -> Vec<&str> {
        self.groups
            .iter()
            .map(|g| g.key.as_str())
            .chain(self.measures.iter().map(|m| m.key.as_str()))
            .collect()
    }
}

/// The ACL entity whose records a field of this kind names (for the "may the caller read the
/// group's labels" check).
fn named_entity(kind: &Kind) -> Option<Entity> {
    match kind {
        Kind::Record(entity) => Entity::parse(entity),
        _ => None,
    }
}

/// Reads and checks `raw` (a definition object) for the caller; every bad part is named under
/// `prefix` (`definition.`) in one 422.
pub fn check(db: &dyn Db, caller: &Caller, raw: &Json, prefix: &str) -> Result<Definition, CoreError> {
    let mut errors = FieldErrors::new();
    let at = |path: &str| format!("{prefix}{path}");
    let Some(map) = raw.as_object() else {
        errors.push(
            prefix.trim_end_matches('.'),
            "invalid_type",
            "expected a report definition object",
        );
        return Err(CoreError::Validation(errors));
    };
    for key in map.keys() {
        if ![
            "entity", "filter", "period", "group_by", "measures", "sort", "limit", "chart",
        ]
        .contains(&key.as_str())
        {
            errors.push(at(key), "unknown_field", "not a part of a report definition");
        }
    }
    let entity = map.get("entity").and_then(Json::as_str).unwrap_or_default();
    let Some(source) = source(db, caller, entity)? else {
        errors.push(
            at("entity"),
            "unknown_entity",
            format!("expected one of {}", ENTITIES.join(", ")),
        );
        return Err(CoreError::Validation(errors));
    };
    if caller.level(source.def.acl, Action::Read) == Level::None {
        errors.push(at("entity"), "forbidden", format!("you may not read {entity}"));
    }
    let filter = match map.get("filter") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(filter)) => filter.clone(),
        Some(_) => {
            errors.push(at("filter"), "invalid_type", "expected an object of field: value");
            Map::new()
        }
    };
    let period = period(&source, map.get("period"), &at, &mut errors);
    let groups = groups(caller, &source, map.get("group_by"), &at, &mut errors);
    let measures = measures(&source, map.get("measures"), &at, &mut errors);
    let limit = match map.get("limit") {
        None | Some(Json::Null) => DEFAULT_LIMIT,
        Some(value) => match value.as_u64() {
            Some(n) if (1..=u64::from(MAX_LIMIT)).contains(&n) => n as u32,
            _ => {
                errors.push(at("limit"), "out_of_range", format!("an integer from 1 to {MAX_LIMIT}"));
                DEFAULT_LIMIT
            }
        },
    };
    let chart = match map.get("chart") {
        None | Some(Json::Null) => "bar".to_string(),
        Some(Json::String(chart)) if CHARTS.contains(&chart.as_str()) => chart.clone(),
        Some(_) => {
            errors.push(at("chart"), "invalid_choice", format!("one of {}", CHARTS.join(", ")));
            "bar".to_string()
        }
    };
    let mut definition = Definition {
        raw: raw.clone(),
        source,
        filter,
        period,
        groups,
        measures,
        sort: None,
        limit,
        chart,
    };
    match map.get("sort") {
        None | Some(Json::Null) => {
            definition.sort = definition.groups.first().map(|g| (g.key.clone(), false));
        }
        Some(Json::String(text)) => {
            let (key, descending) = match text.strip_prefix('-') {
                Some(key) => (key, true),
                None => (text.as_str(), false),
            };
            if definition.keys().contains(&key) {
                definition.sort = Some((key.to_string(), descending));
            } else {
                errors.push(
                    at("sort"),
                    "unknown_sort_key",
                    format!("{key:?} is none of the columns {}", definition.keys().join(", ")),
                );
            }
        }
        Some(_) => errors.push(at("sort"), "invalid_type", "expected a column key, - for descending"),
    }
    let zone = super::period::firm_zone(db)?;
    super::compile::check_filters(db, &definition, &zone, prefix, &mut errors)?;
    errors.into_result()?;
    Ok(definition)
}

fn period(
    source: &Source,
    value: Option<&Json>,
    at: &dyn Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> Option<Period> {
    let map = match value {
        None | Some(Json::Null) => return None,
        Some(Json::Object(map)) => map,
        Some(_) => {
            errors.push(
                at("period"),
                "invalid_type",
                "expected {field, from, to} or {field, last}",
            );
            return None;
        }
    };
    for key in map.keys() {
        if !["field", "from", "to", "last"].contains(&key.as_str()) {
            errors.push(at(&format!("period.{key}")), "unknown_field", "not a part of a period");
        }
    }
    let name = map.get("field").and_then(Json::as_str).unwrap_or_default();
    let field = match source.field(name) {
        Some(field) if field.kind.dated() => Some(field.clone()),
        Some(_) => {
            errors.push(
                at("period.field"),
                "not_a_date",
                format!("{name:?} is not a date or time field"),
            );
            None
        }
        None => {
            errors.push(
                at("period.field"),
                "unknown_field",
                format!("{name:?} is no field of {}", source.entity),
            );
            None
        }
    };
    let text = |key: &str, errors: &mut FieldErrors| match map.get(key) {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(text.clone()),
        Some(_) => {
            errors.push(at(&format!("period.{key}")), "invalid_type", "expected text");
            None
        }
    };
    let (from, to, last) = (text("from", errors), text("to", errors), text("last", errors));
    if last.is_some() && (from.is_some() || to.is_some()) {
        errors.push(at("period.last"), "conflict", "give either last or from/to");
    }
    Some(Period {
        field: field?,
        from,
        to,
        last,
    })
}

fn groups(
    caller: &Caller,
    source: &Source,
    value: Option<&Json>,
    at: &dyn Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> Vec<Group> {
    let items = match value {
        None | Some(Json::Null) => return Vec::new(),
        Some(Json::Array(items)) => items,
        Some(_) => {
            errors.push(at("group_by"), "invalid_type", "expected a list of {field, bucket?}");
            return Vec::new();
        }
    };
    if items.len() > MAX_GROUPS {
        errors.push(at("group_by"), "too_many", format!("at most {MAX_GROUPS} groups"));
    }
    let mut out: Vec<Group> = Vec::new();
    for (i, item) in items.iter().enumerate().take(MAX_GROUPS) {
        let path = |part: &str| at(&format!("group_by[{i}]{part}"));
        let name = item.get("field").and_then(Json::as_str).unwrap_or_default();
        let Some(field) = source.field(name) else {
            errors.push(
                path(".field"),
                "unknown_field",
                format!("{name:?} is no field of {}", source.entity),
            );
            continue;
        };
        if !field.group {
            errors.push(path(".field"), "not_groupable", format!("{name:?} cannot be a group"));
            continue;
        }
        if let Some(entity) = named_entity(&field.kind)
            && caller.level(entity, Action::Read) == Level::None
        {
            errors.push(
                path(".field"),
                "forbidden",
                format!("you may not read the {} records {name:?} names", entity.code()),
            );
            continue;
        }
        let bucket = match item.get("bucket") {
            None | Some(Json::Null) if field.kind.dated() => {
                errors.push(path(".bucket"), "required", format!("one of {}", BUCKETS.join(", ")));
                continue;
            }
            None | Some(Json::Null) => None,
            Some(bucket) if field.kind.dated() => match BUCKETS.iter().find(|b| bucket.as_str() == Some(**b)) {
                Some(bucket) => Some(*bucket),
                None => {
                    errors.push(
                        path(".bucket"),
                        "invalid_choice",
                        format!("one of {}", BUCKETS.join(", ")),
                    );
                    continue;
                }
            },
            Some(_) => {
                errors.push(
                    path(".bucket"),
                    "not_a_date",
                    format!("{name:?} is not a date or time field"),
                );
                continue;
            }
        };
        let key = match bucket {
            Some(bucket) => format!("{name}:{bucket}"),
            None => name.to_string(),
        };
        if out.iter().any(|g| g.key == key) {
            errors.push(path(".field"), "duplicate", format!("{key} is grouped twice"));
            continue;
        }
        out.push(Group {
            field: field.clone(),
            bucket,
            key,
        });
    }
    out
}

fn measures(
    source: &Source,
    value: Option<&Json>,
    at: &dyn Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> Vec<Measure> {
    let items = match value {
        None | Some(Json::Null) => {
            return vec![Measure {
                func: Func::Count,
                field: None,
                filter: None,
                key: "count".into(),
                label: None,
            }];
        }
        Some(Json::Array(items)) if !items.is_empty() && items.len() <= MAX_MEASURES => items,
        Some(_) => {
            errors.push(
                at("measures"),
                "invalid_type",
                format!("expected a list of 1 to {MAX_MEASURES} measures"),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<Measure> = Vec::new();
    let mut shares = 0;
    for (i, item) in items.iter().enumerate() {
        let path = |part: &str| at(&format!("measures[{i}]{part}"));
        let Some(func) = item.get("fn").and_then(Json::as_str).and_then(Func::parse) else {
            errors.push(path(".fn"), "invalid_choice", "one of count, sum, avg, min, max, share");
            continue;
        };
        let label = item.get("label").and_then(Json::as_str).map(str::to_owned);
        let own_key = match item.get("key") {
            None | Some(Json::Null) => None,
            Some(Json::String(key))
                if !key.is_empty()
                    && key.len() <= 40
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Some(key.clone())
            }
            Some(_) => {
                errors.push(path(".key"), "invalid_key", "1 to 40 letters, digits or _");
                continue;
            }
        };
        let (field, filter, key) = match func {
            Func::Count => (None, None, "count".to_string()),
            Func::Share => {
                shares += 1;
                match item.get("filter") {
                    Some(Json::Object(filter)) if !filter.is_empty() => {
                        (None, Some(filter.clone()), format!("share_{shares}"))
                    }
                    _ => {
                        errors.push(path(".filter"), "required", "a share needs the filter its rows match");
                        continue;
                    }
                }
            }
            _ => {
                let name = item.get("field").and_then(Json::as_str).unwrap_or_default();
                match source.field(name) {
                    Some(field) if field.kind.numeric() => {
                        (Some(field.clone()), None, format!("{}_{name}", func.code()))
                    }
                    Some(_) => {
                        errors.push(
                            path(".field"),
                            "not_numeric",
                            format!("{} applies to number and money fields, not {name:?}", func.code()),
                        );
                        continue;
                    }
                    None => {
                        errors.push(
                            path(".field"),
                            "unknown_field",
                            format!("{name:?} is no field of {}", source.entity),
                        );
                        continue;
                    }
                }
            }
        };
        let key = own_key.unwrap_or(key);
        if out.iter().any(|m| m.key == key) {
            errors.push(path(".key"), "duplicate", format!("{key} is measured twice"));
            continue;
        }
        out.push(Measure {
            func,
            field,
            filter,
            key,
            label,
        });
    }
    out
}
