//! Deals end to end: pipelines and their stage rules, deals moving through stages (closed
//! flag, probability, stage history, per-stage permissions, moving between pipelines), line
//! items with discounts, tax and currency conversion, lead conversion in its combinations and
//! its atomicity, and kanban boards with filters and permissions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, call, fields, spawn_app};

#[test]
fn pipelines_keep_one_won_stage_and_refuse_to_lose_deals() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let list = call(&app, &admin, Method::GET, "/api/pipelines", None, 200);
    let sales = &list["items"][0];
    assert_eq!(sales["is_default"], true);
    let codes: Vec<&str> = sales["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "NEW",
            "PREPARATION",
            "PREPAYMENT_INVOICE",
            "EXECUTING",
            "FINAL_INVOICE",
            "WON",
            "LOSE"
        ]
    );
    let support = call(
        &app,
        &admin,
        Method::POST,
        "/api/pipelines",
        Some(json!({"name": {"en": "Support", "ru": "Поддержка"}})),
        201,
    );
    let id = support["id"].as_i64().expect("id");
    assert_eq!(support["stages"][0]["code"], format!("C{id}:NEW"));
    let added = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/pipelines/{id}/stages"),
        Some(json!({"code": "WAITING", "name": {"en": "Waiting"}, "sort": 15})),
        201,
    );
    assert_eq!(added["stages"][1]["code"], format!("C{id}:WAITING"));
    let no_won = app.send(
        Method::DELETE,
        &format!("/api/pipelines/{id}/stages/C{id}:WON"),
        &admin,
        None,
    );
    assert_eq!(fields(&assert_problem(no_won, 422)), vec!["semantic"]);
    let second_won = app.send(
        Method::PATCH,
        &format!("/api/pipelines/{id}/stages/C{id}:WAITING"),
        &admin,
        Some(json!({"semantic": "won"})),
    );
    assert_problem(second_won, 422);

    let deal = call(
        &app,
        &admin,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Ticket", "pipeline_id": id, "stage": format!("C{id}:WAITING")})),
        201,
    );
    assert_problem(
        app.send(
            Method::DELETE,
            &format!("/api/pipelines/{id}/stages/C{id}:WAITING"),
            &admin,
            None,
        ),
        409,
    );
    let bad_target = app.send(
        Method::DELETE,
        &format!("/api/pipelines/{id}/stages/C{id}:WAITING?move_to=NEW"),
        &admin,
        None,
    );
    assert_eq!(fields(&assert_problem(bad_target, 422)), vec!["move_to"]);
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/pipelines/{id}/stages/C{id}:WAITING?move_to=C{id}:NEW"),
        None,
        200,
    );
    let moved = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{}", deal["id"]),
        None,
        200,
    );
    assert_eq!(moved["stage"], format!("C{id}:NEW"));
    assert_problem(
        app.send(Method::DELETE, &format!("/api/pipelines/{id}"), &admin, None),
        409,
    );
    assert_problem(app.send(Method::DELETE, "/api/pipelines/1", &admin, None), 409);
    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", PASSWORD);
    assert_problem(
        app.send(
            Method::POST,
            "/api/pipelines",
            &manager,
            Some(json!({"name": {"en": "Mine"}})),
        ),
        403,
    );
}

