//! The product catalog against real SQLite files with every migration: products through the
//! record engine (create/update/delete, defaults, the entity's hooks: base currency, price and
//! VAT ranges, the section reference, unique SKU), prefix search in Russian and English, the
//! picker, custom fields on products, the section tree's rules, and what a manager may do.

mod common;

use common::{client, count, errors, fresh, user};

use crm_core::acl::Caller;
use crm_core::catalog;
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::{EntityDef, custom, service, timeline};
use crm_core::resource::ListQuery;
use crm_core::{CoreError, Db};
use serde_json::{Value, json};

fn product_def(db: &dyn Db) -> EntityDef {
    EntityDef::load(db, "product").expect("product entity")
}

fn create(db: &dyn Db, caller: &Caller, body: Value) -> Value {
    service::create(db, caller, &product_def(db), &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))
}

fn id_of(record: &Value) -> i64 {
    record["id"].as_i64().expect("id")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn query(db: &dyn Db, caller: &Caller, list_pairs: &[(&str, &str)]) -> Value {
    let def = product_def(db);
    let cx = service::parse_context(db).expect("cx");
    let q = RecordQuery::parse(&def, &pairs(list_pairs), &cx).unwrap_or_else(|e| panic!("{list_pairs:?}: {e:?}"));
    list(db, caller, &def, &q).expect("list")
}

fn picker(db: &dyn Db, caller: &Caller, picker_pairs: &[(&str, &str)]) -> Result<Value, CoreError> {
    catalog::picker(db, caller, &product_def(db), &pairs(picker_pairs))
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect()
}

fn section(db: &dyn Db, caller: &Caller, body: Value) -> i64 {
    let created = catalog::create(db, caller, &body, &client()).unwrap_or_else(|e| panic!("section {body}: {e:?}"));
    id_of(&created)
}

#[test]
fn a_product_is_created_with_defaults_changed_and_deleted() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let def = product_def(&db);
    let shelf = section(&db, &admin, json!({"name": "Cables"}));
    let cable = create(
        &db,
        &admin,
        json!({"name": "Кабель медный", "sku": "CAB-001", "price": "1250.50", "vat_rate": "20", "section_id": shelf,
               "description": "ВВГнг 3x2.5", "unit": "M"}),
    );
    assert_eq!(cable["name"], "Кабель медный");
    assert_eq!(cable["price"], "1250.50");
    assert_eq!(
        cable["currency"], "RUB",
        "a price without a currency is in the base currency"
    );
    assert_eq!(cable["vat_rate"], "20.00");
    assert_eq!(cable["vat_included"], false);
    assert_eq!(cable["active"], true);
    assert_eq!(cable["unit"], "M");
    assert_eq!(cable["sort"], 100);
    assert_eq!(cable["section_id"], shelf);
    assert_eq!(cable["version"], 1);
    assert!(cable.get("responsible_id").is_none(), "products are not owned");
    let id = id_of(&cable);
    assert_eq!(service::get(&db, &admin, &def, id).expect("get"), cable);
    assert_eq!(
        db.query("SELECT price, vat_rate FROM products WHERE id = ?", &[id.into()])
            .expect("row")
            .first()
            .map(|r| (r.i64("price"), r.i64("vat_rate"))),
        Some((Some(125_050), Some(2000))),
        "price and VAT rate are stored scaled by 100"
    );

    let service_item = create(&db, &admin, json!({"name": "Монтаж", "unit": "SERVICE"}));
    assert!(service_item["price"].is_null());
    assert!(service_item["currency"].is_null(), "no price, no currency");
    assert_eq!(create(&db, &admin, json!({"name": "Bolt"}))["unit"], "PCS");
    let dollars = create(&db, &admin, json!({"name": "Import", "price": "10", "currency": "USD"}));
    assert_eq!(dollars["currency"], "USD", "a given currency is kept");

    assert_eq!(
        service::update(&db, &admin, &def, id, &json!({"price": "99.90"}), Some(5)),
        Err(CoreError::Stale)
    );
    let changed = service::update(
        &db,
        &admin,
        &def,
        id,
        &json!({"price": "99.90", "vat_included": true, "active": false, "section_id": null}),
        Some(1),
    )
    .expect("update");
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["price"], "99.90");
    assert_eq!(changed["vat_included"], true);
    assert_eq!(changed["active"], false);
    assert!(changed["section_id"].is_null());
    let entries = timeline::list(&db, &admin, &def, id, 10, None).expect("timeline").items;
    assert_eq!(entries[0]["kind"], "updated");
    assert_eq!(entries[1]["kind"], "created");

    service::delete(&db, &admin, &def, id, Some(2)).expect("delete");
    assert_eq!(service::get(&db, &admin, &def, id), Err(CoreError::NotFound));
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) FROM products_search WHERE rowid = {id}")),
        0
    );
}

