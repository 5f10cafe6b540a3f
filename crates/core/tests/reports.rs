//! Reports against real SQLite files with every migration, over a hand-built dataset whose
//! right answers are computed here by hand: deals in two currencies (USD at the stored 92.5),
//! a deal moved back and forth between stages, lost deals, a deleted deal (gone from every
//! report), a manager who sees their own deals and a head who sees their department's. Each
//! standard report end to end, designer definitions with every dimension and measure kind,
//! every 422, date buckets across DST in two zones checked against a recomputation in Rust,
//! and the CSV and XLSX downloads.

mod common;

use common::{client, errors, fresh, user, user_in};

use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::records::{EntityDef, custom, service};
use crm_core::reports::saved;
use serde_json::{Value, json};

/// 2026-03-15T12:00:00Z.
const MARCH_15: i64 = 1_773_576_000;

struct Data {
    admin: Caller,
    head: Caller,
    m1: Caller,
    m2: Caller,
    m3: Caller,
    acme: i64,
    globex: i64,
    ivan: i64,
    deals: Vec<i64>,
}

fn def(db: &dyn Db, entity: &str) -> EntityDef {
    EntityDef::load(db, entity).expect("entity")
}

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Value) -> i64 {
    service::create(db, caller, &def(db, entity), &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))["id"]
        .as_i64()
        .expect("id")
}

fn move_to(db: &dyn Db, caller: &Caller, deal: i64, stage: &str) {
    service::update(db, caller, &def(db, "deal"), deal, &json!({"stage": stage}), None)
        .unwrap_or_else(|e| panic!("move {deal} to {stage}: {e:?}"));
}

fn set(db: &dyn Db, sql: &str, params: &[crm_core::Value]) {
    db.execute(sql, params).expect(sql);
}

/// The dataset (firm zone Europe/Moscow):
///
/// | deal | manager | amount | stage | company | contact | close_date | closed_at |
/// |---|---|---|---|---|---|---|---|
/// | D1 | m1 | 1000.00 RUB | WON | Acme | Ivan | 2026-03-31 | 2026-03-31T21:30Z (April in Moscow, March in New York) |
/// | D2 | m1 | 100.00 USD = 9250.00 RUB | WON | Acme | Ivan | 2026-05-10 | 2026-05-10T10:00Z |
/// | D3 | m2 | 500.00 RUB, p=20 | NEW -> PREPARATION -> NEW | Globex | Olga | 2026-01-10 (overdue) | |
/// | D4 | m2 | 200.00 EUR = 20040.00 RUB | LOSE | Globex | | | 2026-06-01 |
/// | D5 | m3 | 300.00 RUB, p=60 | EXECUTING | — | | 2099-12-01 | |
/// | D6 | m1 | 777.00 RUB | WON, then deleted | Acme | | | |
///
/// m1, m2 and the head are in Sales, m3 in Support. Every deal was created 2026-03-15.
fn dataset() -> (tempfile::TempDir, crm_sqlite::NativeDb, Data) {
    let (dir, db) = fresh();
    set(
        &db,
        "INSERT INTO app_settings (key, value) VALUES ('time_zone', 'Europe/Moscow')",
        &[],
    );
    let admin = user(&db, "admin@x.test", "administrator");
    for body in [
        json!({"entity": "deal", "code": "uf_region", "label": {"en": "Region", "ru": "Регион"}, "type": "enumeration", "options": ["north", "south"]}),
        json!({"entity": "deal", "code": "uf_budget", "label": {"en": "Budget", "ru": "Бюджет"}, "type": "money"}),
    ] {
        custom::create(&db, &admin, &body, &client()).expect("custom field");
    }
    let admin = Caller::load(&db, admin.user_id).expect("admin with the custom fields");
    set(
        &db,
        "INSERT INTO departments (id, name, created_at, updated_at) VALUES (1, 'Sales', 0, 0), (2, 'Support', 0, 0)",
        &[],
    );
    let head = user_in(&db, "head@x.test", "head", Some(1));
    let m1 = user_in(&db, "m1@x.test", "manager", Some(1));
    let m2 = user_in(&db, "m2@x.test", "manager", Some(1));
    let m3 = user_in(&db, "m3@x.test", "manager", Some(2));
    let acme = create(&db, &admin, "company", json!({"title": "Acme"}));
    let globex = create(&db, &admin, "company", json!({"title": "Globex"}));
    let ivan = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Ivan", "last_name": "Petrov"}),
    );
    let olga = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Olga", "last_name": "Sidorova"}),
    );
    let deal = |title: &str, who: &Caller, amount: &str, currency: &str, extra: Value| {
        let mut body = json!({"title": title, "responsible_id": who.user_id, "amount": amount, "currency": currency});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        create(&db, &admin, "deal", body)
    };
    let d1 = deal(
        "D1",
        &m1,
        "1000.00",
        "RUB",
        json!({"company_id": acme, "contact_ids": [ivan], "close_date": "2026-03-31", "source": "CALL",
               "custom": {"uf_region": "north", "uf_budget": {"amount": "10.00", "currency": "USD"}}}),
    );
    let d2 = deal(
        "D2",
        &m1,
        "100.00",
        "USD",
        json!({"company_id": acme, "contact_ids": [ivan], "close_date": "2026-05-10", "source": "CALL",
               "custom": {"uf_region": "south"}}),
    );
    let d3 = deal(
        "D3",
        &m2,
        "500.00",
        "RUB",
        json!({"company_id": globex, "contact_ids": [olga], "close_date": "2026-01-10",
               "custom": {"uf_region": "north", "uf_budget": {"amount": "50.00", "currency": "RUB"}}}),
    );
    let d4 = deal("D4", &m2, "200.00", "EUR", json!({"company_id": globex}));
    let d5 = deal(
        "D5",
        &m3,
        "300.00",
        "RUB",
        json!({"close_date": "2099-12-01", "probability": 60}),
    );
    let d6 = deal("D6", &m1, "777.00", "RUB", json!({"company_id": acme}));
    for d in [d1, d2, d6] {
        move_to(&db, &admin, d, "WON");
    }
    move_to(&db, &admin, d3, "PREPARATION");
    move_to(&db, &admin, d3, "NEW");
    move_to(&db, &admin, d4, "LOSE");
    move_to(&db, &admin, d5, "EXECUTING");
    set(&db, "UPDATE deals SET probability = 60 WHERE id = ?", &[d5.into()]);
    set(&db, "UPDATE deals SET probability = 20 WHERE id = ?", &[d3.into()]);
    set(&db, "UPDATE deals SET created_at = ?", &[MARCH_15.into()]);
    set(
        &db,
        "UPDATE deals SET closed_at = 1774992600 WHERE id = ?",
        &[d1.into()],
    );
    set(
        &db,
        "UPDATE deals SET closed_at = 1778407200 WHERE id = ?",
        &[d2.into()],
    );
    set(
        &db,
        "UPDATE deals SET closed_at = 1780272000 WHERE id = ?",
        &[d4.into()],
    );
    // Line items (as stored; amounts stay as set): Widget x2 at 300.00 on D1, Widget x1.5 at
    // 10.00 USD and a free-text "Setup" at 5.00 USD on D2, Widget on the lost D4 and the
    // deleted D6.
    let widget = create(
        &db,
        &admin,
        "product",
        json!({"name": "Widget", "price": "300.00", "currency": "RUB"}),
    );
    for (deal, product, name, price, quantity) in [
        (d1, Some(widget), "Widget", 30_000, 2_000),
        (d2, Some(widget), "Widget", 1_000, 1_500),
        (d2, None, "Setup", 500, 1_000),
        (d4, Some(widget), "Widget", 9_900, 1_000),
        (d6, Some(widget), "Widget", 9_900, 1_000),
    ] {
        set(
            &db,
            "INSERT INTO record_products (entity, record_id, product_id, name, price, quantity) VALUES ('deal', ?, ?, ?, ?, ?)",
            &[
                deal.into(),
                product.into(),
                name.into(),
                i64::from(price).into(),
                i64::from(quantity).into(),
            ],
        );
    }
    service::delete(&db, &admin, &def(&db, "deal"), d6, None).expect("delete D6");
    let data = Data {
        admin,
        head,
        m1,
        m2,
        m3,
        acme,
        globex,
        ivan,
        deals: vec![d1, d2, d3, d4, d5],
    };
    (dir, db, data)
}

