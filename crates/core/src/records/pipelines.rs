//! Deal pipelines and their stages (`/api/pipelines`). A pipeline is an ordered list of
//! stages, each with a name (en/ru), a colour, a probability and a semantic: `progress`, `won`
//! or `lost`. Every pipeline keeps exactly one won stage and at least one lost stage; the
//! default pipeline (the plain codes `NEW`, `WON`...) cannot be deleted; pipeline N's codes
//! are prefixed `C<N>:`. A stage that holds deals is deleted only when the request names a
//! stage of the same pipeline to move them to (each moved deal gets a stage-history row).
//!
//! Reading needs any signed-in user; changing needs the `settings` permission.

use serde_json::{Map, Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{audit, check_version};

/// The default stages of a new pipeline: (code, en, ru, colour, probability, semantic).
const DEFAULT_STAGES: &[(&str, &str, &str, &str, i64, &str)] = &[
    ("NEW", "New", "Новая", "#39A8EF", 10, "progress"),
    (
        "PREPARATION",
        "Preparing documents",
        "Подготовка документов",
        "#2FC6F6",
        20,
        "progress",
    ),
    (
        "PREPAYMENT_INVOICE",
        "Invoice for prepayment",
        "Счёт на предоплату",
        "#55D0E0",
        40,
        "progress",
    ),
    ("EXECUTING", "In progress", "В работе", "#47E4C2", 60, "progress"),
    (
        "FINAL_INVOICE",
        "Final invoice",
        "Финальный счёт",
        "#FFA900",
        80,
        "progress",
    ),
    ("WON", "Won", "Сделка успешна", "#7BD500", 100, "won"),
    ("LOSE", "Lost", "Сделка провалена", "#FF5752", 0, "lost"),
];

/// One stage as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The full code (`NEW`, `C2:NEW`).
    pub code: String,
    /// Its pipeline.
    pub pipeline_id: i64,
    /// `progress`, `won` or `lost`.
    pub semantic: String,
    /// Default probability of deals in it.
    pub probability: i64,
}

/// The stage with `code`, if any.
pub fn stage(db: &dyn Db, code: &str) -> Result<Option<Stage>, CoreError> {
    let rows = db.query(
        "SELECT code, pipeline_id, semantic, probability FROM pipeline_stages WHERE code = ?",
        &[code.into()],
    )?;
    Ok(rows.first().map(|r| Stage {
        code: r.str("code").unwrap_or_default().to_string(),
        pipeline_id: r.i64("pipeline_id").unwrap_or_default(),
        semantic: r.str("semantic").unwrap_or_default().to_string(),
        probability: r.i64("probability").unwrap_or_default(),
    }))
}

/// The default pipeline's id.
pub fn default_pipeline(db: &dyn Db) -> Result<i64, CoreError> {
    db.query("SELECT id FROM pipelines WHERE is_default = 1", &[])?
        .first_i64()
        .ok_or_else(|| CoreError::Internal("no default pipeline".into()))
}

/// The stage codes of a pipeline, in order (empty if there is no such pipeline).
pub fn stage_codes(db: &dyn Db, pipeline_id: i64) -> Result<Vec<String>, CoreError> {
    Ok(db
        .query(
            "SELECT code FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id",
            &[pipeline_id.into()],
        )?
        .iter()
        .filter_map(|r| r.str("code").map(str::to_owned))
        .collect())
}

fn stage_json(row: &Row) -> Json {
    json!({
        "code": row.str("code"),
        "name": {"en": row.str("name_en"), "ru": row.str("name_ru")},
        "color": row.str("color"),
        "probability": row.i64("probability"),
        "semantic": row.str("semantic"),
        "sort": row.i64("sort"),
    })
}

fn pipeline_json(db: &dyn Db, row: &Row) -> Result<Json, CoreError> {
    let id = row.i64("id").unwrap_or_default();
    let stages = db.query(
        "SELECT * FROM pipeline_stages WHERE pipeline_id = ? ORDER BY sort, id",
        &[id.into()],
    )?;
    Ok(json!({
        "id": id,
        "name": {"en": row.str("name_en"), "ru": row.str("name_ru")},
        "sort": row.i64("sort"),
        "is_default": row.i64("is_default") == Some(1),
        "stages": stages.iter().map(|s| stage_json(&s)).collect::<Vec<_>>(),
        "version": row.i64("version"),
        "created_at": row.i64("created_at").map(crate::clock::rfc3339),
        "updated_at": row.i64("updated_at").map(crate::clock::rfc3339),
    }))
}

/// Every pipeline with its stages, in order.
pub fn list(db: &dyn Db, _caller: &Caller) -> Result<Json, CoreError> {
    let rows = db.query("SELECT * FROM pipelines ORDER BY sort, id", &[])?;
    let items = rows
        .iter()
        .map(|r| pipeline_json(db, &r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "items": items, "next_cursor": null }))
}

