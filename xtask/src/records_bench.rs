//! `cargo xtask bench records`: the record engine on a CRM-sized database (issue 4's closing
//! figures). The issue's target: every read answers in under 30 ms at p50.
//!
//! A generator writes 1,000,000 leads and 1,000,000 contacts (Russian and English people, phones
//! typed in varied formats, e-mails, statuses, sources, amounts, two years of history, owned by
//! 201 users in 20 departments) into the SQLite file crm-host serves for the state dir. Each
//! record's body goes through the engine's own parser (`records::input::parse`), and the rows the
//! engine's hooks derive (full-text search, normalised channels) come from the engine's own
//! functions, so the stored forms are the engine's; the timeline is skipped.
//!
//! Then, through the wasm components over HTTP (sequential requests, a new connection each, a
//! Bearer token): create, read by id, the first page of the default list, of a list sorted by
//! last change and of filtered and sorted lists, page 1000 and a page near the end (after id
//! 50,000) by cursor, and `q` search (a Cyrillic surname, a phone's digits), as an administrator (sees all) and as a manager (sees own and opened records). Each
//! beside its floor: the same core call on a native connection to the same file with the host
//! stopped, so the ratio is what the runtime, the component, authentication and the per-request
//! setup add. A last table sets each manager list beside the administrator's same list (issue
//! 14: a manager's first page within 2x the administrator's). Nothing fails on a number.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_core::Value;
use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use crm_core::records::fields::Storage;
use crm_core::records::list::{RecordQuery, list};
use crm_core::records::store::{self, META};
use crm_core::records::{EntityDef, Values, index, input, service};
use crm_sqlite::NativeDb;
use rusqlite::params;
use serde_json::{Map, Value as Json, json};

use data::*;

pub(crate) const ROWS: i64 = 1_000_000;
pub(crate) const USERS: i64 = 200;
const DEPARTMENTS: i64 = 20;
/// The user with the `manager` role (the administrator from setup is user 1).
pub(crate) const MANAGER: i64 = 2;
/// Calls per measured operation, after one untimed warm-up: 101, or `CRM_BENCH_CALLS` (a quicker
/// run with coarser percentiles).
pub(crate) fn calls() -> u64 {
    std::env::var("CRM_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(101)
}
/// Rows per transaction while generating.
const BATCH: i64 = 100_000;
pub(crate) const DAY: i64 = 86_400;
const TARGET: Duration = Duration::from_millis(30);
pub(crate) const PASSWORD: &str = "swift otter lantern 2026";
/// The administrator's e-mail (user 1, made by setup).
pub(crate) const ADMIN_EMAIL: &str = "bench@example.com";
/// A surname the generator uses often (the second most frequent).
pub(crate) const SURNAME: &str = "Смирнова";
/// The deep page of the default list starts after this lead (near the end of `-id`).
const DEEP_ID: i64 = 50_000;

/// Generates the database, measures every operation over HTTP and natively, prints the table.
pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::build_all(true)?;
    let state = root.join("target").join("bench-state").join("records");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)?;
    let path = state.join("sqlite_db.db");
    let started = Instant::now();
    let fixture = generate(&path)?;
    let generation = started.elapsed();
    let size = std::fs::metadata(&path)?.len();

    let (host, _) = crate::bench::start_host(&state)?;
    let measured = (|| {
        let cursor = page_1000_cursor(&host.1, &fixture.admin_token)?;
        let deep = cursor_after(&host.1, &fixture.admin_token, DEEP_ID)?;
        let cases = cases(&fixture, &cursor, &deep);
        let mut http = Vec::new();
        for case in &cases {
            let token = if case.as_manager {
                &fixture.manager_token
            } else {
                &fixture.admin_token
            };
            http.push(samples(|i| over_http(&host.1, token, case, i))?);
        }
        anyhow::Ok((cases, http))
    })();
    crate::bench::stop(host);
    let (cases, http) = measured?;
    let native = native_floors(&path, &cases)?;

    println!("\n## records: {ROWS} leads + {ROWS} contacts through the wasm components\n");
    println!(
        "generated in {:.1} s ({:.0} records/s, with search and channel rows), planned {}; database {:.0} MiB",
        generation.as_secs_f64(),
        (2 * ROWS) as f64 / generation.as_secs_f64(),
        crate::bench::statistics_label(),
        size as f64 / (1 << 20) as f64
    );
    println!(
        "{} sequential requests per row (a new connection each); floor: the same core call natively on the same file\n",
        calls()
    );
    println!("| operation | p50 | p90 | native floor p50 | ratio | read p50 < 30 ms |");
    println!("|---|---|---|---|---|---|");
    for ((case, http), native) in cases.iter().zip(&http).zip(&native) {
        let (p50, p90, floor) = (percentile(http, 50), percentile(http, 90), percentile(native, 50));
        let verdict = match case.call {
            Call::Create => "n/a (write)",
            _ if p50 < TARGET => "yes",
            _ => "**NO**",
        };
        println!(
            "| {} | {} | {} | {} | {:.1} | {verdict} |",
            case.label,
            ms(p50),
            ms(p90),
            ms(floor),
            p50.as_secs_f64() / floor.as_secs_f64()
        );
    }
    let labels: Vec<&str> = cases.iter().map(|c| c.label.as_str()).collect();
    manager_ratios("list", &labels, &http, &native);
    Ok(())
}

