//! Activities through the real component: the record shape over HTTP, bindings (filter and
//! the bound lead's timeline), "my activities", and the calendar feed: a token issued over
//! the API, the `.ics` fetched with nothing but that token and read by a real iCalendar parser
//! (the `ical` crate), bad and replaced tokens refused with 401.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, assert_problem, get, ids, post, spawn_app};

fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("id")
}

#[test]
fn activities_are_records_bound_to_leads_and_contacts_over_http() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = id(&post(&app, &admin, "/api/leads", json!({"title": "Ромашка"})));
    let contact = id(&post(&app, &admin, "/api/contacts", json!({"last_name": "Петров"})));

    let r = app.send(
        Method::POST,
        "/api/activities",
        &admin,
        Some(json!({
            "type": "CALL", "subject": "Обсудить договор", "direction": "OUTGOING",
            "start_at": "2026-11-22T08:30:00Z", "end_at": "2026-11-22T09:00:00Z",
            "bindings": [{"entity": "lead", "id": lead}, {"entity": "contact", "id": contact}]
        })),
    );
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(r.headers()["etag"], "\"1\"");
    let call: Value = r.json().expect("activity");
    let a = id(&call);
    assert_eq!(location, format!("/api/activities/{a}"));
    assert_eq!(call["priority"], "NORMAL");
    assert_eq!(call["completed"], false);
    assert_eq!(get(&app, &admin, &location), call);

    // Bad input is 422 naming the field, and nothing is written.
    for (body, field) in [
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "widget", "id": 1}]}),
            "bindings[0].entity",
        ),
        (
            json!({"type": "CALL", "subject": "x", "bindings": [{"entity": "lead", "id": 999}]}),
            "bindings[0]",
        ),
        (
            json!({"type": "MEETING", "subject": "x", "start_at": "2026-11-22T10:00:00Z", "end_at": "2026-11-22T09:00:00Z"}),
            "end_at",
        ),
    ] {
        let problem = assert_problem(app.send(Method::POST, "/api/activities", &admin, Some(body)), 422);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Bindings filter, and the activity on the lead's timeline.
    let other = id(&post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "TASK", "subject": "Unbound"}),
    ));
    assert_eq!(
        ids(&get(
            &app,
            &admin,
            &format!("/api/activities?filter[bindings]=lead:{lead}")
        )),
        vec![a]
    );
    assert_eq!(
        ids(&get(
            &app,
            &admin,
            &format!("/api/activities?filter[bindings]=contact:{contact}")
        )),
        vec![a]
    );
    assert_eq!(ids(&get(&app, &admin, "/api/activities?sort=id")), vec![a, other]);
    let timeline = get(&app, &admin, &format!("/api/leads/{lead}/timeline"));
    assert_eq!(timeline["items"][0]["kind"], "activity");
    assert_eq!(
        timeline["items"][0]["payload"],
        json!({"activity_id": a, "type": "CALL", "subject": "Обсудить договор", "event": "created"})
    );

    // Complete it (If-Match), then delete it.
    let stale = app.send_if_match(Method::PATCH, &location, &admin, "\"9\"", json!({"completed": true}));
    assert_problem(stale, 412);
    let r = app.send_if_match(
        Method::PATCH,
        &location,
        &admin,
        "\"1\"",
        json!({"completed": true, "result": "Agreed"}),
    );
    assert_eq!(r.status(), 200);
    let done: Value = r.json().expect("activity");
    assert_eq!(done["completed"], true);
    assert!(done["completed_at"].is_string());
    let timeline = get(&app, &admin, &format!("/api/contacts/{contact}/timeline"));
    assert_eq!(timeline["items"][0]["payload"]["event"], "completed");
    let r = app.send(Method::DELETE, &location, &admin, None);
    assert_eq!(r.status(), 204);
    assert_problem(app.send(Method::GET, &location, &admin, None), 404);
    let timeline = get(&app, &admin, &format!("/api/leads/{lead}/timeline"));
    assert_eq!(timeline["items"][0]["payload"]["event"], "deleted");

    // The entity's own actions and unknown paths.
    let fields = get(&app, &admin, "/api/activities/fields");
    assert_eq!(fields["entity"], "activity");
    assert_problem(app.send(Method::GET, "/api/activities/nope", &admin, None), 404);
    assert_problem(app.send(Method::GET, "/api/activities/1/x.ics", &admin, None), 404);
    assert_problem(app.send(Method::POST, "/api/activities/my", &admin, None), 405);
}

