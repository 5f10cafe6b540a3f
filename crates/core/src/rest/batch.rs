//! `batch`: up to 50 commands, each `method?query`, `halt`, `$result[key][...]` references
//! (issue 19, transport helper).
//!
//! `cmd` is a map (keys name the results) or a list (results by position); each command is
//! a method and a query string read by the same bracket parser as a request
//! ([`super::form`]). Before a command runs, every string of its parameters that holds
//! `$result[key][path...]` gets that earlier result's value: a string that is exactly one
//! reference becomes the value itself (a list stays a list), one inside other text has it
//! written in; a reference to nothing stays as written. Each command runs through the one
//! dispatcher ([`super::dispatch`]) with its own transaction, so one failing rolls back only
//! itself; `halt` stops at the first failure. The answer is Bitrix24's: `result`,
//! `result_error`, `result_total`, `result_next`, `result_time`, empty ones as `[]`.

use serde_json::{Map, Value as Json, json};
use std::time::SystemTime;

use super::envelope::{Timing, failure};
use super::hooks::Authorized;
use super::values::flag_of;
use super::{Reply, RestError};
use crate::db::Db;

/// The most commands one batch may hold.
pub const MAX_COMMANDS: usize = 50;

/// Runs a `batch` call's commands.
pub fn run(db: &dyn Db, hook: &Authorized, params: &Json) -> Result<Reply, RestError> {
    let param = |name: &str| {
        params
            .as_object()
            .and_then(|map| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v)
    };
    let halt = match param("halt") {
        None | Some(Json::Null) => false,
        Some(value) => flag_of(value).ok_or_else(|| RestError::invalid_arg("halt must be true/false or 1/0"))?,
    };
    let (commands, listed) = match param("cmd") {
        Some(Json::Object(map)) => (map.iter().map(|(k, v)| (k.clone(), v)).collect::<Vec<_>>(), false),
        Some(Json::Array(items)) => (
            items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
            true,
        ),
        _ => return Err(RestError::invalid_arg("cmd must be a map or a list of commands")),
    };
    if commands.len() > MAX_COMMANDS {
        return Err(RestError::new(
            400,
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded",
        ));
    }
    let mut results = Map::new();
    let mut errors = Map::new();
    let mut totals = Map::new();
    let mut nexts = Map::new();
    let mut times = Map::new();
    for (key, command) in commands {
        let start = SystemTime::now();
        let outcome = match command.as_str() {
            Some(text) => run_one(db, hook, text, &results),
            None => Err(RestError::invalid_arg("a command must be a string: method?query")),
        };
        times.insert(key.clone(), Timing::since(start, hook.time_zone.clone()).to_json());
        match outcome {
            Ok(reply) => {
                if let Some(total) = reply.total {
                    totals.insert(key.clone(), total.into());
                }
                if let Some(next) = reply.next {
                    nexts.insert(key.clone(), next.into());
                }
                results.insert(key, reply.result);
            }
            Err(error) => {
                errors.insert(key, failure(&error));
                if halt {
                    break;
                }
            }
        }
    }
    Ok(Reply::of(json!({
        "result": shaped(results, listed),
        "result_error": shaped(errors, listed),
        "result_total": shaped(totals, listed),
        "result_next": shaped(nexts, listed),
        "result_time": shaped(times, listed),
    })))
}

/// One command: `method?query`, its references filled in from `results`.
fn run_one(db: &dyn Db, hook: &Authorized, command: &str, results: &Map<String, Json>) -> Result<Reply, RestError> {
    let (method, query) = command.split_once('?').unwrap_or((command, ""));
    let method = method.trim();
    let method = method.strip_suffix(".json").unwrap_or(method);
    let mut params = Json::Object(
        super::form::from_query(query.as_bytes()).map_err(|e| RestError::new(400, "INVALID_REQUEST", e.0))?,
    );
    fill_references(&mut params, results);
    super::dispatch::dispatch(db, hook, method, &params, true)
}

