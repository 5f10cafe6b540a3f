//! Web forms in a real browser: Debian's chromium, driven by playwright-core from
//! `tests/browser/run.mjs`, fills and sends the hosted page (`/f/<key>`) and the same form
//! embedded by its script on a page of another origin; then the API must show exactly one
//! lead with what was typed and the page's `utm_source`. Needs what `.ci/run` installs
//! (`chromium`, `npm ci` in `tests/browser`): without it these tests fail saying so.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, root, spawn_app};

pub(crate) const INSTALL_HINT: &str =
    "run `.ci/run` (or `apt-get install -y chromium` and `npm ci` in tests/browser) first";

/// Chromium's path: `$CHROMIUM`, else Debian's.
pub(crate) fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub(crate) fn browser_dir() -> PathBuf {
    root().join("tests/browser")
}

/// Fails (never skips) when the browser tooling is missing.
pub(crate) fn require_tooling() {
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "the browser test needs {}: {INSTALL_HINT}",
        chromium.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the browser test needs Node.js (`node`): {INSTALL_HINT}"
    );
    let playwright = browser_dir().join("node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "{} is missing: {INSTALL_HINT}",
        playwright.display()
    );
}

/// Runs `node <args>` in `tests/browser` with `input` as JSON on stdin and returns the last JSON
/// line it printed (the outcome) and its stderr. Shared by these tests and `ui_browser`.
pub fn run_node(args: &[&str], input: &Value) -> (Value, String) {
    require_tooling();
    let mut child = Command::new("node")
        .args(args)
        .current_dir(browser_dir())
        .env("CHROMIUM", chromium())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting node: {e}: {INSTALL_HINT}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("writing the input");
    let output = child.wait_with_output().expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let outcome: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| {
            panic!(
                "node {args:?} printed no result ({}): {stdout}\n{stderr}",
                output.status
            )
        });
    (outcome, stderr)
}

/// Asserts the page neither broke its Content-Security-Policy nor threw.
pub fn assert_clean_page(outcome: &Value) {
    let console = outcome["console"].as_array().cloned().unwrap_or_default();
    let violations: Vec<&Value> = console
        .iter()
        .filter(|m| {
            m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("Content Security Policy")
        })
        .collect();
    assert!(
        violations.is_empty(),
        "the page broke its Content-Security-Policy: {violations:?}"
    );
    assert_eq!(outcome["page_errors"], json!([]), "script errors on the page");
}

/// Runs one scenario (see `tests/browser/run.mjs`) and returns its per-step results; panics
/// with everything the browser saw if a step failed.
fn run_scenario(scenario: &Value) -> Value {
    let (outcome, stderr) = run_node(&["run.mjs"], scenario);
    if outcome["ok"] != true {
        let html = outcome["html"].as_str().unwrap_or_default();
        panic!(
            "browser scenario failed at step {} ({}): {}\nurl: {}\nconsole: {}\npage errors: {}\npage: {}\nstderr: {stderr}",
            outcome["failed_step"],
            scenario["steps"][outcome["failed_step"].as_u64().unwrap_or(0) as usize],
            outcome["error"],
            outcome["url"],
            outcome["console"],
            outcome["page_errors"],
            &html[..html.len().min(4000)],
        );
    }
    assert_clean_page(&outcome);
    outcome["results"].clone()
}

/// Creates the form of the example; returns `(public_key, the created record)`.
fn create_form(app: &TestApp, admin: &Auth, allowed_origin: &str) -> (String, Value) {
    create_form_with(app, admin, allowed_origin, json!({}))
}

/// [`create_form`] with more of the definition (`extra` overrides).
fn create_form_with(app: &TestApp, admin: &Auth, allowed_origin: &str, extra: Value) -> (String, Value) {
    let mut body = json!({
            "name": "Contact us",
            "fields": [
                {"name": "name", "target": "name", "label": {"en": "Your name"}, "required": true},
                {"name": "email", "target": "email", "label": {"en": "E-mail"}, "type": "email", "required": true},
                {"name": "phone", "target": "phone", "label": {"en": "Phone"}, "type": "tel"}
            ],
            "responsible_ids": [1],
            "consent": {"text": "I agree to the processing of my data", "required": true},
            "allowed_origins": [allowed_origin]
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let r = app.send(Method::POST, "/api/forms", admin, Some(body));
    let status = r.status();
    let form: Value = r.json().expect("form JSON");
    assert_eq!(status, 201, "{form}");
    let key = form["public_key"].as_str().expect("public_key").to_string();
    assert_eq!(form["public_url"], format!("{}/f/{key}", app.base), "{form}");
    (key, form)
}

/// The steps that fill the form and tick consent, then wait past the time token's minimum.
fn fill_steps(name: &str, email: &str, phone: &str) -> Vec<Value> {
    vec![
        json!({"fill_label": "Your name", "value": name}),
        json!({"fill_label": "E-mail", "value": email}),
        json!({"fill_label": "Phone", "value": phone}),
        json!({"check_label": "I agree to the processing of my data"}),
        // A person needs more than the token's 2 s minimum; a faster post is quarantined.
        json!({"wait_ms": 2500}),
        json!({"click_button": "Send"}),
    ]
}

/// Exactly one lead found by `email`, with the typed name, e-mail, phone and `utm_source`.
fn assert_one_lead(app: &TestApp, admin: &Auth, name: &str, email: &str, e164: &str, utm_source: &str) {
    let r = app.send(Method::GET, &format!("/api/leads?q={email}"), admin, None);
    assert_eq!(r.status(), 200);
    let page: Value = r.json().expect("leads");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "leads for {email}: {page}");
    let all: Value = app.send(Method::GET, "/api/leads", admin, None).json().expect("leads");
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(1),
        "one submission, one lead: {all}"
    );
    let id = items[0]["id"].as_i64().expect("id");
    let lead: Value = app
        .send(Method::GET, &format!("/api/leads/{id}"), admin, None)
        .json()
        .expect("lead");
    let typed: Vec<&str> = ["first_name", "middle_name", "last_name"]
        .iter()
        .filter_map(|f| lead[*f].as_str())
        .collect();
    assert_eq!(typed.join(" "), name, "{lead}");
    assert_eq!(lead["emails"][0]["value"], email, "{lead}");
    assert_eq!(lead["phones"][0]["e164"], e164, "{lead}");
    assert_eq!(lead["utm_source"], utm_source, "{lead}");
    assert_eq!(lead["source"], "WEBFORM", "{lead}");
}

