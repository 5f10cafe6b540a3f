//! Lists of callers who read own (or their departments') and opened records, which the engine
//! reads as two index-ordered arms and merges (`records/list/plan.rs`), against a plain
//! reference computed in Rust over the same rows: the same rows in the same order page by page
//! through the keyset cursor, the same `total`, under every sort direction, ties and NULLs in
//! the sort key, filters, `q` and a stage read limit, for a manager, a head of department and an
//! administrator; and boards (column counts, sums and cards) the same way, from the running
//! totals and from the records.

mod common;

use std::cmp::Ordering;

use common::fresh;
use crm_core::acl::{Caller, Permissions};
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::service;
use crm_core::records::{EntityDef, board};
use crm_core::{Db, Value};
use serde_json::json;

// Departments: SALES (1) > SALES_EAST (2), and OTHER (3).
const SALES: i64 = 1;
const SALES_EAST: i64 = 2;
const OTHER: i64 = 3;
/// Users by id, with their department and role.
const USERS: &[(i64, Option<i64>, &str)] = &[
    (1, None, "administrator"),
    (2, Some(SALES), "manager"),
    (3, Some(SALES), "head"),
    (4, Some(SALES_EAST), "manager"),
    (5, Some(OTHER), "manager"),
    (6, None, "manager"),
];
const MANAGER: i64 = 2;
const HEAD: i64 = 3;
const LAST_NAMES: &[&str] = &["Ivanov", "Petrov", "Smith", "Иванова", "Brown"];
const TYPES: &[&str] = &["CLIENT", "SUPPLIER", "PARTNER"];
const STAGES: &[&str] = &["NEW", "PREPARATION", "EXECUTING", "WON", "LOSE"];
const SOURCES: &[&str] = &["WEB", "CALL", "EMAIL"];
const DEAL_TYPES: &[&str] = &["SALE", "GOODS"];
const ROWS: i64 = 600;
const PAGE: &str = "7";

/// One seeded record, as the reference sees it.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    responsible: Option<i64>,
    opened: bool,
    /// `last_name` for contacts, `title` for deals.
    name: Option<String>,
    /// `type` for contacts, `stage` for deals.
    kind: String,
    created_at: i64,
    updated_at: i64,
    /// A deal's amount in minor units and its currency (RUB, the base, or none).
    amount: Option<i64>,
    currency: Option<&'static str>,
    /// A deal's source and type codes.
    source: Option<&'static str>,
    deal_type: Option<&'static str>,
}

/// A small deterministic generator (so a failure reproduces).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn exec(db: &dyn Db, sql: &str, params: &[Value]) {
    db.execute(sql, params).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn seed_users(db: &dyn Db) {
    for (id, name, parent) in [
        (SALES, "Sales", None),
        (SALES_EAST, "Sales East", Some(SALES)),
        (OTHER, "Other", None),
    ] {
        exec(
            db,
            "INSERT INTO departments (id, name, parent_id, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
            &[id.into(), name.into(), parent.into()],
        );
    }
    for (id, department, role) in USERS {
        exec(
            db,
            "INSERT INTO users (id, email, name, password_hash, department_id, created_at, updated_at) \
             VALUES (?, ?, ?, 'x', ?, 0, 0)",
            &[
                (*id).into(),
                format!("u{id}@example.com").into(),
                format!("User {id}").into(),
                (*department).into(),
            ],
        );
        exec(
            db,
            "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE code = ?",
            &[(*id).into(), (*role).into()],
        );
    }
}

