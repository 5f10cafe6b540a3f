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

/// A list method's reply from every row already read (a small list: product rows, deal
/// pipelines): the page at `start` and the total.
pub fn page_of_all(rows: Vec<Json>, start: Option<u64>) -> Reply {
    let total = rows.len() as u64;
    let page = rows
        .into_iter()
        .skip(start.unwrap_or(0) as usize)
        .take(PAGE as usize + 1)
        .collect();
    page_reply(page, start, Some(total))
}

/// The items of a list as clients send it: a JSON array, or an object keyed `"0"`, `"1"`...
/// (a form's `a[0]=x&a[1]=y`), in key order; a single scalar is a list of one, `null` none.
pub fn list_of(value: &Json) -> Vec<&Json> {
    match value {
        Json::Array(items) => items.iter().collect(),
        Json::Object(map) => {
            let mut keyed: Vec<(Option<u64>, &String, &Json)> =
                map.iter().map(|(key, item)| (key.parse().ok(), key, item)).collect();
            keyed.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            keyed.into_iter().map(|(_, _, item)| item).collect()
        }
        Json::Null => Vec::new(),
        scalar => vec![scalar],
    }
}

/// A list strictly: a JSON array, or an object whose keys are all indexes (`"0"`, `"1"`...,
/// in their order); anything else is no list (`None`), for a parameter that must be one.
pub fn strict_list_of(value: &Json) -> Option<Vec<&Json>> {
    match value {
        Json::Object(map) if map.keys().any(|key| key.parse::<u64>().is_err()) => None,
        Json::Array(_) | Json::Object(_) => Some(list_of(value)),
        _ => None,
    }
}

