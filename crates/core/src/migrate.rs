//! The migration runner: brings a database up to the schema embedded in this build.
//!
//! Migrations are the numbered files in `sql/` (`NNNN_name.sql`), embedded at compile time by
//! `build.rs` into [`MIGRATIONS`]. Every component calls [`migrate`] when it opens the database,
//! so the runner is shaped for that: when everything is applied it costs ONE query, which reads
//! the per-connection settings and `PRAGMA user_version` together. A fully migrated database's
//! `user_version` is the build's [`fingerprint`] (the last version and a hash of every file's
//! checksum), so that one integer says "this exact schema"; only when it differs (an older or
//! newer build, a new file, a fresh database) does the runner read `schema_migrations`. Applied
//! files are pinned by a SHA-256 checksum; a file edited after it was applied, or a database
//! newer than the build, is refused rather than guessed at. A connection whose settings differ
//! (a fresh one, as Spin opens per request) sets them before its first write, so a read sends
//! none of them.
//!
//! Pending migrations are applied together in one `BEGIN IMMEDIATE` transaction that re-reads
//! `schema_migrations` first, so two components starting at once are safe: the second waits on
//! the write lock, then sees the work done. `PRAGMA` statements of a pending file run before that
//! transaction, because SQLite refuses some of them (such as `journal_mode=WAL`) inside one.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::db::{Db, DbError, transaction};
use crate::sqlsplit::{is_pragma, split_statements};

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The number in the file name (`0001_init.sql` -> 1); applied in increasing order.
    pub version: u32,
    /// The file name, e.g. `0001_init.sql` (stored in `schema_migrations.name`).
    pub name: &'static str,
    /// The statements to run ([`Migration::sql`]).
    pub sql: Sql,
    /// Lowercase hex SHA-256 of the text; pins the file once applied. Computed by `build.rs`
    /// for the embedded files, so checking the schema on every request hashes nothing.
    pub checksum: Cow<'static, str>,
}

impl Migration {
    /// A migration whose checksum is computed now (for tests and tools).
    pub fn new(version: u32, name: &'static str, sql: &'static str) -> Migration {
        let checksum = Cow::Owned(hex::encode(Sha256::digest(sql.as_bytes())));
        Migration {
            version,
            name,
            sql: Sql::Text(sql),
            checksum,
        }
    }

    /// The statements to run: a test's text as given; an embedded file compacted by build.rs
    /// (`sqlsplit::compact`), inflated with every other embedded file on the first call.
    pub fn sql(&self) -> &'static str {
        match self.sql {
            Sql::Text(text) => text,
            Sql::Packed(start, end) => &unpacked()[start..end],
        }
    }

    /// Lowercase hex SHA-256 of the file's text.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }
}

/// Where a migration's statements are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sql {
    /// Text given whole ([`Migration::new`]).
    Text(&'static str),
    /// The byte range of this file in the embedded migrations once inflated.
    Packed(usize, usize),
}

/// The embedded migrations' texts, inflated once (only a migration run reads them).
fn unpacked() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let bytes = miniz_oxide::inflate::decompress_to_vec(PACKED).expect("build.rs deflated the migrations");
        String::from_utf8(bytes).expect("the migrations are UTF-8")
    })
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// What [`migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call, in order (empty when everything was already applied).
    pub applied: Vec<u32>,
    /// The highest applied version afterwards (0 for a build without migrations).
    pub current_version: u32,
}

/// Why the database could not be brought up to date.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MigrateError {
    /// An applied migration's file no longer matches what was applied.
    #[error(
        "migration sql/{name} (version {version}) was changed after it was applied; migrations are append-only: restore the file and add a new one"
    )]
    Changed {
        /// The migration's version.
        version: u32,
        /// Its file name.
        name: String,
    },
    /// The database has a migration this build does not know (it was migrated by a newer build).
    #[error(
        "the database has migration version {version} ({name}), which this build does not know; run a build that includes it"
    )]
    UnknownVersion {
        /// The unknown version.
        version: u32,
        /// The name recorded for it in the database.
        name: String,
    },
    /// A statement of a pending migration failed; the whole transaction was rolled back.
    #[error("migration sql/{name} (version {version}) failed: {source}")]
    Failed {
        /// The migration's version.
        version: u32,
        /// Its file name.
        name: String,
        /// The database's error.
        source: DbError,
    },
    /// The database failed outside any one migration (pragmas, bookkeeping, commit).
    #[error("migrating the database failed: {0}")]
    Db(#[from] DbError),
}

