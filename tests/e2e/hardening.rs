//! The adversarial probe's findings (issue 10), one regression test each: what a manager may
//! write outside their scope, credentials that must stay dead, rate limits under concurrency,
//! header-bound URLs and origins, and the small cases that answered 500 or matched too much.
//! Money bounds live in `money.rs`, the runtime's connection limits in crm-host's own tests.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, call, fields, get, post, spawn_app};

/// The administrator and two managers in different departments (Sales, Support), each logged in.
struct Firm {
    admin: Auth,
    sales: Auth,
    sales_id: i64,
    support: Auth,
    support_id: i64,
}

fn firm(app: &TestApp) -> Firm {
    let admin = app.setup_admin();
    let sales_department = app.department(&admin, "Sales");
    let support_department = app.department(&admin, "Support");
    let sales_id = app.create_user(&admin, "sales@example.com", &["manager"], Some(sales_department));
    let support_id = app.create_user(&admin, "support@example.com", &["manager"], Some(support_department));
    Firm {
        sales: app.login("sales@example.com", PASSWORD),
        support: app.login("support@example.com", PASSWORD),
        admin,
        sales_id,
        support_id,
    }
}

fn id(record: &Value) -> i64 {
    record["id"].as_i64().unwrap_or_else(|| panic!("no id in {record}"))
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.db().query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn companies_keep_messengers_through_create_update_bulk_and_filters() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let company = post(
        &app,
        &admin,
        "/api/companies",
        json!({"title": "Acme", "messengers": [{"value": "@acme", "type": "telegram"}]}),
    );
    assert_eq!(company["messengers"][0]["value"], "@acme");
    let path = format!("/api/companies/{}", id(&company));
    let patched = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"messengers": [{"value": "@acme_sales", "type": "telegram"}]})),
        200,
    );
    assert_eq!(patched["messengers"][0]["value"], "@acme_sales");
    call(
        &app,
        &admin,
        Method::POST,
        "/api/companies/bulk",
        Some(
            json!({"action": "set", "ids": [id(&company)], "values": {"messengers": [{"value": "@bulk", "type": "telegram"}]}}),
        ),
        200,
    );
    let page = get(&app, &admin, "/api/companies?filter[messengers][like]=bulk");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
}

#[test]
fn references_to_records_the_caller_cannot_see_are_refused_like_missing_ones() {
    let app = spawn_app();
    let firm = firm(&app);
    let theirs_company = post(&app, &firm.support, "/api/companies", json!({"title": "Hidden Ltd"}));
    let theirs_contact = post(&app, &firm.support, "/api/contacts", json!({"first_name": "Hidden"}));
    let theirs_lead = post(&app, &firm.support, "/api/leads", json!({"title": "Hidden lead"}));
    let mine_company = post(&app, &firm.sales, "/api/companies", json!({"title": "Mine Ltd"}));
    post(
        &app,
        &firm.admin,
        "/api/custom-fields",
        json!({"entity": "deal", "code": "uf_partner", "label": {"en": "Partner"}, "type": "record", "record_entity": "company"}),
    );
    let missing = 999_999;
    let cases = [
        (
            "company_id",
            json!({"company_id": id(&theirs_company)}),
            json!({"company_id": missing}),
        ),
        (
            "contact_ids",
            json!({"contact_ids": [id(&theirs_contact)]}),
            json!({"contact_ids": [missing]}),
        ),
        (
            "origin_lead_id",
            json!({"origin_lead_id": id(&theirs_lead)}),
            json!({"origin_lead_id": missing}),
        ),
        (
            "custom.uf_partner",
            json!({"custom": {"uf_partner": id(&theirs_company)}}),
            json!({"custom": {"uf_partner": missing}}),
        ),
    ];
    let deal = post(&app, &firm.sales, "/api/deals", json!({"title": "Mine"}));
    let deal_path = format!("/api/deals/{}", id(&deal));
    let deals_before = count(&app, "SELECT COUNT(*) FROM deals");
    for (field, hidden, absent) in cases {
        let mut body = json!({"title": "Probe"});
        body.as_object_mut()
            .expect("object")
            .extend(hidden.as_object().expect("object").clone());
        let refused = assert_problem(app.send(Method::POST, "/api/deals", &firm.sales, Some(body)), 422);
        let missing_too = {
            let mut body = json!({"title": "Probe"});
            body.as_object_mut()
                .expect("object")
                .extend(absent.as_object().expect("object").clone());
            assert_problem(app.send(Method::POST, "/api/deals", &firm.sales, Some(body)), 422)
        };
        assert_eq!(fields(&refused), vec![field.to_string()], "{refused}");
        assert_eq!(
            refused["errors"][0]["code"], missing_too["errors"][0]["code"],
            "{field}"
        );
        let on_update = assert_problem(
            app.send(Method::PATCH, &deal_path, &firm.sales, Some(hidden.clone())),
            422,
        );
        assert_eq!(fields(&on_update), vec![field.to_string()], "{on_update}");
        // The administrator, who sees everything, may link the same record.
        call(&app, &firm.admin, Method::PATCH, &deal_path, Some(hidden), 200);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM deals"), deals_before);
    // Re-sending a link someone else made keeps it; adding one of your own still works.
    let kept = call(
        &app,
        &firm.sales,
        Method::PATCH,
        &deal_path,
        Some(json!({"contact_ids": [id(&theirs_contact)], "title": "Renamed"})),
        200,
    );
    assert_eq!(kept["title"], "Renamed");
    call(
        &app,
        &firm.sales,
        Method::PATCH,
        &deal_path,
        Some(json!({"company_id": id(&mine_company)})),
        200,
    );
    // No `linked` entry was written into a timeline the manager cannot read by the refused writes:
    // the hidden company's only link entries come from the administrator's patches.
    let timeline = get(
        &app,
        &firm.admin,
        &format!("/api/companies/{}/timeline", id(&theirs_company)),
    );
    let actors: Vec<&Value> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == "linked")
        .map(|e| &e["actor_id"])
        .collect();
    assert!(actors.iter().all(|a| **a != json!(firm.sales_id)), "{timeline}");
    // Activities bind only records the caller can see.
    let binding = assert_problem(
        app.send(
            Method::POST,
            "/api/activities",
            &firm.sales,
            Some(json!({"type": "CALL", "subject": "Probe", "bindings": [{"entity": "lead", "id": id(&theirs_lead)}]})),
        ),
        422,
    );
    assert_eq!(fields(&binding), vec!["bindings[0]"], "{binding}");
}

