//! The REST methods of links, product rows, duplicates, dictionaries, pipelines, currencies
//! and timeline comments (issue 19), called through the one dispatcher `rest::call` over a
//! real SQLite file, with form-style (every value a string) and JSON-typed parameters, as an
//! administrator and as a manager (own records only, no settings).

mod common;

use common::{count, fresh, user};
use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::records::{EntityDef, service};
use crm_core::rest::{self, Reply, RestError};
use serde_json::{Value, json};

fn call(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> Result<Reply, RestError> {
    rest::call(db, caller, method, &params)
}

fn ok(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> Value {
    match call(db, caller, method, params.clone()) {
        Ok(reply) => reply.result,
        Err(e) => panic!("{method} {params}: {e:?}"),
    }
}

/// The error of a call that must fail with a 4xx.
fn refused(db: &dyn Db, caller: &Caller, method: &str, params: Value) -> RestError {
    match call(db, caller, method, params.clone()) {
        Ok(reply) => panic!("{method} {params} answered {:?}", reply.result),
        Err(e) => {
            assert!((400..500).contains(&e.status), "{method} {params}: {e:?}");
            e
        }
    }
}

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Value) -> i64 {
    let def = EntityDef::load(db, entity).expect("entity");
    service::create(db, caller, &def, &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))["id"]
        .as_i64()
        .expect("id")
}

fn record(db: &dyn Db, caller: &Caller, entity: &str, id: i64) -> Value {
    let def = EntityDef::load(db, entity).expect("entity");
    service::get(db, caller, &def, id).expect("record")
}

fn not_found(error: &RestError) {
    assert_eq!(
        (error.status, error.code.as_str(), error.description.as_str()),
        (400, "", "Not found"),
        "{error:?}"
    );
}

fn denied(error: &RestError) {
    assert_eq!(
        (error.status, error.code.as_str()),
        (403, "INVALID_CREDENTIALS"),
        "{error:?}"
    );
}

#[test]
fn deal_contacts_keep_order_and_primary_through_the_engine() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let deal = create(&db, &admin, "deal", json!({"title": "Deal"}));
    let ann = create(&db, &admin, "contact", json!({"last_name": "Ann"}));
    let bob = create(&db, &admin, "contact", json!({"last_name": "Bob"}));
    let cid = create(&db, &admin, "contact", json!({"last_name": "Cid"}));

    // Form-style strings.
    let added = ok(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": deal.to_string(), "fields": {"CONTACT_ID": ann.to_string()}}),
    );
    assert_eq!(added, json!(true));
    // JSON-typed, a new primary.
    ok(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"ID": deal, "FIELDS": {"CONTACT_ID": bob, "IS_PRIMARY": "Y"}}),
    );
    ok(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": deal, "fields": {"CONTACT_ID": cid, "SORT": 5}}),
    );
    let items = ok(&db, &admin, "crm.deal.contact.items.get", json!({"id": deal}));
    let ids: Vec<i64> = items
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["CONTACT_ID"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [bob, cid, ann], "primary first, then by SORT");
    assert_eq!(items[0]["IS_PRIMARY"], "Y");
    assert_eq!(items[1]["IS_PRIMARY"], "N");
    assert_eq!(record(&db, &admin, "deal", deal)["contact_ids"], json!([bob, cid, ann]));
    // Both sides' timelines have the link.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM timeline WHERE entity = 'contact' AND record_id = {cid} AND kind = 'linked'"
            )
        ),
        1
    );

    // items.set from a form: an object keyed "0", "1".
    ok(
        &db,
        &admin,
        "crm.deal.contact.items.set",
        json!({"id": deal.to_string(), "items": {"0": {"CONTACT_ID": ann.to_string(), "SORT": "20"},
                                                   "1": {"CONTACT_ID": cid.to_string(), "SORT": "10", "IS_PRIMARY": "N"}}}),
    );
    assert_eq!(record(&db, &admin, "deal", deal)["contact_ids"], json!([cid, ann]));
    ok(
        &db,
        &admin,
        "crm.deal.contact.delete",
        json!({"id": deal, "fields": {"CONTACT_ID": cid}}),
    );
    assert_eq!(record(&db, &admin, "deal", deal)["contact_ids"], json!([ann]));
    ok(&db, &admin, "crm.deal.contact.items.delete", json!({"id": deal}));
    assert_eq!(
        ok(&db, &admin, "crm.deal.contact.items.get", json!({"id": deal})),
        json!([])
    );
    let fields = ok(&db, &admin, "crm.deal.contact.fields", json!({}));
    assert_eq!(fields["CONTACT_ID"]["isRequired"], true);

    // Bad input: 4xx, nothing written.
    let before = count(&db, "SELECT COUNT(*) FROM deal_contacts");
    let e = refused(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": "x", "fields": {"CONTACT_ID": ann}}),
    );
    assert_eq!(e.description, "ID is not defined or invalid.");
    refused(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": deal, "fields": {"CONTACT_ID": "abc"}}),
    );
    refused(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": deal, "fields": "CONTACT_ID"}),
    );
    refused(
        &db,
        &admin,
        "crm.deal.contact.add",
        json!({"id": deal, "fields": {"CONTACT_ID": ann, "IS_PRIMARY": "maybe"}}),
    );
    refused(
        &db,
        &admin,
        "crm.deal.contact.items.set",
        json!({"id": deal, "items": [{"CONTACT_ID": ann}, {"CONTACT_ID": 0}]}),
    );
    refused(
        &db,
        &admin,
        "crm.deal.contact.items.set",
        json!({"id": deal, "items": [{"CONTACT_ID": ann}, {"CONTACT_ID": 9999}]}),
    );
    not_found(&refused(&db, &admin, "crm.deal.contact.items.get", json!({"id": 9999})));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deal_contacts"), before);
}

