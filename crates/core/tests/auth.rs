//! Authentication against real SQLite files (every migration applied) and an in-memory
//! key-value store: first-run setup, API tokens, sessions with CSRF, login throttling, and that
//! no password ever reaches the audit log or `me`.

use std::path::PathBuf;

use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::auth::{
    self, Credentials, IssuedToken, LoginRequest, SESSION_TTL, Session, SetupRequest, TokenInfo, authenticate,
};
use crm_core::kv::Kv;
use crm_core::{CoreError, Db, Value, clock};
use crm_sqlite::{MemoryKv, NativeDb};

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

/// A fresh database file and key-value store.
struct App {
    _dir: tempfile::TempDir,
    db: NativeDb,
    kv: MemoryKv,
}

fn app() -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("crm.db");
    let (db, _) = NativeDb::open_migrated(&path).expect("migrate");
    App {
        _dir: dir,
        db,
        kv: MemoryKv::new(),
    }
}

fn from(ip: &str) -> ClientInfo {
    ClientInfo {
        ip: Some(ip.to_string()),
        user_agent: Some("tests".into()),
    }
}

fn setup_request(email: &str, password: &str, name: &str) -> SetupRequest {
    SetupRequest {
        email: email.into(),
        password: password.into(),
        name: name.into(),
    }
}

/// An app whose first administrator exists; returns the setup token too.
fn app_with_admin() -> (App, IssuedToken) {
    let app = app();
    let token = auth::setup(&app.db, &setup_request(EMAIL, PASSWORD, "Admin"), &from("10.0.0.1")).expect("setup");
    (app, token)
}

/// Adds a user straight into the table (user administration is not this module's).
fn add_user(db: &dyn Db, email: &str, password: &str, active: bool) -> i64 {
    let hash = auth::hash_password(password).expect("hash");
    db.execute(
        "INSERT INTO users (email, name, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1)",
        &[email.into(), "Someone".into(), hash.into(), active.into()],
    )
    .expect("insert user");
    db.last_insert_id().expect("id")
}

fn count(db: &dyn Db, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count").first_i64().expect("an integer")
}

fn bearer(token: &str) -> Credentials<'_> {
    Credentials {
        bearer: Some(token),
        ..Credentials::default()
    }
}

fn cookie<'a>(session: &'a str, csrf: Option<&'a str>, unsafe_method: bool) -> Credentials<'a> {
    Credentials {
        session: Some(session),
        csrf,
        unsafe_method,
        ..Credentials::default()
    }
}

fn login(app: &App, email: &str, password: &str, ip: &str) -> Result<Session, CoreError> {
    let req = LoginRequest {
        email: email.into(),
        password: password.into(),
    };
    auth::login(&app.db, &app.kv, &req, &from(ip))
}

