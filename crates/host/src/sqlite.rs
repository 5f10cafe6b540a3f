//! The SQLite capability: `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0`.
//!
//! Each label maps to a file (see [`crate::runtime_config`]). A guest `open` takes a
//! connection from the label's pool for the life of the resource, so a guest's
//! `BEGIN ... COMMIT` runs on one connection and is isolated from other requests.
//! When the resource goes (dropped by the guest, or with the instance after a trap),
//! an open transaction is rolled back and the connection goes back to the pool.
//! Connections use WAL-friendly settings and cache prepared statements.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite as v2;
use crate::bindings::spin::sqlite::sqlite as v3;
use crate::state::RequestState;

const MAX_IDLE: usize = 32;

/// One database file and its idle connections.
#[derive(Debug)]
pub struct DbPool {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl DbPool {
    /// A pool for `path`; the file is created on first use.
    pub fn new(path: &Path) -> DbPool {
        DbPool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> rusqlite::Result<rusqlite::Connection> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        if let Some(parent) = self.path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = rusqlite::Connection::open(&self.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return; // a connection in an unknown state is closed, not reused
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// A guest's open connection (the `connection` resource of both interfaces).
pub struct SqliteConnection {
    pool: Arc<DbPool>,
    conn: Option<rusqlite::Connection>,
}

impl Drop for SqliteConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

impl SqliteConnection {
    fn conn(&self) -> &rusqlite::Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

/// Why an open or a statement failed, common to both interface versions.
enum SqlError {
    NoSuchDatabase,
    AccessDenied,
    DatabaseFull,
    Io(String),
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> SqlError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => SqlError::DatabaseFull,
            _ => SqlError::Io(e.to_string()),
        }
    }
}

/// A column value, common to both interface versions.
enum Cell {
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

fn open(state: &mut RequestState, label: &str) -> Result<SqliteConnection, SqlError> {
    if !state.caps.sqlite_databases.iter().any(|l| l == label) {
        return Err(SqlError::AccessDenied);
    }
    let pool = state
        .services
        .databases
        .get(label)
        .ok_or(SqlError::NoSuchDatabase)?
        .clone();
    let conn = pool.take()?;
    Ok(SqliteConnection { pool, conn: Some(conn) })
}

fn execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: Vec<Cell>,
) -> Result<(Vec<String>, Vec<Vec<Cell>>), SqlError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_string).collect();
    let params: Vec<SqlValue> = params
        .into_iter()
        .map(|p| match p {
            Cell::Integer(i) => SqlValue::Integer(i),
            Cell::Real(f) => SqlValue::Real(f),
            Cell::Text(t) => SqlValue::Text(t),
            Cell::Blob(b) => SqlValue::Blob(b),
            Cell::Null => SqlValue::Null,
        })
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(i) => Cell::Integer(i),
                ValueRef::Real(f) => Cell::Real(f),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
            });
        }
        out.push(values);
    }
    Ok((columns, out))
}

/// Implements one interface version over the shared functions above; the two
/// versions differ only in their generated types and v3's two extra methods.
macro_rules! sqlite_interface {
    ($m:ident) => {
        impl From<SqlError> for $m::Error {
            fn from(e: SqlError) -> $m::Error {
                match e {
                    SqlError::NoSuchDatabase => $m::Error::NoSuchDatabase,
                    SqlError::AccessDenied => $m::Error::AccessDenied,
                    SqlError::DatabaseFull => $m::Error::DatabaseFull,
                    SqlError::Io(m) => $m::Error::Io(m),
                }
            }
        }

        impl From<$m::Value> for Cell {
            fn from(v: $m::Value) -> Cell {
                match v {
                    $m::Value::Integer(i) => Cell::Integer(i),
                    $m::Value::Real(f) => Cell::Real(f),
                    $m::Value::Text(t) => Cell::Text(t),
                    $m::Value::Blob(b) => Cell::Blob(b),
                    $m::Value::Null => Cell::Null,
                }
            }
        }

        impl From<Cell> for $m::Value {
            fn from(c: Cell) -> $m::Value {
                match c {
                    Cell::Integer(i) => $m::Value::Integer(i),
                    Cell::Real(f) => $m::Value::Real(f),
                    Cell::Text(t) => $m::Value::Text(t),
                    Cell::Blob(b) => $m::Value::Blob(b),
                    Cell::Null => $m::Value::Null,
                }
            }
        }

        impl $m::Host for RequestState {}

        impl $m::HostConnection for RequestState {
            fn open(&mut self, database: String) -> wasmtime::Result<Result<Resource<SqliteConnection>, $m::Error>> {
                match open(self, &database) {
                    Ok(conn) => Ok(Ok(self.table.push(conn)?)),
                    Err(e) => Ok(Err(e.into())),
                }
            }

            fn execute(
                &mut self,
                this: Resource<SqliteConnection>,
                statement: String,
                parameters: Vec<$m::Value>,
            ) -> wasmtime::Result<Result<$m::QueryResult, $m::Error>> {
                let conn = self.table.get(&this)?;
                let params = parameters.into_iter().map(Cell::from).collect();
                Ok(match execute(conn.conn(), &statement, params) {
                    Ok((columns, rows)) => Ok($m::QueryResult {
                        columns,
                        rows: rows
                            .into_iter()
                            .map(|r| $m::RowResult { values: r.into_iter().map(Into::into).collect() })
                            .collect(),
                    }),
                    Err(e) => Err(e.into()),
                })
            }

            sqlite_interface!(@extra $m);

            fn drop(&mut self, this: Resource<SqliteConnection>) -> wasmtime::Result<()> {
                self.table.delete(this)?;
                Ok(())
            }
        }
    };
    (@extra v2) => {};
    (@extra v3) => {
        fn last_insert_rowid(&mut self, this: Resource<SqliteConnection>) -> wasmtime::Result<i64> {
            Ok(self.table.get(&this)?.conn().last_insert_rowid())
        }

        fn changes(&mut self, this: Resource<SqliteConnection>) -> wasmtime::Result<u64> {
            Ok(self.table.get(&this)?.conn().changes())
        }
    };
}

sqlite_interface!(v2);
sqlite_interface!(v3);
