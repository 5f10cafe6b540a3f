//! Activities (calls, meetings, tasks, e-mails) against real SQLite files with every migration:
//! bindings to records and the bound records' timelines, the entity's validation, "my
//! activities" by deadline, record-level ACL, merges moving bindings, and the calendar feed.

mod common;

use common::{client, count, errors, fresh, user};

use crm_core::acl::Caller;
use crm_core::records::entities::activity::{feed, my};
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::{EntityDef, merge, service, timeline};
use crm_core::{CoreError, Db};
use serde_json::{Value, json};

fn def(db: &dyn Db, entity: &str) -> EntityDef {
    EntityDef::load(db, entity).expect("entity")
}

fn create(db: &dyn Db, caller: &Caller, entity: &str, body: Value) -> Value {
    service::create(db, caller, &def(db, entity), &body).unwrap_or_else(|e| panic!("create {body}: {e:?}"))
}

fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("id")
}

fn query(db: &dyn Db, caller: &Caller, pairs: &[(&str, &str)]) -> Vec<i64> {
    let d = def(db, "activity");
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cx = service::parse_context(db).expect("cx");
    let q = RecordQuery::parse(&d, &pairs, &cx).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
    let page = list(db, caller, &d, &q).expect("list");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// The `activity` entries on a record's timeline, newest first, as (activity id, event).
fn activity_entries(db: &dyn Db, caller: &Caller, entity: &str, record: i64) -> Vec<(i64, String)> {
    let page = timeline::list(db, caller, &def(db, entity), record, 100, None).expect("timeline");
    page.items
        .iter()
        .filter(|e| e["kind"] == "activity")
        .map(|e| {
            (
                e["payload"]["activity_id"].as_i64().expect("activity id"),
                e["payload"]["event"].as_str().expect("event").to_string(),
            )
        })
        .collect()
}

fn binding_rows(db: &dyn Db, activity: i64) -> Vec<(String, i64)> {
    db.query(
        "SELECT entity, record_id FROM activity_bindings WHERE activity_id = ? ORDER BY entity, record_id",
        &[activity.into()],
    )
    .expect("rows")
    .iter()
    .map(|r| {
        (
            r.str("entity").unwrap_or_default().to_string(),
            r.i64("record_id").unwrap_or_default(),
        )
    })
    .collect()
}

#[test]
fn an_activity_bound_to_a_lead_and_a_contact_is_on_both_timelines() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let lead = id(&create(&db, &admin, "lead", json!({"title": "Ромашка"})));
    let contact = id(&create(&db, &admin, "contact", json!({"last_name": "Петров"})));
    let call = create(
        &db,
        &admin,
        "activity",
        json!({
            "type": "CALL", "subject": "Обсудить договор", "direction": "OUTGOING",
            "start_at": "2026-11-22T08:30:00Z", "end_at": "2026-11-22T09:00:00Z",
            "bindings": [{"entity": "lead", "id": lead}, {"entity": "contact", "id": contact}, {"entity": "lead", "id": lead}]
        }),
    );
    let a = id(&call);
    assert_eq!(call["priority"], "NORMAL");
    assert_eq!(call["completed"], false);
    assert_eq!(call["completed_at"], Value::Null);
    assert_eq!(call["responsible_id"], admin.user_id);
    assert_eq!(
        call["bindings"],
        json!([{"entity": "lead", "id": lead}, {"entity": "contact", "id": contact}]),
        "a repeated binding is kept once"
    );
    assert_eq!(
        binding_rows(&db, a),
        vec![("contact".to_string(), contact), ("lead".to_string(), lead)]
    );
    for (entity, record) in [("lead", lead), ("contact", contact)] {
        assert_eq!(
            activity_entries(&db, &admin, entity, record),
            vec![(a, "created".to_string())],
            "{entity}"
        );
    }
    let page = timeline::list(&db, &admin, &def(&db, "lead"), lead, 10, None).expect("timeline");
    assert_eq!(
        page.items[0]["payload"],
        json!({"activity_id": a, "type": "CALL", "subject": "Обсудить договор", "event": "created"})
    );

    // Completing it is a `completed` event; unbinding the contact tells the contact too.
    let d = def(&db, "activity");
    let done = service::update(
        &db,
        &admin,
        &d,
        a,
        &json!({"completed": true, "result": "Agreed", "bindings": [{"entity": "lead", "id": lead}]}),
        Some(1),
    )
    .expect("complete");
    assert_eq!(done["completed"], true);
    assert!(done["completed_at"].is_string(), "{done}");
    assert_eq!(binding_rows(&db, a), vec![("lead".to_string(), lead)]);
    assert_eq!(
        activity_entries(&db, &admin, "lead", lead)[0],
        (a, "completed".to_string())
    );
    assert_eq!(
        activity_entries(&db, &admin, "contact", contact)[0],
        (a, "completed".to_string())
    );
    let reopened = service::update(&db, &admin, &d, a, &json!({"completed": null}), None).expect("reopen");
    assert_eq!(reopened["completed"], false, "clearing completed means false");
    assert_eq!(reopened["completed_at"], Value::Null);
    assert_eq!(
        activity_entries(&db, &admin, "lead", lead)[0],
        (a, "updated".to_string())
    );

    // Filtering by binding.
    let other = id(&create(
        &db,
        &admin,
        "activity",
        json!({"type": "TASK", "subject": "Other"}),
    ));
    assert_eq!(
        query(&db, &admin, &[("filter[bindings]", &format!("lead:{lead}"))]),
        vec![a]
    );
    assert_eq!(query(&db, &admin, &[("q", "договор")]), vec![a]);
    assert!(query(&db, &admin, &[]).contains(&other));

    // Deleting it leaves a `deleted` entry on the bound record and no binding rows.
    service::delete(&db, &admin, &d, a, None).expect("delete");
    assert_eq!(
        activity_entries(&db, &admin, "lead", lead)[0],
        (a, "deleted".to_string())
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM activity_bindings"), 0);
}

#[test]
fn bad_bindings_times_and_system_fields_are_422_naming_the_field() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let d = def(&db, "activity");
    let lead = id(&create(&db, &admin, "lead", json!({"title": "L"})));
    let task = id(&create(
        &db,
        &admin,
        "activity",
        json!({"type": "TASK", "subject": "T"}),
    ));
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "widget", "id": 1}]}),
            "bindings[0].entity",
            "invalid_choice",
        ),
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "lead", "id": lead}, {"entity": "activity", "id": task}]}),
            "bindings[1].entity",
            "invalid_choice",
        ),
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "product", "id": 1}]}),
            "bindings[0].entity",
            "invalid_choice",
        ),
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "lead", "id": 999}]}),
            "bindings[0]",
            "not_found",
        ),
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "lead", "id": -1}]}),
            "bindings[0].id",
            "invalid_type",
        ),
        (
            json!({"type": "MEETING", "subject": "x", "start_at": "2026-11-22T10:00:00Z", "end_at": "2026-11-22T09:00:00Z"}),
            "end_at",
            "before_start",
        ),
        (json!({"type": "VISIT", "subject": "x"}), "type", "invalid_choice"),
        (json!({"type": "CALL"}), "subject", "required"),
        (
            json!({"type": "CALL", "subject": "x", "completed_at": "2026-11-22T10:00:00Z"}),
            "completed_at",
            "read_only",
        ),
        (
            json!({"type": "CALL", "subject": "x", "priority": "URGENT"}),
            "priority",
            "invalid_choice",
        ),
    ];
    for (body, field, code) in cases {
        let found = errors(service::create(&db, &admin, &d, &body));
        assert!(
            found.iter().any(|(f, c)| f == field && c == code),
            "{body}: expected {field} {code}, got {found:?}"
        );
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM activities"),
        1,
        "nothing new was written"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM activity_bindings"), 0);
    // An update is checked against the merged values.
    let found = errors(service::update(
        &db,
        &admin,
        &d,
        task,
        &json!({"start_at": "2026-11-22T10:00:00Z", "end_at": "2026-11-21T10:00:00Z"}),
        None,
    ));
    assert_eq!(found, vec![("end_at".to_string(), "before_start".to_string())]);
}

