//! The SQLite capability: `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0`.
//!
//! Each label maps to a file (see [`crate::runtime_config`]). How a guest `open` gets its
//! connection is the [`SqliteCost`] the runtime was started with:
//!
//! - **pooled** (the default): a connection from the label's pool for the life of the resource,
//!   so a guest's `BEGIN ... COMMIT` runs on one connection, isolated from other requests; when
//!   the resource goes (dropped by the guest, or with the instance after a trap) an open
//!   transaction is rolled back and the connection goes back to the pool. Pooled connections run
//!   WAL with `synchronous=NORMAL` (a commit writes the log without an fsync) and no automatic
//!   checkpoint: [`Checkpointer`] checkpoints in the background instead of inside the request
//!   whose commit crossed the threshold, and once more at shutdown. Prepared statements are
//!   cached per connection.
//! - **fresh**: Spin's own semantics, to measure what a deployment on real Spin pays: every
//!   `open` opens the file anew with SQLite's defaults and closes it at drop, so each request
//!   parses the schema and sets its own pragmas.
//!
//! Either way a delay per statement can stand in for a remote libSQL round trip, and the
//! statements of a request are counted ([`RequestState::sql_statements`]). On pooled
//! connections a `BEGIN` first waits for the writer's turn ([`WriterTurn`]: woken as soon as the
//! previous writer's transaction ends, in arrival order as far as the OS wakes them) under
//! `block_in_place`, so a waiting writer never stalls the other requests sharing its async
//! worker; reads from the page cache run in place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite as v2;
use crate::bindings::spin::sqlite::sqlite as v3;
use crate::state::RequestState;

const MAX_IDLE: usize = 32;

/// `CRM_HOST_TRACE_SQL=1` prints every statement a guest sends to stderr (to see what a
/// request costs where each statement is a round trip).
static TRACE_STATEMENTS: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("CRM_HOST_TRACE_SQL").is_some_and(|v| v == "1"));

/// How long a pooled writer waits for the write lock: SQLite's busy timeout, and the longest
/// wait for the writer's turn.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How guest connections are made (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionMode {
    /// Reused connections with the runtime's settings.
    #[default]
    Pooled,
    /// A new connection per guest `open`, SQLite's defaults, closed at drop (as Spin does).
    Fresh,
}

/// What a database statement costs a request: the connection mode, and an added delay per
/// statement standing in for a network round trip (zero: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SqliteCost {
    /// How connections are made.
    pub mode: ConnectionMode,
    /// Added before every statement.
    pub statement_delay: Duration,
}

/// One database file and its idle connections.
#[derive(Debug)]
pub struct DbPool {
    path: PathBuf,
    cost: SqliteCost,
    idle: Mutex<Vec<rusqlite::Connection>>,
    writer: WriterTurn,
}

/// Whose turn it is to write (pooled connections): a guest's `BEGIN` waits here, woken the
/// moment the previous transaction ends, instead of in SQLite's busy handler, which polls with
/// sleeps of up to 100 ms and lets a burst of writers overtake each other (a p99 of seconds at
/// 32 concurrent form posts). Held from `BEGIN` until the connection is back in autocommit
/// (`COMMIT`, `ROLLBACK`) or dropped.
#[derive(Debug, Default)]
struct WriterTurn {
    taken: Mutex<bool>,
    freed: std::sync::Condvar,
}

