//! The web UI in a real browser: each test starts the app, prepares data through the API, runs
//! one scenario from `tests/browser/ui/` (Debian's chromium driven by playwright-core, by roles
//! and labels as a person would) and checks the outcome through the API. Screenshots of the
//! screens go to `<target>/ui-screenshots/` (failures as `FAILED-<scenario>.png`). Needs what
//! `.ci/run` installs (`chromium`, `npm ci` in `tests/browser`): without it these tests fail
//! saying so.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{assert_clean_page, run_node};
use crate::helpers::{ADMIN_EMAIL, Auth, PASSWORD, TestApp, get, post, root, spawn_app};

/// Where screenshots go: `$CARGO_TARGET_DIR/ui-screenshots`, else `target/ui-screenshots`.
fn screenshots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("ui-screenshots")
}

/// Runs scenario `name` with `config` (plus the app's base and the screenshots dir); returns
/// the scenario's `results`. Panics with everything the browser saw if it failed, if the page
/// broke its CSP, threw, or opened a JavaScript dialog.
pub(crate) fn run_ui(app: &TestApp, name: &str, mut config: Value) -> Value {
    config["base"] = json!(app.base);
    config["shots"] = json!(screenshots_dir());
    let (outcome, stderr) = run_node(&["ui/run.mjs", name], &config);
    if outcome["ok"] != true {
        let html = outcome["html"].as_str().unwrap_or_default();
        panic!(
            "UI scenario {name} failed: {}\nurl: {}\nconsole: {}\npage errors: {}\npage: {}\nstderr: {stderr}",
            outcome["error"].as_str().unwrap_or_default(),
            outcome["url"],
            outcome["console"],
            outcome["page_errors"],
            html.chars().take(6000).collect::<String>(),
        );
    }
    assert_clean_page(&outcome);
    assert_eq!(outcome["dialogs"], json!([]), "the page opened a JavaScript dialog");
    outcome["results"].clone()
}

/// The administrator's name as `setup_admin` makes it.
const ADMIN_NAME: &str = "Anna Admin";

pub(crate) fn admin_config(token: &Auth) -> Value {
    json!({"email": ADMIN_EMAIL, "password": PASSWORD, "name": ADMIN_NAME, "token": token.bearer})
}

fn lead(app: &TestApp, auth: &Auth, body: Value) -> Value {
    post(app, auth, "/api/leads", body)
}

#[test]
fn first_run_offers_setup_and_signs_the_administrator_in() {
    let app = spawn_app();
    let results = run_ui(&app, "first_run", json!({"email": ADMIN_EMAIL, "password": PASSWORD}));
    let token = results["token_shown"].as_str().unwrap_or_default();
    assert!(token.starts_with("crm_"), "the setup token is shown once: {results}");
    // The token shown works, and the administrator exists with the name typed.
    let me = get(&app, &Auth::bearer(token), "/api/me");
    assert_eq!(me["name"], "Anna Admin");
    assert_eq!(me["roles"], json!(["administrator"]));
}

#[test]
fn sign_in_says_wrong_password_and_returns_to_the_page_asked_for() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = lead(&app, &admin, json!({"title": "Deep-linked lead"}));
    let mut config = admin_config(&admin);
    config["lead_id"] = created["id"].clone();
    config["lead_title"] = json!("Deep-linked lead");
    run_ui(&app, "sign_in", config);
}

#[test]
fn repeated_wrong_passwords_show_the_wait_from_retry_after() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "throttle", admin_config(&admin));
    assert!(
        results["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Too many attempts."),
        "{results}"
    );
}

#[test]
fn a_lead_created_in_the_ui_is_found_by_the_global_search() {
    let app = spawn_app();
    let admin = app.setup_admin();
    // Something else that matches too, in another group.
    post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Romashka", "last_name": "Contact"}),
    );
    let mut config = admin_config(&admin);
    config["title"] = json!("Romashka LLC enquiry");
    config["query"] = json!("Romashka");
    let results = run_ui(&app, "create_and_search", config);
    let page = get(&app, &admin, "/api/leads?q=Romashka");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["title"], "Romashka LLC enquiry");
    assert_eq!(items[0]["phones"][0]["e164"], "+79991234567");
    let id = items[0]["id"].as_i64().expect("id");
    assert!(
        results["card_url"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&format!("/leads/{id}")),
        "{results}"
    );
    let timeline = get(&app, &admin, &format!("/api/leads/{id}/timeline"));
    assert!(
        timeline.to_string().contains("Called back, wants a quote"),
        "{timeline}"
    );
}

#[test]
fn a_filtered_list_saved_as_a_view_comes_back_after_reload() {
    let app = spawn_app();
    let admin = app.setup_admin();
    lead(&app, &admin, json!({"title": "Alpha new"}));
    lead(
        &app,
        &admin,
        json!({"title": "Beta in progress", "status": "IN_PROCESS"}),
    );
    lead(&app, &admin, json!({"title": "Gamma new"}));
    let mut config = admin_config(&admin);
    config["in_progress"] = json!("Beta in progress");
    run_ui(&app, "saved_view", config);
    let views = get(&app, &admin, "/api/views?filter[entity]=lead");
    let items = views["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{views}");
    assert_eq!(items[0]["name"], "Leads in progress");
    assert_eq!(items[0]["shared"], true);
    let query = items[0]["query"].as_str().unwrap_or_default();
    assert!(
        query.contains("filter%5Bstatus%5D=IN_PROCESS") || query.contains("filter[status]=IN_PROCESS"),
        "{query}"
    );
    assert!(query.contains("sort=title"), "{query}");
}

