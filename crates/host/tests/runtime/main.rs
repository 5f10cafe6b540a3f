//! Runtime tests: real wasm components (the `fixture-probe` test component) on the real
//! runtime over real HTTP on 127.0.0.1, one capability per test, asserting the exact answers
//! Spin gives (conformance-style: headers, permissions and their refusals).
//!
//! The probe is built by `cargo xtask test` before the tests run: as a component for
//! `wasm32-wasip2` (`PROBE` in a test's manifest) and as a core module for `wasm32-wasip1`
//! (`PROBE_WASIP1`), and `fixture-bindgen-module` for `wasm32-unknown-unknown`
//! (`PROBE_BINDGEN`). Each test writes its own
//! `spin.toml` into a temp dir, pointing at the probe, and starts the host in-process. The
//! modules: `sockets` (`wasi:sockets` by `allowed_outbound_hosts`), `services` (the Spin
//! interfaces linked without a backend), `wasi_keyvalue`, `core_modules` (modules adapted as
//! Spin adapts them).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod core_modules;
mod services;
mod sockets;
mod wasi_keyvalue;

use crm_host::manifest::Problems;
use crm_host::{HostOptions, RunningHost};
use serde_json::Value;

fn probe_wasm() -> PathBuf {
    fixture_wasm("wasm32-wasip2", "fixture_probe")
}

/// A fixture built for `target`: a component (`wasm32-wasip2`), or a core module.
fn fixture_wasm(target: &str, file: &str) -> PathBuf {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let wasm = target_dir.join(target).join("release").join(format!("{file}.wasm"));
    assert!(
        wasm.is_file(),
        "{} is missing: run `cargo xtask test`, which builds it",
        wasm.display()
    );
    wasm
}

/// A test app: a temp dir with a manifest, and its own state and cache dirs.
struct TestApp {
    dir: tempfile::TempDir,
    opts: HostOptions,
}

impl TestApp {
    /// `components` is TOML for `[component.*]` tables, with `PROBE` standing for the wasm path.
    fn new(triggers: &[(&str, &str)], components: &str) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest =
            String::from("spin_manifest_version = 2\n[application]\nname = \"probe-app\"\nversion = \"1.2.3\"\n");
        for (route, component) in triggers {
            manifest.push_str(&format!(
                "[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{component}\"\n"
            ));
        }
        let mut components = components.to_string();
        for (placeholder, target, file) in [
            ("PROBE_WASIP1", "wasm32-wasip1", "fixture_probe"),
            ("PROBE_BINDGEN", "wasm32-unknown-unknown", "fixture_bindgen_module"),
            ("PROBE", "wasm32-wasip2", "fixture_probe"),
        ] {
            if components.contains(placeholder) {
                let wasm = fixture_wasm(target, file).to_string_lossy().replace('\\', "/");
                components = components.replace(placeholder, &wasm);
            }
        }
        manifest.push_str(&components);
        let path = dir.path().join("spin.toml");
        std::fs::write(&path, manifest).unwrap();
        let mut opts = HostOptions::new(path, "127.0.0.1:0".parse().unwrap());
        opts.state_dir = dir.path().join("state");
        opts.cache_dir = std::env::temp_dir().join("crm-host-test-cache");
        opts.env = HashMap::new();
        opts.access_log = std::env::var_os("TEST_LOG").is_some();
        TestApp { dir, opts }
    }

    fn start(&self) -> RunningHost {
        crm_host::start(&self.opts).unwrap_or_else(|e| panic!("host did not start: {e:#}"))
    }

    fn start_err(&self) -> Problems {
        match crm_host::start(&self.opts) {
            Ok(_) => panic!("the host started, but should have refused"),
            Err(e) => e.downcast::<Problems>().expect("a Problems error"),
        }
    }
}

fn get(host: &RunningHost, path: &str) -> (u16, HashMap<String, String>, String) {
    get_addr(host.addr, path)
}

fn get_addr(addr: SocketAddr, path: &str) -> (u16, HashMap<String, String>, String) {
    let r = reqwest::blocking::Client::new()
        .get(format!("http://{addr}{path}"))
        .header("spin-path-info", "/spoofed")
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (status, headers, r.text().unwrap())
}

