//! Sabotage: a broken database gives an opaque problem, never a hang, a panic or a leak.

use crate::helpers::{assert_problem, spawn_app, spawn_app_with_state};

#[test]
fn a_corrupt_database_file_gives_an_opaque_503() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("sqlite_db.db"), vec![0x5a; 8192]).unwrap();
    let app = spawn_app_with_state(state);
    let body = assert_problem(app.get("/api/health"), 503);
    let text = body.to_string();
    assert!(
        !text.contains("not a database") && !text.contains("sqlite"),
        "the cause stays in the log: {text}"
    );
    assert_eq!(app.get("/").status(), 200, "the rest of the app keeps serving");
}

#[test]
fn a_database_path_that_is_a_directory_gives_503() {
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(state.path().join("sqlite_db.db")).unwrap();
    let app = spawn_app_with_state(state);
    assert_problem(app.get("/api/health"), 503);
}

#[test]
fn a_migration_changed_after_it_was_applied_is_refused() {
    let app = spawn_app();
    assert_eq!(app.get("/api/health").status(), 200);
    // A request compares one integer, the schema's fingerprint (`PRAGMA user_version`): the
    // ledger is read, and the files' checksums checked, when it differs, as it does for a
    // database another build migrated.
    app.db()
        .execute(
            "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1",
            [],
        )
        .unwrap();
    app.db().execute_batch("PRAGMA user_version = 1").unwrap();
    let body = assert_problem(app.get("/api/health"), 503);
    assert!(!body.to_string().contains("0001"), "opaque: {body}");
    app.db()
        .execute("DELETE FROM schema_migrations WHERE version = 1", [])
        .unwrap();
    app.db().execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '0999_future.sql', 'x', 'now')", []).unwrap();
    app.db().execute_batch("PRAGMA user_version = 999").unwrap();
    assert_problem(app.get("/api/health"), 503);
}
