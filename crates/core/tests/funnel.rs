//! The deals and leads funnels (`reports::funnel`) on a hand-built dataset whose right answers
//! are worked out by hand below: deals moved back and forth, one jumping ahead, lost deals at
//! different stages, a deleted deal, one created outside the period, three currencies at the
//! stored rates, and the same funnel for an administrator, a head of department and a manager.
//! The kept data of sql/0021 (`deals.funnel_entered`, `deal_funnel_days`) is checked against a
//! recomputation from the stage history after every kind of change.

mod common;

use common::{count, errors, fresh, user_in};

use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::records::{EntityDef, service};
use crm_core::reports::funnel::{self, FunnelParams};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

fn def(db: &dyn Db, entity: &str) -> EntityDef {
    EntityDef::load(db, entity).expect("entity")
}

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Value) -> i64 {
    service::create(db, caller, &def(db, entity), &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))["id"]
        .as_i64()
        .expect("id")
}

fn set(db: &dyn Db, caller: &Caller, entity: &str, id: i64, body: Value) {
    service::update(db, caller, &def(db, entity), id, &body, None).unwrap_or_else(|e| panic!("update {body}: {e:?}"));
}

/// A deal of `owner` walking through `stages` (the first is where it is created).
fn deal(db: &dyn Db, admin: &Caller, owner: i64, amount: &str, currency: &str, stages: &[&str]) -> i64 {
    let id = create(
        db,
        admin,
        "deal",
        json!({"title": format!("deal {amount} {currency}"), "stage": stages[0], "amount": amount,
               "currency": currency, "responsible_id": owner}),
    );
    for stage in &stages[1..] {
        set(db, admin, "deal", id, json!({"stage": stage}));
    }
    id
}

/// The period the tests ask for: the last 60 days (so whole days come from the kept aggregate
/// and the edges from the deals).
fn recent() -> FunnelParams {
    FunnelParams {
        pipeline_id: None,
        from: Some("today-60d".into()),
        to: Some("today".into()),
        ..Default::default()
    }
}

/// (code, reached, now, amount, reached_amount, share, conversion) of each progress stage.
fn stages(result: &Value) -> Vec<(String, i64, i64, String, String, Value, Value)> {
    result["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().expect("code").to_string(),
                s["reached"].as_i64().expect("reached"),
                s["now"].as_i64().expect("now"),
                s["amount"].as_str().expect("amount").to_string(),
                s["reached_amount"].as_str().expect("reached_amount").to_string(),
                s["share"].clone(),
                s["conversion"].clone(),
            )
        })
        .collect()
}

fn row(
    code: &str,
    reached: i64,
    now: i64,
    amount: &str,
    reached_amount: &str,
    share: f64,
    conversion: Option<f64>,
) -> (String, i64, i64, String, String, Value, Value) {
    (
        code.into(),
        reached,
        now,
        amount.into(),
        reached_amount.into(),
        json!(share),
        json!(conversion),
    )
}

/// (code, count, amount) of the lost deals per stage.
fn lost(result: &Value) -> Vec<(String, i64, String)> {
    result["lost"]
        .as_array()
        .expect("lost")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().expect("code").to_string(),
                s["count"].as_i64().expect("count"),
                s["amount"].as_str().expect("amount").to_string(),
            )
        })
        .collect()
}

/// The kept data equals a recomputation: each deal's entered stages from its history, the
/// per-day rows from the deals, and the whole funnel for `callers`.
fn kept_equals_recomputed(db: &dyn Db, callers: &[&Caller]) {
    let stale = count(
        db,
        "SELECT COUNT(*) FROM deals t WHERE t.funnel_entered IS NOT COALESCE((SELECT group_concat(to_stage, ',') FROM (
           SELECT h.to_stage FROM deal_stage_history h WHERE h.deal_id = t.id GROUP BY h.to_stage ORDER BY MAX(h.at), MAX(h.id))), '')",
    );
    assert_eq!(stale, 0, "deals whose funnel_entered differs from their history");
    let recomputed = "SELECT pipeline_id, created_at / 86400 AS day, stage, funnel_entered AS entered, COALESCE(currency, '') AS currency,
                             COUNT(*) AS n, COALESCE(SUM(amount / 1000000000), 0) AS amount_hi, COALESCE(SUM(amount % 1000000000), 0) AS amount_lo
                      FROM deals GROUP BY 1, 2, 3, 4, 5";
    let kept = "SELECT pipeline_id, day, stage, entered, currency, n, amount_hi, amount_lo FROM deal_funnel_days";
    for (a, b) in [(kept, recomputed), (recomputed, kept)] {
        let differing = count(db, &format!("SELECT COUNT(*) FROM ({a} EXCEPT {b})"));
        assert_eq!(differing, 0, "deal_funnel_days differs from a recomputation");
    }
    for caller in callers {
        for params in [recent(), FunnelParams::default()] {
            assert_eq!(
                funnel::deals(db, caller, &params).expect("funnel"),
                funnel::deals_recomputed(db, caller, &params).expect("recomputed"),
                "the funnel from kept data differs from the recomputation for user {}",
                caller.user_id
            );
        }
    }
}