fn run(db: &dyn Db, caller: &Caller, definition: Value) -> Value {
    saved::run_unsaved(db, caller, &json!({"definition": definition}), &[], "en")
        .unwrap_or_else(|e| panic!("run {definition}: {e:?}"))
}

fn run_with(db: &dyn Db, caller: &Caller, definition: Value, pairs: &[(&str, &str)]) -> Value {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    saved::run_unsaved(db, caller, &json!({"definition": definition}), &pairs, "en")
        .unwrap_or_else(|e| panic!("run {definition}: {e:?}"))
}

/// Rows as (group labels..., measure values...) for compact comparison.
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

fn system(db: &dyn Db, caller: &Caller, code: &str, pairs: &[(&str, &str)]) -> Value {
    let report = saved::by_code(db, caller, code, "en").expect("system report");
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    saved::run_report(db, caller, &report, &pairs, "en").unwrap_or_else(|e| panic!("run {code}: {e:?}"))
}

const YEAR: &[(&str, &str)] = &[("from", "2026-01-01"), ("to", "2026-12-31")];

#[test]
fn deals_by_manager_counts_converts_and_scopes_by_role() {
    let (_dir, db, d) = dataset();
    let result = system(&db, &d.admin, "deals_by_manager", YEAR);
    assert_eq!(result["currency"], "RUB");
    assert_eq!(
        table(&result),
        vec![
            vec![json!("m2@x.test"), json!(2), json!("20540.00"), json!(0.0)],
            vec![json!("m1@x.test"), json!(2), json!("10250.00"), json!(1.0)],
            vec![json!("m3@x.test"), json!(1), json!("300.00"), json!(0.0)],
        ]
    );
    assert_eq!(result["totals"], json!([null, 5, "31090.00", 0.4]));
    assert_eq!(result["rows"][1]["cells"][0]["value"], json!(d.m1.user_id));
    assert_eq!(
        result["period"],
        json!({"field": "created_at", "from": "2026-01-01", "to": "2026-12-31"})
    );
    let drill = result["rows"][1]["drill"].as_str().expect("drill");
    assert!(
        drill.contains(&format!("filter[responsible_id]={}", d.m1.user_id)),
        "{drill}"
    );
    assert!(
        drill.contains("filter[created_at][gte]=2025-12-31T21:00:00Z"),
        "{drill}"
    );

    let mine = system(&db, &d.m1, "deals_by_manager", YEAR);
    assert_eq!(
        table(&mine),
        vec![vec![json!("m1@x.test"), json!(2), json!("10250.00"), json!(1.0)]]
    );
    let department = system(&db, &d.head, "deals_by_manager", YEAR);
    assert_eq!(department["totals"], json!([null, 4, "30790.00", 0.5]));
    let other = system(&db, &d.m3, "deals_by_manager", YEAR);
    assert_eq!(other["totals"], json!([null, 1, "300.00", 0.0]));
    let _ = (&d.m2, d.acme, d.globex, d.ivan, &d.deals);
}

