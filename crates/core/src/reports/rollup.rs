//! Kept monthly sums that answer a report instead of its rows. A rollup table (sql/0027's
//! `deal_product_months`) holds, per UTC month of a time field and a few keys, the count and
//! the split sums of some measures, kept by triggers. A report that asks only what the table
//! keeps — its groups, counts and sums of its measures, filters on its keys, a period on its
//! time field, for a caller with no ACL condition — reads the period's whole UTC months from the
//! table and its partial edge months from the rows, as two parts of one statement
//! ([`super::compile`] joins them), so the result is exact in any firm time zone and equals the
//! query over the rows alone.

use super::definition::{Definition, Func};
use super::fields::{Field, Kind};
use super::period::Range;
use crate::db::Db;
use crate::error::CoreError;

/// A kept table and what it can answer.
#[derive(Debug)]
pub struct Rollup {
    /// The report entity it serves.
    pub entity: &'static str,
    /// The table, read as alias `t`, so a filter's SQL on `t.<key>` reads it unchanged.
    pub table: &'static str,
    /// The report field whose UTC month the `month` column keeps (its first second).
    pub period: &'static str,
    /// The groups it keeps: report field name and the group's value from `t`.
    pub groups: &'static [(&'static str, &'static str)],
    /// The summed measures it keeps: report field name and the column prefix of its parts
    /// (`<prefix>_hi`, `<prefix>_lo`; the count of values is `n`).
    pub sums: &'static [(&'static str, &'static str)],
    /// The filter fields it can answer: their conditions read only `t.stage`, a key column.
    pub filters: &'static [&'static str],
}

/// The rollups, tried in order.
pub const ROLLUPS: &[Rollup] = &[Rollup {
    entity: "line_items",
    table: "deal_product_months",
    period: "deal.closed_at",
    groups: &[("product_id", "NULLIF(t.product_id, 0)")],
    sums: &[("quantity", "quantity"), ("income", "income")],
    filters: &["deal.stage", "deal.stage_semantic"],
}];

/// A rollup chosen for a run: the table and the whole UTC months `[from, to)` it answers.
#[derive(Debug)]
pub struct Chosen {
    /// The rollup.
    pub rollup: &'static Rollup,
    /// The first second of the first whole month.
    pub from: i64,
    /// The first second after the last whole month.
    pub to: i64,
}

/// The rollup that answers `def` over `range` (a period on `period`), if any: only for a caller
/// with no ACL condition (`reads_all`) and no run-time list filter.
pub fn choose(
    def: &Definition,
    period: Option<&(Field, Range)>,
    reads_all: bool,
    list_filtered: bool,
) -> Option<Chosen> {
    let (field, range) = period?;
    if !reads_all || list_filtered {
        return None;
    }
    let rollup = ROLLUPS.iter().find(|r| r.entity == def.source.entity)?;
    let answers = field.name == rollup.period
        && def.filter.keys().all(|k| rollup.filters.contains(&k.as_str()))
        && def
            .groups
            .iter()
            .all(|g| g.bucket.is_none() && rollup.groups.iter().any(|(name, _)| *name == g.field.name))
        && def.measures.iter().all(|m| match m.func {
            Func::Count => true,
            Func::Sum | Func::Avg => m
                .field
                .as_ref()
                .is_some_and(|f| rollup.sums.iter().any(|(name, _)| *name == f.name)),
            Func::Min | Func::Max | Func::Share => false,
        });
    if !answers {
        return None;
    }
    let from = month_ceil(range.start?);
    let to = month_floor(range.end?);
    (from < to).then_some(Chosen { rollup, from, to })
}

impl Chosen {
    /// The SQL reading the whole months: the select list `groups`, `c0` and the measure parts
    /// as [`super::compile`] names them, with `filters` (SQL on `t.<key>`) ANDed.
    pub fn select(&self, def: &Definition, filters: &str) -> String {
        let mut select = Vec::new();
        let mut group_by = Vec::new();
        for (i, group) in def.groups.iter().enumerate() {
            let (_, expr) = self
                .rollup
                .groups
                .iter()
                .find(|(name, _)| *name == group.field.name)
                .expect("choose checked the groups");
            select.push(format!("{expr} AS g{i}"));
            group_by.push(format!("g{i}"));
        }
        if has_money(def) {
            select.push("t.currency AS c0".into());
            group_by.push("c0".into());
        }
        select.push("SUM(t.n) AS n".into());
        for (i, measure) in def.measures.iter().enumerate() {
            if let Some(field) = &measure.field {
                let (_, prefix) = self
                    .rollup
                    .sums
                    .iter()
                    .find(|(name, _)| *name == field.name)
                    .expect("choose checked the measures");
                select.push(format!(
                    "SUM(t.{prefix}_hi) AS m{i}h, SUM(t.{prefix}_lo) AS m{i}l, SUM(t.n) AS m{i}n"
                ));
            }
        }
        format!(
            "SELECT {} FROM {} t WHERE ({filters}) AND t.month >= ? AND t.month < ?{}",
            select.join(", "),
            self.rollup.table,
            if group_by.is_empty() {
                String::new()
            } else {
                format!(" GROUP BY {}", group_by.join(", "))
            }
        )
    }