#[test]
fn my_activities_are_open_ones_by_deadline_with_overdue() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let make = |subject: &str, deadline: Option<&str>, completed: bool| {
        let mut body = json!({"type": "TASK", "subject": subject, "completed": completed});
        if let Some(deadline) = deadline {
            body["deadline"] = json!(deadline);
        }
        id(&post(&app, &admin, "/api/activities", body))
    };
    let undated = make("someday", None, false);
    let future = make("next century", Some("2099-01-01T00:00:00Z"), false);
    let past = make("long overdue", Some("2020-01-01T00:00:00Z"), false);
    make("done", Some("2020-01-01T00:00:00Z"), true);
    let page = get(&app, &admin, "/api/activities/my");
    let got: Vec<(i64, bool)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (id(i), i["overdue"].as_bool().expect("overdue")))
        .collect();
    assert_eq!(got, vec![(past, true), (future, false), (undated, false)]);
    let first = get(&app, &admin, "/api/activities/my?limit=2");
    assert_eq!(ids(&first), vec![past, future]);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let rest = get(&app, &admin, &format!("/api/activities/my?limit=2&cursor={cursor}"));
    assert_eq!(ids(&rest), vec![undated]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let problem = assert_problem(app.send(Method::GET, "/api/activities/my?sort=id", &admin, None), 400);
    assert!(
        problem["detail"].as_str().unwrap_or_default().contains("sort"),
        "{problem}"
    );
    assert_problem(app.send(Method::GET, "/api/activities/my", &Auth::none(), None), 401);
}

/// The value of property `name` of a component.
fn prop<'a>(properties: &'a [ical::property::Property], name: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

fn parse_calendar(text: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = calendars.next().expect("one calendar").expect("a valid calendar");
    assert!(calendars.next().is_none(), "exactly one VCALENDAR");
    calendar
}