struct Firm {
    admin: Caller,
    head: Caller,
    manager: Caller,
}

/// Departments 1 (the head, the manager and a second manager) and 2 (a third manager); the
/// deals of the module doc. Returns the callers.
fn firm(db: &dyn Db) -> Firm {
    db.execute(
        "INSERT INTO departments (id, name, parent_id, created_at, updated_at) VALUES (1, 'Sales', NULL, 0, 0), (2, 'Other', NULL, 0, 0)",
        &[],
    )
    .expect("departments");
    let admin = user_in(db, "admin@example.com", "administrator", None);
    let head = user_in(db, "head@example.com", "head", Some(1));
    let manager = user_in(db, "m1@example.com", "manager", Some(1));
    let colleague = user_in(db, "m3@example.com", "manager", Some(1));
    let other = user_in(db, "m2@example.com", "manager", Some(2));
    let (m1, m2, m3) = (manager.user_id, other.user_id, colleague.user_id);
    // d1: back and forth, now EXECUTING.
    deal(
        db,
        &admin,
        m1,
        "1000.00",
        "RUB",
        &["NEW", "PREPARATION", "NEW", "PREPARATION", "EXECUTING"],
    );
    // d2: jumps from NEW to FINAL_INVOICE, then won; 10 USD at 92.5 = 925.00.
    deal(db, &admin, m1, "10.00", "USD", &["NEW", "FINAL_INVOICE", "WON"]);
    // d3: lost at PREPARATION.
    deal(db, &admin, m2, "500.00", "RUB", &["NEW", "PREPARATION", "LOSE"]);
    // d4: lost at NEW; 20 EUR at 100.2 = 2004.00.
    deal(db, &admin, m2, "20.00", "EUR", &["NEW", "LOSE"]);
    // d5: still NEW.
    deal(db, &admin, m1, "300.00", "RUB", &["NEW"]);
    // d6: deleted.
    let d6 = deal(db, &admin, m2, "700.00", "RUB", &["NEW", "PREPAYMENT_INVOICE"]);
    service::delete(db, &admin, &def(db, "deal"), d6, None).expect("delete");
    // d7: created 400 days ago, outside the period.
    let d7 = deal(db, &admin, m1, "200.00", "RUB", &["NEW", "PREPARATION"]);
    db.execute(
        "UPDATE deals SET created_at = created_at - ? WHERE id = ?",
        &[(400 * DAY).into(), d7.into()],
    )
    .expect("backdate");
    // d8: up to EXECUTING, moved back to PREPARATION.
    deal(db, &admin, m2, "100.00", "RUB", &["NEW", "EXECUTING", "PREPARATION"]);
    // d9: the colleague's, lost at PREPAYMENT_INVOICE.
    deal(db, &admin, m3, "400.00", "RUB", &["NEW", "PREPAYMENT_INVOICE", "LOSE"]);
    Firm { admin, head, manager }
}

/// Each "lost at" row's drill lists exactly as many deals as the row counts.
fn lost_drills_match(db: &dyn Db, caller: &Caller, result: &Value) {
    for (code, count, _) in lost(result) {
        let drill = result["drill"][format!("lost:{code}")].as_str().expect("a lost drill");
        assert!(drill.ends_with(&format!("&filter[lost_at_stage]={code}")), "{drill}");
        assert_eq!(
            common::drilled_deals(db, caller, drill).len() as i64,
            count,
            "lost at {code}: {drill}"
        );
    }
}

