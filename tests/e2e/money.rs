//! Money that cannot overflow, end to end: amounts, prices and totals past the money maximum
//! (9 999 999 999 999.99) are a 422 naming the field and change nothing; board totals over
//! thousands of maximal amounts (far past `i64` in minor units) stay exact; negative amounts
//! where none make sense and JSON numbers instead of decimal strings are refused by name; a
//! lead's amount is checked again when it becomes a deal's.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, call, fields, get, post, spawn_app};

/// The most an amount may be.
const MAX: &str = "9999999999999.99";
/// [`MAX`] in minor units.
const MAX_MINOR: i128 = 999_999_999_999_999;

/// `minor` units as the API writes money.
fn money(minor: i128) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let digits = format!("{:03}", minor.unsigned_abs());
    let (int, frac) = digits.split_at(digits.len() - 2);
    format!("{sign}{int}.{frac}")
}

/// A rate such as `"92.5000"` in millionths.
fn millionths(rate: &str) -> i128 {
    let (int, frac) = rate.split_once('.').unwrap_or((rate, ""));
    format!("{int}{frac:0<6}").parse().expect("a rate")
}

/// `a * b / c` rounded half away from zero (all positive here).
fn mul_div(a: i128, b: i128, c: i128) -> i128 {
    (a * b * 2 + c) / (c * 2)
}

/// Copies row `id` of `table` `times` times in one statement (every column but `id`), so the
/// triggers run as for any insert; the engine's own writes are what the HTTP calls exercised.
fn copy_rows(app: &TestApp, table: &str, id: i64, times: i64) {
    let db = app.db();
    db.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    let mut statement = db
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') WHERE name <> 'id'"
        ))
        .expect("columns");
    let columns: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("columns");
    let list = columns.join(", ");
    db.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO {table} ({list}) SELECT {list} FROM {table}, n WHERE {table}.id = ?2"
        ),
        rusqlite::params![times, id],
    )
    .expect("copies");
}

fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("id")
}

fn problem_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn refused(app: &TestApp, auth: &Auth, method: Method, path: &str, body: Value) -> Vec<(String, String)> {
    problem_codes(&assert_problem(app.send(method, path, auth, Some(body)), 422))
}

/// Finding 1: the maximum price times the maximum quantity used to store a wrapped, negative
/// amount; now each part out of range is named, and the deal keeps its amount and items.
#[test]
fn line_items_past_the_money_maximum_are_refused_by_field_and_change_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let deal = post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Big", "amount": "100.00", "currency": "RUB"}),
    );
    let products = format!("/api/deals/{}/products", id(&deal));
    let probe = json!({"items": [{"name": "x", "price": "999999999999999.99", "quantity": "999999999.999"}]});
    assert_eq!(
        refused(&app, &admin, Method::PUT, &products, probe),
        vec![("items[0].price".to_string(), "out_of_range".to_string())]
    );
    let cases = [
        (
            json!({"items": [{"name": "x", "price": MAX, "quantity": "2"}]}),
            "items[0].total",
            "the maximum price twice",
        ),
        (
            json!({"items": [{"name": "x", "price": MAX, "quantity": "1", "tax_rate": "20"}]}),
            "items[0].total",
            "tax on top of the maximum",
        ),
        (
            json!({"items": [{"name": "x", "price": "1", "quantity": "1000000000"}]}),
            "items[0].quantity",
            "past the largest quantity",
        ),
        (
            json!({"items": [{"name": "a", "price": MAX}, {"name": "b", "price": "0.01"}]}),
            "items",
            "items adding up past the maximum",
        ),
    ];
    for (body, field, why) in cases {
        let problem = assert_problem(app.send(Method::PUT, &products, &admin, Some(body)), 422);
        assert_eq!(fields(&problem), vec![field], "{why}");
    }
    // A product priced at the maximum in USD is worth more than the maximum in rubles.
    let product = post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Everything", "price": MAX, "currency": "USD"}),
    );
    let problem = assert_problem(
        app.send(
            Method::PUT,
            &products,
            &admin,
            Some(json!({"items": [{"product_id": product["id"]}]})),
        ),
        422,
    );
    assert_eq!(fields(&problem), vec!["items[0].price"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("RUB")),
        "{problem}"
    );

    let after = get(&app, &admin, &format!("/api/deals/{}", id(&deal)));
    assert_eq!(
        (&after["amount"], &after["version"]),
        (&json!("100.00"), &deal["version"])
    );
    assert_eq!(get(&app, &admin, &products)["items"], json!([]));

    // The maximum itself is an amount.
    let set = call(
        &app,
        &admin,
        Method::PUT,
        &products,
        Some(
            json!({"items": [{"name": "x", "price": "4999999999999.99", "quantity": "2", "discount_type": "amount", "discount_sum": "0.00"}, {"name": "y", "price": "0.01"}]}),
        ),
        200,
    );
    assert_eq!(set["totals"]["total"], MAX);
    assert_eq!(get(&app, &admin, &format!("/api/deals/{}", id(&deal)))["amount"], MAX);
}

