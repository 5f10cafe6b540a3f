//! The planner statistics the migrations ship (sql/0034): complete for every table they cover,
//! loaded by a new connection to a new database, and steering the plans they were measured
//! for (a manager's board column reads the opened deals' own index, not every deal of a stage).

mod common;

use common::fresh;
use crm_core::Db;
use crm_sqlite::NativeDb;

/// `EXPLAIN QUERY PLAN` of `sql`, one detail line per step.
fn plan(db: &dyn Db, sql: &str) -> Vec<String> {
    db.query(&format!("EXPLAIN QUERY PLAN {sql}"), &[])
        .expect("a plan")
        .iter()
        .filter_map(|r| r.str("detail").map(str::to_string))
        .collect()
}

#[test]
fn every_index_of_a_table_with_statistics_has_its_row() {
    let (_dir, db) = fresh();
    let missing = db
        .query(
            "SELECT m.tbl_name, m.name FROM sqlite_master m \
             WHERE m.type = 'index' AND m.tbl_name IN (SELECT tbl FROM sqlite_stat1) \
             AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.tbl_name AND s.idx = m.name) \
             ORDER BY 1, 2",
            &[],
        )
        .expect("query");
    let missing: Vec<String> = missing
        .iter()
        .map(|r| {
            format!(
                "{}.{}",
                r.str("tbl_name").unwrap_or_default(),
                r.str("name").unwrap_or_default()
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "indexes without a planner statistics row (add one in the migration that makes them): {missing:?}"
    );
    let covered = db
        .query("SELECT count(DISTINCT tbl) AS n FROM sqlite_stat1", &[])
        .expect("query")
        .first_i64()
        .unwrap_or_default();
    assert!(covered >= 11, "the large tables have statistics ({covered})");
}

#[test]
fn a_new_connection_plans_a_managers_board_column_by_the_opened_deals_index() {
    let (dir, db) = fresh();
    drop(db);
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("a second connection");
    // The opened arm of a manager's column (records/list/plan.rs), filtered by currency.
    let opened = plan(
        &db,
        "SELECT t.id FROM deals t WHERE (t.opened = 1 AND (t.responsible_id IS NULL OR NOT t.responsible_id = 2)) \
         AND t.pipeline_id = 1 AND t.stage = 'NEW' AND t.currency = 'USD' ORDER BY t.id DESC LIMIT 21",
    );
    assert!(
        opened.iter().any(|step| step.contains("deals_opened_board")),
        "the opened deals' board index: {opened:?}"
    );
    // The own arm reads the manager's deals of the stage, not all of theirs in id order.
    let own = plan(
        &db,
        "SELECT t.id FROM deals t WHERE t.responsible_id = 2 AND t.pipeline_id = 1 AND t.stage = 'NEW' \
         AND t.currency = 'USD' ORDER BY t.id DESC LIMIT 21",
    );
    assert!(
        own.iter().any(|step| step.contains("deals_responsible_board")),
        "the manager's board index: {own:?}"
    );
}
