//! The CRM domain core: the [`Db`](db::Db) seam over SQLite, the migration runner, the domain
//! error type, access control ([`acl`]), authentication ([`auth`]), the record engine
//! ([`records`]), web-form intake ([`intake`]), [`reports`] and the settings around them.
//!
//! Architecture invariant: this crate knows nothing of Spin, wasmtime, rusqlite or HTTP. It
//! compiles for `wasm32-wasip2` (inside components) and natively (tests, tools) alike; the
//! backends live in `crm-spin-adapter` and `crm-sqlite`.

pub mod acl;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod directory;
pub mod error;
pub mod fingerprint;
pub mod idempotency;
pub mod intake;
pub mod io;
pub mod kv;
pub mod migrate;
pub mod orders;
pub mod records;
pub mod reports;
pub mod resource;
pub mod rest;
pub mod settings;
pub mod sqlsplit;
pub mod tz;
pub mod webhooks;

pub use db::{Db, DbError, Nesting, Row, Rows, Value, transaction};
pub use error::{CoreError, FieldError, FieldErrors};
pub use migrate::{MIGRATIONS, MigrateError, Migration, MigrationReport, fingerprint, migrate, migrate_with};