#[test]
fn the_administrators_funnel_counts_every_deal_by_its_furthest_stage() {
    let (_dir, db) = fresh();
    let firm = firm(&db);
    let result = funnel::deals(&db, &firm.admin, &recent()).expect("funnel");
    assert_eq!(result["report"]["kind"], "funnel");
    assert_eq!(result["currency"], "RUB");
    assert_eq!(result["pipeline"]["id"], 1);
    assert_eq!(result["total"], 7, "d6 deleted, d7 outside the period");
    // Furthest ranks: d1 3, d2 won, d3 1, d4 0, d5 0, d8 3, d9 2.
    assert_eq!(
        stages(&result),
        vec![
            row("NEW", 7, 1, "300.00", "5229.00", 1.0, None),
            row("PREPARATION", 5, 1, "100.00", "2925.00", 0.7143, Some(0.7143)),
            row("PREPAYMENT_INVOICE", 4, 0, "0.00", "2425.00", 0.5714, Some(0.8)),
            row("EXECUTING", 3, 1, "1000.00", "2025.00", 0.4286, Some(0.75)),
            row("FINAL_INVOICE", 1, 0, "0.00", "925.00", 0.1429, Some(0.3333)),
        ]
    );
    let won = &result["won"];
    assert_eq!(
        (
            &won["code"],
            &won["reached"],
            &won["now"],
            &won["amount"],
            &won["share"],
            &won["conversion"]
        ),
        (
            &json!("WON"),
            &json!(1),
            &json!(1),
            &json!("925.00"),
            &json!(0.1429),
            &json!(1.0)
        )
    );
    assert_eq!(
        lost(&result),
        vec![
            ("NEW".into(), 1, "2004.00".into()),
            ("PREPARATION".into(), 1, "500.00".into()),
            ("PREPAYMENT_INVOICE".into(), 1, "400.00".into()),
            ("EXECUTING".into(), 0, "0.00".into()),
            ("FINAL_INVOICE".into(), 0, "0.00".into()),
        ]
    );
    let drill = result["drill"]["stage:EXECUTING"].as_str().expect("drill");
    assert!(
        drill.starts_with("filter[pipeline_id]=1&filter[created_at][gte]=")
            && drill.ends_with("&filter[stage]=EXECUTING"),
        "{drill}"
    );
    lost_drills_match(&db, &firm.admin, &result);
    kept_equals_recomputed(&db, &[&firm.admin, &firm.head, &firm.manager]);
}

#[test]
fn a_head_sees_the_department_and_a_manager_their_own() {
    let (_dir, db) = fresh();
    let firm = firm(&db);
    // The head: d1, d2, d5 (the manager's) and d9 (the colleague's).
    let head = funnel::deals(&db, &firm.head, &recent()).expect("head's funnel");
    assert_eq!(head["total"], 4);
    let reached: Vec<i64> = stages(&head).iter().map(|s| s.1).collect();
    assert_eq!(reached, vec![4, 3, 3, 2, 1]);
    assert_eq!(head["won"]["reached"], 1);
    let lost_counts: Vec<i64> = lost(&head).iter().map(|l| l.1).collect();
    assert_eq!(lost_counts, vec![0, 0, 1, 0, 0]);
    lost_drills_match(&db, &firm.head, &head);
    // The manager: d1, d2, d5 (d7 is outside the period).
    let manager = funnel::deals(&db, &firm.manager, &recent()).expect("manager's funnel");
    assert_eq!(
        stages(&manager),
        vec![
            row("NEW", 3, 1, "300.00", "2225.00", 1.0, None),
            row("PREPARATION", 2, 0, "0.00", "1925.00", 0.6667, Some(0.6667)),
            row("PREPAYMENT_INVOICE", 2, 0, "0.00", "1925.00", 0.6667, Some(1.0)),
            row("EXECUTING", 2, 1, "1000.00", "1925.00", 0.6667, Some(1.0)),
            row("FINAL_INVOICE", 1, 0, "0.00", "925.00", 0.3333, Some(0.5)),
        ]
    );
    assert!(lost(&manager).iter().all(|l| l.1 == 0));
    // A deal opened to everyone joins the manager's funnel.
    db.execute("UPDATE deals SET opened = 1 WHERE title = 'deal 500.00 RUB'", &[])
        .expect("open d3");
    let manager = funnel::deals(&db, &firm.manager, &recent()).expect("manager's funnel");
    assert_eq!(manager["total"], 4);
    assert_eq!(lost(&manager)[1].1, 1, "d3, lost at PREPARATION");
    lost_drills_match(&db, &firm.manager, &manager);
    kept_equals_recomputed(&db, &[&firm.admin, &firm.head, &firm.manager]);
}