#[test]
fn a_contacts_companies_follow_the_same_rules() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let contact = create(&db, &admin, "contact", json!({"last_name": "Ann"}));
    let acme = create(&db, &admin, "company", json!({"title": "Acme"}));
    let globex = create(&db, &admin, "company", json!({"title": "Globex"}));
    ok(
        &db,
        &admin,
        "crm.contact.company.add",
        json!({"id": contact, "fields": {"COMPANY_ID": acme}}),
    );
    ok(
        &db,
        &admin,
        "crm.contact.company.add",
        json!({"id": contact, "fields": {"COMPANY_ID": globex, "IS_PRIMARY": true}}),
    );
    let got = record(&db, &admin, "contact", contact);
    assert_eq!(got["company_ids"], json!([globex, acme]));
    assert_eq!(got["company_id"], json!(globex));
    let items = ok(&db, &admin, "crm.contact.company.items.get", json!({"id": contact}));
    assert_eq!(items[0]["COMPANY_ID"], json!(globex));
    assert_eq!(items[0]["IS_PRIMARY"], "Y");
    ok(
        &db,
        &admin,
        "crm.contact.company.delete",
        json!({"id": contact, "fields": {"COMPANY_ID": globex}}),
    );
    assert_eq!(record(&db, &admin, "contact", contact)["company_ids"], json!([acme]));
    ok(
        &db,
        &admin,
        "crm.contact.company.items.set",
        json!({"id": contact, "items": []}),
    );
    assert_eq!(record(&db, &admin, "contact", contact)["company_ids"], json!([]));
    assert!(ok(&db, &admin, "crm.contact.company.fields", json!({}))["COMPANY_ID"].is_object());
}

#[test]
fn a_manager_sees_and_links_only_what_their_role_allows() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let manager = user(&db, "manager@example.com", "manager");
    let theirs = create(&db, &admin, "deal", json!({"title": "Someone else's"}));
    let own = create(
        &db,
        &admin,
        "deal",
        json!({"title": "Own", "responsible_id": manager.user_id}),
    );
    let hidden_contact = create(&db, &admin, "contact", json!({"last_name": "Hidden"}));
    let own_contact = create(
        &db,
        &admin,
        "contact",
        json!({"last_name": "Own", "responsible_id": manager.user_id}),
    );

    not_found(&refused(
        &db,
        &manager,
        "crm.deal.contact.items.get",
        json!({"id": theirs}),
    ));
    not_found(&refused(
        &db,
        &manager,
        "crm.deal.contact.add",
        json!({"id": theirs, "fields": {"CONTACT_ID": own_contact}}),
    ));
    not_found(&refused(
        &db,
        &manager,
        "crm.deal.productrows.get",
        json!({"id": theirs}),
    ));
    // A hidden contact is refused as a missing one, and nothing is linked.
    refused(
        &db,
        &manager,
        "crm.deal.contact.add",
        json!({"id": own, "fields": {"CONTACT_ID": hidden_contact}}),
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deal_contacts"), 0);
    ok(
        &db,
        &manager,
        "crm.deal.contact.add",
        json!({"id": own, "fields": {"CONTACT_ID": own_contact}}),
    );
    assert_eq!(record(&db, &admin, "deal", own)["contact_ids"], json!([own_contact]));

    // No settings right: dictionary and pipeline writes are 403, reads are open.
    assert!(
        ok(
            &db,
            &manager,
            "crm.status.list",
            json!({"filter": {"ENTITY_ID": "SOURCE"}})
        )
        .as_array()
        .is_some_and(|l| !l.is_empty())
    );
    denied(&refused(
        &db,
        &manager,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Fair"}}),
    ));
    denied(&refused(
        &db,
        &manager,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"name": "Mine"}}),
    ));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM dictionary_entries WHERE code = 'FAIR'"),
        0
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM pipelines"), 1);

    // Comments: on a hidden record "Not found"; someone else's comment is not theirs to change.
    not_found(&refused(
        &db,
        &manager,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "deal", "ENTITY_ID": theirs, "COMMENT": "x"}}),
    ));
    let opened = create(&db, &admin, "deal", json!({"title": "Open to all", "opened": true}));
    let by_admin = ok(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "deal", "ENTITY_ID": opened, "COMMENT": "admin's"}}),
    );
    let e = refused(
        &db,
        &manager,
        "crm.timeline.comment.update",
        json!({"id": by_admin, "fields": {"COMMENT": "mine now"}}),
    );
    denied(&e);
    denied(&refused(
        &db,
        &manager,
        "crm.timeline.comment.delete",
        json!({"id": by_admin}),
    ));
    let hidden_comment = ok(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "deal", "ENTITY_ID": theirs, "COMMENT": "secret"}}),
    );
    not_found(&refused(
        &db,
        &manager,
        "crm.timeline.comment.get",
        json!({"id": hidden_comment}),
    ));
}

