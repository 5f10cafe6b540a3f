//! The record engine (leads, contacts, companies) against real SQLite files with every
//! migration: the create/update/delete pipeline, every field type, lists (filters, sort,
//! cursor, Cyrillic and phone search), custom fields, timeline, duplicates, merge and bulk,
//! and ACL scoping for a manager.

mod common;

use common::{client, count, errors, fresh, user_in};

use crm_core::acl::Caller;
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::{EntityDef, bulk, custom, duplicates, merge, service, timeline};
use crm_core::{CoreError, Db};
use serde_json::{Value, json};

fn def(db: &dyn Db, entity: &str) -> EntityDef {
    EntityDef::load(db, entity).expect("entity")
}

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Value) -> Value {
    service::create(db, caller, &def(db, entity), &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))
}

fn query(db: &dyn Db, caller: &Caller, entity: &str, pairs: &[(&str, &str)]) -> Value {
    let d = def(db, entity);
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cx = service::parse_context(db).expect("cx");
    let q = RecordQuery::parse(&d, &pairs, &cx).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
    list(db, caller, &d, &q).expect("list")
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

#[test]
fn a_lead_with_every_kind_of_field_round_trips() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let lead = create(
        &db,
        &admin,
        "lead",
        json!({
            "first_name": "Иван", "last_name": "Петров", "honorific": "MR", "birthdate": "1990-02-28",
            "company_title": "ООО Ромашка", "source": "WEB", "amount": "1250.50", "currency": "RUB",
            "phones": [{"value": "+7 (999) 123-45-67", "type": "mobile"}],
            "emails": ["Ivan@Example.com"], "websites": [{"value": "romashka.ru"}],
            "messengers": [{"value": "@ivan", "type": "telegram"}],
            "address": {"city": "Москва", "street": "Тверская, 1"}, "opened": true,
            "utm_source": "google"
        }),
    );
    assert_eq!(
        lead["title"], "Иван Петров",
        "a lead without a title is named after the person"
    );
    assert_eq!(lead["status"], "NEW");
    assert_eq!(lead["amount"], "1250.50");
    assert_eq!(lead["phones"][0]["value"], "+7 (999) 123-45-67");
    assert_eq!(lead["phones"][0]["e164"], "+79991234567");
    assert_eq!(lead["emails"][0]["value"], "Ivan@Example.com");
    assert_eq!(lead["address"]["city"], "Москва");
    assert_eq!(lead["responsible_id"], admin.user_id);
    assert_eq!(lead["opened"], true);
    assert_eq!(lead["version"], 1);
    let id = lead["id"].as_i64().expect("id");
    assert_eq!(service::get(&db, &admin, &def(&db, "lead"), id).expect("get"), lead);
}

#[test]
fn bad_values_are_422_naming_each_field_and_write_nothing() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let found = errors(service::create(
        &db,
        &admin,
        &def(&db, "lead"),
        &json!({
            "title": "x", "status": "NOPE", "currency": "XXX", "amount": "1.234", "birthdate": "2023-02-30",
            "emails": [{"value": "not-an-email"}], "phones": ["12"], "responsible_id": 999,
            "nonsense": 1, "custom": {"uf_missing": 1}, "id": 5
        }),
    ));
    for field in [
        "amount",
        "birthdate",
        "emails[0].value",
        "phones[0]",
        "nonsense",
        "custom.uf_missing",
        "id",
    ] {
        assert!(found.iter().any(|(f, _)| f == field), "{field} not in {found:?}");
    }
    // References are checked once the body parses.
    let found = errors(service::create(
        &db,
        &admin,
        &def(&db, "lead"),
        &json!({"title": "x", "status": "NOPE", "currency": "XXX", "responsible_id": 999}),
    ));
    for field in ["status", "currency", "responsible_id"] {
        assert!(found.iter().any(|(f, _)| f == field), "{field} not in {found:?}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM leads"), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM timeline"), 0);
}