#[test]
fn negative_prices_vat_rates_out_of_range_and_missing_sections_are_refused() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let def = product_def(&db);
    let found = errors(service::create(
        &db,
        &admin,
        &def,
        &json!({"name": "Bad", "price": "-1.00", "vat_rate": "100.01", "section_id": 999}),
    ));
    // The bounds are the fields' own (refused while parsing); the section is the hook's.
    assert_eq!(
        found,
        vec![
            ("price".into(), "out_of_range".into()),
            ("vat_rate".into(), "out_of_range".into()),
        ]
    );
    assert_eq!(
        errors(service::create(
            &db,
            &admin,
            &def,
            &json!({"name": "Bad", "section_id": 999})
        )),
        vec![("section_id".into(), "not_found".into())]
    );
    assert_eq!(
        errors(service::create(
            &db,
            &admin,
            &def,
            &json!({"name": "Bad", "price": "10000000000000"})
        )),
        vec![("price".into(), "out_of_range".into())],
        "past the money maximum"
    );
    assert_eq!(
        errors(service::create(
            &db,
            &admin,
            &def,
            &json!({"name": "Bad", "vat_rate": "-0.01"})
        )),
        vec![("vat_rate".into(), "out_of_range".into())]
    );
    let parsed = errors(service::create(
        &db,
        &admin,
        &def,
        &json!({"unit": "BARREL", "sku": "x".repeat(65), "price": "1.005", "currency": "rubles"}),
    ));
    for field in ["name", "unit", "sku", "price", "currency"] {
        assert!(parsed.iter().any(|(f, _)| f == field), "{field} not in {parsed:?}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products"), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM timeline"), 0);

    let zero = create(
        &db,
        &admin,
        json!({"name": "Free sample", "price": "0", "vat_rate": "0"}),
    );
    let full = create(&db, &admin, json!({"name": "Taxed", "vat_rate": "100"}));
    assert_eq!(
        (zero["price"].as_str(), full["vat_rate"].as_str()),
        (Some("0.00"), Some("100.00"))
    );
    let id = id_of(&zero);
    assert_eq!(
        errors(service::update(&db, &admin, &def, id, &json!({"price": "-5"}), None)),
        vec![("price".into(), "out_of_range".into())]
    );
    assert_eq!(
        errors(service::update(&db, &admin, &def, id, &json!({"section_id": 7}), None)),
        vec![("section_id".into(), "not_found".into())]
    );
    service::update(&db, &admin, &def, id, &json!({"active": false, "sort": 5}), None).expect("update");
    let restored =
        service::update(&db, &admin, &def, id, &json!({"active": null, "sort": null}), None).expect("update");
    assert_eq!(
        (restored["active"].as_bool(), restored["sort"].as_i64()),
        (Some(true), Some(100)),
        "clearing a flag or the sort order restores its default"
    );
    let cleared = service::update(&db, &admin, &def, id, &json!({"currency": null}), None).expect("update");
    assert_eq!(
        cleared["currency"], "RUB",
        "a priced product whose currency is cleared is in the base currency"
    );
    assert_eq!(cleared["version"], 3, "which changes nothing");
}

#[test]
fn a_sku_names_one_product_whatever_its_case() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let def = product_def(&db);
    let cable = create(&db, &admin, json!({"name": "Cable", "sku": "CAB-001"}));
    let art = create(&db, &admin, json!({"name": "Арматура", "sku": "АРТ-7"}));
    for sku in ["CAB-001", "cab-001", " Cab-001 ", "арт-7", "Арт-7"] {
        match service::create(&db, &admin, &def, &json!({"name": "Copy", "sku": sku})) {
            Err(CoreError::Conflict(text)) => assert!(text.contains("SKU"), "{text}"),
            other => panic!("{sku}: expected 409, got {other:?}"),
        }
    }
    let id = id_of(&cable);
    let same = service::update(
        &db,
        &admin,
        &def,
        id,
        &json!({"sku": "cab-001", "name": "Cable 2"}),
        None,
    )
    .expect("a product may keep (and recase) its own SKU");
    assert_eq!(same["sku"], "cab-001");
    assert!(matches!(
        service::update(&db, &admin, &def, id_of(&art), &json!({"sku": "CAB-001"}), None),
        Err(CoreError::Conflict(_))
    ));
    create(&db, &admin, json!({"name": "No SKU 1"}));
    create(&db, &admin, json!({"name": "No SKU 2", "sku": ""}));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products WHERE sku IS NULL"), 2);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products"), 4);
}

