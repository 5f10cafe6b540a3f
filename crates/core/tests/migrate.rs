//! The migration runner and the transaction helper against real SQLite files: each test gets a
//! fresh file in its own temporary directory.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};

use crm_core::sqlsplit::split_statements;
use crm_core::{
    Db, DbError, MIGRATIONS, MigrateError, Migration, Nesting, Rows, Value, fingerprint, migrate, migrate_with,
    transaction,
};
use crm_sqlite::NativeDb;

fn fresh_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    (dir, path)
}

fn count(db: &dyn Db, sql: &str) -> i64 {
    db.query(sql, &[])
        .expect("count query")
        .first_i64()
        .expect("an integer")
}

fn table_exists(db: &dyn Db, name: &str) -> bool {
    count(
        db,
        &format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'"),
    ) == 1
}

/// Counts calls, to show what the fast path costs.
struct Counting<'a> {
    inner: &'a dyn Db,
    calls: Cell<usize>,
}

impl Db for Counting<'_> {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        self.calls.set(self.calls.get() + 1);
        self.inner.query(sql, params)
    }

    fn nesting(&self) -> &Nesting {
        self.inner.nesting()
    }
}

#[test]
fn migrations_apply_once_and_then_take_the_fast_path() {
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");

    let first = migrate(&db).expect("first run");
    let all: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(first.applied, all);
    assert_eq!(
        count(&db, "SELECT count(*) FROM schema_migrations"),
        MIGRATIONS.len() as i64
    );
    assert_eq!(
        db.query("SELECT value FROM app_meta WHERE key = 'schema'", &[])
            .expect("app_meta")
            .first_str(),
        Some("crm")
    );

    let counting = Counting {
        inner: &db,
        calls: Cell::new(0),
    };
    let second = migrate(&counting).expect("second run");
    assert!(second.applied.is_empty());
    assert_eq!(second.current_version, *all.last().expect("at least one migration"));
    assert_eq!(
        counting.calls.get(),
        1,
        "on a migrated database: one read of the settings and the schema's fingerprint"
    );
    assert_eq!(
        count(&db, "SELECT user_version FROM pragma_user_version()"),
        fingerprint(MIGRATIONS)
    );

    // A new connection (as Spin opens one per request) also reads once and finds nothing to
    // do: the pragmas it lacks wait for its first write.
    let other = NativeDb::open(&path).expect("reopen");
    let counting = Counting {
        inner: &other,
        calls: Cell::new(0),
    };
    assert!(migrate(&counting).expect("other connection").applied.is_empty());
    assert_eq!(counting.calls.get(), 1, "a read sends no pragma");
    transaction(&other, |db| {
        db.execute("UPDATE app_meta SET value = value WHERE key = 'schema'", &[])
    })
    .expect("a write");
    let settings = other
        .query("SELECT * FROM pragma_foreign_keys(), pragma_busy_timeout()", &[])
        .expect("settings");
    assert_eq!(settings.first().and_then(|r| r.i64("foreign_keys")), Some(1));
    assert_eq!(settings.first().and_then(|r| r.i64("timeout")), Some(5000));
}

#[test]
fn journal_mode_is_wal_after_migrating() {
    let (_dir, path) = fresh_file();
    let (db, _) = NativeDb::open_migrated(&path).expect("migrate");
    let mode = db.query("PRAGMA journal_mode", &[]).expect("pragma");
    assert_eq!(mode.first_str(), Some("wal"));
    let rows = db
        .query("SELECT applied_at FROM schema_migrations WHERE version = 1", &[])
        .expect("applied_at");
    let applied_at = rows.first_str().expect("text");
    assert!(
        applied_at.len() == 20 && applied_at.ends_with('Z') && applied_at.as_bytes()[10] == b'T',
        "RFC 3339 UTC: {applied_at}"
    );
}

#[test]
fn a_changed_migration_is_refused_naming_the_file() {
    let (_dir, path) = fresh_file();
    let (db, _) = NativeDb::open_migrated(&path).expect("migrate");
    // A later build whose sql/0001 differs from the file that was applied.
    let mut edited = MIGRATIONS.to_vec();
    let sql: &'static str = Box::leak(format!("{}\n-- edited", MIGRATIONS[0].sql()).into_boxed_str());
    edited[0] = Migration::new(1, MIGRATIONS[0].name, sql);

    let error = migrate_with(&db, &edited).expect_err("a changed file must be refused");
    assert_eq!(
        error,
        MigrateError::Changed {
            version: 1,
            name: MIGRATIONS[0].name.to_owned()
        }
    );
    assert!(error.to_string().contains("sql/0001_init.sql"), "{error}");
}

