//! The resource kit (`crm_core::resource`) on its own, against a real SQLite file: two small
//! resources declared here over tables of their own — gadgets (keyed by id, a tree with an
//! owner, a unique code, `{en, ru}` labels, tags kept outside the row, every hook) and tokens
//! (keyed by kind and code, listed whole) — run through the one skeleton: parsing, defaults,
//! checks and their order, writes of what changed only, uniqueness, audit rows, deletes,
//! actions, lists and permissions.

mod common;

use std::collections::BTreeMap;

use common::{client, count, errors, fresh, user};

use crm_core::acl::{Action, Caller, Entity};
use crm_core::resource::{
    Access, Audit, Body, Cx, Default, Detail, Field, Hooks, ID, Key, ListQuery, Patch, Resource, Store, Unique, names,
};
use crm_core::{CoreError, Db, Value};
use serde_json::{Map, Value as Json, json};

const GADGETS: Resource = Resource {
    fields: &[
        ID,
        Field::text("name", 20).required(),
        Field::text("code", 10).required().immutable("a gadget keeps its code"),
        Field::custom("label", Store::Names("label_en", "label_ru"), names::patch),
        Field::parent("parent_id", "gadget"),
        Field::reference("owner_id", "users", "user"),
        Field::int_not_null("sort").default(Default::Int(100)),
        Field::bool("active").default(Default::Bool(true)),
        Field::any("tags", Store::Outside),
    ],
    filters: &["active", "parent_id", "code"],
    unique: Some(Unique {
        columns: &["code"],
        nocase: true,
        message: "a gadget {code} exists",
    }),
    audit: Audit {
        created: &[Detail::Given, Detail::Field("code")],
        updated: &[Detail::Changed],
        deleted: &[Detail::Field("name")],
    },
    hooks: Hooks {
        before: Some(refuse_reserved_names),
        after: Some(write_tags),
        deleting: Some(refuse_with_children),
        outside: Some(read_tags),
        ..Hooks::NONE
    },
    ..Resource::new("gadgets", "gadget", Access::entity(Entity::Settings))
};

const TOKENS: Resource = Resource {
    key: &["kind", "code"],
    fields: &[
        Field::custom("code", Store::Text("code"), upper_code)
            .required()
            .immutable("the code cannot change"),
        Field::custom("name", Store::Names("name_en", "name_ru"), names::patch).required(),
        Field::int_not_null("sort").default(Default::Computed(next_sort)),
    ],
    stamps: crm_core::resource::Stamps::Times,
    order: "sort, code",
    unique: Some(Unique {
        columns: &["kind", "code"],
        nocase: false,
        message: "a token with this code exists",
    }),
    audit: Audit {
        created: &[Detail::Key],
        updated: &[Detail::Key, Detail::Changed],
        deleted: &[Detail::Key],
    },
    ..Resource::new("tokens", "token", Access::open_read(Entity::Settings))
};

fn refuse_reserved_names(cx: &mut Cx) -> Result<(), CoreError> {
    match cx.draft.get("name").and_then(Json::as_str) {
        Some("reserved") => cx.errors.push("name", "reserved", "that name is reserved"),
        Some("taken") => return Err(CoreError::Conflict("taken by the hook".into())),
        _ => {}
    }
    Ok(())
}

fn write_tags(cx: &mut Cx) -> Result<(), CoreError> {
    let Patch::Set(tags) = cx.draft.patch("tags").clone() else {
        return Ok(());
    };
    let id = cx.id();
    cx.db
        .execute("DELETE FROM gadget_tags WHERE gadget_id = ?", &[id.into()])?;
    for tag in tags.as_array().into_iter().flatten().filter_map(Json::as_str) {
        cx.db.execute(
            "INSERT INTO gadget_tags (gadget_id, tag) VALUES (?, ?)",
            &[id.into(), tag.into()],
        )?;
    }
    cx.details.insert("tags".into(), tags);
    Ok(())
}

