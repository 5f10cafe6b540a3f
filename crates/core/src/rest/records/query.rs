//! A `list` call's `filter`, `order` and `select` in our list language ([`RecordQuery`], the
//! same parser, ACL condition and indexes as `GET /api/<entity>`).
//!
//! Filter keys take Bitrix24's prefixes: `=` (or none; a list value means "one of"), `!`/`!=`,
//! `>`, `>=`, `<`, `<=`, `%` (contains; `=%`/`%=` are read as contains too), `@` (one of) and
//! `!@` (none of). An empty value with `=` or `!` asks for an empty or a set field. An
//! activity's `OWNER_TYPE_ID` and `OWNER_ID` filter together (its bindings). An unknown field,
//! a field that cannot be compared so, or a bad value is 400 `INVALID_ARG_VALUE` naming it.

use serde_json::Value as Json;

use super::Ctx;
use super::map::{Conv, ENTITY_TYPES, Mapped, custom_name};
use super::read::{Selection, is_multiple, list_kind};
use crate::error::CoreError;
use crate::records::fields::{FieldDef, FieldKind};
use crate::records::list::{Op, RecordQuery};
use crate::rest::values::{PAGE, decimal_text_of, flag_of, integer_of, list_of, text_of};
use crate::rest::{Call, RestError};

/// Bitrix24's filter prefixes, longest first, and what they mean.
const PREFIXES: &[(&str, Prefix)] = &[
    ("!@", Prefix::NoneOf),
    (">=", Prefix::Op(Op::Gte)),
    ("<=", Prefix::Op(Op::Lte)),
    ("!=", Prefix::Ne),
    ("=%", Prefix::Op(Op::Like)),
    ("%=", Prefix::Op(Op::Like)),
    ("@", Prefix::OneOf),
    (">", Prefix::Op(Op::Gt)),
    ("<", Prefix::Op(Op::Lt)),
    ("!", Prefix::Ne),
    ("%", Prefix::Op(Op::Like)),
    ("=", Prefix::Eq),
];

#[derive(Debug, Clone, Copy)]
enum Prefix {
    Eq,
    Ne,
    OneOf,
    NoneOf,
    Op(Op),
}

/// A filter key's prefix and value, as given.
type Given<'a> = (Prefix, &'a Json);

/// One filter in our terms: the client's key (for errors), the field path, the operator and
/// the value as list text.
type Filter = (String, String, Op, String);

/// The query of a `list` call starting at `offset` (counting the total when `count`).
pub fn list_query(cx: &Ctx, call: &Call, offset: u64, count: bool) -> Result<RecordQuery, RestError> {
    let sort = match call.param("order") {
        Some(order) => sort_spec(cx, order)?,
        None => "id".to_owned(),
    };
    let pairs = vec![
        ("sort".to_owned(), sort),
        ("limit".to_owned(), PAGE.to_string()),
        ("count".to_owned(), count.to_string()),
    ];
    let mut query = RecordQuery::parse(&cx.def, &pairs, &cx.def.parse).map_err(invalid_arg)?;
    query.skip(offset);
    if let Some(filter) = call.param("filter") {
        for (key, field, op, value) in filters(cx, filter)? {
            query
                .and_filter(&cx.def, &field, op, &value, &cx.def.parse)
                .map_err(|error| match error {
                    CoreError::BadRequest(message) => {
                        let detail = message.split_once(": ").map_or(message.as_str(), |(_, d)| d);
                        RestError::invalid_arg(format!("filter {key}: {detail}"))
                    }
                    other => other.into(),
                })?;
        }
    }
    Ok(query)
}

/// `select` as a [`Selection`] (absent or empty: `*`); names are matched in upper case,
/// unknown ones show nothing.
pub fn selection(call: &Call) -> Selection {
    let names: Vec<String> = call
        .param("select")
        .map(list_of)
        .unwrap_or_default()
        .into_iter()
        .filter_map(text_of)
        .map(|name| name.trim().to_ascii_uppercase())
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        Selection::Named(vec!["*".into()])
    } else {
        Selection::Named(names)
    }
}

fn invalid_arg(error: CoreError) -> RestError {
    match error {
        CoreError::BadRequest(message) => RestError::invalid_arg(message),
        other => other.into(),
    }
}

