//! The permission matrix end to end (issue 3), on leads: for each kind of user — every default
//! role, a `department`-level role and a role with per-status rules — which leads they see in
//! a list, which they can read (200) or not even see (404), which they may change (200), may
//! see but not change (403), and which statuses they may move a lead into.
//!
//! The firm: Sales with a child Sales East, and Support. Five leads: one per Sales, Sales East
//! and Support manager, Support's second one opened to everyone, and a JUNK one in Sales.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, spawn_app};

/// Who, which leads they see, and which of those they may change.
const MATRIX: &[(&str, &[&str], &[&str])] = &[
    (
        "admin",
        &["sales", "east", "support", "open", "junk"],
        &["sales", "east", "support", "open", "junk"],
    ),
    (
        "director",
        &["sales", "east", "support", "open", "junk"],
        &["sales", "east", "support", "open", "junk"],
    ),
    ("head", &["sales", "east", "open", "junk"], &["sales", "east", "junk"]),
    ("department", &["sales", "open", "junk"], &["sales", "junk"]),
    ("sales_manager", &["sales", "open", "junk"], &["sales", "junk"]),
    ("east_manager", &["east", "open"], &["east"]),
    ("support_manager", &["support", "open"], &["support", "open"]),
    (
        "staged",
        &["sales", "east", "support", "open"],
        &["sales", "east", "support", "open"],
    ),
];

fn role(app: &TestApp, admin: &Auth, code: &str, permissions: Value) -> i64 {
    let r = app.send(
        Method::POST,
        "/api/roles",
        admin,
        Some(json!({"code": code, "name": code, "permissions": permissions})),
    );
    assert_eq!(r.status(), 201, "role {code}");
    r.json::<Value>().expect("role")["id"].as_i64().expect("id")
}

fn lead_levels(level: &str) -> Value {
    json!({"read": level, "add": level, "update": level, "delete": level})
}

