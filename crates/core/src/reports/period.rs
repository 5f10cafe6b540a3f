//! Report periods: inclusive calendar dates in the firm's time zone (`app_settings.time_zone`,
//! UTC when unset) turned into a half-open range of unix seconds, `[start, end)`, from the
//! first instant of `from` to the first instant of the day after `to` (daylight saving
//! included: the zone's own midnights, through `jiff` and its bundled tz database).
//!
//! A date is `YYYY-MM-DD` or relative to the firm's today: `today`, `today-30d`, `today+7d`
//! (days only). A rolling period is `last: "30d"` (today and the 29 days before) or
//! `last: "12m"` (this month and the 11 before, up to today).

use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::db::Db;
use crate::error::{CoreError, FieldErrors};

/// A period: inclusive dates and the unix-second range they cover in the firm's zone. A side
/// left open is `None` (no bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The first day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// The last day (inclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// The first instant of `from`, unix seconds.
    pub start: Option<i64>,
    /// The first instant of the day after `to`, unix seconds (exclusive).
    pub end: Option<i64>,
}

/// The firm's time zone (`app_settings.time_zone`), UTC when unset or no longer known.
pub fn firm_zone(db: &dyn Db) -> Result<TimeZone, CoreError> {
    let rows = db.query("SELECT value FROM app_settings WHERE key = 'time_zone'", &[])?;
    Ok(crate::tz::get_or_utc(rows.first_str().unwrap_or("UTC")))
}

/// Today's date in `zone`.
pub fn today(zone: &TimeZone) -> Date {
    jiff::Timestamp::now().to_zoned(zone.clone()).date()
}

/// The first instant of `date` in `zone`, unix seconds (a day starting in a DST gap starts at
/// the gap's end).
pub fn day_start(zone: &TimeZone, date: Date) -> Result<i64, CoreError> {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| CoreError::Internal(format!("the start of {date} in the firm's zone: {e}")))
}

/// A date as reports take it: `YYYY-MM-DD`, `today`, `today-30d`, `today+7d`, relative to
/// `today`. `Err` is the message to show.
pub fn parse_date(text: &str, today: Date) -> Result<Date, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("today") {
        if rest.is_empty() {
            return Ok(today);
        }
        let (sign, digits) = match rest.split_at(1) {
            ("-", d) => (-1, d),
            ("+", d) => (1, d),
            _ => return Err(bad_date(text)),
        };
        let days: i64 = digits
            .strip_suffix('d')
            .filter(|d| !d.is_empty() && d.len() <= 5 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad_date(text))?;
        return today.checked_add((sign * days).days()).map_err(|_| bad_date(text));
    }
    crate::records::values::parse_date(text).map_err(|_| bad_date(text))?;
    text.parse::<Date>().map_err(|_| bad_date(text))
}

fn bad_date(text: &str) -> String {
    format!("expected a date YYYY-MM-DD, today, today-30d or today+7d, not {text:?}")
}

/// The period from `from` to `to` (either may be absent) in the firm's zone; a bad date or an
/// inverted period is a 422 naming `from` / `to`.
pub fn bounds(db: &dyn Db, from: Option<&str>, to: Option<&str>) -> Result<Range, CoreError> {
    bounds_in(&firm_zone(db)?, from, to, ("from", "to"))
}

/// [`bounds`] in `zone`, the errors named `fields.0` / `fields.1` (`period.from`...).
pub fn bounds_in(
    zone: &TimeZone,
    from: Option<&str>,
    to: Option<&str>,
    fields: (&str, &str),
) -> Result<Range, CoreError> {
    let today = today(zone);
    let mut errors = FieldErrors::new();
    let mut parse = |text: Option<&str>, field: &str| match text.map(|t| parse_date(t, today)) {
        Some(Ok(date)) => Some(date),
        Some(Err(message)) => {
            errors.push(field, "invalid_date", message);
            None
        }
        None => None,
    };
    let (first, last) = (parse(from, fields.0), parse(to, fields.1));
    if let (Some(first), Some(last)) = (first, last)
        && first > last
    {
        errors.push(fields.1, "inverted_period", format!("{last} is before {first}"));
    }
    errors.into_result()?;
    range(zone, first, last)
}

