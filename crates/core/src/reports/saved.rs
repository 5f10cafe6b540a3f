//! Saved reports (`/api/reports`): the system reports (the funnels and the standard reports,
//! names in the caller's language, definitions from [`super::standard`]), then the caller's own
//! and everyone's shared ones. A user's report is private unless `shared`; its owner changes
//! and deletes it (`If-Match`), others with the `settings` update permission may too; system
//! reports are read-only (403) but copyable: a copy is a private report of the copier's.
//! Every change is audited (`report.created` / `.updated` / `.deleted`).
//!
//! Running: [`run`] dispatches a saved report by kind (designer definitions through
//! [`super::run`], funnels to [`super::funnel`]); [`run_unsaved`] runs a body's definition.

use serde_json::{Map, Value as Json, json};

use super::compile::Overrides;
use super::funnel::{self, FunnelParams};
use crate::acl::{Action, Caller, Entity, Level};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, transaction};
use crate::error::{CoreError, FieldErrors};

const COLUMNS: &str = "id, code, kind, name, name_ru, description, description_ru, definition, owner_id, shared, \
                       system, version, created_at, updated_at";

/// The most characters of a name.
pub const NAME_MAX: usize = 200;
/// The most characters of a description.
pub const DESCRIPTION_MAX: usize = 2000;

/// The language to name system reports in: the one the request asks for (`Accept-Language`,
/// which the UI sets to its own language), else the caller's own setting.
pub fn language(db: &dyn Db, caller: &Caller, asked: Option<&str>) -> Result<String, CoreError> {
    if let Some(asked @ ("en" | "ru")) = asked {
        return Ok(asked.into());
    }
    let rows = db.query("SELECT language FROM users WHERE id = ?", &[caller.user_id.into()])?;
    Ok(match rows.first_str() {
        Some("ru") => "ru".into(),
        _ => "en".into(),
    })
}

fn record(row: &Row, lang: &str) -> Json {
    let ru = lang == "ru";
    let pick = |en: &str, ru_col: &str| {
        if ru {
            row.str(ru_col).or(row.str(en))
        } else {
            row.str(en)
        }
    };
    let code = row.str("code");
    let definition = match (row.str("definition"), code) {
        (Some(text), _) => serde_json::from_str::<Json>(text).unwrap_or(Json::Null),
        (None, Some(code)) => super::standard::definition(code).unwrap_or(Json::Null),
        (None, None) => Json::Null,
    };
    json!({
        "id": row.i64("id"),
        "code": code,
        "kind": row.str("kind"),
        "name": pick("name", "name_ru"),
        "description": pick("description", "description_ru"),
        "system": row.i64("system") == Some(1),
        "shared": row.i64("shared") == Some(1),
        "owner_id": row.i64("owner_id"),
        "definition": definition,
        "version": row.i64("version"),
        "created_at": row.i64("created_at").map(crate::clock::rfc3339),
        "updated_at": row.i64("updated_at").map(crate::clock::rfc3339),
    })
}

/// `GET /api/reports`: system reports first (in their order), then the caller's own and the
/// shared ones, newest first.
pub fn list(db: &dyn Db, caller: &Caller, lang: &str) -> Result<Json, CoreError> {
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM reports WHERE system = 1 OR owner_id = ? OR shared = 1 \
             ORDER BY system DESC, CASE WHEN system = 1 THEN sort END, id DESC"
        ),
        &[caller.user_id.into()],
    )?;
    let items: Vec<Json> = rows.iter().map(|row| record(&row, lang)).collect();
    Ok(json!({ "items": items }))
}

fn load(db: &dyn Db, caller: &Caller, id: i64, lang: &str) -> Result<Json, CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM reports WHERE id = ? AND (system = 1 OR owner_id = ? OR shared = 1)"),
        &[id.into(), caller.user_id.into()],
    )?;
    rows.first().map(|row| record(&row, lang)).ok_or(CoreError::NotFound)
}

/// `GET /api/reports/<id>`.
pub fn get(db: &dyn Db, caller: &Caller, id: i64, lang: &str) -> Result<Json, CoreError> {
    load(db, caller, id, lang)
}

/// The system report `code`.
pub fn by_code(db: &dyn Db, _caller: &Caller, code: &str, lang: &str) -> Result<Json, CoreError> {
    let rows = db.query(&format!("SELECT {COLUMNS} FROM reports WHERE code = ?"), &[code.into()])?;
    rows.first().map(|row| record(&row, lang)).ok_or(CoreError::NotFound)
}

/// A body's name, description, shared flag and definition, checked; `current` holds what a
/// patch leaves alone.
struct Draft {
    name: String,
    description: Option<String>,
    shared: bool,
    definition: Json,
}