/// Finding 2: maximal amounts used to overflow SQLite's SUM (a 500 for everyone) or turn the
/// running totals REAL; now a manager's maximal deals and leads add up exactly on every board,
/// from the running totals and from the records alike, with amounts stored before the bounds
/// (up to `i64::MAX`) too.
#[test]
fn boards_add_up_thousands_of_maximal_amounts_exactly() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "m@example.com", &["manager"], None);
    let manager = app.login("m@example.com", PASSWORD);
    let rub = post(
        &app,
        &manager,
        "/api/deals",
        json!({"title": "Max", "amount": MAX, "currency": "RUB"}),
    );
    assert_eq!(rub["amount"], MAX);
    let usd = post(
        &app,
        &manager,
        "/api/deals",
        json!({"title": "Max $", "amount": MAX, "currency": "USD"}),
    );
    for past in ["10000000000000.00", "92233720368547758.07", "999999999999999999999999"] {
        assert_eq!(
            refused(
                &app,
                &manager,
                Method::POST,
                "/api/deals",
                json!({"title": "Past", "amount": past, "currency": "RUB"}),
            ),
            vec![("amount".to_string(), "out_of_range".to_string())],
            "{past}"
        );
    }
    let lead = post(
        &app,
        &manager,
        "/api/leads",
        json!({"title": "Max lead", "amount": MAX, "currency": "RUB"}),
    );

    // 10,000 maximal ruble deals are ~10^19 minor units: past i64 summed naively.
    copy_rows(&app, "deals", id(&rub), 9_999);
    copy_rows(&app, "deals", id(&usd), 99);
    copy_rows(&app, "leads", id(&lead), 9_999);
    // Three amounts stored before the bounds existed, at i64::MAX, in another column.
    copy_rows(&app, "deals", id(&rub), 3);
    app.db()
        .execute(
            "UPDATE deals SET stage = 'PREPARATION', amount = ?1 WHERE id > (SELECT MAX(id) - 3 FROM deals)",
            [i64::MAX],
        )
        .expect("legacy amounts");

    let rate = millionths(get(&app, &admin, "/api/currencies/USD")["rate"].as_str().expect("rate"));
    let new_total = money(10_000 * MAX_MINOR + mul_div(100 * MAX_MINOR, rate, 1_000_000));
    let legacy_total = money(3 * i128::from(i64::MAX));
    assert_eq!(legacy_total, "276701161105643274.21");
    // The running totals (board filtered by what they keep), the records (any other filter),
    // the administrator's and the manager's own.
    for (who, path) in [
        (&admin, "/api/deals/board"),
        (&manager, "/api/deals/board"),
        (&admin, "/api/deals/board?filter[currency][in]=RUB,USD"),
        (&manager, "/api/deals/board?filter[amount][gte]=0"),
    ] {
        let board = call(&app, who, Method::GET, path, None, 200);
        let columns = &board["columns"];
        assert_eq!(
            (
                &columns[0]["stage"]["code"],
                &columns[0]["count"],
                &columns[0]["amount"]
            ),
            (&json!("NEW"), &json!(10_100), &json!(new_total)),
            "{path}"
        );
        assert_eq!(
            (
                &columns[1]["stage"]["code"],
                &columns[1]["count"],
                &columns[1]["amount"]
            ),
            (&json!("PREPARATION"), &json!(3), &json!(legacy_total)),
            "{path}"
        );
    }
    let leads = call(&app, &admin, Method::GET, "/api/leads/board", None, 200);
    assert_eq!(leads["columns"][0]["count"], 10_000);
    assert_eq!(leads["columns"][0]["amount"], money(10_000 * MAX_MINOR));
}

