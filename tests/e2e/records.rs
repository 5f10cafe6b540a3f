//! Leads, contacts and companies through the real components: the HTTP shape (201 +
//! Location + ETag, If-Match, Idempotency-Key, 204), every field type over the wire, list
//! operators and errors, Cyrillic and phone search, custom fields, timeline and comments,
//! duplicates and merge, bulk actions, saved views and the field metadata.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, assert_problem, fields, get, ids, post, spawn_app};

#[test]
fn a_lead_is_created_read_changed_and_deleted_over_http() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let r = app.send(
        Method::POST,
        "/api/leads",
        &admin,
        Some(
            json!({"title": "Website enquiry", "phones": ["+7 999 123-45-67"], "amount": "990.00", "currency": "RUB"}),
        ),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/api/leads/1");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let lead: Value = r.json().expect("lead");
    assert_eq!(lead["status"], "NEW");
    assert_eq!(lead["amount"], "990.00");
    assert_eq!(lead["phones"][0]["e164"], "+79991234567");

    let stale = app.send_if_match(
        Method::PATCH,
        "/api/leads/1",
        &admin,
        "\"7\"",
        json!({"status": "IN_PROCESS"}),
    );
    assert_problem(stale, 412);
    let r = app.send_if_match(
        Method::PATCH,
        "/api/leads/1",
        &admin,
        "\"1\"",
        json!({"status": "IN_PROCESS", "amount": null}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let changed: Value = r.json().expect("lead");
    assert!(changed["amount"].is_null(), "null clears a field");

    let first = app.client_post_with_key("/api/leads", &admin, "form-42", json!({"title": "Once"}));
    assert_eq!(first.status(), 201);
    let again = app.client_post_with_key("/api/leads", &admin, "form-42", json!({"title": "Once"}));
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(get(&app, &admin, "/api/leads?count=true")["total"], 2);

    let bad = app.send(
        Method::POST,
        "/api/leads",
        &admin,
        Some(json!({"title": "x", "emails": [{"value": "nope"}], "birthdate": "31.12.1990", "status": "WHATEVER", "shoe_size": 9})),
    );
    let problem = assert_problem(bad, 422);
    for field in ["emails[0].value", "birthdate", "shoe_size"] {
        assert!(fields(&problem).contains(&field.to_string()), "{field}: {problem}");
    }
    let unknown = assert_problem(
        app.send(
            Method::POST,
            "/api/leads",
            &admin,
            Some(json!({"title": "x", "status": "WHATEVER"})),
        ),
        422,
    );
    assert_eq!(fields(&unknown), vec!["status"]);

    let timeline = get(&app, &admin, "/api/leads/1/timeline");
    assert_eq!(timeline["items"][0]["kind"], "updated");
    assert_eq!(timeline["items"][1]["kind"], "created");
    let comment = app.send(
        Method::POST,
        "/api/timeline",
        &admin,
        Some(json!({"entity": "lead", "record_id": 1, "text": "Called, no answer"})),
    );
    assert_eq!(comment.status(), 201);
    assert_eq!(
        get(&app, &admin, "/api/leads/1/timeline?limit=1")["items"][0]["payload"]["text"],
        "Called, no answer"
    );

    assert_eq!(app.send(Method::DELETE, "/api/leads/1", &admin, None).status(), 204);
    assert_problem(app.send(Method::GET, "/api/leads/1", &admin, None), 404);
    assert_problem(app.send(Method::PUT, "/api/leads", &admin, None), 405);
    assert_problem(app.send(Method::GET, "/api/leads/1/nothing", &admin, None), 404);
    assert_problem(app.send(Method::GET, "/api/leads", &Auth::none(), None), 401);
}

#[test]
fn lists_take_filters_sort_cursor_and_search_and_refuse_what_they_do_not_know() {
    let app = spawn_app();
    let admin = app.setup_admin();
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Иван", "last_name": "Петров", "phones": ["+7 (999) 123-45-67"]}),
    );
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Anna", "last_name": "Berg", "emails": ["anna@example.com"], "birthdate": "1985-05-01"}),
    );
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Olga", "last_name": "Zorina", "birthdate": "1999-01-01"}),
    );
    assert_eq!(
        ids(&get(&app, &admin, "/api/contacts?q=%D0%B8%D0%B2%D0%B0%D0%BD")),
        vec![1],
        "иван finds Иван"
    );
    assert_eq!(ids(&get(&app, &admin, "/api/contacts?q=9991234567")), vec![1]);
    assert_eq!(ids(&get(&app, &admin, "/api/contacts?q=anna%40example.com")), vec![2]);
    assert_eq!(
        ids(&get(&app, &admin, "/api/contacts?filter[birthdate][gte]=1990-01-01")),
        vec![3]
    );
    assert_eq!(
        ids(&get(&app, &admin, "/api/contacts?filter[emails]=ANNA@example.com")),
        vec![2]
    );
    assert_eq!(
        ids(&get(
            &app,
            &admin,
            "/api/contacts?filter[last_name][like]=%D0%BF%D0%B5%D1%82%D1%80"
        )),
        vec![1]
    );
    let first = get(&app, &admin, "/api/contacts?sort=last_name&limit=2&fields=id,last_name");
    assert_eq!(
        first["items"],
        json!([{"id": 2, "last_name": "Berg"}, {"id": 3, "last_name": "Zorina"}])
    );
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = get(
        &app,
        &admin,
        &format!("/api/contacts?sort=last_name&limit=2&cursor={cursor}"),
    );
    assert_eq!(ids(&second), vec![1]);
    for (query, named) in [
        ("filter[shoe_size]=1", "shoe_size"),
        ("filter[last_name][between]=a", "between"),
        ("sort=-shoe_size", "shoe_size"),
        ("limit=1000", "limit"),
        ("cursor=garbage", "cursor"),
        ("fields=id,password", "password"),
    ] {
        let problem = assert_problem(
            app.send(Method::GET, &format!("/api/contacts?{query}"), &admin, None),
            400,
        );
        assert!(
            problem["detail"].as_str().unwrap_or_default().contains(named),
            "{query}: {problem}"
        );
    }
    let described = get(&app, &admin, "/api/contacts/fields");
    assert!(
        described["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["name"] == "company_ids" && f["record_entity"] == "company")
    );
    // Each field lists the operators its filters take, for filter builders such as the UI's.
    let operators = |name: &str| {
        described["fields"]
            .as_array()
            .and_then(|fields| fields.iter().find(|f| f["name"] == name))
            .map(|f| f["operators"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        operators("last_name"),
        json!(["eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "null"])
    );
    assert_eq!(operators("phones"), json!(["eq", "ne", "in", "like", "null"]));
    assert_eq!(operators("opened"), json!(["eq", "ne", "in", "null"]));
    assert_eq!(operators("address"), json!(["null"]));
    assert_eq!(operators("company_ids"), json!(["eq", "ne", "in", "primary", "null"]));
    let filtered = get(&app, &admin, "/api/contacts?filter[phones][like]=999");
    assert!(filtered["items"].is_array(), "{filtered}");
    // `primary`: the contacts whose first (primary) company is one of a list, not any link.
    let acme = post(&app, &admin, "/api/companies", json!({"title": "Acme"}))["id"].clone();
    let globex = post(&app, &admin, "/api/companies", json!({"title": "Globex"}))["id"].clone();
    let first = post(
        &app,
        &admin,
        "/api/contacts",
        json!({"last_name": "First", "company_ids": [acme, globex]}),
    );
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"last_name": "Second", "company_ids": [globex, acme]}),
    );
    let primary = get(
        &app,
        &admin,
        &format!("/api/contacts?filter[company_ids][primary]={acme}"),
    );
    assert_eq!(
        primary["items"]
            .as_array()
            .map(|items| items.iter().map(|c| c["id"].clone()).collect::<Vec<_>>()),
        Some(vec![first["id"].clone()]),
        "{primary}"
    );
    let linked = get(&app, &admin, &format!("/api/contacts?filter[company_ids]={acme}"));
    assert_eq!(linked["items"].as_array().map(Vec::len), Some(2), "{linked}");
    let refused = app.send(Method::GET, "/api/contacts?filter[last_name][primary]=x", &admin, None);
    assert_eq!(refused.status(), 400);
}

#[test]
fn custom_fields_are_defined_then_validated_filtered_and_sorted() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let field = post(
        &app,
        &admin,
        "/api/custom-fields",
        json!({"entity": "company", "code": "uf_tier", "label": {"en": "Tier", "ru": "Уровень"}, "type": "enumeration", "options": ["GOLD", "SILVER"], "show_in_list": true}),
    );
    post(
        &app,
        &admin,
        "/api/custom-fields",
        json!({"entity": "company", "code": "uf_seats", "label": {"en": "Seats"}, "type": "integer"}),
    );
    post(
        &app,
        &admin,
        "/api/companies",
        json!({"title": "Acme", "custom": {"uf_tier": "GOLD", "uf_seats": 40}}),
    );
    post(
        &app,
        &admin,
        "/api/companies",
        json!({"title": "Globex", "custom": {"uf_tier": "SILVER", "uf_seats": 90}}),
    );
    assert_eq!(
        ids(&get(&app, &admin, "/api/companies?filter[custom.uf_tier]=GOLD")),
        vec![1]
    );
    assert_eq!(
        ids(&get(&app, &admin, "/api/companies?filter[custom.uf_seats][gt]=50")),
        vec![2]
    );
    assert_eq!(
        ids(&get(&app, &admin, "/api/companies?sort=custom.uf_seats")),
        vec![1, 2]
    );
    let bad = app.send(
        Method::POST,
        "/api/companies",
        &admin,
        Some(json!({"title": "X", "custom": {"uf_tier": "BRONZE"}})),
    );
    assert_eq!(fields(&assert_problem(bad, 422)), vec!["custom.uf_tier"]);
    let id = field["id"].as_i64().expect("id");
    let retype = app.send(
        Method::PATCH,
        &format!("/api/custom-fields/{id}"),
        &admin,
        Some(json!({"type": "string"})),
    );
    assert_eq!(fields(&assert_problem(retype, 422)), vec!["type"]);
    let dup = app.send(
        Method::POST,
        "/api/custom-fields",
        &admin,
        Some(json!({"entity": "company", "code": "uf_tier", "label": {"en": "Again"}, "type": "string"})),
    );
    assert_problem(dup, 409);
    assert_eq!(
        get(&app, &admin, "/api/custom-fields?filter[entity]=company")["items"]
            .as_array()
            .expect("items")
            .len(),
        2
    );
}