#[test]
fn search_and_picker_find_name_and_sku_prefixes_in_russian_and_english() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    create(
        &db,
        &admin,
        json!({"name": "Кабель медный", "sku": "CAB-001", "price": "100"}),
    );
    create(&db, &admin, json!({"name": "Кабельный канал", "sku": "KK-20"}));
    create(&db, &admin, json!({"name": "Copper wire", "sku": "WIRE-1"}));
    create(&db, &admin, json!({"name": "Cable tie", "sku": "TIE-9"}));
    create(
        &db,
        &admin,
        json!({"name": "Кабель старый", "sku": "OLD-1", "active": false}),
    );
    let by = |q: &str| {
        let mut found = names(&query(&db, &admin, &[("q", q)]));
        found.sort();
        found
    };
    assert_eq!(by("кабел"), vec!["Кабель медный", "Кабель старый", "Кабельный канал"]);
    assert_eq!(by("КАБЕЛЬ МЕД"), vec!["Кабель медный"]);
    assert_eq!(by("cab"), vec!["Cable tie", "Кабель медный"]);
    assert_eq!(by("cab-001"), vec!["Кабель медный"]);
    assert_eq!(by("wire"), vec!["Copper wire"]);
    assert!(by("абель").is_empty(), "prefixes, not infixes");

    let picked = picker(&db, &admin, &[("q", "кабел")]).expect("picker");
    assert_eq!(
        names(&picked),
        vec!["Кабель медный", "Кабельный канал"],
        "active only, by name"
    );
    assert_eq!(
        picked["items"][0],
        json!({"id": 1, "name": "Кабель медный", "sku": "CAB-001", "price": "100.00", "currency": "RUB",
               "unit": "PCS", "vat_rate": null, "vat_included": false})
    );
    assert!(picked.get("next_cursor").is_none());
    assert_eq!(
        names(&picker(&db, &admin, &[("q", "Tie")]).expect("by SKU")),
        vec!["Cable tie"]
    );
    assert_eq!(names(&picker(&db, &admin, &[("q", "old")]).expect("inactive")).len(), 0);
    assert_eq!(
        names(&picker(&db, &admin, &[]).expect("everything active")),
        vec!["Cable tie", "Copper wire", "Кабель медный", "Кабельный канал"]
    );
}

