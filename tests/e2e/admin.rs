//! Users, departments, roles and the audit log through the real components, and the
//! settings permission of each default role.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

/// For each default role: which settings requests (read, add, update, delete) pass (2xx) and
/// which are refused (403). Record-level levels (own, department, ...) need record entities;
/// they are covered natively in `crates/core/tests/acl.rs` until the first entity lands.
#[test]
fn each_default_role_gets_exactly_its_settings_permissions() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let cases = [
        ("director", false),
        ("head", false),
        ("manager", false),
        ("administrator", true),
    ];
    for (role, allowed) in cases {
        let email = format!("{role}@example.com");
        let id = app.create_user(&admin, &email, &[role], None);
        let who = app.login(&email, PASSWORD);
        assert_eq!(
            app.send(Method::GET, "/api/me", &who, None).status(),
            200,
            "{role} reads itself"
        );
        let requests: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, "/api/users".into(), None),
            (Method::GET, format!("/api/users/{id}"), None),
            (
                Method::POST,
                "/api/departments".into(),
                Some(json!({"name": format!("Dept of {role}")})),
            ),
            (
                Method::PATCH,
                format!("/api/users/{id}"),
                Some(json!({"position": "Sales"})),
            ),
            (Method::GET, "/api/audit".into(), None),
            (
                Method::POST,
                "/api/roles".into(),
                Some(json!({"code": format!("r_{role}"), "name": "R", "permissions": {"entities": {}}})),
            ),
            (
                Method::DELETE,
                format!(
                    "/api/departments/{}",
                    app.department(&admin, &format!("Doomed by {role}"))
                ),
                None,
            ),
        ];
        for (method, path, body) in requests {
            let r = app.send(method.clone(), &path, &who, body);
            if allowed {
                assert!(r.status().is_success(), "{role} {method} {path}: {}", r.status());
            } else {
                assert_problem(r, 403);
            }
        }
    }
}

#[test]
fn users_are_created_read_patched_with_if_match_and_listed_by_cursor() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let r = app.send(
        Method::POST,
        "/api/users",
        &admin,
        Some(json!({"email": "Ivan@Example.com", "name": "Иван", "password": PASSWORD, "language": "ru"})),
    );
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let user: Value = r.json().unwrap();
    assert_eq!(location, format!("/api/users/{}", user["id"]));
    assert_eq!(user["email"], "ivan@example.com");
    let r = app.send(Method::GET, &location, &admin, None);
    assert_eq!(r.headers()["etag"], "\"1\"");

    let dup = app.send(
        Method::POST,
        "/api/users",
        &admin,
        Some(json!({"email": "IVAN@example.com", "name": "Twin", "password": PASSWORD})),
    );
    assert_problem(dup, 409);

    let stale = app.send_if_match(Method::PATCH, &location, &admin, "\"7\"", json!({"position": "CEO"}));
    assert_problem(stale, 412);
    let ok = app.send_if_match(Method::PATCH, &location, &admin, "\"1\"", json!({"position": "CEO"}));
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");

    let bad = app.send(
        Method::PATCH,
        &location,
        &admin,
        Some(json!({"language": "de", "colour": "red"})),
    );
    let problem = assert_problem(bad, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"language") && fields.contains(&"colour"), "{problem}");

    for i in 0..5 {
        app.create_user(&admin, &format!("u{i}@example.com"), &["manager"], None);
    }
    let mut seen = Vec::new();
    let mut path = "/api/users?limit=3".to_string();
    loop {
        let page: Value = app.send(Method::GET, &path, &admin, None).json().unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/users?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_problem(
        app.send(Method::GET, "/api/users?filter[shoe_size]=42", &admin, None),
        400,
    );
}

#[test]
fn department_cycles_and_unknown_permission_levels_are_422_naming_the_field() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let a: Value = app
        .send(Method::POST, "/api/departments", &admin, Some(json!({"name": "Sales"})))
        .json()
        .unwrap();
    let b: Value = app
        .send(
            Method::POST,
            "/api/departments",
            &admin,
            Some(json!({"name": "Sales North", "parent_id": a["id"]})),
        )
        .json()
        .unwrap();
    let cycle = app.send(
        Method::PATCH,
        &format!("/api/departments/{}", a["id"]),
        &admin,
        Some(json!({"parent_id": b["id"]})),
    );
    let problem = assert_problem(cycle, 422);
    assert_eq!(problem["errors"][0]["field"], "parent_id");

    let bad_role = app.send(
        Method::POST,
        "/api/roles",
        &admin,
        Some(json!({"code": "intern", "name": "Intern", "permissions": {"entities": {"lead": {"read": "most"}}}})),
    );
    let problem = assert_problem(bad_role, 422);
    assert_eq!(problem["errors"][0]["field"], "permissions.entities.lead.read");
    let roles: i64 = app
        .db()
        .query_row("SELECT count(*) FROM roles WHERE code = 'intern'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(roles, 0);
    let system = app.role_id(&admin, "manager");
    assert_problem(
        app.send(Method::DELETE, &format!("/api/roles/{system}"), &admin, None),
        409,
    );
}