#[test]
fn a_meeting_without_a_start_starts_at_its_deadline() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let meeting = create(
        &db,
        &admin,
        "activity",
        json!({"type": "MEETING", "subject": "Demo", "deadline": "2026-11-22T08:30:00Z"}),
    );
    assert_eq!(meeting["start_at"], "2026-11-22T08:30:00Z");
    let task = create(
        &db,
        &admin,
        "activity",
        json!({"type": "TASK", "subject": "Send", "deadline": "2026-11-22T08:30:00Z"}),
    );
    assert_eq!(task["start_at"], Value::Null, "a task keeps only its deadline");
}

#[test]
fn my_activities_are_open_ones_by_deadline_with_an_overdue_flag() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let manager = user(&db, "m@example.com", "manager");
    let d = def(&db, "activity");
    let make = |caller: &Caller, subject: &str, deadline: Option<&str>, completed: bool| {
        let mut body = json!({"type": "TASK", "subject": subject, "completed": completed});
        if let Some(deadline) = deadline {
            body["deadline"] = json!(deadline);
        }
        id(&create(&db, caller, "activity", body))
    };
    let no_deadline_1 = make(&manager, "someday 1", None, false);
    let late = make(&manager, "late", Some("2026-11-20T09:00:00Z"), false);
    let soon = make(&manager, "soon", Some("2026-11-23T09:00:00Z"), false);
    let no_deadline_2 = make(&manager, "someday 2", None, false);
    let early = make(&manager, "earliest", Some("2026-11-01T09:00:00Z"), false);
    make(&manager, "done", Some("2026-11-01T09:00:00Z"), true);
    make(&admin, "not mine", Some("2026-11-01T09:00:00Z"), false);
    let now = 1_795_336_200; // 2026-11-22T08:30:00Z
    let all = my::list(&db, &manager, &d, &my::MyQuery::parse(&[]).expect("query"), now).expect("my");
    let items = all["items"].as_array().expect("items");
    let order: Vec<(i64, bool)> = items
        .iter()
        .map(|i| (id(i), i["overdue"].as_bool().expect("overdue")))
        .collect();
    assert_eq!(
        order,
        vec![
            (early, true),
            (late, true),
            (soon, false),
            (no_deadline_1, false),
            (no_deadline_2, false)
        ]
    );
    assert_eq!(all["next_cursor"], Value::Null);
    // Pages of two walk the same order, across the end of the dated part.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("limit".to_string(), "2".to_string())];
        if let Some(c) = &cursor {
            pairs.push(("cursor".to_string(), c.clone()));
        }
        let page = my::list(&db, &manager, &d, &my::MyQuery::parse(&pairs).expect("query"), now).expect("page");
        walked.extend(page["items"].as_array().expect("items").iter().map(id));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(walked, order.iter().map(|(i, _)| *i).collect::<Vec<_>>());
}