#[test]
fn product_rows_replace_line_items_and_recompute_the_amount() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let product = create(
        &db,
        &admin,
        "product",
        json!({"name": "Widget", "price": "250.00", "currency": "RUB", "vat_rate": "20.00", "vat_included": false}),
    );
    let deal = create(&db, &admin, "deal", json!({"title": "Deal", "currency": "RUB"}));

    // JSON numbers as Bitrix24's clients send them; a percent discount with its sum; tax apart.
    ok(
        &db,
        &admin,
        "crm.deal.productrows.set",
        json!({"id": deal, "rows": [
            {"PRODUCT_ID": product, "PRICE": 900, "QUANTITY": 2, "DISCOUNT_TYPE_ID": 1, "DISCOUNT_SUM": 100},
            {"PRODUCT_NAME": "Service", "PRICE": 113.0, "QUANTITY": 1, "TAX_RATE": 13, "TAX_INCLUDED": "Y"},
            {"PRODUCT_NAME": "Taxed apart", "PRICE": "226.00", "PRICE_EXCLUSIVE": "200.00", "QUANTITY": "1", "TAX_RATE": "13", "TAX_INCLUDED": "N"},
        ]}),
    );
    let rows = ok(&db, &admin, "crm.deal.productrows.get", json!({"id": deal.to_string()}));
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["PRODUCT_ID"], product.to_string());
    assert_eq!(rows[0]["PRODUCT_NAME"], "Widget");
    // The product's VAT stays on the row, inside the PRICE given: the total is PRICE x QUANTITY.
    assert_eq!(rows[0]["PRICE"], "900.00");
    assert_eq!(
        (rows[0]["TAX_RATE"].as_str(), rows[0]["TAX_INCLUDED"].as_str()),
        (Some("20.00"), Some("Y"))
    );
    assert_eq!(rows[0]["PRICE_BRUTTO"], "1000.00");
    assert_eq!(rows[0]["PRICE_NETTO"], "833.33");
    assert_eq!(rows[0]["PRICE_EXCLUSIVE"], "750.00");
    assert_eq!(rows[0]["DISCOUNT_SUM"], "100.00");
    assert_eq!(rows[0]["DISCOUNT_TYPE_ID"], "1");
    assert_eq!(rows[0]["QUANTITY"], "2.000");
    assert_eq!(rows[0]["OWNER_TYPE"], "D");
    assert_eq!(rows[1]["PRICE"], "113.00");
    assert_eq!(rows[1]["PRICE_EXCLUSIVE"], "100.00");
    assert_eq!(rows[1]["TAX_INCLUDED"], "Y");
    assert_eq!(rows[2]["PRICE"], "226.00");
    assert_eq!(rows[2]["PRICE_EXCLUSIVE"], "200.00");
    assert_eq!(rows[2]["TAX_INCLUDED"], "N");
    // 900 x 2 + 113 + 226: the deal's amount is the rows' total.
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "2139.00");

    // A form's strings, a percent discount given by its rate alone.
    ok(
        &db,
        &admin,
        "crm.deal.productrows.set",
        json!({"id": deal.to_string(), "rows": {"0": {"PRODUCT_NAME": "Half off", "PRICE": "50", "QUANTITY": "3",
                                                      "DISCOUNT_TYPE_ID": "2", "DISCOUNT_RATE": "50"}}}),
    );
    let rows = ok(&db, &admin, "crm.deal.productrows.get", json!({"id": deal}));
    assert_eq!(rows[0]["PRICE_NETTO"], "100.00");
    assert_eq!(rows[0]["PRICE"], "50.00");
    assert_eq!(rows[0]["DISCOUNT_RATE"], "50.00");
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "150.00");

    // crm.productrow.list and .get see the same rows.
    let list = call(
        &db,
        &admin,
        "crm.productrow.list",
        json!({"filter": {"OWNER_TYPE": "D", "OWNER_ID": deal.to_string()}}),
    )
    .expect("list");
    assert_eq!(list.total, Some(1));
    let row_id: i64 = list.result[0]["ID"].as_str().expect("id").parse().expect("number");
    assert_eq!(
        ok(&db, &admin, "crm.productrow.get", json!({"id": row_id}))["PRODUCT_NAME"],
        "Half off"
    );
    assert!(ok(&db, &admin, "crm.productrow.fields", json!({}))["PRICE"].is_object());

    // Bad rows: a 4xx naming the row, and the items and amount as they were.
    for (rows, names) in [
        (json!([{"PRODUCT_NAME": "x", "PRICE": -1}]), "rows[0].PRICE"),
        (json!([{"PRODUCT_NAME": "x", "PRICE": "abc"}]), "rows[0].PRICE"),
        (
            json!([{"PRODUCT_NAME": "x", "PRICE": 1, "QUANTITY": 0}]),
            "rows[0].QUANTITY",
        ),
        (
            json!([{"PRODUCT_NAME": "ok", "PRICE": 1}, {"PRODUCT_NAME": "x", "PRICE": "9999999999999.99", "QUANTITY": 2}]),
            "rows[1].PRICE",
        ),
        (json!([{"PRODUCT_ID": 9999, "PRICE": 1}]), "rows[0].PRODUCT_ID"),
        (json!([{"PRICE": 1}]), "rows[0].PRODUCT_NAME"),
        (
            json!([{"PRODUCT_NAME": "x", "DISCOUNT_TYPE_ID": 7}]),
            "rows[0].DISCOUNT_TYPE_ID",
        ),
        (json!("not rows"), "rows"),
    ] {
        let e = refused(
            &db,
            &admin,
            "crm.deal.productrows.set",
            json!({"id": deal, "rows": rows}),
        );
        assert!(e.description.contains(names), "{rows}: {e:?}");
    }
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM record_products WHERE record_id = {deal}")
        ),
        1
    );
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "150.00");
    refused(
        &db,
        &admin,
        "crm.productrow.list",
        json!({"filter": {"OWNER_TYPE": "X", "OWNER_ID": deal}}),
    );
    refused(&db, &admin, "crm.productrow.list", json!({}));
    not_found(&refused(&db, &admin, "crm.productrow.get", json!({"id": 99999})));

    // An empty set clears the rows.
    ok(&db, &admin, "crm.deal.productrows.set", json!({"id": deal, "rows": []}));
    assert_eq!(
        ok(&db, &admin, "crm.deal.productrows.get", json!({"id": deal})),
        json!([])
    );
}

