//! What the native test binaries share: a fresh migrated SQLite file per test, users with a
//! role, field errors of a 422, counts and a client. (Each test binary uses its own subset.)
#![allow(dead_code)]

use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::{CoreError, Db};
use crm_sqlite::NativeDb;

/// A new database file with every migration applied (the dir deletes it when dropped).
pub fn fresh() -> (tempfile::TempDir, NativeDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("migrated db");
    (dir, db)
}

/// A user with the default role `role`, in `department`, as a caller.
pub fn user_in(db: &dyn Db, email: &str, role: &str, department: Option<i64>) -> Caller {
    db.execute(
        "INSERT INTO users (email, name, password_hash, department_id, created_at, updated_at) VALUES (?, ?, 'x', ?, 0, 0)",
        &[email.into(), email.into(), department.into()],
    )
    .expect("insert user");
    let id = db.last_insert_id().expect("id");
    db.execute(
        "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE code = ?",
        &[id.into(), role.into()],
    )
    .expect("assign role");
    Caller::load(db, id).expect("caller")
}

/// A user with the default role `role` and no department.
pub fn user(db: &dyn Db, email: &str, role: &str) -> Caller {
    user_in(db, email, role, None)
}

/// The (field, code) pairs of a 422; panics on anything else.
pub fn errors<T: std::fmt::Debug>(result: Result<T, CoreError>) -> Vec<(String, String)> {
    match result {
        Err(CoreError::Validation(e)) => e.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

/// The integer a `SELECT COUNT(*)` gives.
pub fn count(db: &dyn Db, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count").first_i64().expect("integer")
}

/// A client with no address.
pub fn client() -> ClientInfo {
    ClientInfo {
        ip: None,
        user_agent: None,
    }
}

/// A second deal pipeline, "Wholesale", made by `caller`: its id.
pub fn wholesale_pipeline(db: &dyn Db, caller: &Caller) -> i64 {
    crm_core::records::pipelines::create(
        db,
        caller,
        &serde_json::json!({"name": {"en": "Wholesale", "ru": "Опт"}}),
        &client(),
    )
    .expect("pipeline")["id"]
        .as_i64()
        .expect("id")
}

/// The ids of the deals a drill query (`filter[...]=...&...`) lists for `caller`, ascending.
pub fn drilled_deals(db: &dyn Db, caller: &Caller, drill: &str) -> Vec<i64> {
    use crm_core::records::list::{RecordQuery, list};
    let def = crm_core::records::EntityDef::load(db, "deal").expect("deal");
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(drill.as_bytes()).into_owned().collect();
    pairs.push(("limit".into(), "200".into()));
    let cx = crm_core::records::service::parse_context(db).expect("cx");
    let query = RecordQuery::parse(&def, &pairs, &cx).unwrap_or_else(|e| panic!("{drill}: {e:?}"));
    let page = list(db, caller, &def, &query).expect("list");
    let mut ids: Vec<i64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    ids.sort_unstable();
    ids
}