/// A map as Bitrix24 (PHP) writes it: `[]` when empty; for a list of commands, a list when
/// every position from 0 is there.
fn shaped(map: Map<String, Json>, listed: bool) -> Json {
    if map.is_empty() {
        return Json::Array(Vec::new());
    }
    let sequential = map.keys().enumerate().all(|(i, k)| *k == i.to_string());
    if listed && sequential {
        Json::Array(map.into_iter().map(|(_, v)| v).collect())
    } else {
        Json::Object(map)
    }
}

/// Replaces `$result[...]` references in every string of `value`.
fn fill_references(value: &mut Json, results: &Map<String, Json>) {
    match value {
        Json::String(text) if text.contains("$result[") => {
            if let Some(found) = whole_reference(text, results) {
                *value = found;
            } else {
                *text = interpolated(text, results);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|item| fill_references(item, results)),
        Json::Object(map) => map.values_mut().for_each(|item| fill_references(item, results)),
        _ => {}
    }
}

/// A reference at the start of `text`: its steps and its length, if it is one.
fn reference(text: &str) -> Option<(Vec<&str>, usize)> {
    let mut rest = text.strip_prefix("$result")?;
    let mut steps = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']')?;
        steps.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    (!steps.is_empty()).then(|| (steps, text.len() - rest.len()))
}

/// The value a reference's steps lead to.
fn resolve(steps: &[&str], results: &Map<String, Json>) -> Option<Json> {
    let (first, path) = steps.split_first()?;
    let mut value = results.get(*first)?;
    for step in path {
        value = match value {
            Json::Object(map) => map.get(*step)?,
            Json::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value.clone())
}

/// The value of `text` when it is exactly one reference to something.
fn whole_reference(text: &str, results: &Map<String, Json>) -> Option<Json> {
    let (steps, length) = reference(text)?;
    (length == text.len()).then(|| resolve(&steps, results)).flatten()
}

/// `text` with each reference to something written in (strings as they are, other values
/// as JSON); references to nothing stay as written.
fn interpolated(text: &str, results: &Map<String, Json>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("$result[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match reference(tail).and_then(|(steps, length)| resolve(&steps, results).map(|v| (v, length))) {
            Some((value, length)) => {
                match value {
                    Json::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
                rest = &tail[length..];
            }
            None => {
                out.push_str("$result[");
                rest = &tail["$result[".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_reach_into_earlier_results() {
        let mut results = Map::new();
        results.insert("user".into(), json!({"ID": "7", "UF_DEPARTMENT": [3, 4]}));
        results.insert("0".into(), json!([{"ID": "11"}]));
        let mut params = json!({
            "id": "$result[user][ID]",
            "departments": "$result[user][UF_DEPARTMENT]",
            "first": "$result[0][0][ID]",
            "text": "user $result[user][ID] in $result[user][UF_DEPARTMENT][1]!",
            "missing": "$result[nobody][ID]",
            "broken": "$result[user",
            "list": ["$result[user][UF_DEPARTMENT][0]"],
        });
        fill_references(&mut params, &results);
        assert_eq!(
            params,
            json!({
                "id": "7",
                "departments": [3, 4],
                "first": "11",
                "text": "user 7 in 4!",
                "missing": "$result[nobody][ID]",
                "broken": "$result[user",
                "list": [3],
            })
        );
    }

    #[test]
    fn empty_maps_are_lists_and_full_lists_stay_lists() {
        assert_eq!(shaped(Map::new(), false), json!([]));
        let mut map = Map::new();
        map.insert("0".into(), json!(1));
        map.insert("1".into(), json!(2));
        assert_eq!(shaped(map.clone(), true), json!([1, 2]));
        assert_eq!(shaped(map.clone(), false), json!({"0": 1, "1": 2}));
        map.remove("0");
        assert_eq!(shaped(map, true), json!({"1": 2}));
    }
}