#[test]
fn the_kept_data_follows_every_change_and_equals_a_recomputation() {
    let (_dir, db) = fresh();
    let firm = firm(&db);
    let deal_def = def(&db, "deal");
    // Amount and currency changes, a reopened won deal, a stage deleted with its deals moved,
    // a second pipeline, a deal deleted after moves.
    let d1 = 1;
    set(
        &db,
        &firm.admin,
        "deal",
        d1,
        json!({"amount": "1500.00", "currency": "USD"}),
    );
    set(&db, &firm.admin, "deal", 2, json!({"stage": "PREPARATION"}));
    kept_equals_recomputed(&db, &[&firm.admin, &firm.head, &firm.manager]);
    let after = funnel::deals(&db, &firm.admin, &recent()).expect("funnel");
    assert_eq!(after["won"]["reached"], 1, "the reopened deal was won once");
    assert_eq!(after["won"]["now"], 0);
    service::delete(&db, &firm.admin, &deal_def, 8, None).expect("delete d8");
    let second = common::wholesale_pipeline(&db, &firm.admin);
    // A deal of the default pipeline moved to the new one, and won there.
    let moved = deal(
        &db,
        &firm.admin,
        firm.manager.user_id,
        "50.00",
        "RUB",
        &["NEW", "PREPARATION"],
    );
    crm_core::records::entities::deal::move_to_pipeline(
        &db,
        &firm.admin,
        &deal_def,
        moved,
        &json!({"pipeline_id": second}),
    )
    .expect("move to the second pipeline");
    set(
        &db,
        &firm.admin,
        "deal",
        moved,
        json!({"stage": format!("C{second}:WON")}),
    );
    kept_equals_recomputed(&db, &[&firm.admin, &firm.head, &firm.manager]);
    let wholesale = funnel::deals(
        &db,
        &firm.admin,
        &FunnelParams {
            pipeline_id: Some(second),
            ..recent()
        },
    )
    .expect("second pipeline");
    assert_eq!(wholesale["total"], 1);
    assert_eq!(wholesale["won"]["reached"], 1);
    assert!(
        stages(&wholesale).iter().all(|s| s.1 == 1),
        "a won deal passed every stage"
    );
    let before = funnel::deals(&db, &firm.admin, &recent()).expect("funnel");
    assert_eq!(before["total"], 6);
}

#[test]
fn a_period_is_in_the_firms_time_zone() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "admin@example.com", "administrator", None);
    db.execute(
        "INSERT OR REPLACE INTO app_settings (key, value) VALUES ('time_zone', 'Europe/Moscow')",
        &[],
    )
    .expect("zone");
    let id = deal(&db, &admin, admin.user_id, "1.00", "RUB", &["NEW"]);
    // 2026-03-31T22:30:00Z is 1 April, 01:30 in Moscow (UTC+3).
    db.execute("UPDATE deals SET created_at = 1775082600 WHERE id = ?", &[id.into()])
        .expect("backdate");
    let total = |from: &str, to: &str| {
        let params = FunnelParams {
            pipeline_id: None,
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        funnel::deals(&db, &admin, &params).expect("funnel")["total"].clone()
    };
    assert_eq!(total("2026-04-01", "2026-04-30"), 1);
    assert_eq!(total("2026-03-01", "2026-03-31"), 0);
    assert_eq!(total("2026-01-01", "2026-12-31"), 1);
    let result = funnel::deals(
        &db,
        &admin,
        &FunnelParams {
            pipeline_id: None,
            from: Some("2026-04-01".into()),
            to: None,
            ..Default::default()
        },
    )
    .expect("funnel");
    assert_eq!(result["period"], json!({"from": "2026-04-01", "to": "2026-12-31"}));
    assert!(
        result["drill"]["all"]
            .as_str()
            .expect("drill")
            .contains("filter[created_at][gte]=2026-04-01T00:00:00%2B03:00"),
        "{}",
        result["drill"]["all"]
    );
}

