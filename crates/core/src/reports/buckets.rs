//! Date buckets (day, ISO week from Monday, month, quarter, year) in the firm's time zone.
//!
//! A time column holds unix seconds (UTC). Its local date is `at + offset(at)`, and the offset
//! changes at the zone's transitions (daylight saving, law changes), so the SQL is exact: the
//! zone's transitions over the period are computed with `jiff` and its bundled tz database, and
//! the column is shifted by `at + CASE WHEN at >= ? THEN ... ELSE ... END`, nested as a binary
//! search over the transitions, before SQLite's `date`/`strftime` take its calendar date. A date-only column (`close_date`,
//! `YYYY-MM-DD` text) has no zone and buckets directly. A bucket's value is its first day.

use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::db::Value;
use crate::error::CoreError;

/// When no period bounds the transitions: from 1970 to this many seconds past now.
const FUTURE: i64 = 20 * 366 * 86_400;

/// `expr` (unix seconds) shifted to the local time of `zone`, exact for instants within
/// `[start, end)` (either side open: from 1970, to 20 years ahead), with its parameters.
pub fn local_time(expr: &str, zone: &TimeZone, start: Option<i64>, end: Option<i64>) -> (String, Vec<Value>) {
    let start = start.unwrap_or(0);
    let end = end.unwrap_or_else(|| crate::clock::now() + FUTURE);
    let first = jiff::Timestamp::from_second(start).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut steps: Vec<(i64, i64)> = vec![(start, i64::from(zone.to_offset(first).seconds()))];
    for transition in zone.following(first) {
        let at = transition.timestamp().as_second();
        if at >= end {
            break;
        }
        steps.push((at, i64::from(transition.offset().seconds())));
    }
    let mut params = Vec::new();
    let offset = offset_search(expr, &steps, &mut params);
    (format!("({expr} + {offset})"), params)
}

/// The offset of `expr` among `steps` (each the instant an offset starts, ascending; the first
/// holds from the start) as a binary search of nested `CASE`s: a few comparisons a row however
/// many transitions the period spans (a DST zone has two a year). Parameters go to `params`
/// in the order the SQL uses them.
fn offset_search(expr: &str, steps: &[(i64, i64)], params: &mut Vec<Value>) -> String {
    if let [(_, offset)] = steps {
        params.push((*offset).into());
        return "?".into();
    }
    let middle = steps.len() / 2;
    params.push(steps[middle].0.into());
    let later = offset_search(expr, &steps[middle..], params);
    let earlier = offset_search(expr, &steps[..middle], params);
    format!("CASE WHEN {expr} >= ? THEN {later} ELSE {earlier} END")
}

/// The SQL of `bucket` of a calendar-date expression given as SQLite time-value arguments
/// (`x, 'unixepoch'` or a `YYYY-MM-DD` column), with the arguments' parameters (repeated as
/// often as the SQL uses them).
fn of_date_args(bucket: &str, args: &str, params: &[Value]) -> (String, Vec<Value>) {
    let (sql, uses) = match bucket {
        "day" => (format!("date({args})"), 1),
        "week" => (format!("date({args}, 'weekday 0', '-6 days')"), 1),
        "month" => (format!("date({args}, 'start of month')"), 1),
        "quarter" => (
            format!(
                "printf('%s-%02d-01', strftime('%Y', {args}), (CAST(strftime('%m', {args}) AS INTEGER) - 1) / 3 * 3 + 1)"
            ),
            2,
        ),
        _ => (format!("date({args}, 'start of year')"), 1),
    };
    (sql, params.iter().cloned().cycle().take(params.len() * uses).collect())
}

/// The bucket's first day (`YYYY-MM-DD`) of a unix-seconds `expr` in `zone`, exact within
/// `[start, end)`.
pub fn of_time(
    bucket: &str,
    expr: &str,
    zone: &TimeZone,
    start: Option<i64>,
    end: Option<i64>,
) -> (String, Vec<Value>) {
    let (local, params) = local_time(expr, zone, start, end);
    of_date_args(bucket, &format!("{local}, 'unixepoch'"), &params)
}