/// [`ROWS`] records of `entity` (contacts or deals): owners spread over the users and nobody,
/// a third opened, few distinct names (NULL among them) and times, so sort keys tie often.
fn seed_rows(db: &dyn Db, entity: &str) -> Vec<Row> {
    let mut rng = Lcg(if entity == "contact" { 7 } else { 11 });
    let mut rows = Vec::new();
    for id in 1..=ROWS {
        let owner = rng.below(USERS.len() as u64 + 1) as usize;
        let name = rng.below(LAST_NAMES.len() as u64 + 1) as usize;
        let kinds = if entity == "contact" { TYPES } else { STAGES };
        // A deal's title is required: where a contact has no last name, the deal is "Deal".
        let name = match LAST_NAMES.get(name) {
            Some(name) => Some(name.to_string()),
            None if entity == "deal" => Some("Deal".to_string()),
            None => None,
        };
        let mut row = Row {
            id,
            responsible: USERS.get(owner).map(|u| u.0),
            opened: rng.below(3) == 0,
            name,
            kind: kinds[rng.below(kinds.len() as u64) as usize].to_string(),
            created_at: 1_700_000_000 + 86_400 * rng.below(20) as i64,
            updated_at: 1_700_000_000 + 3_600 * rng.below(12) as i64,
            amount: None,
            currency: None,
            source: None,
            deal_type: None,
        };
        if entity == "deal" {
            row.amount = (rng.below(10) != 0).then(|| 100 * (1 + rng.below(1000) as i64));
            row.currency = (rng.below(4) != 0).then_some("RUB");
            row.source = SOURCES.get(rng.below(SOURCES.len() as u64 + 1) as usize).copied();
            row.deal_type = DEAL_TYPES.get(rng.below(DEAL_TYPES.len() as u64 + 1) as usize).copied();
        }
        let shared: [Value; 6] = [
            row.id.into(),
            row.responsible.into(),
            row.opened.into(),
            row.kind.as_str().into(),
            row.created_at.into(),
            row.updated_at.into(),
        ];
        if entity == "contact" {
            let mut params = shared.to_vec();
            params.push(row.name.clone().map(Value::from).unwrap_or(Value::Null));
            // The search text goes into the row; its trigger indexes it (sql/0015).
            params.push(row.name.clone().unwrap_or_default().into());
            exec(
                db,
                "INSERT INTO contacts (id, responsible_id, opened, type, created_at, updated_at, last_name, search_body) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &params,
            );
        } else {
            let mut params = shared.to_vec();
            params.push(row.name.clone().map(Value::from).unwrap_or(Value::Null));
            params.push(row.amount.into());
            params.push(row.currency.into());
            params.push(row.source.into());
            params.push(row.deal_type.into());
            params.push(row.name.clone().unwrap_or_default().into());
            exec(
                db,
                "INSERT INTO deals (id, responsible_id, opened, stage, created_at, updated_at, title, amount, currency, \
                 source, type, search_body, pipeline_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                &params,
            );
        }
        rows.push(row);
    }
    exec(db, "ANALYZE", &[]);
    rows
}

/// Whether `caller` (by the default roles' levels: own, subdepartments, all) may read `row`.
fn visible(user: i64, row: &Row, stages: Option<&[&str]>) -> bool {
    let department = |user: Option<i64>| USERS.iter().find(|u| Some(u.0) == user).and_then(|u| u.1);
    let by_role = match USERS.iter().find(|u| u.0 == user).map(|u| u.2) {
        Some("administrator") => true,
        Some("head") => {
            let subtree = [SALES, SALES_EAST];
            row.responsible == Some(user) || department(row.responsible).is_some_and(|d| subtree.contains(&d))
        }
        _ => row.responsible == Some(user),
    };
    let staged = stages.is_none_or(|stages| stages.contains(&row.kind.as_str()));
    (by_role || row.opened) && staged
}

/// One sort key of the reference: which value, which way.
#[derive(Clone, Copy)]
enum Key {
    Id,
    Name,
    Updated,
}

/// SQLite's order: NULL before any text, text by bytes.
fn compare(a: &Row, b: &Row, sort: &[(Key, bool)]) -> Ordering {
    for (key, descending) in sort {
        let order = match key {
            Key::Id => a.id.cmp(&b.id),
            Key::Name => a.name.cmp(&b.name),
            Key::Updated => a.updated_at.cmp(&b.updated_at),
        };
        let order = if *descending { order.reverse() } else { order };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Every page of the list `pairs` (plus `limit`) followed by cursor, and the first page's total.
fn pages(db: &dyn Db, caller: &Caller, entity: &str, pairs: &[(&str, &str)]) -> (Vec<i64>, i64) {
    let def = EntityDef::load(db, entity).expect("entity");
    let cx = service::parse_context(db).expect("cx");
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    loop {
        let mut query: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        query.push(("limit".into(), PAGE.into()));
        match &cursor {
            Some(cursor) => query.push(("cursor".into(), cursor.clone())),
            None => query.push(("count".into(), "true".into())),
        }
        let parsed = RecordQuery::parse(&def, &query, &cx).unwrap_or_else(|e| panic!("{query:?}: {e:?}"));
        let page = list(db, caller, &def, &parsed).unwrap_or_else(|e| panic!("{query:?}: {e:?}"));
        if total.is_none() {
            total = page["total"].as_i64();
        }
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 7, "a page holds at most its limit");
        ids.extend(items.iter().map(|r| r["id"].as_i64().expect("id")));
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), 7, "a page with a next cursor is full ({query:?})");
                cursor = Some(next.to_string());
            }
            None => break,
        }
        assert!(ids.len() <= ROWS as usize, "paging does not end ({query:?})");
    }
    (ids, total.expect("the first page has its total"))
}

