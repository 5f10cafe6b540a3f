//! Authentication end to end: setup, sessions with CSRF, API tokens, throttling, revocation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Auth, PASSWORD, assert_problem, spawn_app};

#[test]
fn setup_creates_the_first_administrator_once() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let me: Value = app.send(Method::GET, "/api/me", &admin, None).json().unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["roles"], json!(["administrator"]));
    assert_eq!(me["permissions"]["entities"]["settings"]["update"], "all");
    let again = app.send(
        Method::POST,
        "/api/auth/setup",
        &Auth::none(),
        Some(json!({"email": "other@example.com", "password": PASSWORD, "name": "Other"})),
    );
    assert_problem(again, 409);
    let users: i64 = app
        .db()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 1);
}

#[test]
fn setup_refuses_weak_passwords_and_bad_emails_naming_each_field() {
    let app = spawn_app();
    for (body, fields) in [
        (
            json!({"email": "not-an-email", "password": "short", "name": "X"}),
            vec!["email", "password"],
        ),
        (
            json!({"email": "a@example.com", "password": "", "name": ""}),
            vec!["password", "name"],
        ),
        (
            json!({"email": "a@example.com", "password": "password123", "name": "A"}),
            vec!["password"],
        ),
    ] {
        let problem = assert_problem(
            app.send(Method::POST, "/api/auth/setup", &Auth::none(), Some(body.clone())),
            422,
        );
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for field in fields {
            assert!(named.contains(&field), "{body} -> {problem}");
        }
    }
    let users: i64 = app
        .db()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 0, "nothing half-written");
    app.setup_admin();
}

#[test]
fn requests_without_credentials_get_401() {
    let app = spawn_app();
    app.setup_admin();
    for path in [
        "/api/me",
        "/api/users",
        "/api/roles",
        "/api/departments",
        "/api/audit",
        "/api/auth/tokens",
    ] {
        let r = app.send(Method::GET, path, &Auth::none(), None);
        assert_eq!(r.headers()["www-authenticate"], "Bearer", "{path}");
        assert_problem(r, 401);
        assert_problem(app.send(Method::GET, path, &Auth::bearer("crm_1_forged"), None), 401);
    }
}

#[test]
fn a_session_cookie_is_http_only_and_unsafe_requests_need_the_csrf_token() {
    let app = spawn_app();
    app.setup_admin();
    let r = app.send(
        Method::POST,
        "/api/auth/login",
        &Auth::none(),
        Some(json!({"email": ADMIN_EMAIL, "password": PASSWORD})),
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http has no Secure flag");
    let session = app.login(ADMIN_EMAIL, PASSWORD);
    assert_eq!(app.send(Method::GET, "/api/me", &session, None).status(), 200);
    let no_csrf = app.send(
        Method::POST,
        "/api/auth/tokens",
        &session.without_csrf(),
        Some(json!({"name": "ci"})),
    );
    assert_problem(no_csrf, 403);
    let wrong = Auth {
        csrf: Some("wrong".into()),
        ..session.clone()
    };
    assert_problem(
        app.send(Method::POST, "/api/auth/tokens", &wrong, Some(json!({"name": "ci"}))),
        403,
    );
    assert_eq!(
        app.send(Method::POST, "/api/auth/tokens", &session, Some(json!({"name": "ci"})))
            .status(),
        201
    );

    assert_eq!(app.send(Method::POST, "/api/auth/logout", &session, None).status(), 204);
    assert_problem(app.send(Method::GET, "/api/me", &session, None), 401);
}

#[test]
fn an_expired_session_is_refused() {
    let app = spawn_app();
    app.setup_admin();
    let session = app.login(ADMIN_EMAIL, PASSWORD);
    assert_eq!(app.send(Method::GET, "/api/me", &session, None).status(), 200);
    let kv = rusqlite::Connection::open(app.state.path().join("sqlite_key_value.db")).unwrap();
    let changed = kv
        .execute(
            "UPDATE spin_key_value SET value = CAST(json_set(CAST(value AS TEXT), '$.expires_at', 1) AS BLOB) WHERE key LIKE 'session:%'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    assert_problem(app.send(Method::GET, "/api/me", &session, None), 401);
}

#[test]
fn api_tokens_are_shown_once_and_stop_working_when_revoked() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created: Value = app
        .send(
            Method::POST,
            "/api/auth/tokens",
            &admin,
            Some(json!({"name": "zapier"})),
        )
        .json()
        .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("crm_"));
    let list = app.send(Method::GET, "/api/auth/tokens", &admin, None).text().unwrap();
    assert!(list.contains("zapier") && !list.contains(&token), "{list}");
    let stored: String = app
        .db()
        .query_row("SELECT group_concat(secret_hash) FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    // `crm_<id>_<secret>`: the secret (base64url, so it may hold `_` itself) is never stored.
    let secret = token.splitn(3, '_').nth(2).expect("a secret");
    assert_eq!(secret.len(), 43, "{token}");
    assert!(!stored.contains(secret), "only hashes are stored");

    let zapier = Auth::bearer(&token);
    assert_eq!(app.send(Method::GET, "/api/me", &zapier, None).status(), 200);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.send(Method::DELETE, &format!("/api/auth/tokens/{id}"), &admin, None)
            .status(),
        204
    );
    assert_problem(app.send(Method::GET, "/api/me", &zapier, None), 401);
    assert_problem(app.send(Method::DELETE, "/api/auth/tokens/999", &admin, None), 404);
}