/// `(field, code)` of each invalid field, in order.
fn invalid_fields(result: Result<IssuedToken, CoreError>) -> Vec<(String, String)> {
    match result {
        Err(CoreError::Validation(errors)) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

fn admin(app: &App, token: &IssuedToken) -> Caller {
    authenticate(&app.db, &app.kv, &bearer(&token.token)).expect("the setup token works")
}

// --- setup ---------------------------------------------------------------------------------

#[test]
fn setup_creates_an_administrator_whose_token_works() {
    let (app, token) = app_with_admin();
    assert_eq!(token.name, "setup");
    assert!(token.token.starts_with(&format!("crm_{}_", token.id)), "{token:?}");
    assert!(token.created_at.ends_with('Z'));

    let caller = admin(&app, &token);
    assert_eq!(caller.roles, ["administrator"]);
    let user = app
        .db
        .query(
            "SELECT email, active, language, time_zone, password_hash FROM users",
            &[],
        )
        .expect("user");
    let user = user.first().expect("one user");
    assert_eq!(user.str("email"), Some(EMAIL));
    assert_eq!(user.i64("active"), Some(1));
    assert_eq!((user.str("language"), user.str("time_zone")), (Some("en"), Some("UTC")));
    assert!(user.str("password_hash").is_some_and(|h| h.starts_with("$argon2id$")));

    // The secret is base64url, so it may hold `_` itself: it is everything after the prefix.
    let secret = token
        .token
        .strip_prefix(&format!("crm_{}_", token.id))
        .unwrap_or_default();
    let stored = app
        .db
        .query("SELECT secret_hash FROM api_tokens", &[])
        .expect("token row");
    let stored = stored.first_str().expect("a hash");
    assert_eq!(stored.len(), 64, "hex SHA-256");
    assert!(!token.token.contains(stored) && !stored.contains(secret));
    assert_eq!(
        count(
            &app.db,
            "SELECT count(*) FROM audit_log WHERE action IN ('setup', 'token.created')"
        ),
        2
    );
}

#[test]
fn setup_answers_409_once_a_user_exists_and_writes_nothing() {
    let (app, _) = app_with_admin();
    let tables = ["users", "user_roles", "api_tokens", "audit_log"];
    let before: Vec<i64> = tables
        .iter()
        .map(|t| count(&app.db, &format!("SELECT count(*) FROM {t}")))
        .collect();

    let again = [
        setup_request("other@example.com", "another good passphrase", "Other"),
        setup_request("", "", ""),
    ];
    for req in again {
        let result = auth::setup(&app.db, &req, &ClientInfo::default());
        assert!(matches!(result, Err(CoreError::Conflict(_))), "{result:?}");
    }
    let after: Vec<i64> = tables
        .iter()
        .map(|t| count(&app.db, &format!("SELECT count(*) FROM {t}")))
        .collect();
    assert_eq!(before, after, "{tables:?}");
}

/// `(email, password, name, the expected (field, code) pairs)`.
type SetupCase<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);

#[test]
fn setup_reports_every_invalid_field_at_once_and_writes_nothing() {
    let long_name = "N".repeat(201);
    let cases: [SetupCase; 7] = [
        (
            "not-an-email",
            "short",
            "",
            &[
                ("email", "invalid_email"),
                ("password", "password_too_short"),
                ("name", "required"),
            ],
        ),
        (
            "",
            "",
            "  ",
            &[
                ("email", "invalid_email"),
                ("password", "password_too_short"),
                ("name", "required"),
            ],
        ),
        (
            "ivan@example.com",
            "password123",
            "Ivan",
            &[("password", "weak_password")],
        ),
        (
            "ivan@example.com",
            "ivan-the-great-2026",
            "Ivan",
            &[("password", "weak_password")],
        ),
        (
            "ivan@example.com",
            "zzzzzzzzzzzz",
            "Ivan",
            &[("password", "weak_password")],
        ),
        (
            "ivan at example.com",
            PASSWORD,
            &long_name,
            &[("email", "invalid_email"), ("name", "too_long")],
        ),
        (
            "ivan@example.com",
            &"long enough ".repeat(11),
            "Ivan",
            &[("password", "password_too_long")],
        ),
    ];
    let app = app();
    for (email, password, name, expected) in cases {
        let result = auth::setup(&app.db, &setup_request(email, password, name), &ClientInfo::default());
        assert_eq!(
            invalid_fields(result),
            pairs(expected),
            "{email:?} {password:?} {name:?}"
        );
    }
    assert_eq!(count(&app.db, "SELECT count(*) FROM users"), 0);
    assert_eq!(count(&app.db, "SELECT count(*) FROM audit_log"), 0);
}

// --- tokens --------------------------------------------------------------------------------

#[test]
fn a_created_token_authenticates_until_it_is_revoked() {
    let (app, setup_token) = app_with_admin();
    let caller = admin(&app, &setup_token);
    let client = from("10.0.0.2");
    let issued = auth::create_token(&app.db, &caller, "  ci  ", &client).expect("create");
    assert_eq!(issued.name, "ci");
    assert_eq!(
        authenticate(&app.db, &app.kv, &bearer(&issued.token)).map(|c| c.user_id),
        Ok(caller.user_id)
    );

    auth::revoke_token(&app.db, &caller, issued.id, &client).expect("revoke");
    assert_eq!(
        authenticate(&app.db, &app.kv, &bearer(&issued.token)),
        Err(CoreError::Unauthorized)
    );
    auth::revoke_token(&app.db, &caller, issued.id, &client).expect("revoking again changes nothing");
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM audit_log WHERE action = 'token.revoked'"),
        1
    );
    assert!(
        authenticate(&app.db, &app.kv, &bearer(&setup_token.token)).is_ok(),
        "other tokens still work"
    );

    let listed: Vec<(i64, String, bool)> = auth::list_tokens(&app.db, &caller)
        .expect("list")
        .into_iter()
        .map(
            |TokenInfo {
                 id, name, revoked_at, ..
             }| (id, name, revoked_at.is_some()),
        )
        .collect();
    assert_eq!(
        listed,
        [(setup_token.id, "setup".into(), false), (issued.id, "ci".into(), true)]
    );
}