#[test]
fn role_changes_and_deactivations_are_in_the_audit_log() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let id = app.create_user(&admin, "sam@example.com", &["manager"], None);
    let role = app.role_id(&admin, "manager");
    let matrix = json!({"entities": {"lead": {"read": "department"}}});
    assert_eq!(
        app.send(
            Method::PATCH,
            &format!("/api/roles/{role}"),
            &admin,
            Some(json!({"permissions": matrix}))
        )
        .status(),
        200
    );
    assert_eq!(
        app.send(Method::DELETE, &format!("/api/users/{id}"), &admin, None)
            .status(),
        204
    );
    let page: Value = app.send(Method::GET, "/api/audit", &admin, None).json().unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.deactivated",
        "role.updated",
        "user.created",
        "token.created",
        "setup",
    ] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
    assert_eq!(actions[0], "user.deactivated", "newest first");
    let first = &page["items"][0];
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["ip"], "127.0.0.1");
    let me: Value = app.send(Method::GET, "/api/me", &admin, None).json().unwrap();
    assert_eq!(first["actor_user_id"], me["id"]);
}

#[test]
fn a_post_repeated_with_its_idempotency_key_creates_once() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let post = |key: &str| app.client_post_with_key("/api/departments", &admin, key, json!({"name": "Support"}));
    let first = post("retry-42");
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_string();
    let first_body: Value = first.json().unwrap();
    let again = post("retry-42");
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    assert_eq!(again.json::<Value>().unwrap(), first_body);
    let count: i64 = app
        .db()
        .query_row("SELECT count(*) FROM departments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(post("another-key").status(), 201);
    assert_problem(post("bad key"), 400);
}

#[test]
fn the_user_directory_lists_active_users_by_name_to_anyone_signed_in() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let department = app.department(&admin, "Sales");
    let mila = app.create_user(&admin, "mila@example.com", &["manager"], Some(department));
    let gone = app.create_user(&admin, "gone@example.com", &["manager"], None);
    let r = app.send(Method::DELETE, &format!("/api/users/{gone}"), &admin, None);
    assert!(r.status().is_success(), "deactivated: {}", r.status());
    let manager = app.login("mila@example.com", PASSWORD);
    // A manager may not read /api/users, but may read the directory.
    assert_problem(app.send(Method::GET, "/api/users", &manager, None), 403);
    let page: Value = app
        .send(Method::GET, "/api/users/directory", &manager, None)
        .json()
        .unwrap();
    let items = page["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|u| u["id"] == mila && u["department_id"] == department),
        "{page}"
    );
    assert!(
        !items.iter().any(|u| u["id"] == gone),
        "inactive users are left out: {page}"
    );
    assert!(items.iter().all(|u| u.get("email").is_none()), "names only: {page}");
    let anonymous = app.send(Method::GET, "/api/users/directory", &crate::helpers::Auth::none(), None);
    assert_problem(anonymous, 401);
}

#[test]
fn the_audit_log_filters_by_period() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let count = |query: &str| -> usize {
        let page: Value = app
            .send(Method::GET, &format!("/api/audit{query}"), &admin, None)
            .json()
            .unwrap();
        page["items"].as_array().map_or(0, Vec::len)
    };
    let all = count("");
    assert!(all >= 1, "setup is audited");
    assert_eq!(
        count("?filter[at][gte]=2000-01-01&filter[at][lt]=2999-01-01T00:00:00Z"),
        all
    );
    assert_eq!(count("?filter[at][lt]=2000-01-01"), 0);
    assert_eq!(count("?filter[at][gte]=2999-01-01"), 0);
    let bad = app.send(Method::GET, "/api/audit?filter[at][gte]=yesterday", &admin, None);
    let problem = crate::helpers::assert_problem(bad, 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("filter[at][gte]"),
        "{problem}"
    );
    let unknown = app.send(Method::GET, "/api/audit?filter[at][gt]=2000-01-01", &admin, None);
    crate::helpers::assert_problem(unknown, 400);
}
