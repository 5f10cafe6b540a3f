//! List queries shared by every settings list: `limit`, an opaque keyset `cursor` and
//! `filter[<name>]=v` equality filters, parsed strictly (anything unknown is a 400 naming it,
//! never ignored), and the [`Page`] a list returns.
//!
//! Lists are keyset-paginated by id, so page 1000 costs what page 1 costs: the cursor is the
//! last id of the previous page, written in base 36 so clients treat it as an opaque token.

use serde::Serialize;
use serde_json::Value as Json;

use crate::db::{Db, Value};
use crate::error::CoreError;

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page size a client may ask for.
pub const MAX_LIMIT: u32 = 500;

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size, 1..=500.
    pub limit: u32,
    /// The id the page continues from (exclusive), decoded from the client's cursor.
    pub cursor: Option<i64>,
    /// Equality filters `(name, value)`, names among the list's allowed ones, each at most once.
    pub filters: Vec<(String, String)>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            limit: DEFAULT_LIMIT,
            cursor: None,
            filters: Vec::new(),
        }
    }
}

impl ListQuery {
    /// Parses decoded query pairs. Accepts `limit`, `cursor` and `filter[<name>]` for names in
    /// `allowed_filters`; an unknown parameter or filter, a repeated one, a bad limit or a bad
    /// cursor is [`CoreError::BadRequest`] naming it.
    pub fn parse(pairs: &[(String, String)], allowed_filters: &[&str]) -> Result<ListQuery, CoreError> {
        let mut query = ListQuery::default();
        let mut seen_limit = false;
        for (key, value) in pairs {
            match key.as_str() {
                "limit" => {
                    if std::mem::replace(&mut seen_limit, true) {
                        return Err(CoreError::BadRequest("limit is given more than once".into()));
                    }
                    query.limit = parse_limit(value)?;
                }
                "cursor" => {
                    if query.cursor.is_some() {
                        return Err(CoreError::BadRequest("cursor is given more than once".into()));
                    }
                    let id = decode_cursor(value)
                        .ok_or_else(|| CoreError::BadRequest(format!("cursor {value:?} is not a valid cursor")))?;
                    query.cursor = Some(id);
                }
                _ => {
                    let Some(name) = key.strip_prefix("filter[").and_then(|k| k.strip_suffix(']')) else {
                        return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}")));
                    };
                    // `filter[at][gte]` is the filter named `at[gte]`.
                    let name = match name.split_once("][") {
                        Some((field, op)) => format!("{field}[{op}]"),
                        None => name.to_string(),
                    };
                    let name = name.as_str();
                    if !allowed_filters.contains(&name) {
                        return Err(CoreError::BadRequest(format!(
                            "unknown filter {key:?} (allowed: {})",
                            allowed_filters.join(", ")
                        )));
                    }
                    if query.filter(name).is_some() {
                        return Err(CoreError::BadRequest(format!("{key} is given more than once")));
                    }
                    query.filters.push((name.to_string(), value.clone()));
                }
            }
        }
        Ok(query)
    }

    /// The value of filter `name`, if given.
    pub fn filter(&self, name: &str) -> Option<&str> {
        self.filters.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Filter `name` as an integer (`BadRequest` naming it if it is not one).
    pub fn filter_i64(&self, name: &str) -> Result<Option<i64>, CoreError> {
        self.filter(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| CoreError::BadRequest(format!("filter[{name}] must be an integer")))
            })
            .transpose()
    }

    /// Filter `name` as a boolean: `true`/`1` or `false`/`0` (`BadRequest` naming it otherwise).
    pub fn filter_bool(&self, name: &str) -> Result<Option<bool>, CoreError> {
        self.filter(name)
            .map(|v| match v {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(CoreError::BadRequest(format!("filter[{name}] must be true or false"))),
            })
            .transpose()
    }
}

fn parse_limit(value: &str) -> Result<u32, CoreError> {
    let bad = || CoreError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}, not {value:?}"));
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