#[test]
fn token_names_must_be_1_to_100_characters() {
    let (app, token) = app_with_admin();
    let caller = admin(&app, &token);
    let long = "t".repeat(101);
    for (name, code) in [("", "required"), ("   ", "required"), (long.as_str(), "too_long")] {
        let result = auth::create_token(&app.db, &caller, name, &ClientInfo::default());
        assert_eq!(invalid_fields(result), pairs(&[("name", code)]), "{name:?}");
    }
    assert_eq!(count(&app.db, "SELECT count(*) FROM api_tokens"), 1);
}

#[test]
fn revoking_someone_elses_or_an_unknown_token_is_404() {
    let (app, token) = app_with_admin();
    let caller = admin(&app, &token);
    let other_id = add_user(&app.db, "other@example.com", PASSWORD, true);
    let other = Caller::load(&app.db, other_id).expect("other caller");
    let theirs = auth::create_token(&app.db, &other, "theirs", &ClientInfo::default()).expect("create");

    for id in [theirs.id, 9999] {
        assert_eq!(
            auth::revoke_token(&app.db, &caller, id, &ClientInfo::default()),
            Err(CoreError::NotFound),
            "token {id}"
        );
    }
    assert!(authenticate(&app.db, &app.kv, &bearer(&theirs.token)).is_ok());
    assert_eq!(
        auth::list_tokens(&app.db, &other).expect("list").len(),
        1,
        "only their own"
    );
}

#[test]
fn a_token_of_a_deactivated_user_is_401_immediately() {
    let (app, token) = app_with_admin();
    let caller = admin(&app, &token);
    app.db
        .execute("UPDATE users SET active = 0 WHERE id = ?", &[caller.user_id.into()])
        .expect("deactivate");
    assert_eq!(
        authenticate(&app.db, &app.kv, &bearer(&token.token)),
        Err(CoreError::Unauthorized)
    );
}

#[test]
fn malformed_or_unknown_tokens_are_401() {
    let (app, token) = app_with_admin();
    let (prefix, secret) = token.token.rsplit_once('_').expect("crm_<id>_<secret>");
    let mut flipped = secret.to_string();
    let last = if flipped.ends_with('A') { 'B' } else { 'A' };
    flipped.replace_range(flipped.len() - 1.., &last.to_string());
    let cases = [
        String::new(),
        "crm_".into(),
        format!("crm_{}", token.id),
        format!("crm_{}_", token.id),
        format!("crm_9999_{secret}"),
        format!("{prefix}_{flipped}"),
        format!("{prefix}_{secret}x"),
        format!("Bearer {}", token.token),
        secret.to_string(),
    ];
    for case in &cases {
        assert_eq!(
            authenticate(&app.db, &app.kv, &bearer(case)),
            Err(CoreError::Unauthorized),
            "{case:?}"
        );
    }
}

#[test]
fn no_credentials_are_401() {
    let app = app();
    assert_eq!(
        authenticate(&app.db, &app.kv, &Credentials::default()),
        Err(CoreError::Unauthorized)
    );
}

// --- sessions ------------------------------------------------------------------------------

