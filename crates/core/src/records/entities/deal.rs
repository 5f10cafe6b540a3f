//! A deal: what is being sold, moving through the stages of one pipeline. Its pipeline is set
//! on create (moving it to another pipeline is the explicit `move` action); its stage must be
//! a stage of that pipeline; `closed`, `closed_at` and a default probability follow the stage's
//! semantic; every stage change is a row of `deal_stage_history`.

use serde_json::json;

use super::{comments, dictionary, ownership};
use crate::acl::Entity;
use crate::db::Value;
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::entity::LinkDef;
use crate::records::entity::{BoardColumns, BoardTotals, DerivedFilter, Traits};
use crate::records::fields::{FieldDef, FieldKind, Storage};
use crate::records::hooks::{Hook, HookContext, HookPoint};
use crate::records::list::TotalsSource;
use crate::records::pipelines;
use crate::records::values::Numeric;

/// A deal's contacts (the first is the primary one).
pub static DEAL_CONTACTS: LinkDef = LinkDef {
    table: "deal_contacts",
    this: "deal_id",
    other: "contact_id",
    other_entity: "contact",
    primary: Some("is_primary"),
    kept: Some("primary_contact_id"),
};

/// A lost deal's stage it was lost at, as the funnel counts it (`reports::funnel::deals`):
/// the progress stage of its pipeline it entered last (`funnel_entered` lists the stages in
/// order of last entry, read here as a JSON array: SQLite lets a correlated table function,
/// not an `ORDER BY`, read the outer row), or the pipeline's first when it entered none; NULL
/// unless lost. The
/// funnel's "lost at" rows drill down with `filter[lost_at_stage]=<code>`.
pub const LOST_AT_STAGE: DerivedFilter = DerivedFilter {
    name: "lost_at_stage",
    sql: "CASE WHEN t.stage IN (SELECT code FROM pipeline_stages WHERE semantic = 'lost') THEN COALESCE(\
          (SELECT j.value FROM json_each('[\"' || replace(t.funnel_entered, ',', '\",\"') || '\"]') j \
           JOIN pipeline_stages s ON s.code = j.value AND s.pipeline_id = t.pipeline_id AND s.semantic = 'progress' \
           ORDER BY j.key DESC LIMIT 1), \
          (SELECT code FROM pipeline_stages WHERE pipeline_id = t.pipeline_id AND semantic = 'progress' \
           ORDER BY sort, id LIMIT 1)) END",
};

/// What a deals list filters by beyond its fields.
static DERIVED_FILTERS: &[DerivedFilter] = &[LOST_AT_STAGE];

/// The deal definition.
pub fn def() -> EntityDef {
    let mut fields = vec![
        FieldDef::column("title", "Deal name", "Название сделки", FieldKind::String)
            .required()
            .listed(),
        FieldDef::column("pipeline_id", "Pipeline", "Воронка", FieldKind::Integer).create_only(),
        FieldDef::column("stage", "Stage", "Стадия", FieldKind::String).listed(),
        FieldDef::column("amount", "Amount", "Сумма", FieldKind::Decimal(Numeric::MONEY)).listed(),
        FieldDef::column("currency", "Currency", "Валюта", FieldKind::Currency),
        FieldDef::column("probability", "Probability, %", "Вероятность, %", FieldKind::Integer),
        FieldDef::column("type", "Deal type", "Тип сделки", dictionary("deal_type")),
        FieldDef::column("source", "Source", "Источник", dictionary("source")),
        FieldDef::column(
            "source_description",
            "Source details",
            "Дополнительно об источнике",
            FieldKind::Text,
        ),
        FieldDef::column("begin_date", "Start date", "Дата начала", FieldKind::Date),
        FieldDef::column(
            "close_date",
            "Expected close date",
            "Предполагаемая дата закрытия",
            FieldKind::Date,
        ),
        FieldDef::column("closed", "Closed", "Закрыта", FieldKind::Boolean).read_only(),
        FieldDef::column("closed_at", "Closed at", "Дата закрытия", FieldKind::Datetime).read_only(),
        FieldDef::column("company_id", "Company", "Компания", FieldKind::Record("company")).listed(),
    ];
    let mut contacts = FieldDef::column("contact_ids", "Contacts", "Контакты", FieldKind::Record("contact")).multiple();
    contacts.storage = Storage::Link(&DEAL_CONTACTS);
    contacts.max = 50;
    fields.push(contacts);
    fields.push(comments());
    fields.extend(ownership());
    fields.push(FieldDef::column(
        "origin_lead_id",
        "Created from lead",
        "Создана из лида",
        FieldKind::Record("lead"),
    ));
    EntityDef {
        name: "deal",
        acl: Entity::Deal,
        table: "deals",
        resource: "/api/deals",
        fields,
        stage_field: Some(("stage", "t.stage")),
        owned: true,
        search_fields: &["title"],
        title_fields: &["title"],
        default_sort: "-id",
        hooks: HOOKS,
        parse: Default::default(),
        traits: Traits {
            board_columns: Some(BoardColumns::PipelineStages),
            board_totals: BOARD_TOTALS,
            report_orders: &["responsible_id", "company_id", "primary_contact_id"],
            derived_filters: DERIVED_FILTERS,
            ..Traits::NONE
        },
    }
}

