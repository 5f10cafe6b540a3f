//! Dictionaries and currencies through the real component: the seeded lists, an entry's life
//! with `If-Match` and `Idempotency-Key`, the errors each rule gives over HTTP, who may write,
//! and the base-currency switch.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, assert_problem, spawn_app};

fn get_json(app: &crate::helpers::TestApp, path: &str, auth: &Auth) -> Value {
    let r = app.send(Method::GET, path, auth, None);
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().expect("JSON")
}

fn codes(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["code"].as_str().expect("code"))
        .collect()
}

fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect()
}

#[test]
fn lead_statuses_are_listed_with_semantics_and_russian_names() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let kinds = get_json(&app, "/api/dictionaries", &admin);
    let kind_names: Vec<&str> = kinds["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kind_names,
        [
            "lead-statuses",
            "sources",
            "contact-types",
            "company-types",
            "industries",
            "employee-ranges",
            "deal-types",
            "honorifics"
        ]
    );
    assert_eq!(kinds["items"][0]["stored_kind"], "lead_status");

    let statuses = get_json(&app, "/api/dictionaries/lead-statuses", &admin);
    assert_eq!(
        codes(&statuses),
        ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    );
    let items = statuses["items"].as_array().expect("items");
    let semantics: Vec<&str> = items
        .iter()
        .map(|s| s["semantic"].as_str().expect("semantic"))
        .collect();
    assert_eq!(semantics, ["open", "open", "open", "success", "failure"]);
    assert_eq!(items[0]["name"], json!({"en": "New", "ru": "Новый"}));
    assert!(items.iter().all(|s| s["system"] == true && s["color"].is_string()));

    let r = app.send(Method::GET, "/api/dictionaries/lead-statuses/JUNK", &admin, None);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let junk: Value = r.json().expect("JUNK");
    assert_eq!(junk["name"]["ru"], "Некачественный лид");

    let sources = get_json(&app, "/api/dictionaries/sources/", &admin);
    assert_eq!(codes(&sources).len(), 11);
    assert!(sources["items"][0].get("semantic").is_none());
}

#[test]
fn a_source_is_created_renamed_and_deleted_but_a_system_entry_is_not() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let r = app.send(
        Method::POST,
        "/api/dictionaries/sources",
        &admin,
        Some(json!({"code": "FAIR", "name": {"en": "Fair", "ru": "Ярмарка"}, "color": "#aabbcc"})),
    );
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(location, "/api/dictionaries/sources/FAIR");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let created: Value = r.json().expect("created");
    assert_eq!(created["color"], "#AABBCC");
    assert_eq!(created["sort"], 120);
    assert_eq!(get_json(&app, &location, &admin), created);

    let dup = app.send(
        Method::POST,
        "/api/dictionaries/sources",
        &admin,
        Some(json!({"code": "FAIR", "name": {"en": "Twice"}})),
    );
    assert_problem(dup, 409);

    let stale = app.send_if_match(
        Method::PATCH,
        &location,
        &admin,
        "\"7\"",
        json!({"name": {"en": "Trade fair"}}),
    );
    assert_problem(stale, 412);
    let renamed = app.send_if_match(
        Method::PATCH,
        &location,
        &admin,
        "\"1\"",
        json!({"name": {"en": "Trade fair"}}),
    );
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.headers()["etag"], "\"2\"");
    let renamed: Value = renamed.json().expect("renamed");
    assert_eq!(renamed["name"], json!({"en": "Trade fair", "ru": "Ярмарка"}));

    let stale = app.send_if_match(Method::DELETE, &location, &admin, "\"1\"", json!({}));
    assert_problem(stale, 412);
    let deleted = app.send_if_match(Method::DELETE, &location, &admin, "\"2\"", json!({}));
    assert_eq!(deleted.status(), 204);
    assert_problem(app.send(Method::GET, &location, &admin, None), 404);

    let system = app.send(Method::DELETE, "/api/dictionaries/lead-statuses/NEW", &admin, None);
    let problem = assert_problem(system, 409);
    assert_eq!(problem["detail"], "system entries cannot be deleted");
    let semantic = app.send(
        Method::PATCH,
        "/api/dictionaries/lead-statuses/JUNK",
        &admin,
        Some(json!({"semantic": "success"})),
    );
    assert_eq!(error_fields(&assert_problem(semantic, 422)), ["semantic"]);

    // A repeated POST with the same Idempotency-Key creates once and replays the answer.
    let body = json!({"code": "EXPO", "name": {"en": "Expo"}});
    let first = app.client_post_with_key("/api/dictionaries/sources", &admin, "expo-1", body.clone());
    assert_eq!(first.status(), 201);
    let first: Value = first.json().expect("first");
    let again = app.client_post_with_key("/api/dictionaries/sources", &admin, "expo-1", body);
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], "/api/dictionaries/sources/EXPO");
    assert_eq!(again.json::<Value>().expect("again"), first);

    let audited: i64 = app
        .db()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'dictionary_entry.%'",
            [],
            |row| row.get(0),
        )
        .expect("audit rows");
    assert_eq!(audited, 4, "created, updated, deleted, created once");
}