/// Each request a manager made (label `manager: <x>`) against the administrator's same request
/// (`admin: <x>`) in the same run (the floor), natively and over HTTP: issue 14's target is a
/// manager's first page within 2x the administrator's. `heading` names the first column.
pub(crate) fn manager_ratios(heading: &str, labels: &[&str], http: &[Vec<Duration>], native: &[Vec<Duration>]) {
    println!(
        "\n| {heading} | manager p50 natively | admin p50 natively (floor) | ratio | manager over HTTP | admin over HTTP | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, full) in labels.iter().enumerate() {
        let Some(label) = full.strip_prefix("manager: ") else {
            continue;
        };
        let admin = format!("admin: {label}");
        let Some(j) = labels.iter().position(|l| *l == admin) else {
            continue;
        };
        let (manager_native, admin_native) = (percentile(&native[i], 50), percentile(&native[j], 50));
        let (manager_http, admin_http) = (percentile(&http[i], 50), percentile(&http[j], 50));
        println!(
            "| {label} | {} | {} | {:.2} | {} | {} | {:.2} |",
            ms(manager_native),
            ms(admin_native),
            manager_native.as_secs_f64() / admin_native.as_secs_f64(),
            ms(manager_http),
            ms(admin_http),
            manager_http.as_secs_f64() / admin_http.as_secs_f64()
        );
    }
}

/// Makes one record's API body.
type Body = fn(&mut Rng) -> Json;

/// What the measurements need from the generated database.
pub(crate) struct Fixture {
    admin_token: String,
    manager_token: String,
    /// The 10 national digits of a phone of one of the manager's leads.
    pub(crate) phone: String,
    /// `created_at` a year ago, RFC 3339.
    year_ago: String,
}

