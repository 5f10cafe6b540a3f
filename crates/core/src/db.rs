//! The database seam: a small, object-safe [`Db`] trait over SQLite, its values, rows and errors,
//! and the [`transaction`] helper.
//!
//! Core code talks to SQLite only through this trait, so the same domain logic runs inside a Spin
//! component (over the `fermyon:spin/sqlite` interface, see `crm-spin-adapter`) and natively in
//! tests and tools (over rusqlite, see `crm-sqlite`). The trait is deliberately the shape of
//! Spin's interface: one statement per call, positional `?` parameters, results as plain rows.
//! Every write goes through [`transaction`], so a request either commits whole or changes nothing.
//! Each backend keeps a [`Nesting`] per connection, so a `transaction` inside another knows it is
//! nested and takes a `SAVEPOINT` instead of sending a `BEGIN` SQLite would refuse.

use std::cell::Cell;

/// One SQLite value, as bound to a `?` parameter or read from a result column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The integer, if this is an `Integer`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is a `Real` (an `Integer` is widened, as SQLite does).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Real(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The text, if this is `Text`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a `Blob`.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The result of a query: column names and rows of values, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// Column names, as SQLite reports them (the `AS` alias if given).
    pub columns: Vec<String>,
    /// Each row holds one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position of the named column (exact match), if present.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The rows, each able to look values up by column name.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// The first column of the first row, if any.
    pub fn first_value(&self) -> Option<&Value> {
        self.rows.first().and_then(|r| r.first())
    }

    /// The first column of the first row as an integer (e.g. `SELECT count(*) ...`).
    pub fn first_i64(&self) -> Option<i64> {
        self.first_value().and_then(Value::as_i64)
    }

    /// The first column of the first row as text.
    pub fn first_str(&self) -> Option<&str> {
        self.first_value().and_then(Value::as_str)
    }
}

/// One row of [`Rows`], borrowing the column names so values can be read by name.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    /// The values in column order.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    /// The value of the named column, if the column exists.
    pub fn get(&self, column: &str) -> Option<&'a Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values.get(i)
    }

    /// The named column as an integer (`None` if missing, `NULL` or not an integer).
    pub fn i64(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(Value::as_i64)
    }

    /// The named column as text (`None` if missing, `NULL` or not text).
    pub fn str(&self, column: &str) -> Option<&'a str> {
        self.get(column).and_then(Value::as_str)
    }
}

/// Why a database call failed, by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DbError {
    /// The database stayed locked by another writer past the busy timeout; retrying may succeed.
    #[error("database is busy")]
    Busy,
    /// A UNIQUE, FOREIGN KEY, CHECK or NOT NULL constraint refused the write.
    #[error("constraint failed: {message}")]
    Constraint {
        /// SQLite's message, e.g. `UNIQUE constraint failed: users.email`.
        message: String,
    },
    /// This component may not use the database (the manifest did not grant the label).
    #[error("access to the database was denied")]
    AccessDenied,
    /// The runtime knows no database by that label.
    #[error("no such database")]
    NoSuchDatabase,
    /// Anything else, with SQLite's (or the runtime's) message.
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Classify an SQLite error message from a backend that only reports text (such as Spin's
    /// `io(string)` error): "database is locked"/"busy" becomes [`DbError::Busy`], "constraint
    /// failed" becomes [`DbError::Constraint`], anything else [`DbError::Other`].
    pub fn from_message(message: impl Into<String>) -> Self {
        let message = message.into();
        let lower = message.to_ascii_lowercase();
        if lower.contains("database is locked")
            || lower.contains("database is busy")
            || lower.contains("database table is locked")
        {
            DbError::Busy
        } else if lower.contains("constraint failed") {
            DbError::Constraint { message }
        } else {
            DbError::Other(message)
        }
    }
}

/// Where one connection stands: how many [`transaction`] calls are open on it (0: none), and
/// the settings statements to run before its first write.
///
/// Every backend holds one per connection and hands it out through [`Db::nesting`]; only
/// [`transaction`] changes the depth. A wrapper around another `Db` (a statement counter, a
/// tracer) returns the inner connection's, so both agree on where the connection stands.
///
/// The settings are deferred because only writes need them (`busy_timeout`, `foreign_keys`):
/// on a fresh connection per request, as Spin opens them, a read then sends no
/// `PRAGMA` at all.
///
/// Savepoints are lazy: a nested [`transaction`] sends its `SAVEPOINT` only before its first
/// write, and a level that wrote nothing sends neither it nor its `RELEASE` (a read-only or
/// single-statement step inside a transaction costs no extra round trips; a failing statement
/// undoes itself).
#[derive(Debug, Default)]
pub struct Nesting {
    /// Open [`transaction`] levels.
    depth: Cell<u32>,
    /// Levels whose `BEGIN` or `SAVEPOINT` has been sent (never more than `depth`).
    opened: Cell<u32>,
    before_writes: std::cell::RefCell<Vec<&'static str>>,
}

