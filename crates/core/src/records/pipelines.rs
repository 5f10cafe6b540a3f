//! Deal pipelines and their stages (`/api/pipelines`), declared on the resource kit. A
//! pipeline is an ordered list of stages, each with a name (en/ru), a colour, a probability and
//! a semantic: `progress`, `won` or `lost`. Every pipeline keeps exactly one won stage and at
//! least one lost stage; the default pipeline (the plain codes `NEW`, `WON`...) cannot be
//! deleted; pipeline N's codes are prefixed `C<N>:`. A stage that holds deals is deleted only
//! when the request names a stage of the same pipeline to move them to (each moved deal gets a
//! stage-history row).
//!
//! Stages are rows of the pipeline ([`STAGES`]): adding, changing or deleting one is an action
//! on the pipeline (a new version, a `pipeline.stage_*` audit row, the pipeline returned).
//!
//! Reading needs any signed-in user; changing needs the `settings` permission.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{
    Access, Audit, Body, Cx, Default, Detail, Field, Hooks, ID, Key, Patch, Resource, Stamps, Store, Unique, names,
    service_functions,
};

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

/// Pipelines, declared: `{name, sort?}`, created with the default stages (codes prefixed
/// `C<id>:`), always rewritten whole (a patch is audited as sent); the default pipeline or one
/// holding deals is not deleted (409).
pub const PIPELINES: Resource = Resource {
    fields: &[
        ID,
        Field::custom("name", Store::Names("name_en", "name_ru"), names::whole).required(),
        Field::int_not_null("sort").default(Default::Int(100)),
        Field::read_only("is_default", Store::Bool("is_default")).default(Default::Bool(false)),
        Field::read_only("stages", Store::Outside),
    ],
    stamps: Stamps::Times,
    order: "sort, id",
    always_write: true,
    audit: Audit {
        created: &[],
        updated: &[Detail::Body],
        deleted: &[],
    },
    hooks: Hooks {
        after: Some(add_default_stages),
        deleting: Some(refuse_default_or_holding_deals),
        outside: Some(stages_of),
        ..Hooks::NONE
    },
    ..Resource::new("pipelines", "pipeline", Access::open_read(Entity::Settings))
};

/// A pipeline's stages, declared: rows of the pipeline without stamps of their own.
pub const STAGES: Resource = Resource {
    key: &["pipeline_id", "code"],
    fields: &[
        Field::custom("code", Store::Text("code"), read_code).create_only(),
        Field::custom("name", Store::Names("name_en", "name_ru"), names::whole),
        Field::custom("color", Store::Text("color"), read_color).default(Default::Text("#A8ADB4")),
        Field::custom("probability", Store::Int("probability"), read_probability).default(Default::Int(50)),
        Field::custom("semantic", Store::Text("semantic"), read_semantic).default(Default::Text("progress")),
        Field::int_not_null("sort").default(Default::Computed(last_in_pipeline)),
    ],
    stamps: Stamps::None,
    unique: Some(Unique {
        columns: &["code"],
        nocase: false,
        message: "the pipeline already has a stage {code}",
    }),
    ..Resource::new("pipeline_stages", "pipeline", Access::open_read(Entity::Settings))
};

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

/// Every pipeline with its stages, in order.
pub fn list(db: &dyn Db, caller: &Caller) -> Result<Json, CoreError> {
    Ok(json!({ "items": PIPELINES.all(db, caller, &[])?, "next_cursor": null }))
}

service_functions!(PIPELINES: get, create, update, delete);

