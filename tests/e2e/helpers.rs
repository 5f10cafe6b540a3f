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
    /// The HTTP client (30 s timeout), for requests the helpers do not shape.
    pub client: reqwest::blocking::Client,
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
    spawn_app_with(state, &[], &[])
}

/// Starts the app on `state` with more `crm-host up` options (`--tls-cert`...).
pub fn spawn_app_with_args(state: tempfile::TempDir, extra: &[&std::ffi::OsStr]) -> TestApp {
    spawn_app_with(state, &[], extra)
}

/// Starts the app with a new state dir and these app variables (`("tick_secret", "x")` is
/// passed as `SPIN_VARIABLE_TICK_SECRET=x`).
pub fn spawn_app_with_variables(variables: &[(&str, &str)]) -> TestApp {
    spawn_app_with(tempfile::tempdir().expect("state dir"), variables, &[])
}

fn spawn_app_with(state: tempfile::TempDir, variables: &[(&str, &str)], extra: &[&std::ffi::OsStr]) -> TestApp {
    let log = std::env::var_os("TEST_LOG").is_some();
    let mut command = Command::new(host_binary());
    for (name, value) in variables {
        command.env(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()), value);
    }
    let mut child = command
        .args(["up", "--listen", "127.0.0.1:0", "--from"])
        .arg(root().join("spin.toml"))
        .arg("--state-dir")
        .arg(state.path())
        .arg("--cache-dir")
        .arg(std::env::temp_dir().join("crm-host-test-cache"))
        .args(extra)
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

    /// A request with a JSON body (if any) and credentials.
    pub fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &Auth,
        body: Option<serde_json::Value>,
    ) -> reqwest::blocking::Response {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &auth.bearer {
            req = req.bearer_auth(token);
        }
        if let Some(cookie) = &auth.cookie {
            req = req.header("cookie", cookie);
        }
        if let Some(csrf) = &auth.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().expect("request")
    }

    /// A JSON request with an `If-Match` header.
    pub fn send_if_match(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &Auth,
        if_match: &str,
        body: serde_json::Value,
    ) -> reqwest::blocking::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("if-match", if_match)
            .json(&body);
        if let Some(token) = &auth.bearer {
            req = req.bearer_auth(token);
        }
        req.send().expect("request")
    }

    /// A JSON POST with an `Idempotency-Key`.
    pub fn client_post_with_key(
        &self,
        path: &str,
        auth: &Auth,
        key: &str,
        body: serde_json::Value,
    ) -> reqwest::blocking::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("idempotency-key", key)
            .json(&body);
        if let Some(token) = &auth.bearer {
            req = req.bearer_auth(token);
        }
        req.send().expect("request")
    }

    /// Creates the first administrator and returns its API token.
    pub fn setup_admin(&self) -> Auth {
        let r = self.send(
            reqwest::Method::POST,
            "/api/auth/setup",
            &Auth::none(),
            Some(serde_json::json!({"email": ADMIN_EMAIL, "password": PASSWORD, "name": "Anna Admin"})),
        );
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().expect("setup JSON");
        Auth::bearer(body["token"].as_str().expect("token"))
    }

    /// Creates a user with the given role codes (as `admin`), returns its id.
    pub fn create_user(&self, admin: &Auth, email: &str, roles: &[&str], department_id: Option<i64>) -> i64 {
        let role_ids: Vec<i64> = roles.iter().map(|code| self.role_id(admin, code)).collect();
        let r = self.send(
            reqwest::Method::POST,
            "/api/users",
            admin,
            Some(serde_json::json!({"email": email, "name": email, "password": PASSWORD, "role_ids": role_ids, "department_id": department_id})),
        );
        let status = r.status();
        let body: serde_json::Value = r.json().expect("user JSON");
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// Creates a department (as `admin`), returns its id.
    pub fn department(&self, admin: &Auth, name: &str) -> i64 {
        let r = self.send(
            reqwest::Method::POST,
            "/api/departments",
            admin,
            Some(serde_json::json!({"name": name})),
        );
        assert_eq!(r.status(), 201);
        r.json::<serde_json::Value>().expect("department")["id"]
            .as_i64()
            .expect("id")
    }

    /// The id of the role with `code`.
    pub fn role_id(&self, admin: &Auth, code: &str) -> i64 {
        let page: serde_json::Value = self
            .send(
                reqwest::Method::GET,
                &format!("/api/roles?filter[code]={code}"),
                admin,
                None,
            )
            .json()
            .expect("roles");
        page["items"][0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no role {code}: {page}"))
    }

    /// Logs in; returns cookie + CSRF credentials.
    pub fn login(&self, email: &str, password: &str) -> Auth {
        let r = self.send(
            reqwest::Method::POST,
            "/api/auth/login",
            &Auth::none(),
            Some(serde_json::json!({"email": email, "password": password})),
        );
        assert_eq!(r.status(), 200, "login of {email}");
        let set_cookie = r.headers()["set-cookie"].to_str().expect("cookie").to_string();
        let cookie = set_cookie.split(';').next().expect("pair").to_string();
        let body: serde_json::Value = r.json().expect("login JSON");
        Auth {
            bearer: None,
            cookie: Some(cookie),
            csrf: body["csrf_token"].as_str().map(str::to_string),
        }
    }

    /// The default database, opened natively.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.state.path().join("sqlite_db.db")).expect("database")
    }
}

