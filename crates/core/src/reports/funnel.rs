//! The deals funnel (`GET /api/reports/funnel`, system report `funnel`) and the leads funnel
//! (`GET /api/reports/leads-funnel`, system report `leads_funnel`), over the records created
//! in a period (the firm's time zone; the current year by default) that the caller may read.
//!
//! A funnel is not a grouping of the current rows: a deal now lost or won has passed stages it
//! is no longer in. So each record's furthest point is read from its history (for deals
//! `deal_stage_history`, for leads the status changes of the `updated` timeline entries, as
//! leads keep no status history of their own) and the stages' `reached` counts are cumulative:
//! a record that got to stage k (or to the won/converted end) counts for every stage up to k,
//! so a deal that jumped ahead has passed the stages it skipped, and one moved back keeps the
//! furthest stage it ever reached. One SQL statement per funnel groups the records by
//! (furthest rank, current stage, ...) and currency; the few rows it returns are accumulated
//! here, money summed in two parts and converted once per currency (`records::money`).

mod deals;
mod leads;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::db::Db;
use crate::error::CoreError;
use crate::records::dictionaries::{self, Rate};
use crate::records::money;
use crate::records::values::format_wide_decimal;

pub use deals::{deals, deals_recomputed};
pub use leads::leads;

/// What a funnel is asked for: the pipeline (deals only; the default one when `None`) and the
/// period's first and last day (`YYYY-MM-DD`, inclusive, in the firm's time zone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelParams {
    /// The pipeline (deals funnel only); the default pipeline when `None`.
    pub pipeline_id: Option<i64>,
    /// The first day, `YYYY-MM-DD`; the 1st of January of the current year when `None`.
    pub from: Option<String>,
    /// The last day (inclusive), `YYYY-MM-DD`; the 31st of December of `from`'s year when `None`.
    pub to: Option<String>,
    /// The language to name stages and statuses in (`en`, `ru`); the caller's setting when `None`.
    pub language: Option<String>,
    /// The Result's `report` head when the caller has loaded the system report already
    /// (`saved::run_report`); read by its code when `None`.
    pub head: Option<serde_json::Value>,
}

/// A period as the answer names it and as unix-second bounds `[start, end)`.
pub(super) struct Period {
    from: String,
    to: String,
    start: i64,
    end: i64,
    time_zone: TimeZone,
}

impl Period {
    /// The period's dates as the answer's `period`.
    fn json(&self) -> serde_json::Value {
        serde_json::json!({"from": self.from, "to": self.to})
    }

    /// `filter[created_at][gte]=...&filter[created_at][lt]=...` for a drill-down list: the
    /// local midnights as RFC 3339 with their offset, encoded for a query string.
    fn drill(&self) -> String {
        let at = |unix: i64| {
            jiff::Timestamp::from_second(unix)
                .map(|t| {
                    t.to_zoned(self.time_zone.clone())
                        .strftime("%Y-%m-%dT%H:%M:%S%:z")
                        .to_string()
                })
                .unwrap_or_default()
                .replace('+', "%2B")
        };
        format!(
            "filter[created_at][gte]={}&filter[created_at][lt]={}",
            at(self.start),
            at(self.end)
        )
    }
}

/// The period of `params` (dates as `reports::period` reads them: `YYYY-MM-DD` or relative to
/// today); a missing `from` is the 1st of January of `to`'s year (else the current one), a
/// missing `to` the 31st of December of `from`'s. A bad date or an inverted period is a 422
/// naming `from`/`to`.
fn period(db: &dyn Db, params: &FunnelParams) -> Result<Period, CoreError> {
    let zone = super::period::firm_zone(db)?;
    let given = super::period::bounds_in(&zone, params.from.as_deref(), params.to.as_deref(), ("from", "to"))?;
    let date = |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<Date>().ok());
    let (first, last) = (date(&given.from), date(&given.to));
    let year = last.map_or_else(|| super::period::today(&zone).year(), |d| d.year());
    let first = first.unwrap_or_else(|| Date::constant(year, 1, 1));
    let last = last.unwrap_or_else(|| Date::constant(first.year(), 12, 31));
    let range = super::period::range(&zone, Some(first), Some(last))?;
    Ok(Period {
        from: first.to_string(),
        to: last.to_string(),
        start: range.start.unwrap_or_default(),
        end: range.end.unwrap_or_default(),
        time_zone: zone,
    })
}

/// The Result's `report` head: the one `params` brings, else the system report `code`'s id
/// (sql/0020) with `name` (its kind is its code).
fn report_head(db: &dyn Db, params: &FunnelParams, code: &str, name: &str) -> Result<serde_json::Value, CoreError> {
    if let Some(head) = &params.head {
        return Ok(head.clone());
    }
    let id = db
        .query("SELECT id FROM reports WHERE code = ?", &[code.into()])?
        .first_i64();
    Ok(serde_json::json!({"id": id, "code": code, "name": name, "kind": code, "chart": "funnel"}))
}

/// `n / of`, rounded to four places; `None` when `of` is 0.
fn ratio(n: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| super::round4(n as f64 / of as f64))
}

/// Money summed per currency (each sum exact in `i128`), converted to the base currency once
/// per currency at the stored rates when read.
#[derive(Debug, Clone, Default)]
struct Sums(Vec<(String, i128)>);

impl Sums {
    fn add(&mut self, currency: &str, amount: i128) {
        match self.0.iter_mut().find(|(c, _)| c == currency) {
            Some((_, sum)) => *sum += amount,
            None => self.0.push((currency.to_string(), amount)),
        }
    }

    /// The total in the base currency's minor units, as a decimal string with 2 places.
    fn in_base(&self, rates: &std::collections::HashMap<String, Rate>) -> Result<String, CoreError> {
        let mut total: i128 = 0;
        for (currency, sum) in &self.0 {
            let rate = rates.get(currency).copied().unwrap_or(Rate::ONE);
            let converted = money::to_base(*sum, rate)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| CoreError::Internal("a funnel amount does not fit i128".into()))?;
            total = converted;
        }
        Ok(format_wide_decimal(total, 2))
    }
}

/// The stored rates and the base currency's code.
fn currency(db: &dyn Db) -> Result<(std::collections::HashMap<String, Rate>, String), CoreError> {
    Ok((dictionaries::currency_rates(db)?, dictionaries::base_currency(db)?))
}
