//! The directory (users, departments, roles, audit log) against real SQLite files: records,
//! merge-patches with `If-Match`, the errors each rule gives, pagination, and the audit rows
//! every change writes (and a refused one does not).

use crm_core::acl::{Action, Caller, Entity, Level, Permissions};
use crm_core::audit::ClientInfo;
use crm_core::directory::{audit_log, departments, roles, users};
use crm_core::resource::ListQuery;
use crm_core::{CoreError, Db};
use crm_sqlite::NativeDb;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn fresh() -> (tempfile::TempDir, NativeDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("migrated db");
    (dir, db)
}

fn count(db: &dyn Db, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count").first_i64().expect("an integer")
}

fn role_id(db: &dyn Db, code: &str) -> i64 {
    db.query("SELECT id FROM roles WHERE code = ?", &[code.into()])
        .expect("role")
        .first_i64()
        .expect("seeded role")
}

/// Inserts a user directly (no hashing) and gives them the role `role`.
fn insert_user(db: &dyn Db, email: &str, role: Option<&str>) -> i64 {
    db.execute(
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 0, 0)",
        &[email.into(), email.into()],
    )
    .expect("insert user");
    let id = db.last_insert_id().expect("id");
    if let Some(role) = role {
        db.execute(
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
            &[id.into(), role_id(db, role).into()],
        )
        .expect("assign role");
    }
    id
}

fn admin(db: &dyn Db) -> Caller {
    let id = insert_user(db, "admin@example.com", Some("administrator"));
    Caller::load(db, id).expect("admin caller")
}

fn client() -> ClientInfo {
    ClientInfo {
        ip: Some("192.0.2.1".into()),
        user_agent: None,
    }
}

fn query(pairs: &[(&str, &str)], allowed: &[&str]) -> Result<ListQuery, CoreError> {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ListQuery::parse(&pairs, allowed)
}

fn audit_count(db: &dyn Db) -> i64 {
    count(db, "SELECT count(*) FROM audit_log")
}

fn field_errors(result: Result<Value, CoreError>) -> Vec<(String, String)> {
    match result {
        Err(CoreError::Validation(errors)) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn users_are_created_read_patched_and_deactivated_with_if_match() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let manager = role_id(&db, "manager");
    let created = users::create(
        &db,
        &admin,
        &json!({"email": " Ann@Example.COM ", "name": "Ann", "password": PASSWORD, "role_ids": [manager],
                "language": "ru", "time_zone": "Europe/Moscow", "position": "Sales"}),
        &client(),
    )
    .expect("created");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["email"], "ann@example.com");
    assert_eq!(created["active"], true);
    assert_eq!(created["role_ids"], json!([manager]));
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_by"], admin.user_id);
    assert!(created["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    let hash: String = db
        .query("SELECT password_hash FROM users WHERE id = ?", &[id.into()])
        .expect("hash")
        .first_str()
        .expect("text")
        .into();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
    assert_eq!(users::get(&db, &admin, id).expect("get"), created);

    let patched = users::update(
        &db,
        &admin,
        id,
        &json!({"name": "Ann Smith", "position": null, "password": "another long secret"}),
        Some(1),
        &client(),
    )
    .expect("patched");
    assert_eq!(patched["name"], "Ann Smith");
    assert_eq!(patched["position"], Value::Null);
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["updated_by"], admin.user_id);
    let stale = users::update(&db, &admin, id, &json!({"name": "Late"}), Some(1), &client());
    assert_eq!(stale, Err(CoreError::Stale));
    assert_eq!(
        users::deactivate(&db, &admin, id, Some(1), &client()),
        Err(CoreError::Stale)
    );
    users::deactivate(&db, &admin, id, Some(2), &client()).expect("deactivated");
    let after = users::get(&db, &admin, id).expect("still there");
    assert_eq!(after["active"], false);
    assert_eq!(after["version"], 3);
    assert_eq!(Caller::load(&db, id), Err(CoreError::Unauthorized));
    assert_eq!(users::get(&db, &admin, 9_999), Err(CoreError::NotFound));
    assert!(matches!(
        users::deactivate(&db, &admin, admin.user_id, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        users::update(&db, &admin, admin.user_id, &json!({"active": false}), None, &client()),
        Err(CoreError::Conflict(_))
    ));

    let actions: Vec<(String, Value)> = db
        .query("SELECT action, details FROM audit_log ORDER BY id", &[])
        .expect("audit")
        .iter()
        .map(|r| {
            (
                r.str("action").unwrap_or_default().to_string(),
                serde_json::from_str(r.str("details").unwrap_or("null")).expect("details json"),
            )
        })
        .collect();
    assert_eq!(
        actions.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        ["user.created", "user.updated", "user.deactivated"]
    );
    assert_eq!(actions[1].1["fields"], json!(["name", "password", "position"]));
    let all_details = actions.iter().map(|(_, d)| d.to_string()).collect::<String>();
    assert!(!all_details.contains(PASSWORD) && !all_details.contains("another long secret"));
}

#[test]
fn role_changes_are_audited_with_the_new_role_ids() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let id = insert_user(&db, "bob@example.com", Some("manager"));
    let head = role_id(&db, "head");
    let patched = users::update(&db, &admin, id, &json!({"role_ids": [head]}), None, &client()).expect("patched");
    assert_eq!(patched["role_ids"], json!([head]));
    let details = db
        .query("SELECT details FROM audit_log WHERE action = 'user.updated'", &[])
        .expect("audit")
        .first_str()
        .map(|d| serde_json::from_str::<Value>(d).expect("json"))
        .expect("one row");
    assert_eq!(details["role_ids"], json!([head]));
    let deactivated = users::update(&db, &admin, id, &json!({"active": false}), None, &client()).expect("patch");
    assert_eq!(deactivated["active"], false);
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit_log WHERE action = 'user.deactivated'"),
        1
    );
}

