//! Imports end to end: the real `imports` component over HTTP on the local runtime. CSV files
//! built here in each encoding (with `encoding_rs`) and delimiter, Cyrillic and multi-line
//! cells, Google- and Outlook-style headers, the shared vCard sample, raw and multipart
//! uploads; duplicates in each mode; a failure injected in the middle of a step (a trigger in
//! the database that raises on one row) and the exact resume; cancel and rollback; the
//! rejected rows' CSV; permissions (a manager without the import right gets 403, records land
//! in the caller's scope); bad input named (garbage, oversized, ragged, unknown encoding, a
//! mapping to an unknown field) with nothing half-imported.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, call, fields, get, spawn_app};

/// Sends an upload (raw body) with Bearer credentials.
fn send_upload(app: &TestApp, auth: &Auth, query: &str, bytes: Vec<u8>) -> reqwest::blocking::Response {
    let mut req = app
        .client
        .post(format!("{}/api/imports?{query}", app.base))
        .header("content-type", "text/csv")
        .body(bytes);
    if let Some(token) = &auth.bearer {
        req = req.bearer_auth(token);
    }
    req.send().expect("upload")
}

/// An upload that must be created (201).
fn upload(app: &TestApp, auth: &Auth, query: &str, bytes: Vec<u8>) -> Value {
    let r = send_upload(app, auth, query, bytes);
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(status, 201, "{query}: {text}");
    serde_json::from_str(&text).expect("import JSON")
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// Steps until done; returns the last answer.
fn run(app: &TestApp, auth: &Auth, import: &Value, rows: u32) -> Value {
    for _ in 0..1000 {
        let answer = call(
            app,
            auth,
            Method::POST,
            &format!("/api/imports/{}/step?rows={rows}", id(import)),
            None,
            200,
        );
        if answer["status"] == "done" {
            return answer;
        }
    }
    panic!("never done");
}

fn patch(app: &TestApp, auth: &Auth, import: &Value, body: Value) -> reqwest::blocking::Response {
    app.send_if_match(
        Method::PATCH,
        &format!("/api/imports/{}", id(import)),
        auth,
        &format!("\"{}\"", import["version"]),
        body,
    )
}

/// Every contact the caller can see, as (first name, last name) pairs sorted.
fn contact_names(app: &TestApp, auth: &Auth) -> Vec<(String, String)> {
    let page = get(app, auth, "/api/contacts?limit=500");
    let mut names: Vec<(String, String)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["first_name"].as_str().unwrap_or_default().to_string(),
                c["last_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    names.sort();
    names
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.db().query_row(sql, [], |r| r.get(0)).expect("count")
}

const CYRILLIC_ROWS: &[(&str, &str, &str)] = &[
    ("Иван", "Петров", "+79161234567"),
    ("Ольга", "Сидорова", "+79167654321"),
    ("Пётр", "Ёлкин", "+79031112233"),
];

/// The Cyrillic sample as CSV text with `delimiter`.
fn cyrillic_csv(delimiter: char) -> String {
    let mut csv = ["Имя", "Фамилия", "Телефоны"].join(&delimiter.to_string());
    csv.push_str("\r\n");
    for (first, last, phone) in CYRILLIC_ROWS {
        csv.push_str(&[*first, *last, *phone].join(&delimiter.to_string()));
        csv.push_str("\r\n");
    }
    csv
}

fn utf16(text: &str, little: bool) -> Vec<u8> {
    let mut out = if little { vec![0xff, 0xfe] } else { vec![0xfe, 0xff] };
    for unit in text.encode_utf16() {
        out.extend(if little { unit.to_le_bytes() } else { unit.to_be_bytes() });
    }
    out
}

#[test]
fn csv_in_each_encoding_and_delimiter_imports_cyrillic() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let cases: Vec<(&str, char, Vec<u8>, &str)> = vec![
        ("utf-8", ',', cyrillic_csv(',').into_bytes(), "utf-8"),
        (
            "utf-8 with BOM",
            ';',
            [&[0xef, 0xbb, 0xbf][..], cyrillic_csv(';').as_bytes()].concat(),
            "utf-8-bom",
        ),
        ("utf-16le", '\t', utf16(&cyrillic_csv('\t'), true), "utf-16le"),
        ("utf-16be", ',', utf16(&cyrillic_csv(','), false), "utf-16be"),
        (
            "windows-1251",
            ';',
            encoding_rs::WINDOWS_1251.encode(&cyrillic_csv(';')).0.into_owned(),
            "windows-1251",
        ),
        (
            "koi8-r",
            ',',
            encoding_rs::KOI8_R.encode(&cyrillic_csv(',')).0.into_owned(),
            "koi8-r",
        ),
    ];
    let mut want: Vec<(String, String)> = Vec::new();
    for (name, delimiter, bytes, encoding) in cases {
        let import = upload(&app, &admin, "entity=contacts&file_name=base.csv", bytes);
        assert_eq!(import["encoding"], encoding, "{name}: {import}");
        assert_eq!(import["delimiter"], delimiter.to_string(), "{name}");
        assert_eq!(import["columns"], json!(["Имя", "Фамилия", "Телефоны"]), "{name}");
        assert_eq!(
            import["preview"][0],
            json!(["Иван", "Петров", "+79161234567"]),
            "{name}"
        );
        let fields: Vec<&str> = import["mapping"]
            .as_array()
            .expect("mapping")
            .iter()
            .map(|t| t["field"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(fields, ["first_name", "last_name", "phones"], "{name}");
        // The same people again each time: create anyway, so each file adds three.
        let import = serde_json::from_str::<Value>(
            &patch(&app, &admin, &import, json!({"duplicate_mode": "create"}))
                .text()
                .expect("patch"),
        )
        .expect("patched");
        let done = run(&app, &admin, &import, 2000);
        assert_eq!(done["counts"]["created"], 3, "{name}: {done}");
        want.extend(
            CYRILLIC_ROWS
                .iter()
                .map(|(first, last, _)| (first.to_string(), last.to_string())),
        );
    }
    want.sort();
    assert_eq!(contact_names(&app, &admin), want);
}

const GOOGLE_CSV: &str = "Name,Given Name,Family Name,Notes,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,Organization 1 - Name,Organization 1 - Title\r\n\
    Ivan Petrov,Ivan,Petrov,\"First line\r\nsecond line, with a comma\",* Work,ivan@example.com,Mobile,+7 916 123-45-67 ::: +7 916 000-00-00,Work Fax,+7 495 111-22-33,Romashka,Director\r\n";

const OUTLOOK_CSV: &str = "First Name,Last Name,Company,Job Title,Business Phone,Mobile Phone,E-mail Address,Business City\r\n\
    Anna,Smith,Romashka,Buyer,+1 212 555 0100,+1 917 555 0101,anna@example.com,New York\r\n";

/// The Google file's mapping: label columns give the typed lists' types.
fn google_mapping() -> Value {
    json!([
        {"column": 1, "field": "first_name"},
        {"column": 2, "field": "last_name"},
        {"column": 3, "field": "comments"},
        {"column": 5, "field": "emails", "type_column": 4},
        {"column": 7, "field": "phones", "type_column": 6},
        {"column": 9, "field": "phones", "type_column": 8},
        {"column": 10, "field": "company_id"},
        {"column": 11, "field": "post"},
    ])
}

/// The Outlook file's mapping: each phone column has its fixed type.
fn outlook_mapping() -> Value {
    json!([
        {"column": 0, "field": "first_name"},
        {"column": 1, "field": "last_name"},
        {"column": 2, "field": "company_id"},
        {"column": 3, "field": "post"},
        {"column": 4, "field": "phones", "type": "work"},
        {"column": 5, "field": "phones", "type": "mobile"},
        {"column": 6, "field": "emails", "type": "work"},
        {"column": 7, "field": "address.city"},
    ])
}

/// A mapping's (column, field, type, type column) tuples in column order, the alias
/// `company_id` read as `company_ids`.
fn targets(mapping: &Value) -> Vec<(i64, String, Value, Value)> {
    let mut out: Vec<(i64, String, Value, Value)> = mapping
        .as_array()
        .expect("mapping")
        .iter()
        .map(|t| {
            let field = t["field"]
                .as_str()
                .unwrap_or_default()
                .replace("company_id", "company_ids");
            let field = field.replace("company_idss", "company_ids");
            (
                t["column"].as_i64().unwrap_or(-1),
                field,
                t["type"].clone(),
                t["type_column"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

#[test]
fn multi_line_cells_google_and_outlook_files() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let import = upload(
        &app,
        &admin,
        "entity=contacts&file_name=google.csv",
        GOOGLE_CSV.as_bytes().to_vec(),
    );
    let r = patch(&app, &admin, &import, json!({"mapping": google_mapping()}));
    assert_eq!(r.status(), 200);
    let import: Value = r.json().expect("patched");
    assert_eq!(targets(&import["mapping"]), targets(&google_mapping()));
    let done = run(&app, &admin, &import, 2000);
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["linked_created"], 1, "{done}");
    let page = get(&app, &admin, "/api/contacts?q=Petrov");
    let ivan = &page["items"][0];
    assert_eq!(ivan["first_name"], "Ivan");
    // A line break inside a quoted cell is kept (as the text fields store it, LF).
    assert_eq!(ivan["comments"], "First line\nsecond line, with a comma");
    assert_eq!(ivan["post"], "Director");
    assert_eq!(ivan["emails"], json!([{"value": "ivan@example.com", "type": "work"}]));
    let phone_types: Vec<&str> = ivan["phones"]
        .as_array()
        .expect("phones")
        .iter()
        .map(|p| p["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(phone_types, ["mobile", "mobile", "fax"]);
    assert_eq!(ivan["company_ids"].as_array().map(Vec::len), Some(1));

    let import = upload(
        &app,
        &admin,
        "entity=contacts&file_name=outlook.csv",
        OUTLOOK_CSV.as_bytes().to_vec(),
    );
    let r = patch(&app, &admin, &import, json!({"mapping": outlook_mapping()}));
    assert_eq!(r.status(), 200);
    let import: Value = r.json().expect("patched");
    let done = run(&app, &admin, &import, 2000);
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["linked_created"], 0, "the company exists now: {done}");
    let anna = &get(&app, &admin, "/api/contacts?q=Smith")["items"][0];
    assert_eq!(anna["post"], "Buyer");
    let types: Vec<&str> = anna["phones"]
        .as_array()
        .expect("phones")
        .iter()
        .map(|p| p["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["work", "mobile"], "{anna}");
    assert_eq!(anna["address"]["city"], "New York", "{anna}");
    assert_eq!(anna["company_ids"], ivan["company_ids"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM companies"), 1);
}

#[test]
fn google_and_outlook_headers_are_mapped_automatically() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for (name, csv, want) in [
        ("google.csv", GOOGLE_CSV, google_mapping()),
        ("outlook.csv", OUTLOOK_CSV, outlook_mapping()),
    ] {
        let import = upload(
            &app,
            &admin,
            &format!("entity=contacts&file_name={name}"),
            csv.as_bytes().to_vec(),
        );
        assert_eq!(targets(&import["mapping"]), targets(&want), "{name}");
    }
}

#[test]
fn the_vcard_sample_imports_every_card() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let bytes = std::fs::read(crate::helpers::root().join("crates/core/tests/data/contacts.vcf")).expect("sample");
    let cards = String::from_utf8_lossy(&bytes).matches("BEGIN:VCARD").count() as i64;
    let import = upload(&app, &admin, "entity=contacts&file_name=contacts.vcf", bytes);
    assert_eq!(import["format"], "vcard");
    assert_eq!(import["rows"], cards);
    let done = run(&app, &admin, &import, 2000);
    assert_eq!(
        done["counts"]["created"].as_i64().unwrap_or_default() + done["counts"]["failed"].as_i64().unwrap_or_default(),
        cards
    );
    assert!(
        done["counts"]["created"].as_i64().unwrap_or_default() >= cards - 1,
        "{done}"
    );
    let ivan = &get(&app, &admin, "/api/contacts?q=Петров")["items"][0];
    assert_eq!(ivan["first_name"], "Иван");
    assert_eq!(ivan["middle_name"], "Сергеевич");
    assert!(ivan["phones"].as_array().is_some_and(|p| p.len() == 2), "{ivan}");
    assert_eq!(ivan["emails"][0]["value"], "i.petrov@romashka.example");
}

#[test]
fn multipart_uploads_duplicates_in_each_mode_and_the_dry_run() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let existing = crate::helpers::post(
        &app,
        &admin,
        "/api/contacts",
        json!({"last_name": "Old", "emails": [{"value": "old@example.com", "type": "work"}]}),
    );
    let csv = "last_name,emails,phones,post\r\nOld,OLD@example.com,,Boss\r\nNew,new@example.com,+79990000001,\r\nNewer,,8 999 000-00-01,Clerk\r\n";
    for (mode, created, updated, skipped) in [("skip", 1, 0, 2), ("update", 0, 3, 0), ("create", 3, 0, 0)] {
        let form = reqwest::blocking::multipart::Form::new()
            .text("entity", "contacts")
            .part(
                "file",
                reqwest::blocking::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("dups.csv"),
            );
        let r = app
            .client
            .post(format!("{}/api/imports", app.base))
            .bearer_auth(admin.bearer.as_deref().unwrap_or_default())
            .multipart(form)
            .send()
            .expect("multipart");
        assert_eq!(r.status(), 201);
        let import: Value = r.json().expect("import");
        assert_eq!(import["file_name"], "dups.csv");
        let r = patch(&app, &admin, &import, json!({"duplicate_mode": mode}));
        assert_eq!(r.status(), 200);
        let import: Value = r.json().expect("patched");
        let before = count(&app, "SELECT COUNT(*) FROM contacts");
        let dry = call(
            &app,
            &admin,
            Method::POST,
            &format!("/api/imports/{}/dry-run", id(&import)),
            None,
            200,
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM contacts"),
            before,
            "a dry run writes nothing"
        );
        let actions: Vec<&str> = dry["items"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["action"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(actions.len(), 3, "{dry}");
        let done = run(&app, &admin, &import, 2000);
        let c = &done["counts"];
        assert_eq!(
            (c["created"].as_i64(), c["updated"].as_i64(), c["skipped"].as_i64()),
            (Some(created), Some(updated), Some(skipped)),
            "{mode}: {done}"
        );
        assert_eq!(dry["counts"], done["counts"], "{mode}: the dry run foretold it");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts"), before + created, "{mode}");
    }
    let old = get(&app, &admin, &format!("/api/contacts/{}", id(&existing)));
    assert_eq!(old["post"], "Boss");
    let timeline = get(&app, &admin, &format!("/api/contacts/{}/timeline", id(&existing)));
    assert!(
        timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["kind"] == "imported" && e["payload"]["file_name"] == "dups.csv"),
        "{timeline}"
    );
}

#[test]
fn a_failure_in_the_middle_of_a_step_then_an_exact_resume() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let mut csv = String::from("first_name,last_name,emails\n");
    for i in 0..120 {
        csv.push_str(&format!("Name{i},Last{i},p{i}@example.com\n"));
    }
    csv.push_str("Bad,Row,not-an-email\n");
    let import = upload(&app, &admin, "entity=contacts", csv.into_bytes());
    assert_eq!(import["rows"], 121);
    run_once(&app, &admin, &import, 50);
    app.db()
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON contacts WHEN NEW.first_name = 'Name75' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .expect("trigger");
    let failed = app.send(
        Method::POST,
        &format!("/api/imports/{}/step?rows=50", id(&import)),
        &admin,
        None,
    );
    assert_problem(failed, 500);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM contacts"),
        50,
        "the failed step wrote nothing"
    );
    let state = get(&app, &admin, &format!("/api/imports/{}", id(&import)));
    assert_eq!(state["position"], 50);
    assert_eq!(state["counts"]["created"], 50);
    app.db().execute_batch("DROP TRIGGER boom;").expect("drop");
    let done = run(&app, &admin, &import, 50);
    assert_eq!(done["position"], 121);
    assert_eq!(done["counts"]["created"], 120);
    assert_eq!(done["counts"]["failed"], 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts"), 120);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT first_name) FROM contacts"), 120);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM timeline WHERE kind = 'imported'"),
        120
    );
    // The rejected rows download as CSV with their reason.
    let r = app.send(
        Method::GET,
        &format!("/api/imports/{}/rejected", id(&import)),
        &admin,
        None,
    );
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let text = r.text().expect("csv");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "first_name,last_name,emails,Row,Error");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with("Bad,Row,not-an-email,122,emails"), "{}", lines[1]);
}

fn run_once(app: &TestApp, auth: &Auth, import: &Value, rows: u32) -> Value {
    call(
        app,
        auth,
        Method::POST,
        &format!("/api/imports/{}/step?rows={rows}", id(import)),
        None,
        200,
    )
}

#[test]
fn cancel_then_roll_back_in_steps() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let mut csv = String::from("first_name,last_name,company_id\n");
    for i in 0..700 {
        csv.push_str(&format!("Name{i},Last{i},Firm{}\n", i % 3));
    }
    let import = upload(&app, &admin, "entity=contacts", csv.into_bytes());
    run_once(&app, &admin, &import, 600);
    let cancelled = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/imports/{}/cancel", id(&import)),
        None,
        200,
    );
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["counts"]["linked_created"], 3);
    assert_problem(
        app.send(
            Method::POST,
            &format!("/api/imports/{}/step", id(&import)),
            &admin,
            None,
        ),
        409,
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts"), 600);
    let first = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/imports/{}/rollback", id(&import)),
        None,
        200,
    );
    assert_eq!(first["status"], "rolling_back");
    let second = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/imports/{}/rollback", id(&import)),
        None,
        200,
    );
    assert_eq!(second["status"], "rolled_back");
    assert_eq!(second["removed"], 603);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts"), 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM companies"), 0);
}