/// The bucket's first day of a `YYYY-MM-DD` text `expr`.
pub fn of_date(bucket: &str, expr: &str) -> String {
    of_date_args(bucket, expr, &[]).0
}

/// The first day of the bucket after the one starting at `first`.
pub fn next(bucket: &str, first: Date) -> Result<Date, CoreError> {
    let span = match bucket {
        "day" => 1.day(),
        "week" => 7.days(),
        "month" => 1.month(),
        "quarter" => 3.months(),
        _ => 1.year(),
    };
    first
        .checked_add(span)
        .map_err(|e| CoreError::Internal(format!("the bucket after {first}: {e}")))
}

/// How a bucket starting at `first` is shown: `2026-03-01`, `2026-W09`, `2026-03`, `2026-Q1`,
/// `2026`.
pub fn label(bucket: &str, first: Date) -> String {
    match bucket {
        "day" => first.to_string(),
        "week" => {
            let week = first.iso_week_date();
            format!("{}-W{:02}", week.year(), week.week())
        }
        "month" => format!("{:04}-{:02}", first.year(), first.month()),
        "quarter" => format!("{:04}-Q{}", first.year(), (first.month() - 1) / 3 + 1),
        _ => format!("{:04}", first.year()),
    }
}

/// The bucket of a local calendar date, computed in Rust (what the SQL must agree with).
pub fn first_day(bucket: &str, date: Date) -> Date {
    match bucket {
        "day" => date,
        "week" => date
            .checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
            .unwrap_or(date),
        "month" => date.first_of_month(),
        "quarter" => Date::new(date.year(), (date.month() - 1) / 3 * 3 + 1, 1).unwrap_or(date),
        _ => Date::new(date.year(), 1, 1).unwrap_or(date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn buckets_start_on_their_first_day_and_are_labelled() {
        let d = date("2026-03-11"); // a Wednesday
        assert_eq!(first_day("week", d), date("2026-03-09"));
        assert_eq!(first_day("quarter", d), date("2026-01-01"));
        assert_eq!(label("week", date("2026-03-09")), "2026-W11");
        assert_eq!(label("week", date("2025-12-29")), "2026-W01");
        assert_eq!(label("quarter", date("2026-10-01")), "2026-Q4");
        assert_eq!(next("quarter", date("2026-10-01")).unwrap(), date("2027-01-01"));
    }

    /// How deeply `CASE`s nest in `sql`.
    fn depth(sql: &str) -> usize {
        let (mut depth, mut deepest) = (0_usize, 0);
        for word in sql.split_whitespace() {
            match word {
                "CASE" => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                "END" | "END)" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn the_offset_follows_the_zones_transitions_within_the_period() {
        let york = crate::tz::get("America/New_York").expect("zone");
        // 2026: DST from 03-08 07:00Z to 11-01 06:00Z.
        let (sql, params) = local_time("t.at", &york, Some(1_767_225_600), Some(1_798_761_600));
        assert_eq!(sql.matches("WHEN").count(), 2, "{sql}");
        // A search: from the spring change, the autumn one decides; before it, winter time.
        assert_eq!(
            params,
            vec![
                Value::from(1_772_953_200),
                Value::from(1_793_512_800),
                Value::from(-18_000),
                Value::from(-14_400),
                Value::from(-18_000),
            ]
        );
        // Fifty years of transitions take a handful of comparisons, not a hundred.
        let (sql, params) = local_time("t.at", &york, None, None);
        assert!(params.len() > 100, "{}", params.len());
        assert!(sql.matches("CASE").count() > 100 && depth(&sql) <= 8, "{sql}");
        let moscow = crate::tz::get("Europe/Moscow").expect("zone");
        let (sql, params) = local_time("t.at", &moscow, Some(1_767_225_600), Some(1_798_761_600));
        assert_eq!((sql.as_str(), params), ("(t.at + ?)", vec![Value::from(10_800)]));
    }
}
