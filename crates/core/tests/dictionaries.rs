//! Dictionaries and currencies against real SQLite files with every migration: the seeds, the
//! merge-patches with `If-Match`, the errors each rule gives (system entries, semantics, bad
//! codes, colours and rates, permissions), the base-currency switch, the look-ups the record
//! engine uses, and the audit rows every change writes (and a refused one does not).

use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::records::dictionaries::{self, KINDS};
use crm_core::{CoreError, Db};
use crm_sqlite::NativeDb;
use serde_json::{Value, json};

fn fresh() -> (tempfile::TempDir, NativeDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = NativeDb::open_migrated(dir.path().join("crm.db")).expect("migrated db");
    (dir, db)
}

fn count(db: &dyn Db, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count").first_i64().expect("an integer")
}

fn audit_count(db: &dyn Db) -> i64 {
    count(db, "SELECT count(*) FROM audit_log")
}

/// Inserts a user with the role `role` and loads them as a caller.
fn caller(db: &dyn Db, email: &str, role: &str) -> Caller {
    db.execute(
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 0, 0)",
        &[email.into(), email.into()],
    )
    .expect("insert user");
    let id = db.last_insert_id().expect("id");
    db.execute(
        "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE code = ?",
        &[id.into(), role.into()],
    )
    .expect("assign role");
    Caller::load(db, id).expect("caller")
}

fn admin(db: &dyn Db) -> Caller {
    caller(db, "admin@example.com", "administrator")
}

fn client() -> ClientInfo {
    ClientInfo {
        ip: Some("192.0.2.1".into()),
        user_agent: None,
    }
}

/// The `(field, code)` pairs of a validation error.
fn field_errors<T: std::fmt::Debug>(result: Result<T, CoreError>) -> Vec<(String, String)> {
    match result {
        Err(CoreError::Validation(errors)) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn codes(items: &[Value]) -> Vec<&str> {
    items.iter().map(|item| item["code"].as_str().expect("code")).collect()
}

fn rates(db: &dyn Db, caller: &Caller) -> Vec<(String, String, bool)> {
    dictionaries::currencies::list(db, caller)
        .expect("currencies")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code").to_owned(),
                c["rate"].as_str().expect("rate").to_owned(),
                c["base"].as_bool().expect("base"),
            )
        })
        .collect()
}