#[test]
fn bad_definitions_name_every_bad_part() {
    let (_dir, db, d) = dataset();
    let bad = |definition: Value| {
        errors(saved::run_unsaved(
            &db,
            &d.admin,
            &json!({"definition": definition}),
            &[],
            "en",
        ))
    };
    assert_eq!(
        bad(json!({"entity": "invoices"})),
        vec![("definition.entity".to_string(), "unknown_entity".to_string())]
    );
    let found = bad(json!({
        "entity": "deals",
        "filter": {"nope": 1, "pipeline_id": 99, "amount": {"gte": "x"}},
        "period": {"field": "created_at", "from": "2026-02-01", "to": "2026-01-01"},
        "group_by": [{"field": "title2"}, {"field": "closed_at", "bucket": "decade"}, {"field": "stage"}],
        "measures": [{"fn": "sum", "field": "title"}, {"fn": "avg", "field": "nope"}, {"fn": "median"}],
        "sort": "-nothing",
        "limit": 5000,
        "chart": "pie",
    }));
    let expected = [
        ("definition.group_by", "too_many"),
        ("definition.group_by[0].field", "unknown_field"),
        ("definition.group_by[1].bucket", "invalid_choice"),
        ("definition.measures[0].field", "not_numeric"),
        ("definition.measures[1].field", "unknown_field"),
        ("definition.measures[2].fn", "invalid_choice"),
        ("definition.limit", "out_of_range"),
        ("definition.chart", "invalid_choice"),
        ("definition.sort", "unknown_sort_key"),
        ("definition.filter.nope", "unknown_field"),
        ("definition.filter.pipeline_id", "unknown_pipeline"),
        ("definition.filter.amount", "invalid_filter"),
        ("definition.period.to", "inverted_period"),
    ];
    for (field, code) in expected {
        assert!(
            found.contains(&(field.to_string(), code.to_string())),
            "{field} {code} missing from {found:?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");
    // A group on records the caller may not read: a role without company read.
    db.execute(
        "INSERT INTO roles (code, name, is_system, permissions, created_at, updated_at) VALUES ('nocompany', 'No companies', 0, \
         '{\"entities\":{\"deal\":{\"read\":\"all\"}},\"stages\":{}}', 0, 0)",
        &[],
    )
    .expect("role");
    let blind = user(&db, "blind@x.test", "nocompany");
    let found = errors(saved::run_unsaved(
        &db,
        &blind,
        &json!({"definition": {"entity": "deals", "group_by": [{"field": "company_id"}]}}),
        &[],
        "en",
    ));
    assert_eq!(
        found,
        vec![("definition.group_by[0].field".to_string(), "forbidden".to_string())]
    );
    let _ = client();
    let _ = run;
    let _ = run_with;
}

#[test]
fn each_standard_report_gives_the_hand_computed_rows() {
    let (_dir, db, d) = dataset();
    let admin = &d.admin;
    let rows = |code: &str, pairs: &[(&str, &str)]| table(&system(&db, admin, code, pairs));
    // Primary contacts: D1 and D2 Ivan, D3 Olga, D4 and D5 none (20040.00 + 300.00).
    assert_eq!(
        rows("deals_by_contact", YEAR),
        vec![
            vec![json!("—"), json!(2), json!("20340.00")],
            vec![json!("Ivan Petrov"), json!(2), json!("10250.00")],
            vec![json!("Olga Sidorova"), json!(1), json!("500.00")],
        ]
    );
    assert_eq!(
        rows("deals_by_company", YEAR),
        vec![
            vec![json!("Globex"), json!(2), json!("20540.00")],
            vec![json!("Acme"), json!(2), json!("10250.00")],
            vec![json!("—"), json!(1), json!("300.00")],
        ]
    );
    // Won deals only (D4 is lost, D6 deleted).
    assert_eq!(
        rows("company_profitability", YEAR),
        vec![vec![json!("Acme"), json!("10250.00"), json!(2)]]
    );
    // D1 closed 2026-03-31T21:30Z: 1 April in Moscow.
    assert_eq!(
        rows("won_deals", YEAR),
        vec![
            vec![json!("2026-04"), json!(1), json!("1000.00")],
            vec![json!("2026-05"), json!(1), json!("9250.00")],
        ]
    );
    // Only D3 is open with its close date passed (D5 closes in 2099).
    assert_eq!(
        rows("overdue_deals", &[]),
        vec![vec![json!("m2@x.test"), json!(1), json!("500.00")]]
    );
    // D3: 500.00 at 20 % = 100.00; D5: 300.00 at 60 % = 180.00.
    assert_eq!(
        rows("expected_sales", &[]),
        vec![
            vec![json!("2026-01"), json!("500.00"), json!("100.00"), json!(1)],
            vec![json!("2099-12"), json!("300.00"), json!("180.00"), json!(1)],
        ]
    );
    assert_eq!(
        rows("open_deals_by_stage", &[]),
        vec![
            vec![json!("New"), json!(1), json!("500.00")],
            vec![json!("In progress"), json!(1), json!("300.00")],
        ]
    );
    // Won deals' items: Widget 2 x 300.00 + 1.5 x 10.00 USD (1387.50); Setup 5.00 USD (462.50).
    assert_eq!(
        rows("product_income", YEAR),
        vec![
            vec![json!("Widget"), json!(3.5), json!("1987.50")],
            vec![json!("—"), json!(1.0), json!("462.50")],
        ]
    );
    // The manager's share of the same reports.
    let mine = table(&system(&db, &d.m2, "open_deals_by_stage", &[]));
    assert_eq!(mine, vec![vec![json!("New"), json!(1), json!("500.00")]]);
    let mine = table(&system(&db, &d.m1, "product_income", YEAR));
    assert_eq!(mine.len(), 2);
    let theirs = table(&system(&db, &d.m3, "product_income", YEAR));
    assert!(theirs.is_empty(), "{theirs:?}");
}

#[test]
fn the_firms_zone_moves_a_deal_across_a_month_boundary() {
    let (_dir, db, d) = dataset();
    db.execute(
        "UPDATE app_settings SET value = 'America/New_York' WHERE key = 'time_zone'",
        &[],
    )
    .expect("zone");
    let result = system(&db, &d.admin, "won_deals", YEAR);
    // 2026-03-31T21:30Z is 17:30 EDT on 31 March.
    assert_eq!(
        table(&result),
        vec![
            vec![json!("2026-03"), json!(1), json!("1000.00")],
            vec![json!("2026-05"), json!(1), json!("9250.00")],
        ]
    );
    let drill = result["rows"][0]["drill"].as_str().expect("drill");
    // March in New York starts at 05:00Z (EST) and April at 04:00Z (EDT).
    assert!(drill.contains("filter[closed_at][gte]=2026-03-01T05:00:00Z"), "{drill}");
    assert!(drill.contains("filter[closed_at][lt]=2026-04-01T04:00:00Z"), "{drill}");
}

#[test]
fn designer_reports_group_by_every_kind_of_dimension() {
    let (_dir, db, d) = dataset();
    let admin = &d.admin;
    let by = |field: &str, measures: Value| {
        table(&run_with(
            &db,
            admin,
            json!({"entity": "deals", "group_by": [{"field": field}], "measures": measures}),
            YEAR,
        ))
    };
    let count_amount = json!([{"fn": "count"}, {"fn": "sum", "field": "amount"}]);
    // Dictionary (source), with the empty group.
    assert_eq!(
        by("source", count_amount.clone()),
        vec![
            vec![json!("—"), json!(3), json!("20840.00")],
            vec![json!("Call"), json!(2), json!("10250.00")],
        ]
    );
    // Department of the responsible user.
    assert_eq!(
        by("department_id", count_amount.clone()),
        vec![
            vec![json!("Sales"), json!(4), json!("30790.00")],
            vec![json!("Support"), json!(1), json!("300.00")],
        ]
    );
    // Pipeline, stage semantic, stage (in the pipeline's order).
    assert_eq!(
        by("pipeline_id", json!([{"fn": "count"}])),
        vec![vec![json!("Sales"), json!(5)]]
    );
    assert_eq!(
        by("stage_semantic", json!([{"fn": "count"}])),
        vec![
            vec![json!("Lost"), json!(1)],
            vec![json!("In progress"), json!(2)],
            vec![json!("Won"), json!(2)],
        ]
    );
    assert_eq!(
        by("stage", json!([{"fn": "count"}])),
        vec![
            vec![json!("New"), json!(1)],
            vec![json!("In progress"), json!(1)],
            vec![json!("Won"), json!(2)],
            vec![json!("Lost"), json!(1)],
        ]
    );
    // A custom enumeration and a custom money field (10.00 USD = 925.00 plus 50.00 RUB).
    assert_eq!(
        by(
            "custom.uf_region",
            json!([{"fn": "count"}, {"fn": "sum", "field": "custom.uf_budget"}])
        ),
        vec![
            vec![json!("—"), json!(2), json!("0.00")],
            vec![json!("north"), json!(2), json!("975.00")],
            vec![json!("south"), json!(1), json!("0.00")],
        ]
    );
    // Every measure: avg probability of the open deals (20, 60), min and max amount in the base
    // currency across currencies, the won share.
    let result = run_with(
        &db,
        admin,
        json!({"entity": "deals", "measures": [
            {"fn": "count"},
            {"fn": "avg", "field": "probability"},
            {"fn": "min", "field": "amount"},
            {"fn": "max", "field": "amount"},
            {"fn": "avg", "field": "amount"},
            {"fn": "share", "filter": {"stage_semantic": "won"}},
            {"fn": "share", "filter": {"amount": {"gte": "500.00"}}, "key": "big"},
        ]}),
        YEAR,
    );
    let keys: Vec<&str> = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "count",
            "avg_probability",
            "min_amount",
            "max_amount",
            "avg_amount",
            "share_1",
            "big"
        ]
    );
    // Probabilities after the moves: 100, 100, 20, 0, 60. Filters compare amounts in their own
    // units, as the list does: of 1000.00 RUB, 100.00 USD, 500.00 RUB, 200.00 EUR, 300.00 RUB
    // two are at least 500.00.
    assert_eq!(
        table(&result),
        vec![vec![
            json!(5),
            json!(56.0),
            json!("300.00"),
            json!("20040.00"),
            json!("6218.00"),
            json!(0.4),
            json!(0.4)
        ]]
    );
    // Two groups: manager x close month, a cross-tab.
    let result = run_with(
        &db,
        admin,
        json!({"entity": "deals", "filter": {"stage_semantic": "won"},
               "group_by": [{"field": "responsible_id"}, {"field": "closed_at", "bucket": "month"}],
               "measures": [{"fn": "count"}]}),
        YEAR,
    );
    assert_eq!(
        table(&result),
        vec![
            vec![json!("m1@x.test"), json!("2026-04"), json!(1)],
            vec![json!("m1@x.test"), json!("2026-05"), json!(1)]
        ]
    );
    assert_eq!(result["columns"][1]["bucket"], "month");
    assert_eq!(result["rows"][0]["cells"][1]["value"], "2026-04-01");
}