#[test]
fn a_database_newer_than_the_build_is_refused() {
    let (_dir, path) = fresh_file();
    let (db, _) = NativeDb::open_migrated(&path).expect("migrate");
    db.execute(
        "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 'x', '2030-01-01T00:00:00Z')",
        &[],
    )
    .expect("insert");
    // The newer build left its own fingerprint.
    db.execute("PRAGMA user_version = 4095", &[]).expect("fingerprint");

    let error = migrate(&db).expect_err("an unknown version must be refused");
    assert!(
        matches!(&error, MigrateError::UnknownVersion { version: 9999, .. }),
        "{error:?}"
    );
}

#[test]
fn a_failing_migration_rolls_back_leaving_nothing_half_applied() {
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");
    let migrations = [
        Migration::new(1, "0001_good.sql", "CREATE TABLE good (x INTEGER);"),
        Migration::new(
            2,
            "0002_bad.sql",
            "CREATE TABLE half (x INTEGER);\nINSERT INTO missing VALUES (1);",
        ),
    ];

    let error = migrate_with(&db, &migrations).expect_err("the second file fails");
    assert!(
        matches!(&error, MigrateError::Failed { version: 2, name, .. } if name == "0002_bad.sql"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("sql/0002_bad.sql") && error.to_string().contains("no such table: missing"),
        "{error}"
    );
    assert!(!table_exists(&db, "half"), "the failing file left a table behind");
    assert!(
        !table_exists(&db, "good"),
        "pending files are applied together or not at all"
    );
    assert!(!table_exists(&db, "schema_migrations"));

    // Fixing the file (it was never applied, so it may still change) lets the run succeed.
    let fixed = [
        migrations[0].clone(),
        Migration::new(2, "0002_bad.sql", "CREATE TABLE half (x INTEGER);"),
    ];
    assert_eq!(migrate_with(&db, &fixed).expect("fixed").applied, [1, 2]);
}

#[test]
fn two_connections_migrating_at_once_both_succeed_and_apply_once() {
    let (_dir, path) = fresh_file();
    let threads = 4;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let path = path.clone();
            std::thread::spawn(move || {
                let db = NativeDb::open(&path).expect("open");
                barrier.wait();
                migrate(&db).map(|report| report.applied)
            })
        })
        .collect();
    let results: Vec<Vec<u32>> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic").expect("migrate succeeds"))
        .collect();

    let appliers = results.iter().filter(|applied| !applied.is_empty()).count();
    assert_eq!(
        appliers, 1,
        "exactly one connection applied the migrations: {results:?}"
    );
    let db = NativeDb::open(&path).expect("open");
    assert_eq!(
        count(&db, "SELECT count(*) FROM schema_migrations"),
        MIGRATIONS.len() as i64
    );
    assert_eq!(count(&db, "SELECT count(*) FROM app_meta"), 1);
}

#[test]
fn transaction_commits_on_ok_and_rolls_back_on_err() {
    let (_dir, path) = fresh_file();
    let (db, _) = NativeDb::open_migrated(&path).expect("migrate");

    let id = transaction(&db, |db| -> Result<i64, DbError> {
        db.execute("INSERT INTO app_meta VALUES ('a', '1')", &[])?;
        db.last_insert_id()
    })
    .expect("commit");
    assert!(id > 0);

    let failed: Result<(), DbError> = transaction(&db, |db| {
        db.execute("INSERT INTO app_meta VALUES ('b', '2')", &[])?;
        db.execute("INSERT INTO app_meta VALUES ('a', 'duplicate')", &[])
    });
    assert!(matches!(failed, Err(DbError::Constraint { .. })), "{failed:?}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM app_meta WHERE key IN ('a', 'b')"),
        1,
        "'b' was rolled back"
    );

    // The connection is usable again: no transaction was left open.
    transaction(&db, |db| db.execute("INSERT INTO app_meta VALUES ('c', '3')", &[])).expect("next transaction");
}

#[test]
fn a_held_write_lock_is_reported_as_busy() {
    let (_dir, path) = fresh_file();
    let (holder, _) = NativeDb::open_migrated(&path).expect("migrate");
    let waiter = NativeDb::open(&path).expect("open");
    waiter.execute("PRAGMA busy_timeout=0", &[]).expect("no waiting");

    holder.execute("BEGIN IMMEDIATE", &[]).expect("take the write lock");
    let result = transaction(&waiter, |db| db.execute("INSERT INTO app_meta VALUES ('x', 'y')", &[]));
    assert_eq!(result, Err(DbError::Busy));
    holder.execute("ROLLBACK", &[]).expect("release");
}

