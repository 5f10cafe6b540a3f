//! A quick, deterministic fuzz pass over the JSON API: about a thousand requests with hostile
//! bodies, queries and headers, from an administrator and a manager. Every answer must be below
//! 500, and a refused write (any non-2xx) must leave every table's row count as it was.
//!
//! The generator is a seeded xorshift, so a failure replays: the seed and the request are in the
//! panic message; set `FUZZ_SEED` to try other seeds locally, `FUZZ_ROUNDS` for a longer run.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::helpers::{Auth, PASSWORD, TestApp, post, spawn_app};

/// Tables whose row counts a refused request must not change.
const TABLES: &[&str] = &[
    "leads",
    "contacts",
    "companies",
    "contact_companies",
    "deals",
    "deal_contacts",
    "deal_stage_history",
    "products",
    "product_sections",
    "record_products",
    "activities",
    "activity_bindings",
    "timeline",
    "custom_fields",
    "saved_views",
    "forms",
    "pipelines",
    "pipeline_stages",
    "users",
    "roles",
    "departments",
    "reports",
];

/// A small seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Hostile scalar values: edges of numbers, strings that break parsers, SQL and FTS syntax.
fn scalar(rng: &mut Rng) -> Value {
    let strings = [
        "",
        " ",
        "NEW",
        "WON",
        "RUB",
        "USD",
        "1250.00",
        "-1.00",
        "92233720368547758.07",
        "1e5",
        "NaN",
        "2026-02-30",
        "2026-11-22T08:30:00Z",
        "9999-12-31T23:59:59+14:00",
        "+7 (999) 123-45-67",
        "a@b",
        "ivan@example.com",
        "https://x/\r\nSet-Cookie: x=1",
        "'; DROP TABLE leads; --",
        "\" OR 1=1 --",
        "*",
        "\"unterminated",
        "NEAR(a b)",
        "a\u{0}b",
        "\u{202e}evil",
        "Иван Петров",
        "😀😀😀",
        "lead:1",
        "C1:NEW",
        "%",
        "_",
    ];
    match rng.below(9) {
        0 => json!(rng.pick(&[i64::MAX, i64::MIN, -1, 0, 1, 2, 3, 999_999_999])),
        1 => json!(rng.pick(&[1.5, -0.0, 1e308, 0.1])),
        2 => json!(rng.chance(50)),
        3 => Value::Null,
        4 => json!("x".repeat(rng.pick(&[256usize, 5_000, 70_000]).to_owned())),
        _ => json!(rng.pick(&strings)),
    }
}

/// Any JSON value, nested up to `depth`.
fn value(rng: &mut Rng, depth: u32) -> Value {
    if depth == 0 || rng.chance(60) {
        return scalar(rng);
    }
    if rng.chance(50) {
        Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect())
    } else {
        let keys = ["value", "type", "amount", "currency", "entity", "id", "en", "ru", "x"];
        let mut map = Map::new();
        for _ in 0..rng.below(4) {
            map.insert(rng.pick(&keys).to_string(), value(rng, depth - 1));
        }
        Value::Object(map)
    }
}

/// A body of known field names (and some unknown ones) with hostile values.
fn body(rng: &mut Rng, fields: &[String]) -> Value {
    let mut map = Map::new();
    for _ in 0..1 + rng.below(5) {
        let key = if rng.chance(85) && !fields.is_empty() {
            rng.pick(fields).clone()
        } else {
            rng.pick(&["custom", "id", "version", "created_by", "zzz", "items", "contact_ids"])
                .to_string()
        };
        map.insert(key, value(rng, 3));
    }
    Value::Object(map)
}