/// The ids of a record's rows, in order.
fn row_ids(db: &dyn Db, caller: &Caller, method: &str, id: i64) -> Vec<String> {
    ok(db, caller, method, json!({"id": id}))
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["ID"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn single_product_rows_are_added_updated_and_deleted_keeping_the_others() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let manager = user(&db, "manager@example.com", "manager");
    let deal = create(&db, &admin, "deal", json!({"title": "Deal", "currency": "RUB"}));
    ok(
        &db,
        &admin,
        "crm.deal.productrows.set",
        json!({"id": deal, "rows": [
            {"PRODUCT_NAME": "First", "PRICE": 100, "QUANTITY": 1},
            {"PRODUCT_NAME": "Second", "PRICE": 10, "QUANTITY": 5},
        ]}),
    );
    let before = row_ids(&db, &admin, "crm.deal.productrows.get", deal);
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "150.00");

    // add: form strings, the new row's id back, after the others, the amount recomputed.
    let added = ok(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "D", "OWNER_ID": deal.to_string(), "PRODUCT_NAME": "Third",
                          "PRICE": "113", "QUANTITY": "2", "TAX_RATE": "13", "TAX_INCLUDED": "Y"}}),
    );
    let added = added.as_i64().expect("the new row's id");
    let after = row_ids(&db, &admin, "crm.deal.productrows.get", deal);
    assert_eq!(after[..2], before[..], "the other rows keep their ids");
    assert_eq!(after[2], added.to_string());
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "376.00");

    // update: only QUANTITY given, the price, tax and name stay.
    assert_eq!(
        ok(
            &db,
            &admin,
            "crm.productrow.update",
            json!({"id": added, "fields": {"QUANTITY": 3}})
        ),
        json!(true)
    );
    let row = ok(&db, &admin, "crm.productrow.get", json!({"id": added}));
    assert_eq!(
        (
            row["PRODUCT_NAME"].as_str(),
            row["PRICE"].as_str(),
            row["QUANTITY"].as_str(),
            row["TAX_RATE"].as_str()
        ),
        (Some("Third"), Some("113.00"), Some("3.000"), Some("13.00"))
    );
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "489.00");
    // A discount rate given alone: PRICE (the final price) leads, the price before it follows.
    ok(
        &db,
        &admin,
        "crm.productrow.update",
        json!({"id": after[0], "fields": {"DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 50}}),
    );
    let row = ok(&db, &admin, "crm.productrow.get", json!({"id": after[0]}));
    assert_eq!(
        (
            row["PRICE"].as_str(),
            row["PRICE_BRUTTO"].as_str(),
            row["DISCOUNT_RATE"].as_str()
        ),
        (Some("100.00"), Some("200.00"), Some("50.00"))
    );
    // A new PRICE with the discount kept.
    ok(
        &db,
        &admin,
        "crm.productrow.update",
        json!({"id": after[0], "fields": {"PRICE": 80}}),
    );
    let row = ok(&db, &admin, "crm.productrow.get", json!({"id": after[0]}));
    assert_eq!(
        (row["PRICE"].as_str(), row["PRICE_BRUTTO"].as_str()),
        (Some("80.00"), Some("160.00"))
    );
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "469.00");

    // Bad values: a 400 naming the field, nothing written.
    for fields in [
        json!({"PRICE": -1}),
        json!({"QUANTITY": "0"}),
        json!({"TAX_RATE": "abc"}),
    ] {
        let e = refused(
            &db,
            &admin,
            "crm.productrow.update",
            json!({"id": added, "fields": fields}),
        );
        assert!(e.description.contains("fields."), "{fields}: {e:?}");
    }
    let e = refused(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "D", "OWNER_ID": deal, "PRODUCT_ID": 9999}}),
    );
    assert!(e.description.contains("fields.PRODUCT_ID"), "{e:?}");
    refused(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "X", "OWNER_ID": deal}}),
    );
    refused(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "D"}}),
    );
    refused(&db, &admin, "crm.productrow.update", json!({"id": added}));
    not_found(&refused(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "D", "OWNER_ID": 99999, "PRODUCT_NAME": "x"}}),
    ));
    not_found(&refused(
        &db,
        &admin,
        "crm.productrow.update",
        json!({"id": 99999, "fields": {"QUANTITY": 1}}),
    ));
    not_found(&refused(&db, &admin, "crm.productrow.delete", json!({"id": 99999})));
    assert_eq!(row_ids(&db, &admin, "crm.deal.productrows.get", deal), after);
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "469.00");

    // Another's deal: a manager neither reads nor changes its rows.
    not_found(&refused(&db, &manager, "crm.productrow.get", json!({"id": added})));
    refused(
        &db,
        &manager,
        "crm.productrow.update",
        json!({"id": added, "fields": {"QUANTITY": 9}}),
    );
    refused(&db, &manager, "crm.productrow.delete", json!({"id": added}));
    refused(
        &db,
        &manager,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "D", "OWNER_ID": deal, "PRODUCT_NAME": "x"}}),
    );
    assert_eq!(row_ids(&db, &admin, "crm.deal.productrows.get", deal), after);

    // delete: the row gone, the others kept, the amount recomputed; a lead's rows likewise.
    assert_eq!(
        ok(&db, &admin, "crm.productrow.delete", json!({"id": after[1]})),
        json!(true)
    );
    assert_eq!(
        row_ids(&db, &admin, "crm.deal.productrows.get", deal),
        vec![after[0].clone(), after[2].clone()]
    );
    assert_eq!(record(&db, &admin, "deal", deal)["amount"], "419.00");
    let lead = create(&db, &admin, "lead", json!({"title": "Lead"}));
    let row = ok(
        &db,
        &admin,
        "crm.productrow.add",
        json!({"fields": {"OWNER_TYPE": "L", "OWNER_ID": lead, "PRODUCT_NAME": "Lead item", "PRICE": 7}}),
    );
    assert_eq!(
        ok(&db, &admin, "crm.productrow.get", json!({"id": row}))["OWNER_TYPE"],
        "L"
    );
    assert_eq!(record(&db, &admin, "lead", lead)["amount"], "7.00");
}

