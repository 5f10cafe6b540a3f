//! The Spin interfaces this runtime links without a backend (Redis, MQTT, PostgreSQL 2.0 /
//! 3.0 / 4.0, MySQL, LLM): an app importing them loads, and each call fails as on Spin,
//! access denied where the manifest does not allow the address (or the model).

use super::{TestApp, json};

#[test]
fn service_interfaces_load_and_refuse_what_the_manifest_does_not_allow() {
    let app = TestApp::new(
        &[
            ("/closed/...", "closed"),
            ("/open/...", "open"),
            ("/wrong-port/...", "wrong-port"),
        ],
        "[component.closed]\nsource = \"PROBE\"\n\
         [component.open]\nsource = \"PROBE\"\nai_models = [\"llama2-chat\"]\n\
         allowed_outbound_hosts = [\"redis://127.0.0.1\", \"mqtt://127.0.0.1\", \"postgres://127.0.0.1\", \"mysql://127.0.0.1\"]\n\
         [component.wrong-port]\nsource = \"PROBE\"\nallowed_outbound_hosts = [\"redis://127.0.0.1:6380\", \"*://127.0.0.1:1\"]\n",
    );
    let host = app.start();
    let denied = serde_json::json!({
        "redis": "Error::InvalidAddress",
        "mqtt": "Error::ConnectionFailed(\"address mqtt://127.0.0.1?client_id=probe is not permitted\")",
        "postgres": "Error::ConnectionFailed(\"address postgres://127.0.0.1/db is not permitted\")",
        "postgres3": "Error::ConnectionFailed(\"address postgres://127.0.0.1/db is not permitted\")",
        "postgres4": "Error::ConnectionFailed(\"address postgres://127.0.0.1/db is not permitted\")",
        "mysql": "Error::ConnectionFailed(\"address mysql://127.0.0.1/db is not permitted\")",
        "llm": "Error::InvalidInput(\"The component does not have access to use 'llama2-chat'. To give the component access, add 'llama2-chat' to the 'ai_models' key for the component in your spin.toml manifest\")",
    });
    assert_eq!(json(&host, "/closed/services?host=127.0.0.1&model=llama2-chat"), denied);
    assert_eq!(
        json(&host, "/wrong-port/services?host=127.0.0.1&model=llama2-chat"),
        denied
    );

    let absent = |service: &str, address: &str| {
        format!("cannot connect to {address}: this runtime (crm-host) provides no {service} client")
    };
    assert_eq!(
        json(&host, "/open/services?host=127.0.0.1&model=llama2-chat"),
        serde_json::json!({
            "redis": format!("Error::Other({:?})", absent("Redis", "redis://127.0.0.1")),
            "mqtt": format!("Error::ConnectionFailed({:?})", absent("MQTT", "mqtt://127.0.0.1?client_id=probe")),
            "postgres": format!("Error::ConnectionFailed({:?})", absent("PostgreSQL", "postgres://127.0.0.1/db")),
            "postgres3": format!("Error::ConnectionFailed({:?})", absent("PostgreSQL", "postgres://127.0.0.1/db")),
            "postgres4": format!("Error::ConnectionFailed({:?})", absent("PostgreSQL", "postgres://127.0.0.1/db")),
            "mysql": format!("Error::ConnectionFailed({:?})", absent("MySQL", "mysql://127.0.0.1/db")),
            "llm": "Error::RuntimeError(\"model 'llama2-chat' cannot be served: this runtime (crm-host) has no LLM engine\")",
        })
    );
}

#[test]
fn wasi_config_answers_the_component_variables() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[variables]\ngreeting = { default = \"hello\" }\n\
         [component.probe]\nsource = \"PROBE\"\nvariables = { message = \"{{ greeting }}, world\" }\n",
    );
    let host = app.start();
    assert_eq!(
        json(&host, "/config?name=message"),
        serde_json::json!({ "value": "hello, world" })
    );
    assert_eq!(
        json(&host, "/config?name=missing"),
        serde_json::json!({ "value": null })
    );
}
