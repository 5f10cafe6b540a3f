//! `spawn_app()`: the app on the real runtime binary, on port 0, with a fresh state dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running app; the process is killed on drop.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The state dir (`sqlite_db.db` ...).
    pub state: tempfile::TempDir,
    child: Child,
    client: reqwest::blocking::Client,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

fn host_binary() -> PathBuf {
    // target/release/deps/e2e-HASH -> target/release/crm-host
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("crm-host");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo xtask test`, which builds it",
        bin.display()
    );
    bin
}

/// Starts the app with a new, empty state dir.
pub fn spawn_app() -> TestApp {
    spawn_app_with_state(tempfile::tempdir().expect("state dir"))
}

/// Starts the app on a state dir the test prepared (e.g. a broken database).
pub fn spawn_app_with_state(state: tempfile::TempDir) -> TestApp {
    let log = std::env::var_os("TEST_LOG").is_some();
    let mut child = Command::new(host_binary())
        .args(["up", "--listen", "127.0.0.1:0", "--from"])
        .arg(root().join("spin.toml"))
        .arg("--state-dir")
        .arg(state.path())
        .arg("--cache-dir")
        .arg(std::env::temp_dir().join("crm-host-test-cache"))
        .stdout(Stdio::piped())
        .stderr(if log { Stdio::inherit() } else { Stdio::null() })
        .spawn()
        .expect("crm-host starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let base = first
        .strip_prefix("Serving ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    // Keep draining the access log so the host never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if log {
                println!("{line}");
            }
        }
    });
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    TestApp {
        base,
        state,
        child,
        client,
    }
}

impl TestApp {
    /// A GET with extra headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().expect("request")
    }

    /// A plain GET.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.get_with(path, &[])
    }

    /// Any method, no body.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::Response {
        self.client
            .request(method, format!("{}{path}", self.base))
            .send()
            .expect("request")
    }

    /// Status and body of a GET sent as raw bytes, so the path reaches the server unnormalised.
    pub fn raw_get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, response)
    }

    /// The default database, opened natively.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.state.path().join("sqlite_db.db")).expect("database")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts a response is an RFC 9457 problem with `status` and returns its body.
pub fn assert_problem(response: reqwest::blocking::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().expect("problem JSON");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["type"].is_string(), "{body}");
    body
}