#[test]
fn a_session_authenticates_safe_requests_and_unsafe_ones_with_its_csrf_token() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    assert_eq!(session.max_age, SESSION_TTL);
    assert_eq!(SESSION_TTL, 12 * 3600);

    for creds in [
        cookie(&session.id, None, false),
        cookie(&session.id, Some(&session.csrf_token), true),
    ] {
        assert_eq!(
            authenticate(&app.db, &app.kv, &creds).map(|c| c.user_id),
            Ok(session.user_id),
            "{creds:?}"
        );
    }
}

#[test]
fn an_unsafe_request_with_a_cookie_but_no_or_a_wrong_csrf_token_is_403() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    let other = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("second login");
    let cases = [
        (None, "missing"),
        (Some(""), "empty"),
        (Some("wrong"), "wrong"),
        (Some(session.id.as_str()), "the session id instead"),
        (Some(other.csrf_token.as_str()), "another session's token"),
    ];
    for (csrf, why) in cases {
        assert_eq!(
            authenticate(&app.db, &app.kv, &cookie(&session.id, csrf, true)),
            Err(CoreError::Forbidden),
            "{why}"
        );
    }
}

#[test]
fn a_bearer_token_wins_over_a_cookie_and_needs_no_csrf_token() {
    let (app, token) = app_with_admin();
    let creds = Credentials {
        bearer: Some(&token.token),
        session: Some("no such session"),
        csrf: None,
        unsafe_method: true,
    };
    assert!(authenticate(&app.db, &app.kv, &creds).is_ok());
    let bad_bearer = Credentials {
        bearer: Some("crm_1_bad"),
        ..creds
    };
    assert_eq!(
        authenticate(&app.db, &app.kv, &bad_bearer),
        Err(CoreError::Unauthorized)
    );
}

#[test]
fn sessions_are_stored_under_a_hash_of_their_id_without_raw_secrets() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    let keys = app.kv.keys();
    assert_eq!(keys.len(), 1);
    let hash = keys[0].strip_prefix("session:").expect("session: prefix");
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hash}"
    );
    assert!(!keys[0].contains(&session.id));
    let value = String::from_utf8(app.kv.get(&keys[0]).expect("get").expect("stored")).expect("utf-8");
    assert!(
        !value.contains(&session.csrf_token) && !value.contains(&session.id),
        "{value}"
    );
    for field in ["\"user_id\"", "\"csrf_hash\"", "\"expires_at\""] {
        assert!(value.contains(field), "{value}");
    }
}

#[test]
fn an_expired_session_is_401_and_deleted() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    let key = app.kv.keys().remove(0);
    let expired = format!(
        r#"{{"user_id":{},"csrf_hash":"{}","expires_at":{}}}"#,
        session.user_id,
        "0".repeat(64),
        clock::now() - 1
    );
    app.kv.set(&key, expired.as_bytes()).expect("overwrite");

    assert_eq!(
        authenticate(&app.db, &app.kv, &cookie(&session.id, None, false)),
        Err(CoreError::Unauthorized)
    );
    assert!(app.kv.keys().is_empty(), "the expired session was deleted");
}

#[test]
fn an_unknown_or_corrupt_session_is_401() {
    let (app, _) = app_with_admin();
    assert_eq!(
        authenticate(&app.db, &app.kv, &cookie("nope", None, false)),
        Err(CoreError::Unauthorized)
    );
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    let key = app.kv.keys().remove(0);
    app.kv.set(&key, b"not json").expect("corrupt");
    assert_eq!(
        authenticate(&app.db, &app.kv, &cookie(&session.id, None, false)),
        Err(CoreError::Unauthorized)
    );
}

#[test]
fn logout_ends_the_session_and_may_be_repeated() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    auth::logout(&app.kv, &session.id).expect("logout");
    auth::logout(&app.kv, &session.id).expect("logout again");
    assert_eq!(
        authenticate(&app.db, &app.kv, &cookie(&session.id, None, false)),
        Err(CoreError::Unauthorized)
    );
    assert!(app.kv.keys().is_empty());
}