#[test]
fn bulk_assign_hands_the_selected_leads_to_another_user() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let boris = app.create_user(&admin, "boris@example.com", &["manager"], None);
    let a = lead(&app, &admin, json!({"title": "Lead A"}));
    let b = lead(&app, &admin, json!({"title": "Lead B"}));
    let c = lead(&app, &admin, json!({"title": "Lead C"}));
    let mut config = admin_config(&admin);
    config["pick"] = json!(["Lead A", "Lead C"]);
    config["assignee"] = json!("boris@example.com");
    run_ui(&app, "bulk_assign", config);
    let responsible = |record: &Value| {
        get(&app, &admin, &format!("/api/leads/{}", record["id"]))["responsible_id"]
            .as_i64()
            .unwrap_or_default()
    };
    assert_eq!(responsible(&a), boris);
    assert_eq!(responsible(&c), boris);
    assert_eq!(responsible(&b), 1, "the lead not picked stays");
}

#[test]
fn saving_over_someone_elses_change_shows_it_and_keeps_mine_on_purpose() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = lead(&app, &admin, json!({"title": "Original title"}));
    let mut config = admin_config(&admin);
    config["lead_id"] = created["id"].clone();
    config["title"] = json!("Original title");
    run_ui(&app, "conflict", config);
    let now = get(&app, &admin, &format!("/api/leads/{}", created["id"]));
    assert_eq!(now["title"], "Mine, from the form");
    assert_eq!(now["comments"], "Boris was here", "their other change survives");
    assert_eq!(now["version"], 3, "created, their save, mine: {now}");
}

#[test]
fn switching_to_russian_shows_russian_labels_and_is_remembered() {
    let app = spawn_app();
    let admin = app.setup_admin();
    lead(&app, &admin, json!({"title": "Первый лид"}));
    lead(&app, &admin, json!({"title": "Второй лид"}));
    let results = run_ui(&app, "language", admin_config(&admin));
    // Intl plural rules: "2 записи".
    assert_eq!(results["count_line"], "2 записи", "{results}");
}

#[test]
fn at_360_px_nothing_scrolls_sideways_and_lists_become_cards() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let title = "A rather long lead title that must wrap on a phone screen without scrolling";
    lead(
        &app,
        &admin,
        json!({"title": title, "phones": ["+7 999 123-45-67"], "emails": ["very.long.address.for.wrapping@example.com"]}),
    );
    post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Phone deal", "amount": "120000.00", "currency": "RUB"}),
    );
    let me = get(&app, &admin, "/api/me");
    let source = post(
        &app,
        &admin,
        "/api/order-sources",
        json!({"name": "Интернет-магазин Петрова", "kind": "generic", "responsible_ids": [me["id"]]}),
    );
    let mut config = admin_config(&admin);
    config["title"] = json!(title);
    config["viewport"] = json!({"width": 360, "height": 740});
    config["source_id"] = source["id"].clone();
    config["source_name"] = source["name"].clone();
    config["secret"] = source["secret"].clone();
    config["hook"] = source["webhook_url"].clone();
    run_ui(&app, "narrow", config);
}

#[test]
fn a_lead_titled_like_markup_renders_as_text_and_runs_nothing() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let evil = "<img src=x onerror=alert(1)>";
    lead(&app, &admin, json!({"title": evil, "status": "NEW"}));
    let mut config = admin_config(&admin);
    config["title"] = json!(evil);
    let results = run_ui(&app, "xss", config);
    assert_eq!(results["images"], 0);
}

#[test]
fn a_manager_sees_only_their_own_leads_in_lists_search_and_the_start_page() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "mila@example.com", &["manager"], None);
    app.create_user(&admin, "oleg@example.com", &["manager"], None);
    let mila = app.login("mila@example.com", PASSWORD);
    let oleg = app.login("oleg@example.com", PASSWORD);
    lead(&app, &mila, json!({"title": "Harbour supplies for Mila"}));
    let theirs = lead(&app, &oleg, json!({"title": "Harbour secret of Oleg"}));
    let config = json!({
        "email": "mila@example.com",
        "password": PASSWORD,
        "mine": "Harbour supplies for Mila",
        "theirs": "Harbour secret of Oleg",
        "theirs_id": theirs["id"],
        "theirs_word": "secret",
        "shared_word": "Harbour",
    });
    run_ui(&app, "manager_scope", config);
    // The API agrees: Oleg's lead is not Mila's to see.
    let r = app.send(Method::GET, &format!("/api/leads/{}", theirs["id"]), &mila, None);
    assert_eq!(r.status(), 404);
}

/// Every file under `static/`, with its path relative to it.
fn static_files() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("static dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let name = path
                    .strip_prefix(base)
                    .expect("under static")
                    .to_string_lossy()
                    .into_owned();
                out.push((name, std::fs::read(&path).expect("file")));
            }
        }
    }
    let base = root().join("static");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out
}

/// What a first visit loads before any screen draws: `index.html`, what it references and
/// every module those import statically (`import ... from "./x.js"`); modules loaded with
/// `import()` (the settings sections) come later, when opened.
fn first_load(files: &[(String, Vec<u8>)]) -> Vec<String> {
    let find = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
    };
    let mut queue = vec!["index.html".to_string()];
    let mut seen: Vec<String> = Vec::new();
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        let text = find(&name).unwrap_or_else(|| panic!("{name} is referenced but missing"));
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        seen.push(name.clone());
        let references: Vec<&str> = if name.ends_with(".html") {
            text.split(['"', '\''])
                .filter(|p| p.starts_with('/') && p.len() > 1)
                .map(|p| &p[1..])
                .collect()
        } else if name.ends_with(".js") {
            text.lines()
                .map(str::trim)
                .filter(|l| {
                    l.starts_with("import ")
                        || l.starts_with("} from ")
                        || l.starts_with("export ") && l.contains(" from ")
                })
                .filter_map(|l| l.split(['"', '\'']).nth(1))
                .filter(|p| p.starts_with('.'))
                .collect()
        } else {
            Vec::new()
        };
        for reference in references {
            let mut parts: Vec<&str> = if reference.starts_with('.') {
                dir.split('/').filter(|p| !p.is_empty()).collect()
            } else {
                Vec::new()
            };
            for part in reference.split('/') {
                match part {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    other => parts.push(other),
                }
            }
            queue.push(parts.join("/"));
        }
    }
    seen
}