#[test]
fn the_picker_returns_at_most_twenty_and_refuses_unknown_parameters() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    for i in 0..25 {
        create(&db, &admin, json!({"name": format!("Widget {i:02}")}));
    }
    let all = names(&picker(&db, &admin, &[("q", "widget")]).expect("picker"));
    assert_eq!(all.len(), 20);
    assert_eq!(all[0], "Widget 00");
    assert_eq!(all[19], "Widget 19");
    assert_eq!(
        names(&picker(&db, &admin, &[("q", "widget"), ("limit", "500")]).expect("capped")).len(),
        20
    );
    assert_eq!(
        names(&picker(&db, &admin, &[("q", "widget"), ("limit", "3")]).expect("limited")),
        vec!["Widget 00", "Widget 01", "Widget 02"]
    );
    for bad in [
        vec![("limit", "0")],
        vec![("limit", "x")],
        vec![("sort", "name")],
        vec![("q", "a"), ("q", "b")],
    ] {
        assert!(
            matches!(picker(&db, &admin, &bad), Err(CoreError::BadRequest(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn products_take_custom_fields() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    custom::create(
        &db,
        &admin,
        &json!({"entity": "product", "code": "uf_weight", "label": {"en": "Weight, kg", "ru": "Вес, кг"}, "type": "decimal"}),
        &client(),
    )
    .expect("custom field");
    custom::create(
        &db,
        &admin,
        &json!({"entity": "product", "code": "uf_brand", "label": {"en": "Brand"}, "type": "enumeration", "options": ["ACME", "OTHER"]}),
        &client(),
    )
    .expect("second custom field");
    let heavy = create(
        &db,
        &admin,
        json!({"name": "Anvil", "custom": {"uf_weight": "50.5", "uf_brand": "ACME"}}),
    );
    create(&db, &admin, json!({"name": "Feather", "custom": {"uf_weight": "0.01"}}));
    assert_eq!(heavy["custom"], json!({"uf_weight": "50.50", "uf_brand": "ACME"}));
    assert_eq!(
        errors(service::create(
            &db,
            &admin,
            &product_def(&db),
            &json!({"name": "X", "custom": {"uf_brand": "NOPE"}})
        )),
        vec![("custom.uf_brand".into(), "invalid_choice".into())]
    );
    assert_eq!(
        names(&query(&db, &admin, &[("filter[custom.uf_weight][gte]", "1")])),
        vec!["Anvil"]
    );
    assert_eq!(
        names(&query(&db, &admin, &[("sort", "custom.uf_weight")])),
        vec!["Feather", "Anvil"]
    );
    let described = crm_core::records::entity::describe(&product_def(&db));
    assert!(
        described["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["name"] == "uf_weight" && f["custom"] == true)
    );
}

#[test]
fn sections_form_a_tree_that_stays_a_tree() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let root = section(&db, &admin, json!({"name": "Электрика"}));
    let child = section(&db, &admin, json!({"name": "Кабели", "parent_id": root, "sort": 10}));
    let grandchild = section(&db, &admin, json!({"name": "Медные", "parent_id": child}));
    let record = catalog::get(&db, &admin, child).expect("get");
    assert_eq!(
        (
            record["name"].as_str(),
            record["parent_id"].as_i64(),
            record["sort"].as_i64(),
            record["version"].as_i64()
        ),
        (Some("Кабели"), Some(root), Some(10), Some(1))
    );
    assert_eq!(catalog::get(&db, &admin, root).expect("root")["sort"], 100);

    let missing = errors(catalog::create(
        &db,
        &admin,
        &json!({"name": "Orphan", "parent_id": 999}),
        &client(),
    ));
    assert_eq!(missing, vec![("parent_id".into(), "not_found".into())]);
    let bad = errors(catalog::create(
        &db,
        &admin,
        &json!({"parent_id": "x", "colour": "red"}),
        &client(),
    ));
    for field in ["name", "parent_id", "colour"] {
        assert!(bad.iter().any(|(f, _)| f == field), "{field} not in {bad:?}");
    }
    for parent in [root, grandchild] {
        assert_eq!(
            errors(catalog::update(
                &db,
                &admin,
                root,
                &json!({"parent_id": parent}),
                None,
                &client()
            )),
            vec![("parent_id".into(), "cycle".into())],
            "root under {parent}"
        );
    }
    let moved = catalog::update(
        &db,
        &admin,
        grandchild,
        &json!({"parent_id": root, "name": "Медь"}),
        Some(1),
        &client(),
    )
    .expect("move up");
    assert_eq!(
        (moved["parent_id"].as_i64(), moved["version"].as_i64()),
        (Some(root), Some(2))
    );
    assert_eq!(
        catalog::update(&db, &admin, grandchild, &json!({"sort": 5}), Some(1), &client()),
        Err(CoreError::Stale)
    );
    let top = catalog::update(&db, &admin, grandchild, &json!({"parent_id": null}), None, &client()).expect("top");
    assert!(top["parent_id"].is_null());

    let query = ListQuery::parse(&pairs(&[("filter[parent_id]", &root.to_string())]), catalog::FILTERS).expect("q");
    let page = catalog::list(&db, &admin, &query).expect("list");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0]["id"], child);

    assert!(matches!(
        catalog::delete(&db, &admin, root, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    create(&db, &admin, json!({"name": "Cable", "section_id": child}));
    assert!(matches!(
        catalog::delete(&db, &admin, child, None, &client()),
        Err(CoreError::Conflict(_))
    ));
    assert_eq!(
        catalog::delete(&db, &admin, grandchild, Some(9), &client()),
        Err(CoreError::Stale)
    );
    catalog::delete(&db, &admin, grandchild, None, &client()).expect("delete an empty section");
    assert_eq!(catalog::get(&db, &admin, grandchild), Err(CoreError::NotFound));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'product_section.%'"
        ),
        3 + 2 + 1,
        "three creates, two updates and one delete are audited; refused writes are not"
    );
}

#[test]
fn a_manager_reads_the_catalog_but_does_not_change_it() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let director = user(&db, "d@example.com", "director");
    let manager = user(&db, "m@example.com", "manager");
    let def = product_def(&db);
    let shelf = section(&db, &director, json!({"name": "Tools"}));
    let hammer = create(&db, &director, json!({"name": "Hammer", "section_id": shelf}));
    let id = id_of(&hammer);

    assert_eq!(service::get(&db, &manager, &def, id).expect("read"), hammer);
    assert_eq!(names(&query(&db, &manager, &[])), vec!["Hammer"]);
    assert_eq!(
        names(&picker(&db, &manager, &[("q", "ham")]).expect("picker")),
        vec!["Hammer"]
    );
    assert_eq!(catalog::get(&db, &manager, shelf).expect("section")["name"], "Tools");
    assert_eq!(
        catalog::list(&db, &manager, &ListQuery::default())
            .expect("sections")
            .items
            .len(),
        1
    );

    assert_eq!(
        service::create(&db, &manager, &def, &json!({"name": "Saw"})),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        service::update(&db, &manager, &def, id, &json!({"price": "1"}), None),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        service::delete(&db, &manager, &def, id, None),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        catalog::create(&db, &manager, &json!({"name": "Mine"}), &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        catalog::update(&db, &manager, shelf, &json!({"name": "Mine"}), None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        catalog::delete(&db, &manager, shelf, None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products"), 1);
    service::delete(&db, &admin, &def, id, None).expect("an administrator may delete");
}