/// The stages of these pipelines, in order.
fn stages_of(db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError> {
    let mut out: BTreeMap<i64, Map<String, Json>> = ids
        .iter()
        .map(|id| (*id, Map::from_iter([("stages".to_string(), Json::Array(Vec::new()))])))
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = db.query(
        &format!(
            "SELECT * FROM pipeline_stages WHERE pipeline_id IN ({}) ORDER BY pipeline_id, sort, id",
            crate::resource::placeholders(ids.len())
        ),
        &ids.iter().map(|id| Value::from(*id)).collect::<Vec<_>>(),
    )?;
    let owners: Vec<i64> = rows.iter().map(|r| r.i64("pipeline_id").unwrap_or_default()).collect();
    for (owner, stage) in owners.into_iter().zip(STAGES.render(db, &rows)?) {
        if let Some(Json::Array(stages)) = out.get_mut(&owner).and_then(|m| m.get_mut("stages")) {
            stages.push(stage);
        }
    }
    Ok(out)
}

/// A new pipeline gets the default stages; its audit row names it.
fn add_default_stages(cx: &mut Cx) -> Result<(), CoreError> {
    if !cx.creating() {
        return Ok(());
    }
    let id = cx.id();
    for (i, (code, en, ru, color, probability, semantic)) in DEFAULT_STAGES.iter().enumerate() {
        cx.db.execute(
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
    let name = cx.draft.get("name").map(|n| n["en"].clone()).unwrap_or(Json::Null);
    cx.details.insert("name".into(), name);
    Ok(())
}

/// 409 for the default pipeline or one holding deals; its stages go with it.
fn refuse_default_or_holding_deals(db: &dyn Db, key: &Key, current: &Json) -> Result<(), CoreError> {
    if current["is_default"] == true {
        return Err(CoreError::Conflict("the default pipeline cannot be deleted".into()));
    }
    let id = key.as_id().unwrap_or_default();
    let deals = deal_count(db, "pipeline_id", id.into())?;
    if deals > 0 {
        return Err(CoreError::Conflict(format!(
            "the pipeline holds {deals} deals; move them first"
        )));
    }
    db.execute("DELETE FROM pipeline_stages WHERE pipeline_id = ?", &[id.into()])?;
    Ok(())
}

fn deal_count(db: &dyn Db, column: &str, value: crate::db::Value) -> Result<i64, CoreError> {
    Ok(db
        .query(&format!("SELECT COUNT(*) FROM deals WHERE {column} = ?"), &[value])?
        .first_i64()
        .unwrap_or_default())
}

/// `1 to 40 capital letters, digits or _` (a non-string is an empty, invalid code).
fn read_code(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    let Some(value) = b.get(key) else { return Patch::Absent };
    let code = value.as_str().unwrap_or_default();
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        b.errors
            .push(key, "invalid_code", "1 to 40 capital letters, digits or _");
        return Patch::Invalid;
    }
    Patch::Set(Json::from(code))
}

/// `#RRGGBB`.
fn read_color(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    let Some(value) = b.get(key) else { return Patch::Absent };
    let color = value.as_str().unwrap_or_default();
    if !(color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
        b.errors.push(key, "invalid_color", "expected #RRGGBB");
        return Patch::Invalid;
    }
    Patch::Set(Json::from(color))
}

/// An integer from 0 to 100.
fn read_probability(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    let Some(value) = b.get(key) else { return Patch::Absent };
    match value.as_i64().filter(|p| (0..=100).contains(p)) {
        Some(probability) => Patch::Set(Json::from(probability)),
        None => {
            b.errors.push(key, "out_of_range", "an integer from 0 to 100");
            Patch::Invalid
        }
    }
}

/// `progress`, `won` or `lost`.
fn read_semantic(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    let Some(value) = b.get(key) else { return Patch::Absent };
    let semantic = value.as_str().unwrap_or_default();
    if !["progress", "won", "lost"].contains(&semantic) {
        b.errors.push(key, "invalid_choice", "must be progress, won or lost");
        return Patch::Invalid;
    }
    Patch::Set(Json::from(semantic))
}

/// After the pipeline's last stage.
fn last_in_pipeline(db: &dyn Db, scope: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    let pipeline = scope.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let sort = db
        .query(
            "SELECT COALESCE(MAX(sort), 0) + 10 FROM pipeline_stages WHERE pipeline_id = ?",
            &pipeline,
        )?
        .first_i64()
        .unwrap_or(10);
    Ok(Json::from(sort))
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

/// A change of pipeline `id`'s stages (settings update): `work` with the pipeline, then the
/// semantics checked, the pipeline's new version and its `pipeline.<verb>` audit row with the
/// details `work` returns. Returns the pipeline.
fn on_stages(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
    verb: &'static str,
    work: impl FnOnce(&dyn Db, &Json) -> Result<Json, CoreError>,
) -> Result<Json, CoreError> {
    let key = Key::id(id);
    PIPELINES.act(
        db,
        caller,
        Action::Update,
        &key,
        if_match,
        client,
        verb,
        |db, pipeline, _| {
            let details = work(db, pipeline)?;
            check_semantics(db, id)?;
            Ok(Some(details))
        },
    )
}

/// Adds a stage: `{"code", "name", "color"?, "probability"?, "semantic"?, "sort"?}`; the code
/// gets the pipeline's prefix.
pub fn add_stage(db: &dyn Db, caller: &Caller, id: i64, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let mut input = STAGES.parse(body, true, None)?;
    let Patch::Set(code) = input.patch("code").clone() else {
        let mut errors = FieldErrors::new();
        errors.push("code", "required", "is required");
        return Err(CoreError::Validation(errors));
    };
    let code = code.as_str().unwrap_or_default().to_string();
    on_stages(db, caller, id, None, client, "stage_added", |db, pipeline| {
        let full = if pipeline["is_default"] == true {
            code
        } else {
            format!("C{id}:{code}")
        };
        input.set("code", Patch::Set(Json::from(full.as_str())));
        STAGES.add_row(db, caller, &[("pipeline_id", id.into())], input)?;
        Ok(json!({"code": full}))
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
    let input = STAGES.parse(body, false, None)?;
    on_stages(db, caller, id, None, client, "stage_updated", |db, _| {
        let key = Key(vec![("pipeline_id", id.into()), ("code", code.into())]);
        STAGES.change_row(db, caller, &key, input)?;
        Ok(json!({"code": code}))
    })
}

/// Puts the pipeline's stages in the order `{"order": [code, ...]}` names (every stage of the
/// pipeline exactly once, 422 `order` otherwise), in one transaction: sorts 10, 20, 30...
pub fn reorder_stages(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let order: Vec<&str> = body["order"]
        .as_array()
        .map(|codes| codes.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    on_stages(db, caller, id, if_match, client, "stages_reordered", |db, _| {
        let rows = db.query("SELECT code FROM pipeline_stages WHERE pipeline_id = ?", &[id.into()])?;
        let mut current: Vec<&str> = rows.iter().filter_map(|r| r.str("code")).collect();
        let mut asked = order.clone();
        current.sort_unstable();
        asked.sort_unstable();
        if current != asked || body["order"].as_array().map(Vec::len) != Some(order.len()) {
            let mut errors = FieldErrors::new();
            errors.push(
                "order",
                "invalid_order",
                "must list every stage code of the pipeline exactly once",
            );
            return Err(CoreError::Validation(errors));
        }
        for (index, code) in order.iter().enumerate() {
            db.execute(
                "UPDATE pipeline_stages SET sort = ? WHERE pipeline_id = ? AND code = ?",
                &[((index as i64 + 1) * 10).into(), id.into(), (*code).into()],
            )?;
        }
        Ok(json!({ "order": order }))
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
    on_stages(db, caller, id, None, client, "stage_deleted", |db, _| {
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
        Ok(json!({"code": code, "moved_deals": deals, "move_to": move_to}))
    })
}
