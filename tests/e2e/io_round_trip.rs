//! Export, then import into an empty CRM: the records come back equal. Contacts with Cyrillic
//! names, typed phones and e-mails, an address, a birthday, a position, a multi-line comment with
//! commas and quotes, a company (re-created by its title), and formula-like names from a web form
//! (guarded with `'` in CSV, restored on import) go out as CSV (with `;` too) and
//! XLSX through the `exports` component and in again through the `imports` component's steps
//! with the guessed mapping; every exported field is compared.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, call, get, post, spawn_app};

/// The fields exported and compared (the company compared by its title).
const FIELDS: &str =
    "honorific,first_name,middle_name,last_name,post,birthdate,phones,emails,websites,address,comments,company_id";

/// The contacts as the list shows them, with the company's title instead of its id, sorted.
fn contacts(app: &TestApp, auth: &Auth) -> Vec<Value> {
    let companies: Vec<(i64, String)> = get(app, auth, "/api/companies?limit=500")["items"]
        .as_array()
        .expect("companies")
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().expect("id"),
                c["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut out: Vec<Value> = get(app, auth, &format!("/api/contacts?limit=500&fields={FIELDS}"))["items"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| {
            let mut kept = serde_json::Map::new();
            for field in FIELDS.split(',') {
                let value = match field {
                    "company_id" => json!(
                        c["company_id"]
                            .as_i64()
                            .and_then(|id| companies.iter().find(|(i, _)| *i == id))
                            .map(|(_, title)| title.clone())
                    ),
                    _ => c[field].clone(),
                };
                kept.insert(field.to_string(), value);
            }
            Value::Object(kept)
        })
        .collect();
    out.sort_by_key(|c| c.to_string());
    out
}

fn download(app: &TestApp, auth: &Auth, query: &str) -> Vec<u8> {
    let response = app.send(
        Method::GET,
        &format!("/api/exports/contacts?{query}&fields={FIELDS}&lang=ru"),
        auth,
        None,
    );
    assert_eq!(response.status().as_u16(), 200, "{query}");
    response.bytes().expect("body").to_vec()
}

/// Imports `bytes` as contacts into `app` with the guessed mapping, to the end.
fn import(app: &TestApp, auth: &Auth, file_name: &str, bytes: Vec<u8>) -> Value {
    let mut request = app
        .client
        .post(format!(
            "{}/api/imports?entity=contacts&file_name={file_name}",
            app.base
        ))
        .body(bytes);
    if let Some(token) = &auth.bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().expect("upload");
    assert_eq!(response.status().as_u16(), 201, "{file_name}");
    let import: Value = response.json().expect("import");
    let id = import["id"].as_i64().expect("id");
    loop {
        let step = call(app, auth, Method::POST, &format!("/api/imports/{id}/step"), None, 200);
        if step["status"] == "done" {
            return step;
        }
    }
}

#[test]
fn an_export_imported_into_an_empty_crm_gives_the_same_records() {
    let source = spawn_app();
    let admin = source.setup_admin();
    let company = |title: &str| post(&source, &admin, "/api/companies", json!({"title": title}))["id"].clone();
    let (romashka, acme) = (company("ООО «Ромашка»"), company("Acme, Inc."));
    let people = [
        json!({"first_name": "Иван", "middle_name": "Петрович", "last_name": "Сидоров", "post": "Директор",
               "birthdate": "1980-05-17", "company_ids": [romashka],
               "phones": [{"value": "+79991234567", "type": "work"}, {"value": "+74951112233", "type": "mobile"}],
               "emails": [{"value": "ivan@romashka.ru", "type": "work"}, {"value": "ivan@home.ru", "type": "home"}],
               "address": {"street": "ул. Ленина, 1", "city": "Москва", "postal_code": "101000", "country": "Россия"},
               "comments": "Звонить после обеда,\nспросить про \"скидку\"; не раньше 14:00"}),
        json!({"first_name": "Anna", "last_name": "O'Neil", "company_ids": [acme], "honorific": "MS",
               "emails": [{"value": "anna@acme.test", "type": "work"}],
               "websites": [{"value": "https://acme.test", "type": "work"}]}),
        json!({"last_name": "Только фамилия", "phones": [{"value": "+74950000000", "type": "fax"}]}),
        // From a public web form: formulas a spreadsheet must show as text, not run.
        json!({"first_name": "=HYPERLINK(\"http://evil.test\")", "last_name": "@SUM(1+1)", "post": "-2+3"}),
    ];
    for person in &people {
        post(&source, &admin, "/api/contacts", person.clone());
    }
    let expected = contacts(&source, &admin);
    assert_eq!(expected.len(), 4);
    for (file_name, query) in [
        ("contacts.csv", "format=csv"),
        ("contacts-semicolon.csv", "format=csv&delimiter=%3B"),
        ("contacts.xlsx", "format=xlsx"),
    ] {
        let bytes = download(&source, &admin, query);
        if file_name.ends_with(".csv") {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains("\"'=HYPERLINK(\"\"http://evil.test\"\")\"")
                    && text.contains("'@SUM(1+1)")
                    && text.contains("'-2+3"),
                "{text}"
            );
            assert!(
                text.contains("+79991234567 (work) ::: +74951112233 (mobile)") && !text.contains("'+7"),
                "phones are no formulas: {text}"
            );
        }
        let target = spawn_app();
        let owner = target.setup_admin();
        let done = import(&target, &owner, file_name, bytes);
        assert_eq!(done["counts"]["created"], 4, "{file_name}: {done}");
        assert_eq!(done["counts"]["failed"], 0, "{file_name}: {done}");
        assert_eq!(contacts(&target, &owner), expected, "{file_name}");
    }
}