#[test]
fn five_failed_logins_are_throttled_with_retry_after() {
    let app = spawn_app();
    app.setup_admin();
    for _ in 0..5 {
        let r = app.send(
            Method::POST,
            "/api/auth/login",
            &Auth::none(),
            Some(json!({"email": ADMIN_EMAIL, "password": "wrong password!!"})),
        );
        assert_problem(r, 401);
    }
    let r = app.send(
        Method::POST,
        "/api/auth/login",
        &Auth::none(),
        Some(json!({"email": ADMIN_EMAIL, "password": PASSWORD})),
    );
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_problem(r, 429);
    let audit: i64 = app
        .db()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audit, 5);
}

#[test]
fn a_deactivated_user_is_locked_out_at_once() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let id = app.create_user(&admin, "mary@example.com", &["manager"], None);
    let mary = app.login("mary@example.com", PASSWORD);
    let token: Value = app
        .send(Method::POST, "/api/auth/tokens", &mary, Some(json!({"name": "mine"})))
        .json()
        .unwrap();
    let mary_token = Auth::bearer(token["token"].as_str().unwrap());
    assert_eq!(app.send(Method::GET, "/api/me", &mary_token, None).status(), 200);

    assert_eq!(
        app.send(Method::DELETE, &format!("/api/users/{id}"), &admin, None)
            .status(),
        204
    );
    assert_problem(app.send(Method::GET, "/api/me", &mary_token, None), 401);
    assert_problem(app.send(Method::GET, "/api/me", &mary, None), 401);
    let r = app.send(
        Method::POST,
        "/api/auth/login",
        &Auth::none(),
        Some(json!({"email": "mary@example.com", "password": PASSWORD})),
    );
    assert_problem(r, 401);
}