#[test]
fn a_manager_sees_only_own_activities_and_binds_only_records_they_see() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let manager = user(&db, "m@example.com", "manager");
    let d = def(&db, "activity");
    let admins_lead = id(&create(&db, &admin, "lead", json!({"title": "Admin's"})));
    let managers_lead = id(&create(&db, &manager, "lead", json!({"title": "Manager's"})));
    let theirs = id(&create(
        &db,
        &admin,
        "activity",
        json!({"type": "CALL", "subject": "Admin call", "bindings": [{"entity": "lead", "id": managers_lead}]}),
    ));
    let mine = id(&create(
        &db,
        &manager,
        "activity",
        json!({"type": "CALL", "subject": "My call"}),
    ));
    assert_eq!(query(&db, &manager, &[]), vec![mine]);
    assert_eq!(
        query(&db, &manager, &[("filter[bindings]", &format!("lead:{managers_lead}"))]),
        Vec::<i64>::new(),
        "an activity on my lead is still not mine to see"
    );
    assert_eq!(service::get(&db, &manager, &d, theirs), Err(CoreError::NotFound));
    assert_eq!(
        errors(service::update(
            &db,
            &manager,
            &d,
            mine,
            &json!({"bindings": [{"entity": "lead", "id": admins_lead}]}),
            None
        )),
        vec![("bindings[0]".to_string(), "not_found".to_string())],
        "a record the manager cannot see cannot be bound"
    );
    assert_eq!(
        service::create(
            &db,
            &manager,
            &d,
            &json!({"type": "CALL", "subject": "For admin", "responsible_id": admin.user_id})
        ),
        Err(CoreError::Forbidden)
    );
    assert_eq!(query(&db, &admin, &[("sort", "id")]), vec![theirs, mine]);
}

