//! The reports screens in a real browser (`tests/browser/ui/reports_*.mjs`, run as the other UI
//! scenarios are): the funnel's bars as long as the API's shares, a standard report over a
//! changed period with its chart, table, drill-down and downloads, a copy regrouped in the
//! designer and saved, a 422 beside the part it names, a manager's report covering only their
//! deals, and a phone's width.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, get, post, spawn_app};
use crate::ui_browser::{admin_config, run_ui};

/// The standard report the scenarios open: deals by their responsible person.
const STANDARD: &str = "deals_by_manager";

/// Moves deal `id` through `stages` in order, each a `PATCH` with `If-Match` as the board sends.
fn walk(app: &TestApp, auth: &Auth, id: &Value, stages: &[&str]) {
    for stage in stages {
        let deal = get(app, auth, &format!("/api/deals/{id}"));
        let r = app.send_if_match(
            Method::PATCH,
            &format!("/api/deals/{id}"),
            auth,
            &format!("\"{}\"", deal["version"]),
            json!({"stage": stage}),
        );
        assert_eq!(
            r.status(),
            200,
            "moving deal {id} to {stage}: {}",
            r.text().unwrap_or_default()
        );
    }
}

/// Four deals of `auth` that narrow the funnel: one stays new, one reaches preparation, one
/// jumps ahead to in progress, one is won.
fn funnel_deals(app: &TestApp, auth: &Auth, prefix: &str) {
    let paths: [&[&str]; 4] = [
        &[],
        &["PREPARATION"],
        &["PREPARATION", "EXECUTING"],
        &["PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON"],
    ];
    for (n, path) in paths.iter().enumerate() {
        let deal = post(
            app,
            auth,
            "/api/deals",
            json!({"title": format!("{prefix} deal {n}"), "amount": format!("{}000.00", n + 1), "currency": "RUB", "stage": "NEW"}),
        );
        walk(app, auth, &deal["id"], path);
    }
}

/// The standard report's saved row and its result, as `auth` sees them.
fn standard(app: &TestApp, auth: &Auth) -> (Value, Value) {
    let list = get(app, auth, "/api/reports");
    let report = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["code"] == STANDARD))
        .cloned()
        .unwrap_or_else(|| panic!("no {STANDARD} in {list}"));
    let result = get(app, auth, &format!("/api/reports/{}/run", report["id"]));
    (report, result)
}

/// The total of the result's `count` column and that column's label.
fn count_total(result: &Value) -> (Value, String) {
    let columns = result["columns"].as_array().expect("columns");
    let at = columns
        .iter()
        .position(|c| c["key"] == "count")
        .expect("a count column");
    (
        result["totals"][at].clone(),
        columns[at]["label"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn the_funnel_draws_each_stage_as_long_as_its_share() {
    let app = spawn_app();
    let admin = app.setup_admin();
    funnel_deals(&app, &admin, "Funnel");
    // One deal lost after preparing documents: the funnel's "lost at" row drills down to it.
    let lost = post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Funnel deal lost", "amount": "9000.00", "currency": "RUB", "stage": "NEW"}),
    );
    walk(&app, &admin, &lost["id"], &["PREPARATION", "LOSE"]);
    let results = run_ui(&app, "reports_funnel", admin_config(&admin));
    assert_eq!(results["lost_list"], json!(["Funnel deal lost"]), "{results}");
    let bars = results["bars"].as_array().expect("bars");
    assert!(bars.len() >= 6, "every in-progress stage and won: {bars:?}");
    assert_eq!(
        bars[0]["share"].as_f64(),
        Some(1.0),
        "the first stage is the whole: {bars:?}"
    );
    assert_eq!(
        bars[1]["share"].as_f64(),
        Some(0.8),
        "four of five deals reached preparation: {bars:?}"
    );
}

#[test]
fn a_standard_report_follows_its_period_drills_down_and_downloads_as_excel_and_csv() {
    let app = spawn_app();
    let admin = app.setup_admin();
    funnel_deals(&app, &admin, "Standard");
    let mut config = admin_config(&admin);
    config["code"] = json!(STANDARD);
    let results = run_ui(&app, "reports_standard", config);
    assert_eq!(results["xlsx"]["status"], json!(200));
    assert_eq!(results["csv"]["status"], json!(200));
    assert_eq!(
        results["drilled"].as_array().map(Vec::len),
        Some(4),
        "the owner's four deals: {results}"
    );
}

#[test]
fn a_copied_standard_report_regrouped_in_the_designer_is_saved_and_listed() {
    let app = spawn_app();
    let admin = app.setup_admin();
    funnel_deals(&app, &admin, "Designer");
    let mut config = admin_config(&admin);
    config["code"] = json!(STANDARD);
    config["regroup"] = json!("stage");
    config["new_name"] = json!("Deals by stage, mine");
    let results = run_ui(&app, "reports_designer", config);
    assert!(
        results["limit_error"].as_str().is_some_and(|m| !m.is_empty()),
        "{results}"
    );
    let list = get(&app, &admin, "/api/reports");
    let mine = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["name"] == "Deals by stage, mine"))
        .cloned()
        .unwrap_or_else(|| panic!("the saved copy is listed: {list}"));
    assert_eq!(mine["system"], json!(false));
    assert_eq!(mine["definition"]["group_by"][0]["field"], json!("stage"), "{mine}");
}

#[test]
fn a_manager_sees_only_their_own_deals_in_a_standard_report() {
    let app = spawn_app();
    let admin = app.setup_admin();
    funnel_deals(&app, &admin, "Owner's");
    app.create_user(&admin, "mila@example.com", &["manager"], None);
    let mila = app.login("mila@example.com", PASSWORD);
    post(
        &app,
        &mila,
        "/api/deals",
        json!({"title": "Mila's deal", "amount": "700.00", "currency": "RUB", "stage": "NEW"}),
    );
    let (report, all) = standard(&app, &admin);
    let (_, own) = standard(&app, &mila);
    let (admin_total, label) = count_total(&all);
    let (mila_total, _) = count_total(&own);
    assert_eq!(mila_total, json!(1), "the manager's report covers her one deal: {own}");
    assert_eq!(admin_total, json!(5), "the owner's covers all five: {all}");
    let config = json!({
        "email": "mila@example.com",
        "password": PASSWORD,
        "report_name": report["name"]["en"].as_str().or(report["name"].as_str()),
        "count_label": label,
        "hidden_name": "Anna Admin",
    });
    let results = run_ui(&app, "reports_manager", config);
    assert_eq!(results["total"], json!("1"), "the manager's table: {results}");
}

#[test]
fn the_reports_screens_fit_a_375_px_phone() {
    let app = spawn_app();
    let admin = app.setup_admin();
    funnel_deals(&app, &admin, "A rather long deal title for a narrow phone");
    let mut config = admin_config(&admin);
    config["code"] = json!(STANDARD);
    config["viewport"] = json!({"width": 375, "height": 740});
    run_ui(&app, "reports_narrow", config);
}
