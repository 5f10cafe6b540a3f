//! CRM records (leads, contacts, companies, later deals...): entities defined as data and one
//! generic record engine over them.
//!
//! - [`values`]: the parsers of typed values (e-mail, phone in E.164, decimal, date, address...),
//!   pure functions with no database.

pub mod values;