#[test]
fn duplicates_are_found_by_normalised_channels() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let contact = create(
        &db,
        &admin,
        "contact",
        json!({"last_name": "Ann", "emails": [{"value": "Ann@Example.com", "type": "work"}]}),
    );
    let lead = create(
        &db,
        &admin,
        "lead",
        json!({"title": "Lead", "emails": [{"value": "ann@example.com", "type": "work"}]}),
    );
    let found = ok(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"type": "EMAIL", "values": ["ANN@example.com"]}),
    );
    assert_eq!(found, json!({"LEAD": [lead], "CONTACT": [contact]}));
    let found = ok(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"entity_type": "CONTACT", "type": "EMAIL", "values": {"0": "ann@example.com"}}),
    );
    assert_eq!(found, json!({"CONTACT": [contact]}));
    assert_eq!(
        ok(
            &db,
            &admin,
            "crm.duplicate.findbycomm",
            json!({"type": "EMAIL", "values": ["nobody@example.com"]})
        ),
        json!([])
    );
    refused(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"type": "FAX", "values": ["1"]}),
    );
    refused(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"type": "EMAIL", "values": []}),
    );
    refused(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"type": "EMAIL", "values": ["not an email"]}),
    );
    refused(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"type": "EMAIL", "values": vec!["a@example.com"; 21]}),
    );
    refused(
        &db,
        &admin,
        "crm.duplicate.findbycomm",
        json!({"entity_type": "DEAL", "type": "EMAIL", "values": ["a@example.com"]}),
    );
    // A manager does not see someone else's records as duplicates.
    let manager = user(&db, "manager@example.com", "manager");
    assert_eq!(
        ok(
            &db,
            &manager,
            "crm.duplicate.findbycomm",
            json!({"type": "EMAIL", "values": ["ann@example.com"]})
        ),
        json!([])
    );
}

