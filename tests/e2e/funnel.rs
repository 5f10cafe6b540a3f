//! The funnels end to end through the `reports` component: deals moved through stages over the
//! API (back and forth, jumping ahead, won, lost, deleted, in two currencies), then
//! `GET /api/reports/funnel` as the administrator, a head of department and a manager, the
//! same answer as the system report `funnel` run by id, the leads funnel, and the 422s.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, call, fields, get, post, spawn_app};

/// A deal of `owner` created in `stages[0]` and moved through the rest.
fn deal(app: &TestApp, admin: &Auth, owner: i64, amount: &str, currency: &str, stages: &[&str]) -> i64 {
    let created = post(
        app,
        admin,
        "/api/deals",
        json!({"title": format!("{amount} {currency}"), "stage": stages[0], "amount": amount,
               "currency": currency, "responsible_id": owner}),
    );
    let id = created["id"].as_i64().expect("id");
    for stage in &stages[1..] {
        call(
            app,
            admin,
            Method::PATCH,
            &format!("/api/deals/{id}"),
            Some(json!({"stage": stage})),
            200,
        );
    }
    id
}

/// Each progress stage's (code, reached, now).
fn reached(result: &Value) -> Vec<(String, i64, i64)> {
    result["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().expect("code").to_string(),
                s["reached"].as_i64().expect("reached"),
                s["now"].as_i64().expect("now"),
            )
        })
        .collect()
}

fn triple(code: &str, reached: i64, now: i64) -> (String, i64, i64) {
    (code.to_string(), reached, now)
}

#[test]
fn the_funnel_counts_stage_history_per_caller() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let sales = app.department(&admin, "Sales");
    app.create_user(&admin, "head@example.com", &["head"], Some(sales));
    let m1 = app.create_user(&admin, "m1@example.com", &["manager"], Some(sales));
    let m2 = app.create_user(&admin, "m2@example.com", &["manager"], None);
    // d1: back and forth, then a jump to EXECUTING; d2: 10 USD (925.00 at 92.5) straight to
    // won; d3: lost at PREPARATION; d4: deleted.
    deal(
        &app,
        &admin,
        m1,
        "1000.00",
        "RUB",
        &["NEW", "PREPARATION", "NEW", "EXECUTING"],
    );
    deal(&app, &admin, m1, "10.00", "USD", &["NEW", "WON"]);
    deal(&app, &admin, m2, "500.00", "RUB", &["NEW", "PREPARATION", "LOSE"]);
    let d4 = deal(&app, &admin, m2, "300.00", "RUB", &["NEW", "PREPAYMENT_INVOICE"]);
    call(&app, &admin, Method::DELETE, &format!("/api/deals/{d4}"), None, 204);

    let all = get(&app, &admin, "/api/reports/funnel");
    assert_eq!(all["report"]["kind"], "funnel");
    assert_eq!(all["currency"], "RUB");
    assert_eq!(all["total"], 3);
    assert_eq!(
        reached(&all),
        vec![
            triple("NEW", 3, 0),
            triple("PREPARATION", 3, 0),
            triple("PREPAYMENT_INVOICE", 2, 0),
            triple("EXECUTING", 2, 1),
            triple("FINAL_INVOICE", 1, 0),
        ]
    );
    let shares: Vec<Value> = all["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["share"].clone())
        .collect();
    assert_eq!(
        shares,
        vec![json!(1.0), json!(1.0), json!(0.6667), json!(0.6667), json!(0.3333)]
    );
    assert_eq!(all["stages"][4]["conversion"], json!(0.5));
    assert_eq!(all["stages"][3]["amount"], "1000.00");
    assert_eq!(all["stages"][0]["reached_amount"], "2425.00");
    assert_eq!(
        (&all["won"]["reached"], &all["won"]["amount"], &all["won"]["conversion"]),
        (&json!(1), &json!("925.00"), &json!(1.0))
    );
    let lost: Vec<(String, i64, String)> = all["lost"]
        .as_array()
        .expect("lost")
        .iter()
        .map(|l| {
            (
                l["code"].as_str().expect("code").to_string(),
                l["count"].as_i64().expect("count"),
                l["amount"].as_str().expect("amount").to_string(),
            )
        })
        .collect();
    assert_eq!(lost[1], ("PREPARATION".to_string(), 1, "500.00".to_string()));
    assert_eq!(lost.iter().map(|l| l.1).sum::<i64>(), 1);

    // The drill-down lists exactly the deals now in the stage.
    let drill = all["drill"]["stage:EXECUTING"].as_str().expect("drill");
    let listed = get(&app, &admin, &format!("/api/deals?{drill}"));
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);
    assert_eq!(listed["items"][0]["title"], "1000.00 RUB");

    // The system report `funnel`, run by id, is the same answer.
    let id = all["report"]["id"].as_i64().expect("the system report's id");
    let by_id = get(&app, &admin, &format!("/api/reports/{id}/run"));
    assert_eq!(by_id["stages"], all["stages"]);

    // The head sees Sales (m1's d1 and d2), m2 only d3.
    let head = app.login("head@example.com", PASSWORD);
    let theirs = get(&app, &head, "/api/reports/funnel");
    assert_eq!(theirs["total"], 2);
    assert_eq!(
        reached(&theirs),
        vec![
            triple("NEW", 2, 0),
            triple("PREPARATION", 2, 0),
            triple("PREPAYMENT_INVOICE", 2, 0),
            triple("EXECUTING", 2, 1),
            triple("FINAL_INVOICE", 1, 0),
        ]
    );
    let other = app.login("m2@example.com", PASSWORD);
    let own = get(&app, &other, "/api/reports/funnel");
    assert_eq!(own["total"], 1);
    assert_eq!(own["lost"][1]["count"], 1);
    assert_eq!(own["won"]["reached"], 0);

    // A period with none of them.
    let empty = get(&app, &admin, "/api/reports/funnel?from=2020-01-01&to=2020-12-31");
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["stages"][1]["share"], Value::Null);
}