#[test]
fn updates_record_field_changes_on_the_timeline_and_honour_if_match() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let d = def(&db, "lead");
    let lead = create(&db, &admin, "lead", json!({"title": "Deal talk", "status": "NEW"}));
    let id = lead["id"].as_i64().expect("id");
    assert_eq!(
        service::update(&db, &admin, &d, id, &json!({"status": "IN_PROCESS"}), Some(7)),
        Err(CoreError::Stale)
    );
    let changed = service::update(
        &db,
        &admin,
        &d,
        id,
        &json!({"status": "IN_PROCESS", "comments": "call back"}),
        Some(1),
    )
    .expect("update");
    assert_eq!(changed["version"], 2);
    let unchanged = service::update(&db, &admin, &d, id, &json!({"status": "IN_PROCESS"}), None).expect("no-op");
    assert_eq!(unchanged["version"], 2, "an update that changes nothing writes nothing");
    let page = timeline::list(&db, &admin, &d, id, 10, None).expect("timeline");
    let items = page.items;
    assert_eq!(items[0]["kind"], "updated");
    assert_eq!(
        items[0]["payload"]["changes"][0],
        json!({"field": "status", "old": "NEW", "new": "IN_PROCESS"})
    );
    assert_eq!(items[1]["kind"], "created");
    service::delete(&db, &admin, &d, id, Some(2)).expect("delete");
    assert_eq!(service::get(&db, &admin, &d, id), Err(CoreError::NotFound));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM timeline WHERE kind = 'deleted'"), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM leads_search"), 0);
}

#[test]
fn search_is_case_insensitive_in_cyrillic_and_ignores_phone_formatting() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let ivan = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Иван", "last_name": "Сидоров", "phones": ["+7 (999) 123-45-67"]}),
    );
    create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Пётр", "emails": ["petr@example.com"]}),
    );
    for q in ["иван", "ИВАН", "сидор", "9991234567", "+7 999 123 45 67", "89991234567"] {
        assert_eq!(
            ids(&query(&db, &admin, "contact", &[("q", q)])),
            vec![ivan["id"].as_i64().expect("id")],
            "q={q}"
        );
    }
    assert_eq!(
        ids(&query(&db, &admin, "contact", &[("q", "petr@example.com")])).len(),
        1
    );
    assert!(ids(&query(&db, &admin, "contact", &[("q", "nobody")])).is_empty());
}

#[test]
fn lists_filter_sort_and_page_by_cursor() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    for (i, status) in ["NEW", "IN_PROCESS", "NEW", "JUNK", "NEW"].iter().enumerate() {
        create(
            &db,
            &admin,
            "lead",
            json!({"title": format!("Lead {i}"), "status": status, "amount": format!("{}.00", i * 100)}),
        );
    }
    let page = query(
        &db,
        &admin,
        "lead",
        &[
            ("filter[status]", "NEW"),
            ("sort", "-amount"),
            ("limit", "2"),
            ("count", "true"),
        ],
    );
    assert_eq!(page["total"], 3);
    assert_eq!(ids(&page), vec![5, 3]);
    let cursor = page["next_cursor"].as_str().expect("more");
    let next = query(
        &db,
        &admin,
        "lead",
        &[
            ("filter[status]", "NEW"),
            ("sort", "-amount"),
            ("limit", "2"),
            ("cursor", cursor),
        ],
    );
    assert_eq!(ids(&next), vec![1]);
    assert!(next["next_cursor"].is_null());
    assert_eq!(
        ids(&query(
            &db,
            &admin,
            "lead",
            &[("filter[amount][gte]", "200"), ("sort", "id")]
        )),
        vec![3, 4, 5]
    );
    assert_eq!(
        ids(&query(
            &db,
            &admin,
            "lead",
            &[("filter[status][in]", "JUNK,IN_PROCESS"), ("sort", "id")]
        )),
        vec![2, 4]
    );
    assert_eq!(
        ids(&query(&db, &admin, "lead", &[("filter[title][like]", "lead 4")])),
        vec![5]
    );
    assert_eq!(
        ids(&query(&db, &admin, "lead", &[("filter[comments][null]", "false")])),
        Vec::<i64>::new()
    );
    let projected = query(&db, &admin, "lead", &[("fields", "title"), ("limit", "1")]);
    assert_eq!(projected["items"][0], json!({"id": 5, "title": "Lead 4"}));
}

