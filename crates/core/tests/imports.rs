//! Import jobs against real SQLite files with every migration: a file through upload, settings,
//! dry run and steps into records made by the record engine (with their `imported` timeline
//! entries), duplicates in each mode (rows of the same file too), a failure injected in the
//! middle of a step by a trigger and the exact resume, cancel and rollback in batches, the
//! rejected rows' CSV, the bad settings named, and permissions (a manager without the import
//! right, records in the caller's scope).

mod common;

use common::{count, errors, fresh, user};

use crm_core::acl::Caller;
use crm_core::io::imports::{self, Upload};
use crm_core::records::{EntityDef, service};
use crm_core::{CoreError, Db};
use serde_json::{Value, json};

fn upload(db: &dyn Db, caller: &Caller, entity: &str, csv: &str) -> Value {
    let settings = vec![
        ("entity".to_string(), entity.to_string()),
        ("file_name".to_string(), "clients.csv".to_string()),
    ];
    imports::upload(
        db,
        caller,
        &Upload {
            settings,
            part_file_name: None,
            bytes: csv.as_bytes(),
        },
    )
    .unwrap_or_else(|e| panic!("upload: {e:?}"))
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// Steps until done; returns the last answer and the number of steps.
fn run_all(db: &dyn Db, caller: &Caller, import: i64, rows: i64) -> (Value, usize) {
    let mut steps = 0;
    loop {
        let answer = imports::step(db, caller, import, Some(rows)).unwrap_or_else(|e| panic!("step: {e:?}"));
        steps += 1;
        if answer["status"] == "done" {
            return (answer, steps);
        }
        assert!(steps < 10_000, "never done");
    }
}

fn patch(db: &dyn Db, caller: &Caller, import: &Value, body: Value) -> Result<Value, CoreError> {
    imports::update(db, caller, id(import), &body, import["version"].as_i64())
}

fn contacts_csv(n: usize) -> String {
    let mut csv = String::from("first_name,last_name,emails,phones\n");
    for i in 0..n {
        csv.push_str(&format!("Name{i},Last{i},person{i}@example.com,+7999{i:07}\n"));
    }
    csv
}

#[test]
fn a_file_becomes_records_through_steps_with_their_timeline() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let import = upload(&db, &admin, "contacts", &contacts_csv(25));
    assert_eq!(import["status"], "ready");
    assert_eq!(import["rows"], 25);
    assert_eq!(import["entity"], "contacts");
    assert_eq!(import["preview"].as_array().map(Vec::len), Some(20));
    assert_eq!(
        import["mapping"],
        json!([
            {"column": 0, "field": "first_name"},
            {"column": 1, "field": "last_name"},
            {"column": 2, "field": "emails"},
            {"column": 3, "field": "phones"},
        ])
    );
    let (done, steps) = run_all(&db, &admin, id(&import), 10);
    assert_eq!(steps, 3);
    assert_eq!(done["position"], 25);
    assert_eq!(done["counts"]["created"], 25);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 25);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM timeline WHERE entity = 'contact' AND kind = 'imported'"
        ),
        25
    );
    let payload: Value = serde_json::from_str(
        db.query("SELECT payload FROM timeline WHERE kind = 'imported' LIMIT 1", &[])
            .expect("payload")
            .first_str()
            .expect("text"),
    )
    .expect("json");
    assert_eq!(payload["import_id"], id(&import));
    assert_eq!(payload["file_name"], "clients.csv");
    // The records went through the engine: normalised channels, the caller as responsible.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM record_channels WHERE entity = 'contact' AND kind = 'phone'"
        ),
        25
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM contacts WHERE responsible_id = {}", admin.user_id)
        ),
        25
    );
    // A step after the end changes nothing.
    let again = imports::step(&db, &admin, id(&import), None).expect("step");
    assert_eq!(again["counts"], done["counts"]);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 25);
    let list = imports::list(&db, &admin).expect("list");
    assert_eq!(list["items"][0]["id"], id(&import));
}