fn json(host: &RunningHost, path: &str) -> Value {
    let (status, _, body) = get(host, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

const ONE_PROBE: &str = "[component.probe]\nsource = \"PROBE\"\n";

#[test]
fn the_most_specific_route_wins_and_spin_headers_describe_it() {
    let app = TestApp::new(
        &[
            ("/...", "root"),
            ("/api/...", "api"),
            ("/api/exact/headers", "exact"),
            ("/users/:id/:Path_Segment/headers", "param"),
        ],
        "[component.root]\nsource = \"PROBE\"\n[component.api]\nsource = \"PROBE\"\n[component.exact]\nsource = \"PROBE\"\n[component.param]\nsource = \"PROBE\"\n",
    );
    let host = app.start();
    let h = json(&host, "/api/a/b/headers?x=1");
    assert_eq!(h["spin-matched-route"], "/api/...");
    assert_eq!(h["spin-raw-component-route"], "/api/...");
    assert_eq!(h["spin-component-route"], "/api");
    assert_eq!(
        h["spin-path-info"], "/a/b/headers",
        "a client's spin-path-info must be replaced"
    );
    assert_eq!(h["spin-base-path"], "/");
    assert_eq!(h["spin-full-url"], format!("http://{}/api/a/b/headers?x=1", host.addr));
    assert!(h["spin-client-addr"].as_str().unwrap().starts_with("127.0.0.1:"));

    let h = json(&host, "/api/exact/headers");
    assert_eq!(h["spin-matched-route"], "/api/exact/headers");
    assert_eq!(h["spin-path-info"], "");

    let h = json(&host, "/users/42/abc/headers?q=%20");
    let client = h["spin-client-addr"].as_str().unwrap().to_string();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    assert_eq!(
        h,
        serde_json::json!({
            "spin-base-path": "/",
            "spin-client-addr": client,
            "spin-component-route": "/users/:id/:Path_Segment/headers",
            "spin-full-url": format!("http://{}/users/42/abc/headers?q=%20", host.addr),
            "spin-matched-route": "/users/:id/:Path_Segment/headers",
            "spin-path-info": "",
            "spin-path-match-id": "42",
            "spin-path-match-path-segment": "abc",
            "spin-raw-component-route": "/users/:id/:Path_Segment/headers",
        }),
        "exactly Spin's headers: a `:name` header is lowercased with `_` as `-`"
    );

    let h = json(&host, "/other/headers");
    assert_eq!(h["spin-matched-route"], "/...");
    assert_eq!(h["spin-path-info"], "/other/headers");
}

#[test]
fn unrouted_paths_get_404_and_the_runtime_answers_its_health_check() {
    let app = TestApp::new(&[("/only/...", "probe")], ONE_PROBE);
    let host = app.start();
    assert_eq!(get(&host, "/elsewhere").0, 404);
    assert_eq!(get(&host, "/onlyx").0, 404);
    let (status, _, body) = get(&host, "/.well-known/spin/health");
    assert_eq!((status, body.as_str()), (200, "OK"));
    let (_, _, info) = get(&host, "/.well-known/spin/info");
    assert!(info.contains("\"version\":\"1.2.3\""), "{info}");
}

#[test]
fn sqlite_round_trips_through_the_default_database_file() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nsqlite_databases = [\"default\"]\n",
    );
    let host = app.start();
    assert_eq!(json(&host, "/sqlite?label=default")["count"], 1);
    assert_eq!(json(&host, "/sqlite?label=default")["count"], 2);
    host.stop();
    let db = rusqlite::Connection::open(app.opts.state_dir.join("sqlite_db.db")).unwrap();
    let n: i64 = db.query_row("SELECT count(*) FROM probe", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2, "what the guest wrote is in <state-dir>/sqlite_db.db");
}

#[test]
fn key_value_round_trips_and_survives_a_restart() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nkey_value_stores = [\"default\"]\n",
    );
    let host = app.start();
    assert_eq!(json(&host, "/kv?label=default")["visits"], 1);
    assert_eq!(json(&host, "/kv?label=default")["visits"], 2);
    host.stop();
    assert!(app.opts.state_dir.join("sqlite_key_value.db").is_file());
    let host = app.start();
    let v = json(&host, "/kv?label=default");
    assert_eq!(v["visits"], 3);
    assert_eq!(v["keys"], serde_json::json!(["visits"]));
}

#[test]
fn undeclared_databases_and_stores_are_access_denied() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nsqlite_databases = [\"default\"]\n",
    );
    let host = app.start();
    let denied = |path: &str| {
        json(&host, path)["error"]
            .as_str()
            .unwrap_or_default()
            .contains("AccessDenied")
    };
    assert!(denied("/sqlite?label=other"));
    assert!(denied("/kv?label=default"));
    assert!(!app.opts.state_dir.join("sqlite_key_value.db").exists());
}

#[test]
fn a_declared_but_unconfigured_label_stops_start_up_with_a_hint() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nsqlite_databases = [\"reports\"]\nkey_value_stores = [\"cache\"]\n",
    );
    let problems = app.start_err();
    assert_eq!(problems.0.len(), 2, "{problems}");
    assert!(problems.0[0].hint.contains("[sqlite_database.reports]"), "{problems}");

    let mut app = app;
    let rc = app.dir.path().join("runtime-config.toml");
    std::fs::write(&rc, "[sqlite_database.reports]\ntype = \"spin\"\npath = \"reports.db\"\n[key_value_store.cache]\ntype = \"spin\"\npath = \"cache.db\"\n").unwrap();
    app.opts.runtime_config = Some(rc);
    let host = app.start();
    assert_eq!(json(&host, "/sqlite?label=reports")["count"], 1);
    assert_eq!(json(&host, "/kv?label=cache")["visits"], 1);
    assert!(
        app.dir.path().join("reports.db").is_file(),
        "runtime-config paths are relative to the file"
    );
}

