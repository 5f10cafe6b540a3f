//! The REST transport's core over a real SQLite file (issue 19): a hook's check (the right
//! token of an active user only, its scopes), the leaky bucket at given instants (the burst,
//! the drain, a refused request adding nothing), and the dispatcher's scope check and batch.

mod common;

use common::{client, fresh, user};
use crm_core::rest::{dispatch::dispatch, hooks, limit};
use crm_core::{CoreError, Db};
use serde_json::json;

#[test]
fn a_hook_lets_in_only_its_token_of_an_active_user() {
    let (_dir, db) = fresh();
    let anna = user(&db, "anna@example.com", "administrator");
    let made = hooks::create(&db, &anna, &json!({"name": "Site", "scopes": "user"}), &client()).expect("hook");
    let uid = anna.user_id.to_string();
    let authorized = hooks::authenticate(&db, &uid, &made.token).expect("the hook's token");
    assert_eq!(
        (authorized.caller.user_id, authorized.scopes.clone()),
        (anna.user_id, vec!["user".to_string()])
    );
    assert!(authorized.allows("user") && authorized.allows("") && !authorized.allows("crm"));
    let other = user(&db, "boris@example.com", "manager");
    for (uid, token) in [
        (other.user_id.to_string(), made.token.clone()),
        (uid.clone(), "a".repeat(24)),
        (uid.clone(), made.token.to_uppercase()),
        (format!("0{uid}"), made.token.clone()),
        ("x".into(), made.token.clone()),
        ("999".into(), made.token.clone()),
    ] {
        assert!(
            matches!(hooks::authenticate(&db, &uid, &token), Err(CoreError::Unauthorized)),
            "{uid} {token}"
        );
    }
    db.execute("UPDATE users SET active = 0 WHERE id = ?", &[anna.user_id.into()])
        .expect("deactivate");
    assert!(matches!(
        hooks::authenticate(&db, &uid, &made.token),
        Err(CoreError::Unauthorized)
    ));
}

#[test]
fn the_bucket_holds_fifty_and_drains_two_a_second() {
    let (_dir, db) = fresh();
    let anna = user(&db, "anna@example.com", "administrator");
    let id = hooks::create(&db, &anna, &json!({"name": "Site", "scopes": ["crm"]}), &client())
        .expect("hook")
        .hook
        .id;
    let t0 = 1_800_000_000_000;
    for i in 0..50 {
        assert!(limit::take(&db, id, t0).expect("take"), "request {i}");
    }
    assert!(!limit::take(&db, id, t0).expect("take"), "the 51st at once");
    assert!(
        !limit::take(&db, id, t0 + 499).expect("take"),
        "not a whole request drained yet"
    );
    assert!(
        limit::take(&db, id, t0 + 500).expect("take"),
        "one drained in half a second"
    );
    assert!(!limit::take(&db, id, t0 + 500).expect("take"));
    // Refused requests added nothing: five seconds later exactly ten more pass.
    let later = t0 + 5_500;
    let passed = (0..20).filter(|_| limit::take(&db, id, later).expect("take")).count();
    assert_eq!(passed, 10);
    // A clock that went back drains nothing and adds no credit, even when a request passes.
    assert!(!limit::take(&db, id, t0).expect("take"));
    let moved = (0..3)
        .filter(|_| limit::take(&db, id, later + 1_000).expect("take"))
        .count();
    assert_eq!(moved, 2, "two drained in the next second");
    assert!(!limit::take(&db, id, later + 1_000).expect("take"));
    // Empty after 26 s: the whole burst again.
    let empty = later + 26_000;
    assert_eq!(
        (0..60).filter(|_| limit::take(&db, id, empty).expect("take")).count(),
        50
    );
    // A request stamped earlier than the last one does not move the bucket's time back (which
    // would count that time as drained again).
    let second = hooks::create(&db, &anna, &json!({"name": "Two", "scopes": ["crm"]}), &client())
        .expect("hook")
        .hook
        .id;
    assert!(limit::take(&db, second, t0).expect("take"));
    assert!(limit::take(&db, second, t0 - 10_000).expect("take"));
    assert_eq!(
        (0..60).filter(|_| limit::take(&db, second, t0).expect("take")).count(),
        48
    );
}

#[test]
fn the_dispatcher_checks_scopes_and_runs_batches() {
    let (_dir, db) = fresh();
    let anna = user(&db, "anna@example.com", "administrator");
    let made = hooks::create(&db, &anna, &json!({"name": "Crm", "scopes": ["crm"]}), &client()).expect("hook");
    let hook = hooks::authenticate(&db, &anna.user_id.to_string(), &made.token).expect("hook");
    let refused = dispatch(&db, &hook, "user.current", &json!({}), false).expect_err("no user scope");
    assert_eq!((refused.status, refused.code.as_str()), (403, "insufficient_scope"));
    let missing = dispatch(&db, &hook, "crm.no.such", &json!({}), false).expect_err("no method");
    assert_eq!((missing.status, missing.code.as_str()), (404, "ERROR_METHOD_NOT_FOUND"));
    assert_eq!(
        dispatch(&db, &hook, "SCOPE", &json!({}), false).expect("scope").result,
        json!(["crm"])
    );
    let batch = dispatch(
        &db,
        &hook,
        "batch",
        &json!({"cmd": {"s": "scope", "u": "user.current", "b": "batch?cmd[x]=scope", "m": "methods?scope=$result[s][0]&full=1"}}),
        false,
    )
    .expect("batch")
    .result;
    assert_eq!(batch["result"]["s"], json!(["crm"]));
    assert_eq!(batch["result_error"]["u"]["error"], "insufficient_scope");
    assert_eq!(batch["result_error"]["b"]["error"], "ERROR_BATCH_METHOD_NOT_ALLOWED");
    assert!(batch["result"]["m"].is_array(), "{batch}");
    let nested = dispatch(&db, &hook, "batch", &json!({"cmd": ["batch"]}), true).expect_err("batch in batch");
    assert_eq!(nested.code, "ERROR_BATCH_METHOD_NOT_ALLOWED");
}