#[test]
fn the_average_probability_counts_only_deals_with_one() {
    let (_dir, db, d) = dataset();
    // Probabilities after the moves: WON 100, 100; D3 20; LOSE 0; D5 60 -> (100+100+20+0+60)/5.
    let result = run_with(
        &db,
        &d.admin,
        json!({"entity": "deals", "measures": [{"fn": "avg", "field": "probability"}]}),
        YEAR,
    );
    assert_eq!(table(&result), vec![vec![json!(56.0)]]);
}

/// Deals closed every 7 hours 13 minutes for 430 days from 2025-09-01, across the DST changes
/// of 2025 and 2026.
fn spread(db: &dyn Db, owner: i64) -> Vec<i64> {
    let mut times = Vec::new();
    let mut at = 1_756_684_800; // 2025-09-01T00:00:00Z
    while at < 1_756_684_800 + 430 * 86_400 {
        times.push(at);
        db.execute(
            "INSERT INTO deals (title, pipeline_id, stage, amount, currency, closed, closed_at, responsible_id, created_at, updated_at) \
             VALUES ('S', 1, 'WON', 100, 'RUB', 1, ?, ?, 0, 0)",
            &[at.into(), owner.into()],
        )
        .expect("deal");
        at += 7 * 3600 + 13 * 60;
    }
    times
}