/// A list case: its query, which rows it keeps and in what order the reference sorts them.
struct Case {
    pairs: Vec<(&'static str, &'static str)>,
    keep: fn(&Row) -> bool,
    sort: Vec<(Key, bool)>,
}

fn contact_cases() -> Vec<Case> {
    let all: fn(&Row) -> bool = |_| true;
    let sorts: [(&str, Vec<(Key, bool)>); 5] = [
        ("-id", vec![(Key::Id, true)]),
        ("last_name", vec![(Key::Name, false), (Key::Id, false)]),
        ("-last_name", vec![(Key::Name, true), (Key::Id, true)]),
        ("-updated_at", vec![(Key::Updated, true), (Key::Id, true)]),
        ("updated_at,-id", vec![(Key::Updated, false), (Key::Id, true)]),
    ];
    let mut cases = Vec::new();
    for (spec, sort) in sorts {
        cases.push(Case {
            pairs: vec![("sort", spec)],
            keep: all,
            sort: sort.clone(),
        });
        cases.push(Case {
            pairs: vec![("sort", spec), ("filter[type]", "CLIENT")],
            keep: |r| r.kind == "CLIENT",
            sort: sort.clone(),
        });
        cases.push(Case {
            // 2023-11-24T22:13:20Z is 1_700_000_000 + 10 days.
            pairs: vec![("sort", spec), ("filter[created_at][gte]", "2023-11-24T22:13:20Z")],
            keep: |r| r.created_at >= 1_700_864_000,
            sort: sort.clone(),
        });
        cases.push(Case {
            pairs: vec![("sort", spec), ("q", "Ivanov")],
            keep: |r| r.name.as_deref() == Some("Ivanov"),
            sort,
        });
    }
    // A search in id order walks the full-text matches themselves (`plan.rs`): both ways, and
    // with a filter tested on each readable match.
    cases.push(Case {
        pairs: vec![("sort", "id"), ("q", "Petrov")],
        keep: |r| r.name.as_deref() == Some("Petrov"),
        sort: vec![(Key::Id, false)],
    });
    cases.push(Case {
        pairs: vec![("q", "Иванова"), ("filter[type][in]", "CLIENT,PARTNER")],
        keep: |r| r.name.as_deref() == Some("Иванова") && r.kind != "SUPPLIER",
        sort: vec![(Key::Id, true)],
    });
    cases
}

fn check(db: &dyn Db, caller: &Caller, entity: &str, rows: &[Row], cases: &[Case], stages: Option<&[&str]>) {
    for case in cases {
        let mut expected: Vec<&Row> = rows
            .iter()
            .filter(|r| visible(caller.user_id, r, stages) && (case.keep)(r))
            .collect();
        expected.sort_by(|a, b| compare(a, b, &case.sort));
        let expected: Vec<i64> = expected.iter().map(|r| r.id).collect();
        assert!(
            expected.len() > 7,
            "the case spans pages ({:?}, {} rows)",
            case.pairs,
            expected.len()
        );
        let (ids, total) = pages(db, caller, entity, &case.pairs);
        assert_eq!(
            ids, expected,
            "user {} {entity}s {:?}: the pages differ from the reference",
            caller.user_id, case.pairs
        );
        assert_eq!(
            total,
            expected.len() as i64,
            "user {} {entity}s {:?}: count",
            caller.user_id,
            case.pairs
        );
    }
}