#[test]
fn the_seeds_are_present_in_order_with_both_languages() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let statuses = dictionaries::entries::list(&db, &admin, "lead-statuses").expect("lead statuses");
    assert_eq!(
        codes(&statuses),
        ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    );
    let semantics: Vec<&str> = statuses
        .iter()
        .map(|s| s["semantic"].as_str().expect("semantic"))
        .collect();
    assert_eq!(semantics, ["open", "open", "open", "success", "failure"]);
    let sorts: Vec<i64> = statuses.iter().map(|s| s["sort"].as_i64().expect("sort")).collect();
    assert_eq!(sorts, [10, 20, 30, 40, 50]);
    for status in &statuses {
        assert_eq!(status["system"], true);
        assert_eq!(status["version"], 1);
        let color = status["color"].as_str().expect("colour");
        assert!(color.len() == 7 && color.starts_with('#'), "{color}");
        assert!(
            status["name"]["ru"]
                .as_str()
                .is_some_and(|ru| !ru.is_empty() && !ru.is_ascii())
        );
        assert!(status["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert_eq!(statuses[0]["name"], json!({"en": "New", "ru": "Новый"}));

    let expected = [
        ("lead-statuses", 5),
        ("sources", 11),
        ("contact-types", 4),
        ("company-types", 5),
        ("industries", 11),
        ("employee-ranges", 4),
        ("deal-types", 5),
        ("honorifics", 4),
    ];
    assert_eq!(KINDS.len(), expected.len());
    for (kind, n) in expected {
        let items = dictionaries::entries::list(&db, &admin, kind).expect(kind);
        assert_eq!(items.len(), n, "{kind}");
        if kind != "lead-statuses" {
            assert!(items.iter().all(|i| i.get("semantic").is_none()), "{kind}");
        }
    }
    assert_eq!(
        codes(&dictionaries::entries::list(&db, &admin, "employee-ranges").expect("ranges")),
        ["EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"]
    );
    assert_eq!(
        dictionaries::entries::get(&db, &admin, "contact-types", "CLIENT").expect("client")["name"]["en"],
        "Client"
    );

    let currencies = rates(&db, &admin);
    let listed: Vec<&str> = currencies.iter().map(|(code, _, _)| code.as_str()).collect();
    assert_eq!(listed, ["RUB", "USD", "EUR", "KZT", "BYN", "UAH", "CNY"]);
    assert_eq!(currencies[0], ("RUB".to_owned(), "1.0000".to_owned(), true));
    assert!(currencies[1..].iter().all(|(_, rate, base)| !base && rate != "1.0000"));
    let usd = dictionaries::currencies::get(&db, &admin, "USD").expect("USD");
    assert_eq!(usd["rate"], "92.5000");
    assert_eq!(usd["name"], json!({"en": "US dollar", "ru": "Доллар США"}));

    assert_eq!(dictionaries::base_currency(&db), Ok("RUB".to_owned()));
    assert_eq!(dictionaries::currency_exists(&db, "EUR"), Ok(true));
    assert_eq!(dictionaries::currency_exists(&db, "XXX"), Ok(false));
}

#[test]
fn the_record_engine_lookups_answer_by_stored_kind() {
    let (_dir, db) = fresh();
    assert_eq!(
        dictionaries::missing_codes(&db, "lead_status", &["NEW", "WON", "JUNK", "WON", "new"]),
        Ok(vec!["WON".to_owned(), "WON".to_owned(), "new".to_owned()])
    );
    assert_eq!(dictionaries::missing_codes(&db, "source", &[]), Ok(vec![]));
    assert_eq!(dictionaries::missing_codes(&db, "source", &["CALL", "WEB"]), Ok(vec![]));
    // A lead status is not a source.
    assert_eq!(
        dictionaries::missing_codes(&db, "source", &["JUNK"]),
        Ok(vec!["JUNK".to_owned()])
    );
    assert!(matches!(
        dictionaries::missing_codes(&db, "lead-statuses", &["NEW"]),
        Err(CoreError::Internal(_))
    ));
    let many: Vec<String> = (0..1200).map(|i| format!("X{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).chain(["CALL"]).collect();
    assert_eq!(
        dictionaries::missing_codes(&db, "source", &many).expect("many").len(),
        1200
    );

    assert_eq!(
        dictionaries::semantic_of(&db, "lead_status", "CONVERTED"),
        Ok(Some("success".to_owned()))
    );
    assert_eq!(
        dictionaries::semantic_of(&db, "lead_status", "JUNK"),
        Ok(Some("failure".to_owned()))
    );
    assert_eq!(dictionaries::semantic_of(&db, "lead_status", "NOPE"), Ok(None));
    assert_eq!(dictionaries::semantic_of(&db, "source", "CALL"), Ok(None));
    assert!(matches!(
        dictionaries::semantic_of(&db, "status", "NEW"),
        Err(CoreError::Internal(_))
    ));
}

#[test]
fn entries_are_created_renamed_and_deleted_with_if_match_and_audited() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let before = audit_count(&db);
    let created = dictionaries::entries::create(
        &db,
        &admin,
        "sources",
        &json!({"code": "FAIR", "name": {"en": " Fair "}}),
        &client(),
    )
    .expect("created");
    assert_eq!(created["code"], "FAIR");
    assert_eq!(created["name"], json!({"en": "Fair", "ru": "Fair"}));
    assert_eq!(created["sort"], 120, "after the largest seeded sort (110)");
    assert_eq!(created["system"], false);
    assert_eq!(created["color"], Value::Null);
    assert_eq!(created["version"], 1);
    assert!(created.get("semantic").is_none());
    assert_eq!(
        dictionaries::entries::get(&db, &admin, "sources", "FAIR"),
        Ok(created.clone())
    );
    assert_eq!(audit_count(&db), before + 1);

    assert!(matches!(
        dictionaries::entries::create(
            &db,
            &admin,
            "sources",
            &json!({"code": "FAIR", "name": {"en": "Again"}}),
            &client()
        ),
        Err(CoreError::Conflict(_))
    ));
    // The same code in another dictionary is another entry.
    dictionaries::entries::create(
        &db,
        &admin,
        "industries",
        &json!({"code": "FAIR", "name": {"en": "Fairs"}, "sort": 5}),
        &client(),
    )
    .expect("same code, other kind");
    assert_eq!(
        codes(&dictionaries::entries::list(&db, &admin, "industries").expect("industries"))[0],
        "FAIR"
    );

    let renamed = dictionaries::entries::update(
        &db,
        &admin,
        "sources",
        "FAIR",
        &json!({"name": {"ru": "Ярмарка"}, "color": "#a1b2c3", "sort": 5}),
        Some(1),
        &client(),
    )
    .expect("renamed");
    assert_eq!(renamed["name"], json!({"en": "Fair", "ru": "Ярмарка"}));
    assert_eq!(renamed["color"], "#A1B2C3");
    assert_eq!(renamed["version"], 2);
    assert_eq!(
        codes(&dictionaries::entries::list(&db, &admin, "sources").expect("sources"))[0],
        "FAIR",
        "sort 5 comes first"
    );
    let audited = audit_count(&db);
    let stale = dictionaries::entries::update(
        &db,
        &admin,
        "sources",
        "FAIR",
        &json!({"name": {"en": "Late"}}),
        Some(1),
        &client(),
    );
    assert_eq!(stale, Err(CoreError::Stale));
    // A patch that changes nothing keeps the version and writes no audit row.
    let same = dictionaries::entries::update(
        &db,
        &admin,
        "sources",
        "FAIR",
        &json!({"code": "FAIR", "color": "#A1B2C3"}),
        Some(2),
        &client(),
    )
    .expect("no-op");
    assert_eq!(same["version"], 2);
    // Clearing the Russian name makes it the English one again; null clears the colour.
    let cleared = dictionaries::entries::update(
        &db,
        &admin,
        "sources",
        "FAIR",
        &json!({"name": {"ru": null}, "color": null}),
        None,
        &client(),
    )
    .expect("cleared");
    assert_eq!(cleared["name"]["ru"], "Fair");
    assert_eq!(cleared["color"], Value::Null);
    assert_eq!(cleared["version"], 3);
    assert_eq!(audit_count(&db), audited + 1);

    assert_eq!(
        dictionaries::entries::delete(&db, &admin, "sources", "FAIR", Some(2), &client()),
        Err(CoreError::Stale)
    );
    dictionaries::entries::delete(&db, &admin, "sources", "FAIR", Some(3), &client()).expect("deleted");
    assert_eq!(
        dictionaries::entries::get(&db, &admin, "sources", "FAIR"),
        Err(CoreError::NotFound)
    );
    assert_eq!(
        dictionaries::entries::delete(&db, &admin, "sources", "FAIR", None, &client()),
        Err(CoreError::NotFound)
    );
    let actions: Vec<String> = db
        .query(
            "SELECT action FROM audit_log WHERE action LIKE 'dictionary_entry.%' ORDER BY id",
            &[],
        )
        .expect("audit")
        .iter()
        .map(|r| r.str("action").expect("action").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "dictionary_entry.created",
            "dictionary_entry.created",
            "dictionary_entry.updated",
            "dictionary_entry.updated",
            "dictionary_entry.deleted"
        ]
    );
    let details: Value = serde_json::from_str(
        db.query(
            "SELECT details FROM audit_log WHERE action = 'dictionary_entry.deleted'",
            &[],
        )
        .expect("details")
        .first_str()
        .expect("text"),
    )
    .expect("JSON");
    assert_eq!(details["kind"], "source");
    assert_eq!(details["code"], "FAIR");
}

#[test]
fn system_entries_keep_their_semantic_and_cannot_be_deleted() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let audited = audit_count(&db);
    assert_eq!(
        dictionaries::entries::delete(&db, &admin, "lead-statuses", "NEW", None, &client()),
        Err(CoreError::Conflict("system entries cannot be deleted".into()))
    );
    assert_eq!(
        dictionaries::entries::delete(&db, &admin, "sources", "CALL", Some(1), &client()),
        Err(CoreError::Conflict("system entries cannot be deleted".into()))
    );
    assert_eq!(
        field_errors(dictionaries::entries::update(
            &db,
            &admin,
            "lead-statuses",
            "CONVERTED",
            &json!({"semantic": "failure", "name": {"en": "Won"}}),
            None,
            &client(),
        )),
        [("semantic".to_owned(), "system_entry".to_owned())]
    );
    assert_eq!(audit_count(&db), audited, "refused changes write nothing");
    assert_eq!(
        dictionaries::entries::get(&db, &admin, "lead-statuses", "CONVERTED").expect("converted")["name"]["en"],
        "Converted",
        "the refused patch changed nothing"
    );

    // Renamed, reordered and recoloured: fine; the same semantic again is no change.
    let renamed = dictionaries::entries::update(
        &db,
        &admin,
        "lead-statuses",
        "CONVERTED",
        &json!({"name": {"en": "Won", "ru": "Успех"}, "sort": 60, "color": "#00FF00", "semantic": "success"}),
        Some(1),
        &client(),
    )
    .expect("renamed");
    assert_eq!(renamed["name"], json!({"en": "Won", "ru": "Успех"}));
    assert_eq!(renamed["semantic"], "success");
    assert_eq!(renamed["version"], 2);
    assert_eq!(
        codes(&dictionaries::entries::list(&db, &admin, "lead-statuses").expect("statuses")),
        ["NEW", "IN_PROCESS", "PROCESSED", "JUNK", "CONVERTED"]
    );

    // A status of one's own may change its semantic and be deleted.
    let custom = dictionaries::entries::create(
        &db,
        &admin,
        "lead-statuses",
        &json!({"code": "NURTURE", "name": {"en": "Nurture", "ru": "Прогрев"}, "semantic": "open", "color": "#123abc"}),
        &client(),
    )
    .expect("custom status");
    assert_eq!(custom["semantic"], "open");
    assert_eq!(custom["sort"], 70);
    let changed = dictionaries::entries::update(
        &db,
        &admin,
        "lead-statuses",
        "NURTURE",
        &json!({"semantic": "failure"}),
        Some(1),
        &client(),
    )
    .expect("semantic changed");
    assert_eq!(changed["semantic"], "failure");
    assert_eq!(
        dictionaries::semantic_of(&db, "lead_status", "NURTURE"),
        Ok(Some("failure".to_owned()))
    );
    dictionaries::entries::delete(&db, &admin, "lead-statuses", "NURTURE", Some(2), &client()).expect("deleted");
}

#[test]
fn bad_input_is_422_naming_each_field_and_unknown_kinds_are_404() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let create = |kind: &str, body: Value| dictionaries::entries::create(&db, &admin, kind, &body, &client());
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
    };
    assert_eq!(
        field_errors(create(
            "sources",
            json!({"code": "fair", "name": {"en": "Fair"}, "color": "red"})
        )),
        pairs(&[("code", "invalid_code"), ("color", "invalid_color")])
    );
    assert_eq!(
        field_errors(create(
            "sources",
            json!({"code": "FAIR", "name": {"en": "Fair"}, "color": "#12345G"})
        )),
        pairs(&[("color", "invalid_color")])
    );
    assert_eq!(
        field_errors(create(
            "sources",
            json!({"code": format!("A{}", "B".repeat(50)), "name": "Fair"})
        )),
        pairs(&[("code", "invalid_code"), ("name", "invalid_type")])
    );
    assert_eq!(
        field_errors(create("sources", json!({"code": "FAIR", "name": {"ru": "Ярмарка"}}))),
        pairs(&[("name.en", "required")])
    );
    assert_eq!(
        field_errors(create("lead-statuses", json!({"code": "WON", "name": {"en": "Won"}}))),
        pairs(&[("semantic", "required")])
    );
    assert_eq!(
        field_errors(create(
            "lead-statuses",
            json!({"code": "WON", "name": {"en": "Won"}, "semantic": "won"})
        )),
        pairs(&[("semantic", "invalid_semantic")])
    );
    assert_eq!(
        field_errors(create(
            "sources",
            json!({"code": "WON", "name": {"en": "Won"}, "semantic": "open", "system": true})
        )),
        pairs(&[("semantic", "unknown_field"), ("system", "unknown_field")])
    );
    assert_eq!(
        field_errors(dictionaries::entries::update(
            &db,
            &admin,
            "sources",
            "CALL",
            &json!({"code": "PHONE", "sort": null, "name": {"en": null}}),
            None,
            &client(),
        )),
        pairs(&[("name.en", "required"), ("sort", "required")])
    );
    assert_eq!(
        field_errors(dictionaries::entries::update(
            &db,
            &admin,
            "sources",
            "CALL",
            &json!({"code": "PHONE"}),
            None,
            &client(),
        )),
        pairs(&[("code", "immutable")])
    );
    assert!(matches!(
        create("sources", json!(["not", "an", "object"])),
        Err(CoreError::BadRequest(_))
    ));

    for kind in ["statuses", "lead_status", ""] {
        assert_eq!(
            dictionaries::entries::list(&db, &admin, kind),
            Err(CoreError::NotFound),
            "{kind:?}"
        );
        assert_eq!(
            dictionaries::entries::get(&db, &admin, kind, "NEW"),
            Err(CoreError::NotFound)
        );
        assert_eq!(
            create(kind, json!({"code": "X", "name": {"en": "X"}})),
            Err(CoreError::NotFound)
        );
    }
    assert_eq!(
        dictionaries::entries::get(&db, &admin, "sources", "NOPE"),
        Err(CoreError::NotFound)
    );
    assert_eq!(
        dictionaries::entries::update(&db, &admin, "sources", "NOPE", &json!({}), None, &client()),
        Err(CoreError::NotFound)
    );
}

