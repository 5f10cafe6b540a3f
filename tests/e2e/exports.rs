//! Exports end to end: the real `exports` component over HTTP, its body streamed (chunked, no
//! `Content-Length`). CSV with a BOM, CRLF and Cyrillic honours the list's filter, sort and
//! fields over several keyset pages and `;`; XLSX reads back typed with calamine; vCard 3.0
//! and 4.0 lines are folded and escaped; Outlook CSV has its 61 columns; a manager's export
//! covers their own records, a role without `export` gets 403; an unknown format, entity,
//! field or option is a 400 naming it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, assert_problem, get, post, spawn_app};

/// The response of an export (status checked by the caller).
fn fetch(app: &TestApp, auth: &Auth, path: &str) -> reqwest::blocking::Response {
    app.send(Method::GET, path, auth, None)
}

/// A 200 export's headers of interest and its bytes.
fn download(app: &TestApp, auth: &Auth, path: &str) -> (String, String, Vec<u8>) {
    let response = fetch(app, auth, path);
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    assert!(
        response.headers().get("content-length").is_none(),
        "{path}: the body is streamed, not sent with a length"
    );
    let bytes = response.bytes().expect("body").to_vec();
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    (content_type, disposition, bytes)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .map(str::to_string)
        .collect()
}

fn contact(app: &TestApp, auth: &Auth, body: Value) -> i64 {
    post(app, auth, "/api/contacts", body)["id"].as_i64().expect("id")
}

#[test]
fn csv_honours_the_lists_filter_sort_and_fields_across_pages() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for i in 0..520 {
        let last = if i % 2 == 0 {
            format!("Петров {i:03}")
        } else {
            format!("Smith {i:03}")
        };
        contact(
            &app,
            &admin,
            json!({"first_name": "Иван", "last_name": last, "phones": [{"value": format!("+7999{i:07}"), "type": "mobile"}],
                   "address": {"city": "Москва", "street": "ул. Ленина, 1"}}),
        );
    }
    let query = "filter[last_name][like]=петров&sort=-last_name&fields=last_name,phones,address&lang=ru";
    let (content_type, disposition, bytes) = download(&app, &admin, &format!("/api/exports/contacts?{query}"));
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(
        disposition.starts_with("attachment; filename=\"contacts-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM first");
    let rows = lines(&bytes);
    assert_eq!(
        rows[0],
        "\u{feff}ID,Фамилия,Телефоны,Адрес: улица,Адрес: город,Адрес: регион,Адрес: индекс,Адрес: страна"
    );
    assert_eq!(rows.len(), 1 + 260);
    assert!(
        rows[1].ends_with(",Петров 518,+79990000518 (mobile),\"ул. Ленина, 1\",Москва,,,"),
        "{}",
        rows[1]
    );
    assert!(rows[260].contains(",Петров 000,"), "{}", rows[260]);
    // The same rows as the list itself, in its order, every page of it.
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            &app,
            &admin,
            &format!("/api/contacts?{query}&limit=100{cursor}").replace("&lang=ru", ""),
        );
        listed.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|r| r["id"].as_i64().expect("id")),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let exported: Vec<i64> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(exported, listed);
    // Every contact (two pages of 500) with `;`.
    let (_, _, bytes) = download(&app, &admin, "/api/exports/contacts?fields=first_name&delimiter=%3B");
    let rows = lines(&bytes);
    assert_eq!(rows.len(), 1 + 520);
    assert_eq!(rows[0], "\u{feff}ID;First name");
    let mut ids: Vec<i64> = rows[1..]
        .iter()
        .map(|r| r.split(';').next().unwrap().parse().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 520, "no row twice");
}

#[test]
fn xlsx_reads_back_typed() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app();
    let admin = app.setup_admin();
    let acme = post(&app, &admin, "/api/companies", json!({"title": "ООО «Ромашка»"}))["id"].clone();
    post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Поставка", "amount": "1250.50", "currency": "RUB", "begin_date": "2026-01-05", "company_id": acme}),
    );
    let (content_type, disposition, bytes) = download(
        &app,
        &admin,
        "/api/exports/deals?format=xlsx&fields=title,amount,begin_date,company_id,closed",
    );
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(disposition.ends_with(".xlsx\""), "{disposition}");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book.worksheet_range("deals").expect("the sheet");
    let header: Vec<String> = (0..7)
        .map(|c| sheet.get((0, c)).map(|d| d.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(
        header,
        [
            "ID",
            "Deal name",
            "Amount",
            "Currency",
            "Start date",
            "Company",
            "Closed"
        ]
    );
    assert!(matches!(sheet.get((1, 0)), Some(Data::String(_))), "ids are text");
    assert_eq!(sheet.get((1, 1)), Some(&Data::String("Поставка".into())));
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(1250.5)));
    assert_eq!(sheet.get((1, 3)), Some(&Data::String("RUB".into())));
    match sheet.get((1, 4)) {
        Some(Data::DateTime(date)) => assert_eq!(date.as_f64(), 46027.0),
        other => panic!("a date: {other:?}"),
    }
    assert_eq!(sheet.get((1, 5)), Some(&Data::String("ООО «Ромашка»".into())));
    assert_eq!(sheet.get((1, 6)), Some(&Data::Bool(false)));
}

