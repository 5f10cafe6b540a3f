//! Web-form intake end to end (`/f/<key>`, `/api/forms`): every content type and form-tool
//! dialect, redirects and JSON answers, CORS, consent, the honeypot and time token, rate
//! limits, duplicates under both policies, idempotent retries, round-robin assignment, the
//! "call the client" task, and the submission log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, assert_problem, call, spawn_app};

/// A form with the usual fields; `extra` overrides the definition.
fn form(app: &TestApp, admin: &Auth, extra: Value) -> (String, i64) {
    let mut body = json!({
        "name": "Contact us",
        "fields": [
            {"name": "your-name", "target": "name", "label": {"en": "Your name"}, "required": true},
            {"name": "your-email", "target": "email", "label": {"en": "E-mail"}, "type": "email"},
            {"name": "your-phone", "target": "phone", "label": {"en": "Phone"}, "type": "tel"}
        ],
        "responsible_ids": [1],
        "allowed_origins": ["https://shop.example"]
    });
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    let created = call(app, admin, Method::POST, "/api/forms", Some(body), 201);
    (
        created["public_key"].as_str().expect("key").to_string(),
        created["id"].as_i64().expect("id"),
    )
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn post_form(app: &TestApp, path: &str, body: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .expect("post")
}

fn post_json(app: &TestApp, path: &str, body: Value, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut req = client()
        .post(format!("{}{path}", app.base))
        .header("accept", "application/json")
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().expect("post")
}

fn leads(app: &TestApp, admin: &Auth) -> Vec<Value> {
    call(app, admin, Method::GET, "/api/leads?sort=id", None, 200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn log(app: &TestApp, admin: &Auth, form_id: i64) -> Vec<Value> {
    call(
        app,
        admin,
        Method::GET,
        &format!("/api/forms/{form_id}/submissions"),
        None,
        200,
    )["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_plain_html_post_makes_a_lead_and_goes_to_the_thank_you_page() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, id) = form(&app, &admin, json!({}));
    let r = post_form(
        &app,
        &format!("/f/{key}?utm_source=newsletter&utm_campaign=spring"),
        "your-name=%D0%98%D0%B2%D0%B0%D0%BD+%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2&your-email=ivan%40example.com&your-phone=8+999+123-45-67&your-message=Call+me&_wpcf7=5",
    );
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/f/{key}/thanks"));
    let leads = leads(&app, &admin);
    assert_eq!(leads.len(), 1);
    let lead = &leads[0];
    assert_eq!(
        (lead["first_name"].as_str(), lead["last_name"].as_str()),
        (Some("Иван"), Some("Петров"))
    );
    assert_eq!(lead["emails"][0]["value"], "ivan@example.com");
    assert_eq!(lead["phones"][0]["e164"], "+79991234567");
    assert_eq!(
        (lead["source"].as_str(), lead["utm_source"].as_str()),
        (Some("WEBFORM"), Some("newsletter"))
    );
    assert_eq!(lead["responsible_id"], 1);
    assert!(
        lead["comments"].as_str().unwrap_or_default().contains("Call me"),
        "{lead}"
    );
    let entries = log(&app, &admin, id);
    assert_eq!(entries[0]["outcome"], "accepted");
    assert_eq!(entries[0]["lead_id"], lead["id"]);
    assert_eq!(entries[0]["utm"]["utm_campaign"], "spring");
    let thanks = client()
        .get(format!("{}/f/{key}/thanks", app.base))
        .send()
        .expect("thanks");
    assert_eq!(thanks.status(), 200);
}

#[test]
fn scripts_post_json_with_cors_only_from_allowed_origins() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = form(&app, &admin, json!({}));
    let preflight = |origin: &str| {
        client()
            .request(Method::OPTIONS, format!("{}/f/{key}", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .expect("preflight")
    };
    let allowed = preflight("https://shop.example");
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    assert_eq!(preflight("https://evil.example").status(), 403);
    let r = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-name": "Ann Lee", "your-email": "ann@example.com"}),
        &[("origin", "https://shop.example")],
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example");
    let body: Value = r.json().expect("json");
    assert_eq!(body["status"], "accepted");
    assert_eq!(leads(&app, &admin).len(), 1);
}

#[test]
fn multipart_tilda_and_elementor_posts_map_to_the_same_fields() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, id) = form(
        &app,
        &admin,
        json!({"fields": [{"name": "your-name", "target": "name", "label": {"en": "Name"}}]}),
    );
    let multipart = reqwest::blocking::multipart::Form::new()
        .text("Name", "Olga Smirnova")
        .text("Email", "olga@example.com");
    let r = client()
        .post(format!("{}/f/{key}", app.base))
        .multipart(multipart)
        .send()
        .expect("multipart");
    assert_eq!(r.status(), 303);
    let ping = post_form(&app, &format!("/f/{key}"), "test=test");
    assert_eq!(ping.status(), 200, "Tilda's connection check");
    let tilda = post_form(
        &app,
        &format!("/f/{key}"),
        "Name=Pavel&Phone=%2B7+916+000-00-01&tranid=123%3A456&formid=form1",
    );
    assert_eq!(tilda.status(), 303);
    let elementor = post_form(
        &app,
        &format!("/f/{key}"),
        "form%5Bid%5D=f1&fields%5Bemail%5D%5Bvalue%5D=el%40example.com&fields%5Bname%5D%5Bvalue%5D=Elena&meta%5Bpage_url%5D%5Bvalue%5D=https%3A%2F%2Fsite.example%2Fpromo",
    );
    assert_eq!(elementor.status(), 303);
    let names: Vec<String> = leads(&app, &admin)
        .iter()
        .map(|l| l["first_name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["Olga", "Pavel", "Elena"]);
    let entries = log(&app, &admin, id);
    assert_eq!(entries.len(), 3, "the ping is not logged");
    assert_eq!(entries[2]["page_url"], "https://site.example/promo");
}

#[test]
fn invalid_posts_are_refused_by_field_logged_and_write_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, id) = form(&app, &admin, json!({"consent": {"text": "I agree", "required": true}}));
    let plain = post_form(&app, &format!("/f/{key}"), "your-email=not-an-email");
    assert_eq!(plain.status(), 422);
    assert!(
        plain.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let problem = assert_problem(
        post_json(&app, &format!("/f/{key}"), json!({"your-email": "x@example.com"}), &[]),
        422,
    );
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["your-name", "_consent"]);
    let bad_email = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-name": "A", "your-email": "nope", "_consent": "yes"}),
        &[],
    );
    let problem = assert_problem(bad_email, 422);
    assert_eq!(problem["errors"][0]["field"], "your-email");
    let huge = "x".repeat(70 * 1024);
    assert_eq!(
        post_form(&app, &format!("/f/{key}"), &format!("your-name={huge}")).status(),
        413
    );
    let xml = client()
        .post(format!("{}/f/{key}", app.base))
        .header("content-type", "application/xml")
        .body("<a/>")
        .send()
        .expect("xml");
    assert_eq!(xml.status(), 415);
    assert_eq!(post_form(&app, "/f/nosuchform", "your-name=A").status(), 404);
    assert!(leads(&app, &admin).is_empty(), "nothing half-written");
    let entries = log(&app, &admin, id);
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["outcome"] == "invalid"));
    let payload = entries[2]["payload"].as_str().unwrap_or_default();
    assert!(
        payload.contains("\"your-email\":\"nope\""),
        "the raw payload is kept: {payload}"
    );
    call(&app, &admin, Method::DELETE, &format!("/api/forms/{id}"), None, 204);
    assert_eq!(
        post_form(&app, &format!("/f/{key}"), "your-name=A&_consent=yes").status(),
        404,
        "an inactive form takes nothing"
    );
}