/// Finding 3: negatives where they make no sense, and JSON numbers for money, are refused by
/// name; a custom field defined as signed takes negatives.
#[test]
fn negative_amounts_and_json_numbers_are_refused_by_name() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for (code, extra) in [("uf_size", json!({})), ("uf_delta", json!({"signed": true}))] {
        let mut body = json!({"entity": "deal", "code": code, "label": {"en": code}, "type": "decimal"});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        post(&app, &admin, "/api/custom-fields", body);
    }
    let cases = [
        (
            "/api/deals",
            json!({"title": "D", "amount": "-1.00"}),
            ("amount", "out_of_range"),
            "a negative deal amount",
        ),
        (
            "/api/deals",
            json!({"title": "D", "amount": 12.5}),
            ("amount", "invalid_type"),
            "a deal amount as a JSON number",
        ),
        (
            "/api/deals",
            json!({"title": "D", "amount": "10000000000000.00"}),
            ("amount", "out_of_range"),
            "the maximum + 0.01",
        ),
        (
            "/api/companies",
            json!({"title": "C", "revenue": "-1.00"}),
            ("revenue", "out_of_range"),
            "negative revenue",
        ),
        (
            "/api/leads",
            json!({"title": "L", "amount": "-0.01"}),
            ("amount", "out_of_range"),
            "a negative lead amount",
        ),
        (
            "/api/deals",
            json!({"title": "D", "custom": {"uf_size": "-1.00"}}),
            ("custom.uf_size", "out_of_range"),
            "a negative custom decimal",
        ),
        (
            "/api/deals",
            json!({"title": "D", "custom": {"uf_size": 3.5}}),
            ("custom.uf_size", "invalid_type"),
            "a custom decimal as a JSON number",
        ),
        (
            "/api/deals",
            json!({"title": "D", "custom": {"uf_delta": "-10000000000000.00"}}),
            ("custom.uf_delta", "out_of_range"),
            "past the signed minimum",
        ),
        (
            "/api/products",
            json!({"name": "P", "price": 12.5}),
            ("price", "invalid_type"),
            "a product price as a JSON number",
        ),
    ];
    for (path, body, (field, code), why) in cases {
        assert_eq!(
            refused(&app, &admin, Method::POST, path, body),
            vec![(field.to_string(), code.to_string())],
            "{why}"
        );
    }
    assert_eq!(
        get(&app, &admin, "/api/deals?count=true")["total"],
        0,
        "nothing was written"
    );

    let deal = post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "D", "amount": "0.00", "custom": {"uf_delta": "-1.00", "uf_size": MAX}}),
    );
    assert_eq!(deal["custom"], json!({"uf_size": MAX, "uf_delta": "-1.00"}));
    let problem = assert_problem(
        app.send(
            Method::PUT,
            &format!("/api/deals/{}/products", id(&deal)),
            &admin,
            Some(json!({"items": [{"name": "x", "price": 12.5}]})),
        ),
        422,
    );
    assert_eq!(
        problem_codes(&problem),
        vec![("items[0].price".to_string(), "invalid_type".to_string())]
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("decimal string")),
        "{problem}"
    );
    let fields_of = get(&app, &admin, "/api/custom-fields?filter[entity]=deal");
    let signed: Vec<(&str, &Value)> = fields_of["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| (f["code"].as_str().unwrap_or_default(), &f["signed"]))
        .collect();
    assert_eq!(signed, vec![("uf_size", &json!(false)), ("uf_delta", &json!(true))]);
}

/// A lead's amount stored before the bounds (here `i64::MAX`) is parsed again when the lead
/// becomes a deal: the conversion is a 422 naming `deal.amount`, and nothing changes; at the
/// maximum it converts.
#[test]
fn converting_a_lead_checks_the_amount_it_copies() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "Huge", "amount": MAX, "currency": "RUB"}),
    );
    let convert = format!("/api/leads/{}/convert", id(&lead));
    app.db()
        .execute(
            "UPDATE leads SET amount = ?1 WHERE id = ?2",
            rusqlite::params![i64::MAX, id(&lead)],
        )
        .expect("a legacy amount");
    assert_eq!(
        refused(&app, &admin, Method::POST, &convert, json!({"deal": {}})),
        vec![("deal.amount".to_string(), "out_of_range".to_string())]
    );
    assert_eq!(get(&app, &admin, &format!("/api/leads/{}", id(&lead)))["status"], "NEW");
    assert_eq!(get(&app, &admin, "/api/deals?count=true")["total"], 0);

    app.db()
        .execute(
            "UPDATE leads SET amount = ?1 WHERE id = ?2",
            rusqlite::params![999_999_999_999_999_i64, id(&lead)],
        )
        .expect("the maximum");
    let done = call(&app, &admin, Method::POST, &convert, Some(json!({"deal": {}})), 200);
    assert_eq!(done["deal"]["amount"], MAX);
}