#[test]
fn deals_move_through_stages_with_history_and_stage_permissions() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let deal = call(
        &app,
        &admin,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Website", "amount": "50000.00", "currency": "RUB"})),
        201,
    );
    assert_eq!(
        (deal["pipeline_id"].as_i64(), deal["stage"].as_str()),
        (Some(1), Some("NEW"))
    );
    assert_eq!(
        (deal["probability"].as_i64(), deal["closed"].as_bool()),
        (Some(10), Some(false))
    );
    let id = deal["id"].as_i64().expect("id");
    let won = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/deals/{id}"),
        Some(json!({"stage": "WON"})),
        200,
    );
    assert_eq!(
        (won["closed"].as_bool(), won["probability"].as_i64()),
        (Some(true), Some(100))
    );
    assert!(won["closed_at"].is_string());
    let reopened = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/deals/{id}"),
        Some(json!({"stage": "EXECUTING", "probability": 70})),
        200,
    );
    assert_eq!(
        (reopened["closed"].as_bool(), reopened["probability"].as_i64()),
        (Some(false), Some(70))
    );
    assert!(reopened["closed_at"].is_null());
    for (body, field) in [
        (json!({"pipeline_id": 2}), "pipeline_id"),
        (json!({"stage": "NOPE"}), "stage"),
        (json!({"closed": true}), "closed"),
        (json!({"probability": 150}), "probability"),
    ] {
        let problem = assert_problem(
            app.send(Method::PATCH, &format!("/api/deals/{id}"), &admin, Some(body)),
            422,
        );
        assert_eq!(fields(&problem), vec![field]);
    }
    let support = call(
        &app,
        &admin,
        Method::POST,
        "/api/pipelines",
        Some(json!({"name": {"en": "Support"}})),
        201,
    );
    let pid = support["id"].as_i64().expect("id");
    let other_stage = app.send(
        Method::PATCH,
        &format!("/api/deals/{id}"),
        &admin,
        Some(json!({"stage": format!("C{pid}:NEW")})),
    );
    assert_eq!(fields(&assert_problem(other_stage, 422)), vec!["stage"]);
    let moved = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/deals/{id}/move"),
        Some(json!({"pipeline_id": pid})),
        200,
    );
    assert_eq!(
        (moved["pipeline_id"].as_i64(), moved["stage"].clone()),
        (Some(pid), json!(format!("C{pid}:NEW")))
    );
    let history = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{id}/stage-history"),
        None,
        200,
    );
    let moves: Vec<(Value, Value)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["from"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("NEW")),
            (json!("NEW"), json!("WON")),
            (json!("WON"), json!("EXECUTING")),
            (json!("EXECUTING"), json!(format!("C{pid}:NEW"))),
        ]
    );

    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", PASSWORD);
    let mine = call(
        &app,
        &manager,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Mine"})),
        201,
    );
    let mine_id = mine["id"].as_i64().expect("id");
    assert_problem(
        app.send(
            Method::PATCH,
            &format!("/api/deals/{mine_id}"),
            &manager,
            Some(json!({"stage": "WON"})),
        ),
        403,
    );
    call(
        &app,
        &manager,
        Method::PATCH,
        &format!("/api/deals/{mine_id}"),
        Some(json!({"stage": "LOSE"})),
        200,
    );
    assert_problem(app.send(Method::GET, &format!("/api/deals/{id}"), &manager, None), 404);
}