#[test]
fn changing_the_owner_on_update_is_checked_like_a_create() {
    let app = spawn_app();
    let firm = firm(&app);
    let lead = post(&app, &firm.sales, "/api/leads", json!({"title": "Mine"}));
    let path = format!("/api/leads/{}", id(&lead));
    assert_problem(
        app.send(
            Method::PATCH,
            &path,
            &firm.sales,
            Some(json!({"responsible_id": firm.support_id})),
        ),
        403,
    );
    assert_eq!(get(&app, &firm.sales, &path)["responsible_id"], firm.sales_id);
    // The same through bulk assign: refused as a whole.
    let bulk = app.send(
        Method::POST,
        "/api/leads/bulk",
        &firm.sales,
        Some(json!({"action": "assign", "ids": [id(&lead)], "responsible_id": firm.support_id})),
    );
    assert!(bulk.status().is_client_error(), "{}", bulk.status());
    assert_eq!(get(&app, &firm.sales, &path)["responsible_id"], firm.sales_id);
    // A head may assign within their department, not outside it.
    let head_id = {
        let sales_department = call(
            &app,
            &firm.admin,
            Method::GET,
            "/api/users?filter[email]=sales@example.com",
            None,
            200,
        )["items"][0]["department_id"]
            .as_i64()
            .expect("department");
        app.create_user(&firm.admin, "head@example.com", &["head"], Some(sales_department))
    };
    let head = app.login("head@example.com", PASSWORD);
    let deal = post(&app, &head, "/api/deals", json!({"title": "Team deal"}));
    let deal_path = format!("/api/deals/{}", id(&deal));
    call(
        &app,
        &head,
        Method::PATCH,
        &deal_path,
        Some(json!({"responsible_id": firm.sales_id})),
        200,
    );
    assert_problem(
        app.send(
            Method::PATCH,
            &deal_path,
            &head,
            Some(json!({"responsible_id": firm.support_id})),
        ),
        403,
    );
    assert_ne!(head_id, firm.support_id);
    // The administrator reassigns freely.
    call(
        &app,
        &firm.admin,
        Method::PATCH,
        &path,
        Some(json!({"responsible_id": firm.support_id})),
        200,
    );
}