/// A report definition for the designer (`POST /api/reports/run`, `POST /api/reports`): known
/// entities, fields, buckets and measures mixed with hostile values and shapes.
fn report_definition(rng: &mut Rng, fields: &[String]) -> Value {
    let mut known: Vec<String> = fields.to_vec();
    known.extend(
        [
            "stage_semantic",
            "weighted_amount",
            "contact_id",
            "deal.stage",
            "income",
            "quantity",
            "to_stage",
        ]
        .map(String::from),
    );
    let field = |rng: &mut Rng| -> Value {
        if rng.chance(85) {
            json!(rng.pick(&known))
        } else {
            scalar(rng)
        }
    };
    let entity = rng.pick(&[
        "deals",
        "leads",
        "contacts",
        "companies",
        "activities",
        "line_items",
        "stage_history",
        "x",
    ]);
    let groups: Vec<Value> = (0..rng.below(4))
        .map(|_| {
            json!({"field": field(rng), "bucket": rng.pick(&[json!(null), json!("day"), json!("week"), json!("month"), json!("quarter"), json!("year"), json!("hour")]).clone()})
        })
        .collect();
    let measures: Vec<Value> = (0..rng.below(4))
        .map(|_| {
            let func = rng.pick(&["count", "sum", "avg", "min", "max", "share", "median"]);
            let mut measure = json!({"fn": func, "field": field(rng)});
            if rng.chance(30) {
                measure["filter"] = body(rng, &known);
            }
            measure
        })
        .collect();
    let mut definition = json!({
        "entity": entity,
        "filter": body(rng, &known),
        "period": {"field": field(rng), "from": scalar(rng), "to": scalar(rng), "last": rng.pick(&[json!(null), json!("12m"), json!("30d"), json!("0d"), json!("99999y")]).clone()},
        "group_by": groups,
        "measures": measures,
        "sort": rng.pick(&[json!(null), json!("-count"), json!("sum_amount"), json!("x")]).clone(),
        "limit": scalar(rng),
        "chart": rng.pick(&["bar", "line", "funnel", "table", "pie"]),
    });
    // Now and then one part is any value at all.
    if rng.chance(30) {
        let key = rng.pick(&[
            "entity", "filter", "period", "group_by", "measures", "sort", "limit", "chart",
        ]);
        definition[*key] = value(rng, 3);
    }
    definition
}

