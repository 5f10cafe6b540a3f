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
    Reply {
        result: Json::Array(rows),
        total: start.and(total),
        next,
    }
}

// Added by helper S (issue 19: links, products, dictionaries, comments).

/// A list as clients send it: a JSON array, or an object with keys `"0"`, `"1"`... (a form's
/// `a[0]=x`), in key order (numeric keys by number); anything else is no list (`None`).
pub fn list_of(value: &Json) -> Option<Vec<&Json>> {
    match value {
        Json::Array(items) => Some(items.iter().collect()),
        Json::Object(map) => {
            let mut keyed: Vec<(u64, &Json)> = Vec::with_capacity(map.len());
            for (key, item) in map {
                keyed.push((key.parse().ok()?, item));
            }
            keyed.sort_by_key(|(index, _)| *index);
            Some(keyed.into_iter().map(|(_, item)| item).collect())
        }
        _ => None,
    }
}

/// An integer given as a number or a string of one (zero and negatives included: category
/// `0` is the default pipeline).
pub fn int_of(value: &Json) -> Option<i64> {
    match value {
        Json::Number(number) => number.as_i64(),
        Json::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A decimal as its text: a string as given, a JSON number as serde writes it (`1000`,
/// `100.5`), so that the checked decimal parsers read it without touching floats' arithmetic.
pub fn decimal_text(value: &Json) -> Option<String> {
    match value {
        Json::Number(number) => Some(number.to_string()),
        Json::String(text) => Some(text.trim().to_owned()),
        _ => None,
    }
}

/// Who reads a reply, for what a reply shows in their terms: names in their language and
/// times at their time zone's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// `en` or `ru`.
    pub language: String,
    /// An IANA time zone.
    pub time_zone: String,
}

impl Viewer {
    /// The caller's language and time zone (one statement).
    pub fn of(call: &Call) -> Result<Viewer, RestError> {
        let rows = call
            .db
            .query(
                "SELECT language, time_zone FROM users WHERE id = ?",
                &[call.caller.user_id.into()],
            )
            .map_err(crate::error::CoreError::from)?;
        let row = rows.first();
        Ok(Viewer {
            language: row.and_then(|r| r.str("language")).unwrap_or("en").to_owned(),
            time_zone: row.and_then(|r| r.str("time_zone")).unwrap_or("UTC").to_owned(),
        })
    }

    /// A `{"en", "ru"}` name in the viewer's language (the other one when it is empty).
    pub fn name(&self, names: &Json) -> Json {
        let other = if self.language == "ru" { "en" } else { "ru" };
        [self.language.as_str(), other]
            .iter()
            .filter_map(|language| names.get(language).and_then(Json::as_str))
            .find(|name| !name.is_empty())
            .map_or(Json::Null, Json::from)
    }

    /// Unix seconds as Bitrix24 writes a time: ISO-8601 at the viewer's offset
    /// (`2024-01-20T18:35:32+03:00`).
    pub fn time(&self, unix: i64) -> Json {
        let zone = jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        match jiff::Timestamp::from_second(unix) {
            Ok(at) => Json::from(at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
            Err(_) => Json::Null,
        }
    }
}

/// The call's `name` parameter as an object (`fields`, `filter`...): absent is `None`, an
/// object `Some`, anything else 400 `INVALID_ARG_VALUE` naming it.
pub fn object_param<'a>(call: &'a Call, name: &str) -> Result<Option<&'a serde_json::Map<String, Json>>, RestError> {
    match call.param(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(map)) => Ok(Some(map)),
        Some(Json::Array(items)) if items.is_empty() => Ok(None),
        Some(_) => Err(RestError::invalid_arg(format!("{name} must be an object"))),
    }
}

/// The value of `name` in a client's object, its key matched without regard to ASCII case
/// (`fields[title]` and `fields[TITLE]` alike).
pub fn field<'a>(map: &'a serde_json::Map<String, Json>, name: &str) -> Option<&'a Json> {
    map.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// An engine error in the caller's words: a 422's field paths renamed by `names` (our path
/// prefix -> the client's field name, e.g. `("code", "STATUS_ID")`), then as
/// `From<CoreError>`.
pub fn named_error(error: crate::error::CoreError, names: &[(&str, &str)]) -> RestError {
    use crate::error::CoreError;
    let CoreError::Validation(mut errors) = error else {
        return error.into();
    };
    for problem in errors.0.iter_mut() {
        if let Some((ours, theirs)) = names.iter().find(|(ours, _)| {
            problem.field == *ours
                || problem.field.starts_with(&format!("{ours}."))
                || problem.field.starts_with(&format!("{ours}["))
        }) {
            problem.field = format!("{theirs}{}", &problem.field[ours.len()..]);
        }
    }
    CoreError::Validation(errors).into()
}