/// One pipeline with its stages.
pub fn get(db: &dyn Db, _caller: &Caller, id: i64) -> Result<Json, CoreError> {
    let rows = db.query("SELECT * FROM pipelines WHERE id = ?", &[id.into()])?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    pipeline_json(db, &row)
}

/// A `{"en", "ru"}` name; `ru` defaults to `en`.
fn read_name(value: Option<&Json>, path: &str, errors: &mut FieldErrors) -> Option<(String, String)> {
    let en = value
        .and_then(|n| n.get("en"))
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or_default();
    let ru = value
        .and_then(|n| n.get("ru"))
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or(en);
    if en.is_empty() || en.chars().count() > 100 || ru.chars().count() > 100 {
        errors.push(
            format!("{path}.en"),
            "required",
            "a name of 1 to 100 characters is required",
        );
        return None;
    }
    Some((en.to_string(), ru.to_string()))
}

fn object(body: &Json) -> Result<&Map<String, Json>, CoreError> {
    body.as_object()
        .ok_or_else(|| CoreError::BadRequest("the request body must be a JSON object".into()))
}

fn unknown_keys(map: &Map<String, Json>, allowed: &[&str], errors: &mut FieldErrors) {
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(key.clone(), "unknown_field", "not a writable field");
    }
}

/// Creates a pipeline with the default stages (codes prefixed `C<id>:`).
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let map = object(body)?;
    let mut errors = FieldErrors::new();
    unknown_keys(map, &["name", "sort"], &mut errors);
    let name = read_name(map.get("name"), "name", &mut errors);
    let sort = map.get("sort").map(|s| s.as_i64().ok_or(())).transpose();
    if sort.is_err() {
        errors.push("sort", "invalid_type", "expected an integer");
    }
    errors.into_result()?;
    let (Some((en, ru)), Ok(sort)) = (name, sort) else {
        return Err(CoreError::Internal("pipeline input lacks a checked field".into()));
    };
    transaction(db, |db| {
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO pipelines (name_en, name_ru, sort, is_default, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
            &[en.as_str().into(), ru.as_str().into(), sort.unwrap_or(100).into(), now.into(), now.into()],
        )?;
        let id = db.last_insert_id()?;
        for (i, (code, en, ru, color, probability, semantic)) in DEFAULT_STAGES.iter().enumerate() {
            db.execute(
                "INSERT INTO pipeline_stages (pipeline_id, code, name_en, name_ru, color, probability, semantic, sort) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    id.into(),
                    format!("C{id}:{code}").into(),
                    (*en).into(),
                    (*ru).into(),
                    (*color).into(),
                    (*probability).into(),
                    (*semantic).into(),
                    ((i as i64 + 1) * 10).into(),
                ],
            )?;
        }
        audit(
            db,
            caller,
            "pipeline.created",
            ("pipeline", id),
            json!({"name": en}),
            client,
        )?;
        get(db, caller, id)
    })
}

/// Renames or reorders a pipeline.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let map = object(body)?;
    let mut errors = FieldErrors::new();
    unknown_keys(map, &["name", "sort"], &mut errors);
    let name = map.get("name").map(|n| read_name(Some(n), "name", &mut errors));
    let sort = map.get("sort").map(Json::as_i64);
    if sort == Some(None) {
        errors.push("sort", "invalid_type", "expected an integer");
    }
    errors.into_result()?;
    transaction(db, |db| {
        let current = get(db, caller, id)?;
        check_version(current["version"].as_i64().unwrap_or_default(), if_match)?;
        if let Some(Some((en, ru))) = &name {
            db.execute(
                "UPDATE pipelines SET name_en = ?, name_ru = ? WHERE id = ?",
                &[en.as_str().into(), ru.as_str().into(), id.into()],
            )?;
        }
        if let Some(Some(sort)) = sort {
            db.execute("UPDATE pipelines SET sort = ? WHERE id = ?", &[sort.into(), id.into()])?;
        }
        touch(db, id)?;
        audit(db, caller, "pipeline.updated", ("pipeline", id), body.clone(), client)?;
        get(db, caller, id)
    })
}

fn touch(db: &dyn Db, id: i64) -> Result<(), CoreError> {
    db.execute(
        "UPDATE pipelines SET version = version + 1, updated_at = ? WHERE id = ?",
        &[crate::clock::now().into(), id.into()],
    )?;
    Ok(())
}

fn deal_count(db: &dyn Db, column: &str, value: crate::db::Value) -> Result<i64, CoreError> {
    Ok(db
        .query(&format!("SELECT COUNT(*) FROM deals WHERE {column} = ?"), &[value])?
        .first_i64()
        .unwrap_or_default())
}