#[test]
fn time_buckets_equal_a_recomputation_in_rust_across_daylight_saving() {
    use crm_core::reports::buckets::first_day;
    use std::collections::BTreeMap;
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    let times = spread(&db, admin.user_id);
    for zone in [
        "America/New_York",
        "Europe/Berlin",
        "Europe/Moscow",
        "Australia/Lord_Howe",
    ] {
        db.execute(
            "INSERT INTO app_settings (key, value) VALUES ('time_zone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[zone.into()],
        )
        .expect("zone");
        let tz = crm_core::tz::get(zone).expect("zone");
        for bucket in ["day", "week", "month", "quarter", "year"] {
            let mut expected: BTreeMap<String, i64> = BTreeMap::new();
            for at in &times {
                let local = jiff::Timestamp::from_second(*at)
                    .expect("time")
                    .to_zoned(tz.clone())
                    .date();
                *expected.entry(first_day(bucket, local).to_string()).or_default() += 1;
            }
            for pairs in [&[][..], &[("from", "2025-09-01"), ("to", "2026-10-31")][..]] {
                let result = run_with(
                    &db,
                    &admin,
                    json!({"entity": "deals", "period": {"field": "closed_at"},
                           "group_by": [{"field": "closed_at", "bucket": bucket}], "limit": 1000}),
                    pairs,
                );
                let mut got: BTreeMap<String, i64> = BTreeMap::new();
                for row in result["rows"].as_array().expect("rows") {
                    got.insert(
                        row["cells"][0]["value"].as_str().expect("bucket").to_string(),
                        row["cells"][1].as_i64().expect("count"),
                    );
                }
                if pairs.is_empty() {
                    assert_eq!(got, expected, "{zone} {bucket}");
                } else {
                    // The period (in the zone) cuts the ends; every bucket inside is whole.
                    let inner: BTreeMap<String, i64> = expected
                        .iter()
                        .filter(|(k, _)| k.as_str() >= "2025-09-01" && k.as_str() < "2026-10-01")
                        .filter(|(k, _)| bucket != "week" || k.as_str() >= "2025-09-08")
                        .filter(|_| !matches!(bucket, "quarter" | "year"))
                        .map(|(k, v)| (k.clone(), *v))
                        .collect();
                    for (k, v) in inner {
                        assert_eq!(got.get(&k), Some(&v), "{zone} {bucket} {k}");
                    }
                }
            }
        }
    }
}

#[test]
fn downloads_are_csv_with_a_bom_and_xlsx_with_typed_cells() {
    use calamine::{Data, Reader, Xlsx};
    let (_dir, db, d) = dataset();
    let result = system(&db, &d.admin, "won_deals", YEAR);
    let csv = String::from_utf8(crm_core::reports::export::csv(&result)).expect("utf-8");
    assert_eq!(
        csv,
        "\u{FEFF}Closed at (month),Count,\"Amount, sum\"\r\n2026-04,1,1000.00\r\n2026-05,1,9250.00\r\n"
    );
    let bytes = crm_core::reports::export::xlsx(&result, "en");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    assert_eq!(book.sheet_names(), vec!["Won deals".to_string()]);
    let sheet = book.worksheet_range("Won deals").expect("sheet");
    assert_eq!(sheet.get((0, 2)), Some(&Data::String("Amount, sum".into())));
    match sheet.get((1, 0)) {
        Some(Data::DateTime(date)) => assert_eq!(date.as_f64(), 46113.0), // 2026-04-01
        other => panic!("a date cell, not {other:?}"),
    }
    assert_eq!(sheet.get((1, 1)), Some(&Data::Float(1.0)));
    assert_eq!(sheet.get((2, 2)), Some(&Data::Float(9250.0)));
    // The totals row, labelled in the caller's language.
    assert_eq!(sheet.get((3, 0)), Some(&Data::String("Total".into())));
    assert_eq!(sheet.get((3, 1)), Some(&Data::Float(2.0)));
    assert_eq!(sheet.get((3, 2)), Some(&Data::Float(10250.0)));
    // A share is a number (formatted as a percent).
    let shares = system(&db, &d.admin, "deals_by_manager", YEAR);
    let bytes = crm_core::reports::export::xlsx(&shares, "ru");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book.worksheet_range("Deals by manager").expect("sheet");
    assert_eq!(sheet.get((2, 3)), Some(&Data::Float(1.0)));
    assert_eq!(sheet.get((2, 0)), Some(&Data::String("m1@x.test".into())));
    let last = sheet.height() - 1;
    assert_eq!(sheet.get((last, 0)), Some(&Data::String("Итого".into())));
}