#[test]
fn a_migration_with_a_trigger_is_split_and_applied() {
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");
    let sql = "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);\n\
               CREATE TABLE audit (item_id INTEGER, note TEXT);\n\
               -- one row per insert; the body has two statements\n\
               CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN\n\
                 INSERT INTO audit VALUES (new.id, CASE WHEN new.n > 0 THEN 'pos;itive' ELSE 'other' END);\n\
                 INSERT INTO audit VALUES (new.id, 'second');\n\
               END;\n\
               INSERT INTO items (n) VALUES (5);";
    assert_eq!(split_statements(sql).len(), 4);

    migrate_with(&db, &[Migration::new(1, "0001_trigger.sql", sql)]).expect("migrate");
    assert_eq!(count(&db, "SELECT count(*) FROM audit"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE note = 'pos;itive'"), 1);
}

#[test]
fn the_first_migration_sets_wal_outside_the_transaction() {
    // Run directly: SQLite refuses to change journal_mode inside a transaction, so this only
    // passes because the runner lifts PRAGMA statements out of it.
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");
    let migrations = [Migration::new(
        1,
        "0001_wal.sql",
        "PRAGMA journal_mode=WAL;\nCREATE TABLE t (x);",
    )];
    migrate_with(&db, &migrations).expect("migrate");
    assert_eq!(
        db.query("PRAGMA journal_mode", &[]).expect("pragma").first_str(),
        Some("wal")
    );
    assert!(table_exists(&db, "t"));
}

/// The running totals summed naively (0011) as the parts 0012 keeps, for any i64 amounts:
/// `amount_hi * 10^9 + amount_lo` of every (pipeline, stage, ...) row equals the exact sum of its
/// deals' amounts, after the backfill and after inserts, updates and deletes through the
/// triggers, where 0011's single sum went REAL (or the board's SUM stopped) past i64.
#[test]
fn migration_0012_keeps_deal_totals_exact_for_any_i64_amounts() {
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");
    let before = MIGRATIONS.iter().position(|m| m.version == 12).expect("0012 exists");
    migrate_with(&db, &MIGRATIONS[..before]).expect("up to 0011");
    let insert = |amount: Option<i64>, currency: &str| {
        db.execute(
            "INSERT INTO deals (title, pipeline_id, stage, amount, currency, created_at, updated_at) \
             VALUES ('d', 1, 'NEW', ?, ?, 0, 0)",
            &[amount.into(), currency.into()],
        )
        .expect("insert a deal");
    };
    for amount in [i64::MAX, i64::MAX, i64::MIN, -5, 999_999_999, -999_999_999] {
        insert(Some(amount), "RUB");
    }
    insert(None, "RUB");
    insert(Some(i64::MAX), "USD");

    let exact = |db: &NativeDb| -> Vec<(String, i64, i128)> {
        let mut out = Vec::new();
        for row in db
            .query(
                "SELECT currency, COUNT(*) AS n FROM deals GROUP BY currency ORDER BY currency",
                &[],
            )
            .expect("deals")
            .iter()
        {
            let currency = row.str("currency").unwrap_or_default().to_string();
            let amounts = db
                .query(
                    "SELECT amount FROM deals WHERE currency = ?",
                    &[currency.as_str().into()],
                )
                .expect("amounts");
            let sum: i128 = amounts.iter().filter_map(|r| r.i64("amount")).map(i128::from).sum();
            out.push((currency, row.i64("n").unwrap_or_default(), sum));
        }
        out
    };
    let kept = |db: &NativeDb| -> Vec<(String, i64, i128)> {
        db.query(
            "SELECT currency, SUM(n) AS n, SUM(amount_hi) AS hi, SUM(amount_lo) AS lo FROM deal_board_totals \
             WHERE n > 0 GROUP BY currency ORDER BY currency",
            &[],
        )
        .expect("totals")
        .iter()
        .map(|r| {
            let hi = i128::from(r.i64("hi").expect("an integer"));
            let lo = i128::from(r.i64("lo").expect("an integer"));
            (
                r.str("currency").unwrap_or_default().to_string(),
                r.i64("n").unwrap_or_default(),
                hi * 1_000_000_000 + lo,
            )
        })
        .collect()
    };

    migrate(&db).expect("0012 and later");
    assert_eq!(kept(&db), exact(&db), "the backfill");
    assert_eq!(
        exact(&db)[0].2,
        2 * i128::from(i64::MAX) + i128::from(i64::MIN) - 5,
        "the RUB deals add up past i64"
    );

    insert(Some(i64::MAX), "RUB");
    insert(Some(i64::MIN), "USD");
    db.execute("UPDATE deals SET amount = ? WHERE amount = -5", &[i64::MIN.into()])
        .expect("update an amount");
    db.execute("UPDATE deals SET stage = 'WON' WHERE amount = 999999999", &[])
        .expect("move a deal");
    db.execute("UPDATE deals SET currency = 'USD' WHERE amount IS NULL", &[])
        .expect("change a currency");
    db.execute("DELETE FROM deals WHERE amount = -999999999", &[])
        .expect("delete a deal");
    assert_eq!(kept(&db), exact(&db), "after the triggers");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM deal_board_totals WHERE typeof(amount_hi) <> 'integer' OR typeof(amount_lo) <> 'integer'"
        ),
        0,
        "no part turned REAL"
    );
}