#[test]
fn a_session_of_a_user_deactivated_later_is_401() {
    let (app, _) = app_with_admin();
    let session = login(&app, EMAIL, PASSWORD, "10.0.0.3").expect("login");
    app.db
        .execute("UPDATE users SET active = 0 WHERE id = ?", &[session.user_id.into()])
        .expect("deactivate");
    assert_eq!(
        authenticate(&app.db, &app.kv, &cookie(&session.id, None, false)),
        Err(CoreError::Unauthorized)
    );
}

// --- login ---------------------------------------------------------------------------------

#[test]
fn login_accepts_the_email_in_any_case_and_with_spaces() {
    let (app, _) = app_with_admin();
    assert!(login(&app, "  ADMIN@Example.com ", PASSWORD, "10.0.0.4").is_ok());
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM audit_log WHERE action = 'login.ok'"),
        1
    );
}

#[test]
fn failed_logins_are_401_audited_with_their_reason_and_counted() {
    let (app, _) = app_with_admin();
    add_user(&app.db, "gone@example.com", PASSWORD, false);
    let cases = [
        ("nobody@example.com", PASSWORD, "unknown_email"),
        (EMAIL, "wrong password!", "wrong_password"),
        ("gone@example.com", PASSWORD, "inactive"),
        ("not an email", PASSWORD, "unknown_email"),
    ];
    for (i, (email, password, reason)) in cases.iter().enumerate() {
        let ip = format!("10.1.0.{i}");
        assert_eq!(
            login(&app, email, password, &ip),
            Err(CoreError::Unauthorized),
            "{reason}"
        );
        let details = app
            .db
            .query(
                "SELECT details, ip FROM audit_log WHERE action = 'login.failed' ORDER BY id DESC LIMIT 1",
                &[],
            )
            .expect("audit");
        let row = details.first().expect("audited");
        assert!(
            row.str("details")
                .is_some_and(|d| d.contains(&format!("\"reason\":\"{reason}\""))),
            "{:?}",
            row.str("details")
        );
        assert_eq!(row.str("ip"), Some(ip.as_str()));
    }
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM auth_failures WHERE scope = 'account'"),
        3,
        "an invalid email names no account"
    );
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM auth_failures WHERE scope = 'ip'"),
        4
    );
    assert!(app.kv.keys().is_empty(), "no session was created");
}

fn retry_after(result: Result<Session, CoreError>) -> u64 {
    match result {
        Err(CoreError::TooManyRequests { retry_after }) => retry_after,
        other => panic!("expected 429, got {other:?}"),
    }
}

#[test]
fn five_failed_logins_on_one_account_block_it_even_with_the_right_password() {
    let (app, _) = app_with_admin();
    for i in 0..5 {
        let ip = format!("10.2.0.{i}");
        assert_eq!(login(&app, EMAIL, "wrong password!", &ip), Err(CoreError::Unauthorized));
    }
    let wait = retry_after(login(&app, EMAIL, PASSWORD, "10.2.1.1"));
    assert!((1..=900).contains(&wait), "{wait}");
    let wait = retry_after(login(&app, &EMAIL.to_uppercase(), PASSWORD, "10.2.1.2"));
    assert!((1..=900).contains(&wait), "the account is the normalized email: {wait}");
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM auth_failures WHERE scope = 'account'"),
        5,
        "a blocked attempt is not verified, so not counted"
    );
}

#[test]
fn five_failed_logins_from_one_ip_block_it_for_every_account() {
    let (app, _) = app_with_admin();
    for i in 0..5 {
        let email = format!("guess{i}@example.com");
        assert_eq!(
            login(&app, &email, "wrong password!", "10.3.0.1"),
            Err(CoreError::Unauthorized)
        );
    }
    let wait = retry_after(login(&app, EMAIL, PASSWORD, "10.3.0.1"));
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(
        login(&app, EMAIL, PASSWORD, "10.3.0.2").is_ok(),
        "another IP is not blocked"
    );
}

