//! What every CRM component shares: crm-core's [`Db`](crm_core::Db) over Spin's SQLite
//! ([`SpinDb`]), the request helpers ([`request`]) and the one mapping from errors to
//! `application/problem+json` responses ([`problem`]).
//!
//! Components stay thin: parse the request with [`request`], call `crm_core`, and turn the result
//! into a response; every failure goes through [`problem::ApiError`]. The pure parts (content-type
//! checks, JSON parsing, problem bodies) are plain functions over bytes and strings so they are
//! tested natively; only [`SpinDb`] and the response builders touch the Spin SDK.

pub mod db;
pub mod problem;
pub mod request;

pub use db::SpinDb;
pub use problem::{ApiError, Problem, json_response};
pub use request::RequestError;