/// A user to create: name, default roles, department, an extra custom role.
type Person = (&'static str, &'static [&'static str], Option<i64>, Option<i64>);

struct Firm {
    users: BTreeMap<&'static str, Auth>,
    user_ids: BTreeMap<&'static str, i64>,
    leads: BTreeMap<&'static str, i64>,
}

fn firm(app: &TestApp) -> Firm {
    let admin = app.setup_admin();
    let sales = app.department(&admin, "Sales");
    let east = {
        let r = app.send(
            Method::POST,
            "/api/departments",
            &admin,
            Some(json!({"name": "Sales East", "parent_id": sales})),
        );
        r.json::<Value>().expect("department")["id"].as_i64().expect("id")
    };
    let support = app.department(&admin, "Support");
    let department_role = role(
        app,
        &admin,
        "department_lead",
        json!({"entities": {"lead": lead_levels("department")}}),
    );
    let staged_role = role(
        app,
        &admin,
        "staged",
        json!({"entities": {"lead": lead_levels("all")},
               "stages": {"lead": {"read": ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED"], "move": ["NEW", "IN_PROCESS"]}}}),
    );
    let mut users = BTreeMap::new();
    let mut user_ids = BTreeMap::new();
    users.insert("admin", admin.clone());
    let people: [Person; 7] = [
        ("director", &["director"], None, None),
        ("head", &["head"], Some(sales), None),
        ("department", &[], Some(sales), Some(department_role)),
        ("sales_manager", &["manager"], Some(sales), None),
        ("east_manager", &["manager"], Some(east), None),
        ("support_manager", &["manager"], Some(support), None),
        ("staged", &[], Some(support), Some(staged_role)),
    ];
    for (name, roles, department, extra_role) in people {
        let email = format!("{name}@example.com");
        let id = app.create_user(&admin, &email, roles, department);
        if let Some(role_id) = extra_role {
            let r = app.send(
                Method::PATCH,
                &format!("/api/users/{id}"),
                &admin,
                Some(json!({"role_ids": [role_id]})),
            );
            assert_eq!(r.status(), 200);
        }
        user_ids.insert(name, id);
        users.insert(name, app.login(&email, PASSWORD));
    }
    let mut leads = BTreeMap::new();
    for (key, owner, extra) in [
        ("sales", "sales_manager", json!({})),
        ("east", "east_manager", json!({})),
        ("support", "support_manager", json!({})),
        ("open", "support_manager", json!({"opened": true})),
        ("junk", "sales_manager", json!({"status": "JUNK"})),
    ] {
        let mut body = json!({"title": key, "responsible_id": user_ids[owner]});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let r = app.send(Method::POST, "/api/leads", &admin, Some(body));
        assert_eq!(r.status(), 201);
        leads.insert(key, r.json::<Value>().expect("lead")["id"].as_i64().expect("id"));
    }
    Firm { users, user_ids, leads }
}

#[test]
fn every_role_sees_reads_and_changes_exactly_the_leads_its_level_reaches() {
    let app = spawn_app();
    let firm = firm(&app);
    for (who, visible, writable) in MATRIX {
        let auth = &firm.users[who];
        let page: Value = app
            .send(Method::GET, "/api/leads?sort=id", auth, None)
            .json()
            .expect("list");
        let listed: Vec<i64> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .collect();
        let mut expected: Vec<i64> = visible.iter().map(|k| firm.leads[k]).collect();
        expected.sort_unstable();
        assert_eq!(listed, expected, "{who} lists");
        let searched: Value = app
            .send(Method::GET, "/api/leads?q=sales", auth, None)
            .json()
            .expect("search");
        let sales_visible = visible.contains(&"sales");
        assert_eq!(
            searched["items"].as_array().expect("items").len(),
            usize::from(sales_visible),
            "{who} searches"
        );
        for (key, id) in &firm.leads {
            let read = app
                .send(Method::GET, &format!("/api/leads/{id}"), auth, None)
                .status()
                .as_u16();
            let expected_read = if visible.contains(key) { 200 } else { 404 };
            assert_eq!(read, expected_read, "{who} reads lead {key}");
            let patch = app
                .send(
                    Method::PATCH,
                    &format!("/api/leads/{id}"),
                    auth,
                    Some(json!({"comments": format!("touched by {who}")})),
                )
                .status()
                .as_u16();
            let expected_patch = match (visible.contains(key), writable.contains(key)) {
                (_, true) => 200,
                (true, false) => 403,
                (false, false) => 404,
            };
            assert_eq!(patch, expected_patch, "{who} changes lead {key}");
        }
    }
}

#[test]
fn adding_needs_the_new_owner_within_reach_and_statuses_follow_the_stage_rules() {
    let app = spawn_app();
    let firm = firm(&app);
    let create = |who: &str, owner: &str| {
        app.send(
            Method::POST,
            "/api/leads",
            &firm.users[who],
            Some(json!({"title": "New", "responsible_id": firm.user_ids[owner]})),
        )
        .status()
        .as_u16()
    };
    assert_eq!(create("sales_manager", "sales_manager"), 201);
    assert_eq!(
        create("sales_manager", "east_manager"),
        403,
        "own level adds only for oneself"
    );
    assert_eq!(create("head", "east_manager"), 201, "subdepartments reach Sales East");
    assert_eq!(
        create("department", "east_manager"),
        403,
        "department does not reach Sales East"
    );
    assert_eq!(create("head", "support_manager"), 403);

    let staged = &firm.users["staged"];
    let lead = firm.leads["support"];
    let moved = |status: &str| {
        app.send(
            Method::PATCH,
            &format!("/api/leads/{lead}"),
            staged,
            Some(json!({"status": status})),
        )
        .status()
        .as_u16()
    };
    assert_eq!(moved("IN_PROCESS"), 200, "a status in the move list");
    assert_eq!(moved("PROCESSED"), 403, "a status outside the move list");
    let create_junk = app.send(
        Method::POST,
        "/api/leads",
        staged,
        Some(json!({"title": "x", "status": "JUNK"})),
    );
    assert_eq!(create_junk.status(), 403, "creating into a status is moving into it");
    let director = &firm.users["director"];
    let r = app.send(
        Method::PATCH,
        &format!("/api/leads/{lead}"),
        director,
        Some(json!({"status": "JUNK"})),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.send(Method::GET, &format!("/api/leads/{lead}"), staged, None)
            .status(),
        404,
        "a lead moved into a hidden status disappears for the staged role"
    );
}
