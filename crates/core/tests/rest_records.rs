//! The REST API's record methods (`crm.{lead,contact,company,deal,product,activity}.*`, issue
//! 19) through `rest::call`, natively over real SQLite files: every method of every entity,
//! form-style string values and JSON-typed ones, filters of each prefix, select, order and
//! pages, the contact lists' update rules, custom fields, a manager's permissions and bad input.

mod common;

use common::{client, fresh, user, user_in};
use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::records::custom;
use crm_core::rest::{self, Reply, RestError};
use serde_json::{Value, json};

fn call(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> Result<Reply, RestError> {
    rest::call(db, caller, method, &params)
}

fn ok(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> Reply {
    call(db, caller, method, params.clone()).unwrap_or_else(|e| panic!("{method} {params}: {e:?}"))
}

fn result(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> Value {
    ok(db, caller, method, params).result
}

fn add(db: &dyn Db, caller: &Caller, entity: &str, fields: Value) -> i64 {
    let id = result(db, caller, &format!("crm.{entity}.add"), json!({ "fields": fields }));
    id.as_i64()
        .unwrap_or_else(|| panic!("add gives an integer id, not {id}"))
}

fn get(db: &dyn Db, caller: &Caller, entity: &str, id: i64) -> Value {
    result(
        db,
        caller,
        &format!("crm.{entity}.get"),
        json!({ "id": id.to_string() }),
    )
}

fn ids(reply: &Reply) -> Vec<i64> {
    reply
        .result
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["ID"].as_str().expect("ID as a string").parse().expect("a number"))
        .collect()
}

fn list_ids(db: &dyn Db, caller: &Caller, entity: &str, params: Value) -> Vec<i64> {
    ids(&ok(db, caller, &format!("crm.{entity}.list"), params))
}

/// A firm in Moscow's time zone (+03:00 all year) with an administrator.
fn firm() -> (tempfile::TempDir, crm_sqlite::NativeDb, Caller) {
    let (dir, db) = fresh();
    db.execute(
        "INSERT OR REPLACE INTO app_settings (key, value) VALUES ('time_zone', 'Europe/Moscow')",
        &[],
    )
    .expect("time zone");
    let admin = user(&db, "admin@example.com", "administrator");
    (dir, db, admin)
}

#[test]
fn a_zone_the_transport_read_is_used_and_not_read_again() {
    let (_dir, db, admin) = firm();
    let id = ok(&db, &admin, "crm.lead.add", json!({"fields": {"TITLE": "Zoned"}}))
        .result
        .as_i64()
        .expect("id");
    let zoned = |zone: Option<&str>| {
        crm_core::rest::call_in_zone(&db, &admin, zone, "crm.lead.get", &json!({"id": id}))
            .expect("get")
            .result["DATE_CREATE"]
            .as_str()
            .expect("DATE_CREATE")
            .to_owned()
    };
    assert!(zoned(None).ends_with("+03:00"), "read from the settings");
    // Tokyo is not the firm's zone: seeing it proves the method took the given one.
    assert!(zoned(Some("Asia/Tokyo")).ends_with("+09:00"));
    assert!(
        zoned(Some("Not/AZone")).ends_with("+00:00"),
        "an unknown zone is UTC, as when read"
    );
}

fn refused(result: Result<Reply, RestError>) -> RestError {
    match result {
        Err(error) => error,
        Ok(reply) => panic!("expected an error, got {:?}", reply.result),
    }
}

#[test]
fn a_lead_from_form_strings_reads_back_in_bitrix24_conventions() {
    let (_dir, db, admin) = firm();
    let id = add(
        &db,
        &admin,
        "lead",
        json!({
            "TITLE": "Website request",
            "NAME": "Иван",
            "SECOND_NAME": "Петрович",
            "LAST_NAME": "Петров",
            "STATUS_ID": "IN_PROCESS",
            "SOURCE_ID": "WEB",
            "OPPORTUNITY": "1500",
            "CURRENCY_ID": "RUB",
            "OPENED": "Y",
            "ASSIGNED_BY_ID": admin.user_id.to_string(),
            "COMMENTS": "Call back",
            "BIRTHDATE": "1990-01-17",
            "ADDRESS_CITY": "Москва",
            "ADDRESS": "Тверская, 1",
            "UTM_SOURCE": "google",
            "PHONE": {"0": {"VALUE": "+7 999 123-45-67", "VALUE_TYPE": "WORK"}, "1": {"VALUE": "+74951234567", "VALUE_TYPE": "MOBILE"}},
            "EMAIL": [{"VALUE": "ivan@example.com", "VALUE_TYPE": "MAILING"}],
            "NO_SUCH_FIELD": "ignored, as Bitrix24 ignores it",
        }),
    );
    let lead = get(&db, &admin, "lead", id);
    assert_eq!(lead["ID"], json!(id.to_string()));
    assert_eq!(lead["TITLE"], "Website request");
    assert_eq!(lead["NAME"], "Иван");
    assert_eq!(lead["SECOND_NAME"], "Петрович");
    assert_eq!(lead["STATUS_ID"], "IN_PROCESS");
    assert_eq!(lead["SOURCE_ID"], "WEB");
    assert_eq!(lead["OPPORTUNITY"], "1500.00", "money with two decimals");
    assert_eq!(lead["CURRENCY_ID"], "RUB");
    assert_eq!(lead["OPENED"], "Y");
    assert_eq!(lead["ASSIGNED_BY_ID"], json!(admin.user_id.to_string()));
    assert_eq!(lead["CREATED_BY_ID"], json!(admin.user_id.to_string()));
    assert_eq!(lead["BIRTHDATE"], "1990-01-17T00:00:00+03:00");
    assert_eq!(lead["ADDRESS_CITY"], "Москва");
    assert_eq!(lead["ADDRESS"], "Тверская, 1");
    assert_eq!(lead["ADDRESS_COUNTRY"], Value::Null, "unset is null");
    assert_eq!(lead["UTM_SOURCE"], "google");
    assert_eq!(lead["HAS_PHONE"], "Y");
    assert_eq!(lead["HAS_EMAIL"], "Y");
    let created = lead["DATE_CREATE"].as_str().expect("DATE_CREATE");
    assert!(created.ends_with("+03:00") && created.len() == 25, "{created}");
    assert_eq!(
        lead["PHONE"],
        json!([
            {"ID": "1", "VALUE_TYPE": "WORK", "VALUE": "+7 999 123-45-67", "TYPE_ID": "PHONE"},
            {"ID": "2", "VALUE_TYPE": "MOBILE", "VALUE": "+74951234567", "TYPE_ID": "PHONE"},
        ])
    );
    assert_eq!(
        lead["EMAIL"][0]["VALUE_TYPE"], "MAILING",
        "a newsletter address is MAILING both ways"
    );
    assert!(lead.get("WEB").is_none(), "a contact list with no items is left out");
    assert!(lead.get("NO_SUCH_FIELD").is_none());
    assert!(lead.get("error").is_none());
}

#[test]
fn json_typed_values_are_taken_like_their_strings() {
    let (_dir, db, admin) = firm();
    let id = add(
        &db,
        &admin,
        "lead",
        json!({"TITLE": "JSON", "OPPORTUNITY": 2500.5, "OPENED": true, "ASSIGNED_BY_ID": admin.user_id, "CURRENCY_ID": "USD"}),
    );
    let lead = get(&db, &admin, "lead", id);
    assert_eq!(
        (&lead["OPPORTUNITY"], &lead["OPENED"], &lead["CURRENCY_ID"]),
        (&json!("2500.50"), &json!("Y"), &json!("USD"))
    );
    // The id as a JSON number, FIELDS in upper case (top-level names ignore case).
    let updated = ok(
        &db,
        &admin,
        "crm.lead.update",
        json!({"ID": id, "FIELDS": {"OPPORTUNITY": 10, "OPENED": "N", "title": "lower-case name"}}),
    );
    assert_eq!(updated.result, json!(true));
    let lead = get(&db, &admin, "lead", id);
    assert_eq!(lead["OPPORTUNITY"], "10.00");
    assert_eq!(lead["OPENED"], "N");
    assert_eq!(lead["TITLE"], "lower-case name", "field names are matched in any case");
    assert_eq!(lead["CURRENCY_ID"], "USD", "an update changes only what it names");
}

#[test]
fn contact_lists_follow_bitrix24_update_rules() {
    let (_dir, db, admin) = firm();
    let id = add(
        &db,
        &admin,
        "contact",
        json!({"NAME": "Anna", "PHONE": [{"VALUE": "+79990000001"}, {"VALUE": "+79990000002", "VALUE_TYPE": "HOME"}, {"VALUE": "+79990000003"}]}),
    );
    let values = |db: &dyn Db| -> Vec<(String, String)> {
        get(db, &admin, "contact", id)["PHONE"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        (
                            i["VALUE"].as_str().unwrap_or_default().to_owned(),
                            i["VALUE_TYPE"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        values(&db)[0],
        ("+79990000001".into(), "WORK".into()),
        "WORK is the default"
    );
    // Items read from another record (with their IDs) are added as they are.
    let copied = get(&db, &admin, "contact", id)["PHONE"].clone();
    let copy = add(&db, &admin, "contact", json!({"NAME": "Copy", "PHONE": copied}));
    assert_eq!(
        get(&db, &admin, "contact", copy)["PHONE"].as_array().map(Vec::len),
        Some(3)
    );
    ok(
        &db,
        &admin,
        "crm.contact.update",
        json!({"id": id, "fields": {"PHONE": [
            {"ID": "1", "VALUE": ""},
            {"ID": "2", "VALUE": "+79990000022", "VALUE_TYPE": "MOBILE"},
            {"ID": "3", "VALUE": "+79990000003", "DELETE": "Y"},
            {"VALUE": "+79990000004", "VALUE_TYPE": "FAX"},
            {"ID": "99", "VALUE": "+79990000099"},
        ]}}),
    );
    assert_eq!(
        values(&db),
        vec![
            ("+79990000022".into(), "MOBILE".into()),
            ("+79990000004".into(), "FAX".into())
        ],
        "an empty VALUE and DELETE=Y remove, an ID changes, no ID adds, an unknown ID is ignored"
    );
    // A form's items (keys "0", "1"...) add as well; other fields leave the list alone.
    ok(
        &db,
        &admin,
        "crm.contact.update",
        json!({"id": id.to_string(), "fields": {"PHONE": {"0": {"VALUE": "+79990000005", "VALUE_TYPE": "OTHER"}}}}),
    );
    ok(
        &db,
        &admin,
        "crm.contact.update",
        json!({"id": id, "fields": {"POST": "CEO"}}),
    );
    assert_eq!(values(&db).len(), 3);
    assert_eq!(values(&db)[2], ("+79990000005".into(), "OTHER".into()));
}

#[test]
fn contacts_and_companies_link_and_map_their_own_fields() {
    let (_dir, db, admin) = firm();
    let acme = add(
        &db,
        &admin,
        "company",
        json!({
            "TITLE": "Acme", "COMPANY_TYPE": "PARTNER", "INDUSTRY": "IT", "EMPLOYEES": "EMPLOYEES_2",
            "REVENUE": "1000000", "CURRENCY_ID": "EUR", "ADDRESS_CITY": "Berlin", "ADDRESS_COUNTRY": "Germany",
            "WEB": [{"VALUE": "https://acme.example", "VALUE_TYPE": "WORK"}],
        }),
    );
    let other = add(&db, &admin, "company", json!({"TITLE": "Other"}));
    let company = get(&db, &admin, "company", acme);
    assert_eq!(company["COMPANY_TYPE"], "PARTNER");
    assert_eq!(company["INDUSTRY"], "IT");
    assert_eq!(company["EMPLOYEES"], "EMPLOYEES_2");
    assert_eq!(company["REVENUE"], "1000000.00");
    assert_eq!(company["ADDRESS_CITY"], "Berlin");
    assert_eq!(company["WEB"][0]["VALUE"], "https://acme.example");
    assert_eq!(company["WEB"][0]["TYPE_ID"], "WEB");
    // An address part changes one part of the first address.
    ok(
        &db,
        &admin,
        "crm.company.update",
        json!({"id": acme, "fields": {"ADDRESS_CITY": "Hamburg"}}),
    );
    let company = get(&db, &admin, "company", acme);
    assert_eq!(
        (&company["ADDRESS_CITY"], &company["ADDRESS_COUNTRY"]),
        (&json!("Hamburg"), &json!("Germany"))
    );

    let contact = add(
        &db,
        &admin,
        "contact",
        json!({"NAME": "Olga", "LAST_NAME": "Ivanova", "TYPE_ID": "CLIENT", "HONORIFIC": "MRS", "COMPANY_IDS": [other, acme]}),
    );
    let read = get(&db, &admin, "contact", contact);
    assert_eq!(
        read["COMPANY_ID"],
        json!(other.to_string()),
        "COMPANY_ID is the first company"
    );
    assert_eq!(read["COMPANY_IDS"], json!([other.to_string(), acme.to_string()]));
    assert_eq!(
        (&read["TYPE_ID"], &read["HONORIFIC"]),
        (&json!("CLIENT"), &json!("MRS"))
    );
    ok(
        &db,
        &admin,
        "crm.contact.update",
        json!({"id": contact, "fields": {"COMPANY_ID": acme}}),
    );
    assert_eq!(
        get(&db, &admin, "contact", contact)["COMPANY_IDS"],
        json!([acme.to_string(), other.to_string()]),
        "setting COMPANY_ID puts that company first"
    );
    assert_eq!(
        list_ids(&db, &admin, "contact", json!({"filter": {"COMPANY_ID": other}})),
        vec![contact]
    );
}

#[test]
fn deals_map_categories_stages_contacts_and_dates() {
    let (_dir, db, admin) = firm();
    let contact = add(&db, &admin, "contact", json!({"NAME": "Pavel"}));
    let second_contact = add(&db, &admin, "contact", json!({"NAME": "Maria"}));
    let company = add(&db, &admin, "company", json!({"TITLE": "Buyer"}));
    let deal = add(
        &db,
        &admin,
        "deal",
        json!({
            "TITLE": "Big sale", "CATEGORY_ID": "0", "STAGE_ID": "PREPARATION", "OPPORTUNITY": "99.9",
            "CURRENCY_ID": "RUB", "TYPE_ID": "GOODS", "COMPANY_ID": company.to_string(), "CONTACT_ID": contact,
            "BEGINDATE": "2026-11-01T00:00:00+03:00", "CLOSEDATE": "2026-12-01", "PROBABILITY": "30",
            "CLOSED": "Y",
        }),
    );
    let read = get(&db, &admin, "deal", deal);
    assert_eq!(read["CATEGORY_ID"], "0", "the default pipeline is category 0");
    assert_eq!(read["STAGE_ID"], "PREPARATION");
    assert_eq!(read["OPPORTUNITY"], "99.90");
    assert_eq!(read["TYPE_ID"], "GOODS");
    assert_eq!(read["COMPANY_ID"], json!(company.to_string()));
    assert_eq!(read["CONTACT_ID"], json!(contact.to_string()));
    assert_eq!(read["CONTACT_IDS"], json!([contact.to_string()]));
    assert_eq!(read["BEGINDATE"], "2026-11-01T00:00:00+03:00");
    assert_eq!(read["CLOSEDATE"], "2026-12-01T00:00:00+03:00");
    assert_eq!(read["PROBABILITY"], "30");
    assert_eq!(read["CLOSED"], "N", "CLOSED is read-only: the stage decides");

    ok(
        &db,
        &admin,
        "crm.deal.update",
        json!({"id": deal, "fields": {"STAGE_ID": "WON", "CONTACT_IDS": [second_contact, contact], "CATEGORY_ID": 7}}),
    );
    let read = get(&db, &admin, "deal", deal);
    assert_eq!((&read["STAGE_ID"], &read["CLOSED"]), (&json!("WON"), &json!("Y")));
    assert_eq!(read["CONTACT_ID"], json!(second_contact.to_string()));
    assert_eq!(
        read["CATEGORY_ID"], "0",
        "an update does not move a deal to another category"
    );

    // A second pipeline is category N with stages C{N}:CODE.
    let n = common::wholesale_pipeline(&db, &admin);
    let in_second = add(&db, &admin, "deal", json!({"TITLE": "Wholesale", "CATEGORY_ID": n}));
    let read = get(&db, &admin, "deal", in_second);
    assert_eq!(read["CATEGORY_ID"], json!(n.to_string()));
    assert_eq!(read["STAGE_ID"], json!(format!("C{n}:NEW")));
    let by_stage = add(
        &db,
        &admin,
        "deal",
        json!({"TITLE": "By stage", "STAGE_ID": format!("C{n}:NEW")}),
    );
    assert_eq!(
        get(&db, &admin, "deal", by_stage)["CATEGORY_ID"],
        json!(n.to_string()),
        "a C{{N}}: stage without CATEGORY_ID puts the deal in category N"
    );
    assert_eq!(
        list_ids(&db, &admin, "deal", json!({"filter": {"CATEGORY_ID": n}})),
        vec![in_second, by_stage]
    );
    assert_eq!(
        list_ids(&db, &admin, "deal", json!({"filter": {"CATEGORY_ID": 0}})),
        vec![deal]
    );
    let stage = refused(call(
        &db,
        &admin,
        "crm.deal.add",
        json!({"fields": {"TITLE": "x", "CATEGORY_ID": n, "STAGE_ID": "NEW"}}),
    ));
    assert_eq!(stage.status, 400);
    assert!(stage.description.starts_with("STAGE_ID:"), "{stage:?}");
}

#[test]
fn products_map_price_activity_measure_and_section() {
    let (_dir, db, admin) = firm();
    let section = crm_core::catalog::create(&db, &admin, &json!({"name": "Tools"}), &client()).expect("section");
    let section = section["id"].as_i64().expect("id");
    let id = add(
        &db,
        &admin,
        "product",
        json!({"NAME": "Hammer", "PRICE": 4900, "CURRENCY_ID": "RUB", "SORT": 500, "ACTIVE": "N", "MEASURE": "5",
               "SECTION_ID": section.to_string(), "DESCRIPTION": "Steel", "VAT_INCLUDED": "Y"}),
    );
    let product = get(&db, &admin, "product", id);
    assert_eq!(product["NAME"], "Hammer");
    assert_eq!(product["PRICE"], "4900.00");
    assert_eq!(product["SORT"], "500");
    assert_eq!(product["ACTIVE"], "N");
    assert_eq!(product["MEASURE"], "5", "measure 5 (pieces) is our PCS");
    assert_eq!(product["SECTION_ID"], json!(section.to_string()));
    assert_eq!(product["VAT_INCLUDED"], "Y");
    ok(
        &db,
        &admin,
        "crm.product.update",
        json!({"id": id, "fields": {"PRICE": "5000.50", "ACTIVE": "Y"}}),
    );
    let product = get(&db, &admin, "product", id);
    assert_eq!(
        (&product["PRICE"], &product["ACTIVE"]),
        (&json!("5000.50"), &json!("Y"))
    );
    assert_eq!(
        list_ids(&db, &admin, "product", json!({"filter": {"ACTIVE": "Y"}})),
        vec![id]
    );
    assert_eq!(
        list_ids(&db, &admin, "product", json!({"filter": {"%NAME": "amm"}})),
        vec![id]
    );
    assert_eq!(
        ok(&db, &admin, "crm.product.delete", json!({"id": id})).result,
        json!(true)
    );
    let gone = refused(call(&db, &admin, "crm.product.get", json!({"id": id})));
    assert_eq!(
        (gone.status, gone.code.as_str(), gone.description.as_str()),
        (400, "", "Not found")
    );
}

#[test]
fn activities_bind_to_their_owner_and_map_codes_and_times() {
    let (_dir, db, admin) = firm();
    let deal = add(&db, &admin, "deal", json!({"TITLE": "With a call"}));
    let other = add(&db, &admin, "deal", json!({"TITLE": "Without"}));
    let id = add(
        &db,
        &admin,
        "activity",
        json!({
            "OWNER_TYPE_ID": "2", "OWNER_ID": deal.to_string(), "TYPE_ID": "2", "SUBJECT": "Call the buyer",
            "START_TIME": "2026-11-22T10:00:00+03:00", "END_TIME": "2026-11-22 10:30:00", "COMPLETED": "N",
            "PRIORITY": "3", "DIRECTION": "2", "RESPONSIBLE_ID": admin.user_id, "DESCRIPTION": "About the price",
            "COMMUNICATIONS": [{"VALUE": "+79990000000", "ENTITY_ID": 1, "ENTITY_TYPE_ID": 3}],
        }),
    );
    let activity = get(&db, &admin, "activity", id);
    assert_eq!(
        (&activity["OWNER_TYPE_ID"], &activity["OWNER_ID"]),
        (&json!("2"), &json!(deal.to_string()))
    );
    assert_eq!(activity["TYPE_ID"], "2");
    assert_eq!(activity["PRIORITY"], "3");
    assert_eq!(activity["DIRECTION"], "2");
    assert_eq!(activity["COMPLETED"], "N");
    assert_eq!(activity["START_TIME"], "2026-11-22T10:00:00+03:00");
    assert_eq!(
        activity["END_TIME"], "2026-11-22T10:30:00+03:00",
        "a time without offset is the firm's"
    );
    assert_eq!(activity["RESPONSIBLE_ID"], json!(admin.user_id.to_string()));
    ok(
        &db,
        &admin,
        "crm.activity.update",
        json!({"id": id, "fields": {"COMPLETED": "Y"}}),
    );
    assert_eq!(get(&db, &admin, "activity", id)["COMPLETED"], "Y");
    assert_eq!(
        list_ids(
            &db,
            &admin,
            "activity",
            json!({"filter": {"OWNER_TYPE_ID": 2, "OWNER_ID": deal}})
        ),
        vec![id]
    );
    assert!(
        list_ids(
            &db,
            &admin,
            "activity",
            json!({"filter": {"OWNER_TYPE_ID": 2, "OWNER_ID": other}})
        )
        .is_empty()
    );
    assert_eq!(
        list_ids(
            &db,
            &admin,
            "activity",
            json!({"filter": {">=START_TIME": "2026-11-22T06:59:00Z", "<START_TIME": "2026-11-22 10:01"}})
        ),
        vec![id]
    );
    let lone = refused(call(
        &db,
        &admin,
        "crm.activity.list",
        json!({"filter": {"OWNER_ID": deal}}),
    ));
    assert_eq!(lone.code, "INVALID_ARG_VALUE");
}

/// Leads 1..=6 with amounts 100..=600 and statuses NEW/IN_PROCESS/JUNK in turn.
fn six_leads(db: &dyn Db, admin: &Caller) -> Vec<i64> {
    let statuses = ["NEW", "IN_PROCESS", "JUNK"];
    (1..=6)
        .map(|i| {
            add(
                db,
                admin,
                "lead",
                json!({"TITLE": format!("Lead {i} {}", if i % 2 == 0 { "even" } else { "odd" }),
                       "OPPORTUNITY": format!("{}00", i), "STATUS_ID": statuses[(i - 1) % 3], "CURRENCY_ID": "RUB"}),
            )
        })
        .collect()
}

#[test]
fn list_filters_take_every_prefix() {
    let (_dir, db, admin) = firm();
    let l = six_leads(&db, &admin);
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!({"STATUS_ID": "NEW"}), vec![l[0], l[3]]),
        (json!({"=STATUS_ID": "NEW"}), vec![l[0], l[3]]),
        (json!({"!STATUS_ID": "NEW"}), vec![l[1], l[2], l[4], l[5]]),
        (json!({"!=STATUS_ID": "NEW"}), vec![l[1], l[2], l[4], l[5]]),
        (json!({">OPPORTUNITY": "400"}), vec![l[4], l[5]]),
        (json!({">=OPPORTUNITY": 400}), vec![l[3], l[4], l[5]]),
        (json!({"<OPPORTUNITY": "200.00"}), vec![l[0]]),
        (json!({"<=OPPORTUNITY": "200"}), vec![l[0], l[1]]),
        (json!({">OPPORTUNITY": "100", "<=OPPORTUNITY": 300}), vec![l[1], l[2]]),
        (json!({"%TITLE": "even"}), vec![l[1], l[3], l[5]]),
        (json!({"@STATUS_ID": ["NEW", "JUNK"]}), vec![l[0], l[2], l[3], l[5]]),
        (
            json!({"@ID": {"0": l[4].to_string(), "1": l[1].to_string()}}),
            vec![l[1], l[4]],
        ),
        (json!({"!@STATUS_ID": ["NEW", "JUNK"]}), vec![l[1], l[4]]),
        (json!({"ID": [l[2], l[5]]}), vec![l[2], l[5]]),
        (json!({">ID": l[3]}), vec![l[4], l[5]]),
        (json!({"ASSIGNED_BY_ID": admin.user_id}), l.clone()),
        (json!({"=COMMENTS": ""}), l.clone()),
        (json!({"!COMMENTS": ""}), vec![]),
        (json!({">DATE_CREATE": "2000-01-01T00:00:00+03:00"}), l.clone()),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            list_ids(&db, &admin, "lead", json!({"filter": filter, "order": {"ID": "ASC"}})),
            expected,
            "{filter}"
        );
    }
}

#[test]
fn list_selects_orders_and_pages_by_start() {
    let (_dir, db, admin) = firm();
    let mut l = six_leads(&db, &admin);
    add(
        &db,
        &admin,
        "lead",
        json!({"TITLE": "with a phone", "PHONE": [{"VALUE": "+79990001122"}]}),
    );
    let page = ok(
        &db,
        &admin,
        "crm.lead.list",
        json!({"select": ["TITLE", "OPPORTUNITY"], "order": {"OPPORTUNITY": "desc"}, "filter": {">OPPORTUNITY": 0}}),
    );
    assert_eq!(
        page.result[0],
        json!({"ID": l[5].to_string(), "TITLE": "Lead 6 even", "OPPORTUNITY": "600.00"})
    );
    assert_eq!((page.total, page.next), (Some(6), None));
    // `*` is every plain field; a contact list only when named.
    let star = ok(
        &db,
        &admin,
        "crm.lead.list",
        json!({"select": ["*"], "filter": {"%TITLE": "phone"}}),
    );
    assert!(star.result[0].get("PHONE").is_none());
    assert_eq!(star.result[0]["STATUS_ID"], "NEW");
    let named = ok(
        &db,
        &admin,
        "crm.lead.list",
        json!({"select": {"0": "ID", "1": "PHONE"}, "filter": {"%TITLE": "phone"}}),
    );
    assert_eq!(named.result[0]["PHONE"][0]["VALUE"], "+79990001122");
    assert_eq!(
        ids(&ok(&db, &admin, "crm.lead.list", json!({"filter": {"HAS_PHONE": "Y"}}))).len(),
        1
    );
    assert_eq!(
        ids(&ok(&db, &admin, "crm.lead.list", json!({"filter": {"HAS_PHONE": "N"}}))).len(),
        6
    );
    assert_eq!(
        ids(&ok(
            &db,
            &admin,
            "crm.lead.list",
            json!({"filter": {"!HAS_PHONE": "N"}})
        ))
        .len(),
        1
    );
    assert!(named.result[0].get("TITLE").is_none());

    // 55 more: pages of 50, `next` while more follow, `start=-1` counts nothing.
    for i in 0..48 {
        l.push(add(&db, &admin, "lead", json!({"TITLE": format!("bulk {i}")})));
    }
    let first = ok(&db, &admin, "crm.lead.list", json!({"select": ["ID"]}));
    assert_eq!((first.total, first.next), (Some(55), Some(50)));
    assert_eq!(ids(&first).len(), 50);
    assert_eq!(ids(&first)[0], l[0], "the default order is ID ascending");
    let second = ok(&db, &admin, "crm.lead.list", json!({"select": ["ID"], "start": "50"}));
    assert_eq!((second.total, second.next, ids(&second).len()), (Some(55), None, 5));
    let unique: std::collections::BTreeSet<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(unique.len(), 55, "the pages neither repeat nor skip");
    let fast = ok(
        &db,
        &admin,
        "crm.lead.list",
        json!({"start": -1, "order": {"ID": "ASC"}, "filter": {">ID": l[10]}}),
    );
    assert_eq!((fast.total, fast.next), (None, None));
    assert_eq!(ids(&fast).len(), 43, "ids after the 11th of 54 (one lead is not in l)");
    assert_eq!(ids(&fast)[0], l[11]);
}

#[test]
fn custom_fields_are_uf_crm_both_ways() {
    let (_dir, db, admin) = firm();
    for body in [
        json!({"entity": "deal", "code": "uf_size", "label": {"en": "Size"}, "type": "enumeration", "options": ["S", "M", "L"]}),
        json!({"entity": "deal", "code": "uf_score", "label": {"en": "Score"}, "type": "integer"}),
        json!({"entity": "deal", "code": "uf_crm_paid", "label": {"en": "Paid"}, "type": "boolean"}),
    ] {
        custom::create(&db, &admin, &body, &client()).expect("custom field");
    }
    // A webhook's caller is loaded per request, with the firm's custom fields as they are now.
    let admin = Caller::load(&db, admin.user_id).expect("caller");
    let small = add(
        &db,
        &admin,
        "deal",
        json!({"TITLE": "S", "UF_CRM_SIZE": "S", "UF_CRM_SCORE": "5", "UF_CRM_PAID": "Y"}),
    );
    let large = add(
        &db,
        &admin,
        "deal",
        json!({"TITLE": "L", "UF_CRM_SIZE": "L", "UF_CRM_SCORE": 9}),
    );
    let read = get(&db, &admin, "deal", small);
    assert_eq!(
        (&read["UF_CRM_SIZE"], &read["UF_CRM_SCORE"], &read["UF_CRM_PAID"]),
        (&json!("S"), &json!("5"), &json!("Y"))
    );
    assert_eq!(
        get(&db, &admin, "deal", large)["UF_CRM_PAID"],
        "N",
        "an unset flag reads N"
    );
    let listed = ok(
        &db,
        &admin,
        "crm.deal.list",
        json!({"select": ["TITLE", "UF_*"], "order": {"UF_CRM_SCORE": "DESC"}}),
    );
    assert_eq!(ids(&listed), vec![large, small]);
    assert_eq!(listed.result[0]["UF_CRM_SCORE"], "9");
    assert!(listed.result[0].get("STAGE_ID").is_none());
    let plain = ok(&db, &admin, "crm.deal.list", json!({}));
    assert!(
        plain.result[0].get("UF_CRM_SIZE").is_none(),
        "custom fields only with UF_* or by name"
    );
    assert_eq!(
        list_ids(&db, &admin, "deal", json!({"filter": {"UF_CRM_SIZE": "L"}})),
        vec![large]
    );
    ok(
        &db,
        &admin,
        "crm.deal.update",
        json!({"id": small, "fields": {"UF_CRM_SCORE": "7"}}),
    );
    let read = get(&db, &admin, "deal", small);
    assert_eq!(
        (&read["UF_CRM_SCORE"], &read["UF_CRM_SIZE"]),
        (&json!("7"), &json!("S"))
    );
    let bad = refused(call(
        &db,
        &admin,
        "crm.deal.add",
        json!({"fields": {"TITLE": "x", "UF_CRM_SIZE": "XL"}}),
    ));
    assert!(bad.description.starts_with("UF_CRM_SIZE"), "{bad:?}");
    let fields = result(&db, &admin, "crm.deal.fields", json!({}));
    assert_eq!(fields["UF_CRM_SIZE"]["isDynamic"], json!(true));
    assert_eq!(fields["UF_CRM_SIZE"]["listLabel"], "Size");
}

#[test]
fn fields_describe_every_mapped_field_in_bitrix24_shape() {
    let (_dir, db, admin) = firm();
    for entity in ["lead", "contact", "company", "deal", "product", "activity"] {
        let fields = result(&db, &admin, &format!("crm.{entity}.fields"), json!({}));
        let map = fields.as_object().expect("an object");
        assert!(map.contains_key("ID"), "{entity}");
        for (name, field) in map {
            for key in [
                "type",
                "isRequired",
                "isReadOnly",
                "isImmutable",
                "isMultiple",
                "isDynamic",
                "title",
            ] {
                assert!(field.get(key).is_some(), "{entity}.{name} lacks {key}");
            }
        }
    }
    let lead = result(&db, &admin, "crm.lead.fields", json!({}));
    assert_eq!(lead["STATUS_ID"]["type"], "crm_status");
    assert_eq!(lead["STATUS_ID"]["statusType"], "STATUS");
    assert_eq!(lead["PHONE"]["type"], "crm_multifield");
    assert_eq!(lead["PHONE"]["isMultiple"], json!(true));
    assert_eq!(lead["DATE_CREATE"]["isReadOnly"], json!(true));
    assert_eq!(lead["OPPORTUNITY"]["type"], "double");
    let deal = result(&db, &admin, "crm.deal.fields", json!({}));
    assert_eq!(deal["CATEGORY_ID"]["isImmutable"], json!(true));
    assert_eq!(deal["TITLE"]["isRequired"], json!(true));
    assert_eq!(deal["COMPANY_ID"]["type"], "crm_company");
    assert_eq!(deal["STAGE_ID"]["statusType"], "DEAL_STAGE");
    assert_eq!(deal["CONTACT_ID"]["type"], "crm_contact");
    assert_eq!(deal["CONTACT_IDS"]["isMultiple"], json!(true));
    let activity = result(&db, &admin, "crm.activity.fields", json!({}));
    assert_eq!(activity["TYPE_ID"]["items"][1], json!({"ID": "2", "VALUE": "CALL"}));
}

#[test]
fn a_manager_gets_not_found_and_invalid_credentials_as_bitrix24_answers() {
    let (_dir, db, admin) = firm();
    let manager = user_in(&db, "m@example.com", "manager", None);
    let theirs = add(&db, &admin, "lead", json!({"TITLE": "Theirs"}));
    let opened = add(&db, &admin, "lead", json!({"TITLE": "Opened", "OPENED": "Y"}));
    let mine = add(&db, &manager, "lead", json!({"TITLE": "Mine"}));
    assert_eq!(
        get(&db, &manager, "lead", mine)["ASSIGNED_BY_ID"],
        json!(manager.user_id.to_string())
    );
    let hidden = refused(call(&db, &manager, "crm.lead.get", json!({"id": theirs})));
    assert_eq!(
        (hidden.status, hidden.code.as_str(), hidden.description.as_str()),
        (400, "", "Not found")
    );
    let hidden_update = refused(call(
        &db,
        &manager,
        "crm.lead.update",
        json!({"id": theirs, "fields": {"TITLE": "x"}}),
    ));
    assert_eq!(hidden_update.description, "Not found");
    let denied = refused(call(
        &db,
        &manager,
        "crm.lead.update",
        json!({"id": opened, "fields": {"TITLE": "x"}}),
    ));
    assert_eq!((denied.status, denied.code.as_str()), (403, "INVALID_CREDENTIALS"));
    assert_eq!(
        get(&db, &admin, "lead", opened)["TITLE"],
        "Opened",
        "a refused update changes nothing"
    );
    assert_eq!(list_ids(&db, &manager, "lead", json!({})), vec![opened, mine]);
    let deal = add(&db, &manager, "deal", json!({"TITLE": "My deal"}));
    let no_delete = refused(call(&db, &manager, "crm.deal.delete", json!({"id": deal})));
    assert_eq!(
        (no_delete.status, no_delete.code.as_str()),
        (403, "INVALID_CREDENTIALS")
    );
    let no_product = refused(call(&db, &manager, "crm.product.add", json!({"fields": {"NAME": "x"}})));
    assert_eq!(no_product.code, "INVALID_CREDENTIALS");
    let won = refused(call(
        &db,
        &manager,
        "crm.deal.update",
        json!({"id": deal, "fields": {"STAGE_ID": "WON"}}),
    ));
    assert_eq!(won.code, "INVALID_CREDENTIALS", "the role may not move a deal to WON");
    let for_admin = refused(call(
        &db,
        &manager,
        "crm.lead.add",
        json!({"fields": {"TITLE": "x", "ASSIGNED_BY_ID": admin.user_id}}),
    ));
    assert_eq!(for_admin.code, "INVALID_CREDENTIALS");
    assert_eq!(
        ok(&db, &manager, "crm.lead.delete", json!({"id": mine})).result,
        json!(true)
    );
}

#[test]
fn bad_input_is_a_bitrix24_error_naming_it_never_a_500() {
    let (_dir, db, admin) = firm();
    let lead = add(&db, &admin, "lead", json!({"TITLE": "x"}));
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        ("crm.lead.get", json!({}), 400, "", "ID is not defined or invalid."),
        (
            "crm.lead.get",
            json!({"id": "abc"}),
            400,
            "",
            "ID is not defined or invalid.",
        ),
        (
            "crm.lead.get",
            json!({"id": -4}),
            400,
            "",
            "ID is not defined or invalid.",
        ),
        ("crm.lead.get", json!({"id": 999}), 400, "", "Not found"),
        ("crm.lead.delete", json!({"id": 999}), 400, "", "Not found"),
        (
            "crm.lead.update",
            json!({"id": lead, "fields": "TITLE"}),
            400,
            "INVALID_ARG_VALUE",
            "fields",
        ),
        ("crm.lead.add", json!({}), 400, "INVALID_ARG_VALUE", "fields"),
        (
            "crm.lead.add",
            json!({"fields": {"OPPORTUNITY": "abc", "TITLE": "x"}}),
            400,
            "",
            "OPPORTUNITY",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"OPPORTUNITY": "-5", "TITLE": "x"}}),
            400,
            "",
            "OPPORTUNITY",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"STATUS_ID": "NOPE", "TITLE": "x"}}),
            400,
            "",
            "STATUS_ID",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"OPENED": "maybe", "TITLE": "x"}}),
            400,
            "INVALID_ARG_VALUE",
            "OPENED",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"BIRTHDATE": "yesterday", "TITLE": "x"}}),
            400,
            "INVALID_ARG_VALUE",
            "BIRTHDATE",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"EMAIL": [{"VALUE": "not an address"}], "TITLE": "x"}}),
            400,
            "",
            "EMAIL",
        ),
        (
            "crm.lead.add",
            json!({"fields": {"ASSIGNED_BY_ID": 9999, "TITLE": "x"}}),
            400,
            "",
            "ASSIGNED_BY_ID",
        ),
        (
            "crm.contact.add",
            json!({"fields": {"POST": "no name"}}),
            400,
            "",
            "LAST_NAME",
        ),
        (
            "crm.lead.list",
            json!({"filter": {"NOPE": 1}}),
            400,
            "INVALID_ARG_VALUE",
            "NOPE",
        ),
        (
            "crm.lead.list",
            json!({"filter": {">OPPORTUNITY": "lots"}}),
            400,
            "INVALID_ARG_VALUE",
            "OPPORTUNITY",
        ),
        (
            "crm.lead.list",
            json!({"filter": {"%OPPORTUNITY": "1"}}),
            400,
            "INVALID_ARG_VALUE",
            "%OPPORTUNITY",
        ),
        (
            "crm.lead.list",
            json!({"filter": {"ADDRESS_CITY": "x"}}),
            400,
            "INVALID_ARG_VALUE",
            "ADDRESS_CITY",
        ),
        (
            "crm.lead.list",
            json!({"filter": "STATUS_ID"}),
            400,
            "INVALID_ARG_VALUE",
            "filter",
        ),
        (
            "crm.lead.list",
            json!({"order": {"NOPE": "ASC"}}),
            400,
            "INVALID_ARG_VALUE",
            "NOPE",
        ),
        (
            "crm.lead.list",
            json!({"order": {"TITLE": "UP"}}),
            400,
            "INVALID_ARG_VALUE",
            "TITLE",
        ),
        (
            "crm.lead.list",
            json!({"order": {"PHONE": "ASC"}}),
            400,
            "INVALID_ARG_VALUE",
            "PHONE",
        ),
        (
            "crm.lead.list",
            json!({"start": "x"}),
            400,
            "INVALID_ARG_VALUE",
            "start",
        ),
        (
            "crm.deal.add",
            json!({"fields": {"TITLE": "x", "CATEGORY_ID": "abc"}}),
            400,
            "INVALID_ARG_VALUE",
            "CATEGORY_ID",
        ),
        (
            "crm.deal.add",
            json!({"fields": {"TITLE": "x", "CATEGORY_ID": 99}}),
            400,
            "",
            "CATEGORY_ID",
        ),
        (
            "crm.activity.add",
            json!({"fields": {"OWNER_TYPE_ID": 9, "OWNER_ID": 1}}),
            400,
            "INVALID_ARG_VALUE",
            "OWNER_TYPE_ID",
        ),
        (
            "crm.activity.add",
            json!({"fields": {"OWNER_TYPE_ID": 1, "OWNER_ID": 999, "TYPE_ID": 2, "SUBJECT": "x"}}),
            400,
            "",
            "OWNER",
        ),
    ];
    for (method, params, status, code, mentions) in cases {
        let error = refused(call(&db, &admin, method, params.clone()));
        assert_eq!(
            (error.status, error.code.as_str()),
            (status, code),
            "{method} {params}: {error:?}"
        );
        assert!(
            error.description.contains(mentions),
            "{method} {params}: {error:?} should mention {mentions}"
        );
    }
    // Junk of every shape in every parameter: a 4xx or a success, never a 500.
    let junk = [
        json!(null),
        json!(""),
        json!([]),
        json!({}),
        json!("x"),
        json!(-1),
        json!(1.5),
        json!([[1]]),
        json!({"a": {"b": 1}}),
    ];
    for entity in ["lead", "contact", "company", "deal", "product", "activity"] {
        for action in ["add", "get", "list", "update", "delete", "fields"] {
            for value in &junk {
                for params in [
                    json!({"id": value, "fields": value}),
                    json!({"id": lead, "fields": {"TITLE": value, "PHONE": value, "OPPORTUNITY": value, "NAME": value}}),
                    json!({"filter": {"ID": value, ">DATE_CREATE": value, "@STATUS_ID": value}, "order": value, "select": value, "start": value}),
                    json!({"filter": value, "order": {"ID": value}}),
                ] {
                    if let Err(error) = call(&db, &admin, &format!("crm.{entity}.{action}"), params.clone()) {
                        assert!(error.status < 500, "crm.{entity}.{action} {params}: {error:?}");
                    }
                }
            }
        }
    }
}

