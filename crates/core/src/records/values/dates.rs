//! Calendar dates (`YYYY-MM-DD`) and RFC 3339 times (to unix seconds, UTC), with the
//! days-from-civil arithmetic they need, and IANA time-zone names. Formatting back is
//! [`crate::clock::rfc3339`].
//!
//! Time zones come from the tz database packed into the build ([`crate::tz`]: a component has
//! no `/usr/share/zoneinfo`), so a user's `time_zone` is a zone that exists and reports can bucket
//! by local day with daylight saving right. The strict date and RFC 3339 parsing stays ours: it
//! is a few lines of days-from-civil arithmetic, refuses exactly what API.md refuses (a space
//! for `T`, a missing offset, a year outside 1000..=9999), and keeps UTC instants as the plain
//! unix seconds SQLite sorts and compares.

use super::Invalid;

/// Parses a calendar date: exactly `YYYY-MM-DD`, a real date, year 1000..=9999. Returns the
/// same text. Error: `invalid_date`.
pub fn parse_date(text: &str) -> Result<String, Invalid> {
    civil(text)
        .map(|_| text.to_string())
        .ok_or_else(|| Invalid::new("invalid_date", "expected a date YYYY-MM-DD"))
}

/// Parses an RFC 3339 time (`2026-11-22T08:30:00Z`, `2026-11-22T08:30:00.123+03:00`; `t` and `z`
/// in any case; fractional seconds truncated) or a bare date (midnight UTC) into unix seconds.
/// Error: `invalid_datetime`.
pub fn parse_datetime(text: &str) -> Result<i64, Invalid> {
    datetime(text).ok_or_else(|| {
        Invalid::new(
            "invalid_datetime",
            "expected an RFC 3339 time, e.g. 2026-11-22T08:30:00Z",
        )
    })
}

/// Parses an IANA time-zone name known to the bundled tz database (`Europe/Moscow`, `UTC`,
/// `America/Argentina/Buenos_Aires`). Returns the name as given. Error: `invalid_time_zone`.
pub fn parse_time_zone(text: &str) -> Result<String, Invalid> {
    let known = !text.is_empty() && text.len() <= 64 && crate::tz::is_known(text);
    if known {
        Ok(text.to_string())
    } else {
        Err(Invalid::new(
            "invalid_time_zone",
            "expected an IANA time zone such as Europe/Moscow",
        ))
    }
}

fn datetime(text: &str) -> Option<i64> {
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let days = civil(date).map(|(y, m, d)| days_from_civil(y, m, d))?;
    if rest.is_empty() {
        return Some(days * 86_400);
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let (hour, minute, second) = (
        number(rest.get(0..2)?)?,
        number(rest.get(3..5)?)?,
        number(rest.get(6..8)?)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut zone = &rest[8..];
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &fraction[digits..];
    }
    let offset = offset_seconds(zone)?;
    // A leap second (:60) counts as the last second of its minute.
    Some(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
}

/// `Z`/`z` -> 0, `+HH:MM` / `-HH:MM` -> the offset east of UTC in seconds.
fn offset_seconds(zone: &str) -> Option<i64> {
    if zone == "Z" || zone == "z" {
        return Some(0);
    }
    let sign = match zone.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (hours, minutes) = (number(zone.get(1..3)?)?, number(zone.get(4..6)?)?);
    (zone.len() == 6 && zone.get(3..4)? == ":" && hours <= 23 && minutes <= 59)
        .then(|| sign * (hours * 3600 + minutes * 60))
}

/// `YYYY-MM-DD` to (year, month, day) if it is exactly that and a real date in years 1000..=9999.
fn civil(text: &str) -> Option<(i64, i64, i64)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(&text[0..4])?, number(&text[5..7])?, number(&text[8..10])?);
    let valid =
        (1000..=9999).contains(&year) && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
    valid.then_some((year, month, day))
}