#[test]
fn line_items_compute_discounts_tax_and_currency_into_the_amount_atomically() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let usd = call(&app, &admin, Method::GET, "/api/currencies/USD", None, 200);
    let rate: f64 = usd["rate"].as_str().expect("rate").parse().expect("number");
    let product = call(
        &app,
        &admin,
        Method::POST,
        "/api/products",
        Some(
            json!({"name": "Licence", "price": "10.00", "currency": "USD", "vat_rate": "20.00", "vat_included": true}),
        ),
        201,
    );
    let deal = call(
        &app,
        &admin,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Licences", "currency": "RUB"})),
        201,
    );
    let id = deal["id"].as_i64().expect("id");
    let items = json!({"items": [
        {"product_id": product["id"], "quantity": "3"},
        {"name": "Setup", "price": "1000.00", "quantity": "1", "discount_type": "percent", "discount_rate": "10", "tax_rate": "20"},
        {"name": "Delivery", "price": "500.00", "quantity": "2", "discount_type": "amount", "discount_sum": "50.00"},
    ]});
    let set = call(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/deals/{id}/products"),
        Some(items),
        200,
    );
    let licence_price = (10.0 * rate * 100.0).round() / 100.0;
    assert_eq!(
        set["items"][0]["price"],
        format!("{licence_price:.2}"),
        "converted from USD at {rate}"
    );
    assert_eq!(set["items"][0]["tax_included"], true);
    assert_eq!(set["items"][1]["total"], "1080.00", "1000 - 10 %, plus 20 % tax");
    assert_eq!(set["items"][2]["total"], "900.00", "(500 - 50) x 2");
    let licence_total = (licence_price * 3.0 * 100.0).round() / 100.0;
    let expected = format!("{:.2}", licence_total + 1080.0 + 900.0);
    assert_eq!(set["totals"]["total"], expected);
    let deal = call(&app, &admin, Method::GET, &format!("/api/deals/{id}"), None, 200);
    assert_eq!(deal["amount"], expected, "the deal's amount follows its items");

    let bad = app.send(
        Method::PUT,
        &format!("/api/deals/{id}/products"),
        &admin,
        Some(json!({"items": [{"name": "x", "price": "1.00", "quantity": "-1"}, {"product_id": 999}]})),
    );
    assert_eq!(
        fields(&assert_problem(bad, 422)),
        vec!["items[0].quantity", "items[1].product_id"]
    );
    let unchanged = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{id}/products"),
        None,
        200,
    );
    assert_eq!(
        unchanged["items"].as_array().expect("items").len(),
        3,
        "a refused set changes nothing"
    );
}

#[test]
fn a_lead_converts_into_contact_company_and_deal_in_one_transaction() {
    let app = spawn_app();
    let admin = app.setup_admin();
    call(
        &app,
        &admin,
        Method::POST,
        "/api/custom-fields",
        Some(json!({"entity": "lead", "code": "uf_size", "label": {"en": "Size"}, "type": "integer"})),
        201,
    );
    call(
        &app,
        &admin,
        Method::POST,
        "/api/custom-fields",
        Some(json!({"entity": "contact", "code": "uf_size", "label": {"en": "Size"}, "type": "integer"})),
        201,
    );
    let lead = call(
        &app,
        &admin,
        Method::POST,
        "/api/leads",
        Some(
            json!({"first_name": "Анна", "last_name": "Смирнова", "company_title": "ООО Вектор", "phones": ["+7 916 000-11-22"],
                    "amount": "300.00", "currency": "RUB", "custom": {"uf_size": 12}}),
        ),
        201,
    );
    let id = lead["id"].as_i64().expect("id");
    call(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/leads/{id}/products"),
        Some(json!({"items": [{"name": "Audit", "price": "300.00"}]})),
        200,
    );
    let counts = |app: &TestApp| -> Vec<i64> {
        ["contacts", "companies", "deals"]
            .iter()
            .map(|t| {
                app.db()
                    .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                    .expect("count")
            })
            .collect()
    };
    let bad = app.send(
        Method::POST,
        &format!("/api/leads/{id}/convert"),
        &admin,
        Some(json!({"contact": "new", "company": "new", "deal": {"stage": "NOPE"}})),
    );
    assert_eq!(fields(&assert_problem(bad, 422)), vec!["deal.stage"]);
    assert_eq!(counts(&app), vec![0, 0, 0], "a refused conversion creates nothing");
    assert_eq!(
        call(&app, &admin, Method::GET, &format!("/api/leads/{id}"), None, 200)["status"],
        "NEW"
    );

    let done = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/leads/{id}/convert"),
        Some(json!({"contact": "new", "company": "new", "deal": {}})),
        200,
    );
    assert_eq!(done["lead"]["status"], "CONVERTED");
    assert_eq!(done["contact"]["last_name"], "Смирнова");
    assert_eq!(done["contact"]["phones"][0]["e164"], "+79160001122");
    assert_eq!(
        done["contact"]["custom"]["uf_size"], 12,
        "same-coded custom fields are copied"
    );
    assert_eq!(done["contact"]["company_ids"], json!([done["company"]["id"]]));
    assert_eq!(done["company"]["title"], "ООО Вектор");
    assert_eq!(done["deal"]["company_id"], done["company"]["id"]);
    assert_eq!(done["deal"]["contact_ids"], json!([done["contact"]["id"]]));
    for part in ["contact", "company", "deal"] {
        assert_eq!(done[part]["origin_lead_id"], id, "{part} remembers its lead");
    }
    let deal_items = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{}/products", done["deal"]["id"]),
        None,
        200,
    );
    assert_eq!(deal_items["items"][0]["name"], "Audit");
    assert_problem(
        app.send(
            Method::POST,
            &format!("/api/leads/{id}/convert"),
            &admin,
            Some(json!({"contact": "new"})),
        ),
        409,
    );

    let second = call(
        &app,
        &admin,
        Method::POST,
        "/api/leads",
        Some(json!({"title": "Repeat order"})),
        201,
    );
    let linked = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/leads/{}/convert", second["id"]),
        Some(json!({"contact": {"id": done["contact"]["id"]}, "deal": {"title": "Repeat"}})),
        200,
    );
    assert_eq!(linked["deal"]["contact_ids"], json!([done["contact"]["id"]]));
    assert!(linked["company"].is_null());
    let missing = app.send(
        Method::POST,
        "/api/leads/999/convert",
        &admin,
        Some(json!({"contact": "new"})),
    );
    assert_problem(missing, 404);
}