#[test]
fn cells_follow_the_conventions_and_companies_are_created_once() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let csv = "first_name,last_name,birthdate,opened,phones,company_id,responsible_id\n\
               Ivan,Petrov,15.01.1980,да,+79991234567 (mobile) ::: +74951112233 (work),Romashka,admin@example.com\n\
               Olga,Sidorova,1981-02-03,no,8 999 765-43-21,Romashka,\n";
    let import = upload(&db, &admin, "contacts", csv);
    let (done, _) = run_all(&db, &admin, id(&import), 100);
    assert_eq!(done["counts"]["created"], 2, "{done}");
    assert_eq!(done["counts"]["linked_created"], 1, "{done}");
    let def = EntityDef::load(&db, "contact").expect("def");
    let ivan_id = db
        .query("SELECT id FROM contacts WHERE first_name = 'Ivan'", &[])
        .expect("ivan")
        .first_i64()
        .expect("id");
    let ivan = service::get(&db, &admin, &def, ivan_id).expect("get");
    assert_eq!(ivan["birthdate"], "1980-01-15");
    assert_eq!(ivan["opened"], true);
    assert_eq!(ivan["phones"][0]["type"], "mobile");
    assert_eq!(ivan["phones"][1]["type"], "work");
    assert_eq!(ivan["responsible_id"], admin.user_id);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM companies"), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contact_companies"), 2);
}

#[test]
fn duplicates_are_skipped_updated_or_created() {
    for (mode, created, updated, skipped) in [("skip", 1, 0, 2), ("update", 1, 2, 0), ("create", 3, 0, 0)] {
        let (_dir, db) = fresh();
        let admin = user(&db, "admin@example.com", "administrator");
        let def = EntityDef::load(&db, "contact").expect("def");
        let existing = service::create(
            &db,
            &admin,
            &def,
            &json!({"last_name": "Old", "emails": [{"value": "old@example.com", "type": "work"}]}),
        )
        .expect("existing");
        // Row 1 matches the stored record by e-mail (another case), row 3 matches row 2 by phone.
        let csv = "last_name,emails,phones,post\n\
                   Old,OLD@example.com,,Boss\n\
                   New,new@example.com,+79990000001,\n\
                   Newer,,8 999 000-00-01,Clerk\n";
        let import = upload(&db, &admin, "contacts", csv);
        let import = patch(&db, &admin, &import, json!({"duplicate_mode": mode})).expect("patch");
        let dry = imports::dry_run(&db, &admin, id(&import), None, None).expect("dry run");
        assert_eq!(dry["counts"]["created"], created, "{mode}: {dry}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM contacts"),
            1,
            "a dry run writes nothing"
        );
        let (done, _) = run_all(&db, &admin, id(&import), 100);
        let counts = &done["counts"];
        assert_eq!(
            (
                counts["created"].clone(),
                counts["updated"].clone(),
                counts["skipped"].clone()
            ),
            (json!(created), json!(updated), json!(skipped)),
            "{mode}: {done}"
        );
        assert_eq!(dry["counts"], done["counts"], "{mode}: the dry run foretold the run");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 1 + created, "{mode}");
        let old = service::get(&db, &admin, &def, id(&existing)).expect("old");
        if mode == "update" {
            assert_eq!(old["post"], "Boss");
            assert_eq!(old["version"], 2);
            assert_eq!(
                count(
                    &db,
                    "SELECT COUNT(*) FROM timeline WHERE kind = 'imported' AND payload LIKE '%updated%'"
                ),
                2
            );
        } else {
            assert_eq!(old["post"], Value::Null, "{mode}");
        }
    }
}

#[test]
fn a_match_by_a_chosen_field() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let def = EntityDef::load(&db, "company").expect("def");
    service::create(&db, &admin, &def, &json!({"title": "Acme"})).expect("acme");
    let import = upload(&db, &admin, "companies", "title,comments\nAcme,updated\nGlobex,new\n");
    let bad = patch(&db, &admin, &import, json!({"match_by": ["no_such_field"]}));
    assert_eq!(
        errors(bad),
        vec![("match_by".to_string(), "invalid_choice".to_string())]
    );
    let import = patch(
        &db,
        &admin,
        &import,
        json!({"match_by": ["title"], "duplicate_mode": "update"}),
    )
    .expect("patch");
    let (done, _) = run_all(&db, &admin, id(&import), 100);
    assert_eq!(done["counts"]["updated"], 1, "{done}");
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM companies WHERE comments = 'updated'"),
        1
    );
}

