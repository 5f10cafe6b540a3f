//! Reports (issue 17): a report definition is data (entity, filters in the list language, a
//! period, up to two groups, measures, sort, limit, chart), validated with every bad part named
//! and compiled to ONE SQL query with bound values and the caller's list ACL condition; money
//! is summed per currency in SQL and converted to the base currency exactly in Rust.
//!
//! - [`period`]: inclusive dates in the firm's time zone -> unix-second ranges.
//! - [`funnel`]: the deals and leads funnels (stage history).

pub mod funnel;
pub mod period;
