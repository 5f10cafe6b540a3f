//! "My activities" (`GET /api/activities/my`): the caller's open (not completed) activities as
//! responsible, by deadline (earliest first; those without a deadline last, by id), each with
//! `"overdue"` (its deadline has passed). `limit` (1..500, default 50) and a keyset `cursor`
//! as in every list; anything else in the query is a 400 naming it.
//!
//! The page is read in two index range scans of `activities_my` (responsible, completed,
//! deadline, id): first the rows with a deadline, then, once those run out, the rows without.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::{EntityDef, Values, store};
use crate::resource::list::{DEFAULT_LIMIT, MAX_LIMIT};

/// Where a page continues: after this (deadline, id); a `None` deadline is in the no-deadline
/// part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    /// The last row's deadline.
    pub deadline: Option<i64>,
    /// The last row's id.
    pub id: i64,
}

/// A parsed "my activities" request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MyQuery {
    /// Page size.
    pub limit: u32,
    /// Continue after this row.
    pub after: Option<After>,
}

fn bad(message: String) -> CoreError {
    CoreError::BadRequest(message)
}

impl MyQuery {
    /// Parses decoded query pairs: `limit` and `cursor` only, each at most once.
    pub fn parse(pairs: &[(String, String)]) -> Result<MyQuery, CoreError> {
        let mut query = MyQuery {
            limit: DEFAULT_LIMIT,
            after: None,
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            if seen.contains(&key.as_str()) {
                return Err(bad(format!("{key} is given more than once")));
            }
            seen.push(key);
            match key.as_str() {
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| bad(format!("limit must be an integer from 1 to {MAX_LIMIT}, not {value:?}")))?;
                }
                "cursor" => {
                    query.after = Some(
                        decode_cursor(value).ok_or_else(|| bad(format!("cursor {value:?} is not a valid cursor")))?,
                    );
                }
                _ => return Err(bad(format!("unknown query parameter {key:?}"))),
            }
        }
        Ok(query)
    }
}

/// The opaque cursor of a row.
pub fn encode_cursor(after: After) -> String {
    URL_SAFE_NO_PAD.encode(json!([after.deadline, after.id]).to_string())
}

/// Reads a cursor written by [`encode_cursor`].
pub fn decode_cursor(text: &str) -> Option<After> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (deadline, id): (Option<i64>, i64) = serde_json::from_slice(&bytes).ok()?;
    (id > 0).then_some(After { deadline, id })
}

/// One page of the caller's open activities by deadline, as `{"items", "next_cursor"}`; `now`
/// (unix seconds) decides `overdue`.
pub fn list(db: &dyn Db, caller: &Caller, def: &EntityDef, query: &MyQuery, now: i64) -> Result<Json, CoreError> {
    caller.require(def.acl, Action::Read)?;
    let wanted = query.limit as usize + 1;
    let base = format!(
        "{} WHERE t.responsible_id = ? AND t.completed = 0",
        store::select_from(def)
    );
    let me = Value::from(caller.user_id);
    let mut records: Vec<Values> = Vec::new();
    if query.after.is_none_or(|a| a.deadline.is_some()) {
        let (sql, mut params) = match query.after {
            Some(After {
                deadline: Some(deadline),
                id,
            }) => (
                format!(
                    "{base} AND t.deadline IS NOT NULL AND (t.deadline, t.id) > (?, ?) ORDER BY t.deadline, t.id LIMIT ?"
                ),
                vec![me.clone(), deadline.into(), id.into()],
            ),
            _ => (
                format!("{base} AND t.deadline IS NOT NULL ORDER BY t.deadline, t.id LIMIT ?"),
                vec![me.clone()],
            ),
        };
        params.push((wanted as i64).into());
        let rows = db.query(&sql, &params)?;
        records.extend(rows.iter().map(|r| store::row_values(def, &r)));
    }
    if records.len() < wanted {
        let after_id = match query.after {
            Some(After { deadline: None, id }) => id,
            _ => 0,
        };
        let rows = db.query(
            &format!("{base} AND t.deadline IS NULL AND t.id > ? ORDER BY t.id LIMIT ?"),
            &[me, after_id.into(), ((wanted - records.len()) as i64).into()],
        )?;
        records.extend(rows.iter().map(|r| store::row_values(def, &r)));
    }
    let more = records.len() > query.limit as usize;
    records.truncate(query.limit as usize);
    let next_cursor = if more {
        records.last().map(|v| {
            encode_cursor(After {
                deadline: v.get("deadline").and_then(Value::as_i64),
                id: v.get("id").and_then(Value::as_i64).unwrap_or_default(),
            })
        })
    } else {
        None
    };
    store::load_links(db, def, &mut records)?;
    let items: Vec<Json> = records
        .iter()
        .map(|values| {
            let mut item = store::render(def, values);
            let overdue = values.get("deadline").and_then(Value::as_i64).is_some_and(|d| d < now);
            item["overdue"] = json!(overdue);
            item
        })
        .collect();
    Ok(json!({ "items": items, "next_cursor": next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        for after in [
            After {
                deadline: Some(1_795_336_200),
                id: 7,
            },
            After { deadline: None, id: 3 },
        ] {
            assert_eq!(decode_cursor(&encode_cursor(after)), Some(after));
        }
        for bad in ["", "abc", "W10", "WzEsMF0"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_limit_and_cursor_are_accepted() {
        assert_eq!(MyQuery::parse(&pairs(&[("limit", "2")])).map(|q| q.limit), Ok(2));
        for (input, named) in [
            (&[("limit", "0")][..], "limit"),
            (&[("limit", "+5")][..], "limit"),
            (&[("cursor", "x")][..], "cursor"),
            (&[("sort", "id")][..], "sort"),
            (&[("limit", "1"), ("limit", "2")][..], "limit"),
        ] {
            match MyQuery::parse(&pairs(input)) {
                Err(CoreError::BadRequest(text)) => assert!(text.contains(named), "{text}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }
}