/// Creates the database at `path`: the administrator (by setup), the staff, the records, then
/// checks that generated records read back and are found through the engine.
pub(crate) fn generate(path: &Path) -> anyhow::Result<Fixture> {
    let mut rng = Rng(2026);
    let (db, admin_token, manager_token) = bulk_start(path, &mut rng)?;
    let conn = db.connection();
    let admin = Caller::load(&db, 1)?;
    let bodies: [(&str, Body); 2] = [("lead", lead_body), ("contact", contact_body)];
    for (entity, body) in bodies {
        let def = EntityDef::load(&db, entity)?;
        let started = Instant::now();
        let sample = fill(&db, &def, &mut rng, body)?;
        eprintln!(
            "{ROWS} {entity} records written in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let id = sample.get("id").and_then(Value::as_i64).unwrap_or_default();
        let read = service::get(&db, &admin, &def, id)?;
        if read != store::render(&def, &sample) {
            bail!(
                "generated {entity} {id} reads back differently: the stored form is wrong\nread:      {read}\ngenerated: {}",
                store::render(&def, &sample)
            );
        }
    }
    crate::bench::statistics(conn, &[])?;

    let phones: String = conn.query_row(
        "SELECT phones FROM leads WHERE responsible_id = ? AND phones IS NOT NULL ORDER BY id LIMIT 1",
        [MANAGER],
        |r| r.get(0),
    )?;
    let phones: Json = serde_json::from_str(&phones)?;
    let phone = phones[0]["normalized"]
        .as_str()
        .and_then(|p| p.strip_prefix("+7"))
        .with_context(|| format!("not a Russian E.164 phone: {phones}"))?
        .to_string();
    for (entity, q) in [("lead", phone.as_str()), ("contact", SURNAME)] {
        let def = EntityDef::load(&db, entity)?;
        let query = RecordQuery::parse(&def, &pairs(&[("q", q)]), &service::parse_context(&db)?)?;
        if list(&db, &admin, &def, &query)?["items"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            bail!("q={q} finds no {entity}: the search rows are wrong");
        }
    }
    Ok(Fixture {
        admin_token,
        manager_token,
        phone,
        year_ago: crm_core::clock::rfc3339(crm_core::clock::now() - 365 * DAY),
    })
}

/// The start every generator shares: the database at `path` migrated and set for bulk writes
/// (no syncs, a large cache), the administrator by setup, the [`staff`] drawn from `rng`, and
/// the administrator's and the manager's API tokens.
pub(crate) fn bulk_start(path: &Path, rng: &mut Rng) -> anyhow::Result<(NativeDb, String, String)> {
    let (db, _) = NativeDb::open_migrated(path)?;
    db.connection()
        .execute_batch("PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;")?;
    let client = ClientInfo {
        ip: None,
        user_agent: None,
    };
    let setup = crm_core::auth::SetupRequest {
        email: ADMIN_EMAIL.into(),
        password: PASSWORD.into(),
        name: "Bench Admin".into(),
    };
    let admin_token = crm_core::auth::setup(&db, &setup, &client)?.token;
    staff(&db, rng)?;
    let manager = Caller::load(&db, MANAGER)?;
    let manager_token = crm_core::auth::create_token(&db, &manager, "bench", &client)?.token;
    Ok((db, admin_token, manager_token))
}

/// 20 departments in a tree, 200 users spread over them, user [`MANAGER`] a manager.
pub(crate) fn staff(db: &NativeDb, rng: &mut Rng) -> anyhow::Result<()> {
    let conn = db.connection();
    conn.execute_batch(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DEPARTMENTS})
         INSERT INTO departments (id, name, parent_id, created_at, updated_at)
           SELECT i, 'Отдел продаж ' || i, CASE WHEN i = 1 THEN NULL ELSE 1 + (i - 2) / 4 END, 0, 0 FROM n;"
    ))?;
    let mut insert = conn.prepare(
        "INSERT INTO users (id, email, name, password_hash, department_id, created_at, updated_at) \
         VALUES (?, ?, ?, 'x', ?, 0, 0)",
    )?;
    for id in 2..=USERS + 1 {
        let p = person(rng);
        let name = format!("{} {}", p.first, p.last);
        insert.execute(params![id, format!("user{id}@example.com"), name, 1 + id % DEPARTMENTS])?;
    }
    conn.execute(
        "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE code = 'manager'",
        [MANAGER],
    )?;
    Ok(())
}