#[test]
fn boards_count_sum_and_page_each_column_within_the_callers_reach() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", PASSWORD);
    for (title, stage, amount, currency) in [
        ("A", "NEW", "100.00", "RUB"),
        ("B", "NEW", "200.00", "RUB"),
        ("C", "NEW", "1.00", "USD"),
        ("D", "WON", "50.00", "RUB"),
    ] {
        call(
            &app,
            &admin,
            Method::POST,
            "/api/deals",
            Some(json!({"title": title, "stage": stage, "amount": amount, "currency": currency})),
            201,
        );
    }
    call(
        &app,
        &manager,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "Mine", "amount": "10.00", "currency": "RUB"})),
        201,
    );
    let usd: f64 = call(&app, &admin, Method::GET, "/api/currencies/USD", None, 200)["rate"]
        .as_str()
        .expect("rate")
        .parse()
        .expect("rate");
    let board = call(&app, &admin, Method::GET, "/api/deals/board?per_column=2", None, 200);
    let columns = board["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 7);
    assert_eq!(columns[0]["stage"]["code"], "NEW");
    assert_eq!(columns[0]["count"], 4);
    assert_eq!(columns[0]["amount"], format!("{:.2}", 310.0 + usd));
    assert_eq!(columns[0]["items"].as_array().expect("cards").len(), 2);
    let cursor = columns[0]["next_cursor"].as_str().expect("more cards");
    let more = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals?filter[stage]=NEW&filter[pipeline_id]=1&limit=2&cursor={cursor}"),
        None,
        200,
    );
    assert_eq!(more["items"].as_array().expect("items").len(), 2);
    assert_eq!(columns[5]["count"], 1);
    let filtered = call(
        &app,
        &admin,
        Method::GET,
        "/api/deals/board?filter[currency]=USD",
        None,
        200,
    );
    assert_eq!(filtered["columns"][0]["count"], 1);
    let mine = call(&app, &manager, Method::GET, "/api/deals/board", None, 200);
    assert_eq!(
        mine["columns"][0]["count"], 1,
        "a manager's board shows only their deals"
    );
    assert_problem(
        app.send(Method::GET, "/api/deals/board?filter[stage]=NEW", &admin, None),
        400,
    );
    assert_problem(
        app.send(Method::GET, "/api/deals/board?pipeline_id=99", &admin, None),
        404,
    );
    // The column totals follow every change: a move, a new amount, a delete.
    let deals = call(
        &app,
        &admin,
        Method::GET,
        "/api/deals?filter[stage]=NEW&sort=id",
        None,
        200,
    );
    let (a, b) = (deals["items"][0]["id"].clone(), deals["items"][1]["id"].clone());
    call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/deals/{a}"),
        Some(json!({"stage": "PREPARATION", "amount": "150.00"})),
        200,
    );
    call(&app, &admin, Method::DELETE, &format!("/api/deals/{b}"), None, 204);
    let after = call(&app, &admin, Method::GET, "/api/deals/board", None, 200);
    assert_eq!(
        (
            after["columns"][0]["count"].as_i64(),
            after["columns"][1]["count"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(after["columns"][1]["amount"], "150.00");
    assert_eq!(after["columns"][0]["amount"], format!("{:.2}", 10.0 + usd));
    call(
        &app,
        &admin,
        Method::POST,
        "/api/leads",
        Some(json!({"title": "L", "amount": "5.00", "currency": "RUB"})),
        201,
    );
    let leads = call(&app, &admin, Method::GET, "/api/leads/board", None, 200);
    assert_eq!(leads["columns"][0]["stage"]["code"], "NEW");
    assert_eq!(leads["columns"][0]["amount"], "5.00");
}

#[test]
fn merging_contacts_keeps_their_deals() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let keep = call(
        &app,
        &admin,
        Method::POST,
        "/api/contacts",
        Some(json!({"first_name": "Ann", "emails": ["ann@example.com"]})),
        201,
    );
    let dupe = call(
        &app,
        &admin,
        Method::POST,
        "/api/contacts",
        Some(json!({"first_name": "Ann", "emails": ["ANN@example.com"]})),
        201,
    );
    let deal = call(
        &app,
        &admin,
        Method::POST,
        "/api/deals",
        Some(json!({"title": "D", "contact_ids": [dupe["id"]]})),
        201,
    );
    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/contacts/{}/merge", keep["id"]),
        Some(json!({"from": [dupe["id"]]})),
        200,
    );
    let after = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/deals/{}", deal["id"]),
        None,
        200,
    );
    assert_eq!(after["contact_ids"], json!([keep["id"]]));
}

