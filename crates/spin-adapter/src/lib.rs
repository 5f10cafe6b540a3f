//! What every CRM component shares: crm-core's [`Db`](crm_core::Db) over Spin's SQLite
//! ([`SpinDb`]), the request helpers ([`request`]) and the one mapping from errors to
//! `application/problem+json` responses ([`problem`]), who is calling ([`auth`], [`SpinKv`]),
//! what a request addresses ([`route`]) and the one shape of a CRUD collection ([`crud`]).
//!
//! Components stay thin: parse the request with [`request`], call `crm_core`, and turn the result
//! into a response; every failure goes through [`problem::ApiError`]. The pure parts (content-type
//! checks, JSON parsing, problem bodies) are plain functions over bytes and strings so they are
//! tested natively; only [`SpinDb`] and the response builders touch the Spin SDK.

pub mod auth;
pub mod crud;
pub mod db;
pub mod kv;
pub mod problem;
pub mod records;
pub mod request;
pub mod route;

pub use db::SpinDb;
pub use kv::SpinKv;
pub use problem::{ApiError, Problem, json_response};
pub use request::RequestError;