impl Nesting {
    /// A connection outside any transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of open [`transaction`] calls.
    pub fn depth(&self) -> u32 {
        self.depth.get()
    }

    /// Runs `statement` before the connection's next write ([`Db::execute`], which every
    /// write and `BEGIN` goes through), once.
    pub fn before_writes(&self, statement: &'static str) {
        let mut pending = self.before_writes.borrow_mut();
        if !pending.contains(&statement) {
            pending.push(statement);
        }
    }

    /// What must be sent before a write: the deferred settings, then the `SAVEPOINT` of every
    /// open level that has not sent its own yet (outermost first).
    fn take_before_writes(&self) -> Vec<std::borrow::Cow<'static, str>> {
        let mut out: Vec<std::borrow::Cow<'static, str>> = std::mem::take(&mut *self.before_writes.borrow_mut())
            .into_iter()
            .map(Into::into)
            .collect();
        let (opened, depth) = (self.opened.get(), self.depth.get());
        out.extend((opened.max(1)..depth).map(|outer| format!("SAVEPOINT {}", savepoint_name(outer)).into()));
        self.opened.set(depth.max(opened));
        out
    }
}

/// The name of the savepoint a [`transaction`] opens inside `outer` levels.
fn savepoint_name(outer: u32) -> String {
    format!("crm_{outer}")
}

/// A connection to one SQLite database.
///
/// Object-safe, so callers take `&dyn Db`. Each call runs exactly one SQL statement with
/// positional `?` parameters. Implementations must report SQLite's own message text in
/// [`DbError::Other`] (callers such as the migration runner recognise e.g. `no such table`).
pub trait Db {
    /// Run one statement and return its rows (empty for statements that return none).
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError>;

    /// This connection's [`Nesting`]: one per connection, kept by the backend.
    fn nesting(&self) -> &Nesting;

    /// Run one statement, discarding any rows. The connection's settings waiting for its first
    /// write ([`Nesting::before_writes`]) are sent first, so an autocommitted write has them too.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<(), DbError> {
        self.write(sql, params).map(drop)
    }

    /// Run one writing statement that returns rows (`... RETURNING`), the settings waiting for
    /// the connection's first write sent first (as [`Db::execute`] does).
    fn write(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        for statement in self.nesting().take_before_writes() {
            self.query(&statement, &[])?;
        }
        self.query(sql, params)
    }

    /// The rowid of the last row inserted on this connection.
    fn last_insert_id(&self) -> Result<i64, DbError> {
        self.query("SELECT last_insert_rowid()", &[])?
            .first_i64()
            .ok_or_else(|| DbError::Other("last_insert_rowid() returned no integer".into()))
    }
}

impl<D: Db + ?Sized> Db for &D {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        (**self).query(sql, params)
    }

    fn nesting(&self) -> &Nesting {
        (**self).nesting()
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<(), DbError> {
        (**self).execute(sql, params)
    }

    fn last_insert_id(&self) -> Result<i64, DbError> {
        (**self).last_insert_id()
    }
}

/// Run `f` inside one explicit write transaction.
///
/// Outside any transaction it starts with `BEGIN IMMEDIATE` (taking the write lock up front, so
/// two writers queue on the busy timeout instead of failing halfway), commits if `f` returns
/// `Ok`, and rolls back if `f` returns `Err` or the commit itself fails. The error from `f` (or
/// from `BEGIN`/`COMMIT`) is returned; a failing rollback is not reported over it, since SQLite
/// rolls back on its own when the connection closes.
///
/// Called inside another `transaction` (the connection's [`Nesting`] says so), it is a
/// `SAVEPOINT`: `Ok` releases it into the outer transaction, `Err` rolls back to it, so what `f`
/// wrote is undone while the outer transaction goes on. The outer call still commits or rolls
/// back everything together, so a service that is one transaction on its own can also be one
/// step of a larger one (e.g. a create plus its idempotency record), and a caller that catches
/// an inner error keeps none of the inner step's writes. No `BEGIN` is ever sent inside a
/// transaction.
pub fn transaction<D, T, E>(db: &D, f: impl FnOnce(&D) -> Result<T, E>) -> Result<T, E>
where
    D: Db + ?Sized,
    E: From<DbError>,
{
    let depth = db.nesting().depth();
    if depth > 0 {
        return savepoint(db, depth, f);
    }
    db.execute("BEGIN IMMEDIATE", &[])?;
    db.nesting().opened.set(1);
    let result = Level::enter(db.nesting(), depth).run(|| f(db));
    db.nesting().opened.set(0);
    match result {
        Ok(value) => match db.execute("COMMIT", &[]) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = db.execute("ROLLBACK", &[]);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            let _ = db.execute("ROLLBACK", &[]);
            Err(error)
        }
    }
}