/// Deletes a pipeline that is not the default one and holds no deals (409 otherwise).
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Settings, Action::Delete)?;
    transaction(db, |db| {
        let current = get(db, caller, id)?;
        check_version(current["version"].as_i64().unwrap_or_default(), if_match)?;
        if current["is_default"] == true {
            return Err(CoreError::Conflict("the default pipeline cannot be deleted".into()));
        }
        let deals = deal_count(db, "pipeline_id", id.into())?;
        if deals > 0 {
            return Err(CoreError::Conflict(format!(
                "the pipeline holds {deals} deals; move them first"
            )));
        }
        db.execute("DELETE FROM pipeline_stages WHERE pipeline_id = ?", &[id.into()])?;
        db.execute("DELETE FROM pipelines WHERE id = ?", &[id.into()])?;
        audit(db, caller, "pipeline.deleted", ("pipeline", id), json!({}), client)
    })
}

/// The fields of a stage body, checked.
struct StageInput {
    name: Option<(String, String)>,
    color: Option<String>,
    probability: Option<i64>,
    semantic: Option<String>,
    sort: Option<i64>,
}

fn read_stage(map: &Map<String, Json>, creating: bool) -> Result<(Option<String>, StageInput), CoreError> {
    let mut errors = FieldErrors::new();
    let allowed: &[&str] = if creating {
        &["code", "name", "color", "probability", "semantic", "sort"]
    } else {
        &["name", "color", "probability", "semantic", "sort"]
    };
    unknown_keys(map, allowed, &mut errors);
    let code = map.get("code").map(|c| c.as_str().unwrap_or_default().to_string());
    if let Some(code) = &code
        && (code.is_empty()
            || code.len() > 40
            || !code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    {
        errors.push("code", "invalid_code", "1 to 40 capital letters, digits or _");
    }
    let name = match map.get("name") {
        Some(n) => read_name(Some(n), "name", &mut errors),
        None if creating => read_name(None, "name", &mut errors),
        None => None,
    };
    let color = map.get("color").map(|c| c.as_str().unwrap_or_default().to_string());
    if let Some(color) = &color
        && !(color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        errors.push("color", "invalid_color", "expected #RRGGBB");
    }
    let probability = map
        .get("probability")
        .map(|p| p.as_i64().filter(|p| (0..=100).contains(p)));
    if probability == Some(None) {
        errors.push("probability", "out_of_range", "an integer from 0 to 100");
    }
    let semantic = map.get("semantic").map(|s| s.as_str().unwrap_or_default().to_string());
    if let Some(semantic) = &semantic
        && !["progress", "won", "lost"].contains(&semantic.as_str())
    {
        errors.push("semantic", "invalid_choice", "must be progress, won or lost");
    }
    let sort = map.get("sort").map(Json::as_i64);
    if sort == Some(None) {
        errors.push("sort", "invalid_type", "expected an integer");
    }
    errors.into_result()?;
    Ok((
        code,
        StageInput {
            name,
            color,
            probability: probability.flatten(),
            semantic,
            sort: sort.flatten(),
        },
    ))
}

/// 422 unless pipeline `id` has exactly one won stage and at least one lost stage.
fn check_semantics(db: &dyn Db, id: i64) -> Result<(), CoreError> {
    let count = |semantic: &str| -> Result<i64, CoreError> {
        Ok(db
            .query(
                "SELECT COUNT(*) FROM pipeline_stages WHERE pipeline_id = ? AND semantic = ?",
                &[id.into(), semantic.into()],
            )?
            .first_i64()
            .unwrap_or_default())
    };
    let mut errors = FieldErrors::new();
    if count("won")? != 1 {
        errors.push("semantic", "one_won_stage", "a pipeline has exactly one won stage");
    }
    if count("lost")? < 1 {
        errors.push(
            "semantic",
            "lost_stage_needed",
            "a pipeline needs at least one lost stage",
        );
    }
    errors.into_result()
}

fn is_default(db: &dyn Db, id: i64) -> Result<bool, CoreError> {
    Ok(db
        .query("SELECT is_default FROM pipelines WHERE id = ?", &[id.into()])?
        .first_i64()
        == Some(1))
}

/// Adds a stage: `{"code", "name", "color"?, "probability"?, "semantic"?, "sort"?}`; the code
/// gets the pipeline's prefix.
pub fn add_stage(db: &dyn Db, caller: &Caller, id: i64, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let (code, input) = read_stage(object(body)?, true)?;
    let Some(code) = code else {
        let mut errors = FieldErrors::new();
        errors.push("code", "required", "is required");
        return Err(CoreError::Validation(errors));
    };
    transaction(db, |db| {
        get(db, caller, id)?;
        let full = if is_default(db, id)? {
            code.clone()
        } else {
            format!("C{id}:{code}")
        };
        if stage(db, &full)?.is_some() {
            return Err(CoreError::Conflict(format!("the pipeline already has a stage {full}")));
        }
        let (en, ru) = input.name.clone().unwrap_or_default();
        let sort = match input.sort {
            Some(sort) => sort,
            None => db
                .query(
                    "SELECT COALESCE(MAX(sort), 0) + 10 FROM pipeline_stages WHERE pipeline_id = ?",
                    &[id.into()],
                )?
                .first_i64()
                .unwrap_or(10),
        };
        db.execute(
            "INSERT INTO pipeline_stages (pipeline_id, code, name_en, name_ru, color, probability, semantic, sort) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                id.into(),
                full.as_str().into(),
                en.into(),
                ru.into(),
                input.color.clone().unwrap_or_else(|| "#A8ADB4".into()).into(),
                input.probability.unwrap_or(50).into(),
                input.semantic.clone().unwrap_or_else(|| "progress".into()).into(),
                sort.into(),
            ],
        )?;
        check_semantics(db, id)?;
        touch(db, id)?;
        audit(
            db,
            caller,
            "pipeline.stage_added",
            ("pipeline", id),
            json!({"code": full}),
            client,
        )?;
        get(db, caller, id)
    })
}