#[test]
fn a_first_visit_loads_under_200_kb_and_the_whole_ui_stays_under_600_kb() {
    let files = static_files();
    let first = first_load(&files);
    for module in [
        "app.js",
        "app.css",
        "api.js",
        "ui/html.js",
        "i18n/i18n.js",
        "screens/list.js",
    ] {
        assert!(
            first.contains(&module.to_string()),
            "{module} is part of the first load: {first:?}"
        );
    }
    assert!(
        !first
            .iter()
            .any(|f| f.starts_with("screens/settings/") || f == "screens/profile.js"),
        "the settings area and the profile load when opened: {first:?}"
    );
    let size = |names: &[String]| -> usize {
        files
            .iter()
            .filter(|(n, _)| names.contains(n))
            .map(|(_, b)| b.len())
            .sum()
    };
    assert!(
        !first
            .iter()
            .any(|f| f.starts_with("i18n/en/") || f.starts_with("i18n/ru/")),
        "messages load by language: {first:?}"
    );
    // The work screens' messages in one language (`i18n.js` fetches them before the first screen).
    let messages = ["i18n/en/app.js", "i18n/ru/app.js"]
        .map(|f| size(&[f.to_string()]))
        .into_iter()
        .max()
        .unwrap_or(0);
    let loaded = size(&first) + messages;
    assert!(loaded < 200 * 1024, "a first visit loads {loaded} bytes: {first:?}");
    // The whole UI is a guard against bloat, not what a visit loads (screens come with
    // `import()` when opened): 400 KiB held through the settings and the reports (409,098 bytes),
    // 600 KiB leaves room for the import wizard and the integrations screens to come.
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    assert!(total < 600 * 1024, "static/ holds {total} bytes");
}

#[test]
fn no_module_hands_markup_to_the_browsers_html_parser() {
    for (name, bytes) in static_files() {
        if !name.ends_with(".js") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for sink in [
            "innerHTML",
            "outerHTML",
            "DOMParser",
            "createContextualFragment",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!text.contains(sink), "{name} uses {sink}");
        }
    }
}

#[test]
fn every_message_exists_in_english_and_russian() {
    let keys = |file: &std::path::Path| -> Vec<String> {
        let text = std::fs::read_to_string(file).expect("catalog");
        let mut keys: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let line = line.trim_start();
                let (key, _) = line.split_once(": ")?;
                let key = key.trim_matches('"');
                (!key.is_empty() && !key.contains(' ') && !key.starts_with("//") && !key.starts_with('}'))
                    .then(|| key.to_string())
            })
            .filter(|k| !["one", "few", "many", "other", "export default {"].contains(&k.as_str()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let dir = root().join("static/i18n");
    let mut seen = std::collections::HashSet::new();
    let areas: Vec<_> = std::fs::read_dir(dir.join("en"))
        .expect("static/i18n/en")
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(areas.len() >= 2, "the message areas: {areas:?}");
    for area in areas {
        let (en, ru) = (dir.join("en").join(&area), dir.join("ru").join(&area));
        assert!(ru.is_file(), "{area:?} has no Russian catalog");
        assert_eq!(keys(&en), keys(&ru), "{area:?}: the same keys in both languages");
        for key in keys(&en) {
            assert!(seen.insert(key.clone()), "{key} is defined in two areas");
        }
    }
}

/// The default pipeline's stages as `(code, English name)`.
fn default_stages(app: &TestApp, auth: &Auth) -> Vec<(String, String)> {
    let pipes = get(app, auth, "/api/pipelines");
    let pipe = pipes["items"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["is_default"] == true).or(p.first()))
        .cloned()
        .expect("a default pipeline");
    pipe["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap_or_default().to_owned(),
                s["name"]["en"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_deal_moves_across_the_board_by_mouse_and_by_keyboard() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let stages = default_stages(&app, &admin);
    let deal = post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Board roll-out", "amount": "5000.00", "currency": "RUB", "stage": stages[0].0}),
    );
    let mut config = admin_config(&admin);
    config["id"] = deal["id"].clone();
    config["title"] = json!("Board roll-out");
    config["first"] = json!(stages[0].1);
    config["second"] = json!(stages[1].1);
    config["second_code"] = json!(stages[1].0);
    config["third"] = json!(stages[2].1);
    config["third_code"] = json!(stages[2].0);
    config["fourth"] = json!(stages[3].1);
    config["fourth_code"] = json!(stages[3].0);
    let results = run_ui(&app, "board_moves", config);
    assert_eq!(results["after_drag"], json!(stages[1].0));
    assert_eq!(results["after_dialog"], json!(stages[2].0));
    let stored = get(&app, &admin, &format!("/api/deals/{}", deal["id"]));
    assert_eq!(stored["stage"], json!(stages[3].0), "the keyboard moves are stored");
    let history = get(&app, &admin, &format!("/api/deals/{}/stage-history", deal["id"]));
    assert_eq!(history["items"].as_array().map(Vec::len), Some(4), "{history}");
}

#[test]
fn a_manager_cannot_move_a_deal_into_won_and_sees_the_reason_with_the_card_back() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "mila@example.com", &["manager"], None);
    app.create_user(&admin, "oleg@example.com", &["manager"], None);
    let mila = app.login("mila@example.com", PASSWORD);
    let oleg = app.login("oleg@example.com", PASSWORD);
    let stages = default_stages(&app, &admin);
    let won = stages
        .iter()
        .find(|(code, _)| code.ends_with("WON"))
        .cloned()
        .expect("a won stage");
    let mine = post(&app, &mila, "/api/deals", json!({"title": "Mila's harbour deal"}));
    post(&app, &oleg, "/api/deals", json!({"title": "Oleg's secret deal"}));
    let config = json!({
        "email": "mila@example.com",
        "password": PASSWORD,
        "title": "Mila's harbour deal",
        "theirs": "Oleg's secret deal",
        "first": stages[0].1,
        "won": won.1,
    });
    let results = run_ui(&app, "board_forbidden", config);
    assert!(
        results["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("your role may not put a deal into WON"),
        "the server's rule is shown: {results}"
    );
    let stored = get(&app, &admin, &format!("/api/deals/{}", mine["id"]));
    assert_eq!(stored["stage"], json!(stages[0].0), "the deal did not move");
}