#[test]
fn statuses_map_our_dictionaries_and_stages() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let statuses = call(
        &db,
        &admin,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "STATUS"}, "order": {"SORT": "ASC"}}),
    )
    .expect("list");
    let codes: Vec<&str> = statuses
        .result
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["STATUS_ID"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]);
    assert_eq!(statuses.total, Some(5));
    let junk = &statuses.result[4];
    assert_eq!(
        (junk["SEMANTICS"].as_str(), junk["EXTRA"]["SEMANTICS"].as_str()),
        (Some("F"), Some("failure"))
    );
    assert_eq!(junk["SYSTEM"], "Y");
    let stages = ok(
        &db,
        &admin,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "DEAL_STAGE"}}),
    );
    let won = stages
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["STATUS_ID"] == "WON")
        .expect("won");
    assert_eq!(
        (won["SEMANTICS"].as_str(), won["CATEGORY_ID"].as_str()),
        (Some("S"), Some("0"))
    );
    assert!(
        ok(&db, &admin, "crm.status.entity.types", json!({}))
            .as_array()
            .expect("types")
            .iter()
            .any(|t| t["ID"] == "DEAL_STAGE")
    );
    let sources = ok(&db, &admin, "crm.status.entity.items", json!({"entityId": "SOURCE"}));
    assert!(
        sources
            .as_array()
            .expect("items")
            .iter()
            .any(|s| s["STATUS_ID"] == "WEBFORM")
    );
    assert!(ok(&db, &admin, "crm.status.fields", json!({}))["STATUS_ID"].is_object());

    // add / get / update / delete an entry, form-style.
    let id = ok(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Fair", "SORT": "500"}}),
    );
    let id = id.as_i64().expect("an integer id");
    let got = ok(&db, &admin, "crm.status.get", json!({"id": id.to_string()}));
    assert_eq!(
        (got["STATUS_ID"].as_str(), got["NAME"].as_str(), got["SORT"].as_str()),
        (Some("FAIR"), Some("Fair"), Some("500"))
    );
    assert_eq!(
        ok(
            &db,
            &admin,
            "crm.status.update",
            json!({"id": id, "fields": {"NAME": "Trade fair", "COLOR": "#112233"}})
        ),
        json!(true)
    );
    let got = ok(&db, &admin, "crm.status.get", json!({"id": id}));
    assert_eq!(
        (got["NAME"].as_str(), got["COLOR"].as_str()),
        (Some("Trade fair"), Some("#112233"))
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dictionary_entry.%'"
        ),
        2
    );
    ok(&db, &admin, "crm.status.delete", json!({"id": id}));
    not_found(&refused(&db, &admin, "crm.status.get", json!({"id": id})));

    // A lead status with a semantic.
    let lost = ok(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "SPAM", "NAME": "Spam", "SEMANTICS": "F"}}),
    );
    assert_eq!(
        ok(&db, &admin, "crm.status.get", json!({"id": lost}))["EXTRA"]["SEMANTICS"],
        "failure"
    );

    // Bad input, nothing written.
    let before = count(&db, "SELECT COUNT(*) FROM dictionary_entries");
    refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "NOPE", "STATUS_ID": "X", "NAME": "x"}}),
    );
    let e = refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "bad code", "NAME": "x"}}),
    );
    assert!(e.description.contains("STATUS_ID"), "{e:?}");
    refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "CALL", "NAME": "taken"}}),
    );
    refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "OK", "NAME": "x", "SEMANTICS": "S"}}),
    );
    refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "OK", "NAME": "x", "SORT": "many"}}),
    );
    refused(&db, &admin, "crm.status.list", json!({"filter": {"NOPE": 1}}));
    refused(&db, &admin, "crm.status.list", json!({"order": {"SORT": "UP"}}));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM dictionary_entries"), before);
    let system = stages_id(&db, &admin, "NEW");
    refused(
        &db,
        &admin,
        "crm.status.update",
        json!({"id": system, "fields": {"STATUS_ID": "OTHER"}}),
    );
    let call_source = ok(
        &db,
        &admin,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "SOURCE", "STATUS_ID": "CALL"}}),
    )[0]["ID"]
        .clone();
    refused(&db, &admin, "crm.status.delete", json!({"id": call_source}));
    refused(&db, &admin, "crm.status.get", json!({"id": "abc"}));
}

fn stages_id(db: &dyn Db, caller: &Caller, code: &str) -> String {
    let stages = ok(
        db,
        caller,
        "crm.status.list",
        json!({"filter": {"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": code}}),
    );
    stages[0]["ID"].as_str().expect("id").to_owned()
}