/// Writes [`ROWS`] records of `def` made by `body` (ids 1.., created over the last two years in
/// id order), with the derived columns the engine would write (the database's triggers then
/// write the search, channel and timeline rows).
/// Returns the middle record's values, as the engine would have stored them.
fn fill(db: &NativeDb, def: &EntityDef, rng: &mut Rng, body: Body) -> anyhow::Result<Values> {
    let cx = service::parse_context(db)?;
    let conn = db.connection();
    let columns: Vec<&str> = def
        .fields
        .iter()
        .filter(|f| f.storage == Storage::Column)
        .map(|f| f.name.as_str())
        .chain(META.iter().copied())
        .chain(["search_body", "channel_keys"])
        .collect();
    let mut row = conn.prepare(&format!(
        "INSERT INTO {} ({}) VALUES ({})",
        def.table,
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    ))?;
    let now = crm_core::clock::now();
    let span = 730 * DAY;
    let mut sample = Values::new();
    conn.execute_batch("BEGIN")?;
    for id in 1..=ROWS {
        let json = body(rng);
        let mut values = input::parse(def, &json, &cx, true)
            .with_context(|| format!("the engine refuses a generated {}: {json}", def.name))?
            .values;
        let created = now - span + span * id / ROWS - rng.below(3600);
        let updated = if rng.chance(40) {
            created
        } else {
            (created + rng.below(120 * DAY)).min(now)
        };
        let owner = values.get("responsible_id").cloned().unwrap_or(Value::Null);
        for (key, value) in [
            ("id", id),
            ("version", 1),
            ("created_at", created),
            ("updated_at", updated),
        ] {
            values.insert(key.into(), Value::Integer(value));
        }
        values.insert("created_by".into(), owner.clone());
        values.insert("updated_by".into(), owner);
        for (column, value) in index::derived_columns(def, &values, None) {
            values.insert(column.into(), value);
        }
        row.execute(rusqlite::params_from_iter(columns.iter().map(|c| sql(values.get(*c)))))?;
        if id % BATCH == 0 {
            conn.execute_batch("COMMIT; BEGIN")?;
        }
        if id == ROWS / 2 {
            sample = values;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(sample)
}

/// A stored value as a rusqlite parameter.
pub(crate) fn sql(value: Option<&Value>) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Some(Value::Integer(i)) => Sql::Integer(*i),
        Some(Value::Real(f)) => Sql::Real(*f),
        Some(Value::Text(s)) => Sql::Text(s.clone()),
        Some(Value::Blob(b)) => Sql::Blob(b.clone()),
        Some(Value::Null) | None => Sql::Null,
    }
}

/// One measured operation.
struct Case {
    label: String,
    /// `lead` or `contact`.
    entity: &'static str,
    as_manager: bool,
    call: Call,
}

/// What a case does (the same over HTTP and natively).
enum Call {
    /// Create a lead from [`create_body`].
    Create,
    /// Read a random record by id.
    Get,
    /// A list with these (decoded) query pairs.
    List(Vec<(String, String)>),
}

fn cases(fixture: &Fixture, cursor: &str, deep: &str) -> Vec<Case> {
    let case = |label: &str, entity, as_manager, call| Case {
        label: label.to_string(),
        entity,
        as_manager,
        call,
    };
    let leads_status = [
        ("filter[status]", "IN_PROCESS"),
        ("sort", "-updated_at"),
        ("limit", "50"),
    ];
    let contacts_recent = [
        ("filter[created_at][gte]", fixture.year_ago.as_str()),
        ("sort", "last_name"),
        ("limit", "50"),
    ];
    let mut cases = vec![
        case("POST /api/leads", "lead", false, Call::Create),
        case("GET /api/leads/{random id}", "lead", false, Call::Get),
        case("GET /api/contacts/{random id}", "contact", false, Call::Get),
    ];
    for (who, as_manager) in [("admin", false), ("manager", true)] {
        let lists = [
            ("contact", pairs(&[("limit", "50")])),
            ("lead", pairs(&[("sort", "-updated_at"), ("limit", "50")])),
            ("lead", pairs(&leads_status)),
            ("contact", pairs(&contacts_recent)),
            ("contact", pairs(&[("q", SURNAME)])),
            ("lead", pairs(&[("q", fixture.phone.as_str())])),
        ];
        for (entity, query) in lists {
            let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = format!("{who}: GET /api/{entity}s?{}", shown.join("&"));
            cases.push(case(&label, entity, as_manager, Call::List(query)));
        }
        if !as_manager {
            let label = "admin: GET /api/leads?limit=50 page 1000 (cursor)";
            let query = pairs(&[("limit", "50"), ("cursor", cursor)]);
            cases.push(case(label, "lead", false, Call::List(query)));
            let label = format!(
                "admin: GET /api/leads?limit=50 page ~{} (cursor at id {DEEP_ID})",
                (ROWS - DEEP_ID) / 50
            );
            let query = pairs(&[("limit", "50"), ("cursor", deep)]);
            cases.push(case(&label, "lead", false, Call::List(query)));
        }
    }
    cases
}

/// Follows `next_cursor` from the first page of `GET /api/leads?limit=50` to page 1000's cursor.
fn page_1000_cursor(addr: &str, token: &str) -> anyhow::Result<String> {
    let mut path = "/api/leads?limit=50".to_string();
    let mut cursor = String::new();
    for _ in 1..1000 {
        let page: Json = serde_json::from_str(&http(addr, "GET", &path, token, None)?)?;
        cursor = page["next_cursor"].as_str().context("ran out of pages")?.to_string();
        path = format!("/api/leads?limit=50&cursor={cursor}");
    }
    Ok(cursor)
}