#[test]
fn departments_a_user_and_a_role_set_in_the_settings_are_stored_and_hold_for_the_manager() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "settings_access", admin_config(&admin));

    // The tree as the UI left it: Support went under Sales by drag and drop and back to the top
    // by keyboard; the refused cycle and deletes changed nothing.
    let page = get(&app, &admin, "/api/departments");
    let departments = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(departments.len(), 3, "{page}");
    let named = |name: &str| {
        departments
            .iter()
            .find(|d| d["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no department {name}: {page}"))
    };
    let (sales, east, support) = (named("Sales"), named("Sales East"), named("Support"));
    assert_eq!(sales["parent_id"], Value::Null);
    assert_eq!(east["parent_id"], sales["id"]);
    assert_eq!(support["parent_id"], Value::Null);

    // The role and its matrix: renamed through the API meanwhile, so the stale save kept nothing.
    let role_id = app.role_id(&admin, "sales_manager");
    assert_eq!(results["role_id"], json!(role_id), "{results}");
    let role = get(&app, &admin, &format!("/api/roles/{role_id}"));
    assert_eq!(role["name"], "Sales manager (East)");
    assert_eq!(role["is_system"], false);
    let levels = &role["permissions"]["entities"];
    for (entity, action, level) in [
        ("deal", "read", "own"),
        ("deal", "add", "own"),
        ("deal", "update", "own"),
        ("deal", "delete", "none"),
        ("activity", "read", "own"),
        ("activity", "add", "own"),
        ("contact", "read", "own"),
        ("company", "read", "own"),
        ("product", "read", "all"),
        ("lead", "read", "none"),
        ("report", "read", "none"),
        ("settings", "read", "none"),
    ] {
        assert_eq!(levels[entity][action], level, "{entity}: {action} in {role}");
    }
    let mut allowed: Vec<String> = default_stages(&app, &admin)
        .into_iter()
        .map(|(code, _)| code)
        .filter(|code| !code.ends_with("WON"))
        .collect();
    allowed.sort();
    assert_eq!(role["permissions"]["stages"], json!({"deal": {"move": allowed}}));

    // The manager: in Sales East, with the role given on the role's page.
    let users = get(&app, &admin, "/api/users?filter[email]=mila@example.com");
    let mila = &users["items"][0];
    assert_eq!(mila["name"], "Mila Manager");
    assert_eq!(mila["department_id"], east["id"]);
    assert_eq!(mila["role_ids"], json!([role_id]));

    // What the browser showed the manager, and the API agrees.
    assert_eq!(results["manager_deals"], json!(["Mila's harbour deal"]));
    assert!(
        results["won_refused"]
            .as_str()
            .unwrap_or_default()
            .contains("your role may not put a deal into WON"),
        "{results}"
    );
    let manager = app.login("mila@example.com", "velvet harbor compass 9");
    let deals = get(&app, &manager, "/api/deals");
    let titles: Vec<&str> = deals["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|d| d["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles, vec!["Mila's harbour deal"]);
    assert_eq!(
        deals["items"][0]["stage"],
        json!(default_stages(&app, &admin)[0].0),
        "not moved into won"
    );
}

#[test]
fn converting_a_lead_lands_on_its_new_deal() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let created = lead(
        &app,
        &admin,
        json!({"title": "Vector roll-out", "first_name": "Anna", "last_name": "Smirnova", "company_title": "Vector LLC"}),
    );
    let mut config = admin_config(&admin);
    config["lead_id"] = created["id"].clone();
    config["title"] = json!("Vector roll-out");
    let results = run_ui(&app, "convert_lead", config);
    let deal = get(&app, &admin, &format!("/api/deals/{}", results["deal_id"]));
    assert_eq!(deal["title"], "Vector roll-out");
    assert_eq!(deal["company_id"], Value::Null, "no company was asked for");
    let stored = get(&app, &admin, &format!("/api/leads/{}", created["id"]));
    assert_eq!(stored["status"], "CONVERTED");
}

#[test]
fn line_items_on_a_deal_recompute_its_amount() {
    let app = spawn_app();
    let admin = app.setup_admin();
    post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Copper cable", "price": "100.00", "currency": "RUB"}),
    );
    let deal = post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Cable works", "amount": "1.00", "currency": "RUB"}),
    );
    let mut config = admin_config(&admin);
    config["deal_id"] = deal["id"].clone();
    config["title"] = json!("Cable works");
    config["product"] = json!("Copper cable");
    config["product_word"] = json!("copper");
    config["total_text"] = json!("800.00");
    run_ui(&app, "line_items", config);
    let stored = get(&app, &admin, &format!("/api/deals/{}", deal["id"]));
    assert_eq!(stored["amount"], "800.00", "3 × 100 + 500 = 800: {stored}");
    let items = get(&app, &admin, &format!("/api/deals/{}/products", deal["id"]));
    assert_eq!(items["items"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_call_logged_on_a_contact_shows_on_its_timeline() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let contact = post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Ivan", "last_name": "Petrov"}),
    );
    let mut config = admin_config(&admin);
    config["contact_id"] = contact["id"].clone();
    config["title"] = json!("Ivan Petrov");
    run_ui(&app, "log_call", config);
    let found = first_activity_on(&app, &admin, "contact", &contact);
    assert_eq!(found["type"], "CALL", "{found}");
    assert_eq!(found["completed"], true);
}