/// The field Bitrix24's `name` addresses: a mapped field or a custom one (`UF_CRM_*`).
enum Addressed<'a> {
    Mapped(&'static Mapped),
    Custom(&'a FieldDef),
}

fn addressed<'a>(cx: &'a Ctx, name: &str) -> Option<Addressed<'a>> {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("UF_") {
        return cx
            .def
            .fields
            .iter()
            .find(|f| f.is_custom() && custom_name(&f.name) == upper)
            .map(Addressed::Custom);
    }
    cx.map.field(&upper).map(Addressed::Mapped)
}

/// `order` (`{FIELD: "ASC"|"DESC"}`) as our `sort` (`title,-id`).
fn sort_spec(cx: &Ctx, order: &Json) -> Result<String, RestError> {
    let Some(order) = order.as_object() else {
        if order.is_null() || order.as_array().is_some_and(Vec::is_empty) || order == "" {
            return Ok("id".into());
        }
        return Err(RestError::invalid_arg("order must be an object of FIELD: ASC or DESC"));
    };
    let mut keys = Vec::new();
    for (name, direction) in order {
        let descending = match text_of(direction).map(|d| d.trim().to_ascii_uppercase()).as_deref() {
            Some("ASC") => false,
            Some("DESC") => true,
            _ => return Err(RestError::invalid_arg(format!("order[{name}] must be ASC or DESC"))),
        };
        let path = match addressed(cx, name) {
            Some(Addressed::Custom(field)) => format!("custom.{}", field.name),
            Some(Addressed::Mapped(mapped))
                if matches!(mapped.conv, Conv::Auto | Conv::Codes(_) | Conv::Meta | Conv::Category)
                    && !is_multiple(cx, mapped) =>
            {
                mapped.ours.to_owned()
            }
            _ => return Err(RestError::invalid_arg(format!("order: cannot sort by {name}"))),
        };
        keys.push(if descending { format!("-{path}") } else { path });
    }
    if keys.is_empty() {
        return Ok("id".into());
    }
    Ok(keys.join(","))
}

