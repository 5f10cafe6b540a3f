//! The native implementation of crm-core's [`Db`] trait, over rusqlite (bundled SQLite).
//!
//! Components reach SQLite through Spin; everything else that needs a real database without a
//! runtime (core tests, benchmarks, tools) uses [`NativeDb`]. It behaves like Spin's connection:
//! one statement per call, SQLite's own message text in errors, busy and constraint failures
//! mapped to their [`DbError`] variants. [`MemoryKv`] stands in for the runtime's key-value
//! store in the same tests.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use crm_core::kv::{Kv, KvError};
use crm_core::{Db, DbError, MigrateError, MigrationReport, Nesting, Rows, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{ErrorCode, ToSql};

/// One rusqlite connection to an SQLite file.
#[derive(Debug)]
pub struct NativeDb {
    conn: rusqlite::Connection,
    nesting: Nesting,
}

impl NativeDb {
    /// Open (creating if needed) the SQLite file at `path`, committing as crm-host's pool does
    /// (`synchronous=NORMAL`: in WAL a commit needs no fsync); [`crm_core::migrate`] sets the
    /// settings the app needs.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let conn = rusqlite::Connection::open(path).map_err(map_error)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL").map_err(map_error)?;
        Ok(Self {
            conn,
            nesting: Nesting::new(),
        })
    }

    /// Open the file and apply every embedded migration (the usual start of a test).
    pub fn open_migrated(path: impl AsRef<Path>) -> Result<(Self, MigrationReport), MigrateError> {
        let db = Self::open(path)?;
        let report = crm_core::migrate(&db)?;
        Ok((db, report))
    }

    /// The underlying rusqlite connection, for what the trait does not cover.
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.conn
    }
}

impl Db for NativeDb {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        let mut statement = self.conn.prepare(sql).map_err(map_error)?;
        let columns: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
        let width = columns.len();
        let mut cursor = statement
            .query(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(map_error)?;
        let mut rows = Vec::new();
        while let Some(row) = cursor.next().map_err(map_error)? {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(from_sqlite).map_err(map_error))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(values);
        }
        Ok(Rows { columns, rows })
    }

    fn nesting(&self) -> &Nesting {
        &self.nesting
    }

    fn last_insert_id(&self) -> Result<i64, DbError> {
        Ok(self.conn.last_insert_rowid())
    }
}

/// An in-memory [`Kv`] for tests: a map behind a mutex, never persisted.
#[derive(Debug, Default)]
pub struct MemoryKv {
    map: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every key, sorted (for tests that look at what was stored).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The map; a test that panicked while holding it leaves it usable.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.lock().remove(key);
        Ok(())
    }
}

/// Binds a core [`Value`] as a statement parameter.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn from_sqlite(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn map_error(error: rusqlite::Error) -> DbError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DbError::Busy,
        Some(ErrorCode::ConstraintViolation) => DbError::Constraint {
            message: error.to_string(),
        },
        _ => DbError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_sqlite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = NativeDb::open(dir.path().join("t.db")).expect("open");
        let params = [
            Value::Null,
            Value::Integer(-3),
            Value::Real(1.5),
            Value::Text("ё".into()),
            Value::Blob(vec![0, 255]),
        ];
        let rows = db
            .query("SELECT ? AS n, ? AS i, ? AS r, ? AS t, ? AS b", &params)
            .expect("select");
        assert_eq!(rows.columns, ["n", "i", "r", "t", "b"]);
        assert_eq!(rows.rows, [params.to_vec()]);
    }

    #[test]
    fn errors_are_mapped_by_meaning() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = NativeDb::open(dir.path().join("t.db")).expect("open");
        db.execute("CREATE TABLE t (x INTEGER UNIQUE)", &[]).expect("create");
        db.execute("INSERT INTO t VALUES (1)", &[]).expect("insert");
        let duplicate = db.execute("INSERT INTO t VALUES (1)", &[]);
        assert!(
            matches!(&duplicate, Err(DbError::Constraint { message }) if message.contains("UNIQUE")),
            "{duplicate:?}"
        );
        let missing = db.query("SELECT * FROM nope", &[]);
        assert!(
            matches!(&missing, Err(DbError::Other(message)) if message.contains("no such table")),
            "{missing:?}"
        );
        assert_eq!(db.last_insert_id(), Ok(1));
    }

    #[test]
    fn memory_kv_sets_gets_and_deletes() {
        let kv = MemoryKv::new();
        assert_eq!(kv.get("a"), Ok(None));
        kv.set("a", b"1").expect("set");
        kv.set("a", b"2").expect("replace");
        assert_eq!(kv.get("a"), Ok(Some(b"2".to_vec())));
        assert_eq!(kv.keys(), ["a"]);
        kv.delete("a").expect("delete");
        kv.delete("a").expect("deleting an absent key is fine");
        assert_eq!(kv.get("a"), Ok(None));
    }
}