/// A value as text the way a form sends it: strings as they are, numbers and booleans
/// written out; `None` for `null`, arrays and objects.
pub fn text_of(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        Json::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// An integer given as a JSON integer or a string of one (zero and negatives allowed:
/// category `0` is the default pipeline).
pub fn integer_of(value: &Json) -> Option<i64> {
    match value {
        Json::Number(number) => number.as_i64(),
        Json::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A decimal as our engine reads it (a decimal string, never a float): a JSON number is
/// taken by its written digits (`4900`, `12.5`), a string as it is (`"1500.00"`); Bitrix24's
/// money of user fields (`"1500|RUB"`) gives its amount. The engine checks scale and bounds.
pub fn decimal_text_of(value: &Json) -> Option<String> {
    match value {
        Json::Number(number) => Some(number.to_string()),
        Json::String(text) => Some(text.split('|').next().unwrap_or_default().trim().to_owned()),
        _ => None,
    }
}

/// Who reads a reply, for what a reply shows in their terms: names in their language, and
/// times at the firm's time zone's offset (as every method writes them, [`FirmZone`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// `en` or `ru`.
    pub language: String,
    /// An IANA time zone: the firm's (`app_settings.time_zone`).
    pub time_zone: String,
}

impl Viewer {
    /// The caller's language and the firm's time zone (one statement).
    pub fn of(call: &Call) -> Result<Viewer, RestError> {
        let rows = call
            .db
            .query(
                "SELECT language, (SELECT value FROM app_settings WHERE key = 'time_zone') AS time_zone \
                 FROM users WHERE id = ?",
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
        let zone = crate::tz::get_or_utc(&self.time_zone);
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

/// The firm's time zone, read once per call and only when a date is written or read
/// (`app_settings.time_zone`, UTC when unset).
pub struct FirmZone<'a> {
    db: &'a dyn crate::db::Db,
    zone: std::cell::OnceCell<jiff::tz::TimeZone>,
}

impl<'a> FirmZone<'a> {
    /// The zone of the firm behind `db`, not read yet.
    pub fn new(db: &'a dyn crate::db::Db) -> Self {
        FirmZone {
            db,
            zone: std::cell::OnceCell::new(),
        }
    }

    /// The zone of a call: the one its transport read, else read from `db` when needed.
    pub fn of_call(call: &Call<'a>) -> Self {
        let zone = FirmZone::new(call.db);
        if let Some(name) = call.firm_zone {
            let _ = zone.zone.set(crate::tz::get_or_utc(name));
        }
        zone
    }

    /// The zone (UTC if it cannot be read).
    pub fn get(&self) -> &jiff::tz::TimeZone {
        self.zone
            .get_or_init(|| crate::reports::period::firm_zone(self.db).unwrap_or(jiff::tz::TimeZone::UTC))
    }

    /// Unix seconds as Bitrix24 writes a time: `2024-01-20T18:35:32+03:00` in the firm's zone.
    pub fn datetime_text(&self, unix: i64) -> Option<String> {
        let time = jiff::Timestamp::from_second(unix).ok()?.to_zoned(self.get().clone());
        Some(time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
    }

    /// A date (`YYYY-MM-DD`) as Bitrix24 writes one: its midnight in the firm's zone.
    pub fn date_text(&self, date: &str) -> Option<String> {
        let day: jiff::civil::Date = date.get(..10)?.parse().ok()?;
        let midnight = day.to_zoned(self.get().clone()).ok()?;
        Some(midnight.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
    }

    /// A time as clients write it, into unix seconds: with an offset (`2024-01-20T18:35:32+03:00`,
    /// `+0300`, `Z`), a local time without one (`2024-01-20T18:35:32`, `2024-01-20 18:35`) or a
    /// bare date (its midnight), both in the firm's zone, or Bitrix24's site format
    /// `20.01.2024 18:35:32`.
    pub fn parse_datetime(&self, text: &str) -> Option<i64> {
        let (local, offset) = local_datetime(text.trim())?;
        let zone = match offset {
            Some(seconds) => jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(seconds).ok()?),
            None => self.get().clone(),
        };
        Some(local.to_zoned(zone).ok()?.timestamp().as_second())
    }

    /// A date as clients write it (`2024-01-20`, `2024-01-20T00:00:00+03:00`, `20.01.2024`),
    /// into `YYYY-MM-DD`: the calendar date as written, not converted.
    pub fn parse_date(&self, text: &str) -> Option<String> {
        let (local, _) = local_datetime(text.trim())?;
        Some(local.date().to_string())
    }
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS][.fraction][offset]]` or `DD.MM.YYYY[ HH:MM[:SS]]`, as a civil
/// time and the offset in seconds when one is written (`Z`, `+03:00`, `+0300`, `-05`).
fn local_datetime(text: &str) -> Option<(jiff::civil::DateTime, Option<i32>)> {
    let (date, time) = match text.find([' ', 'T', 't']) {
        Some(at) => (&text[..at], text[at + 1..].trim()),
        None => (text, ""),
    };
    let date: jiff::civil::Date = if let Some((day, rest)) = date.split_once('.') {
        let (month, year) = rest.split_once('.')?;
        jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()?
    } else {
        date.parse().ok()?
    };
    if time.is_empty() {
        return Some((date.to_datetime(jiff::civil::Time::midnight()), None));
    }
    let clock_end = time
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(time.len());
    let mut parts = time[..clock_end].split(':').map(|p| p.parse::<i8>().ok());
    let hour = parts.next()??;
    let minute = parts.next().flatten().unwrap_or(0);
    let second = parts.next().flatten().unwrap_or(0);
    let clock = jiff::civil::Time::new(hour, minute, second, 0).ok()?;
    // A fraction of a second is dropped; what follows it is the offset, if any.
    let rest = time[clock_end..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest {
        "" => None,
        "Z" | "z" => Some(0),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i32 = digits[..2].parse().ok()?;
            let minutes: i32 = digits
                .get(2..)
                .filter(|m| !m.is_empty())
                .map_or(Some(0), |m| m.parse().ok())?;
            Some(sign * (hours * 3600 + minutes * 60))
        }
    };
    Some((date.to_datetime(clock), offset))
}

/// A list page whose reader already knows whether more rows follow (a keyset list that asked
/// for one page): `start` as [`page_reply`] takes it.
pub fn page_reply_known(rows: Vec<Json>, start: Option<u64>, total: Option<u64>, more: bool) -> Reply {
    let next = match start {
        Some(start) if more => Some(start + rows.len() as u64),
        _ => None,
    };
    Reply {
        result: Json::Array(rows),
        total: start.and(total),
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A zone already read (no database behind it).
    fn zone(name: &str) -> FirmZone<'static> {
        struct NoDb;
        impl crate::db::Db for NoDb {
            fn query(&self, _: &str, _: &[crate::db::Value]) -> Result<crate::db::Rows, crate::db::DbError> {
                unreachable!("the zone is set")
            }
            fn nesting(&self) -> &crate::db::Nesting {
                unreachable!("the zone is set")
            }
        }
        static NO_DB: NoDb = NoDb;
        let firm = FirmZone::new(&NO_DB);
        let _ = firm.zone.set(crate::tz::get(name).expect("a zone"));
        firm
    }

    #[test]
    fn times_come_in_every_way_clients_write_them_and_go_out_with_the_firms_offset() {
        let moscow = zone("Europe/Moscow");
        let at = 1_795_335_600; // 2026-11-22T08:20:00Z
        for text in [
            "2026-11-22T11:20:00+03:00",
            "2026-11-22T08:20:00Z",
            "2026-11-22T13:20:00+0500",
            "2026-11-22T03:20:00.5-05",
            "2026-11-22t08:20:00z",
            "2026-11-22T11:20:00",
            "2026-11-22 11:20:00",
            "2026-11-22 11:20",
            "2026-11-22T11:20:00.250",
            "22.11.2026 11:20:00",
        ] {
            assert_eq!(moscow.parse_datetime(text), Some(at), "{text}");
        }
        assert_eq!(
            moscow.parse_datetime("2026-11-22"),
            Some(at - 11 * 3600 - 20 * 60),
            "a date is its local midnight"
        );
        for junk in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-22T25:00",
            "22.11",
            "2026-11-22T10:00+3",
            "2026-11-22T10:00 pm",
        ] {
            assert_eq!(moscow.parse_datetime(junk), None, "{junk}");
        }
        assert_eq!(moscow.datetime_text(at).as_deref(), Some("2026-11-22T11:20:00+03:00"));
        assert_eq!(
            moscow.date_text("2026-11-22").as_deref(),
            Some("2026-11-22T00:00:00+03:00")
        );
        assert_eq!(
            moscow.parse_date("2026-11-22T23:30:00-05:00").as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(moscow.parse_date("01.02.2026").as_deref(), Some("2026-02-01"));
    }

    #[test]
    fn lists_come_as_arrays_or_numbered_objects() {
        assert_eq!(list_of(&json!(["a", "b"])), vec![&json!("a"), &json!("b")]);
        assert_eq!(
            list_of(&json!({"1": "b", "0": "a", "10": "c"})),
            vec![&json!("a"), &json!("b"), &json!("c")]
        );
        assert_eq!(list_of(&json!("a")), vec![&json!("a")]);
        assert!(list_of(&json!(null)).is_empty());
        assert_eq!(decimal_text_of(&json!(4900)).as_deref(), Some("4900"));
        assert_eq!(decimal_text_of(&json!("1500.50|RUB")).as_deref(), Some("1500.50"));
        assert_eq!(integer_of(&json!(" 0 ")), Some(0));
    }
}