#[test]
fn bots_are_quarantined_answered_like_people_and_can_be_released() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, id) = form(&app, &admin, json!({}));
    let page = client()
        .get(format!("{}/f/{key}", app.base))
        .send()
        .expect("page")
        .text()
        .expect("html");
    let token = page
        .split("name=\"_ts\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a time token in the page");
    let honeypot = post_form(
        &app,
        &format!("/f/{key}"),
        "your-name=Bot&_hp=http%3A%2F%2Fspam.example",
    );
    assert_eq!(honeypot.status(), 303, "answered like a success");
    let fast = post_form(&app, &format!("/f/{key}"), &format!("your-name=Fast&_ts={token}"));
    assert_eq!(fast.status(), 303);
    let forged = post_form(&app, &format!("/f/{key}"), "your-name=Forger&_ts=1.deadbeef");
    assert_eq!(forged.status(), 303);
    assert!(leads(&app, &admin).is_empty(), "no bot in the lead list");
    let entries = log(&app, &admin, id);
    let reasons: Vec<&str> = entries.iter().filter_map(|e| e["reason"].as_str()).collect();
    assert_eq!(reasons, ["honeypot", "too_fast", "forged_token"]);
    let released = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/forms/{id}/submissions/{}/release", entries[1]["id"]),
        None,
        200,
    );
    assert_eq!(released["outcome"], "accepted");
    assert_eq!(leads(&app, &admin).len(), 1);
    assert_eq!(log(&app, &admin, id)[1]["outcome"], "released");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let human = post_form(&app, &format!("/f/{key}"), &format!("your-name=Human&_ts={token}"));
    assert_eq!(human.status(), 303);
    assert_eq!(leads(&app, &admin).len(), 2, "a person who took their time is a lead");
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = form(&app, &admin, json!({"ip_limit_per_minute": 2}));
    for name in ["A", "B"] {
        assert_eq!(
            post_form(&app, &format!("/f/{key}"), &format!("your-name={name}")).status(),
            303
        );
    }
    let limited = post_form(&app, &format!("/f/{key}"), "your-name=C");
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("retry")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
}