#[test]
fn the_build_fingerprint_is_the_fingerprint_of_the_embedded_migrations() {
    let recomputed = crm_core::fingerprint::schema_fingerprint(MIGRATIONS.iter().map(|m| (m.version, m.checksum())));
    assert_eq!(fingerprint(MIGRATIONS), recomputed);
    assert_ne!(recomputed, 0);
    // Another set (one file edited) has another fingerprint.
    let mut edited = MIGRATIONS.to_vec();
    edited[0] = Migration::new(1, MIGRATIONS[0].name, "-- another text");
    assert_ne!(fingerprint(&edited), recomputed);
}

#[test]
fn migration_0015_moves_search_rows_and_channels_into_the_record_row_and_triggers_keep_them() {
    let (_dir, path) = fresh_file();
    let db = NativeDb::open(&path).expect("open");
    let before = MIGRATIONS.iter().position(|m| m.version == 15).expect("0015 exists");
    migrate_with(&db, &MIGRATIONS[..before]).expect("up to 0014");
    // Two contacts as the engine wrote them before 0015: row, search row, channels.
    for (id, name, email) in [(1, "Anna", "anna@example.com"), (2, "Boris", "boris@example.com")] {
        db.execute(
            "INSERT INTO contacts (id, first_name, created_at, updated_at) VALUES (?, ?, 0, 0)",
            &[id.into(), name.into()],
        )
        .expect("contact");
        db.execute(
            "INSERT INTO contacts_search (rowid, body) VALUES (?, ?)",
            &[id.into(), format!("{name} {email}").into()],
        )
        .expect("search row");
        db.execute(
            "INSERT INTO record_channels (entity, record_id, kind, value) VALUES ('contact', ?, 'email', ?)",
            &[id.into(), email.into()],
        )
        .expect("channel");
    }
    migrate(&db).expect("0015 and later");
    let found = |q: &str| -> Vec<i64> {
        db.query(
            "SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? ORDER BY rowid",
            &[q.into()],
        )
        .expect("match")
        .iter()
        .filter_map(|r| r.i64("rowid"))
        .collect()
    };
    let channels = || count(&db, "SELECT COUNT(*) FROM record_channels WHERE entity = 'contact'");
    assert_eq!(found("anna"), [1], "the old search rows are the new index");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM contacts WHERE channel_keys = '[[\"email\",\"boris@example.com\"]]'"
        ),
        1,
        "the channels moved into the row"
    );

    db.execute(
        "INSERT INTO contacts (id, first_name, last_name, created_at, updated_at, created_by, search_body, channel_keys) \
         VALUES (3, 'Vera', '', 7, 7, NULL, 'Vera vera@example.com', '[[\"email\",\"vera@example.com\"]]')",
        &[],
    )
    .expect("a new contact");
    assert_eq!(found("vera"), [3], "indexed on insert");
    assert_eq!(channels(), 3, "its channel written on insert");
    assert_eq!(
        db.query(
            "SELECT payload FROM timeline WHERE entity = 'contact' AND record_id = 3 AND kind = 'created'",
            &[]
        )
        .expect("timeline")
        .first_str(),
        Some(r#"{"title":"Vera"}"#),
        "the created entry names the title, empty parts left out"
    );
    db.execute(
        "UPDATE contacts SET search_body = 'Anya anya@example.com', channel_keys = '[]' WHERE id = 1",
        &[],
    )
    .expect("an update");
    assert_eq!(found("anna"), Vec::<i64>::new(), "the old text is gone");
    assert_eq!(found("anya"), [1], "the new text is found");
    assert_eq!(channels(), 2, "the channels follow the row");
    db.execute("DELETE FROM contacts WHERE id = 2", &[]).expect("a delete");
    assert_eq!(found("boris"), Vec::<i64>::new(), "a deleted record leaves the index");
    assert_eq!(channels(), 1, "and its channels");
    db.execute(
        "INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')",
        &[],
    )
    .expect("the index agrees with the rows");
}