/// The first activity bound to `record` of `entity`, as the API lists it.
fn first_activity_on(app: &TestApp, admin: &Auth, entity: &str, record: &Value) -> Value {
    let found = get(
        app,
        admin,
        &format!("/api/activities?filter[bindings]={entity}:{}", record["id"]),
    );
    found["items"][0].clone()
}

#[test]
fn the_week_view_shows_a_planned_meeting() {
    let app = spawn_app();
    let admin = app.setup_admin();
    post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "MEETING", "subject": "Contract terms demo", "start_at": "2026-12-02T10:00:00Z", "end_at": "2026-12-02T11:00:00Z"}),
    );
    let mut config = admin_config(&admin);
    config["monday"] = json!("2026-11-30");
    config["day_name"] = json!("Wednesday, Dec 2");
    config["subject"] = json!("Contract terms demo");
    run_ui(&app, "agenda_week", config);
}

#[test]
fn a_deals_company_is_picked_by_name_and_the_company_lists_the_deal() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let company = post(&app, &admin, "/api/companies", json!({"title": "Harbour Logistics"}));
    let deal = post(&app, &admin, "/api/deals", json!({"title": "Harbour cranes"}));
    let mut config = admin_config(&admin);
    config["deal_id"] = deal["id"].clone();
    config["title"] = json!("Harbour cranes");
    config["company"] = json!("Harbour Logistics");
    config["company_word"] = json!("Logist");
    run_ui(&app, "link_company", config);
    let stored = get(&app, &admin, &format!("/api/deals/{}", deal["id"]));
    assert_eq!(stored["company_id"], company["id"]);
}

#[test]
fn a_contact_created_with_a_known_phone_is_offered_for_merge() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let existing = post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Ivan", "last_name": "Petrov", "phones": ["+7 999 123-45-67"]}),
    );
    let mut config = admin_config(&admin);
    config["existing"] = json!("Ivan Petrov");
    config["phone"] = json!("8 (999) 123 45 67");
    let results = run_ui(&app, "duplicates", config);
    let new_id = results["new_url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .and_then(|s| s.parse::<i64>().ok())
        .expect("the new contact's id");
    assert_ne!(json!(new_id), existing["id"]);
    let gone = app.send(Method::GET, &format!("/api/contacts/{new_id}"), &admin, None);
    assert_eq!(gone.status(), 404, "the new contact was merged away");
}

#[test]
fn a_manager_does_not_see_another_managers_deal_on_the_board_even_on_a_phone() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "mila@example.com", &["manager"], None);
    app.create_user(&admin, "oleg@example.com", &["manager"], None);
    let mila = app.login("mila@example.com", PASSWORD);
    let oleg = app.login("oleg@example.com", PASSWORD);
    post(&app, &mila, "/api/deals", json!({"title": "Mila's harbour deal"}));
    let theirs = post(&app, &oleg, "/api/deals", json!({"title": "Oleg's secret deal"}));
    let config = json!({
        "email": "mila@example.com",
        "password": PASSWORD,
        "mine": "Mila's harbour deal",
        "theirs": "Oleg's secret deal",
        "viewport": {"width": 360, "height": 740},
    });
    run_ui(&app, "board_scope", config);
    let r = app.send(Method::GET, &format!("/api/deals/{}", theirs["id"]), &mila, None);
    assert_eq!(r.status(), 404);
}

#[test]
fn a_board_column_loads_more_cards_through_the_list() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let stages = default_stages(&app, &admin);
    for i in 0..23 {
        post(
            &app,
            &admin,
            "/api/deals",
            json!({"title": format!("Bulk deal {i:02}")}),
        );
    }
    let mut config = admin_config(&admin);
    config["first"] = json!(stages[0].1);
    config["total"] = json!(23);
    config["per_column"] = json!(20);
    run_ui(&app, "board_load_more", config);
}

#[test]
fn a_task_planned_on_a_deal_is_marked_done_with_a_result() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let deal = post(&app, &admin, "/api/deals", json!({"title": "Offer follow-up"}));
    let mut config = admin_config(&admin);
    config["deal_id"] = deal["id"].clone();
    config["title"] = json!("Offer follow-up");
    run_ui(&app, "activity_done", config);
    let found = first_activity_on(&app, &admin, "deal", &deal);
    assert_eq!(found["type"], "TASK", "{found}");
    assert_eq!(found["completed"], true);
    assert_eq!(found["result"], "Sent by e-mail");
}

#[test]
fn converting_a_lead_onto_an_existing_contact_found_by_name() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let contact = post(
        &app,
        &admin,
        "/api/contacts",
        json!({"first_name": "Olga", "last_name": "Kuznetsova"}),
    );
    let created = lead(
        &app,
        &admin,
        json!({"title": "Kuznetsova order", "company_title": "North Star"}),
    );
    let mut config = admin_config(&admin);
    config["lead_id"] = created["id"].clone();
    config["title"] = json!("Kuznetsova order");
    config["contact"] = json!("Olga Kuznetsova");
    config["contact_word"] = json!("Kuzne");
    let results = run_ui(&app, "convert_existing", config);
    let deal = get(&app, &admin, &format!("/api/deals/{}", results["deal_id"]));
    assert_eq!(deal["contact_ids"], json!([contact["id"]]), "{deal}");
    assert!(deal["company_id"].is_i64(), "a new company: {deal}");
}

