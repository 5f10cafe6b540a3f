//! `wasi:sockets` by `allowed_outbound_hosts`, as Spin's conformance tests try it: the probe
//! sends `ping` to echo servers on 127.0.0.1 and each component's manifest decides.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};

use super::{TestApp, json};

/// A TCP server answering `pong:` and what it read until the client's end of stream.
fn tcp_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut got = Vec::new();
            let _ = stream.read_to_end(&mut got);
            let _ = stream.write_all(&[b"pong:".as_slice(), &got].concat());
        }
    });
    addr
}

/// A UDP server answering each datagram with `pong:` and the datagram.
fn udp_echo() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&[b"pong:".as_slice(), &buf[..n]].concat(), from);
        }
    });
    addr
}

/// Components named by the entries they are allowed, each routed at `/<id>/...`.
fn app_of(components: &[(&str, &str)], extra: &str) -> TestApp {
    let triggers: Vec<(String, &str)> = components.iter().map(|(id, _)| (format!("/{id}/..."), *id)).collect();
    let triggers: Vec<(&str, &str)> = triggers.iter().map(|(r, c)| (r.as_str(), *c)).collect();
    let mut toml = String::from(extra);
    for (id, allowed) in components {
        toml.push_str(&format!(
            "[component.{id}]\nsource = \"PROBE\"\nallowed_outbound_hosts = [{allowed}]\n"
        ));
    }
    TestApp::new(&triggers, &toml)
}

const DENIED: &str = "permission denied";

#[test]
fn tcp_reaches_exactly_the_addresses_and_ports_allowed() {
    let echo = tcp_echo();
    let port = echo.port();
    let app = app_of(
        &[
            ("exact", &format!("\"tcp://127.0.0.1:{port}\"")),
            ("any-scheme", &format!("\"*://127.0.0.1:{port}\"")),
            ("cidr", &format!("\"*://127.0.0.0/24:{port}\"")),
            (
                "templated",
                &format!("\"*://{{{{ addr_prefix }}}}/{{{{ prefix_len }}}}:{port}\""),
            ),
            ("port-range", &format!("\"tcp://127.0.0.1:{}..{}\"", port - 1, port + 1)),
            ("any-port", "\"tcp://127.0.0.1:*\""),
            ("by-name", &format!("\"tcp://localhost:{port}\"")),
            ("wrong-port", &format!("\"tcp://127.0.0.1:{}\"", port + 1)),
            ("range-before", &format!("\"tcp://127.0.0.1:{}..{port}\"", port - 2)),
            ("outside-cidr", &format!("\"*://127.0.1.0/24:{port}\"")),
            ("udp-only", &format!("\"udp://127.0.0.1:{port}\"")),
            ("http-only", &format!("\"http://127.0.0.1:{port}\"")),
            ("nothing", ""),
        ],
        "[variables]\naddr_prefix = { default = \"127.0.0.0\" }\nprefix_len = { default = \"24\" }\n",
    );
    let host = app.start();
    let tcp = |id: &str| json(&host, &format!("/{id}/tcp?addr={echo}"));
    for id in [
        "exact",
        "any-scheme",
        "cidr",
        "templated",
        "port-range",
        "any-port",
        "by-name",
    ] {
        assert_eq!(tcp(id), serde_json::json!({ "reply": "pong:ping" }), "{id} is allowed");
    }
    for id in [
        "wrong-port",
        "range-before",
        "outside-cidr",
        "udp-only",
        "http-only",
        "nothing",
    ] {
        assert_eq!(tcp(id), serde_json::json!({ "error": DENIED }), "{id} is refused");
    }
}

#[test]
fn udp_reaches_exactly_the_addresses_allowed() {
    let echo = udp_echo();
    let port = echo.port();
    let app = app_of(
        &[
            ("udp", &format!("\"udp://127.0.0.1:{port}\"")),
            ("cidr", &format!("\"*://127.0.0.0/8:{port}\"")),
            ("tcp-only", &format!("\"tcp://127.0.0.1:{port}\"")),
            ("wrong-port", &format!("\"udp://127.0.0.1:{}\"", port + 1)),
        ],
        "",
    );
    let host = app.start();
    let udp = |id: &str| json(&host, &format!("/{id}/udp?addr={echo}"));
    for id in ["udp", "cidr"] {
        assert_eq!(udp(id), serde_json::json!({ "reply": "pong:ping" }), "{id} is allowed");
    }
    for id in ["tcp-only", "wrong-port"] {
        assert_eq!(udp(id), serde_json::json!({ "error": DENIED }), "{id} is refused");
    }
}

#[test]
fn name_lookups_work_only_for_a_component_with_sockets() {
    let app = app_of(
        &[
            ("sockets", "\"tcp://localhost:1\""),
            ("http", "\"https://example.com\""),
        ],
        "",
    );
    let host = app.start();
    let found = json(&host, "/sockets/lookup?name=localhost");
    assert!(
        found["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "127.0.0.1" || a == "::1"),
        "{found}"
    );
    // A refused lookup is `access-denied` in wasi:sockets, which std's resolver reports as an
    // uncategorized failure.
    assert_eq!(
        json(&host, "/http/lookup?name=localhost"),
        serde_json::json!({ "error": "uncategorized error" })
    );
}

#[test]
fn entries_spin_refuses_stop_the_start_with_the_entry_named() {
    let app = app_of(
        &[
            ("no-port", "\"tcp://127.0.0.1\""),
            ("bad-range", "\"*://127.0.0.0/40:1\""),
            ("unknown-variable", "\"*://{{ nope }}:1\""),
        ],
        "",
    );
    let problems = app.start_err().to_string();
    for expected in [
        "[component.no-port] allowed_outbound_hosts entry `tcp://127.0.0.1`: it has no port",
        "[component.bad-range] allowed_outbound_hosts entry `*://127.0.0.0/40:1`: `/40` is not a prefix length",
        "[component.unknown-variable] allowed_outbound_hosts entry `*://{{ nope }}:1`: it refers to `{{ nope }}`",
    ] {
        assert!(problems.contains(expected), "missing {expected:?} in {problems}");
    }

    let app = app_of(
        &[("templated", "\"*://{{ prefix }}/24:1\"")],
        "[variables]\nprefix = { default = \"not an address\" }\n",
    );
    let problems = app.start_err().to_string();
    assert!(
        problems.contains("entry `*://{{ prefix }}/24:1`: `*://not an address/24:1`: it has a path"),
        "{problems}"
    );
}