#[test]
fn a_failed_step_changes_nothing_and_the_resume_is_exact() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let import = upload(&db, &admin, "contacts", &contacts_csv(30));
    let first = imports::step(&db, &admin, id(&import), Some(10)).expect("step 1");
    assert_eq!(first["position"], 10);
    db.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON contacts WHEN NEW.first_name = 'Name15' BEGIN SELECT RAISE(ABORT, 'boom'); END",
        &[],
    )
    .expect("trigger");
    let failed = imports::step(&db, &admin, id(&import), Some(10));
    assert!(matches!(failed, Err(CoreError::Internal(_))), "{failed:?}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM contacts"),
        10,
        "the failed step wrote nothing"
    );
    let after = imports::get(&db, &admin, id(&import)).expect("get");
    assert_eq!(after["position"], 10);
    assert_eq!(after["counts"], first["counts"]);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM import_records"), 10);
    db.execute("DROP TRIGGER boom", &[]).expect("drop");
    let (done, _) = run_all(&db, &admin, id(&import), 10);
    assert_eq!(done["counts"]["created"], 30);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 30);
    assert_eq!(count(&db, "SELECT COUNT(DISTINCT first_name) FROM contacts"), 30);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM timeline WHERE kind = 'imported'"), 30);
}

#[test]
fn rejected_rows_leave_nothing_behind_and_download_as_csv() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    // Row 2 has no name (the contact hook refuses it) but names a new company: the company
    // must not stay behind. Row 3 has a bad e-mail, row 4 an unknown user.
    let csv = "first_name,last_name,emails,company_id,responsible_id\n\
               Ivan,Petrov,ivan@example.com,,\n\
               ,,,Ghost Ltd,\n\
               Olga,Sidorova,not-an-email,,\n\
               Petr,Ivanov,,,nobody@example.com\n";
    let import = upload(&db, &admin, "contacts", csv);
    let (done, _) = run_all(&db, &admin, id(&import), 100);
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["failed"], 3, "{done}");
    assert_eq!(done["counts"]["linked_created"], 0, "{done}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM companies"),
        0,
        "the refused row's company is gone"
    );
    let (bytes, name) = imports::rejected::csv(&db, &admin, id(&import)).expect("csv");
    assert_eq!(name, "clients-rejected.csv");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(
        lines[0],
        "first_name,last_name,emails,company_id,responsible_id,Row,Error"
    );
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[1].starts_with(",,,Ghost Ltd,,3,last_name:"), "{}", lines[1]);
    assert!(
        lines[2].starts_with("Olga,Sidorova,not-an-email,,,4,emails"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("responsible_id: no active user"), "{}", lines[3]);
}

#[test]
fn cancel_and_rollback_in_batches() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let import = upload(&db, &admin, "contacts", &contacts_csv(700));
    imports::step(&db, &admin, id(&import), Some(650)).expect("step");
    let cancelled = imports::cancel(&db, &admin, id(&import)).expect("cancel");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(matches!(
        imports::step(&db, &admin, id(&import), None),
        Err(CoreError::Conflict(_))
    ));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 650);
    // A record the import did not create stays.
    let def = EntityDef::load(&db, "contact").expect("def");
    service::create(&db, &admin, &def, &json!({"last_name": "Mine"})).expect("mine");
    let first = imports::rollback(&db, &admin, id(&import)).expect("rollback 1");
    assert_eq!(first["status"], "rolling_back");
    assert_eq!(first["removed"], 500);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 151);
    let second = imports::rollback(&db, &admin, id(&import)).expect("rollback 2");
    assert_eq!(second["status"], "rolled_back");
    assert_eq!(second["removed"], 650);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts"), 1);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM record_channels WHERE entity = 'contact'"),
        0
    );
    let again = imports::rollback(&db, &admin, id(&import)).expect("rollback 3");
    assert_eq!(again["removed"], 650);
}