/// The cursor of `GET /api/leads?limit=50` (sort `-id`) that continues after lead `id`: the
/// `next_cursor` of a one-row page of the same sort filtered to ids up to `id` (a cursor holds
/// the sort's keys, not the filters).
fn cursor_after(addr: &str, token: &str, id: i64) -> anyhow::Result<String> {
    let query = url_query(&pairs(&[("filter[id][lte]", &id.to_string()), ("limit", "1")]));
    let page: Json = serde_json::from_str(&http(addr, "GET", &format!("/api/leads?{query}"), token, None)?)?;
    Ok(page["next_cursor"]
        .as_str()
        .context("no cursor after the lead")?
        .to_string())
}

/// One timed call of `case` over HTTP (`i` picks the record or body).
fn over_http(addr: &str, token: &str, case: &Case, i: u64) -> anyhow::Result<Duration> {
    let resource = format!("/api/{}s", case.entity);
    let (method, path, body) = match &case.call {
        Call::Create => ("POST", resource, Some(create_body(1_000_000 + i).to_string())),
        Call::Get => ("GET", format!("{resource}/{}", random_id(i)), None),
        Call::List(query) => ("GET", format!("{resource}?{}", url_query(query)), None),
    };
    let started = Instant::now();
    http(addr, method, &path, token, body.as_deref())?;
    Ok(started.elapsed())
}

/// The floors: each case's core call on a native connection to the same file.
fn native_floors(path: &Path, cases: &[Case]) -> anyhow::Result<Vec<Vec<Duration>>> {
    let (db, _) = NativeDb::open_migrated(path)?;
    let (admin, manager) = (Caller::load(&db, 1)?, Caller::load(&db, MANAGER)?);
    let mut floors = Vec::new();
    for case in cases {
        let caller = if case.as_manager { &manager } else { &admin };
        let def = EntityDef::load(&db, case.entity)?;
        floors.push(samples(|i| {
            let started;
            match &case.call {
                Call::Create => {
                    let body = create_body(2_000_000 + i);
                    started = Instant::now();
                    service::create(&db, caller, &def, &body)?;
                }
                Call::Get => {
                    started = Instant::now();
                    service::get(&db, caller, &def, random_id(i))?;
                }
                Call::List(query) => {
                    started = Instant::now();
                    let query = RecordQuery::parse(&def, query, &service::parse_context(&db)?)?;
                    list(&db, caller, &def, &query)?;
                }
            }
            Ok(started.elapsed())
        })?);
    }
    Ok(floors)
}

/// [`calls`] timings of `call(i)`, after one untimed warm-up call, sorted.
pub(crate) fn samples(mut call: impl FnMut(u64) -> anyhow::Result<Duration>) -> anyhow::Result<Vec<Duration>> {
    call(calls())?;
    let mut times = (0..calls()).map(&mut call).collect::<anyhow::Result<Vec<_>>>()?;
    times.sort();
    Ok(times)
}

pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() - 1) * p / 100]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The `i`th random record id (the same sequence over HTTP and natively).
fn random_id(i: u64) -> i64 {
    1 + Rng(i ^ 0x5eed_1234).below(ROWS)
}

/// A lead body for the measured creates: realistic, with a distinct title and phone per seed.
fn create_body(seed: u64) -> Json {
    let mut body = lead_body(&mut Rng(seed));
    body["title"] = json!(format!("Заявка с сайта №{seed}"));
    body
}

/// One request with the Bearer token; the body of a 2xx answer, an error otherwise.
pub(crate) fn http(addr: &str, method: &str, path: &str, token: &str, body: Option<&str>) -> anyhow::Result<String> {
    http_with(addr, method, path, &[], token, body)
}