/// The rolling period `last` (`30d`: today and the 29 days before; `12m`: this month and the 11
/// before, up to today; 1..=3660 days or 1..=120 months); a bad one is a 422 naming `field`.
pub fn last(zone: &TimeZone, spec: &str, field: &str) -> Result<Range, CoreError> {
    let today = today(zone);
    let bad = || {
        let mut errors = FieldErrors::new();
        errors.push(
            field,
            "invalid_period",
            format!("expected a number of days or months such as 30d or 12m, not {spec:?}"),
        );
        CoreError::Validation(errors)
    };
    let (digits, unit) = spec.split_at(spec.len().saturating_sub(1));
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(bad)?;
    let first = match unit {
        "d" if (1..=3660).contains(&n) => today.checked_sub((n - 1).days()),
        "m" if (1..=120).contains(&n) => today.first_of_month().checked_sub((n - 1).months()),
        _ => return Err(bad()),
    }
    .map_err(|_| bad())?;
    range(zone, Some(first), Some(today))
}

/// The range of dates `first..=last` in `zone`.
pub fn range(zone: &TimeZone, first: Option<Date>, last: Option<Date>) -> Result<Range, CoreError> {
    let start = first.map(|d| day_start(zone, d)).transpose()?;
    let end = last
        .map(|d| {
            let next = d
                .tomorrow()
                .map_err(|e| CoreError::Internal(format!("the day after {d}: {e}")))?;
            day_start(zone, next)
        })
        .transpose()?;
    Ok(Range {
        from: first.map(|d| d.to_string()),
        to: last.map(|d| d.to_string()),
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn relative_dates_count_days_from_today() {
        let today = date("2026-03-01");
        assert_eq!(parse_date("today", today), Ok(today));
        assert_eq!(parse_date("today-30d", today), Ok(date("2026-01-30")));
        assert_eq!(parse_date("today+7d", today), Ok(date("2026-03-08")));
        assert_eq!(parse_date("2024-02-29", today), Ok(date("2024-02-29")));
        for bad in [
            "today-",
            "today-3w",
            "today*3d",
            "2023-02-29",
            "",
            "tomorrow",
            "today-d",
        ] {
            assert!(parse_date(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_covers_the_zones_own_days_across_daylight_saving() {
        let york = crate::tz::get_or_utc("America/New_York");
        // 2026-03-08 is 23 hours long in New York (clocks go forward at 02:00).
        let r = range(&york, Some(date("2026-03-08")), Some(date("2026-03-08"))).expect("a range");
        assert_eq!(r.end.unwrap() - r.start.unwrap(), 23 * 3600);
        assert_eq!(r.start, Some(1_772_946_000)); // 2026-03-08T05:00:00Z
        let moscow = crate::tz::get_or_utc("Europe/Moscow");
        let r = range(&moscow, Some(date("2026-01-01")), Some(date("2026-12-31"))).expect("a range");
        assert_eq!(r.start, Some(1_767_214_800)); // 2025-12-31T21:00:00Z
        assert_eq!(r.end.unwrap() - r.start.unwrap(), 365 * 86_400);
    }

    #[test]
    fn bad_and_inverted_periods_name_their_side() {
        let utc = TimeZone::UTC;
        let Err(CoreError::Validation(errors)) =
            bounds_in(&utc, Some("2026-02-01"), Some("2026-01-01"), ("from", "to"))
        else {
            panic!("an inverted period is refused");
        };
        assert_eq!(errors.0[0].field, "to");
        assert_eq!(errors.0[0].code, "inverted_period");
        let Err(CoreError::Validation(errors)) = bounds_in(&utc, Some("x"), None, ("period.from", "period.to")) else {
            panic!("a bad date is refused");
        };
        assert_eq!(errors.0[0].field, "period.from");
        let open = bounds_in(&utc, None, Some("1970-01-01"), ("from", "to")).expect("an open start");
        assert_eq!((open.start, open.end), (None, Some(86_400)));
    }

    #[test]
    fn rolling_periods_end_today() {
        let utc = TimeZone::UTC;
        let today = today(&utc);
        let days = last(&utc, "30d", "period.last").expect("30 days");
        assert_eq!(days.to, Some(today.to_string()));
        assert_eq!(days.end.unwrap() - days.start.unwrap(), 30 * 86_400);
        let months = last(&utc, "12m", "period.last").expect("12 months");
        assert!(months.from.as_deref().unwrap().ends_with("-01"));
        for bad in ["0d", "30", "d", "12y", "-3d", "9999m"] {
            assert!(
                matches!(last(&utc, bad, "period.last"), Err(CoreError::Validation(e)) if e.0[0].field == "period.last"),
                "{bad}"
            );
        }
    }
}