#[test]
fn a_manager_reads_dictionaries_but_may_not_change_them() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "manager@example.com", &["manager"], None);
    let manager = app.login("manager@example.com", PASSWORD);
    assert_eq!(
        codes(&get_json(&app, "/api/dictionaries/honorifics", &manager)).len(),
        4
    );
    assert_eq!(codes(&get_json(&app, "/api/currencies", &manager)).len(), 7);
    get_json(&app, "/api/dictionaries/deal-types/SALE", &manager);
    let refused = [
        (
            Method::POST,
            "/api/dictionaries/sources",
            Some(json!({"code": "FAIR", "name": {"en": "Fair"}})),
        ),
        (
            Method::PATCH,
            "/api/dictionaries/sources/CALL",
            Some(json!({"name": {"en": "Phone call"}})),
        ),
        (Method::DELETE, "/api/dictionaries/sources/CALL", None),
        (Method::PATCH, "/api/currencies/USD", Some(json!({"base": true}))),
    ];
    for (method, path, body) in refused {
        assert_problem(app.send(method, path, &manager, body), 403);
    }
    // A cookie session still needs its CSRF token for writes.
    let no_csrf = app.send(
        Method::POST,
        "/api/dictionaries/sources",
        &manager.without_csrf(),
        Some(json!({"code": "FAIR", "name": {"en": "Fair"}})),
    );
    assert_problem(no_csrf, 403);
    assert_problem(
        app.send(Method::GET, "/api/dictionaries/sources", &Auth::none(), None),
        401,
    );
    assert_problem(app.send(Method::GET, "/api/currencies", &Auth::none(), None), 401);
}

#[test]
fn unknown_kinds_are_404_and_bad_bodies_422_naming_the_field() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for path in [
        "/api/dictionaries/statuses",
        "/api/dictionaries/lead_status",
        "/api/dictionaries/statuses/NEW",
        "/api/dictionaries/sources/NOPE",
        "/api/dictionaries/sources/CALL/extra",
        "/api/currencies/XXX",
    ] {
        assert_problem(app.send(Method::GET, path, &admin, None), 404);
    }
    assert_problem(
        app.send(
            Method::POST,
            "/api/dictionaries/statuses",
            &admin,
            Some(json!({"code": "X", "name": {"en": "X"}})),
        ),
        404,
    );
    let bad = app.send(
        Method::POST,
        "/api/dictionaries/sources",
        &admin,
        Some(json!({"code": "fair", "name": {"ru": "Ярмарка"}, "color": "blue"})),
    );
    let problem = assert_problem(bad, 422);
    assert_eq!(error_fields(&problem), ["code", "name.en", "color"]);
    let status = app.send(
        Method::POST,
        "/api/dictionaries/lead-statuses",
        &admin,
        Some(json!({"code": "WON", "name": {"en": "Won"}, "semantic": "won"})),
    );
    assert_eq!(error_fields(&assert_problem(status, 422)), ["semantic"]);
    let rate = app.send(
        Method::POST,
        "/api/currencies",
        &admin,
        Some(json!({"code": "GBP", "name": {"en": "Pound"}, "rate": "1,25"})),
    );
    let problem = assert_problem(rate, 422);
    assert_eq!(error_fields(&problem), ["rate"]);
    assert_eq!(problem["errors"][0]["code"], "invalid_rate");
    assert_problem(
        app.send(Method::PUT, "/api/dictionaries/sources", &admin, Some(json!({}))),
        405,
    );
    assert_problem(
        app.send(Method::GET, "/api/dictionaries/sources?limit=5", &admin, None),
        400,
    );
}

#[test]
fn a_new_base_currency_rescales_the_others() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let r = app.send(Method::GET, "/api/currencies/USD", &admin, None);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let usd: Value = r.json().expect("USD");
    assert_eq!(usd["rate"], "92.5000");
    assert_eq!(usd["base"], false);

    let stale = app.send_if_match(
        Method::PATCH,
        "/api/currencies/USD",
        &admin,
        "\"3\"",
        json!({"base": true}),
    );
    assert_problem(stale, 412);
    let switched = app.send_if_match(
        Method::PATCH,
        "/api/currencies/USD",
        &admin,
        "\"1\"",
        json!({"base": true}),
    );
    assert_eq!(switched.status(), 200);
    let usd: Value = switched.json().expect("USD");
    assert_eq!(usd["rate"], "1.0000");
    assert_eq!(usd["base"], true);

    let list = get_json(&app, "/api/currencies", &admin);
    let rates: Vec<(&str, &str, bool)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code"),
                c["rate"].as_str().expect("rate"),
                c["base"].as_bool().expect("base"),
            )
        })
        .collect();
    assert_eq!(rates[0], ("RUB", "0.010811", false));
    assert_eq!(rates[1], ("USD", "1.0000", true));
    assert_eq!(rates[2], ("EUR", "1.083243", false));
    assert_eq!(rates.iter().filter(|(_, _, base)| *base).count(), 1);

    assert_problem(app.send(Method::DELETE, "/api/currencies/USD", &admin, None), 409);
    let created = app.send(
        Method::POST,
        "/api/currencies",
        &admin,
        Some(json!({"code": "GBP", "name": {"en": "Pound sterling", "ru": "Фунт стерлингов"}, "rate": "1.27"})),
    );
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/api/currencies/GBP");
    assert_eq!(created.json::<Value>().expect("GBP")["rate"], "1.2700");
    let deleted = app.send(Method::DELETE, "/api/currencies/RUB", &admin, None);
    assert_eq!(deleted.status(), 204);
}
