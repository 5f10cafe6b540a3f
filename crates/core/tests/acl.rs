//! Access control against a real SQLite file: a seeded department tree, users under each of
//! the default roles (one through its department), and a `things` table standing in for an
//! entity. Lists filtered in SQL, record checks (404 for invisible, 403 for visible but not
//! allowed) and stage moves must agree with what each role's matrix says.

use crm_core::acl::{AclColumns, Action, Caller, Entity, Level, Permissions, RecordAcl};
use crm_core::{CoreError, Db, Value};
use crm_sqlite::NativeDb;
use serde_json::json;

const COLUMNS: AclColumns = AclColumns {
    responsible: "things.responsible_id",
    opened: Some("things.opened"),
    stage: Some("things.stage"),
};

// Departments: A (1) > A1 (2) > A2 (3), and B (4).
const A: i64 = 1;
const A1: i64 = 2;
const A2: i64 = 3;
const B: i64 = 4;

// Users, by id.
const ADMIN: i64 = 1;
const DIRECTOR: i64 = 2;
const HEAD: i64 = 3;
const MANAGER: i64 = 4;
const IN_A: i64 = 5;
const IN_A2: i64 = 6;
const IN_B: i64 = 7;
const INACTIVE: i64 = 8;

fn role_id(db: &dyn Db, code: &str) -> i64 {
    db.query("SELECT id FROM roles WHERE code = ?", &[code.into()])
        .expect("role")
        .first_i64()
        .expect("seeded role")
}

