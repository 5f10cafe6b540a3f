//! Reports (issue 17): a report definition is data (entity, filters in the list language, a
//! period, up to two groups, measures, sort, limit, chart), validated with every bad part named
//! and compiled to ONE SQL query with bound values and the caller's list ACL condition; money
//! is summed per currency in SQL and converted to the base currency exactly in Rust.
//!
//! - [`definition`]: the definition read from JSON and checked (422 naming each bad part).
//! - [`fields`]: per entity, what can be filtered, grouped and measured.
//! - [`period`]: inclusive dates in the firm's time zone -> unix-second ranges.
//! - [`buckets`]: day/week/month/quarter/year buckets in the firm's zone, DST exact.
//! - [`compile`]: definition + caller -> one query; [`run`]: the chart-ready Result.
//! - [`saved`]: the `reports` table (private, shared, system); [`standard`]: the eight
//!   standard reports as definitions; [`export`]: CSV and XLSX.
//! - [`funnel`]: the deals and leads funnels (stage history).
//! - [`rollup`]: kept monthly sums that answer a report instead of its rows (product income).

pub mod buckets;
pub mod compile;
pub mod definition;
pub mod export;
pub mod fields;
pub mod funnel;
pub mod period;
pub mod rollup;
pub mod run;
pub mod saved;
pub mod standard;

pub use compile::Overrides;
pub use definition::{Definition, check};
pub use fields::describe as fields;

/// A share or average as answers give it: rounded to four places.
pub(crate) fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