#[test]
fn variables_come_from_defaults_and_spin_variable_env() {
    let components = "[component.probe]\nsource = \"PROBE\"\nvariables = { message = \"{{ greeting }}, world\", token = \"{{ api_token }}\" }\n";
    let mut app = TestApp::new(&[("/...", "probe")], components);
    let manifest = std::fs::read_to_string(&app.opts.manifest).unwrap().replace(
        "[[trigger.http]]",
        "[variables]\ngreeting = { default = \"hello\" }\napi_token = { required = true, secret = true }\n[[trigger.http]]",
    );
    std::fs::write(&app.opts.manifest, manifest).unwrap();

    let problems = app.start_err();
    assert!(problems.to_string().contains("SPIN_VARIABLE_API_TOKEN"), "{problems}");

    app.opts.env.insert("SPIN_VARIABLE_API_TOKEN".into(), "s3cret".into());
    let host = app.start();
    assert_eq!(json(&host, "/var?name=message")["value"], "hello, world");
    assert_eq!(json(&host, "/var?name=token")["value"], "s3cret");
    assert!(
        json(&host, "/var?name=missing")["error"]
            .as_str()
            .unwrap()
            .contains("Undefined")
    );
    host.stop();

    app.opts.env.insert("SPIN_VARIABLE_GREETING".into(), "hi".into());
    let host = app.start();
    assert_eq!(json(&host, "/var?name=message")["value"], "hi, world");
}

#[test]
fn environment_and_read_only_file_mounts_reach_the_guest() {
    let app = TestApp::new(
        &[("/...", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nenvironment = { GREETING = \"bonjour\" }\nfiles = [{ source = \"assets\", destination = \"/assets\" }, \"docs/*.txt\"]\n",
    );
    std::fs::create_dir_all(app.dir.path().join("assets")).unwrap();
    std::fs::write(app.dir.path().join("assets/hello.txt"), "hello from a mount").unwrap();
    std::fs::create_dir_all(app.dir.path().join("docs")).unwrap();
    std::fs::write(app.dir.path().join("docs/readme.txt"), "globbed").unwrap();
    std::fs::write(app.dir.path().join("docs/skip.md"), "not matched").unwrap();
    let host = app.start();
    assert_eq!(json(&host, "/env?name=GREETING")["value"], "bonjour");
    assert_eq!(
        json(&host, "/file?path=/assets/hello.txt")["content"],
        "hello from a mount"
    );
    assert_eq!(json(&host, "/file?path=/docs/readme.txt")["content"], "globbed");
    assert!(json(&host, "/file?path=/docs/skip.md")["error"].is_string());
    assert!(
        json(&host, "/file?path=/etc/passwd")["error"].is_string(),
        "nothing outside the mounts"
    );
    assert_eq!(json(&host, "/write-file?path=/assets/new.txt")["written"], false);
    assert!(!app.dir.path().join("assets/new.txt").exists());
}

/// A one-response HTTP server on 127.0.0.1 for outbound tests.
fn pong_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\npong");
        }
    });
    addr
}

#[test]
fn outbound_http_reaches_only_allowed_hosts() {
    let pong = pong_server();
    let app = TestApp::new(
        &[("/allowed/...", "allowed"), ("/closed/...", "closed")],
        "[component.allowed]\nsource = \"PROBE\"\nallowed_outbound_hosts = [\"http://127.0.0.1:*\"]\n[component.closed]\nsource = \"PROBE\"\n",
    );
    let host = app.start();
    let ok = json(
        &host,
        &format!("/allowed/outbound?url=http://127.0.0.1:{}/", pong.port()),
    );
    assert_eq!(
        (ok["status"].as_u64(), ok["body"].as_str()),
        (Some(200), Some("pong")),
        "{ok}"
    );
    let denied = json(
        &host,
        &format!("/allowed/outbound?url=http://localhost:{}/", pong.port()),
    );
    assert!(
        denied["error"].as_str().unwrap().contains("HttpRequestDenied"),
        "{denied}"
    );
    let denied = json(
        &host,
        &format!("/closed/outbound?url=http://127.0.0.1:{}/", pong.port()),
    );
    assert!(
        denied["error"].as_str().unwrap().contains("HttpRequestDenied"),
        "{denied}"
    );
}

#[test]
fn a_trapping_component_gets_a_500_problem_and_the_runtime_keeps_serving() {
    let app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let host = app.start();
    let (status, headers, body) = get(&host, "/trap");
    assert_eq!(status, 500);
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 500);
    assert!(!body.contains("panicked"), "the cause stays in the log: {body}");
    assert_eq!(get(&host, "/env?name=X").0, 200);
}

#[test]
fn each_request_gets_a_fresh_instance() {
    let app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let host = app.start();
    for _ in 0..3 {
        assert_eq!(
            json(&host, "/counter")["count"],
            1,
            "guest memory must not survive a request"
        );
    }
}