#[test]
fn duplicates_attach_to_the_existing_record_or_repeat_by_policy() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let contact = call(
        &app,
        &admin,
        Method::POST,
        "/api/contacts",
        Some(json!({"first_name": "Ann", "emails": ["ann@example.com"]})),
        201,
    );
    let (attach, attach_id) = form(&app, &admin, json!({}));
    assert_eq!(
        post_form(
            &app,
            &format!("/f/{attach}"),
            "your-name=Ann&your-email=ANN%40example.com"
        )
        .status(),
        303
    );
    assert!(leads(&app, &admin).is_empty(), "attached, not duplicated");
    assert_eq!(log(&app, &admin, attach_id)[0]["outcome"], "duplicate");
    let timeline = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/contacts/{}/timeline", contact["id"]),
        None,
        200,
    );
    assert_eq!(timeline["items"][0]["kind"], "form_submission");
    let (repeat, _) = form(&app, &admin, json!({"name": "Repeat", "duplicates": "repeat"}));
    assert_eq!(
        post_form(
            &app,
            &format!("/f/{repeat}"),
            "your-name=Ann&your-email=ann%40example.com"
        )
        .status(),
        303
    );
    assert_eq!(leads(&app, &admin).len(), 1, "a repeat lead");
    let timeline = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/contacts/{}/timeline", contact["id"]),
        None,
        200,
    );
    assert_eq!(timeline["items"][0]["payload"]["lead_id"], leads(&app, &admin)[0]["id"]);
}

#[test]
fn retries_with_a_key_are_answered_once_and_create_once() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = form(&app, &admin, json!({}));
    let first = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-name": "Ann"}),
        &[("idempotency-key", "k-1")],
    );
    let again = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-name": "Ann"}),
        &[("idempotency-key", "k-1")],
    );
    assert_eq!(
        (first.status(), again.status()),
        (reqwest::StatusCode::CREATED, reqwest::StatusCode::CREATED)
    );
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let first_id = first.json::<Value>().expect("json")["id"].clone();
    assert_eq!(again.json::<Value>().expect("json")["id"], first_id);
    for _ in 0..2 {
        assert_eq!(
            post_form(&app, &format!("/f/{key}"), "your-name=Bob&submission_id=abc-42").status(),
            303
        );
    }
    assert_eq!(leads(&app, &admin).len(), 2);
}

#[test]
fn forms_take_turns_assigning_people_and_can_make_contacts_deals_and_tasks() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let second = app.create_user(&admin, "m@example.com", &["manager"], None);
    let (key, _) = form(
        &app,
        &admin,
        json!({"responsible_ids": [1, second], "notify_minutes": 30}),
    );
    for name in ["A", "B", "C"] {
        post_form(&app, &format!("/f/{key}"), &format!("your-name={name}"));
    }
    let owners: Vec<i64> = leads(&app, &admin)
        .iter()
        .filter_map(|l| l["responsible_id"].as_i64())
        .collect();
    assert_eq!(owners, [1, second, 1]);
    let tasks = call(
        &app,
        &admin,
        Method::GET,
        "/api/activities?filter[type]=TASK",
        None,
        200,
    );
    assert_eq!(tasks["items"].as_array().expect("tasks").len(), 3);
    assert_eq!(tasks["items"][0]["bindings"][0]["entity"], "lead");
    let (deal_form, _) = form(
        &app,
        &admin,
        json!({"name": "Order", "creates": "contact_deal", "pipeline_id": 1, "stage": "PREPARATION"}),
    );
    assert_eq!(
        post_form(
            &app,
            &format!("/f/{deal_form}"),
            "your-name=Dan+Brown&your-phone=%2B44+20+7946+0958"
        )
        .status(),
        303
    );
    let deals = call(&app, &admin, Method::GET, "/api/deals", None, 200);
    assert_eq!(deals["items"][0]["stage"], "PREPARATION");
    let contact_id = deals["items"][0]["contact_ids"][0].clone();
    let contact = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/contacts/{contact_id}"),
        None,
        200,
    );
    assert_eq!(contact["last_name"], "Brown");
    let bad = app.send(Method::POST, "/api/forms", &admin, Some(json!({"name": "X", "responsible_ids": [], "fields": [{"name": "a", "target": "shoe_size", "label": {"en": "A"}}]})));
    let problem = assert_problem(bad, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["fields[0].target", "responsible_ids"]);
}

#[test]
fn a_corrected_retry_with_the_same_key_is_taken_in() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let (key, _) = form(&app, &admin, json!({}));
    let refused = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-email": "ann@example.com"}),
        &[("idempotency-key", "k-9")],
    );
    assert_eq!(refused.status(), 422);
    let fixed = post_json(
        &app,
        &format!("/f/{key}"),
        json!({"your-name": "Ann", "your-email": "ann@example.com"}),
        &[("idempotency-key", "k-9")],
    );
    assert_eq!(fixed.status(), 201);
    assert!(fixed.headers().get("idempotent-replayed").is_none());
    assert_eq!(leads(&app, &admin).len(), 1);
}