#[test]
fn merging_records_moves_their_activities_without_duplicates() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let survivor = id(&create(&db, &admin, "lead", json!({"title": "Ромашка"})));
    let merged = id(&create(&db, &admin, "lead", json!({"title": "Ромашка ООО"})));
    let contact = id(&create(&db, &admin, "contact", json!({"last_name": "Петров"})));
    let only_merged = id(&create(
        &db,
        &admin,
        "activity",
        json!({"type": "CALL", "subject": "One", "bindings": [{"entity": "lead", "id": merged}, {"entity": "contact", "id": contact}]}),
    ));
    let both = id(&create(
        &db,
        &admin,
        "activity",
        json!({"type": "TASK", "subject": "Two", "bindings": [{"entity": "lead", "id": survivor}, {"entity": "lead", "id": merged}]}),
    ));
    merge::merge(&db, &admin, &def(&db, "lead"), survivor, &json!({"from": [merged]})).expect("merge");
    let d = def(&db, "activity");
    let one = service::get(&db, &admin, &d, only_merged).expect("one");
    assert_eq!(
        one["bindings"],
        json!([{"entity": "lead", "id": survivor}, {"entity": "contact", "id": contact}])
    );
    assert_eq!(one["version"], 2, "the activity's version records the change");
    let two = service::get(&db, &admin, &d, both).expect("two");
    assert_eq!(two["bindings"], json!([{"entity": "lead", "id": survivor}]));
    assert_eq!(
        binding_rows(&db, only_merged),
        vec![("contact".to_string(), contact), ("lead".to_string(), survivor)]
    );
    assert_eq!(binding_rows(&db, both), vec![("lead".to_string(), survivor)]);
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM activity_bindings WHERE record_id = {merged}")
        ),
        0
    );
    let mut on_survivor = query(&db, &admin, &[("filter[bindings]", &format!("lead:{survivor}"))]);
    on_survivor.sort();
    assert_eq!(on_survivor, vec![only_merged, both]);
    // The merged lead's activity entries moved with its timeline.
    let entries = activity_entries(&db, &admin, "lead", survivor);
    assert!(entries.contains(&(only_merged, "created".to_string())), "{entries:?}");
}

