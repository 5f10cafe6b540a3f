//! Exports against real SQLite files: the list's filter, sort and fields over several keyset
//! pages, the cell conventions in CSV (BOM, CRLF, Cyrillic, `;`), XLSX read back typed with
//! calamine, vCard folding and escaping, Outlook's header, and the export permission's scope.

mod common;

use common::{fresh, user};

use crm_core::CoreError;
use crm_core::Db;
use crm_core::acl::Caller;
use crm_core::io::export::Export;
use crm_core::records::{EntityDef, service};
use serde_json::{Value as Json, json};

/// 2026-11-30T12:00:00Z.
const NOW: i64 = 1_796_040_000;

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Json) -> i64 {
    let def = EntityDef::load(db, entity).expect("entity");
    service::create(db, caller, &def, &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))["id"]
        .as_i64()
        .expect("id")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The whole file of an export, and how many chunks it came in.
fn export(db: &dyn Db, caller: &Caller, entity: &str, query: &[(&str, &str)]) -> Result<(Vec<u8>, usize), CoreError> {
    let mut export = Export::new(db, caller, entity, &pairs(query), Some("en"), NOW)?;
    let mut bytes = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = export.next_chunk(db)? {
        bytes.extend(chunk);
        chunks += 1;
    }
    Ok((bytes, chunks))
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn csv_honours_filter_sort_and_fields_across_pages() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    for i in 0..1_203 {
        let last = if i % 3 == 0 {
            format!("Петров-{i:04}")
        } else {
            format!("Smith-{i:04}")
        };
        create(
            &db,
            &admin,
            "contact",
            json!({"first_name": "Иван", "last_name": last, "phones": [{"value": format!("+7999{i:07}"), "type": "mobile"}]}),
        );
    }
    let query = [
        ("filter[last_name][like]", "петров"),
        ("sort", "last_name"),
        ("fields", "last_name,first_name,phones"),
        ("lang", "ru"),
    ];
    let (bytes, chunks) = export(&db, &admin, "contacts", &query).expect("export");
    let csv = text(bytes);
    assert!(csv.starts_with("\u{feff}ID,Фамилия,Имя,Телефоны\r\n"), "{}", &csv[..80]);
    let lines: Vec<&str> = csv.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 401, "the header and every Petrov");
    assert_eq!(chunks, 1, "401 rows are one page");
    assert!(
        lines[1].ends_with(",Петров-0000,Иван,+79990000000 (mobile)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[401].contains(",Петров-1200,"),
        "sorted by last name: {}",
        lines[401]
    );
    // Every contact, over three pages, in the list's default order (newest first).
    let (bytes, chunks) = export(&db, &admin, "contacts", &[("fields", "last_name"), ("delimiter", ";")]).expect("all");
    let csv = text(bytes);
    let lines: Vec<&str> = csv.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!((lines.len(), chunks), (1 + 1_203, 3));
    assert_eq!(lines[0], "\u{feff}ID;Last name");
    assert!(lines[1].ends_with(";Smith-1202"), "{}", lines[1]);
    let mut ids: Vec<i64> = lines[1..]
        .iter()
        .map(|l| l.split(';').next().unwrap().parse().unwrap())
        .collect();
    let listed = ids.clone();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    assert_eq!(ids, listed, "no row twice, none skipped, in order");
}

#[test]
fn xlsx_cells_are_typed() {
    use calamine::{Data, Reader, Xlsx};
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    let acme = create(&db, &admin, "company", json!({"title": "ООО «Ромашка» & Co"}));
    create(
        &db,
        &admin,
        "deal",
        json!({"title": "Поставка", "amount": "1250.50", "currency": "RUB", "begin_date": "2026-01-05", "company_id": acme, "probability": 40}),
    );
    let query = [
        ("format", "xlsx"),
        (
            "fields",
            "title,amount,begin_date,company_id,probability,responsible_id,created_at",
        ),
    ];
    let (bytes, _) = export(&db, &admin, "deals", &query).expect("export");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    assert_eq!(book.sheet_names(), vec!["deals".to_string()]);
    let sheet = book.worksheet_range("deals").expect("sheet");
    let header: Vec<String> = (0..9)
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
            "Probability, %",
            "Responsible",
            "Created"
        ]
    );
    assert!(
        matches!(sheet.get((1, 0)), Some(Data::String(id)) if id.parse::<i64>().is_ok()),
        "ids are text"
    );
    assert_eq!(sheet.get((1, 1)), Some(&Data::String("Поставка".into())));
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(1250.5)));
    assert_eq!(sheet.get((1, 3)), Some(&Data::String("RUB".into())));
    match sheet.get((1, 4)) {
        Some(Data::DateTime(date)) => assert_eq!(date.as_f64(), 46027.0), // 2026-01-05
        other => panic!("a date: {other:?}"),
    }
    assert_eq!(sheet.get((1, 5)), Some(&Data::String("ООО «Ромашка» & Co".into())));
    assert_eq!(sheet.get((1, 6)), Some(&Data::Float(40.0)));
    assert_eq!(sheet.get((1, 7)), Some(&Data::String("admin@x.test".into())));
    assert!(
        matches!(sheet.get((1, 8)), Some(Data::DateTime(_))),
        "{:?}",
        sheet.get((1, 8))
    );
}