#[test]
fn vcards_are_folded_and_escaped_and_outlook_csv_has_its_columns() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let acme = post(&app, &admin, "/api/companies", json!({"title": "Acme, Inc"}))["id"].clone();
    contact(
        &app,
        &admin,
        json!({"first_name": "Иван", "last_name": "Петров", "company_ids": [acme], "post": "Директор; продажи",
               "phones": [{"value": "+79991234567", "type": "mobile"}, {"value": "+74951112233", "type": "work"}],
               "emails": [{"value": "ivan@example.com", "type": "work"}],
               "comments": "Первая строка\nВторая строка, достаточно длинная, чтобы её пришлось перенести"}),
    );
    for version in ["3.0", "4.0"] {
        let (content_type, disposition, bytes) = download(
            &app,
            &admin,
            &format!("/api/exports/contacts?format=vcard&version={version}"),
        );
        assert_eq!(content_type, "text/vcard; charset=utf-8");
        assert!(disposition.ends_with(".vcf\""), "{disposition}");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let physical = lines(&bytes);
        assert_eq!(
            physical[0..2],
            ["BEGIN:VCARD".to_string(), format!("VERSION:{version}")]
        );
        assert!(physical.iter().all(|l| l.len() <= 75), "{physical:?}");
        assert!(physical.iter().any(|l| l.starts_with(' ')), "a long line is folded");
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("\r\nORG:Acme\\, Inc\r\n"), "{unfolded}");
        assert!(unfolded.contains("\r\nTITLE:Директор\\; продажи\r\n"), "{unfolded}");
        assert!(
            unfolded.contains("\r\nNOTE:Первая строка\\nВторая строка\\, достаточно"),
            "{unfolded}"
        );
        assert!(unfolded.contains("\r\nN:Петров;Иван;;;\r\n"), "{unfolded}");
        assert!(unfolded.contains("TEL;TYPE="), "{unfolded}");
    }
    let (_, _, bytes) = download(&app, &admin, "/api/exports/contacts?format=outlook");
    let rows = lines(&bytes);
    assert!(
        rows[0].starts_with("\u{feff}First Name,Middle Name,Last Name,Title,"),
        "{}",
        rows[0]
    );
    assert_eq!(rows[0].split(',').count(), 61);
    assert!(rows[1].starts_with("Иван,,Петров,"), "{}", rows[1]);
    assert!(
        rows[1].contains(",+74951112233,,+79991234567,"),
        "business then mobile: {}",
        rows[1]
    );
    assert!(rows[1].contains(",\"Acme, Inc\","), "{}", rows[1]);
    // Leads take vCard too (their own company name), companies do not.
    post(
        &app,
        &admin,
        "/api/leads",
        json!({"title": "Заявка с сайта", "company_title": "Globex"}),
    );
    let (_, _, bytes) = download(&app, &admin, "/api/exports/leads?format=vcard");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(
        text.contains("FN:Заявка с сайта\r\n") && text.contains("ORG:Globex\r\n"),
        "{text}"
    );
    let problem = assert_problem(fetch(&app, &admin, "/api/exports/companies?format=vcard"), 400);
    assert!(
        problem["detail"].as_str().unwrap_or_default().contains("vcard"),
        "{problem}"
    );
}

#[test]
fn an_export_covers_the_callers_scope_and_needs_the_export_permission() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "m1@example.com", &["manager"], None);
    let m1 = app.login("m1@example.com", PASSWORD);
    contact(&app, &m1, json!({"last_name": "Mine"}));
    contact(&app, &admin, json!({"last_name": "Theirs"}));
    let (_, _, bytes) = download(&app, &m1, "/api/exports/contacts?fields=last_name");
    let rows = lines(&bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].ends_with(",Mine"), "{rows:?}");
    let (_, _, bytes) = download(&app, &admin, "/api/exports/contacts?fields=last_name");
    assert_eq!(lines(&bytes).len(), 3);
    // Managers read products but may not export them.
    get(&app, &m1, "/api/products");
    assert_problem(fetch(&app, &m1, "/api/exports/products"), 403);
    assert_problem(fetch(&app, &Auth::none(), "/api/exports/contacts"), 401);
}

#[test]
fn bad_exports_are_400s_naming_what_is_wrong() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for (path, named) in [
        ("/api/exports/contacts?format=pdf", "pdf"),
        ("/api/exports/widgets", "widgets"),
        ("/api/exports/contacts?fields=last_name,secret", "secret"),
        ("/api/exports/contacts?filter[nope]=1", "nope"),
        ("/api/exports/contacts?sort=phones", "phones"),
        ("/api/exports/contacts?limit=10", "limit"),
        ("/api/exports/contacts?format=vcard&version=2.1", "2.1"),
        ("/api/exports/leads?format=outlook", "outlook"),
        ("/api/exports/contacts?delimiter=%7C", "|"),
        ("/api/exports/contacts?lang=de", "de"),
    ] {
        let problem = assert_problem(fetch(&app, &admin, path), 400);
        assert!(
            problem["detail"].as_str().unwrap_or_default().contains(named),
            "{path}: {problem}"
        );
    }
    let problem = assert_problem(app.send(Method::POST, "/api/exports/contacts", &admin, None), 405);
    assert!(problem.is_object());
}