/// Per-connection settings the app's correctness needs (they do not persist in the file): the
/// column of [`state_columns`], the value wanted, and the statement that sets it. A writer waits
/// for the lock instead of failing at once, and the schema's foreign keys hold. (rusqlite, and
/// so Spin, opens connections with both already.)
///
/// `synchronous` is not among them: it trades durability for speed, which is the runtime's to
/// choose (crm-host's pooled connections and the native backend run `NORMAL`, committing to the
/// WAL without an fsync, and checkpoint in the background). On Spin's fresh connection per
/// request SQLite's default `FULL` stays, one fsync more per write and never less durable, rather
/// than a `PRAGMA` before every write, which on a remote libSQL is a round trip for nothing.
const CONNECTION_SETTINGS: &[(&str, i64, &str)] = &[
    ("busy_timeout", 5000, "PRAGMA busy_timeout=5000"),
    ("foreign_keys", 1, "PRAGMA foreign_keys=ON"),
];

/// The columns that read the connection's settings and the schema's fingerprint, for any
/// query to carry (the caller's query does, so a signed-in request checks its schema without a
/// statement of its own: see [`accept_state`]).
macro_rules! state_columns {
    () => {
        "(SELECT timeout FROM pragma_busy_timeout()) AS busy_timeout, \
         (SELECT foreign_keys FROM pragma_foreign_keys()) AS foreign_keys, \
         (SELECT user_version FROM pragma_user_version()) AS user_version"
    };
}
pub(crate) use state_columns;

/// Reads the settings and the schema's fingerprint in one query. Setting a flag pragma expires
/// every prepared statement of the connection, so on a reused (pooled) connection they are only
/// set when they differ.
const READ_STATE: &str = concat!("SELECT ", state_columns!());

/// Has the connection's settings that `row` (of [`state_columns`]) shows differ set before its
/// first write (only writes need them: see [`crate::db::Nesting`]); answers the database's
/// `user_version`.
fn defer_settings(db: &dyn Db, row: Option<&crate::db::Row<'_>>) -> i64 {
    for (column, wanted, statement) in CONNECTION_SETTINGS {
        if row.and_then(|r| r.i64(column)) != Some(*wanted) {
            db.nesting().before_writes(statement);
        }
    }
    row.and_then(|r| r.i64("user_version")).unwrap_or(0)
}

fn apply_connection_settings(db: &dyn Db) -> Result<i64, DbError> {
    let current = db.query(READ_STATE, &[])?;
    Ok(defer_settings(db, current.first().as_ref()))
}

/// Whether a row carrying [`state_columns`] shows a database on this build's schema (its
/// settings then wait for the first write, as [`migrate`] would have them); when not, the
/// caller runs [`migrate`] and asks again.
pub fn accept_state(db: &dyn Db, row: &crate::db::Row<'_>) -> bool {
    BUILD_FINGERPRINT != 0 && defer_settings(db, Some(row)) == BUILD_FINGERPRINT
}

/// The `user_version` of a database that has exactly `migrations` applied
/// ([`crate::fingerprint::schema_fingerprint`]); 0 when there are no migrations.
pub fn fingerprint(migrations: &[Migration]) -> i64 {
    if std::ptr::eq(migrations, MIGRATIONS) {
        return BUILD_FINGERPRINT;
    }
    crate::fingerprint::schema_fingerprint(migrations.iter().map(|m| (m.version, m.checksum())))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

const SELECT_APPLIED: &str = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";

/// Apply every pending migration embedded in this build (see [`migrate_with`]).
pub fn migrate(db: &dyn Db) -> Result<MigrationReport, MigrateError> {
    migrate_with(db, MIGRATIONS)
}

/// Apply the pending ones of `migrations` (sorted by version, versions unique).
///
/// Sets the per-connection pragmas, reads `schema_migrations` once and returns if nothing is
/// pending. Otherwise runs the pending files' `PRAGMA` statements, then applies the rest of each
/// pending file and records it, all in one transaction that re-checks what is applied first.
pub fn migrate_with(db: &dyn Db, migrations: &[Migration]) -> Result<MigrationReport, MigrateError> {
    // SQLite answers SQLITE_BUSY at once, without waiting, when waiting could deadlock
    // (two connections upgrading their locks, or a journal-mode switch racing a reader);
    // backing off and starting over resolves it.
    let mut attempt = 0;
    loop {
        match migrate_once(db, migrations) {
            Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(2u64 << attempt.min(6)));
            }
            result => return result,
        }
    }
}