    /// The outer sums over both parts, by the same names.
    pub fn combine(def: &Definition, parts: &str) -> String {
        let mut keys: Vec<String> = (0..def.groups.len()).map(|i| format!("g{i}")).collect();
        if has_money(def) {
            keys.push("c0".into());
        }
        let mut select = keys.clone();
        select.push("SUM(n) AS n".into());
        for (i, measure) in def.measures.iter().enumerate() {
            if measure.field.is_some() {
                select.push(format!("SUM(m{i}h) AS m{i}h, SUM(m{i}l) AS m{i}l, SUM(m{i}n) AS m{i}n"));
            }
        }
        format!(
            "SELECT {} FROM ({parts}){}",
            select.join(", "),
            if keys.is_empty() {
                String::new()
            } else {
                format!(" GROUP BY {}", keys.join(", "))
            }
        )
    }
}

/// The keys of `deal_product_months` rows that differ from the same sums recomputed from the
/// line items (sql/0027's view): empty when the kept sums are exact. The tests and
/// `cargo xtask bench reports` check it.
pub fn product_months_differences(db: &dyn Db) -> Result<Vec<String>, CoreError> {
    let recomputed = "SELECT stage, month, currency, product_id, COUNT(*) AS n, SUM(quantity_hi) AS qh, \
        SUM(quantity_lo) AS ql, SUM(income_hi) AS ih, SUM(income_lo) AS il \
        FROM deal_product_month_items GROUP BY 1, 2, 3, 4";
    let kept = "SELECT stage, month, currency, product_id, n, quantity_hi AS qh, quantity_lo AS ql, \
        income_hi AS ih, income_lo AS il FROM deal_product_months";
    let rows = db.query(
        &format!("SELECT * FROM ({recomputed} EXCEPT {kept}) UNION ALL SELECT * FROM ({kept} EXCEPT {recomputed})"),
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.str("stage").unwrap_or_default(),
                r.i64("month").unwrap_or_default(),
                r.str("currency").unwrap_or_default(),
                r.i64("product_id").unwrap_or_default()
            )
        })
        .collect())
}

/// Whether a measure is money, so both parts group by the currency as `c0` (a rollup keeps one
/// currency column: the deal's).
fn has_money(def: &Definition) -> bool {
    def.measures
        .iter()
        .any(|m| m.field.as_ref().is_some_and(|f| matches!(f.kind, Kind::Money(..))))
}

/// The first second of the UTC month that starts at or after `t`.
fn month_ceil(t: i64) -> i64 {
    let floor = month_floor(t);
    if floor == t { t } else { next_month(floor) }
}

/// The first second of `t`'s UTC month.
fn month_floor(t: i64) -> i64 {
    month_start(utc_date(t).first_of_month()).unwrap_or(t)
}

/// The first second of the UTC month after the one starting at `month_start`.
fn next_month(first: i64) -> i64 {
    utc_date(first)
        .checked_add(jiff::Span::new().months(1))
        .ok()
        .and_then(month_start)
        .unwrap_or(i64::MAX)
}

fn utc_date(t: i64) -> jiff::civil::Date {
    jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::MAX)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn month_start(date: jiff::civil::Date) -> Option<i64> {
    date.first_of_month()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_round_to_utc_month_starts() {
        let nov_30_2025 = 1_764_460_800;
        let dec_1_2025 = 1_764_547_200;
        assert_eq!(month_ceil(nov_30_2025), dec_1_2025);
        assert_eq!(month_ceil(dec_1_2025), dec_1_2025);
        assert_eq!(month_floor(nov_30_2025), 1_761_955_200, "2025-11-01");
        assert_eq!(next_month(1_764_547_200), 1_767_225_600, "2026-01-01 after December");
    }
}