#[test]
fn bad_user_input_is_422_naming_the_field_and_writes_nothing() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let before = (count(&db, "SELECT count(*) FROM users"), audit_count(&db));
    let cases: &[(Value, &str, &str)] = &[
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "colour": "red"}),
            "colour",
            "unknown_field",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "active": "yes"}),
            "active",
            "invalid_type",
        ),
        (
            json!({"email": "not-an-email", "name": "A", "password": PASSWORD}),
            "email",
            "invalid_email",
        ),
        (
            json!({"email": "a@example.com", "name": "", "password": PASSWORD}),
            "name",
            "required",
        ),
        (json!({"email": "a@example.com", "name": "A"}), "password", "required"),
        (
            json!({"email": "a@example.com", "name": "A", "password": "short"}),
            "password",
            "password_too_short",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "language": "de"}),
            "language",
            "invalid_choice",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "time_zone": "Moscow time"}),
            "time_zone",
            "invalid_time_zone",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "department_id": 77}),
            "department_id",
            "not_found",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": PASSWORD, "role_ids": [1, 99]}),
            "role_ids[1]",
            "not_found",
        ),
        (json!({"name": "A", "password": PASSWORD}), "email", "required"),
    ];
    for (body, field, code) in cases {
        let errors = field_errors(users::create(&db, &admin, body, &client()));
        assert!(
            errors.contains(&(field.to_string(), code.to_string())),
            "{body}: expected {field}/{code}, got {errors:?}"
        );
    }
    let id = insert_user(&db, "carol@example.com", None);
    let errors = field_errors(users::update(
        &db,
        &admin,
        id,
        &json!({"password_hash": "x"}),
        None,
        &client(),
    ));
    assert_eq!(errors, [("password_hash".to_string(), "unknown_field".to_string())]);
    assert_eq!(
        (count(&db, "SELECT count(*) FROM users") - 1, audit_count(&db)),
        before,
        "a refused request writes nothing"
    );
}