#[test]
fn the_calendar_feed_takes_only_its_current_token() {
    let (_dir, db) = fresh();
    let admin = user(&db, "a@example.com", "administrator");
    let manager = user(&db, "m@example.com", "manager");
    let d = def(&db, "activity");
    let meeting = id(&create(
        &db,
        &manager,
        "activity",
        json!({"type": "MEETING", "subject": "Demo; Ромашка, office", "start_at": "2026-11-22T08:30:00Z",
               "end_at": "2026-11-22T09:30:00Z", "description": "Bring\nthe contract", "remind_at": "2026-11-22T08:15:00Z"}),
    ));
    let task = id(&create(
        &db,
        &manager,
        "activity",
        json!({"type": "TASK", "subject": "Send the offer", "deadline": "2026-11-23T12:00:00Z", "priority": "HIGH"}),
    ));
    let old_done = id(&create(
        &db,
        &manager,
        "activity",
        json!({"type": "TASK", "subject": "Old", "completed": true}),
    ));
    db.execute(
        "UPDATE activities SET completed_at = 1000 WHERE id = ?",
        &[old_done.into()],
    )
    .expect("age it");
    create(
        &db,
        &admin,
        "activity",
        json!({"type": "CALL", "subject": "Admin's own"}),
    );

    let issued = feed::issue(&db, &manager, &client()).expect("issue");
    let url = issued["url"].as_str().expect("url");
    let token = url.strip_prefix("/api/activities.ics?token=").expect("feed path");
    assert!(token.starts_with(&format!("cal_{}_", manager.user_id)), "{token}");
    let stored = db
        .query(
            "SELECT token_hash FROM calendar_feeds WHERE user_id = ?",
            &[manager.user_id.into()],
        )
        .expect("row");
    assert_eq!(stored.first_str().map(str::len), Some(64), "only the hash is stored");
    assert!(!stored.first_str().unwrap_or_default().contains(token));

    let text = feed::feed(&db, token, crm_core::clock::now()).expect("feed");
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{text}");
    assert!(
        text.contains(&format!("BEGIN:VEVENT\r\nUID:activity-{meeting}@crm\r\n")),
        "{text}"
    );
    assert!(
        text.contains("DTSTART:20261122T083000Z\r\nDTEND:20261122T093000Z\r\n"),
        "{text}"
    );
    assert!(text.contains("SUMMARY:Demo\\; Ромашка\\, office\r\n"), "{text}");
    assert!(text.contains("DESCRIPTION:Bring\\nthe contract\r\n"), "{text}");
    assert!(text.contains("TRIGGER;VALUE=DATE-TIME:20261122T081500Z\r\n"), "{text}");
    assert!(
        text.contains(&format!("BEGIN:VTODO\r\nUID:activity-{task}@crm\r\n")),
        "{text}"
    );
    assert!(text.contains("DUE:20261123T120000Z\r\n"), "{text}");
    assert!(text.contains("PRIORITY:1\r\n"), "{text}");
    assert!(!text.contains("SUMMARY:Old"), "completed over 30 days ago");
    assert!(!text.contains("Admin's own"), "only the token owner's activities");

    // Completing the task keeps it in the feed as COMPLETED.
    service::update(&db, &manager, &d, task, &json!({"completed": true}), None).expect("complete");
    let text = feed::feed(&db, token, crm_core::clock::now()).expect("feed");
    assert!(text.contains("STATUS:COMPLETED\r\nPRIORITY:1\r\n"), "{text}");

    // A new token replaces the old one; bad tokens are 401.
    let newer = feed::issue(&db, &manager, &client()).expect("reissue");
    let new_token = newer["url"]
        .as_str()
        .and_then(|u| u.split("token=").nth(1))
        .expect("token");
    assert_eq!(feed::feed(&db, token, 0), Err(CoreError::Unauthorized));
    assert!(feed::feed(&db, new_token, 0).is_ok());
    let secret = new_token
        .strip_prefix(&format!("cal_{}_", manager.user_id))
        .expect("secret");
    let tampered = format!("cal_{}_{secret}", admin.user_id);
    for bad in ["", "cal_", "crm_1_x", &tampered, &format!("{new_token}x")] {
        assert_eq!(feed::feed(&db, bad, 0), Err(CoreError::Unauthorized), "{bad:?}");
    }
    // The feed token is no API token, and revoking ends it.
    feed::revoke(&db, &manager, &client()).expect("revoke");
    assert_eq!(feed::feed(&db, new_token, 0), Err(CoreError::Unauthorized));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'calendar_feed.%'"
        ),
        3
    );
}