/// A hostile list query.
fn query(rng: &mut Rng, fields: &[String]) -> String {
    let mut pairs = Vec::new();
    for _ in 0..rng.below(4) {
        let field = rng.pick(fields).clone();
        let op = rng.pick(&[
            "",
            "[ne]",
            "[gt]",
            "[in]",
            "[like]",
            "[null]",
            "[zz]",
            "][",
            "[gte][lt]",
        ]);
        let text = match scalar(rng) {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let text: String = text.chars().take(300).collect();
        pairs.push(format!("filter[{field}]{op}={}", urlencode(&text)));
    }
    if rng.chance(40) {
        let sort = rng.pick(fields).clone();
        pairs.push(format!("sort={}{sort},id", if rng.chance(50) { "-" } else { "" }));
    }
    if rng.chance(30) {
        pairs.push(format!("cursor={}", rng.pick(&["", "abc", "eyJ4IjoxfQ", "%00", "W10"])));
    }
    if rng.chance(30) {
        pairs.push(format!("limit={}", rng.pick(&["0", "1", "500", "501", "-1", "x"])));
    }
    if rng.chance(30) {
        let q = *rng.pick(&["иван", "\"", "*", "NEAR(", "+7999", "a OR b"]);
        pairs.push(format!("q={}", urlencode(q)));
    }
    pairs.join("&")
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn counts(app: &TestApp) -> Vec<i64> {
    let db = app.db();
    TABLES
        .iter()
        .map(|t| {
            db.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .expect("count")
        })
        .collect()
}

/// Field names of an entity, from its `/fields` metadata.
fn field_names(app: &TestApp, admin: &Auth, resource: &str) -> Vec<String> {
    let meta: Value = app
        .send(Method::GET, &format!("{resource}/fields"), admin, None)
        .json()
        .expect("fields");
    let list = meta["fields"].as_array().cloned().unwrap_or_default();
    let names: Vec<String> = list
        .iter()
        .filter_map(|f| f["name"].as_str().or_else(|| f["code"].as_str()).map(str::to_string))
        .collect();
    assert!(!names.is_empty(), "no fields for {resource}: {meta}");
    names
}

#[test]
fn hostile_requests_never_get_a_5xx_and_refusals_change_nothing() {
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0ff_ee15);
    let rounds: usize = std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    let mut rng = Rng(seed | 1);
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "fuzz@example.com", &["manager"], None);
    let manager = app.login("fuzz@example.com", PASSWORD);
    let resources = [
        "/api/leads",
        "/api/contacts",
        "/api/companies",
        "/api/deals",
        "/api/products",
        "/api/activities",
    ];
    let mut known = Vec::new();
    for resource in resources {
        let fields = field_names(&app, &admin, resource);
        let title = match resource {
            "/api/contacts" => json!({"first_name": "Seed"}),
            "/api/products" => json!({"name": "Seed product", "price": "10.00"}),
            "/api/activities" => json!({"type": "TASK", "subject": "Seed"}),
            _ => json!({"title": "Seed"}),
        };
        let record = post(&app, &admin, resource, title);
        known.push((resource, fields, record["id"].as_i64().expect("id")));
    }
    let other_paths = [
        "/api/custom-fields",
        "/api/forms",
        "/api/views",
        "/api/pipelines",
        "/api/timeline",
    ];
    for round in 0..rounds {
        let (resource, fields, id) = rng.pick(&known).clone();
        let auth = if rng.chance(50) { &admin } else { &manager };
        let (method, path, payload) = match rng.below(12) {
            0..=2 => (Method::POST, resource.to_string(), Some(body(&mut rng, &fields))),
            3..=4 => (Method::PATCH, format!("{resource}/{id}"), Some(body(&mut rng, &fields))),
            5 => (Method::GET, format!("{resource}?{}", query(&mut rng, &fields)), None),
            6 => (
                Method::PUT,
                format!("/api/deals/{}/products", known[3].2),
                Some(
                    json!({"items": [body(&mut rng, &["name".into(), "price".into(), "quantity".into(), "discount_rate".into(), "discount_sum".into(), "discount_type".into(), "tax_rate".into(), "tax_included".into(), "product_id".into()])]}),
                ),
            ),
            7 => (
                Method::POST,
                format!("/api/leads/{}/convert", known[0].2),
                Some(json!({"contact": value(&mut rng, 2), "company": value(&mut rng, 2), "deal": value(&mut rng, 2)})),
            ),
            8 => (
                Method::POST,
                format!("{resource}/bulk"),
                Some(
                    json!({"action": rng.pick(&["assign", "set", "delete", "x"]), "ids": value(&mut rng, 1), "values": body(&mut rng, &fields), "responsible_id": scalar(&mut rng)}),
                ),
            ),
            9 => (
                Method::POST,
                format!(
                    "/api/reports/run?{}&from={}&to={}&format={}",
                    query(&mut rng, &known[3].1),
                    urlencode(&scalar(&mut rng).to_string().chars().take(300).collect::<String>()),
                    rng.pick(&["", "2026-01-01", "2026-13-01", "today-30d"]),
                    rng.pick(&["json", "csv", "xlsx", "pdf"])
                ),
                Some(json!({"definition": report_definition(&mut rng, &known[3].1)})),
            ),
            10 => (
                Method::POST,
                "/api/reports".to_string(),
                Some(
                    json!({"name": scalar(&mut rng), "shared": scalar(&mut rng), "definition": report_definition(&mut rng, &known[3].1)}),
                ),
            ),
            _ => (
                Method::POST,
                rng.pick(&other_paths).to_string(),
                Some(value(&mut rng, 3)),
            ),
        };
        let before = counts(&app);
        let response = app.send(method.clone(), &path, auth, payload.clone());
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        let shown: String = format!("{payload:?}").chars().take(600).collect();
        assert!(
            status < 500,
            "seed {seed} round {round}: {method} {path} {shown} answered {status}: {text}"
        );
        if !(200..300).contains(&status) {
            assert_eq!(
                counts(&app),
                before,
                "seed {seed} round {round}: refused {method} {path} {shown} ({status}) changed rows"
            );
        }
    }
    // Raw bodies: not JSON, truncated, deeply nested, the wrong media type.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let raw: [(&str, &[u8]); 6] = [
        ("application/json", b"{"),
        ("application/json", b"{\"title\": \"x\",}"),
        ("application/json", deep.as_bytes()),
        ("application/json", b"\xff\xfe{}"),
        ("text/plain", b"title=x"),
        ("application/x-www-form-urlencoded", b"title=x"),
    ];
    for (content_type, bytes) in raw {
        let before = counts(&app);
        let r = app
            .client
            .post(format!("{}/api/leads", app.base))
            .bearer_auth(admin.bearer.as_deref().expect("token"))
            .header("content-type", content_type)
            .body(bytes.to_vec())
            .send()
            .expect("raw post");
        let status = r.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{content_type} {:?}: {status}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
        );
        assert_eq!(counts(&app), before);
    }
}