#[test]
fn bad_funnel_input_is_a_422_naming_the_part() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for (path, field) in [
        ("/api/reports/funnel?pipeline_id=999", "pipeline_id"),
        ("/api/reports/funnel?from=2026-05-01&to=2026-04-01", "to"),
        ("/api/reports/funnel?from=2026-02-30", "from"),
        ("/api/reports/leads-funnel?from=2026-05-01&to=2026-04-01", "to"),
    ] {
        let problem = assert_problem(app.send(Method::GET, path, &admin, None), 422);
        assert_eq!(fields(&problem), vec![field], "{path}");
    }
    assert_problem(app.send(Method::GET, "/api/reports/funnel", &Auth::none(), None), 401);
}

#[test]
fn the_leads_funnel_counts_statuses_and_conversions() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = |title: &str, statuses: &[&str]| {
        let id = post(
            &app,
            &admin,
            "/api/leads",
            json!({"title": title, "status": statuses[0]}),
        )["id"]
            .as_i64()
            .expect("id");
        for status in &statuses[1..] {
            call(
                &app,
                &admin,
                Method::PATCH,
                &format!("/api/leads/{id}"),
                Some(json!({"status": status})),
                200,
            );
        }
    };
    lead("converted", &["NEW", "IN_PROCESS", "CONVERTED"]);
    lead("junk", &["NEW", "JUNK"]);
    lead("back", &["NEW", "PROCESSED", "IN_PROCESS"]);
    lead("new", &["NEW"]);
    let result = get(&app, &admin, "/api/reports/leads-funnel");
    assert_eq!(result["report"]["kind"], "leads_funnel");
    assert_eq!(result["total"], 4);
    let statuses: Vec<(String, i64, i64)> = result["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().expect("code").to_string(),
                s["reached"].as_i64().expect("reached"),
                s["now"].as_i64().expect("now"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            triple("NEW", 4, 1),
            triple("IN_PROCESS", 2, 1),
            triple("PROCESSED", 2, 0),
            triple("CONVERTED", 1, 1),
            triple("JUNK", 1, 1),
        ]
    );
    assert_eq!(result["converted"], json!({"count": 1, "share": 0.25}));
    assert_eq!(result["junk"], json!({"count": 1, "share": 0.25}));
    assert_eq!(result["time_to_convert"]["count"], 1);
    assert_eq!(result["time_to_convert"]["median_days"], json!(0.0));
}