#[test]
fn a_visitor_sends_the_hosted_form_and_lands_on_the_thank_you_page() {
    require_tooling();
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = create_form(&app, &admin, "https://shop.example");
    let url = format!("{}/f/{key}?utm_source=newsletter", app.base);
    let mut steps = vec![
        json!({"goto": url}),
        // The page's one inline script ran under its CSP and copied the UTM tag.
        json!({"value": "input[name=utm_source]"}),
        json!({"value": "input[name=_page_url]"}),
        json!({"attribute": "input[name=_consent]", "name": "value"}),
    ];
    steps.extend(fill_steps("Maria Ivanova", "maria@example.com", "+7 999 123-45-67"));
    steps.push(json!({"wait_url": format!("/f/{key}/thanks")}));
    steps.push(json!({"text": "main"}));
    let results = run_scenario(&json!({"steps": steps}));
    assert_eq!(results[1], "newsletter");
    assert_eq!(results[2], url);
    assert_eq!(results[3], "yes");
    let thanks = results
        .as_array()
        .and_then(|r| r.last())
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(thanks.contains("Thank you! We will contact you soon."), "{thanks}");
    assert_one_lead(
        &app,
        &admin,
        "Maria Ivanova",
        "maria@example.com",
        "+79991234567",
        "newsletter",
    );
}

#[test]
fn without_javascript_the_hosted_page_posts_plainly_and_still_gets_there() {
    require_tooling();
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = create_form(&app, &admin, "https://shop.example");
    let mut steps = vec![
        json!({"goto": format!("{}/f/{key}?utm_source=print", app.base)}),
        json!({"value": "input[name=utm_source]"}),
    ];
    steps.extend(fill_steps("Ivan Sidorov", "ivan@example.com", "8 (926) 555-44-33"));
    steps.push(json!({"wait_url": format!("/f/{key}/thanks")}));
    steps.push(json!({"text": "main"}));
    let results = run_scenario(&json!({"javascript": false, "steps": steps}));
    assert_eq!(results[1], "", "no script filled the input");
    let thanks = results
        .as_array()
        .and_then(|r| r.last())
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(thanks.contains("Thank you! We will contact you soon."), "{thanks}");
    // The tag still arrives: the intake reads it from the post's Referer.
    assert_one_lead(
        &app,
        &admin,
        "Ivan Sidorov",
        "ivan@example.com",
        "+79265554433",
        "print",
    );
}

#[test]
fn a_forms_redirect_to_the_sites_own_thank_you_page_is_followed() {
    require_tooling();
    // Chromium checks `form-action` on the redirect after a post too: the page's CSP must let
    // the 303 go to the form's `redirect_url` on another origin.
    let app = spawn_app();
    let admin = app.setup_admin();
    let (listener, origin) = Site::bind();
    let redirect = format!("{origin}/landing/thanks.html");
    let (key, _) = create_form_with(&app, &admin, &origin, json!({"redirect_url": redirect}));
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title></head>\n\
                <body><h1>Thanks from Acme</h1></body></html>\n";
    let _site = Site::serve(listener, origin, page.to_string(), &app.base);
    let mut steps = vec![json!({"goto": format!("{}/f/{key}?utm_source=newsletter", app.base)})];
    steps.extend(fill_steps("Maria Ivanova", "maria@example.com", "+7 999 123-45-67"));
    steps.push(json!({"wait_url": redirect}));
    steps.push(json!({"text": "h1"}));
    let results = run_scenario(&json!({"steps": steps}));
    assert_eq!(
        results.as_array().and_then(|r| r.last()),
        Some(&json!("Thanks from Acme"))
    );
    assert_one_lead(
        &app,
        &admin,
        "Maria Ivanova",
        "maria@example.com",
        "+79991234567",
        "newsletter",
    );
}