fn read(db: &dyn Db, caller: &Caller, body: &Json, current: Option<&Json>) -> Result<Draft, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map.keys() {
        if !["name", "description", "shared", "definition"].contains(&key.as_str()) {
            errors.push(key.clone(), "unknown_field", "not a writable field");
        }
    }
    let pick = |key: &str| match map.get(key) {
        Some(value) => Some(value.clone()),
        None => current.and_then(|c| c.get(key)).cloned(),
    };
    let name = pick("name")
        .as_ref()
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(
            "name",
            "required",
            format!("a name of 1 to {NAME_MAX} characters is required"),
        );
    }
    let description = match pick("description") {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) if text.chars().count() <= DESCRIPTION_MAX => {
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        }
        Some(_) => {
            errors.push(
                "description",
                "too_long",
                format!("text of at most {DESCRIPTION_MAX} characters"),
            );
            None
        }
    };
    let shared = match pick("shared") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => b,
        Some(_) => {
            errors.push("shared", "invalid_type", "expected true or false");
            false
        }
    };
    let definition = pick("definition").unwrap_or(Json::Null);
    let checked = match (current.and_then(|c| c.get("kind")).and_then(Json::as_str), &definition) {
        // A copied funnel keeps no definition.
        (Some("funnel" | "leads_funnel"), Json::Null) => None,
        _ => Some(super::definition::check(db, caller, &definition, "definition.")),
    };
    if let Some(Err(e)) = checked {
        match e {
            CoreError::Validation(more) => errors.0.extend(more.0),
            other => return Err(other),
        }
    }
    errors.into_result()?;
    Ok(Draft {
        name,
        description,
        shared,
        definition,
    })
}

/// `POST /api/reports`: a new report of the caller's (201).
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, lang: &str, client: &ClientInfo) -> Result<Json, CoreError> {
    let draft = read(db, caller, body, None)?;
    transaction(db, |db| {
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO reports (kind, name, description, definition, owner_id, shared, created_at, updated_at) \
             VALUES ('designer', ?, ?, ?, ?, ?, ?, ?)",
            &[
                draft.name.as_str().into(),
                draft.description.clone().into(),
                draft.definition.to_string().into(),
                caller.user_id.into(),
                i64::from(draft.shared).into(),
                now.into(),
                now.into(),
            ],
        )?;
        let id = db.last_insert_id()?;
        crate::resource::audit(
            db,
            caller,
            "report.created",
            ("report", id),
            json!({"name": draft.name}),
            client,
        )?;
        load(db, caller, id, lang)
    })
}

/// Whether the caller may change `report`: their own, or anyone's shared one with the
/// `settings` update permission; never a system report.
fn check_owner(caller: &Caller, report: &Json) -> Result<(), CoreError> {
    if report["system"] == json!(true) {
        return Err(CoreError::ForbiddenBecause(
            "system reports cannot be changed; copy one instead".into(),
        ));
    }
    let own = report["owner_id"].as_i64() == Some(caller.user_id);
    if own || caller.level(Entity::Settings, Action::Update) != Level::None {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// `PATCH /api/reports/<id>` (merge patch of name, description, shared, definition).
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    lang: &str,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    transaction(db, |db| {
        let current = load(db, caller, id, lang)?;
        check_owner(caller, &current)?;
        if let Some(expected) = if_match
            && current["version"].as_i64() != Some(expected)
        {
            return Err(CoreError::Stale);
        }
        let draft = read(db, caller, body, Some(&current))?;
        db.execute(
            "UPDATE reports SET name = ?, description = ?, shared = ?, definition = ?, version = version + 1, \
             updated_at = ? WHERE id = ?",
            &[
                draft.name.as_str().into(),
                draft.description.clone().into(),
                i64::from(draft.shared).into(),
                (!draft.definition.is_null())
                    .then(|| draft.definition.to_string())
                    .into(),
                crate::clock::now().into(),
                id.into(),
            ],
        )?;
        let changed: Map<String, Json> = body.as_object().cloned().unwrap_or_default();
        crate::resource::audit(
            db,
            caller,
            "report.updated",
            ("report", id),
            json!({"fields": changed.keys().collect::<Vec<_>>()}),
            client,
        )?;
        load(db, caller, id, lang)
    })
}

/// `DELETE /api/reports/<id>`.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    transaction(db, |db| {
        let current = load(db, caller, id, "en")?;
        check_owner(caller, &current)?;
        if let Some(expected) = if_match
            && current["version"].as_i64() != Some(expected)
        {
            return Err(CoreError::Stale);
        }
        db.execute("DELETE FROM reports WHERE id = ?", &[id.into()])?;
        crate::resource::audit(
            db,
            caller,
            "report.deleted",
            ("report", id),
            json!({"name": current["name"]}),
            client,
        )
    })
}