#[test]
fn shutdown_lets_an_in_flight_request_finish() {
    let app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let host = app.start();
    let addr = host.addr;
    let slow = std::thread::spawn(move || get_addr(addr, "/sleep?ms=500"));
    std::thread::sleep(Duration::from_millis(150));
    host.stop();
    let (status, _, body) = slow.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(std::net::TcpStream::connect(addr).is_err(), "no longer listening");
}

/// The compiled components (`.cwasm` files) in a test app's own cache directory.
fn cached_artifacts(app: &TestApp) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(&app.opts.cache_dir)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|e| e == "cwasm"));
    found
}

/// A test app with its own compile cache, so what is cached is the test's to see.
fn app_with_own_cache(triggers: &[(&str, &str)], components: &str) -> TestApp {
    let mut app = TestApp::new(triggers, components);
    app.opts.cache_dir = app.dir.path().join("cache");
    app
}

fn load_app(app: &TestApp) -> crm_host::App {
    crm_host::App::load(&app.opts, "127.0.0.1:9".parse().unwrap()).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn compiled_components_are_cached_by_content_hash() {
    let app = app_with_own_cache(&[("/...", "probe")], ONE_PROBE);
    app.start().stop();
    assert_eq!(cached_artifacts(&app).len(), 1);
    let host = app.start();
    assert_eq!(
        cached_artifacts(&app).len(),
        1,
        "a restart reuses the cached machine code"
    );
    assert_eq!(json(&host, "/env?name=X")["value"], Value::Null);
}

#[test]
fn with_a_warm_cache_components_load_on_their_first_request() {
    let app = app_with_own_cache(
        &[("/a/...", "first"), ("/b/...", "second")],
        "[component.first]\nsource = \"PROBE\"\n[component.second]\nsource = \"PROBE\"\n",
    );
    let cold = load_app(&app);
    assert!(
        cold.components.values().all(|c| c.is_loaded()),
        "what start compiled stays loaded"
    );
    drop(cold);
    let warm = load_app(&app);
    assert!(
        warm.components.values().all(|c| !c.is_loaded()),
        "a warm start loads nothing"
    );
    drop(warm);

    let host = app.start();
    for _ in 0..2 {
        assert_eq!(json(&host, "/a/counter")["count"], 1, "a fresh instance per request");
    }
    assert_eq!(json(&host, "/b/env?name=X")["value"], Value::Null);
}

#[test]
fn concurrent_first_requests_share_one_load() {
    let app = app_with_own_cache(&[("/...", "probe")], ONE_PROBE);
    app.start().stop();
    let host = app.start();
    let addr = host.addr;
    let answers: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || get_addr(addr, "/counter")))
        .collect();
    for answer in answers {
        let (status, _, body) = answer.join().unwrap();
        assert_eq!(status, 200, "{body}");
    }
}

#[test]
fn a_component_changed_since_it_was_cached_is_checked_again_at_start() {
    let app = app_with_own_cache(&[("/...", "probe")], "[component.probe]\nsource = \"probe.wasm\"\n");
    let source = app.dir.path().join("probe.wasm");
    std::fs::copy(probe_wasm(), &source).unwrap();
    app.start().stop();
    std::fs::write(&source, b"\0asm garbage").unwrap();
    let problems = app.start_err();
    assert!(problems.0[0].message.contains("cannot be loaded"), "{problems}");

    std::fs::copy(probe_wasm(), &source).unwrap();
    let host = app.start();
    assert_eq!(
        json(&host, "/counter")["count"],
        1,
        "the first version's machine code is reused"
    );
    assert_eq!(cached_artifacts(&app).len(), 1);
}

#[test]
fn a_cache_entry_damaged_after_start_is_compiled_again_on_first_request() {
    let app = app_with_own_cache(&[("/...", "probe")], ONE_PROBE);
    app.start().stop();
    let host = app.start();
    for artifact in cached_artifacts(&app) {
        std::fs::write(artifact, b"not machine code").unwrap();
    }
    assert_eq!(json(&host, "/counter")["count"], 1);
    host.stop();
    let host = app.start();
    assert_eq!(json(&host, "/counter")["count"], 1, "the entry was cached again");
}