#[test]
fn duplicate_emails_conflict_regardless_of_case() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let body = json!({"email": "dan@example.com", "name": "Dan", "password": PASSWORD});
    users::create(&db, &admin, &body, &client()).expect("first");
    let audits = audit_count(&db);
    let again = json!({"email": "DAN@Example.com", "name": "Dan 2", "password": PASSWORD});
    assert_eq!(
        users::create(&db, &admin, &again, &client()),
        Err(CoreError::Conflict("a user with this email exists".into()))
    );
    let other = insert_user(&db, "eve@example.com", None);
    assert!(matches!(
        users::update(
            &db,
            &admin,
            other,
            &json!({"email": "Dan@example.com"}),
            None,
            &client()
        ),
        Err(CoreError::Conflict(_))
    ));
    assert_eq!(audit_count(&db), audits);
}

#[test]
fn users_page_through_a_cursor() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    for i in 0..6 {
        insert_user(&db, &format!("user{i}@example.com"), None);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut pairs = vec![("limit", "3".to_string())];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.clone()));
        }
        let pairs: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let q = ListQuery::parse(&pairs, users::FILTERS).expect("query");
        let page = users::list(&db, &admin, &q).expect("page");
        pages += 1;
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|u| u["id"].as_i64().expect("id")));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "7 users in pages of 3");
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
    let filtered = users::list(
        &db,
        &admin,
        &query(&[("filter[email]", "USER3@example.com")], users::FILTERS).expect("query"),
    )
    .expect("filtered");
    assert_eq!(filtered.items.len(), 1);
    assert_eq!(filtered.next_cursor, None);
}

#[test]
fn list_query_errors_are_bad_requests() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    for pairs in [
        &[("filter[password_hash]", "x")][..],
        &[("limit", "0")][..],
        &[("cursor", "not a cursor")][..],
        &[("order", "id")][..],
    ] {
        assert!(
            matches!(query(pairs, users::FILTERS), Err(CoreError::BadRequest(_))),
            "{pairs:?}"
        );
    }
    let q = query(&[("filter[active]", "maybe")], users::FILTERS).expect("parses");
    assert!(matches!(users::list(&db, &admin, &q), Err(CoreError::BadRequest(_))));
}

#[test]
fn a_manager_is_forbidden_everywhere_in_the_directory() {
    let (_dir, db) = fresh();
    let _admin = admin(&db);
    let id = insert_user(&db, "mia@example.com", Some("manager"));
    let manager = Caller::load(&db, id).expect("manager");
    let q = ListQuery::default();
    assert_eq!(users::list(&db, &manager, &q).err(), Some(CoreError::Forbidden));
    assert_eq!(users::get(&db, &manager, id).err(), Some(CoreError::Forbidden));
    let body = json!({"email": "x@example.com", "name": "X", "password": PASSWORD});
    assert_eq!(
        users::create(&db, &manager, &body, &client()).err(),
        Some(CoreError::Forbidden)
    );
    assert_eq!(
        users::update(&db, &manager, id, &json!({"name": "M"}), None, &client()).err(),
        Some(CoreError::Forbidden)
    );
    assert_eq!(
        users::deactivate(&db, &manager, 1, None, &client()).err(),
        Some(CoreError::Forbidden)
    );
    assert_eq!(departments::list(&db, &manager, &q).err(), Some(CoreError::Forbidden));
    assert_eq!(roles::list(&db, &manager, &q).err(), Some(CoreError::Forbidden));
    assert_eq!(audit_log::list(&db, &manager, &q).err(), Some(CoreError::Forbidden));

    let mut read_only = Permissions::none();
    read_only.set(Entity::Settings, Action::Read, Level::All);
    let reader = Caller {
        user_id: id,
        department_id: None,
        subtree: Vec::new(),
        permissions: read_only,
        roles: Vec::new(),
        credentials_epoch: 0,
        workspace: None,
    };
    assert!(users::get(&db, &reader, id).is_ok());
    assert_eq!(
        roles::create(&db, &reader, &json!({"code": "x1", "name": "X"}), &client()).err(),
        Some(CoreError::Forbidden)
    );
}