#[test]
fn permissions_scope_imports_to_the_caller() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let sales = app.department(&admin, "Sales");
    app.create_user(&admin, "m1@example.com", &["manager"], Some(sales));
    app.create_user(&admin, "head@example.com", &["head"], Some(sales));
    let manager = app.login("m1@example.com", PASSWORD);
    let head = app.login("head@example.com", PASSWORD);
    let csv = b"last_name\r\nX\r\n".to_vec();
    let r = app
        .client
        .post(format!("{}/api/imports?entity=contacts", app.base))
        .header("cookie", manager.cookie.as_deref().unwrap_or_default())
        .header("x-csrf-token", manager.csrf.as_deref().unwrap_or_default())
        .body(csv.clone())
        .send()
        .expect("upload");
    assert_problem(r, 403);
    let r = app
        .client
        .post(format!("{}/api/imports?entity=contacts", app.base))
        .header("cookie", head.cookie.as_deref().unwrap_or_default())
        .header("x-csrf-token", head.csrf.as_deref().unwrap_or_default())
        .body(b"last_name,responsible_id\r\nMine,\r\nTheirs,admin@example.com\r\n".to_vec())
        .send()
        .expect("upload");
    assert_eq!(r.status(), 201);
    let import: Value = r.json().expect("import");
    // The admin does not see the head's import.
    assert_problem(
        app.send(Method::GET, &format!("/api/imports/{}", id(&import)), &admin, None),
        404,
    );
    let done = run(&app, &head, &import, 100);
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(
        done["counts"]["failed"], 1,
        "a record for someone outside the head's reach: {done}"
    );
    let head_id = get(&app, &head, "/api/me")["id"].as_i64().expect("id");
    let mine = get(&app, &head, "/api/contacts");
    assert_eq!(mine["items"][0]["responsible_id"], head_id);
    assert_eq!(
        get(&app, &head, "/api/imports")["items"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        get(&app, &admin, "/api/imports")["items"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn bad_input_is_named_and_nothing_is_half_imported() {
    let app = spawn_app();
    let admin = app.setup_admin();
    // Binary garbage.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let problem = assert_problem(send_upload(&app, &admin, "entity=contacts", garbage), 422);
    assert_eq!(fields(&problem), ["file"]);
    // An unknown encoding.
    let problem = assert_problem(
        send_upload(
            &app,
            &admin,
            "entity=contacts&encoding=klingon",
            b"a,b\r\n1,2\r\n".to_vec(),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["encoding"]);
    // An unknown entity, an unknown setting.
    let problem = assert_problem(
        send_upload(&app, &admin, "entity=spaceships&colour=red", b"a\r\n1\r\n".to_vec()),
        422,
    );
    assert_eq!(fields(&problem), ["colour", "entity"]);
    // Oversized.
    let big = vec![b'a'; 50 * 1024 * 1024 + 1];
    assert_problem(send_upload(&app, &admin, "entity=contacts", big), 413);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM imports"), 0);
    // A ragged row is a rejected row; the others import.
    let import = upload(
        &app,
        &admin,
        "entity=contacts",
        b"first_name,last_name\r\nIvan,Petrov\r\nOlga,Sidorova,extra,cells\r\nPetr,Ivanov\r\n".to_vec(),
    );
    // A mapping to an unknown field is a 422 naming it, and changes nothing.
    let problem = assert_problem(
        patch(
            &app,
            &admin,
            &import,
            json!({"mapping": [{"column": 0, "field": "warp_speed"}, {"column": 1, "field": "last_name"}]}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["mapping[0].field"]);
    let problem = assert_problem(
        patch(
            &app,
            &admin,
            &import,
            json!({"mapping": [{"column": 7, "field": "last_name"}]}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["mapping[0].column"]);
    assert_problem(
        app.send(
            Method::POST,
            &format!("/api/imports/{}/step?rows=0", id(&import)),
            &admin,
            None,
        ),
        400,
    );
    let done = run(&app, &admin, &import, 100);
    assert_eq!(done["counts"]["created"], 2, "{done}");
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    assert_eq!(contact_names(&app, &admin).len(), 2);
    // Someone else's id, a missing one.
    assert_problem(app.send(Method::GET, "/api/imports/999", &admin, None), 404);
    assert_problem(app.request(Method::GET, "/api/imports"), 401);
}