impl TestApp {
    /// Kills the runtime with SIGKILL (no graceful shutdown: requests in flight are cut, nothing
    /// is flushed) and starts a new one on the same state dir; `base` becomes its address.
    pub fn kill_hard_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = start_host_on(self.state.path());
        self.child = child;
        self.base = base;
    }
}

/// Starts crm-host on an existing state dir (port 0) and returns it with its base URL.
fn start_host_on(state: &Path) -> (Child, String) {
    let log = std::env::var_os("TEST_LOG").is_some();
    let mut child = Command::new(host_binary())
        .args(["up", "--listen", "127.0.0.1:0", "--from"])
        .arg(root().join("spin.toml"))
        .arg("--state-dir")
        .arg(state)
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
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if log {
                println!("{line}");
            }
        }
    });
    (child, base)
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

/// The first administrator's e-mail in tests.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// Credentials for a request.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// `Authorization: Bearer`.
    pub bearer: Option<String>,
    /// `Cookie: crm_session=...`.
    pub cookie: Option<String>,
    /// `X-CSRF-Token`.
    pub csrf: Option<String>,
}

impl Auth {
    /// No credentials.
    pub fn none() -> Auth {
        Auth::default()
    }

    /// A Bearer token.
    pub fn bearer(token: &str) -> Auth {
        Auth {
            bearer: Some(token.to_string()),
            ..Auth::default()
        }
    }

    /// The same session without its CSRF token.
    pub fn without_csrf(&self) -> Auth {
        Auth {
            csrf: None,
            ..self.clone()
        }
    }
}

/// Sends a request and asserts its status; returns the JSON body (`null` if there is none).
pub fn call(
    app: &TestApp,
    auth: &Auth,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
    status: u16,
) -> serde_json::Value {
    let r = app.send(method.clone(), path, auth, body.clone());
    let got = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(got, status, "{method} {path} {body:?}: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// `POST` that must create (201); returns the record.
pub fn post(app: &TestApp, auth: &Auth, path: &str, body: serde_json::Value) -> serde_json::Value {
    call(app, auth, reqwest::Method::POST, path, Some(body), 201)
}

/// `GET` that must succeed (200); returns the body.
pub fn get(app: &TestApp, auth: &Auth, path: &str) -> serde_json::Value {
    call(app, auth, reqwest::Method::GET, path, None, 200)
}

/// The ids of a list page's items, in order.
pub fn ids(page: &serde_json::Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// The `field` of each error of a problem, in order.
pub fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}