fn stage_of(db: &dyn Db, pipeline_id: i64, code: &str) -> Result<Stage, CoreError> {
    stage(db, code)?
        .filter(|s| s.pipeline_id == pipeline_id)
        .ok_or(CoreError::NotFound)
}

/// Changes a stage's name, colour, probability, semantic or order.
pub fn update_stage(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    code: &str,
    body: &Json,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let (_, input) = read_stage(object(body)?, false)?;
    transaction(db, |db| {
        stage_of(db, id, code)?;
        let mut sets: Vec<(&str, crate::db::Value)> = Vec::new();
        if let Some((en, ru)) = &input.name {
            sets.push(("name_en", en.as_str().into()));
            sets.push(("name_ru", ru.as_str().into()));
        }
        if let Some(color) = &input.color {
            sets.push(("color", color.as_str().into()));
        }
        if let Some(probability) = input.probability {
            sets.push(("probability", probability.into()));
        }
        if let Some(semantic) = &input.semantic {
            sets.push(("semantic", semantic.as_str().into()));
        }
        if let Some(sort) = input.sort {
            sets.push(("sort", sort.into()));
        }
        for (column, value) in sets {
            db.execute(
                &format!("UPDATE pipeline_stages SET {column} = ? WHERE code = ?"),
                &[value, code.into()],
            )?;
        }
        check_semantics(db, id)?;
        touch(db, id)?;
        audit(
            db,
            caller,
            "pipeline.stage_updated",
            ("pipeline", id),
            json!({"code": code}),
            client,
        )?;
        get(db, caller, id)
    })
}

/// Deletes a stage. If deals are in it, `move_to` must name another stage of the same
/// pipeline (409 otherwise); they move there, each with a stage-history row.
pub fn delete_stage(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    code: &str,
    move_to: Option<&str>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    transaction(db, |db| {
        stage_of(db, id, code)?;
        let deals = deal_count(db, "stage", code.into())?;
        if deals > 0 {
            let Some(target) = move_to else {
                return Err(CoreError::Conflict(format!(
                    "{deals} deals are in stage {code}; name a stage to move them to (move_to)"
                )));
            };
            let target = stage(db, target)?.filter(|s| s.pipeline_id == id && s.code != code);
            let Some(target) = target else {
                let mut errors = FieldErrors::new();
                errors.push(
                    "move_to",
                    "invalid_choice",
                    "must be another stage of the same pipeline",
                );
                return Err(CoreError::Validation(errors));
            };
            let now = crate::clock::now();
            db.execute(
                "INSERT INTO deal_stage_history (deal_id, pipeline_id, from_stage, to_stage, actor_id, at) \
                 SELECT id, pipeline_id, stage, ?, ?, ? FROM deals WHERE stage = ?",
                &[
                    target.code.as_str().into(),
                    caller.user_id.into(),
                    now.into(),
                    code.into(),
                ],
            )?;
            db.execute(
                "UPDATE deals SET stage = ?, closed = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE stage = ?",
                &[
                    target.code.as_str().into(),
                    (target.semantic != "progress").into(),
                    now.into(),
                    caller.user_id.into(),
                    code.into(),
                ],
            )?;
        }
        db.execute("DELETE FROM pipeline_stages WHERE code = ?", &[code.into()])?;
        check_semantics(db, id)?;
        touch(db, id)?;
        audit(
            db,
            caller,
            "pipeline.stage_deleted",
            ("pipeline", id),
            json!({"code": code, "moved_deals": deals, "move_to": move_to}),
            client,
        )?;
        get(db, caller, id)
    })
}