#[test]
fn stages_reorder_in_one_request_that_names_every_stage_once() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let pipe = call(
        &app,
        &admin,
        Method::POST,
        "/api/pipelines",
        Some(json!({"name": {"en": "Rentals"}})),
        201,
    );
    let id = pipe["id"].as_i64().expect("id");
    let codes = |p: &Value| -> Vec<String> {
        p["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .map(|s| s["code"].as_str().unwrap().to_string())
            .collect()
    };
    let mut order = codes(&pipe);
    order.reverse();
    let path = format!("/api/pipelines/{id}/stages");
    // A stage missing or repeated: 422 on `order`, nothing moved.
    let short = app.send(Method::PUT, &path, &admin, Some(json!({"order": order[1..]})));
    assert_eq!(fields(&assert_problem(short, 422)), ["order"]);
    let mut twice = order.clone();
    twice[0] = twice[1].clone();
    let twice = app.send(Method::PUT, &path, &admin, Some(json!({"order": twice})));
    assert_eq!(fields(&assert_problem(twice, 422)), ["order"]);
    // A stale version: 412.
    let stale = app.send_if_match(Method::PUT, &path, &admin, "\"99\"", json!({"order": order}));
    assert_problem(stale, 412);
    let moved = call(&app, &admin, Method::PUT, &path, Some(json!({"order": order})), 200);
    assert_eq!(codes(&moved), order);
    assert_eq!(moved["version"].as_i64(), pipe["version"].as_i64().map(|v| v + 1));
    let read = call(&app, &admin, Method::GET, &format!("/api/pipelines/{id}"), None, 200);
    assert_eq!(codes(&read), order);
}