fn read_tags(db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError> {
    let mut out: BTreeMap<i64, Map<String, Json>> = BTreeMap::new();
    for id in ids {
        let tags: Vec<Json> = db
            .query(
                "SELECT tag FROM gadget_tags WHERE gadget_id = ? ORDER BY tag",
                &[(*id).into()],
            )?
            .iter()
            .filter_map(|r| r.str("tag").map(Json::from))
            .collect();
        out.entry(*id).or_default().insert("tags".into(), Json::Array(tags));
    }
    Ok(out)
}

fn refuse_with_children(db: &dyn Db, key: &Key, _: &Json) -> Result<(), CoreError> {
    let children = db.query("SELECT 1 FROM gadgets WHERE parent_id = ?", &key.params())?;
    match children.is_empty() {
        true => Ok(()),
        false => Err(CoreError::Conflict("the gadget has children".into())),
    }
}

fn upper_code(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.raw(key) {
        Patch::Set(code) if code.chars().all(|c| c.is_ascii_uppercase()) => Patch::Set(Json::from(code)),
        Patch::Set(_) => {
            b.errors.push(key, "invalid_code", "capital letters");
            Patch::Invalid
        }
        other => other.map(Json::from),
    }
}

fn next_sort(db: &dyn Db, scope: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    let kind = scope
        .iter()
        .find(|(c, _)| *c == "kind")
        .map(|(_, v)| v.clone())
        .unwrap_or(Value::Null);
    let max = db
        .query("SELECT coalesce(max(sort), 0) FROM tokens WHERE kind = ?", &[kind])?
        .first_i64()
        .unwrap_or_default();
    Ok(Json::from(max + 10))
}

fn setup() -> (tempfile::TempDir, crm_sqlite::NativeDb, Caller) {
    let (dir, db) = fresh();
    for sql in [
        "CREATE TABLE gadgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL UNIQUE, \
         label_en TEXT, label_ru TEXT, parent_id INTEGER REFERENCES gadgets(id), owner_id INTEGER, \
         sort INTEGER NOT NULL, active INTEGER NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL, \
         updated_at INTEGER NOT NULL, created_by INTEGER, updated_by INTEGER)",
        "CREATE TABLE gadget_tags (gadget_id INTEGER NOT NULL, tag TEXT NOT NULL)",
        "CREATE TABLE tokens (kind TEXT NOT NULL, code TEXT NOT NULL, name_en TEXT NOT NULL, name_ru TEXT NOT NULL, \
         sort INTEGER NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, \
         UNIQUE (kind, code))",
    ] {
        db.execute(sql, &[]).expect("test table");
    }
    let admin = user(&db, "admin@example.com", "administrator");
    (dir, db, admin)
}

fn gadget(db: &dyn Db, caller: &Caller, body: Json) -> Json {
    GADGETS
        .create(db, caller, &[], &body, &client())
        .unwrap_or_else(|e| panic!("create {body}: {e:?}"))
}

fn id(record: &Json) -> i64 {
    record["id"].as_i64().expect("id")
}

fn audit_rows(db: &dyn Db) -> Vec<(String, Option<i64>, Json)> {
    db.query("SELECT action, target_id, details FROM audit_log ORDER BY id", &[])
        .expect("audit")
        .iter()
        .map(|r| {
            let details = serde_json::from_str(r.str("details").unwrap_or("null")).expect("details");
            (
                r.str("action").unwrap_or_default().to_string(),
                r.i64("target_id"),
                details,
            )
        })
        .collect()
}

fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

#[test]
fn a_create_fills_defaults_renders_every_field_in_order_and_is_audited() {
    let (_dir, db, admin) = setup();
    let record = gadget(
        &db,
        &admin,
        json!({"name": " Lamp ", "code": "LMP", "label": {"en": "Lamp"}, "tags": ["b", "a"]}),
    );
    let keys: Vec<&str> = record.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "code",
            "label",
            "parent_id",
            "owner_id",
            "sort",
            "active",
            "tags",
            "version",
            "created_at",
            "updated_at",
            "created_by",
            "updated_by"
        ]
    );
    assert_eq!(record["name"], "Lamp", "trimmed");
    assert_eq!(
        record["label"],
        json!({"en": "Lamp", "ru": "Lamp"}),
        "ru defaults to en"
    );
    assert_eq!(
        (record["sort"].clone(), record["active"].clone()),
        (json!(100), json!(true))
    );
    assert_eq!(record["tags"], json!(["a", "b"]), "rendered by the outside hook");
    assert_eq!(
        (record["version"].clone(), record["created_by"].clone()),
        (json!(1), json!(admin.user_id))
    );
    assert_eq!(
        audit_rows(&db),
        [(
            "gadget.created".to_string(),
            Some(id(&record)),
            json!({"fields": ["name", "code", "label", "tags"], "code": "LMP", "tags": ["b", "a"]})
        )]
    );
}