#[test]
fn a_bad_manifest_is_refused_with_every_problem_named() {
    let app = TestApp::new(
        &[("/a", "missing"), ("/a", "probe"), ("nope", "probe")],
        "[component.probe]\nsource = \"PROBE\"\nallowed_outbound_hosts = [\"ftp//x\"]\n[component.broken]\nsource = \"no/such.wasm\"\n",
    );
    let problems = app.start_err();
    let text = problems.to_string();
    for expected in [
        "`missing`, which is not defined",
        "duplicates `/a`",
        "route `nope`",
        "ftp//x",
        "no/such.wasm does not exist",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(problems.0.iter().all(|p| !p.hint.is_empty()));
}

#[test]
fn a_bad_runtime_config_is_refused() {
    let mut app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let rc = app.dir.path().join("rc.toml");
    std::fs::write(&rc, "[sqlite_database.default]\ntype = \"postgres\"\n").unwrap();
    app.opts.runtime_config = Some(rc);
    assert!(app.start_err().to_string().contains("type `postgres`"));
}

#[test]
fn a_component_that_is_not_a_spin_http_component_is_refused() {
    let app = TestApp::new(&[("/...", "probe")], "[component.probe]\nsource = \"not-wasm.wasm\"\n");
    std::fs::write(app.dir.path().join("not-wasm.wasm"), b"\0asm garbage").unwrap();
    let problems = app.start_err();
    assert!(problems.0[0].message.contains("cannot be loaded"), "{problems}");
}

/// An app served over TLS with a fresh self-signed certificate for `localhost`, and a
/// client configuration that trusts it.
fn tls_app() -> (TestApp, std::sync::Arc<tokio_rustls::rustls::ClientConfig>) {
    use tokio_rustls::rustls;
    let mut app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (app.dir.path().join("cert.pem"), app.dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    app.opts.tls = Some((cert_pem, key_pem));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (app, std::sync::Arc::new(config))
}

fn tls_connect(
    addr: SocketAddr,
    config: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
) -> tokio_rustls::rustls::StreamOwned<tokio_rustls::rustls::ClientConnection, TcpStream> {
    use tokio_rustls::rustls;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    rustls::StreamOwned::new(conn, TcpStream::connect(addr).unwrap())
}

#[test]
fn tls_serves_https_with_the_given_certificate() {
    let (app, config) = tls_app();
    let host = app.start();
    assert_eq!(host.scheme, "https");
    let mut tls = tls_connect(host.addr, config);
    write!(
        tls,
        "GET /headers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = tls.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"spin-full-url\":\"https://localhost/headers\""),
        "{response}"
    );
}

// ---- Limits: timeouts, the connection cap, request bodies -----------------------------

/// An app whose limits `set` adjusts (short ones, so that the tests are fast).
fn limited_app(set: impl FnOnce(&mut crm_host::Limits)) -> TestApp {
    let mut app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    set(&mut app.opts.limits);
    app
}

/// One HTTP/1.1 response, read off a raw connection.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_line(stream: &mut impl Read) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).ok()
}

/// Reads one response (a `Content-Length`, chunked or close-delimited body); `None` when
/// the connection ends before a whole one.
fn read_response(stream: &mut impl Read) -> Option<RawResponse> {
    let status = read_line(stream)?.split(' ').nth(1)?.parse().ok()?;
    let mut headers = HashMap::new();
    loop {
        let line = read_line(stream)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let mut body = Vec::new();
    if let Some(len) = headers.get("content-length") {
        body.resize(len.parse().ok()?, 0);
        stream.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|te| te.contains("chunked"))
    {
        loop {
            let size = usize::from_str_radix(read_line(stream)?.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                while !read_line(stream)?.is_empty() {}
                break;
            }
            let mut chunk = vec![0; size];
            stream.read_exact(&mut chunk).ok()?;
            body.extend(chunk);
            read_line(stream)?;
        }
    } else {
        let _ = stream.read_to_end(&mut body);
    }
    Some(RawResponse { status, headers, body })
}

/// Sends `request` as is on a new connection and reads the answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> Option<RawResponse> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request).unwrap();
    read_response(&mut stream)
}

/// Reads until the server closes `stream` (EOF or reset): how long that took and what it
/// sent first; `None` if it is still open after `limit`.
fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some((started.elapsed(), received)),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some((started.elapsed(), received)),
        }
    }
}

fn problem_detail(r: &RawResponse) -> String {
    assert_eq!(r.headers["content-type"], "application/problem+json", "{r:?}");
    let problem: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(problem["status"], r.status);
    problem["detail"].as_str().unwrap().to_string()
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let app = limited_app(|l| l.header_timeout = Duration::from_secs(1));
    let host = app.start();
    let mut silent = TcpStream::connect(host.addr).unwrap();
    let (after, sent) = wait_closed(&mut silent, Duration::from_secs(20)).expect("closed by the server");
    assert!(sent.is_empty(), "closed unanswered: {}", String::from_utf8_lossy(&sent));
    assert!(after >= Duration::from_millis(900), "not before the timeout: {after:?}");
    assert_eq!(get(&host, "/env?name=X").0, 200, "others are still served");
}

#[test]
fn a_client_trickling_its_head_is_cut_off_at_the_header_timeout() {
    let app = limited_app(|l| l.header_timeout = Duration::from_secs(1));
    let host = app.start();
    let mut stream = TcpStream::connect(host.addr).unwrap();
    stream.write_all(b"GET /headers HTTP/1.1\r\nHost: x\r\n").unwrap();
    let mut writer = stream.try_clone().unwrap();
    let lines = 40;
    let trickle = std::thread::spawn(move || {
        for i in 0..lines {
            std::thread::sleep(Duration::from_millis(300));
            if writer.write_all(format!("X-Trickle-{i}: 1\r\n").as_bytes()).is_err() {
                return i;
            }
        }
        lines
    });
    let (after, sent) = wait_closed(&mut stream, Duration::from_secs(30)).expect("closed by the server");
    assert!(sent.is_empty(), "no response to a head never finished");
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_millis(300 * lines as u64),
        "cut off by the header deadline, before the trickle ended: {after:?}"
    );
    assert!(trickle.join().unwrap() < lines, "the server stopped the trickle");
}