#[test]
fn duplicates_are_found_and_merged_and_bulk_edits_apply_in_one_go() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let acme = post(
        &app,
        &admin,
        "/api/companies",
        json!({"title": "ООО «Ромашка»", "addresses": [{"city": "Москва", "postal_code": "125009"}],
               "requisites": [{"tax_id": "7701234567", "bank_name": "Сбербанк", "account": "40702810900000000001"}]}),
    );
    assert_eq!(acme["addresses"], json!([{"city": "Москва", "postal_code": "125009"}]));
    assert_eq!(acme["requisites"][0]["tax_id"], "7701234567");
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Ann", "emails": ["ann@example.com"], "company_ids": [acme["id"]]}),
    );
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Ann", "last_name": "Lee", "emails": ["Ann@Example.com"], "phones": ["89991234567"]}),
    );
    let dupes = get(&app, &admin, "/api/duplicates?entity=contact&email=ANN@example.com");
    assert_eq!(ids(&dupes), vec![1, 2]);
    assert_eq!(
        ids(&get(
            &app,
            &admin,
            "/api/duplicates?title=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0"
        )),
        vec![1]
    );
    assert_problem(app.send(Method::GET, "/api/duplicates?email=nope", &admin, None), 422);
    let r = app.send(
        Method::POST,
        "/api/contacts/1/merge",
        &admin,
        Some(json!({"from": [2]})),
    );
    assert_eq!(r.status(), 200);
    let merged: Value = r.json().expect("merged");
    assert_eq!(merged["last_name"], "Lee");
    assert_eq!(merged["company_ids"], json!([acme["id"]]));
    assert_problem(app.send(Method::GET, "/api/contacts/2", &admin, None), 404);
    assert_problem(
        app.send(
            Method::POST,
            "/api/contacts/1/merge",
            &admin,
            Some(json!({"from": [1]})),
        ),
        422,
    );

    for i in 0..3 {
        post(&app, &admin, "/api/leads", json!({"title": format!("Bulk {i}")}));
    }
    let r = app.send(
        Method::POST,
        "/api/leads/bulk",
        &admin,
        Some(json!({"action": "set", "filter": {"title": {"like": "bulk"}}, "values": {"status": "JUNK"}})),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().expect("bulk")["ids"], json!([1, 2, 3]));
    assert_eq!(
        get(&app, &admin, "/api/leads?filter[status]=JUNK&count=true")["total"],
        3
    );
    let bad = app.send(
        Method::POST,
        "/api/leads/bulk",
        &admin,
        Some(json!({"action": "set", "ids": [1], "values": {"status": "NOPE"}})),
    );
    assert_problem(bad, 422);
    let r = app.send(
        Method::POST,
        "/api/leads/bulk",
        &admin,
        Some(json!({"action": "delete", "ids": [1, 2]})),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(ids(&get(&app, &admin, "/api/leads")), vec![3]);
}