#[test]
fn a_bad_body_reports_every_problem_at_once_and_writes_nothing() {
    let (_dir, db, admin) = setup();
    let problems = errors(GADGETS.create(
        &db,
        &admin,
        &[],
        &json!({"id": 5, "sort": null, "active": "yes", "label": {"en": ""}, "parent_id": "x"}),
        &client(),
    ));
    assert_eq!(
        problems,
        fields(&[
            ("id", "unknown_field"),
            ("name", "required"),
            ("code", "required"),
            ("label.en", "required"),
            ("parent_id", "invalid_type"),
            ("sort", "invalid_type"),
            ("active", "invalid_type"),
        ])
    );
    assert!(matches!(
        GADGETS.create(&db, &admin, &[], &json!([1]), &client()),
        Err(CoreError::BadRequest(_))
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM gadgets"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 0);
}

#[test]
fn an_update_writes_only_what_changed_and_a_patch_that_changes_nothing_writes_nothing() {
    let (_dir, db, admin) = setup();
    let record = gadget(
        &db,
        &admin,
        json!({"name": "Lamp", "code": "LMP", "label": {"en": "Lamp"}}),
    );
    let key = Key::id(id(&record));
    let same = json!({"name": "Lamp", "code": "LMP", "label": {"en": "Lamp"}, "sort": 100, "tags": []});
    let unchanged = GADGETS
        .update(&db, &admin, &key, &same, Some(1), &client())
        .expect("same");
    assert_eq!(unchanged, record, "same version, same record");
    assert_eq!(audit_rows(&db).len(), 1);

    let patch = json!({"label": {"ru": "Лампа"}, "sort": 5, "tags": ["x"], "owner_id": null});
    let changed = GADGETS
        .update(&db, &admin, &key, &patch, Some(1), &client())
        .expect("patch");
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["label"], json!({"en": "Lamp", "ru": "Лампа"}));
    assert_eq!(
        (changed["sort"].clone(), changed["tags"].clone()),
        (json!(5), json!(["x"]))
    );
    let (action, _, details) = audit_rows(&db).pop().expect("audited");
    assert_eq!(action, "gadget.updated");
    assert_eq!(details, json!({"fields": ["label.ru", "sort", "tags"], "tags": ["x"]}));

    let cleared = GADGETS
        .update(&db, &admin, &key, &json!({"label": {"ru": null}}), None, &client())
        .expect("ru back to en");
    assert_eq!(cleared["label"], json!({"en": "Lamp", "ru": "Lamp"}));
}

#[test]
fn the_order_of_refusals_is_404_then_412_then_422_then_409() {
    let (_dir, db, admin) = setup();
    let record = gadget(&db, &admin, json!({"name": "Lamp", "code": "LMP"}));
    gadget(&db, &admin, json!({"name": "Desk", "code": "DSK"}));
    let key = Key::id(id(&record));
    let update = |body: Json, if_match| GADGETS.update(&db, &admin, &key, &body, if_match, &client());
    assert!(matches!(
        GADGETS.update(&db, &admin, &Key::id(999), &json!({"name": "X"}), Some(9), &client()),
        Err(CoreError::NotFound)
    ));
    assert!(matches!(update(json!({"name": "X"}), Some(9)), Err(CoreError::Stale)));
    assert_eq!(
        errors(update(
            json!({"code": "dsk", "name": "reserved", "owner_id": 999}),
            None
        )),
        fields(&[("code", "immutable"), ("owner_id", "not_found"), ("name", "reserved")])
    );
    assert!(matches!(update(json!({"name": "taken"}), None), Err(CoreError::Conflict(m)) if m == "taken by the hook"));
    match GADGETS.create(&db, &admin, &[], &json!({"name": "Other", "code": "dsk"}), &client()) {
        Err(CoreError::Conflict(message)) => assert_eq!(message, "a gadget dsk exists", "case-insensitive"),
        other => panic!("expected 409, got {other:?}"),
    }
    assert_eq!(audit_rows(&db).len(), 2, "refusals write nothing");
}

#[test]
fn a_tree_stays_a_tree_and_a_node_with_children_stays() {
    let (_dir, db, admin) = setup();
    let root = id(&gadget(&db, &admin, json!({"name": "Root", "code": "R"})));
    let child = id(&gadget(
        &db,
        &admin,
        json!({"name": "Child", "code": "C", "parent_id": root}),
    ));
    let move_root = |parent: i64| {
        GADGETS.update(
            &db,
            &admin,
            &Key::id(root),
            &json!({"parent_id": parent}),
            None,
            &client(),
        )
    };
    assert_eq!(errors(move_root(child)), fields(&[("parent_id", "cycle")]));
    assert_eq!(errors(move_root(root)), fields(&[("parent_id", "cycle")]));
    assert_eq!(errors(move_root(999)), fields(&[("parent_id", "not_found")]));
    assert!(matches!(
        GADGETS.delete(&db, &admin, &Key::id(root), None, &client()),
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        GADGETS.delete(&db, &admin, &Key::id(child), Some(7), &client()),
        Err(CoreError::Stale)
    ));
    GADGETS
        .delete(&db, &admin, &Key::id(child), Some(1), &client())
        .expect("leaf");
    let (action, target, details) = audit_rows(&db).pop().expect("audited");
    assert_eq!(
        (action.as_str(), target, details),
        ("gadget.deleted", Some(child), json!({"name": "Child"}))
    );
    assert!(matches!(
        GADGETS.get(&db, &admin, &Key::id(child)),
        Err(CoreError::NotFound)
    ));
}

#[test]
fn lists_page_by_id_with_the_declared_filters() {
    let (_dir, db, admin) = setup();
    for (code, active) in [("A", true), ("B", false), ("C", true), ("D", true)] {
        gadget(&db, &admin, json!({"name": code, "code": code, "active": active}));
    }
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let query = ListQuery::parse(&pairs(&[("filter[active]", "true"), ("limit", "2")]), GADGETS.filters).expect("q");
    let page = GADGETS.list(&db, &admin, &query).expect("page");
    let codes =
        |page: &crm_core::resource::Page| -> Vec<Json> { page.items.iter().map(|r| r["code"].clone()).collect() };
    assert_eq!(codes(&page), [json!("A"), json!("C")]);
    let cursor = page.next_cursor.clone().expect("more");
    let next = ListQuery::parse(
        &pairs(&[("filter[active]", "true"), ("cursor", &cursor)]),
        GADGETS.filters,
    )
    .expect("q");
    let page = GADGETS.list(&db, &admin, &next).expect("page 2");
    assert_eq!((codes(&page), page.next_cursor), (vec![json!("D")], None));
    let by_code = ListQuery::parse(&pairs(&[("filter[code]", " B ")]), GADGETS.filters).expect("q");
    assert_eq!(
        codes(&GADGETS.list(&db, &admin, &by_code).expect("by code")),
        [json!("B")]
    );
}

#[test]
fn records_keyed_by_text_live_in_their_scope_with_computed_defaults() {
    let (_dir, db, admin) = setup();
    let colour = [("kind", Value::from("colour"))];
    let create = |scope: &[(&'static str, Value)], body: Json| TOKENS.create(&db, &admin, scope, &body, &client());
    let red = create(&colour, json!({"code": "RED", "name": {"en": "Red", "ru": "Красный"}})).expect("red");
    create(&colour, json!({"code": "BLUE", "name": {"en": "Blue"}, "sort": 5})).expect("blue");
    create(
        &[("kind", Value::from("size"))],
        json!({"code": "RED", "name": {"en": "Red size"}}),
    )
    .expect("other kind");
    assert_eq!(red["sort"], 10, "max + 10 within the kind");
    assert!(matches!(
        create(&colour, json!({"code": "RED", "name": {"en": "Again"}})),
        Err(CoreError::Conflict(m)) if m == "a token with this code exists"
    ));
    let listed: Vec<Json> = TOKENS
        .all(&db, &admin, &colour)
        .expect("all")
        .iter()
        .map(|t| t["code"].clone())
        .collect();
    assert_eq!(listed, [json!("BLUE"), json!("RED")]);

    let key = Key(vec![("kind", Value::from("colour")), ("code", Value::from("RED"))]);
    assert_eq!(
        errors(TOKENS.update(&db, &admin, &key, &json!({"code": "ROSE"}), None, &client())),
        fields(&[("code", "immutable")])
    );
    let renamed = TOKENS
        .update(
            &db,
            &admin,
            &key,
            &json!({"code": "RED", "name": {"en": "Crimson"}}),
            Some(1),
            &client(),
        )
        .expect("rename");
    assert_eq!(renamed["name"], json!({"en": "Crimson", "ru": "Красный"}));
    TOKENS.delete(&db, &admin, &key, Some(2), &client()).expect("delete");
    let rows = audit_rows(&db);
    let last: Vec<(&str, Option<i64>, &Json)> = rows[rows.len() - 2..]
        .iter()
        .map(|(a, t, d)| (a.as_str(), *t, d))
        .collect();
    assert_eq!(
        last,
        [
            (
                "token.updated",
                None,
                &json!({"kind": "colour", "code": "RED", "fields": ["name.en"]})
            ),
            ("token.deleted", None, &json!({"kind": "colour", "code": "RED"})),
        ]
    );
}

#[test]
fn an_action_writes_a_new_version_and_its_own_audit_row_or_nothing() {
    let (_dir, db, admin) = setup();
    let key = Key::id(id(&gadget(&db, &admin, json!({"name": "Lamp", "code": "LMP"}))));
    let switched_off = GADGETS
        .act(
            &db,
            &admin,
            Action::Update,
            &key,
            Some(1),
            &client(),
            "switched_off",
            |_, current, changes| {
                changes.set_if(current["active"] == true, "active", "active", false);
                Ok(Some(json!({"was": current["active"]})))
            },
        )
        .expect("act");
    assert_eq!(
        (switched_off["active"].clone(), switched_off["version"].clone()),
        (json!(false), json!(2))
    );
    let nothing = GADGETS
        .act(&db, &admin, Action::Update, &key, None, &client(), "noop", |_, _, _| {
            Ok(None)
        })
        .expect("nothing");
    assert_eq!(nothing["version"], 2);
    let (action, _, details) = audit_rows(&db).pop().expect("audited");
    assert_eq!(
        (action.as_str(), details),
        ("gadget.switched_off", json!({"was": true}))
    );
}

#[test]
fn the_declared_permission_guards_every_call() {
    let (_dir, db, admin) = setup();
    let manager = user(&db, "manager@example.com", "manager");
    let key = Key::id(id(&gadget(&db, &admin, json!({"name": "Lamp", "code": "LMP"}))));
    let forbidden = |result: Result<Json, CoreError>| matches!(result, Err(CoreError::Forbidden));
    assert!(forbidden(GADGETS.get(&db, &manager, &key)));
    assert!(matches!(
        GADGETS.list(&db, &manager, &ListQuery::default()),
        Err(CoreError::Forbidden)
    ));
    assert!(forbidden(GADGETS.create(
        &db,
        &manager,
        &[],
        &json!({"name": 1}),
        &client()
    )));
    assert!(forbidden(GADGETS.update(
        &db,
        &manager,
        &Key::id(999),
        &json!({}),
        None,
        &client()
    )));
    assert!(matches!(
        GADGETS.delete(&db, &manager, &key, None, &client()),
        Err(CoreError::Forbidden)
    ));
    assert!(
        TOKENS.all(&db, &manager, &[("kind", Value::from("colour"))]).is_ok(),
        "open to read"
    );
    assert!(forbidden(TOKENS.create(&db, &manager, &[], &json!({}), &client())));
}