#[test]
fn the_deals_board_switches_pipelines_and_keeps_the_choice_in_the_address() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let pipeline = post(
        &app,
        &admin,
        "/api/pipelines",
        json!({"name": {"en": "After-sales", "ru": "Сервис"}}),
    );
    post(&app, &admin, "/api/deals", json!({"title": "Sales pipeline deal"}));
    post(
        &app,
        &admin,
        "/api/deals",
        json!({"title": "Service contract", "pipeline_id": pipeline["id"]}),
    );
    let mut config = admin_config(&admin);
    config["pipeline"] = json!("After-sales");
    config["pipeline_id"] = pipeline["id"].clone();
    config["sales_deal"] = json!("Sales pipeline deal");
    config["other_deal"] = json!("Service contract");
    run_ui(&app, "board_pipeline", config);
}

/// The walkthrough from an empty app to a won deal in `lang` at `width` × `height`; checks
/// through the API what the screens did.
fn walk_to_a_won_deal(lang: &str, width: u32, height: u32) {
    let app = spawn_app();
    let title = if lang == "ru" {
        "Поставка кабеля"
    } else {
        "Cable supply"
    };
    let config = json!({
        "lang": lang,
        "locale": if lang == "ru" { "ru-RU" } else { "en-GB" },
        "viewport": {"width": width, "height": height},
        "width": width,
        "email": ADMIN_EMAIL,
        "password": PASSWORD,
        "name": if lang == "ru" { "Анна Админова" } else { ADMIN_NAME },
        "title": title,
        "first_name": if lang == "ru" { "Иван" } else { "Ivan" },
        "last_name": if lang == "ru" { "Петров" } else { "Petrov" },
        "product": if lang == "ru" { "Медный кабель" } else { "Copper cable" },
    });
    let results = run_ui(&app, "walkthrough", config);
    let admin = app.login(ADMIN_EMAIL, PASSWORD);
    let lead = get(&app, &admin, &format!("/api/leads/{}", results["lead_id"]));
    assert_eq!(lead["status"], "CONVERTED", "{lead}");
    let deal = get(&app, &admin, &format!("/api/deals/{}", results["deal_id"]));
    assert_eq!(deal["title"], title);
    assert_eq!(deal["stage"], results["won_stage"], "the deal is won: {deal}");
    assert_eq!(deal["amount"], "1000.00", "the lead's products came along: {deal}");
    let contact = get(&app, &admin, &format!("/api/contacts/{}", deal["contact_ids"][0]));
    assert_eq!(
        contact["last_name"], lead["last_name"],
        "the contact is the lead's person"
    );
}

#[test]
fn a_new_firm_gets_from_an_empty_app_to_a_won_deal_in_english_on_a_desktop() {
    walk_to_a_won_deal("en", 1280, 860);
}

#[test]
fn a_new_firm_gets_from_an_empty_app_to_a_won_deal_in_russian_on_a_phone() {
    walk_to_a_won_deal("ru", 360, 740);
}

#[test]
fn the_leads_board_in_russian_moves_a_lead_by_mouse_and_by_keyboard() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let moved = lead(&app, &admin, json!({"title": "Заявка с выставки"}));
    lead(&app, &admin, json!({"title": "Звонок из рекламы"}));
    let mut config = admin_config(&admin);
    config["locale"] = json!("ru-RU");
    config["id"] = moved["id"].clone();
    config["title"] = json!("Заявка с выставки");
    let results = run_ui(&app, "leads_board", config);
    assert_eq!(results["after_drag"], "IN_PROCESS");
    let stored = get(&app, &admin, &format!("/api/leads/{}", moved["id"]));
    assert_eq!(stored["status"], "PROCESSED", "the keyboard move is stored");
}

#[test]
fn a_long_list_loads_its_next_page_on_scroll() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for n in 1..=60 {
        lead(&app, &admin, json!({"title": format!("Scroll lead {n:02}")}));
    }
    let mut config = admin_config(&admin);
    config["total"] = json!(60);
    let results = run_ui(&app, "list_scroll", config);
    assert_eq!(results["rows"], 60);
}

#[test]
fn a_pipeline_a_custom_field_a_token_and_the_firm_set_in_the_settings_are_stored() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "settings_setup", admin_config(&admin));

    // The second pipeline: its renamed stage in both languages, the dragged stage first, the
    // renamed one second, and still one won stage.
    let pipes = get(&app, &admin, "/api/pipelines");
    let rentals = pipes["items"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"]["en"] == "Rentals"))
        .cloned()
        .expect("the Rentals pipeline");
    assert_eq!(rentals["name"]["ru"], "Аренда");
    let stages = rentals["stages"].as_array().cloned().unwrap_or_default();
    assert_eq!(stages[0]["name"]["en"], results["dragged_first"], "{rentals}");
    assert_eq!(
        stages[1]["name"],
        json!({"en": "Viewing booked", "ru": "Просмотр назначен"})
    );
    assert_eq!(stages.iter().filter(|s| s["semantic"] == "won").count(), 1);

    // The custom field and the lead that used it.
    let fields = get(&app, &admin, "/api/custom-fields?filter[entity]=lead");
    let field = &fields["items"][0];
    assert_eq!(
        (field["code"].as_str(), field["type"].as_str()),
        (Some("uf_property"), Some("enumeration"))
    );
    assert_eq!(field["options"], json!(["Flat", "House", "Office"]));
    let leads = get(&app, &admin, "/api/leads?filter[custom.uf_property]=Office");
    assert_eq!(leads["items"][0]["title"], "Office on Main street", "{leads}");

    // The source, the currency and the firm.
    assert_eq!(
        get(&app, &admin, "/api/dictionaries/sources/PODCAST")["name"]["en"],
        "Podcast"
    );
    assert_eq!(get(&app, &admin, "/api/currencies/GEL")["rate"], "34.5000");
    let settings = get(&app, &admin, "/api/settings");
    assert_eq!(
        (settings["firm_name"].as_str(), settings["time_zone"].as_str()),
        (Some("Horns & Hooves"), Some("Asia/Almaty"))
    );

    // The token worked while it lived and is refused now.
    assert_eq!(results["token_status_before"], 200);
    let token = Auth::bearer(results["token"].as_str().expect("the token shown"));
    assert_eq!(app.send(Method::GET, "/api/me", &token, None).status(), 401);
    // The password was changed: the new one signs in.
    app.login(ADMIN_EMAIL, "quiet meadow lantern 42");
}