/// Writes an id as an opaque cursor (base 36, lowercase).
pub fn encode_cursor(id: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = id.max(0) as u64;
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Reads a cursor written by [`encode_cursor`]: lowercase base 36, no leading zeros, no sign,
/// within `i64`. Anything else is `None`.
pub fn decode_cursor(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 13 || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    let mut n: i64 = 0;
    for b in text.bytes() {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            _ => return None,
        };
        n = n.checked_mul(36)?.checked_add(i64::from(digit))?;
    }
    Some(n)
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// The records, in list order.
    pub items: Vec<serde_json::Value>,
    /// The cursor of the next page, or `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Page {
    /// Builds a page from up to `limit + 1` fetched `(id, record)` pairs: the extra one only
    /// says that another page follows, whose cursor is the last kept id.
    pub(crate) fn from_fetched(mut fetched: Vec<(i64, serde_json::Value)>, limit: u32) -> Page {
        let limit = limit as usize;
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        let next_cursor = if more {
            fetched.last().map(|(id, _)| encode_cursor(*id))
        } else {
            None
        };
        Page {
            items: fetched.into_iter().map(|(_, item)| item).collect(),
            next_cursor,
        }
    }
}

/// Builds `WHERE` clauses and their parameters.
#[derive(Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    /// The parameters, in order.
    pub(crate) params: Vec<Value>,
}

impl Where {
    /// Adds one condition with its parameters.
    pub(crate) fn and(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    /// One keyset page (by id, ascending) of `select` under these conditions and after the
    /// query's cursor, each row rendered by `record`.
    pub(crate) fn page(
        mut self,
        db: &dyn Db,
        select: &str,
        query: &ListQuery,
        record: impl Fn(&crate::db::Row) -> Result<Json, CoreError>,
    ) -> Result<Page, CoreError> {
        if let Some(cursor) = query.cursor {
            self.and("id > ?", [cursor.into()]);
        }
        let mut params = self.params.clone();
        params.push((query.limit + 1).into());
        let rows = db.query(&format!("{select}{} ORDER BY id LIMIT ?", self.sql()), &params)?;
        let fetched = rows
            .iter()
            .map(|row| Ok((row.i64("id").unwrap_or_default(), record(&row)?)))
            .collect::<Result<Vec<_>, CoreError>>()?;
        Ok(Page::from_fetched(fetched, query.limit))
    }

    /// ` WHERE a AND b` (empty without conditions).
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cursors_round_trip_and_decode_strictly() {
        for id in [0, 1, 35, 36, 1_000_000, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(id)), Some(id), "id {id}");
        }
        for bad in ["", "-1", "00", "0a", "A", "z z", "1y2p0ij32e8e8", "zzzzzzzzzzzzz"] {
            assert_eq!(decode_cursor(bad), None, "cursor {bad:?}");
        }
    }

    #[test]
    fn parses_limit_cursor_and_allowed_filters() {
        let q = ListQuery::parse(
            &pairs(&[("limit", "3"), ("cursor", "a"), ("filter[email]", "x")]),
            &["email"],
        )
        .expect("valid");
        assert_eq!(q.limit, 3);
        assert_eq!(q.cursor, Some(10));
        assert_eq!(q.filter("email"), Some("x"));
        assert_eq!(ListQuery::parse(&[], &[]).expect("empty"), ListQuery::default());
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("limit", "0")], "limit"),
            (&[("limit", "501")], "limit"),
            (&[("limit", "+5")], "limit"),
            (&[("limit", "1"), ("limit", "2")], "limit"),
            (&[("cursor", "!")], "cursor"),
            (&[("filter[secret]", "1")], "filter[secret]"),
            (&[("filter[email][like]", "1")], "filter[email][like]"),
            (&[("filter[email]", "a"), ("filter[email]", "b")], "filter[email]"),
            (&[("sort", "id")], "sort"),
        ];
        for (input, named) in cases {
            match ListQuery::parse(&pairs(input), &["email"]) {
                Err(CoreError::BadRequest(text)) => assert!(text.contains(named), "{input:?}: {text}"),
                other => panic!("{input:?}: expected BadRequest, got {other:?}"),
            }
        }
    }
}