#[test]
fn the_calendar_feed_is_icalendar_behind_its_own_token() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let long_subject = "Ж".repeat(60);
    let meeting = id(&post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "MEETING", "subject": "Demo; office, 3rd floor", "start_at": "2026-12-01T10:00:00Z",
               "end_at": "2026-12-01T11:30:00Z", "description": "Bring the contract\nand the price list",
               "remind_at": "2026-12-01T09:45:00Z"}),
    ));
    let task = id(&post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "TASK", "subject": long_subject, "deadline": "2026-12-02T15:00:00Z", "priority": "HIGH"}),
    ));
    let done = id(&post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "TASK", "subject": "Done today", "completed": true}),
    ));

    // The feed needs a token; a session or API token alone is not one.
    assert_problem(app.send(Method::GET, "/api/activities.ics", &admin, None), 401);
    let issued = post(&app, &admin, "/api/activities/feed-token", json!({}));
    let url = issued["url"].as_str().expect("url").to_string();
    let token = url.strip_prefix("/api/activities.ics?token=").expect("feed url");
    assert!(token.starts_with("cal_1_"), "{token}");

    let r = app.get(&url);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = r.text().expect("body");
    assert!(
        text.split("\r\n").all(|line| line.len() <= 75),
        "every physical line is at most 75 octets"
    );
    assert!(!text.replace("\r\n", "").contains('\n'), "CRLF line endings");
    let calendar = parse_calendar(&text);
    assert_eq!(prop(&calendar.properties, "VERSION"), Some("2.0"));
    assert!(prop(&calendar.properties, "PRODID").is_some());

    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0].properties;
    assert_eq!(prop(event, "UID"), Some(format!("activity-{meeting}@crm").as_str()));
    assert_eq!(prop(event, "DTSTART"), Some("20261201T100000Z"));
    assert_eq!(prop(event, "DTEND"), Some("20261201T113000Z"));
    assert_eq!(prop(event, "SUMMARY"), Some("Demo\\; office\\, 3rd floor"));
    assert_eq!(
        prop(event, "DESCRIPTION"),
        Some("Bring the contract\\nand the price list")
    );
    assert_eq!(prop(event, "STATUS"), Some("CONFIRMED"));
    assert!(prop(event, "DTSTAMP").is_some_and(|s| s.len() == 16 && s.ends_with('Z')));
    assert_eq!(calendar.events[0].alarms.len(), 1);
    assert_eq!(
        prop(&calendar.events[0].alarms[0].properties, "TRIGGER"),
        Some("20261201T094500Z")
    );

    assert_eq!(calendar.todos.len(), 2);
    let todo = |uid: i64| {
        calendar
            .todos
            .iter()
            .find(|t| prop(&t.properties, "UID") == Some(format!("activity-{uid}@crm").as_str()))
            .map(|t| &t.properties)
            .unwrap_or_else(|| panic!("no VTODO for {uid}"))
    };
    assert_eq!(prop(todo(task), "DUE"), Some("20261202T150000Z"));
    assert_eq!(
        prop(todo(task), "SUMMARY"),
        Some(long_subject.as_str()),
        "a folded line unfolds to the whole value"
    );
    assert_eq!(prop(todo(task), "STATUS"), Some("NEEDS-ACTION"));
    assert_eq!(prop(todo(task), "PRIORITY"), Some("1"));
    assert_eq!(prop(todo(done), "STATUS"), Some("COMPLETED"));
    assert!(prop(todo(done), "COMPLETED").is_some());

    // Bad tokens are 401 problems; the feed token is no API credential.
    for bad in ["", "cal_1_nope", "crm_1_nope", "cal_x_y"] {
        assert_problem(app.get(&format!("/api/activities.ics?token={bad}")), 401);
    }
    assert_problem(
        app.send(Method::GET, "/api/activities", &Auth::bearer(token), None),
        401,
    );
    assert_problem(app.request(Method::POST, &url), 405);

    // A new token replaces the old one at once.
    let newer = post(&app, &admin, "/api/activities/feed-token", json!({}));
    let new_url = newer["url"].as_str().expect("url");
    assert_ne!(new_url, url);
    assert_problem(app.get(&url), 401);
    assert_eq!(app.get(new_url).status(), 200);
    let r = app.send(Method::DELETE, "/api/activities/feed-token", &admin, None);
    assert_eq!(r.status(), 204);
    assert_problem(app.get(new_url), 401);
}

#[test]
fn deleting_a_record_unbinds_its_activities_which_stay_editable() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let lead = post(&app, &admin, "/api/leads", json!({"title": "Gone soon"}));
    let contact = post(&app, &admin, "/api/contacts", json!({"first_name": "Stays"}));
    let call = post(
        &app,
        &admin,
        "/api/activities",
        json!({"type": "CALL", "subject": "Call", "bindings": [{"entity": "lead", "id": id(&lead)}, {"entity": "contact", "id": id(&contact)}]}),
    );
    let r = app.send(Method::DELETE, &format!("/api/leads/{}", id(&lead)), &admin, None);
    assert_eq!(r.status(), 204);
    let after = get(&app, &admin, &format!("/api/activities/{}", id(&call)));
    assert_eq!(after["bindings"], json!([{"entity": "contact", "id": id(&contact)}]));
    let r = app.send(
        Method::PATCH,
        &format!("/api/activities/{}", id(&call)),
        &admin,
        Some(json!({"subject": "Call again"})),
    );
    assert_eq!(r.status(), 200, "an activity is not stuck on a deleted record");
}