#[test]
fn custom_fields_validate_filter_sort_and_are_fixed_in_type() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let field = custom::create(
        &db,
        &admin,
        &json!({"entity": "contact", "code": "uf_size", "label": {"en": "Size", "ru": "Размер"}, "type": "enumeration", "options": ["S", "M", "L"]}),
        &client(),
    )
    .expect("custom field");
    custom::create(
        &db,
        &admin,
        &json!({"entity": "contact", "code": "uf_score", "label": {"en": "Score"}, "type": "integer"}),
        &client(),
    )
    .expect("second field");
    let small = create(
        &db,
        &admin,
        "contact",
        json!({"last_name": "A", "custom": {"uf_size": "S", "uf_score": 5}}),
    );
    create(
        &db,
        &admin,
        "contact",
        json!({"last_name": "B", "custom": {"uf_size": "L", "uf_score": 9}}),
    );
    assert_eq!(small["custom"], json!({"uf_size": "S", "uf_score": 5}));
    let found = errors(service::create(
        &db,
        &admin,
        &def(&db, "contact"),
        &json!({"last_name": "C", "custom": {"uf_size": "XL", "uf_score": "many"}}),
    ));
    assert_eq!(
        found,
        vec![
            ("custom.uf_size".into(), "invalid_choice".into()),
            ("custom.uf_score".into(), "invalid_type".into())
        ]
    );
    assert_eq!(
        ids(&query(&db, &admin, "contact", &[("filter[custom.uf_size]", "L")])),
        vec![2]
    );
    assert_eq!(
        ids(&query(&db, &admin, "contact", &[("sort", "-custom.uf_score")])),
        vec![2, 1]
    );
    let id = field["id"].as_i64().expect("id");
    let immutable = errors(custom::update(
        &db,
        &admin,
        id,
        &json!({"type": "string"}),
        None,
        &client(),
    ));
    assert_eq!(immutable, vec![("type".into(), "immutable".into())]);
    custom::delete(&db, &admin, id, None, &client()).expect("delete field");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM contacts WHERE json_extract(custom, '$.uf_size') IS NOT NULL"
        ),
        0
    );
}

#[test]
fn contacts_link_companies_both_ways_with_timeline_entries() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let acme = create(
        &db,
        &admin,
        "company",
        json!({"title": "Acme", "requisites": [{"tax_id": "7700000000"}]}),
    );
    let globex = create(&db, &admin, "company", json!({"title": "Globex"}));
    let contact = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Ann", "company_ids": [globex["id"], acme["id"]]}),
    );
    assert_eq!(
        contact["company_id"], globex["id"],
        "the first company is the primary one"
    );
    let company = service::get(&db, &admin, &def(&db, "company"), acme["id"].as_i64().expect("id")).expect("company");
    assert_eq!(company["contact_ids"], json!([contact["id"]]));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM timeline WHERE kind = 'linked'"), 4);
    let missing = errors(service::create(
        &db,
        &admin,
        &def(&db, "contact"),
        &json!({"first_name": "B", "company_ids": [999]}),
    ));
    assert_eq!(missing, vec![("company_ids".into(), "not_found".into())]);
}

#[test]
fn duplicates_match_normalised_channels_and_merge_moves_everything() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let cx = service::parse_context(&db).expect("cx");
    let keep = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Ann", "emails": ["ann@example.com"]}),
    );
    let dupe = create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Ann", "last_name": "Lee", "emails": ["ANN@example.com"], "phones": ["8 999 123-45-67"]}),
    );
    let pairs = vec![("email".to_string(), "Ann@Example.com".to_string())];
    let found = duplicates::find(&db, &admin, &pairs, &cx).expect("duplicates");
    assert_eq!(found["items"].as_array().expect("items").len(), 2);
    let phone = vec![("phone".to_string(), "+79991234567".to_string())];
    assert_eq!(
        duplicates::find(&db, &admin, &phone, &cx).expect("by phone")["items"][0]["id"],
        dupe["id"]
    );
    let d = def(&db, "contact");
    let keep_id = keep["id"].as_i64().expect("id");
    let merged = merge::merge(&db, &admin, &d, keep_id, &json!({"from": [dupe["id"]]})).expect("merge");
    assert_eq!(
        merged["last_name"], "Lee",
        "empty fields are filled from the merged record"
    );
    assert_eq!(merged["phones"][0]["e164"], "+79991234567");
    assert_eq!(
        merged["emails"].as_array().expect("emails").len(),
        1,
        "equal e-mails are not doubled"
    );
    assert_eq!(
        service::get(&db, &admin, &d, dupe["id"].as_i64().expect("id")),
        Err(CoreError::NotFound)
    );
    let history = timeline::list(&db, &admin, &d, keep_id, 50, None)
        .expect("timeline")
        .items;
    assert_eq!(history[0]["kind"], "merged");
    assert_eq!(
        history.iter().filter(|e| e["kind"] == "created").count(),
        2,
        "the merged record's history moved"
    );
}