#[test]
fn deactivation_ends_tokens_and_sessions_for_good() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let user_id = app.create_user(&admin, "leaver@example.com", &["manager"], None);
    let session = app.login("leaver@example.com", PASSWORD);
    let token = post(&app, &session, "/api/auth/tokens", json!({"name": "script"}));
    let bearer = Auth::bearer(token["token"].as_str().expect("token"));
    get(&app, &bearer, "/api/me");
    get(&app, &session, "/api/me");
    let user_path = format!("/api/users/{user_id}");
    let set_active = |active: bool| {
        call(
            &app,
            &admin,
            Method::PATCH,
            &user_path,
            Some(json!({ "active": active })),
            200,
        )
    };
    set_active(false);
    set_active(true);
    assert_problem(app.send(Method::GET, "/api/me", &bearer, None), 401);
    assert_problem(app.send(Method::GET, "/api/me", &session, None), 401);
    // The same through the deactivating DELETE.
    let again = app.login("leaver@example.com", PASSWORD);
    get(&app, &again, "/api/me");
    call(&app, &admin, Method::DELETE, &user_path, None, 204);
    set_active(true);
    assert_problem(app.send(Method::GET, "/api/me", &again, None), 401);
    // New credentials work.
    get(&app, &app.login("leaver@example.com", PASSWORD), "/api/me");
}

#[test]
fn tokens_are_parsed_strictly() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let token = admin.bearer.clone().expect("token");
    get(&app, &admin, "/api/me");
    let (id, secret) = token["crm_".len()..].split_once('_').expect("crm_<id>_<secret>");
    for forged in [
        format!("crm_0{id}_{secret}"),
        format!("crm_+{id}_{secret}"),
        format!("crm_{id}_{secret}="),
        format!("crm_{id}_{}", &secret[1..]),
    ] {
        assert_problem(app.send(Method::GET, "/api/me", &Auth::bearer(&forged), None), 401);
    }
}

#[test]
fn if_match_compares_strongly() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = post(&app, &admin, "/api/leads", json!({"title": "Versioned"}));
    let path = format!("/api/leads/{}", id(&lead));
    for weak in ["W/\"1\"", "\"01\"", "\"x\""] {
        let r = app.send_if_match(Method::PATCH, &path, &admin, weak, json!({"title": "Changed"}));
        assert_problem(r, 412);
    }
    assert_eq!(get(&app, &admin, &path)["title"], "Versioned");
    let r = app.send_if_match(Method::PATCH, &path, &admin, "\"1\"", json!({"title": "Changed"}));
    assert_eq!(r.status(), 200);
}

/// A client that does not follow redirects.
fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A form definition with one required name field; `extra` overrides.
fn form_body(extra: Value) -> Value {
    let mut body = json!({
        "name": "Contact us",
        "fields": [{"name": "your-name", "target": "name", "label": {"en": "Your name"}, "required": true}],
        "responsible_ids": [1]
    });
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    body
}

fn web_form(app: &TestApp, admin: &Auth, extra: Value) -> (String, i64) {
    let created = post(app, admin, "/api/forms", form_body(extra));
    (created["public_key"].as_str().expect("key").to_string(), id(&created))
}

#[test]
fn form_redirects_and_origins_are_header_safe() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for bad in [
        "https://x/\r\nSet-Cookie: x=1",
        "https://x/\u{0}",
        "http://a b",
        "//evil.example",
        "javascript:alert(1)",
    ] {
        let r = app.send(
            Method::POST,
            "/api/forms",
            &admin,
            Some(form_body(json!({"redirect_url": bad}))),
        );
        assert_eq!(fields(&assert_problem(r, 422)), vec!["redirect_url"], "{bad:?}");
    }
    for (pattern, accepted) in [
        ("https://*.example.com", true),
        ("https://*.example", false),
        ("https://shop.example/path", false),
        ("null", false),
    ] {
        let r = app.send(
            Method::POST,
            "/api/forms",
            &admin,
            Some(form_body(json!({"allowed_origins": [pattern]}))),
        );
        assert_eq!(r.status().as_u16(), if accepted { 201 } else { 422 }, "{pattern}");
    }
    let (key, form_id) = web_form(
        &app,
        &admin,
        json!({"redirect_url": "https://shop.example.com/thanks", "allowed_origins": ["https://*.example.com"]}),
    );
    let post = |origin: &str| {
        no_redirects()
            .post(format!("{}/f/{key}", app.base))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("your-name=Ann")
            .send()
            .expect("post")
    };
    let r = post("https://shop.example.com");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://shop.example.com/thanks");
    assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example.com");
    assert!(
        post("https://example.com.evil.io")
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A form stored before URLs were checked (written natively here) still answers, to the
    // thank-you page, and its lead is stored once.
    app.db()
        .execute(
            "UPDATE forms SET redirect_url = ?, allowed_origins = '[\"*\"]' WHERE id = ?",
            rusqlite::params!["https://x/\r\nSet-Cookie: x=1", form_id],
        )
        .expect("sabotage");
    let leads_before = count(&app, "SELECT COUNT(*) FROM leads");
    let r = post("null");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/f/{key}/thanks"));
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "* never reflects null"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM leads"), leads_before + 1);
    assert_eq!(
        post("https://anywhere.example").headers()["access-control-allow-origin"],
        "https://anywhere.example"
    );
    // HEAD answers like GET, without a body.
    for path in [format!("/f/{key}"), format!("/f/{key}.js"), format!("/f/{key}/thanks")] {
        let get = no_redirects().get(format!("{}{path}", app.base)).send().expect("get");
        let head = no_redirects().head(format!("{}{path}", app.base)).send().expect("head");
        assert_eq!((head.status().as_u16(), get.status().as_u16()), (200, 200), "{path}");
        assert_eq!(head.headers()["content-type"], get.headers()["content-type"]);
        assert!(head.bytes().expect("body").is_empty());
    }
}