#[test]
fn retry_after_counts_down_from_the_oldest_failure_and_old_failures_expire() {
    let (app, _) = app_with_admin();
    let now = clock::now();
    let insert = |at: i64| {
        app.db
            .execute(
                "INSERT INTO auth_failures (scope, key, at) VALUES ('account', ?, ?)",
                &[EMAIL.into(), Value::from(at)],
            )
            .expect("insert failure");
    };
    for _ in 0..5 {
        insert(now - 901);
    }
    assert!(
        login(&app, EMAIL, PASSWORD, "10.4.0.1").is_ok(),
        "failures past the window do not count"
    );
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM auth_failures"),
        0,
        "success clears the account"
    );

    for age in [100, 50, 40, 30, 20] {
        insert(now - age);
    }
    let wait = retry_after(login(&app, EMAIL, PASSWORD, "10.4.0.1"));
    // Seconds gone since `now` (password hashing is slow in a debug build on a busy machine).
    let gone = u64::try_from(clock::now() - now).unwrap_or(0);
    assert!(
        (798 - gone..=800).contains(&wait),
        "the oldest leaves the window in 800 s less the {gone} s gone: {wait}"
    );
}

#[test]
fn failures_older_than_a_day_are_pruned_on_the_next_failure() {
    let (app, _) = app_with_admin();
    app.db
        .execute(
            "INSERT INTO auth_failures (scope, key, at) VALUES ('ip', '10.5.0.1', ?)",
            &[Value::from(clock::now() - 2 * 86_400)],
        )
        .expect("old failure");
    assert_eq!(
        login(&app, EMAIL, "wrong password!", "10.5.0.2"),
        Err(CoreError::Unauthorized)
    );
    assert_eq!(
        count(&app.db, "SELECT count(*) FROM auth_failures WHERE key = '10.5.0.1'"),
        0
    );
}

// --- me and secrecy ------------------------------------------------------------------------

#[test]
fn me_describes_the_caller_with_roles_and_permissions() {
    let (app, token) = app_with_admin();
    let caller = admin(&app, &token);
    let me = auth::me(&app.db, &caller).expect("me");
    assert_eq!(me["id"].as_i64(), Some(caller.user_id));
    assert_eq!(me["email"].as_str(), Some(EMAIL));
    assert_eq!(me["name"].as_str(), Some("Admin"));
    assert_eq!(me["active"].as_bool(), Some(true));
    assert!(me["department_id"].is_null() && me["position"].is_null());
    assert_eq!(me["language"].as_str(), Some("en"));
    assert_eq!(me["time_zone"].as_str(), Some("UTC"));
    assert_eq!(me["roles"][0].as_str(), Some("administrator"));
    assert_eq!(me["permissions"], caller.permissions.to_value());
    assert!(me["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(me["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn passwords_never_reach_the_audit_log_or_me() {
    let (app, token) = app_with_admin();
    let tried = ["wrong password!", "admin@example.com", "another-secret-value"];
    for password in tried {
        let _ = login(&app, EMAIL, password, "10.6.0.1");
    }
    let _ = login(&app, "another-secret-email-typo", "x", "10.6.0.1");
    login(&app, EMAIL, PASSWORD, "10.6.0.2").expect("login");

    let rows = app.db.query("SELECT * FROM audit_log", &[]).expect("audit log");
    let mut text = String::new();
    for row in rows.iter() {
        for value in row.values() {
            if let Value::Text(t) = value {
                text.push_str(t);
                text.push('\n');
            }
        }
    }
    for secret in [
        PASSWORD,
        "wrong password!",
        "another-secret-value",
        "another-secret-email-typo",
        "$argon2",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the audit log:\n{text}");
    }
    assert!(!text.contains(&token.token), "the token is in the audit log");
    let keys = app.db.query("SELECT key FROM auth_failures", &[]).expect("failures");
    assert!(
        keys.iter().all(|r| r.str("key") != Some("another-secret-email-typo")),
        "an invalid email is not stored as an account key"
    );

    let me = auth::me(&app.db, &admin(&app, &token)).expect("me").to_string();
    for secret in [PASSWORD, "password", "$argon2"] {
        assert!(!me.contains(secret), "{secret:?} is in me: {me}");
    }
}