#[test]
fn saved_views_are_private_unless_shared_and_hold_only_valid_queries() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", crate::helpers::PASSWORD);
    let private = post(
        &app,
        &admin,
        "/api/views",
        json!({"entity": "lead", "name": "New ones", "query": "filter[status]=NEW&sort=-updated_at", "columns": ["title", "status"]}),
    );
    let shared = post(
        &app,
        &admin,
        "/api/views",
        json!({"entity": "lead", "name": "Team", "query": "sort=-id", "shared": true}),
    );
    assert_eq!(
        ids(&get(&app, &manager, "/api/views")),
        vec![shared["id"].as_i64().expect("id")]
    );
    assert_problem(
        app.send(Method::GET, &format!("/api/views/{}", private["id"]), &manager, None),
        404,
    );
    assert_problem(
        app.send(
            Method::PATCH,
            &format!("/api/views/{}", shared["id"]),
            &manager,
            Some(json!({"name": "Mine"})),
        ),
        403,
    );
    let bad = app.send(
        Method::POST,
        "/api/views",
        &admin,
        Some(json!({"entity": "lead", "name": "Bad", "query": "filter[nope]=1", "columns": ["ghost"]})),
    );
    let problem = assert_problem(bad, 422);
    assert_eq!(fields(&problem), vec!["query", "columns"]);
}

