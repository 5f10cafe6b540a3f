//! What every CRM component shares: crm-core's [`Db`](crm_core::Db) over Spin's SQLite
//! ([`SpinDb`]), the request helpers ([`request`]) and the one mapping from errors to
//! `application/problem+json` responses ([`problem`]), who is calling ([`auth`], [`SpinKv`]),
//! each component's route table and its entry point ([`routes`], [`component!`], and
//! [`streaming_component!`] with [`stream`] for bodies sent as they are made), the one shape
//! of a CRUD collection ([`crud`]) and of a record entity ([`records`]).
//!
//! A component is its route table: each handler reads the request ([`routes::Cx`],
//! [`request`]), calls `crm_core`, and turns the result into a response; every failure goes
//! through [`problem::ApiError`]. The pure parts (route matching, content-type checks, JSON
//! parsing, problem bodies) are plain functions over bytes and strings so they are tested
//! natively; only [`SpinDb`], [`SpinKv`] and the entry point touch the Spin runtime.

pub mod auth;
pub mod crud;
pub mod db;
pub mod kv;
pub mod language;
pub mod problem;
pub mod records;
pub mod request;
pub mod routes;
pub mod stream;

pub use db::SpinDb;
pub use kv::SpinKv;
pub use problem::{ApiError, Problem, json_response};
pub use request::RequestError;
