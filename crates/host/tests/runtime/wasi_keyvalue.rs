//! `wasi:keyvalue@0.2.0-draft2` as Spin provides it: a bucket is one of the component's
//! key-value stores, shared with `fermyon:spin/key-value`, and refused like it.

use super::{TestApp, json};

#[test]
fn wasi_keyvalue_buckets_are_the_components_stores() {
    let app = TestApp::new(
        &[("/kv/...", "kv"), ("/none/...", "none")],
        "[component.kv]\nsource = \"PROBE\"\nkey_value_stores = [\"default\"]\n\
         [component.none]\nsource = \"PROBE\"\n",
    );
    let host = app.start();
    assert_eq!(
        json(&host, "/kv/wasi-kv?label=default"),
        serde_json::json!({
            "greeting": "hello",
            "counter": [5, 3],
            "swaps": [true, "cas-failed"],
            "now": "first",
            "many": [["a", null], ["b", "2"]],
            "keys": ["b", "counter", "greeting"],
            "cursor": null,
        })
    );
    assert_eq!(
        json(&host, "/kv/kv?label=default")["keys"],
        serde_json::json!(["b", "counter", "greeting", "visits"]),
        "the same store as fermyon:spin/key-value"
    );
    assert_eq!(
        json(&host, "/none/wasi-kv?label=default"),
        serde_json::json!({ "error": "Error::AccessDenied" })
    );
    assert_eq!(
        json(&host, "/kv/wasi-kv?label=other"),
        serde_json::json!({ "error": "Error::AccessDenied" })
    );
}