#[test]
fn a_web_form_built_in_settings_takes_a_lead_from_another_site() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "settings_forms", admin_config(&admin));
    let id = results["form_id"].as_i64().expect("the form's id");
    let form = get(&app, &admin, &format!("/api/forms/{id}"));
    assert_eq!(form["name"], "Website enquiry", "{form}");
    assert_eq!(form["allowed_origins"], json!([results["origin"]]), "{form}");
    let mapped: Vec<(&str, &str)> = form["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default(),
                f["target"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        mapped,
        [
            ("name", "name"),
            ("phone", "phone"),
            ("company_title", "company_title"),
            ("email", "email")
        ],
        "added, remapped, moved and removed by the buttons: {form}"
    );
    assert_eq!(form["fields"][0]["label"], json!({"en": "Your name", "ru": "Ваше имя"}));
    assert_eq!(form["fields"][0]["required"], true);
    assert_eq!(form["success_message"], "Thanks! We will call you back today.");
    assert_eq!(form["notify_minutes"], 30, "saved after the conflict: {form}");
    assert_eq!(form["source_description"], "Changed by Boris", "their change survives");

    // The visitor's lead, with what they typed on the other site.
    let leads = get(&app, &admin, "/api/leads?q=Petrov");
    let items = leads["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{leads}");
    let lead = &items[0];
    assert_eq!(lead["title"], "Website enquiry: Ivan Petrov");
    assert_eq!(
        (lead["first_name"].as_str(), lead["last_name"].as_str()),
        (Some("Ivan"), Some("Petrov"))
    );
    assert_eq!(lead["phones"][0]["e164"], "+79991234567");
    assert_eq!(lead["emails"][0]["value"], "ivan.petrov@example.com");
    assert_eq!(lead["company_title"], "Petrov Trading");
    assert_eq!(lead["source"], "WEBFORM");
    assert_eq!(
        results["lead_link"],
        format!("/leads/{}", lead["id"]),
        "the log links the lead"
    );

    // The log: the visitor's submission, the quarantined one released, and what it became.
    let log = get(&app, &admin, &format!("/api/forms/{id}/submissions"));
    let entries = log["items"].as_array().cloned().unwrap_or_default();
    let outcomes: Vec<&str> = entries
        .iter()
        .map(|e| e["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(outcomes, ["accepted", "released", "accepted"], "{log}");
    assert_eq!(entries[0]["lead_id"], lead["id"]);
    assert!(
        entries[0]["payload"]
            .as_str()
            .unwrap_or_default()
            .contains("ivan.petrov@example.com"),
        "{log}"
    );
    assert_eq!(results["outcomes"], json!(["Accepted", "Released", "Accepted"]));
    assert_eq!(results["payload_elements"], 0, "the payload is shown as text");
    let released = get(&app, &admin, &format!("/api/leads/{}", entries[2]["lead_id"]));
    assert_eq!(released["first_name"], "Maria", "{released}");
}

#[test]
fn a_generic_store_source_made_in_settings_takes_orders_and_replays_a_failed_one() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "order_sources", admin_config(&admin));
    let card = results["store_order_card"].as_str().unwrap_or_default();
    assert!(
        card.contains("Status in the store: paid"),
        "the deal card shows its store order: {card}"
    );
    let id = results["source_id"].as_i64().expect("the source's id");
    let source = get(&app, &admin, &format!("/api/order-sources/{id}"));
    assert_eq!(
        (
            source["name"].as_str(),
            source["kind"].as_str(),
            source["active"].as_bool()
        ),
        (Some("Petrov shop"), Some("generic"), Some(true)),
        "{source}"
    );
    assert!(
        source.get("secret").is_none(),
        "the secret is never read back: {source}"
    );
    assert!(
        source["previous_secret_expires_at"].is_string(),
        "the secret was rotated in the edit dialog: {source}"
    );
    let me = get(&app, &admin, "/api/me");
    assert_eq!(source["responsible_ids"], json!([me["id"]]), "{source}");
    assert_eq!(
        source["stage_map"]["paid"], results["mapped_paid"],
        "the mapping saved: {source}"
    );
    assert!(
        results["listed"]
            .as_str()
            .is_some_and(|s| s.contains("Petrov shop") && s.contains("Active")),
        "{results}"
    );
    assert!(
        results["error_shown"]
            .as_str()
            .is_some_and(|e| e.contains("unknown currency GBP")),
        "{results}"
    );

    // Both deliveries processed, the second after its replay, each with its deal.
    let inbox = get(&app, &admin, &format!("/api/order-sources/{id}/inbox"));
    let entries = inbox["items"].as_array().cloned().unwrap_or_default();
    let seen: Vec<(&str, &str, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["order_id"].as_str().unwrap_or_default(),
                e["status"].as_str().unwrap_or_default(),
                e["attempts"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("A-1001", "processed", 1),
            ("A-1002", "processed", 2),
            ("A-201", "processed", 1),
            ("A-202", "processed", 1)
        ],
        "the two orders, then one under the old and one under the rotated secret: {inbox}"
    );
    for (entry, link, amount, currency) in [
        (&entries[0], &results["good_deal_link"], "37.50", "EUR"),
        (&entries[1], &results["replayed_deal_link"], "20.00", "GBP"),
    ] {
        let deal_id = entry["deal_id"].as_i64().expect("a deal");
        assert_eq!(link, &json!(format!("/deals/{deal_id}")), "the inbox links the deal");
        let deal = get(&app, &admin, &format!("/api/deals/{deal_id}"));
        assert_eq!(
            (deal["amount"].as_str(), deal["currency"].as_str()),
            (Some(amount), Some(currency)),
            "{deal}"
        );
    }
}