#[test]
fn restricted_callers_page_through_exactly_the_rows_and_order_of_the_reference() {
    let (_dir, db) = fresh();
    seed_users(&db);
    let rows = seed_rows(&db, "contact");
    let cases = contact_cases();
    for user in [MANAGER, HEAD, 1, 6] {
        let caller = Caller::load(&db, user).expect("caller");
        check(&db, &caller, "contact", &rows, &cases, None);
    }
}

#[test]
fn a_stage_read_limit_applies_to_both_arms() {
    let (_dir, db) = fresh();
    seed_users(&db);
    let rows = seed_rows(&db, "deal");
    let limited = Permissions::from_value(
        &json!({"entities": {"deal": {"read": "own"}}, "stages": {"deal": {"read": ["NEW", "WON"]}}}),
        "permissions",
    )
    .expect("valid matrix");
    let mut caller = Caller::load(&db, MANAGER).expect("manager");
    caller.permissions = limited;
    let cases = vec![
        Case {
            pairs: vec![],
            keep: |_| true,
            sort: vec![(Key::Id, true)],
        },
        Case {
            pairs: vec![("sort", "title")],
            keep: |_| true,
            sort: vec![(Key::Name, false), (Key::Id, false)],
        },
        Case {
            pairs: vec![("sort", "-updated_at")],
            keep: |_| true,
            sort: vec![(Key::Updated, true), (Key::Id, true)],
        },
        Case {
            pairs: vec![("q", "Deal")],
            keep: |r| r.name.as_deref() == Some("Deal"),
            sort: vec![(Key::Id, true)],
        },
    ];
    check(&db, &caller, "deal", &rows, &cases, Some(&["NEW", "WON"][..]));
}