/// The nested form of [`transaction`]: `SAVEPOINT` (sent lazily, before the level's first
/// write: see [`Nesting`]), then `RELEASE` or `ROLLBACK TO` and `RELEASE` if it was sent.
fn savepoint<D, T, E>(db: &D, depth: u32, f: impl FnOnce(&D) -> Result<T, E>) -> Result<T, E>
where
    D: Db + ?Sized,
    E: From<DbError>,
{
    let name = savepoint_name(depth);
    let result = Level::enter(db.nesting(), depth).run(|| f(db));
    let opened = &db.nesting().opened;
    if opened.get() <= depth {
        return result; // nothing was written at this level: nothing to release or undo
    }
    opened.set(depth);
    match result {
        Ok(value) => {
            db.execute(&format!("RELEASE {name}"), &[])?;
            Ok(value)
        }
        Err(error) => {
            let _ = db.execute(&format!("ROLLBACK TO {name}"), &[]);
            let _ = db.execute(&format!("RELEASE {name}"), &[]);
            Err(error)
        }
    }
}

/// One level of [`Nesting`], held while `f` runs and given back even if it panics.
struct Level<'n> {
    nesting: &'n Nesting,
    outer: u32,
}

impl<'n> Level<'n> {
    fn enter(nesting: &'n Nesting, outer: u32) -> Self {
        nesting.depth.set(outer + 1);
        Level { nesting, outer }
    }

    fn run<T>(self, f: impl FnOnce() -> T) -> T {
        f()
    }
}