/// [`http`] with more request headers (e.g. `if-match: "3"`).
pub(crate) fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    token: &str,
    body: Option<&str>,
) -> anyhow::Result<String> {
    let auth = format!("authorization: Bearer {token}");
    let headers: Vec<&str> = headers.iter().copied().chain([auth.as_str()]).collect();
    let response = crate::bench::request(addr, method, path, &headers, body)?;
    let (head, rest) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let text = if chunked {
        dechunk(rest.as_bytes())
    } else {
        rest.to_string()
    };
    if !(200..300).contains(&status) {
        bail!("{method} {path} answered {status}: {text}");
    }
    Ok(text)
}

/// The payload of a chunked HTTP/1.1 body (byte-wise: a chunk may end inside a character).
fn dechunk(mut rest: &[u8]) -> String {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end]).ok();
        let size = size.and_then(|s| usize::from_str_radix(s.trim(), 16).ok()).unwrap_or(0);
        let Some(chunk) = rest.get(end + 2..end + 2 + size).filter(|_| size > 0) else {
            break;
        };
        out.extend_from_slice(chunk);
        rest = rest.get(end + 4 + size..).unwrap_or_default();
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Percent-encodes query pairs (everything but unreserved characters).
pub(crate) fn url_query(pairs: &[(String, String)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    parts.join("&")
}

/// SplitMix64: a small deterministic generator, so every run builds the same data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: i64) -> i64 {
        (self.next() % n as u64) as i64
    }

    pub(crate) fn chance(&mut self, percent: i64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as i64) as usize]
    }

    /// Like [`Rng::pick`], but the first items are much more frequent (as real surnames are).
    fn skewed<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let n = items.len() as i64;
        items[(self.below(n) * self.below(n) / n) as usize]
    }

    /// A code from `(code, weight)` pairs.
    pub(crate) fn weighted(&mut self, items: &[(&'static str, i64)]) -> &'static str {
        let mut roll = self.below(items.iter().map(|(_, w)| w).sum());
        for (code, weight) in items {
            if roll < *weight {
                return code;
            }
            roll -= weight;
        }
        items[0].0
    }
}

/// The generator's vocabulary.
#[rustfmt::skip]
pub(crate) mod data {
    pub const RU_MALE: &[&str] = &[
        "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Василий", "Виктор", "Владимир",
        "Дмитрий", "Евгений", "Иван", "Игорь", "Кирилл", "Константин", "Максим", "Михаил", "Николай", "Олег", "Павел",
        "Роман", "Сергей", "Станислав", "Юрий",
    ];
    pub const RU_FEMALE: &[&str] = &[
        "Анастасия", "Анна", "Валентина", "Виктория", "Галина", "Дарья", "Екатерина", "Елена", "Ирина", "Ксения",
        "Людмила", "Марина", "Мария", "Наталья", "Нина", "Ольга", "Полина", "Светлана", "Софья", "Татьяна", "Юлия",
    ];
    /// Masculine forms; [`super::feminine`] makes the others.
    pub const RU_SURNAMES: &[&str] = &[
        "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
        "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
        "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
        "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев",
        "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов",
        "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
        "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников",
        "Денисов", "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин",
        "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв",
        "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев",
        "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев",
        "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов",
        "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков",
        "Горбунов", "Анисимов", "Ерёмин", "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов",
        "Нестеров", "Симонов", "Прокофьев", "Харитонов", "Князев", "Цветков", "Левин", "Митрофанов", "Воронцов",
        "Полянский", "Вишневский", "Жуковский", "Островский",
    ];
    /// Fathers' names without the ending (`-ич` / `-на`).
    pub const RU_PATRONYMICS: &[&str] = &[
        "Александров", "Сергеев", "Владимиров", "Андреев", "Алексеев", "Дмитриев", "Иванов", "Николаев", "Михайлов",
        "Викторов", "Юрьев", "Олегов", "Петров", "Борисов", "Евгеньев",
    ];
    pub const EN_FIRST: &[&str] = &[
        "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Daniel", "Matthew",
        "Anthony", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
        "Karen", "Emily", "Olivia", "Sophie",
    ];
    pub const EN_LAST: &[&str] = &[
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker",
        "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Nelson", "Baker", "Hall", "Campbell",
        "Mitchell", "Carter", "Roberts", "Turner", "Phillips", "Parker", "Evans", "Edwards", "Collins", "Stewart",
        "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper",
    ];
    pub const COMPANIES: &[&str] = &[
        "Ромашка", "Вектор", "Альфа-Строй", "Горизонт", "Техносфера", "СтройИнвест", "Меридиан", "Атлант", "Прогресс",
        "Гранит", "Сфера", "Восток", "Радуга", "Логистик Плюс", "ТрансСервис", "ИнфоСистемы", "Фортуна", "Эталон",
        "Пульс", "Кристалл", "Агроком", "МедТех", "Промресурс", "Северный ветер", "Acme", "Globex", "Initech",
        "Northwind", "Contoso", "Blue Harbor", "Silverline", "Brightpath", "Ironwood", "Greenfield",
    ];
    pub const LEAD_TITLES: &[&str] = &[
        "Заявка с сайта", "Запрос коммерческого предложения", "Входящий звонок", "Обратный звонок",
        "Заявка на демонстрацию", "Запрос прайс-листа", "Интерес к тарифу «Бизнес»", "Website enquiry",
        "Demo request", "Price request", "Partnership proposal", "Trade show contact",
    ];
    pub const POSTS: &[&str] = &[
        "Генеральный директор", "Директор", "Менеджер по закупкам", "Главный бухгалтер", "Руководитель отдела продаж",
        "Инженер", "Офис-менеджер", "CEO", "Head of Procurement", "Sales Manager", "CTO", "Marketing Director",
    ];
    pub const COMMENTS: &[&str] = &[
        "Просил перезвонить после обеда", "Интересует годовая подписка", "Нужна интеграция с 1С",
        "Сравнивает с конкурентами", "Interested in the annual plan", "Call back next week",
    ];
    pub const SOURCES: &[&str] = &[
        "CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW", "WEBFORM", "CALLBACK",
        "STORE", "OTHER",
    ];
    pub const STATUSES: &[(&str, i64)] = &[
        ("NEW", 25), ("IN_PROCESS", 20), ("PROCESSED", 15), ("CONVERTED", 15), ("JUNK", 25),
    ];
    pub const DOMAINS: &[&str] = &[
        "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "outlook.com", "example.ru",
    ];
}

/// A generated person.
struct Person {
    first: &'static str,
    middle: Option<String>,
    last: String,
}

fn person(rng: &mut Rng) -> Person {
    if rng.chance(35) {
        return Person {
            first: rng.pick(EN_FIRST),
            middle: None,
            last: rng.skewed(EN_LAST).to_string(),
        };
    }
    let female = rng.chance(50);
    let first = rng.pick(if female { RU_FEMALE } else { RU_MALE });
    let last = rng.skewed(RU_SURNAMES);
    let father = rng.pick(RU_PATRONYMICS);
    Person {
        first,
        middle: rng
            .chance(60)
            .then(|| format!("{father}{}", if female { "на" } else { "ич" })),
        last: if female { feminine(last) } else { last.to_string() },
    }
}

/// The feminine form of a Russian surname (`Смирнов` -> `Смирнова`, `Полянский` -> `Полянская`).
fn feminine(surname: &str) -> String {
    match surname.strip_suffix("ий") {
        Some(stem) => format!("{stem}ая"),
        None => format!("{surname}а"),
    }
}

/// A mobile number `+7 9xx ...` in one of the ways people type it.
fn phone(rng: &mut Rng) -> String {
    let d: String = (0..9).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
    let (a, b, c, e) = (&d[0..2], &d[2..5], &d[5..7], &d[7..9]);
    match rng.below(6) {
        0 => format!("+7 (9{a}) {b}-{c}-{e}"),
        1 => format!("8 9{a} {b} {c} {e}"),
        2 => format!("+79{d}"),
        3 => format!("89{d}"),
        4 => format!("8 (9{a}) {b}-{c}{e}"),
        _ => format!("9{a}-{b}-{c}-{e}"),
    }
}

/// An e-mail address made from the person's name, transliterated.
fn email(rng: &mut Rng, p: &Person) -> String {
    let (first, last) = (latin(p.first), latin(&p.last));
    let initial = first.chars().next().unwrap_or('x');
    let local = match rng.below(4) {
        0 => format!("{first}.{last}"),
        1 => format!("{initial}{last}"),
        2 => format!("{first}{}", 1960 + rng.below(45)),
        _ => format!("{last}.{first}{}", rng.below(100)),
    };
    format!("{local}@{}", rng.pick(DOMAINS))
}

/// Lowercase Latin transliteration of a (Russian) name.
fn latin(text: &str) -> String {
    const FROM: &str = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя";
    const TO: [&str; 33] = [
        "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
        "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
    ];
    let lower = text.to_lowercase();
    let mapped = lower.chars().map(|c| match FROM.chars().position(|f| f == c) {
        Some(i) => TO[i].to_string(),
        None => c.to_string(),
    });
    mapped.collect()
}

pub(crate) fn company(rng: &mut Rng) -> String {
    let name = rng.pick(COMPANIES);
    if name.is_ascii() {
        format!("{name} {}", rng.pick(&["Ltd", "LLC", "Inc"]))
    } else {
        format!("{} «{name}»", rng.pick(&["ООО", "АО", "ПАО", "ЗАО"]))
    }
}

/// The fields leads and contacts share: the person, channels, source, owner.
fn person_fields(rng: &mut Rng, p: &Person) -> Map<String, Json> {
    let mut body = Map::new();
    body.insert("first_name".into(), json!(p.first));
    body.insert("last_name".into(), json!(p.last));
    if let Some(middle) = &p.middle {
        body.insert("middle_name".into(), json!(middle));
    }
    if rng.chance(60) {
        body.insert("post".into(), json!(rng.pick(POSTS)));
    }
    let mut phones = vec![json!({"value": phone(rng), "type": "mobile"})];
    if rng.chance(30) {
        phones.push(json!({"value": phone(rng), "type": "work"}));
    }
    body.insert("phones".into(), json!(phones));
    if rng.chance(85) {
        let mut emails = vec![json!({"value": email(rng, p), "type": "work"})];
        if rng.chance(10) {
            emails.push(json!({"value": email(rng, p), "type": "home"}));
        }
        body.insert("emails".into(), json!(emails));
    }
    body.insert("source".into(), json!(rng.pick(SOURCES)));
    body.insert("responsible_id".into(), json!(1 + rng.below(USERS + 1)));
    body.insert("opened".into(), json!(rng.chance(1)));
    body
}

/// A lead as `POST /api/leads` would receive it.
fn lead_body(rng: &mut Rng) -> Json {
    let p = person(rng);
    let company = company(rng);
    let mut body = person_fields(rng, &p);
    let title = match rng.below(10) {
        0..5 => format!("{}: {company}", rng.pick(LEAD_TITLES)),
        5..8 => format!("{} — {} {}", rng.pick(LEAD_TITLES), p.first, p.last),
        _ => format!("{} {}", p.first, p.last),
    };
    body.insert("title".into(), json!(title));
    if rng.chance(60) {
        body.insert("company_title".into(), json!(company));
    }
    body.insert("status".into(), json!(rng.weighted(STATUSES)));
    if rng.chance(70) {
        body.insert("amount".into(), json!(format!("{}.00", 1000 * (1 + rng.below(5000)))));
        let currency = if rng.chance(85) {
            "RUB"
        } else {
            rng.pick(&["USD", "EUR"])
        };
        body.insert("currency".into(), json!(currency));
    }
    if rng.chance(25) {
        body.insert("utm_source".into(), json!(rng.pick(&["yandex", "google", "vk"])));
        body.insert("utm_medium".into(), json!("cpc"));
        body.insert(
            "utm_campaign".into(),
            json!(rng.pick(&["spring_sale", "brand", "retargeting"])),
        );
    }
    if rng.chance(20) {
        body.insert("comments".into(), json!(rng.pick(COMMENTS)));
    }
    Json::Object(body)
}

/// A contact as `POST /api/contacts` would receive it.
fn contact_body(rng: &mut Rng) -> Json {
    let p = person(rng);
    let mut body = person_fields(rng, &p);
    if rng.chance(80) {
        body.insert(
            "type".into(),
            json!(rng.pick(&["CLIENT", "SUPPLIER", "PARTNER", "OTHER"])),
        );
    }
    if rng.chance(25) {
        let date = format!(
            "{}-{:02}-{:02}",
            1960 + rng.below(45),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        body.insert("birthdate".into(), json!(date));
    }
    if rng.chance(10) {
        body.insert("comments".into(), json!(rng.pick(COMMENTS)));
    }
    Json::Object(body)
}