/// A board's filter pairs and the rows they keep.
type BoardFilter = (&'static [(&'static str, &'static str)], fn(&Row) -> bool);

#[test]
fn board_columns_count_sum_and_show_exactly_what_each_caller_reads() {
    let (_dir, db) = fresh();
    seed_users(&db);
    let rows = seed_rows(&db, "deal");
    let def = EntityDef::load(&db, "deal").expect("deal");
    let cx = service::parse_context(&db).expect("cx");
    // Unfiltered and by currency the running totals answer; by source or type those kept per
    // dimension answer a caller who reads every deal; by creation time the records do.
    let filters: [BoardFilter; 10] = [
        (&[], |_| true),
        (&[("filter[currency][eq]", "RUB")], |r| r.currency == Some("RUB")),
        (&[("filter[currency][ne]", "RUB")], |r| r.currency != Some("RUB")),
        (&[("filter[source]", "WEB")], |r| r.source == Some("WEB")),
        (&[("filter[source][in]", "WEB,EMAIL")], |r| {
            matches!(r.source, Some("WEB" | "EMAIL"))
        }),
        (&[("filter[source][ne]", "CALL")], |r| r.source != Some("CALL")),
        (&[("filter[source]", "CALL"), ("filter[currency]", "RUB")], |r| {
            r.source == Some("CALL") && r.currency == Some("RUB")
        }),
        (&[("filter[type]", "GOODS")], |r| r.deal_type == Some("GOODS")),
        (&[("filter[type]", "SALE"), ("filter[source]", "WEB")], |r| {
            r.deal_type == Some("SALE") && r.source == Some("WEB")
        }),
        (&[("filter[created_at][gte]", "2023-11-24T22:13:20Z")], |r| {
            r.created_at >= 1_700_864_000
        }),
    ];
    for user in [MANAGER, HEAD, 1, 6] {
        let caller = Caller::load(&db, user).expect("caller");
        for (filter, keep) in filters {
            let mut query: Vec<(String, String)> = filter.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            query.push(("per_column".into(), "5".into()));
            let answer = board::board(&db, &caller, &def, &query, &cx).unwrap_or_else(|e| panic!("{query:?}: {e:?}"));
            let columns = answer["columns"].as_array().expect("columns");
            assert_eq!(columns.len(), 7, "the default pipeline's stages");
            for column in columns {
                let code = column["stage"]["code"].as_str().expect("code");
                let mut chosen: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.kind == code && visible(user, r, None) && keep(r))
                    .collect();
                let sum: i64 = chosen.iter().filter_map(|r| r.amount).sum();
                let what = format!("user {user}, {code}, {filter:?}");
                assert_eq!(column["count"], json!(chosen.len()), "{what}: count");
                assert_eq!(
                    column["amount"],
                    json!(format!("{}.{:02}", sum / 100, sum % 100)),
                    "{what}: amount"
                );
                chosen.sort_by_key(|r| std::cmp::Reverse(r.id));
                let first: Vec<i64> = chosen.iter().take(5).map(|r| r.id).collect();
                let shown: Vec<i64> = column["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|r| r["id"].as_i64().expect("id"))
                    .collect();
                assert_eq!(shown, first, "{what}: cards");
            }
        }
    }
}

#[test]
fn totals_kept_per_source_and_type_equal_a_recomputation_after_any_change() {
    let (_dir, db) = fresh();
    seed_users(&db);
    seed_rows(&db, "deal");
    // Every kind of change the triggers see: a stage move, a new source or type (to and from
    // none), an amount and a currency changed or cleared, a move to another pipeline, deletes.
    for sql in [
        "INSERT INTO pipelines (id, name_en, name_ru, created_at, updated_at) VALUES (2, 'Two', 'Два', 0, 0)",
        "UPDATE deals SET stage = 'WON' WHERE id % 7 = 0",
        "UPDATE deals SET source = 'EMAIL' WHERE id % 5 = 1",
        "UPDATE deals SET source = NULL, type = 'SALE' WHERE id % 11 = 2",
        "UPDATE deals SET amount = amount * 3 + 1 WHERE id % 3 = 0",
        "UPDATE deals SET amount = NULL, currency = 'USD' WHERE id % 13 = 4",
        "UPDATE deals SET pipeline_id = 2 WHERE id % 17 = 5",
        "UPDATE deals SET title = 'untouched dimensions' WHERE id % 2 = 0",
        "DELETE FROM deals WHERE id % 9 = 3",
    ] {
        exec(&db, sql, &[]);
    }
    for (table, column) in [
        ("deal_board_source_totals", "source"),
        ("deal_board_type_totals", "type"),
    ] {
        let kept = format!(
            "SELECT pipeline_id, {column} AS d, stage, currency, n, amount_hi, amount_lo FROM {table} \
             WHERE n <> 0 OR amount_hi <> 0 OR amount_lo <> 0 ORDER BY 1, 2, 3, 4"
        );
        let recomputed = format!(
            "SELECT pipeline_id, COALESCE({column}, '') AS d, stage, COALESCE(currency, '') AS currency, COUNT(*) AS n, \
             COALESCE(SUM(amount / 1000000000), 0) AS amount_hi, COALESCE(SUM(amount % 1000000000), 0) AS amount_lo \
             FROM deals GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        );
        let kept = db.query(&kept, &[]).expect("kept");
        let recomputed = db.query(&recomputed, &[]).expect("recomputed");
        assert!(recomputed.len() > 20, "{table}: the seed spreads over many groups");
        let rows = |rows: &crm_core::db::Rows| -> Vec<Vec<Value>> {
            rows.iter()
                .map(|r| {
                    ["pipeline_id", "d", "stage", "currency", "n", "amount_hi", "amount_lo"]
                        .iter()
                        .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect()
        };
        assert_eq!(rows(&kept), rows(&recomputed), "{table}");
    }
}

#[test]
fn only_a_caller_who_reads_every_deal_gets_a_source_board_from_the_kept_totals() {
    let (_dir, db) = fresh();
    seed_users(&db);
    seed_rows(&db, "deal");
    let def = EntityDef::load(&db, "deal").expect("deal");
    let cx = service::parse_context(&db).expect("cx");
    let new_count = |user: i64| {
        let caller = Caller::load(&db, user).expect("caller");
        let query = vec![("filter[source]".to_string(), "WEB".to_string())];
        let answer = board::board(&db, &caller, &def, &query, &cx).expect("board");
        answer["columns"][0]["count"].as_i64().expect("count")
    };
    let (admin, manager) = (new_count(1), new_count(MANAGER));
    // A marker only the kept totals carry: the administrator's board shows it, the manager's
    // (whose board must apply the owner condition the table does not keep) does not.
    exec(
        &db,
        "UPDATE deal_board_source_totals SET n = n + 1000 WHERE source = 'WEB' AND stage = 'NEW' AND currency = 'RUB'",
        &[],
    );
    assert_eq!(new_count(1), admin + 1000);
    assert_eq!(new_count(MANAGER), manager);
}