#[test]
fn exporting_a_filtered_sorted_list_downloads_exactly_its_rows() {
    let app = spawn_app();
    let admin = app.setup_admin();
    for (first, last) in [
        ("Борис", "Петров"),
        ("Анна", "Петрова"),
        ("Carl", "Smith"),
        ("Вера", "Петровская"),
    ] {
        post(
            &app,
            &admin,
            "/api/contacts",
            json!({"first_name": first, "last_name": last, "phones": [{"value": "+79991234567", "type": "mobile"}]}),
        );
    }
    let mut config = admin_config(&admin);
    config["filter"] = json!("Петров");
    config["expected"] = json!(["Анна Петрова", "Борис Петров", "Вера Петровская"]);
    let results = run_ui(&app, "exports_list", config);
    assert_eq!(
        results["shown"],
        json!(["Анна Петрова", "Борис Петров", "Вера Петровская"])
    );
    let name = results["csv_name"].as_str().unwrap_or_default();
    assert!(name.starts_with("contacts-") && name.ends_with(".csv"), "{name}");
    let header = results["csv_header"].as_str().unwrap_or_default();
    assert!(header.starts_with("ID,First name,Last name,"), "{header}");
    let rows: Vec<String> = results["csv_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_str()
                .unwrap_or_default()
                .split(',')
                .skip(1)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        ["Анна Петрова", "Борис Петров", "Вера Петровская"],
        "the list's rows in its order"
    );
    assert!(
        results["semicolon_header"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ID;First name;Last name;"),
        "{results}"
    );
    assert!(results["xlsx_name"].as_str().unwrap_or_default().ends_with(".xlsx"));
    assert_eq!(results["vcards"], 3);
}

#[test]
fn a_rest_webhook_made_in_settings_is_shown_once_works_and_is_revoked() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let results = run_ui(&app, "rest_hooks", admin_config(&admin));
    assert_eq!(results["profile"]["status"], 403, "{results}");
    assert_eq!(results["profile"]["body"]["error"], "insufficient_scope", "{results}");
    assert_eq!(results["after_revoke"]["status"], 401, "{results}");
    assert_eq!(results["after_revoke"]["body"]["error"], "NO_AUTH_FOUND", "{results}");
    assert!(
        results["listed"].as_str().is_some_and(|row| row.contains("Anna Admin")),
        "{results}"
    );
    let hooks = get(&app, &admin, "/api/rest-hooks");
    assert_eq!(hooks["items"], json!([]), "revoked: {hooks}");
}

#[test]
fn a_manager_makes_their_own_rest_webhook_from_the_profile() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "mila@example.com", &["manager"], None);
    let config = json!({"email": "mila@example.com", "password": PASSWORD});
    let results = run_ui(&app, "rest_hooks_manager", config);
    assert_eq!(results["sections"], json!(["REST webhooks"]), "{results}");
    assert_eq!(results["current_email"], "mila@example.com", "{results}");
    assert_eq!(results["users_section"], "Your role does not allow this.", "{results}");
    let mila = app.login("mila@example.com", PASSWORD);
    let hooks = get(&app, &mila, "/api/rest-hooks");
    assert_eq!(hooks["items"].as_array().map(Vec::len), Some(1), "{hooks}");
}

#[test]
fn an_outbound_webhook_made_in_settings_shows_its_secret_once_its_failed_delivery_and_pauses() {
    use crate::webhooks::{Receiver, TICK_SECRET, verify, webhook_app};
    let app = webhook_app();
    let admin = app.setup_admin();
    let receiver = Receiver::start();
    receiver.status.store(500, std::sync::atomic::Ordering::SeqCst);
    let mut config = admin_config(&admin);
    config["receiver"] = json!(format!("{}/hook", receiver.url));
    config["tick_secret"] = json!(TICK_SECRET);
    let results = run_ui(&app, "webhooks", config);
    let id = results["webhook_id"].as_i64().expect("the subscription's id");
    let sub = get(&app, &admin, &format!("/api/webhooks/{id}"));
    assert_eq!(sub["events"], json!(["lead.created", "deal.stage_changed"]), "{sub}");
    assert_eq!(sub["active"], true, "resumed: {sub}");
    assert!(sub.get("secret").is_none(), "the secret is never read back: {sub}");
    // The secret the page showed is the one the delivery was signed with.
    let got = receiver.take();
    assert_eq!(got.len(), 1, "one attempt");
    verify(results["secret"].as_str().expect("secret"), &got[0]);
    let delivery = get(
        &app,
        &admin,
        &format!("/api/webhooks/{id}/deliveries/{}", results["delivery_id"]),
    );
    assert_eq!(
        (delivery["status"].as_str(), delivery["last_status"].as_i64()),
        (Some("pending"), Some(500)),
        "{delivery}"
    );
}