#[test]
fn settings_are_checked_and_frozen_once_started() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let import = upload(&db, &admin, "contacts", &contacts_csv(3));
    let bad = patch(
        &db,
        &admin,
        &import,
        json!({"mapping": [{"column": 0, "field": "no_such"}, {"column": 9, "field": "last_name"},
                            {"column": 2, "field": "emails", "type": "fax"}, {"column": 1, "field": "created_at"}],
               "duplicate_mode": "merge", "colour": "red"}),
    );
    let mut got = errors(bad);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("colour", "unknown_field"),
        ("duplicate_mode", "invalid_choice"),
        ("mapping[0].field", "unknown_field"),
        ("mapping[1].column", "invalid_choice"),
        ("mapping[2].type", "invalid_choice"),
        ("mapping[3].field", "read_only"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    let stale = imports::update(&db, &admin, id(&import), &json!({"duplicate_mode": "create"}), Some(99));
    assert!(matches!(stale, Err(CoreError::Stale)));
    let good = patch(
        &db,
        &admin,
        &import,
        json!({"mapping": [{"column": 1, "field": "last_name"}, {"column": 3, "field": "phones", "type": "mobile"}]}),
    )
    .expect("patch");
    assert_eq!(good["version"], import["version"].as_i64().unwrap_or_default() + 1);
    imports::step(&db, &admin, id(&good), Some(1)).expect("step");
    let late = imports::update(&db, &admin, id(&good), &json!({"duplicate_mode": "create"}), None);
    assert!(matches!(late, Err(CoreError::Conflict(_))), "{late:?}");
    let (_, _) = run_all(&db, &admin, id(&good), 10);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts WHERE first_name IS NULL"), 3);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM contacts WHERE phones LIKE '%mobile%'"),
        3
    );
}

#[test]
fn permissions_scope_imports() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let manager = user(&db, "manager@example.com", "manager");
    let head = user(&db, "head@example.com", "head");
    let refused = imports::upload(
        &db,
        &manager,
        &Upload {
            settings: vec![("entity".into(), "contacts".into())],
            part_file_name: None,
            bytes: b"last_name\nX\n",
        },
    );
    assert!(matches!(refused, Err(CoreError::Forbidden)), "{refused:?}");
    let import = upload(&db, &head, "contacts", &contacts_csv(2));
    // Someone else's import is not there for the admin either.
    assert!(matches!(
        imports::get(&db, &admin, id(&import)),
        Err(CoreError::NotFound)
    ));
    assert!(matches!(
        imports::step(&db, &admin, id(&import), None),
        Err(CoreError::NotFound)
    ));
    // A row naming another owner the head may not give records to is refused for that row.
    let csv = "last_name,responsible_id\nMine,\nTheirs,admin@example.com\n";
    let second = upload(&db, &head, "contacts", csv);
    let (done, _) = run_all(&db, &head, id(&second), 10);
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM contacts WHERE responsible_id = {}", head.user_id)
        ),
        1
    );
    // Products: the head may read but not import them.
    let products = imports::upload(
        &db,
        &head,
        &Upload {
            settings: vec![("entity".into(), "products".into())],
            part_file_name: None,
            bytes: b"title\nX\n",
        },
    );
    assert!(matches!(products, Err(CoreError::Forbidden)));
}

#[test]
fn bad_uploads_are_named() {
    let (_dir, db) = fresh();
    let admin = user(&db, "admin@example.com", "administrator");
    let up = |settings: Vec<(&str, &str)>, bytes: &[u8]| {
        imports::upload(
            &db,
            &admin,
            &Upload {
                settings: settings
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                part_file_name: None,
                bytes,
            },
        )
    };
    assert_eq!(
        errors(up(vec![("entity", "activities")], b"a\nb\n")),
        vec![("entity".to_string(), "invalid_choice".to_string())]
    );
    assert_eq!(
        errors(up(vec![("entity", "contacts"), ("delimiter", ";;")], b"a\nb\n")),
        vec![("delimiter".to_string(), "invalid_choice".to_string())]
    );
    assert_eq!(
        errors(up(vec![("entity", "contacts")], b"")),
        vec![("file".to_string(), "required".to_string())]
    );
    let big = vec![b'a'; imports::MAX_FILE_BYTES + 1];
    assert!(matches!(
        up(vec![("entity", "contacts")], &big),
        Err(CoreError::TooLarge { .. })
    ));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM imports"), 0);
}
