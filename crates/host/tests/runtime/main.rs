//! Runtime tests: real wasm components (the `fixture-probe` test component) on the real
//! runtime over real HTTP on 127.0.0.1, one capability per test.
//!
//! The probe is built by `cargo xtask test` before the tests run. Each test writes its own
//! `spin.toml` into a temp dir, pointing at the probe, and starts the host in-process.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crm_host::manifest::Problems;
use crm_host::{HostOptions, RunningHost};
use serde_json::Value;

fn probe_wasm() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let wasm = target.join("wasm32-wasip2/release/fixture_probe.wasm");
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
        let wasm = probe_wasm().to_string_lossy().replace('\\', "/");
        manifest.push_str(&components.replace("PROBE", &wasm));
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
            ("/users/:id/headers", "param"),
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

    let h = json(&host, "/users/42/headers");
    assert_eq!(h["spin-matched-route"], "/users/:id/headers");
    assert_eq!(h["spin-path-match-id"], "42");

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

#[test]
fn compiled_components_are_cached_by_content_hash() {
    let mut app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    app.opts.cache_dir = app.dir.path().join("cache");
    app.start().stop();
    let entries = || std::fs::read_dir(app.dir.path().join("cache")).unwrap().count();
    assert_eq!(entries(), 1);
    let host = app.start();
    assert_eq!(entries(), 1, "a restart reuses the cached machine code");
    assert_eq!(json(&host, "/env?name=X")["value"], Value::Null);
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

#[test]
fn tls_serves_https_with_the_given_certificate() {
    use tokio_rustls::rustls;
    let mut app = TestApp::new(&[("/...", "probe")], ONE_PROBE);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (app.dir.path().join("cert.pem"), app.dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    app.opts.tls = Some((cert_pem, key_pem));
    let host = app.start();
    assert_eq!(host.scheme, "https");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(host.addr).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
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
