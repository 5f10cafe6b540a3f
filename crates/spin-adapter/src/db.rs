//! [`SpinDb`]: crm-core's `Db` trait over Spin's `fermyon:spin/sqlite@2.0.0` connection.
//!
//! The component never sees a file path: it asks the runtime for a database by label (the
//! manifest's `sqlite_databases = ["default"]` grants it). Opening always checks the schema, so
//! no component can ever run against an old one: either the migration runner runs (its fast path
//! costs one query once the schema is current: [`SpinDb::open_migrated`]) or the request's own
//! first query carries the check ([`SpinDb::open_checked`]).

use crm_core::{CoreError, Db, DbError, Nesting, Rows, Value};
use spin_sdk::sqlite::{Connection, Error as SpinError, Value as SpinValue};

use crate::problem::ApiError;

/// The label of the one CRM database in `spin.toml`.
pub const DEFAULT_DATABASE: &str = "default";

/// A connection to a Spin SQLite database, with its [`Nesting`] (each `open` is a connection
/// of its own, so each `SpinDb` keeps its own depth).
pub struct SpinDb {
    conn: Connection,
    nesting: Nesting,
}

impl SpinDb {
    /// Open the database with this label.
    pub fn open(label: &str) -> Result<Self, DbError> {
        let conn = Connection::open(label).map_err(map_error)?;
        Ok(Self {
            conn,
            nesting: Nesting::new(),
        })
    }

    /// Open the `default` database and bring it up to date with [`crm_core::migrate`].
    ///
    /// Any failure (no such database, access denied, a refused or failing migration) is
    /// [`CoreError::Unavailable`] carrying the cause for the log: a component cannot serve
    /// without its schema.
    pub fn open_migrated() -> Result<Self, CoreError> {
        let db = Self::open(DEFAULT_DATABASE)
            .map_err(|e| CoreError::Unavailable(format!("opening database `{DEFAULT_DATABASE}`: {e}")))?;
        crm_core::migrate(&db).map_err(|e| CoreError::Unavailable(e.to_string()))?;
        Ok(db)
    }
}

impl SpinDb {
    /// Opens the `default` database for a request whose first query checks the schema itself
    /// (it carries `crm_core::migrate::state_columns`, as the caller's and a form's queries do),
    /// and runs it: the request then pays no statement of its own for the schema. Only when
    /// `first` says the schema is not this build's ([`CoreError::Unavailable`]), or fails on a
    /// database too old for its query ([`CoreError::Internal`]: no such table or column), does
    /// the migration runner run, and `first` runs once more; any other failure comes back
    /// unchanged from the second attempt.
    pub fn open_checked<T>(first: impl Fn(&SpinDb) -> Result<T, ApiError>) -> Result<(SpinDb, T), ApiError> {
        let db = SpinDb::open(DEFAULT_DATABASE)
            .map_err(|e| CoreError::Unavailable(format!("opening database `{DEFAULT_DATABASE}`: {e}")))?;
        match first(&db) {
            Err(ApiError::Core(CoreError::Unavailable(_) | CoreError::Internal(_))) => {
                crm_core::migrate(&db).map_err(|e| CoreError::Unavailable(e.to_string()))?;
                let answer = first(&db)?;
                Ok((db, answer))
            }
            other => other.map(|answer| (db, answer)),
        }
    }
}

impl Db for SpinDb {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        let params: Vec<SpinValue> = params.iter().map(to_spin).collect();
        let result = self.conn.execute(sql, &params).map_err(map_error)?;
        Ok(Rows {
            columns: result.columns,
            rows: result
                .rows
                .into_iter()
                .map(|row| row.values.into_iter().map(from_spin).collect())
                .collect(),
        })
    }

    fn nesting(&self) -> &Nesting {
        &self.nesting
    }
}

fn to_spin(value: &Value) -> SpinValue {
    match value {
        Value::Null => SpinValue::Null,
        Value::Integer(i) => SpinValue::Integer(*i),
        Value::Real(f) => SpinValue::Real(*f),
        Value::Text(s) => SpinValue::Text(s.clone()),
        Value::Blob(b) => SpinValue::Blob(b.clone()),
    }
}

fn from_spin(value: SpinValue) -> Value {
    match value {
        SpinValue::Null => Value::Null,
        SpinValue::Integer(i) => Value::Integer(i),
        SpinValue::Real(f) => Value::Real(f),
        SpinValue::Text(s) => Value::Text(s),
        SpinValue::Blob(b) => Value::Blob(b),
    }
}

/// Spin reports SQLite failures as `io(message)`; classify the message by meaning.
fn map_error(error: SpinError) -> DbError {
    match error {
        SpinError::NoSuchDatabase => DbError::NoSuchDatabase,
        SpinError::AccessDenied => DbError::AccessDenied,
        SpinError::InvalidConnection => DbError::Other("invalid database connection".into()),
        SpinError::DatabaseFull => DbError::Other("database is full".into()),
        SpinError::Io(message) => DbError::from_message(message),
    }
}