#[test]
fn a_keep_alive_connection_outlives_the_header_timeout_and_closes_after_the_idle_timeout() {
    let app = limited_app(|l| {
        l.header_timeout = Duration::from_secs(1);
        l.idle_timeout = Duration::from_secs(3);
    });
    let host = app.start();
    let mut stream = TcpStream::connect(host.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = b"GET /env?name=X HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request).unwrap();
    assert_eq!(read_response(&mut stream).expect("a first answer").status, 200);
    // Idle for longer than the header timeout: hyper's own header timer would have closed
    // the connection here; the idle timeout governs the wait between requests.
    std::thread::sleep(Duration::from_millis(1500));
    stream.write_all(request).unwrap();
    assert_eq!(read_response(&mut stream).expect("a second answer").status, 200);
    let (after, sent) = wait_closed(&mut stream, Duration::from_secs(20)).expect("closed when idle");
    assert!(sent.is_empty());
    assert!(
        after >= Duration::from_millis(2500),
        "the idle timeout, not the header one: {after:?}"
    );
}

#[test]
fn over_the_connection_cap_clients_get_503_and_service_resumes_when_connections_close() {
    let max = 50;
    let app = limited_app(|l| {
        l.max_connections = max;
        l.header_timeout = Duration::from_secs(120); // the silent ones hold their slots
    });
    let host = app.start();
    let mut silent: Vec<Option<TcpStream>> = (0..200).map(|_| Some(TcpStream::connect(host.addr).unwrap())).collect();
    for s in silent.iter().flatten() {
        s.set_nonblocking(true).unwrap();
    }
    // Those over the cap are answered (503) or closed; the first `max` stay open. Refused
    // ones are dropped as they are seen, which also frees the server's refusal slots.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut refused = 0;
    while refused < silent.len() - max && Instant::now() < deadline {
        for slot in silent.iter_mut() {
            let Some(s) = slot else { continue };
            let mut buf = [0u8; 512];
            match s.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Ok(n) => {
                    if n > 0 {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
                    }
                    *slot = None;
                    refused += 1;
                }
                Err(_) => {
                    *slot = None;
                    refused += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(refused, silent.len() - max, "all but the first {max} are refused");
    assert!(
        silent[..max].iter().all(Option::is_some),
        "the first {max} hold the slots"
    );

    // While full, a request is answered 503 (or, if every refusal slot is busy, closed).
    let request = b"GET /env?name=X HTTP/1.1\r\nHost: x\r\n\r\n";
    let full = (0..100)
        .find_map(|_| {
            exchange(host.addr, request).or_else(|| {
                std::thread::sleep(Duration::from_millis(100));
                None
            })
        })
        .expect("an answer while full");
    assert_eq!(full.status, 503, "{full:?}");
    assert_eq!(full.headers["retry-after"], "1");
    assert_eq!(full.headers["connection"], "close");
    assert!(problem_detail(&full).contains("connection limit"));

    // Once the silent connections close, their slots come back.
    silent.clear();
    let back = (0..100).find_map(|_| match exchange(host.addr, request) {
        Some(r) if r.status == 200 => Some(r),
        _ => {
            std::thread::sleep(Duration::from_millis(100));
            None
        }
    });
    assert!(back.is_some(), "served again once connections closed");
    assert_eq!(get(&host, "/.well-known/spin/health").0, 200);
    assert_eq!(get(&host, "/env?name=X").0, 200);
}

#[test]
fn a_malformed_chunked_body_is_a_400_that_never_reaches_the_guest() {
    let host = limited_app(|_| {}).start();
    let r = exchange(
        host.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(r.status, 400, "{r:?}");
    assert!(problem_detail(&r).contains("malformed"));
    assert_eq!(r.headers["connection"], "close");
    // A chunk longer than its declared size breaks the framing too.
    let r = exchange(
        host.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn content_length_with_transfer_encoding_is_a_400_whatever_their_order() {
    let host = limited_app(|_| {}).start();
    for head in [
        "Content-Length: 5\r\nTransfer-Encoding: chunked",
        "transfer-encoding: chunked\r\ncontent-length: 5",
    ] {
        let request = format!("POST /echo HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        let r = exchange(host.addr, request.as_bytes()).expect("an answer");
        assert_eq!(r.status, 400, "{head}: {r:?}");
        assert!(problem_detail(&r).contains("both Content-Length and Transfer-Encoding"));
    }
    // The same body with one framing header is fine.
    let r = exchange(
        host.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn a_body_over_the_size_limit_is_a_413() {
    let host = limited_app(|l| l.max_body_bytes = 1024).start();
    // Declared too large: refused from the head, before any of the body is read.
    let r = exchange(
        host.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(r.status, 413, "{r:?}");
    assert!(problem_detail(&r).contains("1024 bytes"));
    // Chunked past the limit.
    let chunk = format!("200\r\n{}\r\n", "a".repeat(0x200));
    let request = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(3)
    );
    let r = exchange(host.addr, request.as_bytes()).expect("an answer");
    assert_eq!(r.status, 413, "{r:?}");
    // At the limit exactly is fine.
    let request = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(2)
    );
    let r = exchange(host.addr, request.as_bytes()).expect("an answer");
    assert_eq!((r.status, r.body.len()), (200, 1024));
}

#[test]
fn a_body_slower_than_the_body_timeout_is_a_408() {
    let host = limited_app(|l| l.body_timeout = Duration::from_secs(1)).start();
    let started = Instant::now();
    let r = exchange(
        host.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    )
    .expect("an answer");
    assert_eq!(r.status, 408, "{r:?}");
    assert!(problem_detail(&r).contains("did not arrive"));
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(r.headers["connection"], "close");
}

#[test]
fn chunked_and_content_length_bodies_reach_the_guest_intact() {
    let host = limited_app(|_| {}).start();
    // Chunked, in pieces written apart.
    let mut stream = TcpStream::connect(host.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for piece in [
        "5\r\nhello\r\n",
        "1\r\n \r\n",
        "5;ext=1\r\nworld\r\n",
        "0\r\nX-Trailer: t\r\n\r\n",
    ] {
        std::thread::sleep(Duration::from_millis(50));
        stream.write_all(piece.as_bytes()).unwrap();
    }
    let r = read_response(&mut stream).expect("an answer");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello world"[..]), "{r:?}");
    assert_eq!(r.headers["x-echo-method"], "POST");
    assert_eq!(
        (
            r.headers["x-echo-transfer-encoding"].as_str(),
            r.headers["x-echo-content-length"].as_str()
        ),
        ("-", "-"),
        "as before the runtime read bodies: wasi:http keeps transfer-encoding from guests, and none was added"
    );
    // The connection stays usable after a body read by the runtime.
    stream
        .write_all(b"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    let r = read_response(&mut stream).expect("a second answer");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]), "{r:?}");
    assert_eq!(r.headers["x-echo-method"], "PUT");
    assert_eq!(r.headers["x-echo-content-length"], "3");

    // Content-Length, binary, larger than one read.
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = reqwest::blocking::Client::new()
        .post(format!("http://{}/echo", host.addr))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-echo-content-length"], "300000");
    assert_eq!(r.bytes().unwrap().as_ref(), body.as_slice(), "the same bytes");
}

#[test]
fn tls_connections_are_held_to_the_header_timeout_too() {
    let (mut app, config) = tls_app();
    app.opts.limits.header_timeout = Duration::from_secs(1);
    let host = app.start();
    // No handshake at all.
    let mut silent = TcpStream::connect(host.addr).unwrap();
    let (after, _) = wait_closed(&mut silent, Duration::from_secs(20)).expect("closed by the server");
    assert!(after >= Duration::from_millis(900), "{after:?}");
    // A handshake, then no request.
    let mut tls = tls_connect(host.addr, config.clone());
    let started = Instant::now();
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    tls.sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 64];
    match tls.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("unexpected {n} bytes"),
        Err(e) => assert!(
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
            "still open: {e}"
        ),
    }
    assert!(started.elapsed() >= Duration::from_millis(900));
    // And a prompt client is served.
    let mut tls = tls_connect(host.addr, config);
    write!(
        tls,
        "GET /env?name=X HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    assert_eq!(read_response(&mut tls).expect("an answer").status, 200);
}

/// The `crm-host` binary serving a test app, under `sh` with `ulimit -n` when asked;
/// its stderr is collected. Killed (by its own pid) when dropped.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Binary {
    fn start(app: &TestApp, open_files: Option<u32>, flags: &[&str]) -> Binary {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let script = match open_files {
            Some(n) => format!("ulimit -n {n} && exec \"$0\" \"$@\""),
            None => "exec \"$0\" \"$@\"".to_string(),
        };
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_crm-host"))
            .arg("up")
            .arg("--from")
            .arg(&app.opts.manifest)
            .args(["--listen", "127.0.0.1:0", "--quiet"])
            .arg("--state-dir")
            .arg(&app.opts.state_dir)
            .arg("--cache-dir")
            .arg(&app.opts.cache_dir)
            .args(flags)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (collected, pipe) = (stderr.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = collected.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("Serving http://")
            .unwrap_or_else(|| panic!("no `Serving` line: {first:?}; stderr: {}", stderr.lock().unwrap()))
            .parse()
            .unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Binary { child, addr, stderr }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) until the log has `text`.
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?} in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// CPU time the process has used, in clock ticks (1/100 s on Linux).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn out_of_file_descriptors_the_server_backs_off_quietly_and_recovers() {
    let app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    // A cap above what the open-file limit allows, so that `accept` runs out first.
    let bin = Binary::start(
        &app,
        Some(OPEN_FILES_FOR_EXHAUSTION),
        &["--max-connections", "10000", "--header-timeout-secs", "300"],
    );
    bin.wait_for_log("raise `ulimit -n`");
    let held: Vec<TcpStream> = (0..OPEN_FILES_FOR_EXHAUSTION + 20)
        .map_while(|_| TcpStream::connect_timeout(&bin.addr, Duration::from_secs(5)).ok())
        .collect();
    bin.wait_for_log("accept failed: Too many open files");
    // Out of descriptors for 2 s: no hot loop (CPU well under the wall time), one log line.
    let before = bin.cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let used = bin.cpu_ticks() - before;
    assert!(used < 100, "{used} ticks of CPU in 2 s while out of descriptors");
    assert_eq!(bin.log().matches("accept failed").count(), 1, "{}", bin.log());
    // Descriptors come back when the clients go; so does service.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    while get_status(bin.addr, "/.well-known/spin/health") != Some(200) {
        assert!(Instant::now() < deadline, "not serving again:\n{}", bin.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    bin.wait_for_log("accept recovered");
    assert_eq!(get_status(bin.addr, "/env?name=X"), Some(200));
}

/// The open-file limit the exhaustion test gives the binary: enough to start and serve,
/// few enough to run out with a few dozen connections.
const OPEN_FILES_FOR_EXHAUSTION: u32 = 96;

fn get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    reqwest::blocking::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(5))
        .send()
        .ok()
        .map(|r| r.status().as_u16())
}

#[test]
fn limits_are_set_by_flags_and_refusals_are_logged_as_the_clients_fault() {
    let app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_crm-host"))
        .args(["up", "--header-timeout-secs", "0"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a zero timeout is refused");
    let bin = Binary::start(
        &app,
        None,
        &[
            "--max-body-bytes",
            "16",
            "--body-timeout-secs",
            "1",
            "--header-timeout-secs",
            "5",
            "--idle-timeout-secs",
            "5",
            "--max-connections",
            "100",
        ],
    );
    let cases: [(&[u8], u16, &str); 4] = [
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
            400,
            "client 127.0.0.1: malformed chunked body (400)",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "client 127.0.0.1: both Content-Length and Transfer-Encoding (400)",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n",
            413,
            "client 127.0.0.1: body over 16 bytes (413)",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\nslow",
            408,
            "client 127.0.0.1: body not received within 1s (408)",
        ),
    ];
    for (request, status, line) in cases {
        let r = exchange(bin.addr, request).expect("an answer");
        assert_eq!(r.status, status, "{line}: {r:?}");
        bin.wait_for_log(line);
    }
    let ok = exchange(
        bin.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\nConnection: close\r\n\r\nsixteen bytes ok",
    )
    .expect("an answer");
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"sixteen bytes ok"[..]));
    let log = bin.log();
    assert!(!log.contains("trapped") && !log.contains("failed"), "{log}");
}

#[test]
fn a_scheduled_request_reaches_the_app_every_interval_with_headers_from_variables() {
    let components = "[component.probe]\nsource = \"PROBE\"\nkey_value_stores = [\"default\"]\n";
    let mut app = TestApp::new(&[("/probe/...", "probe")], components);
    let manifest = std::fs::read_to_string(&app.opts.manifest).unwrap().replace(
        "[[trigger.http]]",
        "[variables]\nprobe_secret = { default = \"from-a-variable\" }\n[[trigger.http]]",
    );
    std::fs::write(&app.opts.manifest, manifest).unwrap();
    let mut schedule = crm_host::schedule::Schedule::parse("200ms POST /probe/remember?x=1").unwrap();
    schedule
        .headers
        .push(crm_host::schedule::parse_header("X-Probe: s-{{ probe_secret }}").unwrap());
    app.opts.schedules = vec![schedule.clone()];
    let host = app.start();
    assert_eq!(
        json(&host, "/probe/recall")["count"],
        0,
        "nothing before the first interval"
    );
    std::thread::sleep(Duration::from_millis(1100));
    let seen = json(&host, "/probe/recall");
    let count = seen["count"].as_u64().unwrap();
    assert!((3..=6).contains(&count), "about five in a second: {seen}");
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["x-probe"], "s-from-a-variable");
    assert_eq!(
        seen["spin-full-url"],
        format!("http://{}/probe/remember?x=1", host.addr)
    );
    host.stop();

    // A header naming a variable without a value stops the start, naming it.
    schedule.headers = vec![crm_host::schedule::parse_header("X-Probe: {{ nope }}").unwrap()];
    app.opts.schedules = vec![schedule];
    let problems = app.start_err();
    assert!(problems.to_string().contains("nope"), "{problems}");
}