/// An all-ASCII-digit string as a number (no sign, no spaces).
fn number(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm); the
/// inverse of the private `civil_from_days` in [`crate::clock`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::rfc3339;

    #[test]
    fn time_zones_are_the_tz_databases_names() {
        for zone in [
            "UTC",
            "Europe/Moscow",
            "Asia/Yekaterinburg",
            "America/Argentina/Buenos_Aires",
        ] {
            assert_eq!(parse_time_zone(zone).as_deref(), Ok(zone));
        }
        for zone in ["", "Moscow time", "Europe/Nowhere", "+03:00", &"A/".repeat(40)] {
            assert_eq!(
                parse_time_zone(zone).map_err(|e| e.code),
                Err("invalid_time_zone"),
                "{zone}"
            );
        }
    }

    #[test]
    fn parses_dates() {
        let good = [
            ("2026-11-22", "ordinary"),
            ("2024-02-29", "leap day"),
            ("2000-02-29", "leap day of a 400-year"),
            ("1000-01-01", "first year"),
            ("9999-12-31", "last day"),
            ("2026-04-30", "30-day month end"),
        ];
        for (text, why) in good {
            assert_eq!(parse_date(text).as_deref(), Ok(text), "{why}");
        }
        let bad = [
            ("2023-02-29", "not a leap year"),
            ("1900-02-29", "century not a leap year"),
            ("2026-04-31", "april 31"),
            ("2026-13-01", "month 13"),
            ("2026-00-10", "month 0"),
            ("2026-01-00", "day 0"),
            ("0999-12-31", "year below 1000"),
            ("2026-1-05", "short month"),
            ("26-01-05", "short year"),
            ("2026/01/05", "slashes"),
            (" 2026-01-05", "leading space"),
            ("2026-01-05T00:00:00Z", "a time"),
            ("2026-+1-05", "sign in month"),
            ("", "empty"),
            ("2026-01-0५", "non-ascii digit"),
        ];
        for (text, why) in bad {
            let err = parse_date(text).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), ("invalid_date", ""), "{why}");
        }
    }

    #[test]
    fn parses_datetimes() {
        let cases = [
            ("2026-11-22T08:30:00Z", 1_795_336_200, "utc"),
            ("2026-11-22t08:30:00z", 1_795_336_200, "lowercase t and z"),
            (
                "2026-11-22T11:30:00.123+03:00",
                1_795_336_200,
                "fraction and positive offset",
            ),
            (
                "2026-11-22T03:00:00.999999-05:30",
                1_795_336_200,
                "negative half-hour offset",
            ),
            ("2026-11-22", 1_795_305_600, "bare date is midnight utc"),
            ("1970-01-01T00:00:00Z", 0, "epoch"),
            ("1969-12-31T23:59:59Z", -1, "before the epoch"),
            ("2000-02-29T00:00:00Z", 951_782_400, "leap day"),
            ("2016-12-31T23:59:60Z", 1_483_228_799, "leap second"),
        ];
        for (text, secs, why) in cases {
            assert_eq!(parse_datetime(text), Ok(secs), "{why}: {text}");
        }
    }

    #[test]
    fn rejects_datetimes() {
        let cases = [
            ("2026-11-22T08:30:00", "no offset"),
            ("2026-11-22T08:30Z", "no seconds"),
            ("2026-11-22 08:30:00Z", "space separator"),
            ("2026-11-22T24:00:00Z", "hour 24"),
            ("2026-11-22T08:60:00Z", "minute 60"),
            ("2026-11-22T08:30:61Z", "second 61"),
            ("2026-11-22T08:30:00.Z", "empty fraction"),
            ("2026-11-22T08:30:00+3:00", "short offset"),
            ("2026-11-22T08:30:00+03:00:00", "long offset"),
            ("2026-11-22T08:30:00+24:00", "offset hour 24"),
            ("2026-02-30T08:30:00Z", "february 30"),
            ("2026-11-22T08:30:00ZZ", "trailing text"),
            ("22.11.2026", "dotted date"),
            ("", "empty"),
            ("1795336200", "unix seconds"),
        ];
        for (text, why) in cases {
            let err = parse_datetime(text).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), ("invalid_datetime", ""), "{why}: {text}");
        }
    }

    #[test]
    fn round_trips_through_clock_formatting() {
        let dates = [
            "1000-01-01",
            "1600-02-29",
            "1969-12-31",
            "1970-01-01",
            "2024-02-29",
            "2100-03-01",
            "9999-12-31",
        ];
        for date in dates {
            let secs = parse_datetime(date).unwrap_or_else(|e| panic!("{date}: {e}"));
            assert_eq!(rfc3339(secs), format!("{date}T00:00:00Z"), "date {date}");
        }
        for secs in [-86_401, -1, 0, 59, 951_782_400, 1_795_336_200, 4_102_444_800] {
            assert_eq!(parse_datetime(&rfc3339(secs)), Ok(secs), "secs {secs}");
        }
    }
}