impl Drop for Level<'_> {
    fn drop(&mut self) {
        self.nesting.depth.set(self.outer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_by_column_name_and_first_value() {
        let rows = Rows {
            columns: vec!["id".into(), "name".into()],
            rows: vec![
                vec![Value::Integer(7), Value::Text("Ann".into())],
                vec![Value::Integer(8), Value::Null],
            ],
        };
        assert_eq!(rows.first_i64(), Some(7));
        let second = rows.iter().nth(1).expect("two rows");
        assert_eq!(second.i64("id"), Some(8));
        assert_eq!(second.str("name"), None);
        assert!(second.get("name").is_some_and(Value::is_null));
        assert_eq!(rows.first().and_then(|r| r.str("name")), Some("Ann"));
        assert_eq!(rows.column_index("missing"), None);
    }

    #[test]
    fn messages_are_classified_by_meaning() {
        let cases = [
            ("database is locked", DbError::Busy),
            (
                "UNIQUE constraint failed: users.email",
                DbError::Constraint {
                    message: "UNIQUE constraint failed: users.email".into(),
                },
            ),
            ("no such table: x", DbError::Other("no such table: x".into())),
        ];
        for (message, expected) in cases {
            assert_eq!(DbError::from_message(message), expected, "message {message:?}");
        }
    }

    /// A connection that answers like SQLite about transactions: `BEGIN` inside one fails,
    /// savepoints nest, and every statement is kept with whether it failed.
    #[derive(Default)]
    struct Script {
        nesting: Nesting,
        open: Cell<bool>,
        savepoints: std::cell::RefCell<Vec<String>>,
        log: std::cell::RefCell<Vec<(String, bool)>>,
    }

    impl Db for Script {
        fn query(&self, sql: &str, _params: &[Value]) -> Result<Rows, DbError> {
            let mut savepoints = self.savepoints.borrow_mut();
            let outcome: Result<(), &str> = match sql.split_once(' ').unwrap_or((sql, "")) {
                ("BEGIN", _) if self.open.get() => Err("cannot start a transaction within a transaction"),
                ("BEGIN", _) => {
                    self.open.set(true);
                    Ok(())
                }
                ("COMMIT", _) | ("ROLLBACK", "") => {
                    self.open.set(false);
                    Ok(())
                }
                ("SAVEPOINT", name) => {
                    savepoints.push(name.to_owned());
                    Ok(())
                }
                ("RELEASE", name) | ("ROLLBACK", name) => {
                    let name = name.trim_start_matches("TO ");
                    match savepoints.iter().rposition(|s| s == name) {
                        Some(at) if sql.starts_with("RELEASE") => {
                            savepoints.truncate(at);
                            Ok(())
                        }
                        Some(_) => Ok(()),
                        None => Err("no such savepoint"),
                    }
                }
                _ => Ok(()),
            };
            self.log.borrow_mut().push((sql.to_owned(), outcome.is_err()));
            outcome.map(|()| Rows::default()).map_err(|m| DbError::Other(m.into()))
        }

        fn nesting(&self) -> &Nesting {
            &self.nesting
        }
    }

    impl Script {
        fn statements(&self) -> Vec<String> {
            self.log.borrow().iter().map(|(sql, _)| sql.clone()).collect()
        }

        fn failed(&self) -> Vec<String> {
            self.log
                .borrow()
                .iter()
                .filter(|(_, e)| *e)
                .map(|(sql, _)| sql.clone())
                .collect()
        }
    }

    #[test]
    fn nested_transactions_are_savepoints_and_no_begin_fails() {
        let db = Script::default();
        let result: Result<(), DbError> = transaction(&db, |db| {
            db.execute("INSERT a", &[])?;
            transaction(db, |db| {
                db.execute("INSERT b", &[])?;
                transaction(db, |db| db.execute("INSERT c", &[]))
            })
        });
        assert_eq!(result, Ok(()));
        assert_eq!(
            db.statements(),
            [
                "BEGIN IMMEDIATE",
                "INSERT a",
                "SAVEPOINT crm_1",
                "INSERT b",
                "SAVEPOINT crm_2",
                "INSERT c",
                "RELEASE crm_2",
                "RELEASE crm_1",
                "COMMIT"
            ]
        );
        assert!(db.failed().is_empty(), "{:?}", db.failed());
        assert_eq!(db.nesting().depth(), 0);
    }

    #[test]
    fn an_inner_failure_rolls_back_to_its_savepoint_and_the_outer_goes_on() {
        let db = Script::default();
        let result: Result<&str, DbError> = transaction(&db, |db| {
            let inner: Result<(), DbError> = transaction(db, |db| {
                db.execute("INSERT b", &[])?;
                Err(DbError::Other("refused".into()))
            });
            assert!(inner.is_err());
            db.execute("INSERT log", &[])?;
            Ok("committed")
        });
        assert_eq!(result, Ok("committed"));
        assert_eq!(
            db.statements(),
            [
                "BEGIN IMMEDIATE",
                "SAVEPOINT crm_1",
                "INSERT b",
                "ROLLBACK TO crm_1",
                "RELEASE crm_1",
                "INSERT log",
                "COMMIT"
            ]
        );
        assert!(db.failed().is_empty(), "{:?}", db.failed());
    }

    #[test]
    fn a_savepoint_is_sent_only_before_its_levels_first_write() {
        let db = Script::default();
        let result: Result<(), DbError> = transaction(&db, |db| {
            // A level that only reads, and one that refuses before writing: no savepoint.
            transaction(db, |db| db.query("SELECT a", &[]).map(drop))?;
            let refused: Result<(), DbError> = transaction(db, |db| {
                db.query("SELECT b", &[])?;
                Err(DbError::Other("refused".into()))
            });
            assert!(refused.is_err());
            // Writes two levels down open both savepoints, outermost first.
            transaction(db, |db| {
                db.query("SELECT c", &[])?;
                transaction(db, |db| db.execute("INSERT d", &[]))?;
                db.execute("INSERT e", &[])
            })?;
            db.execute("INSERT f", &[])
        });
        assert_eq!(result, Ok(()));
        assert_eq!(
            db.statements(),
            [
                "BEGIN IMMEDIATE",
                "SELECT a",
                "SELECT b",
                "SELECT c",
                "SAVEPOINT crm_1",
                "SAVEPOINT crm_2",
                "INSERT d",
                "RELEASE crm_2",
                "INSERT e",
                "RELEASE crm_1",
                "INSERT f",
                "COMMIT"
            ]
        );
        assert!(db.failed().is_empty(), "{:?}", db.failed());
        assert_eq!(db.nesting().depth(), 0);
    }

    #[test]
    fn an_outer_failure_rolls_back_everything_and_resets_the_depth() {
        let db = Script::default();
        let result: Result<(), DbError> = transaction(&db, |db| {
            transaction(db, |db| db.execute("INSERT b", &[]))?;
            Err(DbError::Busy)
        });
        assert_eq!(result, Err(DbError::Busy));
        assert_eq!(db.statements().last().map(String::as_str), Some("ROLLBACK"));
        assert_eq!(db.nesting().depth(), 0);
        // The connection is usable for a fresh transaction afterwards.
        let again: Result<(), DbError> = transaction(&db, |db| db.execute("INSERT c", &[]));
        assert_eq!(again, Ok(()));
        assert!(db.failed().is_empty(), "{:?}", db.failed());
    }

    #[test]
    fn options_bind_as_null() {
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(Value::from(Some("x")), Value::Text("x".into()));
    }
}