#[test]
fn vcards_fold_and_escape_and_outlook_has_its_header() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    let acme = create(&db, &admin, "company", json!({"title": "Acme; Inc"}));
    create(
        &db,
        &admin,
        "contact",
        json!({"first_name": "Иван", "last_name": "Петров", "company_ids": [acme],
               "comments": "Очень длинный комментарий, который не поместится в одну строку vCard из семидесяти пяти октетов",
               "emails": [{"value": "ivan@example.com", "type": "work"}]}),
    );
    for version in ["3.0", "4.0"] {
        let (bytes, _) = export(&db, &admin, "contacts", &[("format", "vcard"), ("version", version)]).expect("vcard");
        let card = text(bytes);
        assert!(
            card.starts_with(&format!("BEGIN:VCARD\r\nVERSION:{version}\r\n")),
            "{card}"
        );
        assert!(card.contains("ORG:Acme\\; Inc\r\n"), "{card}");
        assert!(card.contains("NOTE:Очень длинный комментарий\\,"), "{card}");
        for line in card.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(card.contains("\r\n "), "the note is folded");
        assert!(card.ends_with("END:VCARD\r\n"));
    }
    let (bytes, _) = export(&db, &admin, "contacts", &[("format", "outlook")]).expect("outlook");
    let csv = text(bytes);
    let mut lines = csv.split("\r\n");
    assert_eq!(lines.next().unwrap().split(',').count(), 61);
    let row = lines.next().unwrap();
    assert!(row.starts_with("Иван,,Петров,"), "{row}");
    assert!(row.contains(",ivan@example.com,"), "{row}");
    assert!(row.contains(",Acme; Inc,"), "{row}");
}

#[test]
fn an_export_covers_only_what_the_export_level_reaches() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    let manager = user(&db, "m@x.test", "manager");
    create(&db, &manager, "contact", json!({"last_name": "Mine"}));
    create(&db, &admin, "contact", json!({"last_name": "Theirs"}));
    let (bytes, _) = export(&db, &manager, "contacts", &[("fields", "last_name")]).expect("own");
    let csv = text(bytes);
    assert!(csv.contains(",Mine\r\n") && !csv.contains("Theirs"), "{csv}");
    // A role that reads everything but exports only its own.
    db.execute(
        "UPDATE roles SET permissions = json_set(permissions, '$.entities.contact.export', 'own') WHERE code = 'administrator'",
        &[],
    )
    .expect("narrow");
    let admin = Caller::load(&db, admin.user_id).expect("reload");
    let (bytes, _) = export(&db, &admin, "contacts", &[("fields", "last_name")]).expect("narrowed");
    let csv = text(bytes);
    assert!(csv.contains(",Theirs\r\n") && !csv.contains("Mine"), "{csv}");
    // Products: the manager reads them but may not export them.
    assert!(matches!(
        export(&db, &manager, "products", &[]),
        Err(CoreError::ForbiddenBecause(_))
    ));
}

/// An entity, its query, and what the 400 must name.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_requests_name_what_is_wrong() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@x.test", "administrator");
    let cases: &[Case] = &[
        ("widgets", &[], "widgets"),
        ("contacts", &[("format", "pdf")], "pdf"),
        ("companies", &[("format", "vcard")], "vcard"),
        ("leads", &[("format", "outlook")], "outlook"),
        ("contacts", &[("fields", "last_name,nope")], "nope"),
        ("contacts", &[("filter[nope]", "1")], "nope"),
        ("contacts", &[("sort", "phones")], "phones"),
        ("contacts", &[("cursor", "x")], "cursor"),
        ("contacts", &[("format", "vcard"), ("version", "2.1")], "2.1"),
        ("contacts", &[("delimiter", "|")], "|"),
    ];
    for (entity, query, named) in cases {
        match export(&db, &admin, entity, query) {
            Err(CoreError::BadRequest(message)) => assert!(message.contains(named), "{entity} {query:?}: {message}"),
            other => panic!("{entity} {query:?}: expected a 400, got {other:?}"),
        }
    }
}