#[test]
fn categories_are_deal_pipelines_with_the_default_as_zero() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let list = call(&db, &admin, "crm.category.list", json!({"entityTypeId": "2"})).expect("list");
    assert_eq!(list.result["categories"][0]["id"], 0);
    assert_eq!(list.result["categories"][0]["isDefault"], "Y");
    assert_eq!(list.total, Some(1));

    let added = ok(
        &db,
        &admin,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"name": "Wholesale", "sort": 200}}),
    );
    let category = added["category"]["id"].as_i64().expect("id");
    assert!(category > 0);
    assert_eq!(added["category"]["isDefault"], "N");
    assert_eq!(added["category"]["name"], "Wholesale");
    // Its stages are C{N}:..., listed as DEAL_STAGE_{N}.
    let stages = ok(&db, &admin, "crm.dealcategory.stage.list", json!({"id": category}));
    assert_eq!(stages[0]["STATUS_ID"], format!("C{category}:NEW"));
    let entity = format!("DEAL_STAGE_{category}");
    let listed = ok(&db, &admin, "crm.status.list", json!({"filter": {"ENTITY_ID": entity}}));
    assert_eq!(listed.as_array().expect("stages").len(), 7);
    // A stage added to it through crm.status.add gets the prefix.
    let stage = ok(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": entity, "STATUS_ID": "REVIEW", "NAME": "Review", "COLOR": "#ABCDEF"}}),
    );
    assert_eq!(
        ok(&db, &admin, "crm.status.get", json!({"id": stage}))["STATUS_ID"],
        format!("C{category}:REVIEW")
    );
    ok(
        &db,
        &admin,
        "crm.status.update",
        json!({"id": stage, "fields": {"NAME": "Legal review"}}),
    );
    assert_eq!(
        ok(&db, &admin, "crm.status.get", json!({"id": stage}))["NAME"],
        "Legal review"
    );
    ok(&db, &admin, "crm.status.delete", json!({"id": stage}));
    // A second won stage is refused.
    refused(
        &db,
        &admin,
        "crm.status.add",
        json!({"fields": {"ENTITY_ID": entity, "STATUS_ID": "WON2", "NAME": "Won again", "SEMANTICS": "S"}}),
    );
    // Nothing of it stays: no stage, no id, no audit row.
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM pipeline_stages WHERE pipeline_id = {category}")
        ),
        7
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM rest_status_ids WHERE code LIKE '%WON2'"),
        0
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%WON2%'"),
        0
    );

    let got = ok(
        &db,
        &admin,
        "crm.category.get",
        json!({"entityTypeId": 2, "id": category}),
    );
    assert_eq!(got["category"]["name"], "Wholesale");
    let updated = ok(
        &db,
        &admin,
        "crm.category.update",
        json!({"entityTypeId": 2, "id": category, "fields": {"name": "Retail"}}),
    );
    assert_eq!(updated["category"]["name"], "Retail");
    let old = ok(&db, &admin, "crm.dealcategory.list", json!({}));
    assert_eq!(old[0]["ID"], category.to_string());
    assert_eq!(old[0]["NAME"], "Retail");
    assert_eq!(
        ok(&db, &admin, "crm.dealcategory.get", json!({"id": category}))["NAME"],
        "Retail"
    );
    assert_eq!(ok(&db, &admin, "crm.dealcategory.default.get", json!({}))["ID"], "0");
    let second = ok(
        &db,
        &admin,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"name": "Second", "sort": 50}}),
    );
    let second = second["category"]["id"].as_i64().expect("id");
    let by_sort = ok(&db, &admin, "crm.dealcategory.list", json!({"order": {"SORT": "ASC"}}));
    assert_eq!(by_sort[0]["ID"], second.to_string());
    let named = ok(
        &db,
        &admin,
        "crm.dealcategory.list",
        json!({"filter": {"NAME": "Retail"}}),
    );
    assert_eq!(named.as_array().map(Vec::len), Some(1));
    refused(&db, &admin, "crm.dealcategory.list", json!({"filter": {"NOPE": 1}}));
    refused(
        &db,
        &admin,
        "crm.dealcategory.list",
        json!({"order": {"SORT": "SIDEWAYS"}}),
    );
    ok(
        &db,
        &admin,
        "crm.category.delete",
        json!({"entityTypeId": 2, "id": second}),
    );
    assert!(ok(&db, &admin, "crm.category.fields", json!({"entityTypeId": 2}))["fields"]["name"].is_object());

    // Bad input.
    refused(&db, &admin, "crm.category.list", json!({"entityTypeId": 1}));
    refused(&db, &admin, "crm.category.list", json!({}));
    refused(
        &db,
        &admin,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"name": ""}}),
    );
    refused(
        &db,
        &admin,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"title": "x"}}),
    );
    not_found(&refused(
        &db,
        &admin,
        "crm.category.get",
        json!({"entityTypeId": 2, "id": 999}),
    ));
    refused(&db, &admin, "crm.category.delete", json!({"entityTypeId": 2, "id": 0}));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM pipelines"), 2);

    // A pipeline holding deals is kept.
    create(&db, &admin, "deal", json!({"title": "In it", "pipeline_id": category}));
    refused(
        &db,
        &admin,
        "crm.category.delete",
        json!({"entityTypeId": 2, "id": category}),
    );
    let other = ok(
        &db,
        &admin,
        "crm.category.add",
        json!({"entityTypeId": 2, "fields": {"name": "Empty"}}),
    )["category"]["id"]
        .clone();
    ok(
        &db,
        &admin,
        "crm.category.delete",
        json!({"entityTypeId": 2, "id": other}),
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM pipelines"), 2);
}

#[test]
fn currencies_list_with_rates_as_text() {
    let (_dir, db) = fresh();
    let manager = user(&db, "manager@example.com", "manager");
    let list = call(&db, &manager, "crm.currency.list", json!({})).expect("list");
    assert_eq!(list.result[0]["CURRENCY"], "RUB");
    assert_eq!(list.result[0]["BASE"], "Y");
    let usd = ok(&db, &manager, "crm.currency.get", json!({"id": "usd"}));
    assert_eq!(
        (usd["AMOUNT"].as_str(), usd["BASE"].as_str()),
        (Some("92.5000"), Some("N"))
    );
    not_found(&refused(&db, &manager, "crm.currency.get", json!({"id": "XXX"})));
    refused(&db, &manager, "crm.currency.get", json!({}));
}