#[test]
fn departments_form_a_tree_without_cycles_and_delete_only_when_empty() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let sales = departments::create(&db, &admin, &json!({"name": "Sales"}), &client()).expect("sales");
    let sales_id = sales["id"].as_i64().expect("id");
    assert_eq!(sales["parent_id"], Value::Null);
    assert_eq!(sales["sort"], 100);
    let north = departments::create(
        &db,
        &admin,
        &json!({"name": "North", "parent_id": sales_id, "head_user_id": admin.user_id, "role_ids": [role_id(&db, "manager")]}),
        &client(),
    )
    .expect("north");
    let north_id = north["id"].as_i64().expect("id");
    let city =
        departments::create(&db, &admin, &json!({"name": "City", "parent_id": north_id}), &client()).expect("city");
    let city_id = city["id"].as_i64().expect("id");

    let audits = audit_count(&db);
    for parent in [sales_id, north_id, city_id] {
        let errors = field_errors(departments::update(
            &db,
            &admin,
            sales_id,
            &json!({"parent_id": parent}),
            None,
            &client(),
        ));
        assert_eq!(
            errors,
            [("parent_id".to_string(), "cycle".to_string())],
            "parent {parent}"
        );
    }
    let errors = field_errors(departments::create(
        &db,
        &admin,
        &json!({"name": "X", "parent_id": 999}),
        &client(),
    ));
    assert_eq!(errors, [("parent_id".to_string(), "not_found".to_string())]);
    let errors = field_errors(departments::create(
        &db,
        &admin,
        &json!({"name": "x".repeat(201)}),
        &client(),
    ));
    assert_eq!(errors, [("name".to_string(), "too_long".to_string())]);
    assert_eq!(audit_count(&db), audits, "refused changes are not audited");

    assert!(matches!(
        departments::delete(&db, &admin, north_id, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    db.execute(
        "UPDATE users SET department_id = ? WHERE id = ?",
        &[city_id.into(), admin.user_id.into()],
    )
    .expect("move admin");
    assert!(matches!(
        departments::delete(&db, &admin, city_id, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    db.execute("UPDATE users SET department_id = NULL", &[])
        .expect("move back");

    let moved = departments::update(
        &db,
        &admin,
        city_id,
        &json!({"parent_id": null, "sort": 5}),
        Some(1),
        &client(),
    )
    .expect("moved to the top");
    assert_eq!(moved["parent_id"], Value::Null);
    assert_eq!(moved["version"], 2);
    assert_eq!(
        departments::delete(&db, &admin, city_id, Some(1), &client()),
        Err(CoreError::Stale)
    );
    departments::delete(&db, &admin, city_id, Some(2), &client()).expect("deleted");
    assert_eq!(departments::get(&db, &admin, city_id), Err(CoreError::NotFound));
    let got = departments::get(&db, &admin, north_id).expect("north");
    assert_eq!(got["role_ids"], json!([role_id(&db, "manager")]));
    let actions: Vec<String> = db
        .query(
            "SELECT action FROM audit_log WHERE target_type = 'department' ORDER BY id",
            &[],
        )
        .expect("audit")
        .iter()
        .map(|r| r.str("action").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "department.created",
            "department.created",
            "department.created",
            "department.updated",
            "department.deleted"
        ]
    );
}

#[test]
fn roles_validate_their_matrix_and_protect_system_roles() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let audits = audit_count(&db);
    let bad = json!({"code": "sales", "name": "Sales", "permissions": {"entities": {"lead": {"read": "everything"}}}});
    let errors = field_errors(roles::create(&db, &admin, &bad, &client()));
    assert_eq!(
        errors,
        [(
            "permissions.entities.lead.read".to_string(),
            "unknown_level".to_string()
        )]
    );
    let errors = field_errors(roles::create(
        &db,
        &admin,
        &json!({"code": "Sales!", "name": "S"}),
        &client(),
    ));
    assert_eq!(errors, [("code".to_string(), "invalid_code".to_string())]);
    assert_eq!(audit_count(&db), audits);

    let good = json!({"code": "sales", "name": "Sales", "permissions": {"entities": {"lead": {"read": "all"}}}});
    let role = roles::create(&db, &admin, &good, &client()).expect("created");
    let id = role["id"].as_i64().expect("id");
    assert_eq!(role["is_system"], false);
    assert_eq!(role["permissions"]["entities"]["lead"]["read"], "all");
    assert_eq!(role["permissions"]["entities"]["deal"]["read"], "none");
    assert!(matches!(
        roles::create(&db, &admin, &json!({"code": "sales", "name": "Again"}), &client()),
        Err(CoreError::Conflict(_))
    ));

    let changed = roles::update(
        &db,
        &admin,
        id,
        &json!({"permissions": {"entities": {"lead": {"read": "own"}}}}),
        Some(1),
        &client(),
    )
    .expect("matrix changed");
    assert_eq!(changed["permissions"]["entities"]["lead"]["read"], "own");
    let details: Value = serde_json::from_str(
        db.query("SELECT details FROM audit_log WHERE action = 'role.updated'", &[])
            .expect("audit")
            .first_str()
            .expect("a row"),
    )
    .expect("json");
    assert_eq!(details["old_permissions"]["entities"]["lead"]["read"], "all");
    assert_eq!(details["new_permissions"]["entities"]["lead"]["read"], "own");

    let user = insert_user(&db, "sam@example.com", None);
    db.execute(
        "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
        &[user.into(), id.into()],
    )
    .expect("assign");
    assert!(matches!(
        roles::delete(&db, &admin, id, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    db.execute("DELETE FROM user_roles WHERE role_id = ?", &[id.into()])
        .expect("unassign");
    roles::delete(&db, &admin, id, Some(2), &client()).expect("deleted");

    let manager = role_id(&db, "manager");
    assert!(matches!(
        roles::delete(&db, &admin, manager, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    let errors = field_errors(roles::update(
        &db,
        &admin,
        manager,
        &json!({"code": "seller"}),
        None,
        &client(),
    ));
    assert_eq!(errors, [("code".to_string(), "system_role".to_string())]);
    let renamed = roles::update(
        &db,
        &admin,
        manager,
        &json!({"name": "Seller", "code": "manager"}),
        None,
        &client(),
    )
    .expect("renamed");
    assert_eq!(renamed["name"], "Seller");
    assert_eq!(renamed["is_system"], true);
    let listed = roles::list(&db, &admin, &ListQuery::default()).expect("list");
    assert_eq!(listed.items.len(), 4);
}

#[test]
fn the_audit_log_lists_newest_first_with_filters_and_a_cursor() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    for name in ["One", "Two", "Three"] {
        departments::create(&db, &admin, &json!({"name": name}), &client()).expect("department");
    }
    let id = insert_user(&db, "zed@example.com", None);
    users::update(&db, &admin, id, &json!({"name": "Zed"}), None, &client()).expect("user");
    let all = audit_log::list(&db, &admin, &ListQuery::default()).expect("all");
    let ids: Vec<i64> = all.items.iter().map(|i| i["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    assert_eq!(all.items[0]["action"], "user.updated");
    assert_eq!(all.items[0]["actor_user_id"], admin.user_id);
    assert_eq!(all.items[0]["ip"], "192.0.2.1");
    assert_eq!(all.items[0]["details"]["fields"], json!(["name"]));

    let first = audit_log::list(
        &db,
        &admin,
        &query(
            &[("filter[target_type]", "department"), ("limit", "2")],
            audit_log::FILTERS,
        )
        .expect("q"),
    )
    .expect("page 1");
    assert_eq!(
        first.items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        [json!(3), json!(2)]
    );
    let cursor = first.next_cursor.expect("more");
    let second = audit_log::list(
        &db,
        &admin,
        &query(
            &[
                ("filter[target_type]", "department"),
                ("limit", "2"),
                ("cursor", &cursor),
            ],
            audit_log::FILTERS,
        )
        .expect("q"),
    )
    .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0]["action"], "department.created");
    assert_eq!(second.next_cursor, None);
    let by_action = audit_log::list(
        &db,
        &admin,
        &query(
            &[("filter[action]", "user.updated"), ("filter[actor_user_id]", "1")],
            audit_log::FILTERS,
        )
        .expect("q"),
    )
    .expect("by action");
    assert_eq!(by_action.items.len(), 1);
}
