//! The import wizard in a real browser (`tests/browser/ui/imports_wizard.mjs`, run as the other
//! UI scenarios are): a CSV with Cyrillic from upload through settings, mapping, duplicates,
//! dry run and run to the rejected rows and roll back — on a desktop in English and on a
//! phone in Russian — and then the API's account of the same import; and the other file kinds
//! and a cancel (`imports_formats.mjs`): a workbook's second sheet, a phone's vCard file, a run
//! cancelled between two steps.

use serde_json::{Value, json};

use crate::helpers::{get, spawn_app};
use crate::ui_browser::{admin_config, run_ui};

/// Runs the wizard in `lang` at `width` x `height` and checks what it left behind.
fn wizard(lang: &str, locale: &str, width: u32, height: u32) {
    let app = spawn_app();
    let admin = app.setup_admin();
    let mut config = admin_config(&admin);
    config["lang"] = json!(lang);
    config["locale"] = json!(locale);
    config["viewport"] = json!({"width": width, "height": height});
    config["timeout_ms"] = json!(30000);
    let results = run_ui(&app, "imports_wizard", config);

    // The contacts as the import created them: the hand-made mapping and the fixed type held.
    let created = results["created"].as_array().cloned().unwrap_or_default();
    assert_eq!(created.len(), 2, "{results}");
    let ivan = &created[0];
    assert_eq!(ivan["first_name"], "Иван");
    assert_eq!(ivan["last_name"], "Петров");
    assert_eq!(ivan["post"], "Директор");
    assert_eq!(ivan["comments"], "Звонить утром", "the column mapped by hand");
    assert_eq!(ivan["phones"][0]["e164"], "+79991112233");
    assert_eq!(ivan["phones"][0]["type"], "mobile", "the type chosen for the column");
    assert_eq!(ivan["emails"][0]["value"], "ivan.petrov@example.com");

    // The import: its mapping as sent, its counts, rolled back; the contacts gone.
    let imports = get(&app, &admin, "/api/imports");
    let items = imports["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{imports}");
    let import: &Value = &items[0];
    assert_eq!(import["file_name"], "контакты.csv");
    assert_eq!(import["status"], "rolled_back", "{import}");
    for (count, expected) in [("created", 2), ("updated", 0), ("skipped", 0), ("failed", 1)] {
        assert_eq!(import["counts"][count], expected, "{count}: {import}");
    }
    assert_eq!(import["position"], 3);
    let mapping = import["mapping"].as_array().cloned().unwrap_or_default();
    assert!(
        mapping.iter().any(|m| m["column"] == 5 && m["field"] == "comments"),
        "{mapping:?}"
    );
    assert!(
        mapping
            .iter()
            .any(|m| m["column"] == 2 && m["field"] == "phones" && m["type"] == "mobile"),
        "{mapping:?}"
    );
    let contacts = get(&app, &admin, "/api/contacts");
    assert_eq!(contacts["items"], json!([]), "rolled back: {contacts}");
    // The rejected rows the browser downloaded: the header with the reason, the bad row.
    let rejected = results["rejected"].as_str().unwrap_or_default();
    assert!(rejected.starts_with('\u{feff}'), "UTF-8 with a BOM: {rejected:?}");
    assert!(rejected.contains("Error"), "{rejected}");
    assert_eq!(rejected.matches("это-не-почта").count(), 1, "{rejected}");
}

#[test]
fn a_csv_in_cyrillic_goes_through_the_wizard_into_contacts_and_rolls_back() {
    wizard("en", "en-US", 1280, 860);
}

#[test]
fn the_import_wizard_works_in_russian_on_a_phone() {
    wizard("ru", "ru-RU", 360, 740);
}

/// A workbook whose first sheet is notes and whose second holds two contacts.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet().set_name("Заметки").expect("a sheet name");
    notes.write_string(0, 0, "Заметка").expect("a cell");
    notes.write_string(1, 0, "Позвонить в понедельник").expect("a cell");
    let sheet = book.add_worksheet().set_name("Контакты").expect("a sheet name");
    for (row, cells) in [
        ["Имя", "Фамилия", "E-mail", "Телефон"],
        ["Анна", "Смирнова", "anna@example.com", "+7 999 100-00-01"],
        ["Олег", "Кузнецов", "oleg@example.com", "+7 999 100-00-02"],
    ]
    .iter()
    .enumerate()
    {
        for (col, text) in cells.iter().enumerate() {
            sheet.write_string(row as u32, col as u16, *text).expect("a cell");
        }
    }
    book.save_to_buffer().expect("the workbook")
}

#[test]
fn a_workbook_sheet_a_vcard_file_and_a_cancelled_run_through_the_wizard() {
    use base64::Engine as _;
    let app = spawn_app();
    let admin = app.setup_admin();
    let vcf = include_str!("../../crates/core/tests/data/contacts.vcf");
    let cards = vcf.matches("BEGIN:VCARD").count();
    let mut config = admin_config(&admin);
    config["timeout_ms"] = json!(30000);
    config["xlsx"] = json!(base64::engine::general_purpose::STANDARD.encode(workbook()));
    config["vcf"] = json!(vcf);
    config["vcf_cards"] = json!(cards);
    let results = run_ui(&app, "imports_formats", config);

    let imports = results["imports"].as_array().cloned().unwrap_or_default();
    let by_name = |name: &str| {
        imports
            .iter()
            .find(|i| i["file_name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    let book = by_name("book.xlsx");
    assert_eq!(
        (book["format"].as_str(), book["sheet"].as_str()),
        (Some("xlsx"), Some("Контакты")),
        "{book}"
    );
    assert_eq!(book["counts"]["created"], 2, "{book}");
    let phone = by_name("phone.vcf");
    assert_eq!(phone["format"], "vcard", "{phone}");
    assert_eq!(phone["counts"]["created"], json!(cards), "{phone}");
    let cancelled = by_name("cancel.csv");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(
        (cancelled["position"].as_i64(), cancelled["counts"]["created"].as_i64()),
        (Some(2), Some(2)),
        "{cancelled}"
    );
    assert_eq!(results["steps"], 1, "no step after the cancel: {results}");

    let contacts = get(&app, &admin, "/api/contacts?q=Смирнова");
    assert_eq!(
        contacts["items"][0]["emails"][0]["value"], "anna@example.com",
        "{contacts}"
    );
    assert_eq!(contacts["items"][0]["phones"][0]["e164"], "+79991000001", "{contacts}");
    let all = results["contacts"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(
        all,
        2 + cards + 2,
        "two from the workbook, the cards, two before the cancel"
    );
}