#[test]
fn the_default_country_setting_reads_phones_typed_without_a_country_code() {
    let app = spawn_app();
    let admin = app.setup_admin();
    assert_eq!(get(&app, &admin, "/api/settings")["default_country"], "RU");
    let lead = post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "RU", "phones": ["8 (999) 123-45-67"]}),
    );
    assert_eq!(lead["phones"][0]["e164"], "+79991234567");
    let r = app.send(
        Method::PATCH,
        "/api/settings",
        &admin,
        Some(json!({"default_country": "gb"})),
    );
    assert_eq!(r.status(), 200);
    let lead = post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "GB", "phones": ["020 7946 0958"]}),
    );
    assert_eq!(lead["phones"][0]["e164"], "+442079460958");
    let problem = assert_problem(
        app.send(
            Method::PATCH,
            "/api/settings",
            &admin,
            Some(json!({"default_country": "Atlantis"})),
        ),
        422,
    );
    assert_eq!(fields(&problem), vec!["default_country"]);
    // The firm's name and time zone: defaults, then set; a zone the tz database lacks is 422.
    let settings = get(&app, &admin, "/api/settings");
    assert_eq!(
        (settings["firm_name"].as_str(), settings["time_zone"].as_str()),
        (Some(""), Some("UTC"))
    );
    let r = app.send(
        Method::PATCH,
        "/api/settings",
        &admin,
        Some(json!({"firm_name": " Horns & Hooves ", "time_zone": "Asia/Almaty"})),
    );
    assert_eq!(r.status(), 200);
    let settings = get(&app, &admin, "/api/settings");
    assert_eq!(
        (settings["firm_name"].as_str(), settings["time_zone"].as_str()),
        (Some("Horns & Hooves"), Some("Asia/Almaty"))
    );
    let problem = assert_problem(
        app.send(
            Method::PATCH,
            "/api/settings",
            &admin,
            Some(json!({"time_zone": "Mars/Olympus"})),
        ),
        422,
    );
    assert_eq!(fields(&problem), vec!["time_zone"]);
    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", crate::helpers::PASSWORD);
    assert_problem(
        app.send(
            Method::PATCH,
            "/api/settings",
            &manager,
            Some(json!({"default_country": "RU"})),
        ),
        403,
    );
}

