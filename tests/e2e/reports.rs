//! Reports end to end: the real `reports` component over HTTP. The system reports are listed
//! first and run with a period; a manager's run covers their own deals only; a deal moved back
//! and forth counts once and a deleted one not at all; an unsaved definition runs, and a bad
//! one is a 422 naming each part; a drill-down query string lists exactly the records behind a
//! row; saved reports are created, copied, refused where they are not the caller's; CSV and
//! XLSX download with their types (the XLSX read back).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, assert_problem, call, fields, get, ids, post, spawn_app};

/// The rows of a Result as group labels and measure values.
fn table(result: &Value) -> Vec<Vec<Value>> {
    result["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row["cells"]
                .as_array()
                .expect("cells")
                .iter()
                .map(|c| if c.is_object() { c["label"].clone() } else { c.clone() })
                .collect()
        })
        .collect()
}

#[test]
fn reports_run_scoped_to_the_caller_with_drill_downs_and_downloads() {
    let app = spawn_app();
    assert_problem(app.get("/api/reports"), 401);
    let admin = app.setup_admin();
    let sales = app.department(&admin, "Sales");
    app.create_user(&admin, "m1@example.com", &["manager"], Some(sales));
    let m2 = app.create_user(&admin, "m2@example.com", &["manager"], Some(sales));
    let m1 = app.login("m1@example.com", PASSWORD);
    let m1_id = get(&app, &m1, "/api/me")["id"].as_i64().expect("my id");
    let deal = |title: &str, who: i64, amount: &str, currency: &str| {
        post(
            &app,
            &admin,
            "/api/deals",
            json!({"title": title, "responsible_id": who, "amount": amount, "currency": currency}),
        )["id"]
            .as_i64()
            .expect("id")
    };
    let move_to = |id: i64, stage: &str| {
        call(
            &app,
            &admin,
            Method::PATCH,
            &format!("/api/deals/{id}"),
            Some(json!({"stage": stage})),
            200,
        );
    };
    let d1 = deal("D1", m1_id, "1000.00", "RUB");
    let d2 = deal("D2", m1_id, "100.00", "USD");
    let d3 = deal("D3", m2, "500.00", "RUB");
    let d4 = deal("D4", m2, "50.00", "RUB");
    move_to(d1, "WON");
    move_to(d2, "PREPARATION");
    move_to(d2, "NEW");
    move_to(d2, "WON");
    move_to(d3, "LOSE");
    call(&app, &admin, Method::DELETE, &format!("/api/deals/{d4}"), None, 204);

    let list = get(&app, &m1, "/api/reports");
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes.len(), 11, "{codes:?}");
    assert_eq!(codes[0], "funnel");
    let by_manager = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "deals_by_manager")
        .unwrap();
    let id = by_manager["id"].as_i64().unwrap();

    // Everyone's deals for the administrator: m1 1000.00 + 100.00 USD at 92.50, m2 500.00 lost.
    let all = get(&app, &admin, &format!("/api/reports/{id}/run?from=today&to=today"));
    assert_eq!(all["currency"], "RUB");
    assert_eq!(
        table(&all),
        vec![
            vec![json!("m1@example.com"), json!(2), json!("10250.00"), json!(1.0)],
            vec![json!("m2@example.com"), json!(1), json!("500.00"), json!(0.0)],
        ]
    );
    assert_eq!(all["totals"], json!([null, 3, "10750.00", 0.6667]));
    // The manager's share only.
    let mine = get(&app, &m1, &format!("/api/reports/{id}/run?from=today&to=today"));
    assert_eq!(
        table(&mine),
        vec![vec![json!("m1@example.com"), json!(2), json!("10250.00"), json!(1.0)]]
    );
    // The drill-down lists exactly the records behind the row.
    let drill = all["rows"][0]["drill"].as_str().expect("drill");
    let mut behind = ids(&get(&app, &admin, &format!("/api/deals?{drill}")));
    behind.sort_unstable();
    assert_eq!(behind, vec![d1, d2]);
    // A period override that is inverted is named.
    let problem = assert_problem(
        app.send(
            Method::GET,
            &format!("/api/reports/{id}/run?from=2026-02-01&to=2026-01-01"),
            &admin,
            None,
        ),
        422,
    );
    assert_eq!(fields(&problem), vec!["to"]);

    // The designer: fields, a live preview, every bad part named.
    let described = get(&app, &m1, "/api/reports/fields?entity=deals");
    assert!(
        described["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "closed_at" && f["buckets"].is_array())
    );
    let preview = post_ok(
        &app,
        &admin,
        "/api/reports/run",
        json!({"definition": {"entity": "deals", "filter": {"stage_semantic": "won"},
                              "group_by": [{"field": "stage"}], "measures": [{"fn": "count"}, {"fn": "max", "field": "amount"}]}}),
    );
    assert_eq!(table(&preview), vec![vec![json!("Won"), json!(2), json!("9250.00")]]);
    let problem = assert_problem(
        app.send(
            Method::POST,
            "/api/reports/run",
            &admin,
            Some(
                json!({"definition": {"entity": "deals", "group_by": [{"field": "nope"}],
                                       "measures": [{"fn": "sum", "field": "title"}], "limit": 0}}),
            ),
        ),
        422,
    );
    assert_eq!(
        fields(&problem),
        vec![
            "definition.group_by[0].field",
            "definition.measures[0].field",
            "definition.limit"
        ]
    );

    // Saved reports: own, copied from a system one, system ones read-only.
    let own = post(
        &app,
        &m1,
        "/api/reports",
        json!({"name": "Won by month", "definition": {"entity": "deals", "filter": {"stage_semantic": "won"},
               "group_by": [{"field": "closed_at", "bucket": "month"}], "measures": [{"fn": "count"}]}}),
    );
    let own_id = own["id"].as_i64().unwrap();
    assert_eq!(own["owner_id"], m1_id);
    let ran = get(&app, &m1, &format!("/api/reports/{own_id}/run"));
    assert_eq!(ran["totals"], json!([null, 2]));
    assert_problem(
        app.send(Method::GET, &format!("/api/reports/{own_id}"), &admin, None),
        404,
    );
    let copy = post(&app, &m1, &format!("/api/reports/{id}/copy"), json!({}));
    assert_eq!(copy["name"], "Deals by manager (copy)");
    assert_eq!(copy["system"], false);
    assert_problem(
        app.send(
            Method::PATCH,
            &format!("/api/reports/{id}"),
            &admin,
            Some(json!({"name": "x"})),
        ),
        403,
    );
    call(&app, &m1, Method::DELETE, &format!("/api/reports/{own_id}"), None, 204);

    // Downloads.
    let csv = app.send(
        Method::GET,
        &format!("/api/reports/{id}/run?from=today&to=today&format=csv"),
        &admin,
        None,
    );
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().expect("csv");
    assert!(
        text.starts_with("\u{FEFF}Responsible,Count,\"Amount, sum\",Share\r\n"),
        "{text}"
    );
    assert!(text.contains("m1@example.com,2,10250.00,1.0\r\n"), "{text}");
    let xlsx = app.send(
        Method::GET,
        &format!("/api/reports/{id}/run?from=today&to=today&format=xlsx"),
        &admin,
        None,
    );
    assert_eq!(xlsx.status(), 200);
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = xlsx.bytes().expect("bytes").to_vec();
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book.worksheet_range("Deals by manager").expect("sheet");
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(10250.0)));
    assert_problem(
        app.send(Method::GET, &format!("/api/reports/{id}/run?format=pdf"), &admin, None),
        400,
    );
}

/// `POST` that must answer 200; returns the body.
fn post_ok(app: &crate::helpers::TestApp, auth: &Auth, path: &str, body: Value) -> Value {
    call(app, auth, Method::POST, path, Some(body), 200)
}