#[test]
fn bad_input_is_a_422_naming_the_part() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "admin@example.com", "administrator", None);
    let unknown = FunnelParams {
        pipeline_id: Some(999),
        ..FunnelParams::default()
    };
    assert_eq!(
        errors(funnel::deals(&db, &admin, &unknown)),
        vec![("pipeline_id".to_string(), "unknown_pipeline".to_string())]
    );
    let inverted = FunnelParams {
        pipeline_id: None,
        from: Some("2026-05-01".into()),
        to: Some("2026-04-01".into()),
        ..Default::default()
    };
    assert_eq!(
        errors(funnel::deals(&db, &admin, &inverted)),
        vec![("to".to_string(), "inverted_period".to_string())]
    );
    assert_eq!(
        errors(funnel::leads(&db, &admin, &inverted)),
        vec![("to".to_string(), "inverted_period".to_string())]
    );
    let bad = FunnelParams {
        pipeline_id: None,
        from: Some("2026-02-30".into()),
        to: None,
        ..Default::default()
    };
    assert_eq!(
        errors(funnel::deals(&db, &admin, &bad)),
        vec![("from".to_string(), "invalid_date".to_string())]
    );
    assert!(matches!(
        funnel::deals(&db, &admin, &FunnelParams::default()),
        Ok(result) if result["total"] == 0
    ));
}

#[test]
fn the_leads_funnel_reads_status_changes_from_the_timeline() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "admin@example.com", "administrator", None);
    let manager = user_in(&db, "m@example.com", "manager", None);
    let lead = |title: &str, owner: i64, statuses: &[&str], days_old: i64| -> i64 {
        let id = create(
            &db,
            &admin,
            "lead",
            json!({"title": title, "status": statuses[0], "responsible_id": owner}),
        );
        for status in &statuses[1..] {
            set(&db, &admin, "lead", id, json!({"status": status}));
        }
        db.execute(
            "UPDATE leads SET created_at = created_at - ? WHERE id = ?",
            &[(days_old * DAY).into(), id.into()],
        )
        .expect("backdate");
        id
    };
    let m = manager.user_id;
    lead("l1", m, &["NEW", "IN_PROCESS", "CONVERTED"], 3);
    lead("l2", m, &["NEW", "CONVERTED"], 1);
    lead("l3", admin.user_id, &["NEW", "CONVERTED"], 10);
    lead("l4", admin.user_id, &["NEW", "JUNK"], 0);
    lead("l5", m, &["NEW", "PROCESSED", "IN_PROCESS"], 0);
    lead("l6", admin.user_id, &["NEW"], 0);
    lead("old", admin.user_id, &["NEW", "CONVERTED"], 400);
    let result = funnel::leads(&db, &admin, &recent()).expect("leads funnel");
    assert_eq!(result["report"]["kind"], "leads_funnel");
    assert_eq!(result["total"], 6);
    let statuses: Vec<(String, i64, i64)> = result["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().expect("code").to_string(),
                s["now"].as_i64().expect("now"),
                s["reached"].as_i64().expect("reached"),
            )
        })
        .collect();
    // Furthest: l1-l3 converted (past every open status), l5 PROCESSED (moved back), l4 and
    // l6 NEW.
    assert_eq!(
        statuses,
        vec![
            ("NEW".into(), 1, 6),
            ("IN_PROCESS".into(), 1, 4),
            ("PROCESSED".into(), 0, 4),
            ("CONVERTED".into(), 3, 3),
            ("JUNK".into(), 1, 1),
        ]
    );
    assert_eq!(result["statuses"][1]["share"], json!(0.6667));
    assert_eq!(result["converted"], json!({"count": 3, "share": 0.5}));
    assert_eq!(result["junk"], json!({"count": 1, "share": 0.1667}));
    // 3, 1 and 10 days: average 4.7, median 3.
    assert_eq!(
        result["time_to_convert"],
        json!({"count": 3, "avg_days": 4.7, "median_days": 3.0})
    );
    // The manager: l1, l2, l5.
    let own = funnel::leads(&db, &manager, &recent()).expect("manager's leads funnel");
    assert_eq!(own["total"], 3);
    assert_eq!(own["converted"], json!({"count": 2, "share": 0.6667}));
    assert_eq!(
        own["time_to_convert"],
        json!({"count": 2, "avg_days": 2.0, "median_days": 2.0})
    );
}