fn migrate_once(db: &dyn Db, migrations: &[Migration]) -> Result<MigrationReport, MigrateError> {
    let user_version = apply_connection_settings(db)?;
    let wanted = fingerprint(migrations);
    if wanted != 0 && user_version == wanted {
        return Ok(MigrationReport {
            applied: Vec::new(),
            current_version: migrations.iter().map(|m| m.version).max().unwrap_or(0),
        });
    }

    let applied = match read_applied(db) {
        Ok(applied) => applied,
        Err(DbError::Other(message)) if message.contains("no such table") => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let pending = pending_of(&applied, migrations)?;
    if pending.is_empty() {
        // Up to date but not yet fingerprinted (migrated by a build before fingerprints).
        if wanted != 0 {
            db.execute(&format!("PRAGMA user_version = {wanted}"), &[])?;
        }
        return Ok(MigrationReport {
            applied: Vec::new(),
            current_version: current_version(&applied),
        });
    }

    apply_pending(db, &pending, migrations)
}

/// How often a migration run that met SQLITE_BUSY starts over (about 1 s in all).
const BUSY_RETRIES: u32 = 12;

fn is_busy(e: &MigrateError) -> bool {
    matches!(
        e,
        MigrateError::Db(DbError::Busy)
            | MigrateError::Failed {
                source: DbError::Busy,
                ..
            }
    )
}

/// Runs the pending files' `PRAGMA`s, then applies what is still pending in one transaction.
fn apply_pending(
    db: &dyn Db,
    pending: &[&Migration],
    migrations: &[Migration],
) -> Result<MigrationReport, MigrateError> {
    for migration in pending {
        for statement in split_statements(migration.sql()).into_iter().filter(|s| is_pragma(s)) {
            db.query(statement, &[]).map_err(|source| failed(migration, source))?;
        }
    }

    transaction(db, |db| {
        db.execute(CREATE_TABLE, &[])?;
        // Another connection may have applied some while we waited for the write lock.
        let applied = read_applied(db)?;
        let pending = pending_of(&applied, migrations)?;
        for migration in &pending {
            for statement in split_statements(migration.sql()).into_iter().filter(|s| !is_pragma(s)) {
                db.execute(statement, &[]).map_err(|source| failed(migration, source))?;
            }
            db.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                 VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                &[
                    migration.version.into(),
                    migration.name.into(),
                    migration.checksum().into(),
                ],
            )
            .map_err(|source| failed(migration, source))?;
        }
        let current = pending
            .iter()
            .map(|m| m.version)
            .fold(current_version(&applied), u32::max);
        // In the same transaction as the schema it stands for.
        db.execute(&format!("PRAGMA user_version = {}", fingerprint(migrations)), &[])?;
        Ok(MigrationReport {
            applied: pending.iter().map(|m| m.version).collect(),
            current_version: current,
        })
    })
}

/// A row of `schema_migrations`.
struct Applied {
    version: u32,
    name: String,
    checksum: String,
}

fn read_applied(db: &dyn Db) -> Result<Vec<Applied>, DbError> {
    let rows = db.query(SELECT_APPLIED, &[])?;
    rows.iter()
        .map(|row| {
            let version = row.i64("version").and_then(|v| u32::try_from(v).ok());
            match (version, row.str("name"), row.str("checksum")) {
                (Some(version), Some(name), Some(checksum)) => Ok(Applied {
                    version,
                    name: name.to_owned(),
                    checksum: checksum.to_owned(),
                }),
                _ => Err(DbError::Other("schema_migrations has a malformed row".into())),
            }
        })
        .collect()
}

/// The migrations not yet applied, after checking the applied ones against the build.
fn pending_of<'m>(applied: &[Applied], migrations: &'m [Migration]) -> Result<Vec<&'m Migration>, MigrateError> {
    for row in applied {
        let Some(known) = migrations.iter().find(|m| m.version == row.version) else {
            return Err(MigrateError::UnknownVersion {
                version: row.version,
                name: row.name.clone(),
            });
        };
        if known.checksum() != row.checksum {
            return Err(MigrateError::Changed {
                version: known.version,
                name: known.name.to_owned(),
            });
        }
    }
    Ok(migrations
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect())
}

fn current_version(applied: &[Applied]) -> u32 {
    applied.iter().map(|a| a.version).max().unwrap_or(0)
}

fn failed(migration: &Migration, source: DbError) -> MigrateError {
    MigrateError::Failed {
        version: migration.version,
        name: migration.name.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_are_sorted_unique_and_named_by_version() {
        assert!(!MIGRATIONS.is_empty(), "sql/ has at least 0001_init.sql");
        for pair in MIGRATIONS.windows(2) {
            assert!(
                pair[0].version < pair[1].version,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for m in MIGRATIONS {
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{} matches its version",
                m.name
            );
        }
    }

    #[test]
    fn checksum_is_sha256_hex_of_the_text() {
        let m = Migration::new(1, "0001_x.sql", "");
        assert_eq!(
            m.checksum(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sql_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql");
        for embedded in MIGRATIONS {
            let file = std::fs::read_to_string(sql_dir.join(embedded.name)).expect("the migration's file");
            let computed = Migration::new(embedded.version, embedded.name, file.leak());
            let computed_sql = computed.sql();
            assert_eq!(
                embedded.checksum(),
                computed.checksum(),
                "build.rs agrees for {}",
                embedded.name
            );
            assert_eq!(
                embedded.sql(),
                crate::sqlsplit::compact(computed_sql),
                "{} is embedded compacted",
                embedded.name
            );
        }
    }

    #[test]
    fn current_version_defaults_to_zero() {
        assert_eq!(current_version(&[]), 0);
    }
}