#[test]
fn passwords_are_never_returned_or_logged() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let id = app.create_user(&admin, "pete@example.com", &["manager"], None);
    let _ = app.send(
        Method::POST,
        "/api/auth/login",
        &Auth::none(),
        Some(json!({"email": "pete@example.com", "password": "a wrong guess!!"})),
    );
    let user = app
        .send(Method::GET, &format!("/api/users/{id}"), &admin, None)
        .text()
        .unwrap();
    let me = app.send(Method::GET, "/api/me", &admin, None).text().unwrap();
    let users = app.send(Method::GET, "/api/users", &admin, None).text().unwrap();
    let audit = app.send(Method::GET, "/api/audit", &admin, None).text().unwrap();
    for text in [&user, &me, &users, &audit] {
        assert!(
            !text.contains(PASSWORD) && !text.contains("a wrong guess") && !text.contains("password_hash"),
            "{text}"
        );
        assert!(!text.contains("$argon2"), "{text}");
    }
    let hash: String = app
        .db()
        .query_row("SELECT password_hash FROM users WHERE id = ?", [id], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[test]
fn get_setup_says_whether_the_first_administrator_is_still_needed() {
    let app = spawn_app();
    let before: Value = app
        .send(Method::GET, "/api/auth/setup", &Auth::none(), None)
        .json()
        .unwrap();
    assert_eq!(before, json!({"needed": true}));
    app.setup_admin();
    let after = app.send(Method::GET, "/api/auth/setup", &Auth::none(), None);
    assert_eq!(after.status(), 200);
    assert_eq!(after.json::<Value>().unwrap(), json!({"needed": false}));
    let put = app.send(Method::PUT, "/api/auth/setup", &Auth::none(), Some(json!({})));
    assert_eq!(put.status(), 405);
}

#[test]
fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "mary@example.com", &["manager"], None);
    let laptop = app.login("mary@example.com", PASSWORD);
    let phone = app.login("mary@example.com", PASSWORD);
    let token: Value = app
        .send(
            Method::POST,
            "/api/auth/tokens",
            &laptop,
            Some(json!({"name": "script"})),
        )
        .json()
        .unwrap();
    let script = Auth::bearer(token["token"].as_str().unwrap());
    let new_password = "quiet meadow lantern 42";

    // A wrong current password and a weak new one: 422 naming each field, nothing changed.
    let r = app.send(
        Method::POST,
        "/api/me/password",
        &laptop,
        Some(json!({"current_password": "not it at all", "password": new_password})),
    );
    let problem = assert_problem(r, 422);
    assert_eq!(crate::helpers::fields(&problem), ["current_password"]);
    let r = app.send(
        Method::POST,
        "/api/me/password",
        &laptop,
        Some(json!({"current_password": PASSWORD, "password": "short"})),
    );
    assert_eq!(crate::helpers::fields(&assert_problem(r, 422)), ["password"]);
    assert_eq!(app.send(Method::GET, "/api/me", &phone, None).status(), 200);
    // Without the CSRF token a session cannot change it.
    let r = app.send(
        Method::POST,
        "/api/me/password",
        &laptop.without_csrf(),
        Some(json!({"current_password": PASSWORD, "password": new_password})),
    );
    assert_problem(r, 403);

    let r = app.send(
        Method::POST,
        "/api/me/password",
        &laptop,
        Some(json!({"current_password": PASSWORD, "password": new_password})),
    );
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = r.json().unwrap();
    let renewed = Auth {
        bearer: None,
        cookie: Some(cookie),
        csrf: body["csrf_token"].as_str().map(str::to_string),
    };
    // The new session works; every earlier one ended; the API token stays.
    assert_eq!(app.send(Method::GET, "/api/me", &renewed, None).status(), 200);
    assert_problem(app.send(Method::GET, "/api/me", &phone, None), 401);
    assert_problem(app.send(Method::GET, "/api/me", &laptop, None), 401);
    assert_eq!(app.send(Method::GET, "/api/me", &script, None).status(), 200);
    // The old password no longer signs in; the new one does.
    let r = app.send(
        Method::POST,
        "/api/auth/login",
        &Auth::none(),
        Some(json!({"email": "mary@example.com", "password": PASSWORD})),
    );
    assert_problem(r, 401);
    app.login("mary@example.com", new_password);
    let log = app.send(
        Method::GET,
        "/api/audit?filter[action]=user.password_changed",
        &admin,
        None,
    );
    let log: Value = log.json().unwrap();
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1), "{log}");
}