#[test]
fn bulk_actions_run_per_record_in_one_transaction() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let manager = user_in(&db, "m@example.com", "manager", None);
    let cx = service::parse_context(&db).expect("cx");
    let d = def(&db, "lead");
    for i in 0..3 {
        create(&db, &admin, "lead", json!({"title": format!("L{i}")}));
    }
    let done = bulk::run(
        &db,
        &admin,
        &d,
        &json!({"action": "assign", "ids": [1, 2], "responsible_id": manager.user_id}),
        &cx,
    )
    .expect("assign");
    assert_eq!(done["ids"], json!([1, 2]));
    let set = bulk::run(
        &db,
        &admin,
        &d,
        &json!({"action": "set", "filter": {"responsible_id": manager.user_id}, "values": {"status": "JUNK"}}),
        &cx,
    )
    .expect("set");
    assert_eq!(set["ids"], json!([1, 2]));
    let refused = bulk::run(
        &db,
        &manager,
        &d,
        &json!({"action": "set", "ids": [1, 3], "values": {"status": "NEW"}}),
        &cx,
    );
    assert!(matches!(refused, Err(CoreError::Validation(_))), "{refused:?}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM leads WHERE status = 'NEW'"),
        1,
        "nothing of a refused bulk is written"
    );
    let bad = bulk::run(
        &db,
        &admin,
        &d,
        &json!({"action": "set", "ids": [1], "values": {"status": "NOPE"}}),
        &cx,
    );
    assert!(matches!(bad, Err(CoreError::Validation(_))));
    bulk::run(&db, &admin, &d, &json!({"action": "delete", "ids": [1, 2, 3]}), &cx).expect("delete");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM leads"), 0);
}

#[test]
fn a_manager_sees_only_own_and_opened_records_in_lists_and_search() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    let manager = user_in(&db, "m@example.com", "manager", None);
    let mine = create(&db, &manager, "lead", json!({"title": "Mine Иван"}));
    create(&db, &admin, "lead", json!({"title": "Theirs Иван"}));
    let opened = create(&db, &admin, "lead", json!({"title": "Open Иван", "opened": true}));
    let visible = ids(&query(&db, &manager, "lead", &[("q", "иван"), ("sort", "id")]));
    assert_eq!(
        visible,
        vec![mine["id"].as_i64().expect("id"), opened["id"].as_i64().expect("id")]
    );
    let d = def(&db, "lead");
    assert_eq!(service::get(&db, &manager, &d, 2), Err(CoreError::NotFound));
    assert_eq!(
        service::update(
            &db,
            &manager,
            &d,
            opened["id"].as_i64().expect("id"),
            &json!({"title": "x"}),
            None
        ),
        Err(CoreError::Forbidden),
        "an opened record is readable, not writable"
    );
    let cx = service::parse_context(&db).expect("cx");
    let pairs = vec![("title".to_string(), "x".to_string())];
    assert!(
        duplicates::find(&db, &manager, &pairs, &cx).expect("dupes")["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );
}

#[test]
fn a_dictionary_code_or_currency_in_use_cannot_be_deleted() {
    let (_dir, db) = fresh();
    let admin = user_in(&db, "a@example.com", "administrator", None);
    crm_core::records::dictionaries::entries::create(
        &db,
        &admin,
        "sources",
        &json!({"code": "FAIR", "name": {"en": "Fair"}}),
        &client(),
    )
    .expect("new source");
    create(
        &db,
        &admin,
        "lead",
        json!({"title": "From the fair", "source": "FAIR", "currency": "USD"}),
    );
    let refused = crm_core::records::dictionaries::entries::delete(&db, &admin, "sources", "FAIR", None, &client());
    assert!(
        matches!(&refused, Err(CoreError::Conflict(m)) if m.contains("lead.source")),
        "{refused:?}"
    );
    let refused = crm_core::records::dictionaries::currencies::delete(&db, &admin, "USD", None, &client());
    assert!(
        matches!(&refused, Err(CoreError::Conflict(m)) if m.contains("lead.currency")),
        "{refused:?}"
    );
    service::delete(&db, &admin, &def(&db, "lead"), 1, None).expect("delete the lead");
    crm_core::records::dictionaries::entries::delete(&db, &admin, "sources", "FAIR", None, &client())
        .expect("unused now");
}

#[test]
fn every_column_field_of_every_entity_has_its_column() {
    let (_dir, db) = fresh();
    for name in crm_core::records::entity::NAMES {
        let d = def(&db, name);
        let columns: Vec<String> = db
            .query(&format!("SELECT name FROM pragma_table_info('{}')", d.table), &[])
            .expect("table info")
            .iter()
            .filter_map(|r| r.str("name").map(str::to_string))
            .collect();
        for field in d
            .fields
            .iter()
            .filter(|f| f.storage == crm_core::records::fields::Storage::Column)
        {
            assert!(
                columns.contains(&field.name),
                "{name}.{} has no column in {}",
                field.name,
                d.table
            );
        }
    }
}
