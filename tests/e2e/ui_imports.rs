//! The import wizard in a real browser (`tests/browser/ui/imports_wizard.mjs`, run as the other
//! UI scenarios are): a CSV with Cyrillic from upload through settings, mapping, duplicates,
//! dry run and run to the rejected rows and roll back — on a desktop in English and on a
//! phone in Russian — and then the API's account of the same import.

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