impl WriterTurn {
    /// Waits for the turn, at most as long as the busy timeout; `false` when it did not come
    /// (a guest holding two connections, say), and SQLite's own locking decides instead.
    fn take(&self) -> bool {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while *taken {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            taken = self
                .freed
                .wait_timeout(taken, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *taken = true;
        true
    }

    fn give_back(&self) {
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.freed.notify_one();
    }
}

impl DbPool {
    /// A pool for `path`; the file is created on first use.
    pub fn new(path: &Path, cost: SqliteCost) -> DbPool {
        DbPool {
            path: path.to_path_buf(),
            cost,
            idle: Mutex::new(Vec::new()),
            writer: WriterTurn::default(),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take(&self) -> rusqlite::Result<rusqlite::Connection> {
        if self.cost.mode == ConnectionMode::Pooled
            && let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
        {
            return Ok(conn);
        }
        if let Some(parent) = self.path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = rusqlite::Connection::open(&self.path)?;
        if self.cost.mode == ConnectionMode::Pooled {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.set_prepared_statement_cache_capacity(64);
            // The checkpointer checkpoints; a commit only appends to the log.
            conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;")?;
        }
        Ok(conn)
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        if self.cost.mode == ConnectionMode::Fresh {
            return; // closed, as Spin closes it
        }
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return; // a connection in an unknown state is closed, not reused
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// Whether a statement may wait long for the write lock (up to the busy timeout): a `BEGIN`, or
/// a write sent outside a transaction (an autocommitted `INSERT`, `UPDATE`, `DELETE` or
/// `REPLACE`, atomic on its own). Handing a worker's other tasks over costs about 0.4 ms, far
/// more than a read from the page cache, so only such statements (and every statement when a
/// delay stands in for a round trip) run under [`blocking`].
fn may_wait(statement: &str, autocommit: bool) -> bool {
    let first = statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    let is = |word: &str| first.eq_ignore_ascii_case(word);
    is("BEGIN") || (autocommit && (is("INSERT") || is("UPDATE") || is("DELETE") || is("REPLACE")))
}

/// Runs `work` where blocking is allowed: on a multi-threaded runtime the worker hands its
/// other tasks to its peers first.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// A guest's open connection (the `connection` resource of both interfaces).
pub struct SqliteConnection {
    pool: Arc<DbPool>,
    conn: Option<rusqlite::Connection>,
    /// Whether this connection holds the pool's [`WriterTurn`].
    writing: bool,
}

impl Drop for SqliteConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
        if self.writing {
            self.pool.writer.give_back();
        }
    }
}

impl SqliteConnection {
    /// Runs one statement: a `BEGIN` (or a write outside a transaction) on a pooled connection
    /// first waits for the writer's turn (off the async worker), and the turn is given back once
    /// the transaction (or the autocommitted statement) has ended.
    fn run(&mut self, statement: &str, params: Vec<Cell>) -> Result<(Vec<String>, Vec<Vec<Cell>>), SqlError> {
        let delay = self.pool.cost.statement_delay;
        let conn = self.conn.as_ref().expect("present until drop");
        let turn =
            may_wait(statement, conn.is_autocommit()) && !self.writing && self.pool.cost.mode == ConnectionMode::Pooled;
        let work = || {
            let taken = turn && self.pool.writer.take();
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            (taken, execute(conn, statement, params))
        };
        let (taken, result) = if turn || !delay.is_zero() {
            blocking(work)
        } else {
            work()
        };
        self.writing |= taken;
        if self.writing && conn.is_autocommit() {
            self.writing = false;
            self.pool.writer.give_back();
        }
        result
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
    Ok(SqliteConnection {
        pool,
        conn: Some(conn),
        writing: false,
    })
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
                let started = std::time::Instant::now();
                if *TRACE_STATEMENTS {
                    eprintln!("sql: {}", statement.split_whitespace().collect::<Vec<_>>().join(" "));
                }
                let conn = self.table.get_mut(&this)?;
                let params = parameters.into_iter().map(Cell::from).collect();
                let result = match conn.run(&statement, params) {
                    Ok((columns, rows)) => Ok($m::QueryResult {
                        columns,
                        rows: rows
                            .into_iter()
                            .map(|r| $m::RowResult { values: r.into_iter().map(Into::into).collect() })
                            .collect(),
                    }),
                    Err(e) => Err(e.into()),
                };
                self.cost.statement(started.elapsed());
                Ok(result)
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

#[cfg(test)]
mod tests {
    use super::may_wait;

    #[test]
    fn a_begin_or_an_autocommitted_write_may_wait_for_the_lock() {
        assert!(may_wait("BEGIN IMMEDIATE", false));
        assert!(may_wait("  begin", true));
        assert!(may_wait("INSERT INTO leads (title) SELECT ? WHERE 1 RETURNING *", true));
        assert!(may_wait("update forms SET x = 1", true));
        assert!(may_wait("DELETE FROM t", true));
        // Inside a transaction the lock is already held; reads and settings never wait.
        assert!(!may_wait("INSERT INTO t VALUES (1)", false));
        assert!(!may_wait("SELECT 1", true));
        assert!(!may_wait("PRAGMA foreign_keys=ON", true));
        assert!(!may_wait("INSERTED_ROWS", true), "a whole word, not a prefix");
    }
}