#[test]
fn timeline_comments_round_trip() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let lead = create(&db, &admin, "lead", json!({"title": "Lead"}));
    let first = ok(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "lead", "ENTITY_ID": lead.to_string(), "COMMENT": "First"}}),
    );
    let first = first.as_i64().expect("an integer id");
    ok(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"FIELDS": {"ENTITY_TYPE": "CRM_LEAD", "ENTITY_ID": lead, "COMMENT": "Second"}}),
    );
    let got = ok(&db, &admin, "crm.timeline.comment.get", json!({"id": first}));
    assert_eq!(
        (got["COMMENT"].as_str(), got["ENTITY_TYPE"].as_str()),
        (Some("First"), Some("lead"))
    );
    assert_eq!(got["AUTHOR_ID"], admin.user_id.to_string());
    assert!(got["CREATED"].as_str().is_some_and(|t| t.ends_with("+00:00")), "{got}");

    let list = call(&db, &admin, "crm.timeline.comment.list", json!({"filter": {"ENTITY_TYPE": "lead", "ENTITY_ID": lead}, "order": {"ID": "ASC"}, "select": ["ID", "COMMENT"]})).expect("list");
    assert_eq!(list.total, Some(2));
    assert_eq!(
        list.result,
        json!([{"ID": first.to_string(), "COMMENT": "First"}, {"ID": (first + 1).to_string(), "COMMENT": "Second"}])
    );

    ok(
        &db,
        &admin,
        "crm.timeline.comment.update",
        json!({"id": first, "fields": {"COMMENT": "First, edited"}}),
    );
    assert_eq!(
        ok(&db, &admin, "crm.timeline.comment.get", json!({"id": first}))["COMMENT"],
        "First, edited"
    );
    ok(&db, &admin, "crm.timeline.comment.delete", json!({"id": first}));
    not_found(&refused(&db, &admin, "crm.timeline.comment.get", json!({"id": first})));
    assert!(ok(&db, &admin, "crm.timeline.comment.fields", json!({}))["COMMENT"].is_object());

    // Bad input: nothing written.
    let before = count(&db, "SELECT COUNT(*) FROM timeline WHERE kind = 'comment'");
    for fields in [
        json!({"ENTITY_TYPE": "lead", "ENTITY_ID": lead, "COMMENT": "  "}),
        json!({"ENTITY_TYPE": "order", "ENTITY_ID": lead, "COMMENT": "x"}),
        json!({"ENTITY_TYPE": "lead", "ENTITY_ID": "x", "COMMENT": "x"}),
        json!({"ENTITY_TYPE": "lead", "ENTITY_ID": lead, "COMMENT": "x", "FILES": [["a.txt", "aGk="]]}),
        json!({"ENTITY_TYPE": "lead", "ENTITY_ID": lead, "COMMENT": "x", "AUTHOR_ID": 999}),
        json!({"ENTITY_TYPE": "lead", "ENTITY_ID": lead, "COMMENT": 5}),
    ] {
        refused(&db, &admin, "crm.timeline.comment.add", json!({ "fields": fields }));
    }
    let e = refused(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "lead", "ENTITY_ID": lead, "COMMENT": ""}}),
    );
    assert!(e.description.contains("COMMENT"), "{e:?}");
    not_found(&refused(
        &db,
        &admin,
        "crm.timeline.comment.add",
        json!({"fields": {"ENTITY_TYPE": "lead", "ENTITY_ID": 9999, "COMMENT": "x"}}),
    ));
    refused(
        &db,
        &admin,
        "crm.timeline.comment.list",
        json!({"filter": {"ENTITY_TYPE": "lead"}}),
    );
    refused(
        &db,
        &admin,
        "crm.timeline.comment.list",
        json!({"filter": {"ENTITY_TYPE": "lead", "ENTITY_ID": lead}, "select": ["NOPE"]}),
    );
    refused(
        &db,
        &admin,
        "crm.timeline.comment.update",
        json!({"id": first + 1, "fields": {"COMMENT": ""}}),
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM timeline WHERE kind = 'comment'"),
        before
    );
    assert_eq!(
        ok(&db, &admin, "crm.timeline.comment.get", json!({"id": first + 1}))["COMMENT"],
        "Second"
    );
}

#[test]
fn no_input_makes_any_of_these_methods_answer_a_5xx() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let manager = user(&db, "manager@example.com", "manager");
    let deal = create(&db, &admin, "deal", json!({"title": "Deal"}));
    let contact = create(&db, &admin, "contact", json!({"last_name": "Ann"}));
    let values = [
        json!(null),
        json!(""),
        json!("x"),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(deal),
        json!(contact.to_string()),
        json!([]),
        json!([1, "x", null]),
        json!({}),
        json!({"0": {"CONTACT_ID": contact}, "x": 1}),
        json!({"ENTITY_ID": 5, "STATUS_ID": [], "NAME": {}, "SORT": "x", "COMMENT": [], "ENTITY_TYPE": {}}),
        json!({"ENTITY_ID": "DEAL_STAGE_99", "STATUS_ID": "X", "NAME": "x", "SEMANTICS": 1, "EXTRA": "x"}),
        json!({"OWNER_TYPE": "D", "OWNER_ID": "x", "name": 5, "sort": "x", "CONTACT_ID": "0", "COMPANY_ID": -5}),
        json!([{"PRODUCT_ID": "x", "PRICE": "1e400", "QUANTITY": [], "TAX_RATE": "200", "DISCOUNT_RATE": -1}]),
    ];
    let names = [
        "id",
        "fields",
        "filter",
        "order",
        "select",
        "rows",
        "items",
        "entityTypeId",
        "entityId",
        "values",
        "type",
        "entity_type",
        "start",
    ];
    let families = [
        rest::sales::METHODS,
        rest::dictionaries::METHODS,
        rest::activities::METHODS,
    ];
    for (method, _, _) in families.iter().flat_map(|family| family.iter()) {
        for caller in [&admin, &manager] {
            for name in names {
                for value in &values {
                    let mut params = json!({ "entityTypeId": 2, "id": deal });
                    params[name] = value.clone();
                    if let Err(e) = call(&db, caller, method, params.clone()) {
                        assert!(e.status < 500, "{method} {params}: {e:?}");
                    }
                }
            }
        }
    }
}