/// `filter` as our filters.
fn filters(cx: &Ctx, filter: &Json) -> Result<Vec<Filter>, RestError> {
    let Some(filter) = filter.as_object() else {
        if filter.is_null() || filter.as_array().is_some_and(Vec::is_empty) || filter == "" {
            return Ok(Vec::new());
        }
        return Err(RestError::invalid_arg("filter must be an object"));
    };
    let mut out = Vec::new();
    // An activity's OWNER_TYPE_ID and OWNER_ID, each with its prefix, until both are read.
    let mut owner: (Option<Given>, Option<Given>) = (None, None);
    for (key, value) in filter {
        let trimmed = key.trim();
        let (prefix, name) = PREFIXES
            .iter()
            .find_map(|(text, prefix)| trimmed.strip_prefix(text).map(|name| (*prefix, name)))
            .unwrap_or((Prefix::Eq, trimmed));
        let unknown = || RestError::invalid_arg(format!("filter: unknown field {key}"));
        let (path, field, mapped) = match addressed(cx, name).ok_or_else(unknown)? {
            Addressed::Custom(field) => (format!("custom.{}", field.name), Some(field), None),
            Addressed::Mapped(mapped) => match mapped.conv {
                Conv::OwnerType => {
                    owner.0 = Some((prefix, value));
                    continue;
                }
                Conv::OwnerId => {
                    owner.1 = Some((prefix, value));
                    continue;
                }
                Conv::Has => {
                    let has = flag_of(value).ok_or_else(|| bad_value(key, value))?;
                    let empty = has == matches!(prefix, Prefix::Ne);
                    out.push((key.clone(), mapped.ours.to_owned(), Op::Null, empty.to_string()));
                    continue;
                }
                Conv::AddressPart(_) => {
                    return Err(RestError::invalid_arg(format!("filter: {key} cannot be filtered")));
                }
                _ => (mapped.ours.to_owned(), cx.def.field(mapped.ours), Some(mapped)),
            },
        };
        let text = |item: &Json| filter_text(cx, mapped, field, item).ok_or_else(|| bad_value(key, item));
        let items = list_of(value);
        match prefix {
            Prefix::Eq | Prefix::Ne if is_empty(value) => {
                let empty = matches!(prefix, Prefix::Eq);
                out.push((key.clone(), path, Op::Null, empty.to_string()));
            }
            Prefix::Eq | Prefix::OneOf if value.is_array() || value.is_object() || matches!(prefix, Prefix::OneOf) => {
                let texts = items.iter().map(|item| text(item)).collect::<Result<Vec<_>, _>>()?;
                if texts.iter().any(|t| t.contains(',')) {
                    return Err(RestError::invalid_arg(format!(
                        "filter: a value of {key} contains a comma"
                    )));
                }
                if texts.is_empty() {
                    // One of nothing: no row.
                    out.push((key.clone(), "id".into(), Op::Lt, "0".into()));
                } else {
                    out.push((key.clone(), path, Op::In, texts.join(",")));
                }
            }
            Prefix::Ne | Prefix::NoneOf => {
                for item in items {
                    out.push((key.clone(), path.clone(), Op::Ne, text(item)?));
                }
            }
            Prefix::Eq | Prefix::OneOf => out.push((key.clone(), path, Op::Eq, text(value)?)),
            Prefix::Op(Op::Like) => {
                let pattern = text_of(value).ok_or_else(|| bad_value(key, value))?;
                out.push((key.clone(), path, Op::Like, pattern.replace('%', "")));
            }
            Prefix::Op(op) => out.push((key.clone(), path, op, text(value)?)),
        }
    }
    match owner {
        (None, None) => {}
        (Some((Prefix::Eq, entity)), Some((Prefix::Eq, id))) => {
            let entity = integer_of(entity)
                .and_then(|type_id| ENTITY_TYPES.iter().find(|(t, _)| *t == type_id))
                .map(|(_, name)| *name)
                .ok_or_else(|| bad_value("OWNER_TYPE_ID", entity))?;
            let id = integer_of(id).ok_or_else(|| bad_value("OWNER_ID", id))?;
            out.push(("OWNER_ID".into(), "bindings".into(), Op::Eq, format!("{entity}:{id}")));
        }
        _ => {
            return Err(RestError::invalid_arg(
                "filter: OWNER_TYPE_ID and OWNER_ID filter together, each with = only",
            ));
        }
    }
    Ok(out)
}

fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(text) => text.is_empty(),
        _ => false,
    }
}

fn bad_value(key: &str, value: &Json) -> RestError {
    RestError::invalid_arg(format!("filter: {value} is not a valid value of {key}"))
}

/// A filter value as our list language's text for the field.
fn filter_text(cx: &Ctx, mapped: Option<&Mapped>, field: Option<&FieldDef>, value: &Json) -> Option<String> {
    if let Some(mapped) = mapped {
        match mapped.conv {
            Conv::Codes(pairs) => {
                let text = text_of(value)?;
                let text = text.trim();
                let ours = pairs.iter().find(|(theirs, _)| theirs.eq_ignore_ascii_case(text));
                return Some(ours.map_or(text, |(_, ours)| *ours).to_owned());
            }
            Conv::Category => {
                return match integer_of(value)? {
                    0 => cx.default_pipeline().map(|id| id.to_string()),
                    id => Some(id.to_string()),
                };
            }
            Conv::Meta if mapped.ours.ends_with("_at") => return time_text(cx, value),
            Conv::Meta => return integer_of(value).map(|id| id.to_string()),
            _ => {}
        }
    }
    let field = field?;
    if list_kind(field).is_some() {
        return text_of(value);
    }
    match &field.kind {
        FieldKind::Boolean => flag_of(value).map(|flag| flag.to_string()),
        FieldKind::Integer | FieldKind::User | FieldKind::Record(_) => integer_of(value).map(|n| n.to_string()),
        FieldKind::Decimal(_) | FieldKind::Money(_) => decimal_text_of(value),
        FieldKind::Date => cx.zone.parse_date(&text_of(value)?),
        FieldKind::Datetime => time_text(cx, value),
        _ => text_of(value),
    }
}

fn time_text(cx: &Ctx, value: &Json) -> Option<String> {
    let unix = cx.zone.parse_datetime(&text_of(value)?)?;
    Some(crate::clock::rfc3339(unix))
}
