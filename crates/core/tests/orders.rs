//! Store orders through core against a real SQLite file: a delivery into its inbox row and
//! deal, its dedupe and ordering, a failure kept with its error and undone alone, and the
//! source's secret never shown.

mod common;

use common::{client, count, fresh, user};
use crm_core::Db;
use crm_core::orders::receive::{Delivery, Outcome, receive};
use crm_core::orders::signature::{Signed, sign_base64};
use crm_core::orders::source::{self, OrderSource};
use serde_json::{Value, json};

const SHOPIFY: &[u8] = include_bytes!("data/shopify-order.json");

fn shopify_source(db: &dyn Db) -> OrderSource {
    let admin = user(db, "admin@example.com", "administrator");
    let created = source::create(
        db,
        &admin,
        &json!({"name": "Shop", "kind": "shopify", "secret": "test_secret", "responsible_ids": [admin.user_id]}),
        &client(),
        "https://crm.example",
    )
    .expect("source");
    assert!(created.get("secret").is_none(), "{created}");
    source::by_id(db, created["id"].as_i64().expect("id"))
        .expect("read")
        .expect("source")
}

fn deliver(db: &dyn Db, source: &OrderSource, body: &[u8], delivery_id: &str) -> Outcome {
    let signature = sign_base64("test_secret", body);
    let delivery = Delivery {
        content_type: Some("application/json; charset=utf-8"),
        body,
        signed: Signed {
            signature: Some(&signature),
            timestamp: None,
        },
        topic: Some("orders/updated"),
        delivery_id: Some(delivery_id),
        shop: Some("demo-shop.myshopify.com"),
    };
    receive(db, source, &delivery, 1_800_000_000).expect("received")
}

fn variant(changes: Value) -> Vec<u8> {
    let mut order: Value = serde_json::from_slice(SHOPIFY).expect("sample");
    for (k, v) in changes.as_object().expect("object") {
        order[k] = v.clone();
    }
    serde_json::to_vec(&order).expect("json")
}

#[test]
fn a_delivery_makes_one_deal_and_its_repeats_and_older_versions_change_nothing() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let Outcome::Stored { status, deal_id, .. } = deliver(&db, &source, SHOPIFY, "d1") else {
        panic!("stored");
    };
    assert_eq!(status, "processed");
    let deal_id = deal_id.expect("deal");
    assert_eq!(
        count(&db, &format!("SELECT amount FROM deals WHERE id = {deal_id}")),
        12_480
    );
    assert!(matches!(
        deliver(&db, &source, SHOPIFY, "d1"),
        Outcome::Duplicate { .. }
    ));
    let older = variant(json!({"updated_at": "2025-03-14T09:00:00+03:00", "total_price": "1.00"}));
    assert!(matches!(
        deliver(&db, &source, &older, "d2"),
        Outcome::Stored { status: "skipped", .. }
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 1);
    assert_eq!(
        count(&db, "SELECT amount FROM deals"),
        12_480,
        "an older update rolls nothing back"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM record_products"), 4);
    assert_eq!(count(&db, "SELECT count(*) FROM order_inbox"), 2);
}

#[test]
fn a_failure_keeps_the_row_with_its_error_and_writes_nothing_else() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let body = variant(json!({"currency": "XTS"}));
    let Outcome::Stored { status, error, .. } = deliver(&db, &source, &body, "d1") else {
        panic!("stored");
    };
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("unknown currency XTS")));
    for table in ["deals", "contacts", "companies", "record_products", "deal_orders"] {
        assert_eq!(count(&db, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM order_inbox WHERE status = 'failed'"),
        1
    );
}

#[test]
fn a_bad_signature_stores_nothing_but_a_count() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let delivery = Delivery {
        content_type: Some("application/json"),
        body: SHOPIFY,
        signed: Signed {
            signature: Some("AAAA"),
            timestamp: None,
        },
        ..Delivery::default()
    };
    assert_eq!(
        receive(&db, &source, &delivery, 0),
        Err(crm_core::CoreError::Unauthorized)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM order_inbox"), 0);
    assert_eq!(count(&db, "SELECT failed_signatures FROM order_sources"), 1);
}

#[test]
fn a_stage_set_by_hand_stays_until_the_store_state_changes() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let Outcome::Stored { deal_id, .. } = deliver(&db, &source, SHOPIFY, "d1") else {
        panic!("stored");
    };
    let deal_id = deal_id.expect("deal");
    let stage = |db: &dyn Db| {
        db.query("SELECT stage FROM deals WHERE id = ?", &[deal_id.into()])
            .expect("stage")
            .first_str()
            .map(str::to_owned)
    };
    assert_eq!(stage(&db).as_deref(), Some("PREPARATION"));
    let admin = crm_core::acl::Caller::load(&db, 1).expect("admin");
    let def = crm_core::records::EntityDef::load(&db, "deal").expect("def");
    crm_core::records::service::update(&db, &admin, &def, deal_id, &json!({"stage": "EXECUTING"}), None)
        .expect("moved by hand");
    let edited = variant(json!({"note": "Leave at the door", "updated_at": "2025-03-14T11:00:00+03:00"}));
    deliver(&db, &source, &edited, "d2");
    assert_eq!(stage(&db).as_deref(), Some("EXECUTING"), "still paid: the stage stays");
    let fulfilled = variant(json!({"fulfillment_status": "fulfilled", "updated_at": "2025-03-14T12:00:00+03:00"}));
    deliver(&db, &source, &fulfilled, "d3");
    assert_eq!(stage(&db).as_deref(), Some("WON"));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM timeline WHERE entity = 'deal' AND kind = 'store_order'"
        ),
        3
    );
}

#[test]
fn an_order_whose_deal_was_deleted_makes_a_new_one_on_its_next_update() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let Outcome::Stored { deal_id, .. } = deliver(&db, &source, SHOPIFY, "d1") else {
        panic!("stored");
    };
    let admin = crm_core::acl::Caller::load(&db, 1).expect("admin");
    let def = crm_core::records::EntityDef::load(&db, "deal").expect("def");
    crm_core::records::service::delete(&db, &admin, &def, deal_id.expect("deal"), None).expect("deleted");
    assert_eq!(
        count(&db, "SELECT count(*) FROM deal_orders"),
        0,
        "the link goes with the deal"
    );
    let newer = variant(json!({"updated_at": "2025-03-14T11:00:00+03:00"}));
    let Outcome::Stored {
        status, deal_id: again, ..
    } = deliver(&db, &source, &newer, "d2")
    else {
        panic!("stored");
    };
    assert_eq!(status, "processed");
    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deal_orders o JOIN deals d ON d.id = o.deal_id"
        ),
        1
    );
    assert!(again.is_some());
}

#[test]
fn an_order_nobody_can_take_is_kept_and_replays_once_someone_can() {
    let (_dir, db) = fresh();
    let source = shopify_source(&db);
    let admin = crm_core::acl::Caller::load(&db, 1).expect("admin");
    db.execute("UPDATE users SET active = 0 WHERE id = 1", &[])
        .expect("deactivated");
    let Outcome::Stored {
        inbox_id,
        status,
        error,
        ..
    } = deliver(&db, &source, SHOPIFY, "d1")
    else {
        panic!("stored");
    };
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("no active responsible user")));
    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 0);
    db.execute("UPDATE users SET active = 1 WHERE id = 1", &[])
        .expect("reactivated");
    let row = crm_core::orders::inbox::replay(&db, &admin, source.id, inbox_id).expect("replayed");
    assert_eq!(row["status"], "processed", "{row}");
    assert_eq!(count(&db, "SELECT count(*) FROM deals"), 1);
}