/// A manager's list reads their own and the opened records as two arms (records::list's
/// plan): `start` must skip across both.
#[test]
fn a_managers_pages_skip_across_own_and_opened_records() {
    let (_dir, db, admin) = firm();
    let manager = user_in(&db, "m@example.com", "manager", None);
    let mut visible = Vec::new();
    for i in 0..30 {
        visible.push(add(&db, &manager, "lead", json!({"TITLE": format!("own {i}")})));
        visible.push(add(
            &db,
            &admin,
            "lead",
            json!({"TITLE": format!("opened {i}"), "OPENED": "Y"}),
        ));
        add(&db, &admin, "lead", json!({"TITLE": format!("hidden {i}")}));
    }
    for order in [json!({"ID": "ASC"}), json!({"ID": "DESC"}), json!({"TITLE": "ASC"})] {
        let first = ok(
            &db,
            &manager,
            "crm.lead.list",
            json!({"order": order, "select": ["ID"]}),
        );
        let second = ok(
            &db,
            &manager,
            "crm.lead.list",
            json!({"order": order, "select": ["ID"], "start": 50}),
        );
        assert_eq!((first.total, first.next), (Some(60), Some(50)), "{order}");
        assert_eq!((second.total, second.next), (Some(60), None), "{order}");
        let mut seen: Vec<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
        assert_eq!(seen.len(), 60, "{order}");
        seen.sort();
        assert_eq!(seen, visible, "{order}: the pages hold every visible lead once");
    }
}