/// Every field type over the wire, as custom fields on leads: a valid value is stored and
/// rendered back, an invalid one is a 422 naming `custom.<code>` and writes nothing.
#[test]
fn every_field_type_accepts_its_values_and_refuses_others_by_name() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let company = post(&app, &admin, "/api/companies", json!({"title": "Acme"}));
    let cases: Vec<(&str, Value, Value, Value)> = vec![
        ("string", json!({}), json!("Blue"), json!(["not", "text"])),
        ("text", json!({}), json!("Line one\nLine two"), json!(42)),
        ("integer", json!({}), json!(12), json!("12 pcs")),
        ("decimal", json!({}), json!("3.50"), json!("3.505")),
        (
            "money",
            json!({}),
            json!({"amount": "99.90", "currency": "USD"}),
            json!({"amount": "1", "currency": "ZZZ"}),
        ),
        ("boolean", json!({}), json!(true), json!("yes")),
        ("date", json!({}), json!("2026-02-28"), json!("2026-02-30")),
        ("datetime", json!({}), json!("2026-11-22T08:30:00Z"), json!("yesterday")),
        ("enumeration", json!({"options": ["A", "B"]}), json!("B"), json!("C")),
        (
            "enumeration",
            json!({"options": ["A", "B"], "multiple": true}),
            json!(["A", "B"]),
            json!(["A", "Z"]),
        ),
        (
            "enumeration",
            json!({"dictionary": "source"}),
            json!("PARTNER"),
            json!("NOT_A_SOURCE"),
        ),
        ("currency", json!({}), json!("EUR"), json!("ZZZ")),
        (
            "emails",
            json!({}),
            json!([{"value": "a@b.example", "type": "home"}]),
            json!([{"value": "a@"}]),
        ),
        (
            "phones",
            json!({}),
            json!([{"value": "+44 20 7946 0958", "type": "work", "e164": "+442079460958"}]),
            json!(["call me"]),
        ),
        (
            "websites",
            json!({}),
            json!([{"value": "https://acme.example", "type": "work"}]),
            json!(["not a site"]),
        ),
        (
            "messengers",
            json!({}),
            json!([{"value": "@acme", "type": "telegram"}]),
            json!([{"value": "@acme", "type": "pigeon"}]),
        ),
        (
            "address",
            json!({}),
            json!({"city": "Казань", "country": "Россия"}),
            json!({"planet": "Mars"}),
        ),
        ("user", json!({}), json!(1), json!(999)),
        (
            "record",
            json!({"record_entity": "company"}),
            company["id"].clone(),
            json!(999),
        ),
    ];
    for (i, (kind, extra, good, bad)) in cases.iter().enumerate() {
        let code = format!("uf_{kind}_{i}");
        let mut definition = json!({"entity": "lead", "code": code, "label": {"en": kind}, "type": kind});
        definition
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        post(&app, &admin, "/api/custom-fields", definition);
        let lead = post(
            &app,
            &admin,
            "/api/leads",
            json!({"title": kind, "custom": {&code: good}}),
        );
        assert_eq!(lead["custom"][&code], *good, "{kind} #{i} round-trips");
        let before = get(&app, &admin, "/api/leads?count=true")["total"].clone();
        let refused = app.send(
            Method::POST,
            "/api/leads",
            &admin,
            Some(json!({"title": kind, "custom": {&code: bad}})),
        );
        let problem = assert_problem(refused, 422);
        assert!(
            fields(&problem)
                .iter()
                .all(|f| f.starts_with(&format!("custom.{code}")))
                && !fields(&problem).is_empty(),
            "{kind} #{i}: {problem}"
        );
        assert_eq!(
            get(&app, &admin, "/api/leads?count=true")["total"],
            before,
            "{kind}: nothing written"
        );
    }
}

#[test]
fn clearing_a_flag_restores_its_default_instead_of_failing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = post(&app, &admin, "/api/leads", json!({"title": "Open", "opened": true}));
    let r = app.send(
        Method::PATCH,
        &format!("/api/leads/{}", lead["id"]),
        &admin,
        Some(json!({"opened": null})),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().expect("lead")["opened"], false);
}