/// A tiny static site on its own port (another origin than the app): every `/landing…` path is `page`,
/// served with a strict CSP that lets in only the app's script and its `fetch`.
struct Site {
    origin: String,
    stop: Arc<AtomicBool>,
}

impl Site {
    fn bind() -> (TcpListener, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("site port");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        (listener, origin)
    }

    fn serve(listener: TcpListener, origin: String, page: String, app_base: &str) -> Site {
        let csp = format!(
            "default-src 'none'; script-src {app_base}; connect-src {app_base}; style-src 'self'; base-uri 'none'"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &page, &csp);
                }
            }
        });
        Site { origin, stop }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.origin.trim_start_matches("http://"));
    }
}

fn answer(stream: TcpStream, page: &str, csp: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let response = if path.starts_with("/landing") {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Security-Policy: {csp}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
    };
    let mut stream = &stream;
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// The form, embedded by its snippet in a page of another origin (allowed by the form).
fn embedded_form(app: &TestApp, admin: &Auth) -> (String, Site) {
    let (listener, origin) = Site::bind();
    let (key, form) = create_form(app, admin, &origin);
    let snippet = form["embed"]["script"].as_str().expect("embed snippet");
    assert!(
        snippet.contains(&format!("data-target=\"crm-form-{key}\"")),
        "{snippet}"
    );
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Acme landing</title></head>\n\
         <body>\n<h1>Acme</h1>\n<p>Leave us your contacts.</p>\n{snippet}\n</body>\n</html>\n"
    );
    (key, Site::serve(listener, origin, page, &app.base))
}

#[test]
fn a_form_embedded_on_another_site_renders_and_posts_by_fetch() {
    require_tooling();
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, site) = embedded_form(&app, &admin);
    let target = format!("#crm-form-{key}");
    let mut steps = vec![
        json!({"goto": format!("{}/landing.html?utm_source=partner&utm_medium=cpc", site.origin)}),
        json!({"wait_selector": format!("{target} form")}),
        json!({"count": format!("{target} input[name=_hp]")}),
        json!({"attribute": format!("{target} [aria-hidden=true]:has(input[name=_hp])"), "name": "aria-hidden"}),
    ];
    steps.extend(fill_steps("Oleg Petrov", "oleg@example.com", "+7 916 000-11-22"));
    steps.push(json!({"wait_text": "Thank you! We will contact you soon."}));
    steps.push(json!({"count": format!("{target} form")}));
    steps.push(json!({"text": format!("{target} [role=status]")}));
    let results = run_scenario(&json!({"steps": steps}));
    assert_eq!(results[2], 1, "one honeypot");
    assert_eq!(results[3], "true");
    let n = results.as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(results[n - 2], 0, "the form is replaced by the message");
    assert_eq!(results[n - 1], "Thank you! We will contact you soon.");
    assert_one_lead(
        &app,
        &admin,
        "Oleg Petrov",
        "oleg@example.com",
        "+79160001122",
        "partner",
    );
}

#[test]
fn the_servers_field_errors_show_beside_the_embedded_fields_and_the_fix_goes_through() {
    require_tooling();
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, site) = embedded_form(&app, &admin);
    let name_input = format!("#crm-{key}-0");
    let steps = json!([
        {"goto": format!("{}/landing.html?utm_source=retry", site.origin)},
        {"wait_selector": format!("#crm-form-{key} form")},
        // A browser without constraint validation: the server's check is what stops the post.
        {"eval": "document.querySelectorAll('.crm-form [required]').forEach((e) => { e.required = false; })"},
        {"fill_label": "E-mail", "value": "ann@example.com"},
        {"wait_ms": 2500},
        {"click_button": "Send"},
        {"wait_selector": format!("{name_input}-error")},
        {"text": format!("{name_input}-error")},
        {"attribute": name_input, "name": "aria-invalid"},
        {"eval": "document.activeElement.name"},
        {"text": format!("#crm-{key}-consent-error")},
        // Corrected, the same form posts again: a new submission, not a replay of the invalid one.
        {"fill_label": "Your name", "value": "Ann Lee"},
        {"check_label": "I agree to the processing of my data"},
        {"click_button": "Send"},
        {"wait_text": "Thank you! We will contact you soon."},
    ]);
    let results = run_scenario(&json!({"steps": steps}));
    assert!(!results[7].as_str().unwrap_or_default().is_empty(), "{results}");
    assert_eq!(results[8], "true");
    assert_eq!(results[9], "name", "focus moves to the first invalid field");
    assert!(!results[10].as_str().unwrap_or_default().is_empty(), "{results}");
    let r = app.send(Method::GET, "/api/leads?q=ann@example.com", &admin, None);
    let page: Value = r.json().expect("leads");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(
        (items[0]["first_name"].as_str(), items[0]["last_name"].as_str()),
        (Some("Ann"), Some("Lee"))
    );
}