/// The running totals of deals: counts and amounts split in two parts, per pipeline, stage,
/// responsible, `opened` and currency (sql/0012), so a board filtered only by those reads a few
/// rows per stage instead of every deal of the pipeline; and for a caller who reads every deal,
/// per pipeline, stage, source or type, and currency (sql/0022).
const BOARD_TOTALS: &[BoardTotals] = &[
    BoardTotals {
        source: TotalsSource {
            table: "deal_board_totals",
            count: "SUM(t.n)",
            split: Some(("amount_hi", "amount_lo")),
        },
        filters: &["pipeline_id", "responsible_id", "opened", "currency"],
        whole_only: false,
    },
    BoardTotals {
        source: TotalsSource {
            table: "deal_board_source_totals",
            count: "SUM(t.n)",
            split: Some(("amount_hi", "amount_lo")),
        },
        filters: &["pipeline_id", "source", "currency"],
        whole_only: true,
    },
    BoardTotals {
        source: TotalsSource {
            table: "deal_board_type_totals",
            count: "SUM(t.n)",
            split: Some(("amount_hi", "amount_lo")),
        },
        filters: &["pipeline_id", "type", "currency"],
        whole_only: true,
    },
];

static HOOKS: &[Hook] = &[
    Hook {
        point: HookPoint::BeforeCreate,
        run: place_in_pipeline,
    },
    Hook {
        point: HookPoint::BeforeUpdate,
        run: place_in_pipeline,
    },
    Hook {
        point: HookPoint::AfterCreate,
        run: record_stage_move,
    },
    Hook {
        point: HookPoint::AfterUpdate,
        run: record_stage_move,
    },
];

fn invalid(field: &str, code: &str, message: String) -> CoreError {
    let mut errors = FieldErrors::new();
    errors.push(field, code, message);
    CoreError::Validation(errors)
}

/// Defaults the pipeline and stage, checks the stage belongs to the pipeline, and derives
/// `closed`, `closed_at` and (when the stage changes and the request did not set it) the
/// probability.
fn place_in_pipeline(cx: &mut HookContext) -> Result<(), CoreError> {
    let pipeline = match cx.values.get("pipeline_id").and_then(Value::as_i64) {
        Some(id) => id,
        None => pipelines::default_pipeline(cx.db)?,
    };
    let codes = pipelines::stage_codes(cx.db, pipeline)?;
    if codes.is_empty() {
        return Err(invalid(
            "pipeline_id",
            "not_found",
            format!("no pipeline with id {pipeline}"),
        ));
    }
    cx.values.insert("pipeline_id".into(), pipeline.into());
    let stage = match cx.values.get("stage").and_then(Value::as_str) {
        Some(code) => code.to_string(),
        None => codes[0].clone(),
    };
    if !codes.contains(&stage) {
        return Err(invalid(
            "stage",
            "invalid_choice",
            format!(
                "{stage:?} is not a stage of pipeline {pipeline} (moving to another pipeline is POST /api/deals/<id>/move)"
            ),
        ));
    }
    let stage = pipelines::stage(cx.db, &stage)?.ok_or(CoreError::NotFound)?;
    let before_stage = cx.before.and_then(|b| b.get("stage")).and_then(Value::as_str);
    let moved = before_stage != Some(stage.code.as_str());
    cx.values.insert("stage".into(), stage.code.as_str().into());
    if let Some(probability) = cx.values.get("probability").and_then(Value::as_i64)
        && !(0..=100).contains(&probability)
    {
        return Err(invalid(
            "probability",
            "out_of_range",
            "an integer from 0 to 100".into(),
        ));
    }
    let probability_given = match cx.before {
        None => cx.values.get("probability").is_some_and(|p| !p.is_null()),
        Some(before) => before.get("probability") != cx.values.get("probability"),
    };
    if moved && !probability_given {
        cx.values.insert("probability".into(), stage.probability.into());
    }
    let closed = stage.semantic != "progress";
    let was_closed = cx.before.and_then(|b| b.get("closed")).and_then(Value::as_i64) == Some(1);
    cx.values.insert("closed".into(), closed.into());
    if closed && !was_closed {
        cx.values.insert("closed_at".into(), crate::clock::now().into());
    } else if !closed {
        cx.values.insert("closed_at".into(), Value::Null);
    }
    Ok(())
}