#[test]
fn saved_reports_are_private_shared_copied_and_system_ones_read_only() {
    let (_dir, db, d) = dataset();
    let body = json!({"name": "My won", "definition": {"entity": "deals", "filter": {"stage_semantic": "won"}, "measures": [{"fn": "count"}]}});
    let mine = saved::create(&db, &d.m1, &body, "en", &client()).expect("create");
    let id = mine["id"].as_i64().expect("id");
    assert_eq!(
        (mine["owner_id"].as_i64(), &mine["shared"], &mine["system"]),
        (Some(d.m1.user_id), &json!(false), &json!(false))
    );
    let names = |caller: &Caller| -> Vec<String> {
        saved::list(&db, caller, "en").expect("list")["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let listed = names(&d.m1);
    assert_eq!(listed.len(), 12, "{listed:?}");
    assert_eq!(listed[0], "Sales funnel");
    assert_eq!(listed[11], "My won");
    assert!(!names(&d.m2).contains(&"My won".to_string()));
    assert_eq!(
        saved::get(&db, &d.m2, id, "en").err(),
        Some(crm_core::CoreError::NotFound)
    );
    // Shared: others read it but may not change it.
    let shared = saved::update(&db, &d.m1, id, &json!({"shared": true}), Some(1), "en", &client()).expect("share");
    assert_eq!(shared["version"], 2);
    assert!(names(&d.m2).contains(&"My won".to_string()));
    assert_eq!(
        saved::update(&db, &d.m2, id, &json!({"name": "x"}), None, "en", &client()).err(),
        Some(crm_core::CoreError::Forbidden)
    );
    assert_eq!(
        saved::delete(&db, &d.m1, id, Some(1), &client()).err(),
        Some(crm_core::CoreError::Stale)
    );
    // Its run covers what each reader may read: m1's two won deals; m2 has none.
    let run_as = |caller: &Caller| saved::run(&db, caller, id, &[], "en").expect("run")["totals"].clone();
    assert_eq!(run_as(&d.m1), json!([2]));
    assert_eq!(run_as(&d.m2), json!([0]));
    // A bad definition is named.
    let bad = errors(saved::update(
        &db,
        &d.m1,
        id,
        &json!({"definition": {"entity": "deals", "limit": 0}}),
        None,
        "en",
        &client(),
    ));
    assert_eq!(bad, vec![("definition.limit".to_string(), "out_of_range".to_string())]);
    // System reports: read-only, copyable, named in the caller's language.
    let system_report = saved::by_code(&db, &d.m2, "won_deals", "ru").expect("system");
    assert_eq!(system_report["name"], "Успешные сделки");
    let system_id = system_report["id"].as_i64().expect("id");
    assert!(matches!(
        saved::update(&db, &d.admin, system_id, &json!({"name": "x"}), None, "en", &client()),
        Err(crm_core::CoreError::ForbiddenBecause(_))
    ));
    let copy = saved::copy(&db, &d.m2, system_id, "ru", &client()).expect("copy");
    assert_eq!(copy["name"], "Успешные сделки (копия)");
    assert_eq!(
        (copy["system"].clone(), copy["owner_id"].as_i64()),
        (json!(false), Some(d.m2.user_id))
    );
    assert_eq!(copy["definition"], system_report["definition"]);
    let copy_id = copy["id"].as_i64().expect("id");
    let pairs = vec![
        ("from".to_string(), "2026-01-01".to_string()),
        ("to".to_string(), "2026-12-31".to_string()),
    ];
    let from_copy = saved::run(&db, &d.admin, copy_id, &pairs, "en");
    assert_eq!(
        from_copy.err(),
        Some(crm_core::CoreError::NotFound),
        "a private copy is its owner's"
    );
    let ran = saved::run(&db, &d.m2, copy_id, &pairs, "en").expect("run the copy");
    assert_eq!(ran["rows"], json!([]));
    saved::delete(&db, &d.m1, id, Some(2), &client()).expect("delete");
    assert!(!names(&d.m2).contains(&"My won".to_string()));
    let unknown_query = vec![("nope".to_string(), "1".to_string())];
    assert!(matches!(
        saved::run(&db, &d.m2, copy_id, &unknown_query, "en"),
        Err(crm_core::CoreError::BadRequest(_))
    ));
}

#[test]
fn line_items_stage_history_leads_and_activities_are_entities_too() {
    let (_dir, db, d) = dataset();
    // D3 moved NEW -> PREPARATION -> NEW: its history holds NEW (create), PREPARATION, NEW.
    let history = run(
        &db,
        &d.admin,
        json!({"entity": "stage_history", "filter": {"deal.title": "D3"}, "group_by": [{"field": "to_stage"}], "measures": [{"fn": "count"}]}),
    );
    assert_eq!(
        table(&history),
        vec![
            vec![json!("New"), json!(2)],
            vec![json!("Preparing documents"), json!(1)]
        ]
    );
    assert_eq!(history["rows"][0]["drill"], Value::Null);
    // The deleted D6 left no history behind in reports.
    let all = run(
        &db,
        &d.admin,
        json!({"entity": "stage_history", "filter": {"to_stage": "WON"}}),
    );
    assert_eq!(all["totals"], json!([2]));
    let items = run(
        &db,
        &d.admin,
        json!({"entity": "line_items", "group_by": [{"field": "deal.responsible_id"}], "measures": [{"fn": "count"}, {"fn": "sum", "field": "income"}]}),
    );
    assert_eq!(
        table(&items),
        vec![
            vec![json!("m1@x.test"), json!(3), json!("2450.00")],
            // 99.00 EUR at 100.20.
            vec![json!("m2@x.test"), json!(1), json!("9919.80")],
        ]
    );
    let lead = |title: &str, status: &str| {
        create(
            &db,
            &d.admin,
            "lead",
            json!({"title": title, "status": status, "responsible_id": d.m1.user_id}),
        )
    };
    lead("L1", "NEW");
    lead("L2", "JUNK");
    lead("L3", "JUNK");
    let leads = run(
        &db,
        &d.admin,
        json!({"entity": "leads", "group_by": [{"field": "stage_semantic"}], "measures": [{"fn": "count"}]}),
    );
    assert_eq!(
        table(&leads),
        vec![vec![json!("Lost"), json!(2)], vec![json!("In progress"), json!(1)]]
    );
    let leads = run(
        &db,
        &d.admin,
        json!({"entity": "leads", "group_by": [{"field": "status"}], "measures": [{"fn": "count"}]}),
    );
    assert_eq!(
        table(&leads),
        vec![vec![json!("New"), json!(1)], vec![json!("Junk"), json!(2)]]
    );
    assert_eq!(leads["rows"][1]["drill"], "filter[status]=JUNK");
    create(
        &db,
        &d.admin,
        "activity",
        json!({"type": "CALL", "subject": "Call", "responsible_id": d.m2.user_id}),
    );
    let acts = run(
        &db,
        &d.m2,
        json!({"entity": "activities", "group_by": [{"field": "type"}], "measures": [{"fn": "count"}]}),
    );
    assert_eq!(acts["totals"], json!([null, 1]));
    assert_eq!(run(&db, &d.m1, json!({"entity": "activities"}))["totals"], json!([0]));
    let fields = crm_core::reports::fields(&db, &d.admin, "deals", "ru").expect("fields");
    let amount = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "amount")
        .expect("amount");
    assert_eq!(amount["measure"], json!(["sum", "avg", "min", "max"]));
    assert_eq!(amount["label"], "Сумма");
    assert!(
        fields["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "custom.uf_region" && f["group"] == true)
    );
}

#[test]
fn every_field_of_every_entity_groups_measures_and_filters_without_a_failure() {
    let (_dir, db, d) = dataset();
    for entity in crm_core::reports::fields::ENTITIES {
        let described = crm_core::reports::fields(&db, &d.admin, entity, "en").expect("fields");
        let fields = described["fields"].as_array().expect("fields");
        let measures: Vec<Value> = std::iter::once(json!({"fn": "count"}))
            .chain(
                fields
                    .iter()
                    .filter(|f| !f["measure"].as_array().unwrap().is_empty())
                    .flat_map(|f| ["sum", "avg", "min", "max"].map(|func| json!({"fn": func, "field": f["name"]}))),
            )
            .take(10)
            .collect();
        for field in fields {
            let name = field["name"].as_str().unwrap();
            if field["group"] == true {
                let group = match field["buckets"].is_array() {
                    true => json!({"field": name, "bucket": "week"}),
                    false => json!({"field": name}),
                };
                let definition = json!({"entity": entity, "group_by": [group], "measures": measures});
                for caller in [&d.admin, &d.m2] {
                    saved::run_unsaved(&db, caller, &json!({"definition": definition}), &[], "ru")
                        .unwrap_or_else(|e| panic!("{definition}: {e:?}"));
                }
            }
            if field["filter"] == true {
                for value in [
                    json!(null),
                    json!({"null": false}),
                    json!("1"),
                    json!({"in": ["1", "2"]}),
                ] {
                    let definition = json!({"entity": entity, "filter": {name: value}});
                    match saved::run_unsaved(&db, &d.admin, &json!({"definition": definition}), &[], "en") {
                        Ok(_) | Err(crm_core::CoreError::Validation(_)) => {}
                        Err(e) => panic!("{definition}: {e:?}"),
                    }
                }
            }
        }
    }
}

/// Deals whose kept `primary_contact_id` differs from their primary link row.
fn stale_primary_contacts(db: &dyn Db) -> Vec<i64> {
    db.query(
        "SELECT id FROM deals WHERE primary_contact_id IS NOT \
         (SELECT contact_id FROM deal_contacts WHERE deal_id = deals.id AND is_primary = 1)",
        &[],
    )
    .expect("stale primary contacts")
    .iter()
    .filter_map(|r| r.i64("id"))
    .collect()
}

#[test]
fn a_deals_kept_primary_contact_follows_every_change_of_its_links() {
    let (_dir, db, data) = dataset();
    let admin = &data.admin;
    let contact = |name: &str| create(&db, admin, "contact", json!({"first_name": name}));
    let (anna, boris, vera) = (contact("Anna"), contact("Boris"), contact("Vera"));
    let deal = create(
        &db,
        admin,
        "deal",
        json!({"title": "Links", "contact_ids": [anna, boris]}),
    );
    let kept = |db: &dyn Db| {
        db.query("SELECT primary_contact_id AS c FROM deals WHERE id = ?", &[deal.into()])
            .expect("kept")
            .first()
            .and_then(|r| r.i64("c"))
    };
    assert_eq!(kept(&db), Some(anna));
    let update = |body: Value| {
        service::update(&db, admin, &def(&db, "deal"), deal, &body, None).expect("update links");
    };
    update(json!({"contact_ids": [boris, anna]}));
    assert_eq!(kept(&db), Some(boris), "reordered: the first is the primary one");
    update(json!({"contact_ids": [anna]}));
    assert_eq!(kept(&db), Some(anna), "the primary one removed");
    update(json!({"contact_ids": []}));
    assert_eq!(kept(&db), None, "no contact left");
    update(json!({"contact_ids": [vera, boris]}));
    service::delete(&db, admin, &def(&db, "contact"), vera, None).expect("delete the primary contact");
    assert_eq!(
        stale_primary_contacts(&db),
        Vec::<i64>::new(),
        "after a contact's deletion"
    );
    crm_core::records::merge::merge(&db, admin, &def(&db, "contact"), boris, &json!({"from": [anna]}))
        .expect("merge contacts");
    assert_eq!(stale_primary_contacts(&db), Vec::<i64>::new(), "after a merge");
    // The report by contact reads the kept column and still gives every deal of the dataset.
    let by_contact = system(
        &db,
        admin,
        "deals_by_contact",
        &[("from", "2020-01-01"), ("to", "2030-12-31")],
    );
    let counted: i64 = table(&by_contact).iter().map(|row| row[1].as_i64().unwrap_or(0)).sum();
    let all = db
        .query("SELECT COUNT(*) AS n FROM deals", &[])
        .expect("count")
        .first()
        .and_then(|r| r.i64("n"));
    assert_eq!(Some(counted), all, "{by_contact}");
}

#[test]
fn a_primary_contact_group_drills_down_to_exactly_its_deals() {
    let (_dir, db, data) = dataset();
    let admin = &data.admin;
    let contact = |name: &str| create(&db, admin, "contact", json!({"first_name": name}));
    let (anna, boris) = (contact("Anna"), contact("Boris"));
    // Anna is primary on one deal and second on another; a third deal has no contact.
    let first = create(
        &db,
        admin,
        "deal",
        json!({"title": "Anna's", "contact_ids": [anna, boris]}),
    );
    let second = create(
        &db,
        admin,
        "deal",
        json!({"title": "Boris's", "contact_ids": [boris, anna]}),
    );
    let none = create(&db, admin, "deal", json!({"title": "Nobody's"}));
    let result = run(
        &db,
        admin,
        json!({"entity": "deals", "filter": {"title": {"in": ["Anna's", "Boris's", "Nobody's"]}},
               "group_by": [{"field": "contact_id"}], "measures": [{"fn": "count"}]}),
    );
    let rows = result["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{result}");
    for row in rows {
        let drill = row["drill"].as_str().unwrap_or_else(|| panic!("a drill on {row}"));
        let contact = row["cells"][0]["value"].as_i64();
        let expected = match contact {
            Some(c) if c == anna => vec![first],
            Some(c) if c == boris => vec![second],
            None => vec![none],
            other => panic!("an unexpected group {other:?}: {result}"),
        };
        assert_eq!(common::drilled_deals(&db, admin, drill), expected, "{drill}");
        if contact.is_some() {
            assert!(
                drill.contains("filter%5Bcontact_ids%5D%5Bprimary%5D")
                    || drill.contains("filter[contact_ids][primary]"),
                "{drill}"
            );
        }
    }
    // A report filtered on the primary contact drills to the same deals.
    let filtered = run(
        &db,
        admin,
        json!({"entity": "deals", "filter": {"contact_id": anna, "title": {"in": ["Anna's", "Boris's", "Nobody's"]}},
               "group_by": [{"field": "responsible_id"}], "measures": [{"fn": "count"}]}),
    );
    let drill = filtered["rows"][0]["drill"].as_str().expect("drill");
    assert_eq!(common::drilled_deals(&db, admin, drill), vec![first], "{drill}");
    // The list refuses the operator on a field without a primary record.
    let cx = service::parse_context(&db).expect("cx");
    let refused = crm_core::records::list::RecordQuery::parse(
        &def(&db, "deal"),
        &[("filter[title][primary]".to_string(), "x".to_string())],
        &cx,
    );
    assert!(
        matches!(refused, Err(crm_core::CoreError::BadRequest(ref m)) if m.contains("primary")),
        "{refused:?}"
    );
}

fn stale_product_months(db: &dyn Db) -> Vec<String> {
    crm_core::reports::rollup::product_months_differences(db).expect("compare kept sums")
}

#[test]
fn product_income_from_kept_months_equals_the_items_after_every_change() {
    let (_dir, db, data) = dataset();
    let admin = &data.admin;
    let deals = def(&db, "deal");
    assert_eq!(stale_product_months(&db), Vec::<String>::new(), "the dataset");
    let gadget = create(
        &db,
        admin,
        "product",
        json!({"name": "Gadget", "price": "7.00", "currency": "RUB"}),
    );
    let items = |deal: i64, body: Value| {
        crm_core::records::line_items::replace(&db, admin, &deals, deal, &body)
            .unwrap_or_else(|e| panic!("items of {deal}: {e:?}"));
    };
    let [d1, d2, d3, d4, d5] = data.deals[..] else {
        panic!("five deals")
    };
    items(
        d3,
        json!({"items": [{"product_id": gadget, "price": "7.00", "quantity": "3"}, {"name": "Extra", "price": "1.25", "quantity": "0.5"}]}),
    );
    items(
        d5,
        json!({"items": [{"product_id": gadget, "price": "7.00", "quantity": "1", "discount_sum": "0.50"}]}),
    );
    move_to(&db, admin, d3, "WON");
    move_to(&db, admin, d5, "WON");
    items(
        d1,
        json!({"items": [{"product_id": gadget, "price": "2.00", "quantity": "10"}]}),
    );
    set(
        &db,
        "UPDATE deals SET closed_at = closed_at + 40 * 86400 WHERE id = ?",
        &[d2.into()],
    );
    service::update(&db, admin, &deals, d4, &json!({"currency": "USD"}), None).expect("currency");
    set(
        &db,
        "UPDATE record_products SET quantity = quantity * 2, product_id = ? WHERE record_id = ?",
        &[gadget.into(), d2.into()],
    );
    move_to(&db, admin, d5, "LOSE");
    service::delete(&db, admin, &deals, d4, None).expect("delete D4");
    assert_eq!(stale_product_months(&db), Vec::<String>::new(), "after the changes");
    // The same report from the kept months (an administrator) and from the items alone (a list
    // filter that every deal passes makes the run read the rows).
    for period in [
        YEAR,
        &[("from", "2026-03-10"), ("to", "2026-07-20")][..],
        &[("from", "2020-01-01"), ("to", "2030-12-31")][..],
    ] {
        let kept = table(&system(&db, admin, "product_income", period));
        let mut pairs = period.to_vec();
        pairs.push(("filter[id][gte]", "1"));
        let rows = table(&system(&db, admin, "product_income", &pairs));
        assert_eq!(kept, rows, "{period:?}");
        assert!(!kept.is_empty(), "{period:?}");
    }
    // The administrator's run does read the kept months: one more unit kept shows in it.
    set(
        &db,
        "UPDATE deal_product_months SET quantity_lo = quantity_lo + 1000",
        &[],
    );
    let widened = table(&system(&db, admin, "product_income", YEAR));
    let plain = table(&system(
        &db,
        admin,
        "product_income",
        &[("from", "2026-01-01"), ("to", "2026-12-31"), ("filter[id][gte]", "1")],
    ));
    assert_ne!(widened, plain);
}