/// Waits, if needed, so that a burst of requests falls within one clock minute (the window of
/// the fixed-window rate limits).
fn start_of_a_fresh_minute_window() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        % 60;
    if second > 45 {
        std::thread::sleep(std::time::Duration::from_secs(61 - second));
    }
}

/// Sends `n` requests at once from `n` threads; returns their statuses.
fn burst(n: usize, send: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Vec<u16> {
    let send = Arc::new(send);
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let send = send.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                send(i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().expect("thread")).collect()
}

#[test]
fn rate_limits_hold_exactly_under_concurrency() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = web_form(&app, &admin, json!({"ip_limit_per_minute": 20}));
    start_of_a_fresh_minute_window();
    let url = format!("{}/f/{key}", app.base);
    let statuses = burst(100, move |i| {
        no_redirects()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("your-name=Visitor{i}"))
            .send()
            .expect("post")
            .status()
            .as_u16()
    });
    let accepted = statuses.iter().filter(|s| **s == 303).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((accepted, limited), (20, 80), "{statuses:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM leads"), 20);

    // Logins: a limit of 5 failures per account means exactly 5 wrong passwords are verified.
    app.create_user(&admin, "target@example.com", &["manager"], None);
    let url = format!("{}/api/auth/login", app.base);
    let statuses = burst(40, move |_| {
        reqwest::blocking::Client::new()
            .post(&url)
            .json(&json!({"email": "target@example.com", "password": "wrong password 123"}))
            .send()
            .expect("login")
            .status()
            .as_u16()
    });
    let failed = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((failed, limited), (5, 35), "{statuses:?}");
}

#[test]
fn the_ui_answers_404_for_paths_that_can_never_name_a_file() {
    let app = spawn_app();
    let long = format!("/{}", "a".repeat(256));
    for path in ["/index.html/", "/app.css/x", long.as_str(), "/app.css/x/y.js"] {
        let (status, response) = app.raw_get(path);
        assert_eq!(status, 404, "{path}: {response}");
    }
    assert_eq!(app.raw_get("/contacts/7").0, 200, "client-side routes still get the UI");
}

/// Status of a raw HTTP/1.1 request sent as bytes (framing the client libraries would fix).
fn raw_status(app: &TestApp, request: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(request.replace("HOST", addr).as_bytes())
        .expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn malformed_framing_is_the_clients_fault() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let token = admin.bearer.clone().expect("token");
    let leads_before = count(&app, "SELECT COUNT(*) FROM leads");
    let chunked = format!(
        "POST /api/leads HTTP/1.1\r\nHost: HOST\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    assert_eq!(raw_status(&app, &chunked), 400);
    let both = format!(
        "POST /api/leads HTTP/1.1\r\nHost: HOST\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n11\r\n{{\"title\": \"smug\"}}\r\n0\r\n\r\n"
    );
    assert_eq!(raw_status(&app, &both), 400);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM leads"), leads_before);
    // Well-framed chunked bodies still go through.
    let fine = format!(
        "POST /api/leads HTTP/1.1\r\nHost: HOST\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n11\r\n{{\"title\": \"fine\"}}\r\n0\r\n\r\n"
    );
    assert_eq!(raw_status(&app, &fine), 201);
}

/// 64 writers at once on one database: each waits its turn for the write lock (the busy
/// timeout), none is answered 5xx because of `SQLITE_BUSY`, and every one is stored.
#[test]
fn sixty_four_concurrent_writers_all_commit_and_none_sees_a_5xx() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let url = format!("{}/api/leads", app.base);
    let token = admin.bearer.clone().expect("a Bearer token");
    let statuses = burst(64, move |i| {
        reqwest::blocking::Client::new()
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"title": format!("Burst lead {i}"), "phones": [format!("+7 999 {i:07}")]}))
            .send()
            .expect("create")
            .status()
            .as_u16()
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(get(&app, &admin, "/api/leads?count=true")["total"], 64);
}