/// After create or a stage change: a row of the stage history.
fn record_stage_move(cx: &mut HookContext) -> Result<(), CoreError> {
    let from = cx.before.and_then(|b| b.get("stage")).and_then(Value::as_str);
    let to = cx.values.get("stage").and_then(Value::as_str).unwrap_or_default();
    if from == Some(to) {
        return Ok(());
    }
    cx.db.execute(
        "INSERT INTO deal_stage_history (deal_id, pipeline_id, from_stage, to_stage, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            cx.id.into(),
            cx.values.get("pipeline_id").cloned().unwrap_or(Value::Null),
            from.into(),
            to.into(),
            cx.caller.user_id.into(),
            crate::clock::now().into(),
        ],
    )?;
    Ok(())
}

/// The stage history of a deal, oldest first (for the API and reports).
pub fn stage_history(db: &dyn crate::db::Db, id: i64) -> Result<serde_json::Value, CoreError> {
    let rows = db.query(
        "SELECT pipeline_id, from_stage, to_stage, actor_id, at FROM deal_stage_history WHERE deal_id = ? ORDER BY id",
        &[id.into()],
    )?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "pipeline_id": r.i64("pipeline_id"),
                "from": r.str("from_stage"),
                "to": r.str("to_stage"),
                "actor_id": r.i64("actor_id"),
                "at": r.i64("at").map(crate::clock::rfc3339),
            })
        })
        .collect();
    Ok(json!({ "items": items }))
}

/// `POST /api/deals/<id>/move {"pipeline_id": N, "stage"?}`: moves a deal to another pipeline
/// (to `stage`, or that pipeline's first stage), through the update pipeline, so the stage
/// rules, the stage history and the timeline apply.
pub fn move_to_pipeline(
    db: &dyn crate::db::Db,
    caller: &crate::acl::Caller,
    def: &EntityDef,
    id: i64,
    body: &serde_json::Value,
) -> Result<serde_json::Value, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map.keys().filter(|k| *k != "pipeline_id" && *k != "stage") {
        errors.push(key.clone(), "unknown_field", "expected pipeline_id and stage");
    }
    let pipeline = map.get("pipeline_id").and_then(serde_json::Value::as_i64);
    if pipeline.is_none() {
        errors.push("pipeline_id", "required", "the pipeline to move the deal to");
    }
    let stage = map.get("stage").map(|s| s.as_str().map(str::to_owned));
    if stage == Some(None) {
        errors.push("stage", "invalid_type", "expected a stage code");
    }
    errors.into_result()?;
    let (Some(pipeline), stage) = (pipeline, stage.flatten()) else {
        return Err(CoreError::Internal("move input lacks a checked field".into()));
    };
    caller.require(def.acl, crate::acl::Action::Update)?;
    crate::db::transaction(db, |db| {
        let before = crate::records::access::load_checked(db, caller, def, id, crate::acl::Action::Update)?;
        let codes = pipelines::stage_codes(db, pipeline)?;
        let Some(first) = codes.first() else {
            return Err(invalid(
                "pipeline_id",
                "not_found",
                format!("no pipeline with id {pipeline}"),
            ));
        };
        let mut after = before.clone();
        after.insert("pipeline_id".into(), pipeline.into());
        after.insert("stage".into(), stage.clone().unwrap_or_else(|| first.clone()).into());
        crate::records::service::write_update(db, caller, def, id, &before, after, &[])
    })
}
