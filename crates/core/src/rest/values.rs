//! Bitrix24's value conventions, shared by every method family: ids come in as numbers or
//! numeric strings and go out as strings, booleans are `"Y"`/`"N"`, lists are pages of 50
//! addressed by `start` (`-1`: no count).

use super::{Call, Reply, RestError};
use serde_json::Value as Json;

/// Rows in one page of a list method; fixed, as Bitrix24's.
pub const PAGE: u64 = 50;

/// An id given as a positive integer or a string of one.
pub fn id_of(value: &Json) -> Option<i64> {
    let id = match value {
        Json::Number(number) => number.as_i64()?,
        Json::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    (id > 0).then_some(id)
}

/// The call's `name` parameter as an id, or Bitrix24's "ID is not defined or invalid.".
pub fn id_param(call: &Call, name: &str) -> Result<i64, RestError> {
    call.param(name)
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid("ID is not defined or invalid."))
}

/// An id as Bitrix24 writes it: a string.
pub fn id_text(id: i64) -> Json {
    Json::String(id.to_string())
}

/// A boolean as Bitrix24 writes it.
pub fn yes_no(flag: bool) -> Json {
    Json::String(if flag { "Y" } else { "N" }.to_owned())
}

/// A boolean as clients send it: `Y`/`N` (any case), `true`/`false`, `1`/`0`.
pub fn flag_of(value: &Json) -> Option<bool> {
    match value {
        Json::Bool(flag) => Some(*flag),
        Json::Number(number) => match number.as_i64()? {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        },
        Json::String(text) => match text.trim().to_ascii_uppercase().as_str() {
            "Y" | "TRUE" | "1" => Some(true),
            "N" | "FALSE" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Where a list page starts: `Some(offset)` from `start` (absent: 0), or `None` for
/// `start=-1`, which asks for no `total`.
pub fn start_param(call: &Call) -> Result<Option<u64>, RestError> {
    let Some(value) = call.param("start") else {
        return Ok(Some(0));
    };
    let text = match value {
        Json::Number(number) => number.to_string(),
        Json::String(text) => text.trim().to_owned(),
        Json::Null => return Ok(Some(0)),
        _ => return Err(RestError::invalid_arg("start must be a number")),
    };
    match text.parse::<i64>() {
        Ok(-1) => Ok(None),
        Ok(start) if start >= 0 => Ok(Some(start as u64)),
        _ => Err(RestError::invalid_arg("start must be a number")),
    }
}

/// A list method's reply: `rows` read with a limit of one more than [`PAGE`] from `start`
/// (`None` for `start=-1`), and the total when counted.
pub fn page_reply(mut rows: Vec<Json>, start: Option<u64>, total: Option<u64>) -> Reply {
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = match start {
        Some(start) if more => Some(start + PAGE),
        _ => None,
    };
    Reply { result: Json::Array(rows), total: start.and(total), next }
}