/// `POST /api/reports/<id>/copy`: a private copy named "<name> (copy)" / «<name> (копия)».
pub fn copy(db: &dyn Db, caller: &Caller, id: i64, lang: &str, client: &ClientInfo) -> Result<Json, CoreError> {
    let source = load(db, caller, id, lang)?;
    let suffix = if lang == "ru" { " (копия)" } else { " (copy)" };
    let name: String = format!("{}{suffix}", source["name"].as_str().unwrap_or_default())
        .chars()
        .take(NAME_MAX)
        .collect();
    transaction(db, |db| {
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO reports (kind, name, description, definition, owner_id, shared, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            &[
                source["kind"].as_str().unwrap_or("designer").into(),
                name.as_str().into(),
                source["description"].as_str().map(str::to_owned).into(),
                (!source["definition"].is_null())
                    .then(|| source["definition"].to_string())
                    .into(),
                caller.user_id.into(),
                now.into(),
                now.into(),
            ],
        )?;
        let copy = db.last_insert_id()?;
        crate::resource::audit(
            db,
            caller,
            "report.created",
            ("report", copy),
            json!({"name": name, "copied_from": id}),
            client,
        )?;
        load(db, caller, copy, lang)
    })
}

/// What a run's query string says: the period's dates, a funnel's pipeline, list filters
/// (`filter[...]`), and the format (the component's business). Anything else is a 400.
pub fn run_query(pairs: &[(String, String)]) -> Result<(Overrides, Option<i64>), CoreError> {
    let mut overrides = Overrides::default();
    let mut pipeline = None;
    for (key, value) in pairs {
        match key.as_str() {
            "from" => overrides.from = Some(value.clone()).filter(|v| !v.is_empty()),
            "to" => overrides.to = Some(value.clone()).filter(|v| !v.is_empty()),
            "format" => {}
            "pipeline_id" => {
                pipeline =
                    Some(
                        value.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                            CoreError::BadRequest(format!("pipeline_id must be an id, not {value:?}"))
                        })?,
                    )
            }
            k if k.starts_with("filter[") => overrides.filter.push((key.clone(), value.clone())),
            _ => return Err(CoreError::BadRequest(format!("unknown query parameter {key:?}"))),
        }
    }
    Ok((overrides, pipeline))
}

fn report_head(report: &Json, chart: &str) -> Json {
    json!({"id": report["id"], "code": report["code"], "name": report["name"], "kind": report["kind"], "chart": chart})
}

/// `GET /api/reports/<id>/run`: the saved report's Result with the query's overrides.
pub fn run(db: &dyn Db, caller: &Caller, id: i64, pairs: &[(String, String)], lang: &str) -> Result<Json, CoreError> {
    let report = load(db, caller, id, lang)?;
    run_report(db, caller, &report, pairs, lang)
}

/// Runs a loaded report.
pub fn run_report(
    db: &dyn Db,
    caller: &Caller,
    report: &Json,
    pairs: &[(String, String)],
    lang: &str,
) -> Result<Json, CoreError> {
    let (overrides, pipeline_id) = run_query(pairs)?;
    let params = FunnelParams {
        pipeline_id,
        from: overrides.from.clone(),
        to: overrides.to.clone(),
        language: Some(lang.to_string()),
        head: Some(report_head(report, "funnel")),
    };
    match report["kind"].as_str() {
        Some("funnel") => funnel::deals(db, caller, &params),
        Some("leads_funnel") => funnel::leads(db, caller, &params),
        _ => {
            let def = super::definition::check(db, caller, &report["definition"], "definition.")?;
            let head = report_head(report, &def.chart);
            super::run::run(db, caller, &def, head, &overrides, lang)
        }
    }
}

/// `POST /api/reports/run {"definition": {...}}`: the Result of an unsaved definition.
pub fn run_unsaved(
    db: &dyn Db,
    caller: &Caller,
    body: &Json,
    pairs: &[(String, String)],
    lang: &str,
) -> Result<Json, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    if let Some(key) = map.keys().find(|k| !["definition", "name"].contains(&k.as_str())) {
        let mut errors = FieldErrors::new();
        errors.push(key.clone(), "unknown_field", "expected {\"definition\": {...}}");
        return Err(CoreError::Validation(errors));
    }
    let (overrides, _) = run_query(pairs)?;
    let definition = map.get("definition").cloned().unwrap_or(Json::Null);
    let def = super::definition::check(db, caller, &definition, "definition.")?;
    let name = map.get("name").and_then(Json::as_str).unwrap_or_default();
    let head = json!({"id": null, "code": null, "name": name, "kind": "designer", "chart": def.chart});
    super::run::run(db, caller, &def, head, &overrides, lang)
}

/// `GET /api/reports/funnel` (and `leads-funnel`): the system funnel `code` run.
pub fn run_system(
    db: &dyn Db,
    caller: &Caller,
    code: &str,
    pairs: &[(String, String)],
    lang: &str,
) -> Result<Json, CoreError> {
    let report = by_code(db, caller, code, lang)?;
    run_report(db, caller, &report, pairs, lang)
}