fn exec(db: &dyn Db, sql: &str, params: &[Value]) {
    db.execute(sql, params).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The tree, the users (with direct roles, and B's department role), and the things:
/// `(id, responsible, opened, stage)`.
fn seed() -> (tempfile::TempDir, NativeDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("migrated db");
    for (id, name, parent) in [
        (A, "A", None),
        (A1, "A1", Some(A)),
        (A2, "A2", Some(A1)),
        (B, "B", None),
    ] {
        exec(
            &db,
            "INSERT INTO departments (id, name, parent_id, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
            &[id.into(), name.into(), parent.into()],
        );
    }
    let users: [(i64, Option<i64>, Option<&str>, bool); 8] = [
        (ADMIN, None, Some("administrator"), true),
        (DIRECTOR, Some(B), Some("director"), true),
        (HEAD, Some(A1), Some("head"), true),
        (MANAGER, Some(A1), Some("manager"), true),
        (IN_A, Some(A), Some("manager"), true),
        (IN_A2, Some(A2), Some("manager"), true),
        (IN_B, Some(B), None, true),
        (INACTIVE, Some(A), Some("administrator"), false),
    ];
    for (id, department, role, active) in users {
        exec(
            &db,
            "INSERT INTO users (id, email, name, password_hash, active, department_id, created_at, updated_at) \
             VALUES (?, ?, ?, 'x', ?, ?, 0, 0)",
            &[
                id.into(),
                format!("u{id}@example.com").into(),
                format!("User {id}").into(),
                active.into(),
                department.into(),
            ],
        );
        if let Some(role) = role {
            exec(
                &db,
                "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
                &[id.into(), role_id(&db, role).into()],
            );
        }
    }
    exec(
        &db,
        "INSERT INTO department_roles (department_id, role_id) VALUES (?, ?)",
        &[B.into(), role_id(&db, "manager").into()],
    );
    exec(
        &db,
        "CREATE TABLE things (id INTEGER PRIMARY KEY, responsible_id INTEGER, opened INTEGER NOT NULL, stage TEXT)",
        &[],
    );
    for (id, responsible, opened, stage) in things() {
        exec(
            &db,
            "INSERT INTO things (id, responsible_id, opened, stage) VALUES (?, ?, ?, ?)",
            &[id.into(), responsible.into(), opened.into(), stage.into()],
        );
    }
    (dir, db)
}

fn things() -> [(i64, i64, bool, &'static str); 8] {
    [
        (1, ADMIN, false, "NEW"),
        (2, IN_A, false, "WON"),
        (3, MANAGER, false, "NEW"),
        (4, HEAD, false, "WON"),
        (5, IN_A2, false, "NEW"),
        (6, IN_B, false, "WON"),
        (7, IN_A2, true, "NEW"),
        (8, DIRECTOR, false, "WON"),
    ]
}

fn visible_ids(db: &dyn Db, caller: &Caller, entity: Entity) -> Vec<i64> {
    let filter = caller.list_filter(entity, &COLUMNS);
    db.query(
        &format!("SELECT id FROM things WHERE {} ORDER BY id", filter.sql),
        &filter.params,
    )
    .expect("filtered list")
    .iter()
    .filter_map(|r| r.i64("id"))
    .collect()
}

fn record_acl(db: &dyn Db, id: i64) -> RecordAcl {
    let rows = db
        .query(
            "SELECT t.responsible_id, u.department_id, t.opened, t.stage FROM things t \
             LEFT JOIN users u ON u.id = t.responsible_id WHERE t.id = ?",
            &[id.into()],
        )
        .expect("thing");
    let row = rows.first().expect("a thing");
    RecordAcl {
        responsible_id: row.i64("responsible_id"),
        responsible_department_id: row.i64("department_id"),
        opened: row.i64("opened") == Some(1),
        stage: row.str("stage").map(str::to_owned),
    }
}

fn with_permissions(mut caller: Caller, permissions: Permissions) -> Caller {
    caller.permissions = permissions;
    caller
}

#[test]
fn each_role_sees_and_changes_exactly_its_rows() {
    let (_dir, db) = seed();
    let load = |id| Caller::load(&db, id).expect("active user");
    let mut department_level = Permissions::none();
    for action in [Action::Read, Action::Update] {
        department_level.set(Entity::Lead, action, Level::Department);
    }
    let cases: Vec<(&str, Caller, Vec<i64>, Vec<i64>)> = vec![
        ("administrator", load(ADMIN), (1..=8).collect(), (1..=8).collect()),
        ("director", load(DIRECTOR), (1..=8).collect(), (1..=8).collect()),
        ("head (A1 and below)", load(HEAD), vec![3, 4, 5, 7], vec![3, 4, 5, 7]),
        ("manager (own, plus opened to read)", load(MANAGER), vec![3, 7], vec![3]),
        ("manager through department B's role", load(IN_B), vec![6, 7], vec![6]),
        (
            "department level (A1 only)",
            with_permissions(load(HEAD), department_level),
            vec![3, 4, 7],
            vec![3, 4],
        ),
        (
            "no permissions",
            with_permissions(load(MANAGER), Permissions::none()),
            vec![],
            vec![],
        ),
    ];
    for (name, caller, visible, updatable) in &cases {
        assert_eq!(&visible_ids(&db, caller, Entity::Lead), visible, "{name}: list");
        for (id, ..) in things() {
            let record = record_acl(&db, id);
            let read = caller.check_record(Entity::Lead, Action::Read, &record);
            let update = caller.check_record(Entity::Lead, Action::Update, &record);
            if visible.contains(&id) {
                assert_eq!(read, Ok(()), "{name}: read thing {id}");
                let expected = if updatable.contains(&id) {
                    Ok(())
                } else {
                    Err(CoreError::Forbidden)
                };
                assert_eq!(update, expected, "{name}: update thing {id}");
            } else {
                assert_eq!(read, Err(CoreError::NotFound), "{name}: read thing {id}");
                assert_eq!(update, Err(CoreError::NotFound), "{name}: update thing {id}");
            }
        }
    }
    assert_eq!(load(MANAGER).roles, ["manager"], "role codes of the caller");
    assert_eq!(load(IN_B).roles, ["manager"], "the department's role counts");
}

#[test]
fn a_manager_reads_an_opened_deal_of_someone_else_but_may_not_change_or_delete_it() {
    let (_dir, db) = seed();
    let manager = Caller::load(&db, MANAGER).expect("manager");
    let opened = record_acl(&db, 7);
    assert_eq!(manager.check_record(Entity::Deal, Action::Read, &opened), Ok(()));
    assert_eq!(
        manager.check_record(Entity::Deal, Action::Update, &opened),
        Err(CoreError::Forbidden)
    );
    let own = record_acl(&db, 3);
    assert_eq!(manager.check_record(Entity::Deal, Action::Update, &own), Ok(()));
    assert_eq!(
        manager.check_record(Entity::Deal, Action::Delete, &own),
        Err(CoreError::Forbidden),
        "the manager role may not delete deals at all"
    );
}

#[test]
fn only_roles_allowed_to_may_move_a_deal_into_won() {
    let (_dir, db) = seed();
    let manager = Caller::load(&db, MANAGER).expect("manager");
    let director = Caller::load(&db, DIRECTOR).expect("director");
    assert_eq!(
        manager.check_move(Entity::Deal, "WON"),
        Err(CoreError::ForbiddenBecause(
            "your role may not put a deal into WON".into()
        ))
    );
    assert_eq!(manager.check_move(Entity::Deal, "EXECUTING"), Ok(()));
    assert_eq!(director.check_move(Entity::Deal, "WON"), Ok(()));
}

#[test]
fn a_stage_read_limit_hides_rows_in_other_stages() {
    let (_dir, db) = seed();
    let limited = Permissions::from_value(
        &json!({"entities": {"deal": {"read": "all"}}, "stages": {"deal": {"read": ["NEW"]}}}),
        "permissions",
    )
    .expect("valid matrix");
    let caller = with_permissions(Caller::load(&db, ADMIN).expect("admin"), limited);
    assert_eq!(visible_ids(&db, &caller, Entity::Deal), [1, 3, 5, 7]);
    assert_eq!(
        caller.check_record(Entity::Deal, Action::Read, &record_acl(&db, 2)),
        Err(CoreError::NotFound)
    );
}

#[test]
fn inactive_and_unknown_users_are_unauthorized() {
    let (_dir, db) = seed();
    assert_eq!(Caller::load(&db, INACTIVE), Err(CoreError::Unauthorized));
    assert_eq!(Caller::load(&db, 999), Err(CoreError::Unauthorized));
    let head = Caller::load(&db, HEAD).expect("head");
    assert_eq!(head.subtree, [A1, A2]);
    assert_eq!(head.department_id, Some(A1));
}
