//! `Idempotency-Key` against a real SQLite file: one run per key, replays after, nothing kept
//! from a failed run, keys scoped per caller and endpoint, expiry, and the joined transaction
//! that makes "created" and "remembered" one commit.

use std::cell::Cell;

use crm_core::idempotency::{Outcome, StoredResponse, TTL, once};
use crm_core::{CoreError, Db, transaction};
use crm_sqlite::NativeDb;

fn db() -> (tempfile::TempDir, NativeDb) {
    let dir = tempfile::tempdir().expect("dir");
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("db");
    db.execute("CREATE TABLE made (id INTEGER PRIMARY KEY)", &[])
        .expect("table");
    (dir, db)
}

fn count(db: &NativeDb, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count").first_i64().expect("a number")
}

/// A run that creates one row and answers with its id; counts its calls.
fn make<'c>(calls: &'c Cell<u32>) -> impl FnOnce(&dyn Db) -> Result<StoredResponse, CoreError> + 'c {
    move |db| {
        calls.set(calls.get() + 1);
        db.execute("INSERT INTO made DEFAULT VALUES", &[])?;
        let id = db.last_insert_id()?;
        Ok(StoredResponse {
            status: 201,
            location: Some(format!("/made/{id}")),
            body: format!("{{\"id\":{id}}}"),
        })
    }
}

#[test]
fn a_repeated_key_replays_the_first_response_and_creates_nothing() {
    let (_dir, db) = db();
    let calls = Cell::new(0);
    let first = once(&db, "user:1 POST /made", "k-1", make(&calls)).expect("first");
    let again = once(&db, "user:1 POST /made", "k-1", make(&calls)).expect("again");
    let Outcome::Fresh(first) = first else {
        panic!("the first call runs")
    };
    assert_eq!(again, Outcome::Replayed(first));
    assert_eq!(calls.get(), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM made"), 1);
}

#[test]
fn keys_are_scoped_per_caller_and_endpoint() {
    let (_dir, db) = db();
    let calls = Cell::new(0);
    for scope in ["user:1 POST /made", "user:2 POST /made", "user:1 POST /other"] {
        assert!(
            matches!(once(&db, scope, "same", make(&calls)), Ok(Outcome::Fresh(_))),
            "{scope}"
        );
    }
    assert_eq!(count(&db, "SELECT count(*) FROM made"), 3);
}

#[test]
fn a_failed_run_keeps_nothing_and_its_retry_runs_again() {
    let (_dir, db) = db();
    let failing = |db: &dyn Db| -> Result<StoredResponse, CoreError> {
        db.execute("INSERT INTO made DEFAULT VALUES", &[])?;
        Err(CoreError::Conflict("no".into()))
    };
    assert_eq!(once(&db, "s", "k", failing), Err(CoreError::Conflict("no".into())));
    assert_eq!(count(&db, "SELECT count(*) FROM made"), 0, "rolled back with the key");
    assert_eq!(count(&db, "SELECT count(*) FROM idempotency_keys"), 0);
    let calls = Cell::new(0);
    assert!(matches!(once(&db, "s", "k", make(&calls)), Ok(Outcome::Fresh(_))));
}

#[test]
fn a_key_older_than_a_day_runs_again() {
    let (_dir, db) = db();
    let calls = Cell::new(0);
    once(&db, "s", "k", make(&calls)).expect("first");
    db.execute(
        "UPDATE idempotency_keys SET created_at = created_at - ?",
        &[(TTL + 1).into()],
    )
    .expect("age");
    assert!(matches!(once(&db, "s", "k", make(&calls)), Ok(Outcome::Fresh(_))));
    assert_eq!(calls.get(), 2);
    assert_eq!(
        count(&db, "SELECT count(*) FROM idempotency_keys"),
        1,
        "the stale entry is replaced"
    );
}

#[test]
fn malformed_keys_are_bad_requests() {
    let (_dir, db) = db();
    for key in ["", "has space", "tab\t", &"x".repeat(256), "ключ"] {
        let calls = Cell::new(0);
        assert!(
            matches!(once(&db, "s", key, make(&calls)), Err(CoreError::BadRequest(_))),
            "{key:?}"
        );
        assert_eq!(calls.get(), 0);
    }
}

#[test]
fn an_inner_transaction_joins_the_outer_one() {
    let (_dir, db) = db();
    let result: Result<(), CoreError> = transaction(&db, |db| {
        transaction(db, |db| {
            db.execute("INSERT INTO made DEFAULT VALUES", &[])
                .map_err(CoreError::from)
        })?;
        Err(CoreError::Conflict("outer fails".into()))
    });
    assert!(result.is_err());
    assert_eq!(
        count(&db, "SELECT count(*) FROM made"),
        0,
        "the inner write went with the outer rollback"
    );
    transaction(&db, |db| {
        transaction(db, |db| db.execute("INSERT INTO made DEFAULT VALUES", &[]))
    })
    .expect("commit");
    assert_eq!(count(&db, "SELECT count(*) FROM made"), 1);
}