#[test]
fn a_manager_reads_but_may_not_write() {
    let (_dir, db) = fresh();
    let manager = caller(&db, "manager@example.com", "manager");
    assert_eq!(
        dictionaries::entries::list(&db, &manager, "sources")
            .expect("readable")
            .len(),
        11
    );
    dictionaries::entries::get(&db, &manager, "lead-statuses", "NEW").expect("readable");
    dictionaries::currencies::list(&db, &manager).expect("readable");
    dictionaries::currencies::get(&db, &manager, "USD").expect("readable");
    assert_eq!(dictionaries::kinds(&manager).len(), KINDS.len());
    let body = json!({"code": "FAIR", "name": {"en": "Fair"}});
    assert_eq!(
        dictionaries::entries::create(&db, &manager, "sources", &body, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        dictionaries::entries::update(&db, &manager, "sources", "CALL", &body, None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        dictionaries::entries::delete(&db, &manager, "sources", "CALL", None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        dictionaries::currencies::create(
            &db,
            &manager,
            &json!({"code": "GBP", "name": {"en": "Pound"}, "rate": "118"}),
            &client()
        ),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        dictionaries::currencies::update(&db, &manager, "USD", &json!({"base": true}), None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(
        dictionaries::currencies::delete(&db, &manager, "USD", None, &client()),
        Err(CoreError::Forbidden)
    );
    assert_eq!(dictionaries::base_currency(&db), Ok("RUB".to_owned()));
}

#[test]
fn currencies_are_created_patched_and_deleted_with_checked_rates() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let created = dictionaries::currencies::create(
        &db,
        &admin,
        &json!({"code": "GBP", "name": {"en": "Pound sterling", "ru": "Фунт стерлингов"}, "rate": "118.3"}),
        &client(),
    )
    .expect("created");
    assert_eq!(created["rate"], "118.3000");
    assert_eq!(created["base"], false);
    assert_eq!(created["sort"], 80);
    assert_eq!(created["version"], 1);
    assert!(matches!(
        dictionaries::currencies::create(
            &db,
            &admin,
            &json!({"code": "GBP", "name": {"en": "Twice"}, "rate": "1"}),
            &client()
        ),
        Err(CoreError::Conflict(_))
    ));
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
    };
    let bad = [
        (
            json!({"code": "gbp", "name": {"en": "x"}, "rate": "1"}),
            pairs(&[("code", "invalid_code")]),
        ),
        (
            json!({"code": "GBPX", "name": {"en": "x"}, "rate": "abc"}),
            pairs(&[("code", "invalid_code"), ("rate", "invalid_rate")]),
        ),
        (
            json!({"code": "CHF", "name": {"en": "x"}, "rate": "0"}),
            pairs(&[("rate", "invalid_rate")]),
        ),
        (
            json!({"code": "CHF", "name": {"en": "x"}, "rate": "1.1234567"}),
            pairs(&[("rate", "invalid_rate")]),
        ),
        (
            json!({"code": "CHF", "name": {"en": "x"}, "rate": 104.5}),
            pairs(&[("rate", "invalid_type")]),
        ),
        (
            json!({"code": "CHF", "name": {"en": "x"}}),
            pairs(&[("rate", "required")]),
        ),
        (
            json!({"code": "CHF", "name": {"en": "x"}, "rate": "1", "base": "yes"}),
            pairs(&[("base", "invalid_type")]),
        ),
    ];
    for (body, expected) in bad {
        assert_eq!(
            field_errors(dictionaries::currencies::create(&db, &admin, &body, &client())),
            expected,
            "{body}"
        );
    }

    let patched = dictionaries::currencies::update(
        &db,
        &admin,
        "GBP",
        &json!({"rate": "120.125", "sort": 15, "name": {"en": "British pound"}}),
        Some(1),
        &client(),
    )
    .expect("patched");
    assert_eq!(patched["rate"], "120.1250");
    assert_eq!(patched["name"], json!({"en": "British pound", "ru": "Фунт стерлингов"}));
    assert_eq!(patched["version"], 2);
    assert_eq!(
        dictionaries::currencies::update(&db, &admin, "GBP", &json!({"rate": "121"}), Some(1), &client()),
        Err(CoreError::Stale)
    );
    assert_eq!(
        field_errors(dictionaries::currencies::update(
            &db,
            &admin,
            "GBP",
            &json!({"rate": "-1"}),
            None,
            &client()
        )),
        pairs(&[("rate", "invalid_rate")])
    );
    assert_eq!(
        field_errors(dictionaries::currencies::update(
            &db,
            &admin,
            "RUB",
            &json!({"rate": "2", "base": false}),
            None,
            &client()
        )),
        pairs(&[("base", "base_required"), ("rate", "base_rate")])
    );
    assert_eq!(
        dictionaries::currencies::delete(&db, &admin, "RUB", None, &client()),
        Err(CoreError::Conflict("the base currency cannot be deleted".into()))
    );
    assert_eq!(
        dictionaries::currencies::delete(&db, &admin, "GBP", Some(1), &client()),
        Err(CoreError::Stale)
    );
    dictionaries::currencies::delete(&db, &admin, "GBP", Some(2), &client()).expect("deleted");
    assert_eq!(
        dictionaries::currencies::get(&db, &admin, "GBP"),
        Err(CoreError::NotFound)
    );
    assert_eq!(dictionaries::currency_exists(&db, "GBP"), Ok(false));
}

#[test]
fn a_new_base_currency_rescales_every_rate_in_one_transaction() {
    let (_dir, db) = fresh();
    let admin = admin(&db);
    let audited = audit_count(&db);
    assert_eq!(
        dictionaries::currencies::update(&db, &admin, "USD", &json!({"base": true}), Some(7), &client()),
        Err(CoreError::Stale)
    );
    assert_eq!(
        field_errors(dictionaries::currencies::update(
            &db,
            &admin,
            "USD",
            &json!({"base": true, "rate": "92.5"}),
            None,
            &client()
        )),
        [("rate".to_owned(), "base_rate".to_owned())]
    );
    assert_eq!(dictionaries::base_currency(&db), Ok("RUB".to_owned()));
    assert_eq!(audit_count(&db), audited);

    let usd = dictionaries::currencies::update(&db, &admin, "USD", &json!({"base": true}), Some(1), &client())
        .expect("USD is the base");
    assert_eq!(usd["base"], true);
    assert_eq!(usd["rate"], "1.0000");
    assert_eq!(usd["version"], 2);
    assert_eq!(dictionaries::base_currency(&db), Ok("USD".to_owned()));
    let after: Vec<(String, String, bool)> = rates(&db, &admin);
    let expected = [
        ("RUB", "0.010811", false),
        ("USD", "1.0000", true),
        ("EUR", "1.083243", false),
        ("KZT", "0.002054", false),
        ("BYN", "0.305946", false),
        ("UAH", "0.024324", false),
        ("CNY", "0.137297", false),
    ];
    let expected: Vec<(String, String, bool)> = expected
        .iter()
        .map(|(c, r, b)| (c.to_string(), r.to_string(), *b))
        .collect();
    assert_eq!(after, expected);
    let rub = dictionaries::currencies::get(&db, &admin, "RUB").expect("RUB");
    assert_eq!(rub["version"], 2, "a rescaled currency has a new version");
    assert_eq!(audit_count(&db), audited + 1);
    let details: Value = serde_json::from_str(
        db.query("SELECT details FROM audit_log WHERE action = 'currency.updated'", &[])
            .expect("details")
            .first_str()
            .expect("text"),
    )
    .expect("JSON");
    assert_eq!(details["old_base"], "RUB");
    assert_eq!(
        details["rescaled"]["EUR"],
        json!({"old": "100.2000", "new": "1.083243"})
    );

    // Switching back restores the seeded rates up to the rounding of millionths.
    dictionaries::currencies::update(&db, &admin, "RUB", &json!({"base": true}), Some(2), &client()).expect("back");
    let back = dictionaries::currencies::get(&db, &admin, "USD").expect("USD");
    assert_eq!(back["rate"], "92.498381");
    assert_eq!(back["base"], false);

    // A new currency may become the base at once, its rate given in the current base.
    let gbp = dictionaries::currencies::create(
        &db,
        &admin,
        &json!({"code": "GBP", "name": {"en": "Pound sterling"}, "rate": "125", "base": true}),
        &client(),
    )
    .expect("GBP is the base");
    assert_eq!(gbp["rate"], "1.0000");
    assert_eq!(gbp["base"], true);
    assert_eq!(
        dictionaries::currencies::get(&db, &admin, "RUB").expect("RUB")["rate"],
        "0.0080"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM currencies WHERE base = 1"), 1);

    // The database itself refuses a second base.
    let second = db.execute("UPDATE currencies SET base = 1 WHERE code = 'EUR'", &[]);
    assert!(
        matches!(second, Err(crm_core::DbError::Constraint { .. })),
        "{second:?}"
    );
}
