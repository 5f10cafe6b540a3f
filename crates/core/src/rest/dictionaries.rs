//! Dictionaries and pipelines (issue 19): `crm.status.*` over our dictionary entries (lead
//! statuses, sources, contact and company types, industries, employee ranges, deal types,
//! honorifics) and deal stages, `crm.category.*` (entityTypeId 2) and `crm.dealcategory.*`
//! over our deal pipelines, `crm.currency.list|get` over our currencies.
//!
//! Bitrix24's `ENTITY_ID`s map onto our stored kinds in one table ([`DICTIONARIES`]); stages are
//! `DEAL_STAGE` for the default pipeline (Bitrix24's category 0, plain codes such as `WON`) and
//! `DEAL_STAGE_{N}` for pipeline N (codes `C{N}:WON`). An entry's numeric `ID` is its row of
//! `rest_status_ids` (sql/0030), kept by triggers. Reads are open to any caller, as
//! `/api/dictionaries` and `/api/pipelines` are; writes go through the same resource-kit
//! services (`settings` permission, audit rows) as `/api/...` does.

use serde_json::{Map, Value as Json, json};

use super::methods::Method;
use super::values::{self, Viewer, field, id_param, integer_of, named_error, object_param, yes_no};
use super::{Call, Reply, RestError};
use crate::audit::ClientInfo;
use crate::error::CoreError;
use crate::records::dictionaries::{KINDS, LEAD_STATUS, currencies, entries};
use crate::records::pipelines;

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.status.fields", "crm", status_fields),
    ("crm.status.entity.types", "crm", status_entity_types),
    ("crm.status.entity.items", "crm", status_entity_items),
    ("crm.status.list", "crm", status_list),
    ("crm.status.get", "crm", status_get),
    ("crm.status.add", "crm", status_add),
    ("crm.status.update", "crm", status_update),
    ("crm.status.delete", "crm", status_delete),
    ("crm.category.fields", "crm", category_fields),
    ("crm.category.list", "crm", category_list),
    ("crm.category.get", "crm", category_get),
    ("crm.category.add", "crm", category_add),
    ("crm.category.update", "crm", category_update),
    ("crm.category.delete", "crm", category_delete),
    ("crm.dealcategory.fields", "crm", dealcategory_fields),
    ("crm.dealcategory.list", "crm", dealcategory_list),
    ("crm.dealcategory.get", "crm", dealcategory_get),
    ("crm.dealcategory.default.get", "crm", dealcategory_default_get),
    ("crm.dealcategory.stage.list", "crm", dealcategory_stage_list),
    ("crm.currency.list", "crm", currency_list),
    ("crm.currency.get", "crm", currency_get),
];

/// Bitrix24's dictionary `ENTITY_ID`s and our stored kinds, with the entity type they belong
/// to (`ENTITY_TYPE_ID`, 0 for shared ones).
const DICTIONARIES: &[(&str, &str, i64)] = &[
    ("STATUS", "lead_status", 1),
    ("SOURCE", "source", 0),
    ("CONTACT_TYPE", "contact_type", 3),
    ("COMPANY_TYPE", "company_type", 4),
    ("INDUSTRY", "industry", 4),
    ("EMPLOYEES", "employee_range", 4),
    ("DEAL_TYPE", "deal_type", 2),
    ("HONORIFIC", "honorific", 0),
];

/// The `kind` of deal stages in `rest_status_ids`.
const STAGE_KIND: &str = "deal_stage";

/// The entity type id of deals, the only one with categories here.
const DEAL_TYPE_ID: i64 = 2;

/// Audit rows of REST writes carry no address or user agent (the transport has them).
const CLIENT: ClientInfo = ClientInfo {
    ip: None,
    user_agent: None,
};

/// A dictionary as Bitrix24 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dict {
    /// Entries of a stored kind: (ENTITY_ID, stored kind).
    Entries(&'static str, &'static str),
    /// The stages of a pipeline: (pipeline id, category id).
    Stages(i64, i64),
}

/// Field descriptions as `crm.*.fields` answers them: (name, type, flags, title), the flags
/// `R` required, `O` read-only, `I` immutable, `M` multiple.
pub(super) fn describe(fields: &[(&str, &str, &str, &str)]) -> Json {
    let mut out = Map::new();
    for (name, kind, flags, title) in fields {
        out.insert(
            (*name).to_owned(),
            json!({
                "type": kind,
                "isRequired": flags.contains('R'),
                "isReadOnly": flags.contains('O'),
                "isImmutable": flags.contains('I'),
                "isMultiple": flags.contains('M'),
                "isDynamic": false,
                "title": title,
            }),
        );
    }
    Json::Object(out)
}

/// The URL segment of a stored kind (`lead_status` -> `lead-statuses`) for the entries service.
fn url_kind(stored: &str) -> Result<&'static str, RestError> {
    KINDS
        .iter()
        .find(|(_, kind)| *kind == stored)
        .map(|(url, _)| *url)
        .ok_or_else(|| CoreError::Internal(format!("no dictionary {stored}")).into())
}

/// The pipeline of category `category` (0: the default pipeline, N: pipeline N unless it is
/// the default one), if any.
fn pipeline_of_category(call: &Call, category: i64) -> Result<Option<i64>, RestError> {
    let default = pipelines::default_pipeline(call.db)?;
    if category == 0 {
        return Ok(Some(default));
    }
    if category < 0 || category == default {
        return Ok(None);
    }
    let exists = !call
        .db
        .query("SELECT 1 FROM pipelines WHERE id = ?", &[category.into()])
        .map_err(CoreError::from)?
        .is_empty();
    Ok(exists.then_some(category))
}

/// The category (Bitrix24's pipeline id) of pipeline `id`.
fn category_of(default: i64, id: i64) -> i64 {
    if id == default { 0 } else { id }
}

/// The dictionary an `ENTITY_ID` names, or 400 `INVALID_ARG_VALUE`.
fn dict_of(call: &Call, entity_id: &str) -> Result<Dict, RestError> {
    let entity_id = entity_id.trim().to_ascii_uppercase();
    if let Some((name, stored, _)) = DICTIONARIES.iter().find(|(name, _, _)| *name == entity_id) {
        return Ok(Dict::Entries(name, stored));
    }
    let category = match entity_id.strip_prefix("DEAL_STAGE") {
        Some("") => Some(0),
        Some(rest) => rest
            .strip_prefix('_')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n > 0),
        None => None,
    };
    if let Some(category) = category
        && let Some(pipeline) = pipeline_of_category(call, category)?
    {
        return Ok(Dict::Stages(pipeline, category));
    }
    Err(RestError::invalid_arg(format!(
        "ENTITY_ID: unknown dictionary {entity_id:?}"
    )))
}

/// One dictionary entry or stage, read.
#[derive(Debug, Clone)]
struct Status {
    id: i64,
    entity_id: String,
    status_id: String,
    names: Json,
    sort: i64,
    system: bool,
    category: Option<i64>,
    color: Option<String>,
    /// `process`, `success`, `failure` (lead statuses and stages only).
    semantic: Option<&'static str>,
    /// Where it lives: (stored kind or `deal_stage`, pipeline id for stages).
    kind: String,
    pipeline: Option<i64>,
}

impl Status {
    fn to_json(&self, viewer: &Viewer) -> Json {
        let name = viewer.name(&self.names);
        let mut out = json!({
            "ID": self.id.to_string(),
            "ENTITY_ID": self.entity_id,
            "STATUS_ID": self.status_id,
            "NAME": name,
            "NAME_INIT": if self.system { name.clone() } else { Json::Null },
            "SORT": self.sort.to_string(),
            "SYSTEM": yes_no(self.system),
            "CATEGORY_ID": self.category.map(|c| c.to_string()),
            "COLOR": self.color,
            "SEMANTICS": match self.semantic {
                Some("success") => Json::from("S"),
                Some("failure") => Json::from("F"),
                _ => Json::Null,
            },
        });
        if let Some(semantic) = self.semantic {
            out["EXTRA"] = json!({ "SEMANTICS": semantic, "COLOR": self.color });
        }
        out
    }
}

/// Our semantics in Bitrix24's EXTRA words.
fn semantic_word(ours: &str) -> &'static str {
    match ours {
        "success" | "won" => "success",
        "failure" | "lost" => "failure",
        _ => "process",
    }
}

/// Every entry and stage of `only` (every dictionary when `None`), in Bitrix24's order:
/// dictionaries as [`DICTIONARIES`] lists them, then stages by pipeline; each by sort.
fn read_statuses(call: &Call, only: Option<Dict>) -> Result<Vec<Status>, RestError> {
    let mut out = Vec::new();
    let db = call.db;
    if !matches!(only, Some(Dict::Stages(..))) {
        let (filter, params) = match only {
            Some(Dict::Entries(_, stored)) => (" WHERE e.kind = ?", vec![stored.into()]),
            _ => ("", Vec::new()),
        };
        let rows = db
            .query(
                &format!(
                    "SELECT s.id, e.kind, e.code, e.name_en, e.name_ru, e.sort, e.semantic, e.color, e.system \
                     FROM dictionary_entries e JOIN rest_status_ids s ON s.kind = e.kind AND s.code = e.code{filter} \
                     ORDER BY e.sort, e.code"
                ),
                &params,
            )
            .map_err(CoreError::from)?;
        for (entity_id, stored, _) in DICTIONARIES {
            for row in rows.iter().filter(|r| r.str("kind") == Some(stored)) {
                out.push(Status {
                    id: row.i64("id").unwrap_or_default(),
                    entity_id: (*entity_id).to_owned(),
                    status_id: row.str("code").unwrap_or_default().to_owned(),
                    names: json!({"en": row.str("name_en"), "ru": row.str("name_ru")}),
                    sort: row.i64("sort").unwrap_or_default(),
                    system: row.i64("system") == Some(1),
                    category: None,
                    color: row.str("color").map(str::to_owned),
                    semantic: (*stored == LEAD_STATUS).then(|| semantic_word(row.str("semantic").unwrap_or_default())),
                    kind: (*stored).to_owned(),
                    pipeline: None,
                });
            }
        }
    }
    if !matches!(only, Some(Dict::Entries(..))) {
        let (filter, params) = match only {
            Some(Dict::Stages(pipeline, _)) => (" WHERE st.pipeline_id = ?", vec![pipeline.into()]),
            _ => ("", Vec::new()),
        };
        let rows = db
            .query(
                &format!(
                    "SELECT s.id, st.code, st.name_en, st.name_ru, st.sort, st.semantic, st.color, st.pipeline_id, p.is_default \
                     FROM pipeline_stages st JOIN pipelines p ON p.id = st.pipeline_id \
                     JOIN rest_status_ids s ON s.kind = 'deal_stage' AND s.code = st.code{filter} \
                     ORDER BY p.is_default DESC, p.sort, p.id, st.sort, st.id"
                ),
                &params,
            )
            .map_err(CoreError::from)?;
        for row in rows.iter() {
            let pipeline = row.i64("pipeline_id").unwrap_or_default();
            let default = row.i64("is_default") == Some(1);
            let category = if default { 0 } else { pipeline };
            let semantic = semantic_word(row.str("semantic").unwrap_or_default());
            out.push(Status {
                id: row.i64("id").unwrap_or_default(),
                entity_id: if default {
                    "DEAL_STAGE".to_owned()
                } else {
                    format!("DEAL_STAGE_{pipeline}")
                },
                status_id: row.str("code").unwrap_or_default().to_owned(),
                names: json!({"en": row.str("name_en"), "ru": row.str("name_ru")}),
                sort: row.i64("sort").unwrap_or_default(),
                system: semantic != "process",
                category: Some(category),
                color: row.str("color").map(str::to_owned),
                semantic: Some(semantic),
                kind: STAGE_KIND.to_owned(),
                pipeline: Some(pipeline),
            });
        }
    }
    Ok(out)
}

/// The entry or stage with REST id `id`, or 400 "Not found".
fn status_by_id(call: &Call, id: i64) -> Result<Status, RestError> {
    let rows = call
        .db
        .query("SELECT kind, code FROM rest_status_ids WHERE id = ?", &[id.into()])
        .map_err(CoreError::from)?;
    let Some(row) = rows.first() else {
        return Err(CoreError::NotFound.into());
    };
    let kind = row.str("kind").unwrap_or_default();
    let only = if kind == STAGE_KIND {
        let pipeline = call
            .db
            .query(
                "SELECT pipeline_id FROM pipeline_stages WHERE code = ?",
                &[row.str("code").unwrap_or_default().into()],
            )
            .map_err(CoreError::from)?
            .first_i64()
            .ok_or(CoreError::NotFound)?;
        Dict::Stages(pipeline, 0)
    } else {
        let (name, stored, _) = DICTIONARIES
            .iter()
            .find(|(_, stored, _)| *stored == kind)
            .ok_or(CoreError::NotFound)?;
        Dict::Entries(name, stored)
    };
    read_statuses(call, Some(only))?
        .into_iter()
        .find(|status| status.id == id)
        .ok_or_else(|| CoreError::NotFound.into())
}

/// The REST id of entry (`kind`, `code`).
fn rest_id(call: &Call, kind: &str, code: &str) -> Result<i64, RestError> {
    Ok(call
        .db
        .query(
            "SELECT id FROM rest_status_ids WHERE kind = ? AND code = ?",
            &[kind.into(), code.into()],
        )
        .map_err(CoreError::from)?
        .first_i64()
        .ok_or_else(|| CoreError::Internal(format!("no REST id for {kind} {code}")))?)
}

fn status_fields(_call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        ("ID", "integer", "O", "ID"),
        ("ENTITY_ID", "string", "RI", "Dictionary"),
        ("STATUS_ID", "string", "RI", "Code"),
        ("NAME", "string", "R", "Name"),
        ("NAME_INIT", "string", "O", "Initial name"),
        ("SORT", "integer", "", "Sort"),
        ("SYSTEM", "char", "O", "System"),
        ("CATEGORY_ID", "integer", "O", "Pipeline"),
        ("COLOR", "string", "", "Colour"),
        ("SEMANTICS", "string", "", "Semantics"),
        ("EXTRA", "object", "", "Extra"),
    ])))
}

fn status_entity_types(call: &Call) -> Result<Reply, RestError> {
    let viewer = Viewer::of(call)?;
    let mut out: Vec<Json> = DICTIONARIES
        .iter()
        .map(|(entity_id, stored, type_id)| {
            let names = crate::records::dictionaries::kinds(call.caller)
                .into_iter()
                .find(|kind| kind["stored_kind"] == *stored)
                .map(|kind| kind["name"].clone())
                .unwrap_or(Json::Null);
            let mut item = json!({ "ID": entity_id, "NAME": viewer.name(&names) });
            if *type_id > 0 {
                item["ENTITY_TYPE_ID"] = Json::from(*type_id);
            }
            if *stored == LEAD_STATUS {
                item["SEMANTIC_INFO"] = json!({});
            }
            item
        })
        .collect();
    let default = pipelines::default_pipeline(call.db)?;
    let rows = call
        .db
        .query(
            "SELECT id, name_en, name_ru FROM pipelines ORDER BY is_default DESC, sort, id",
            &[],
        )
        .map_err(CoreError::from)?;
    for row in rows.iter() {
        let id = row.i64("id").unwrap_or_default();
        let category = category_of(default, id);
        let pipeline_name = viewer.name(&json!({"en": row.str("name_en"), "ru": row.str("name_ru")}));
        let prefix = if viewer.language == "ru" {
            "Стадии сделки"
        } else {
            "Deal stages"
        };
        let name = match pipeline_name.as_str() {
            Some(name) if category > 0 => format!("{prefix} ({name})"),
            _ => prefix.to_owned(),
        };
        let mut item = json!({
            "ID": if category == 0 { "DEAL_STAGE".to_owned() } else { format!("DEAL_STAGE_{category}") },
            "NAME": name,
            "ENTITY_TYPE_ID": DEAL_TYPE_ID,
            "SEMANTIC_INFO": {},
            "CATEGORY_ID": category,
        });
        if category > 0 {
            item["PARENT_ID"] = Json::from("DEAL_STAGE");
        }
        out.push(item);
    }
    Ok(Reply::of(Json::Array(out)))
}

fn status_entity_items(call: &Call) -> Result<Reply, RestError> {
    let entity_id = call
        .param("entityId")
        .and_then(Json::as_str)
        .ok_or_else(|| RestError::invalid_arg("entityId is required"))?;
    let dict = dict_of(call, entity_id)?;
    let viewer = Viewer::of(call)?;
    let items = read_statuses(call, Some(dict))?
        .iter()
        .map(|status| {
            let full = status.to_json(&viewer);
            json!({"NAME": full["NAME"], "SORT": status.sort, "STATUS_ID": full["STATUS_ID"]})
        })
        .collect();
    Ok(Reply::of(Json::Array(items)))
}

/// The fields `crm.status.list` filters and sorts on.
const STATUS_COLUMNS: &[&str] = &[
    "ID",
    "ENTITY_ID",
    "STATUS_ID",
    "NAME",
    "SORT",
    "SYSTEM",
    "CATEGORY_ID",
    "COLOR",
    "SEMANTICS",
];

fn status_list(call: &Call) -> Result<Reply, RestError> {
    let viewer = Viewer::of(call)?;
    let filter = object_param(call, "filter")?;
    let mut only = None;
    let mut conditions: Vec<(String, Vec<String>, bool)> = Vec::new();
    for (key, value) in filter.into_iter().flatten() {
        let (negated, name) = match key.strip_prefix('!') {
            Some(rest) => (true, rest.trim_start_matches('=')),
            None => (false, key.trim_start_matches('=')),
        };
        let (in_list, name) = match name.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        let name = name.to_ascii_uppercase();
        if !STATUS_COLUMNS.contains(&name.as_str()) {
            return Err(RestError::invalid_arg(format!("filter: unknown field {key:?}")));
        }
        let wanted: Vec<String> = match (in_list, values::strict_list_of(value)) {
            (true, Some(items)) => items.into_iter().filter_map(values::decimal_text_of).collect(),
            (false, _) => values::decimal_text_of(value).into_iter().collect(),
            (true, None) => return Err(RestError::invalid_arg(format!("filter: {key} expects a list"))),
        };
        if name == "ENTITY_ID" && !negated && wanted.len() == 1 {
            only = Some(dict_of(call, &wanted[0])?);
        }
        conditions.push((name, wanted, negated));
    }
    let mut sort: Vec<(String, bool)> = Vec::new();
    for (key, direction) in object_param(call, "order")?.into_iter().flatten() {
        let name = key.to_ascii_uppercase();
        if !STATUS_COLUMNS.contains(&name.as_str()) {
            return Err(RestError::invalid_arg(format!("order: unknown field {key:?}")));
        }
        let descending = match direction.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("ASC") => false,
            Some("DESC") => true,
            _ => return Err(RestError::invalid_arg(format!("order: {key} must be ASC or DESC"))),
        };
        sort.push((name, descending));
    }
    let mut items: Vec<Json> = read_statuses(call, only)?
        .iter()
        .map(|status| status.to_json(&viewer))
        .filter(|item| {
            conditions.iter().all(|(name, wanted, negated)| {
                let have = item[name.as_str()].as_str().unwrap_or_default();
                wanted.iter().any(|w| w.eq_ignore_ascii_case(have)) != *negated
            })
        })
        .collect();
    if !sort.is_empty() {
        items.sort_by(|a, b| {
            for (name, descending) in &sort {
                let (x, y) = (&a[name.as_str()], &b[name.as_str()]);
                let ordering = match (
                    x.as_str().and_then(|s| s.parse::<i64>().ok()),
                    y.as_str().and_then(|s| s.parse::<i64>().ok()),
                ) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => x.as_str().unwrap_or_default().cmp(y.as_str().unwrap_or_default()),
                };
                let ordering = if *descending { ordering.reverse() } else { ordering };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let total = items.len() as u64;
    Ok(Reply {
        result: Json::Array(items),
        total: Some(total),
        next: None,
    })
}

fn status_get(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let viewer = Viewer::of(call)?;
    Ok(Reply::of(status_by_id(call, id)?.to_json(&viewer)))
}

/// Our field names in `crm.status.*` words, for the errors of a write.
const STATUS_NAMES: &[(&str, &str)] = &[
    ("code", "STATUS_ID"),
    ("name", "NAME"),
    ("sort", "SORT"),
    ("color", "COLOR"),
    ("semantic", "SEMANTICS"),
];

/// What `fields` asks of an entry or stage, in our words: `name` (in the viewer's language
/// when `names` is the current name, in both when creating), `sort`, `color`, `semantic`.
fn status_body(
    fields: &Map<String, Json>,
    stage: bool,
    lead_status: bool,
    viewer: &Viewer,
    current: Option<&Json>,
    whole_names: bool,
) -> Result<Map<String, Json>, RestError> {
    let mut body = Map::new();
    if let Some(name) = field(fields, "NAME") {
        let Some(name) = name.as_str() else {
            return Err(RestError::invalid_arg("NAME must be a string"));
        };
        let names = match current {
            None => json!({"en": name, "ru": name}),
            Some(current) if whole_names => {
                let mut names = current.clone();
                names[viewer.language.as_str()] = Json::from(name);
                names
            }
            Some(_) => json!({ viewer.language.as_str(): name }),
        };
        body.insert("name".into(), names);
    }
    if let Some(sort) = field(fields, "SORT") {
        let sort = integer_of(sort).ok_or_else(|| RestError::invalid_arg("SORT must be an integer"))?;
        body.insert("sort".into(), Json::from(sort));
    }
    let extra = field(fields, "EXTRA").and_then(Json::as_object);
    let color = field(fields, "COLOR").or_else(|| extra.and_then(|e| field(e, "COLOR")));
    if let Some(color) = color.filter(|c| !c.is_null()) {
        body.insert("color".into(), color.clone());
    }
    let semantic = match (field(fields, "SEMANTICS"), extra.and_then(|e| field(e, "SEMANTICS"))) {
        (Some(s), _) => Some(match s {
            Json::Null => "process",
            Json::String(text) => match text.trim().to_ascii_uppercase().as_str() {
                "S" => "success",
                "F" => "failure",
                "" | "P" => "process",
                _ => return Err(RestError::invalid_arg("SEMANTICS must be S, F or empty")),
            },
            _ => return Err(RestError::invalid_arg("SEMANTICS must be S, F or empty")),
        }),
        (None, Some(s)) => Some(match s.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("success") => "success",
            Some("failure" | "apology") => "failure",
            Some("process") => "process",
            _ => {
                return Err(RestError::invalid_arg(
                    "EXTRA.SEMANTICS must be process, success or failure",
                ));
            }
        }),
        (None, None) => None,
    };
    if let Some(semantic) = semantic {
        if stage {
            let ours = match semantic {
                "success" => "won",
                "failure" => "lost",
                _ => "progress",
            };
            body.insert("semantic".into(), Json::from(ours));
        } else if lead_status {
            let ours = if semantic == "process" { "open" } else { semantic };
            body.insert("semantic".into(), Json::from(ours));
        } else if semantic != "process" {
            return Err(RestError::invalid_arg(
                "SEMANTICS: only lead statuses and deal stages have semantics",
            ));
        }
    }
    Ok(body)
}

fn fields_param<'a>(call: &'a Call) -> Result<&'a Map<String, Json>, RestError> {
    object_param(call, "fields")?.ok_or_else(|| RestError::invalid_arg("fields are required"))
}

fn status_add(call: &Call) -> Result<Reply, RestError> {
    let fields = fields_param(call)?;
    let entity_id = field(fields, "ENTITY_ID")
        .and_then(Json::as_str)
        .ok_or_else(|| RestError::invalid_arg("ENTITY_ID is required"))?;
    let dict = dict_of(call, entity_id)?;
    let code = field(fields, "STATUS_ID")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| RestError::invalid_arg("STATUS_ID is required"))?;
    if field(fields, "NAME").is_none() {
        return Err(RestError::invalid_arg("NAME is required"));
    }
    let viewer = Viewer::of(call)?;
    match dict {
        Dict::Entries(_, stored) => {
            let mut body = status_body(fields, false, stored == LEAD_STATUS, &viewer, None, false)?;
            body.insert("code".into(), Json::from(code));
            if stored == LEAD_STATUS && !body.contains_key("semantic") {
                body.insert("semantic".into(), Json::from("open"));
            }
            entries::create(call.db, call.caller, url_kind(stored)?, &Json::Object(body), &CLIENT)
                .map_err(|e| named_error(e, STATUS_NAMES))?;
            Ok(Reply::of(Json::from(rest_id(call, stored, code)?)))
        }
        Dict::Stages(pipeline, category) => {
            let prefix = format!("C{category}:");
            let short = if category > 0 {
                code.strip_prefix(&prefix).unwrap_or(code)
            } else {
                code
            };
            let mut body = status_body(fields, true, false, &viewer, None, true)?;
            body.insert("code".into(), Json::from(short));
            pipelines::add_stage(call.db, call.caller, pipeline, &Json::Object(body), &CLIENT)
                .map_err(|e| named_error(e, STATUS_NAMES))?;
            let full = if category > 0 {
                format!("{prefix}{short}")
            } else {
                short.to_owned()
            };
            Ok(Reply::of(Json::from(rest_id(call, STAGE_KIND, &full)?)))
        }
    }
}

fn status_update(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let fields = fields_param(call)?;
    for fixed in ["ENTITY_ID", "STATUS_ID"] {
        if field(fields, fixed).is_some() {
            return Err(RestError::invalid_arg(format!("{fixed} cannot be changed")));
        }
    }
    let status = status_by_id(call, id)?;
    let viewer = Viewer::of(call)?;
    match status.pipeline {
        None => {
            let body = status_body(
                fields,
                false,
                status.kind == LEAD_STATUS,
                &viewer,
                Some(&status.names),
                false,
            )?;
            if !body.is_empty() {
                entries::update(
                    call.db,
                    call.caller,
                    url_kind(&status.kind)?,
                    &status.status_id,
                    &Json::Object(body),
                    None,
                    &CLIENT,
                )
                .map_err(|e| named_error(e, STATUS_NAMES))?;
            }
        }
        Some(pipeline) => {
            let body = status_body(fields, true, false, &viewer, Some(&status.names), true)?;
            if !body.is_empty() {
                pipelines::update_stage(
                    call.db,
                    call.caller,
                    pipeline,
                    &status.status_id,
                    &Json::Object(body),
                    &CLIENT,
                )
                .map_err(|e| named_error(e, STATUS_NAMES))?;
            }
        }
    }
    Ok(Reply::of(Json::Bool(true)))
}

fn status_delete(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let status = status_by_id(call, id)?;
    match status.pipeline {
        None => entries::delete(
            call.db,
            call.caller,
            url_kind(&status.kind)?,
            &status.status_id,
            None,
            &CLIENT,
        )?,
        Some(pipeline) => {
            pipelines::delete_stage(call.db, call.caller, pipeline, &status.status_id, None, &CLIENT)?;
        }
    }
    Ok(Reply::of(Json::Bool(true)))
}

// crm.category.* (entityTypeId 2) and crm.dealcategory.*

/// `entityTypeId`, which must be 2 (deals: the only entity with pipelines here).
fn deal_type_param(call: &Call) -> Result<(), RestError> {
    match call.param("entityTypeId").and_then(integer_of) {
        Some(DEAL_TYPE_ID) => Ok(()),
        Some(other) => Err(RestError::invalid_arg(format!(
            "entityTypeId {other}: only deals (2) have categories"
        ))),
        None => Err(RestError::invalid_arg("entityTypeId is required")),
    }
}

/// The category `id` parameter (0 is the default pipeline) and its pipeline, or "Not found".
fn category_param(call: &Call) -> Result<(i64, i64), RestError> {
    let category = call
        .param("id")
        .and_then(integer_of)
        .filter(|id| *id >= 0)
        .ok_or_else(|| RestError::invalid("ID is not defined or invalid."))?;
    let pipeline = pipeline_of_category(call, category)?.ok_or(CoreError::NotFound)?;
    Ok((category, pipeline))
}

/// A pipeline as the service renders it, with its category id.
fn pipeline_json(call: &Call, pipeline: i64) -> Result<(i64, Json), RestError> {
    let default = pipelines::default_pipeline(call.db)?;
    let json = pipelines::get(call.db, call.caller, pipeline)?;
    Ok((category_of(default, pipeline), json))
}

fn category_json(viewer: &Viewer, category: i64, pipeline: &Json) -> Json {
    json!({
        "id": category,
        "name": viewer.name(&pipeline["name"]),
        "sort": pipeline["sort"],
        "entityTypeId": DEAL_TYPE_ID,
        "isDefault": yes_no(category == 0),
        "originId": "",
        "originatorId": "",
    })
}

fn created_unix(pipeline: &Json) -> Option<i64> {
    pipeline["created_at"]
        .as_str()
        .and_then(|t| crate::records::values::parse_datetime(t).ok())
        .or_else(|| pipeline["created_at"].as_i64())
}

fn dealcategory_json(viewer: &Viewer, category: i64, pipeline: &Json) -> Json {
    json!({
        "ID": category.to_string(),
        "CREATED_DATE": created_unix(pipeline).map_or(Json::Null, |t| viewer.time(t)),
        "NAME": viewer.name(&pipeline["name"]),
        "IS_LOCKED": "N",
        "SORT": pipeline["sort"].as_i64().map(|s| s.to_string()),
    })
}

/// Every pipeline with its category id, the default first.
fn all_pipelines(call: &Call) -> Result<Vec<(i64, Json)>, RestError> {
    let default = pipelines::default_pipeline(call.db)?;
    let listed = pipelines::list(call.db, call.caller)?;
    let mut out: Vec<(i64, Json)> = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (category_of(default, p["id"].as_i64().unwrap_or_default()), p.clone()))
        .collect();
    out.sort_by_key(|(category, _)| *category != 0);
    Ok(out)
}

fn category_fields(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    Ok(Reply::of(json!({ "fields": describe(&[
        ("id", "integer", "O", "ID"),
        ("name", "string", "R", "Name"),
        ("sort", "integer", "", "Sort"),
        ("entityTypeId", "integer", "OI", "Entity type"),
        ("isDefault", "boolean", "O", "Default"),
        ("originId", "string", "O", "External id"),
        ("originatorId", "string", "O", "External source"),
    ]) })))
}

fn category_list(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    let viewer = Viewer::of(call)?;
    let categories: Vec<Json> = all_pipelines(call)?
        .iter()
        .map(|(category, pipeline)| category_json(&viewer, *category, pipeline))
        .collect();
    let total = categories.len() as u64;
    Ok(Reply {
        result: json!({ "categories": categories }),
        total: Some(total),
        next: None,
    })
}

fn category_get(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    let (category, pipeline) = category_param(call)?;
    let viewer = Viewer::of(call)?;
    let (_, json) = pipeline_json(call, pipeline)?;
    Ok(Reply::of(
        json!({ "category": category_json(&viewer, category, &json) }),
    ))
}

/// Our pipeline body from `fields{name, sort}` (any case); `current` names when updating.
fn pipeline_body(call: &Call, viewer: &Viewer, current: Option<&Json>) -> Result<Map<String, Json>, RestError> {
    let fields = fields_param(call)?;
    let mut body = Map::new();
    if let Some(name) = field(fields, "name") {
        let name = name
            .as_str()
            .ok_or_else(|| RestError::invalid_arg("name must be a string"))?;
        let names = match current {
            Some(current) => {
                let mut names = current.clone();
                names[viewer.language.as_str()] = Json::from(name);
                names
            }
            None => json!({"en": name, "ru": name}),
        };
        body.insert("name".into(), names);
    }
    if let Some(sort) = field(fields, "sort") {
        let sort = integer_of(sort).ok_or_else(|| RestError::invalid_arg("sort must be an integer"))?;
        body.insert("sort".into(), Json::from(sort));
    }
    for key in fields.keys() {
        if !["name", "sort"].iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(RestError::invalid_arg(format!("fields: {key} cannot be set")));
        }
    }
    Ok(body)
}

fn category_add(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    let viewer = Viewer::of(call)?;
    let body = pipeline_body(call, &viewer, None)?;
    let created = pipelines::create(call.db, call.caller, &Json::Object(body), &CLIENT)?;
    let id = created["id"].as_i64().unwrap_or_default();
    Ok(Reply::of(json!({ "category": category_json(&viewer, id, &created) })))
}

fn category_update(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    let (category, pipeline) = category_param(call)?;
    let viewer = Viewer::of(call)?;
    let (_, current) = pipeline_json(call, pipeline)?;
    let body = pipeline_body(call, &viewer, Some(&current["name"]))?;
    let updated = if body.is_empty() {
        current
    } else {
        pipelines::update(call.db, call.caller, pipeline, &Json::Object(body), None, &CLIENT)?
    };
    Ok(Reply::of(
        json!({ "category": category_json(&viewer, category, &updated) }),
    ))
}

fn category_delete(call: &Call) -> Result<Reply, RestError> {
    deal_type_param(call)?;
    let (_, pipeline) = category_param(call)?;
    pipelines::delete(call.db, call.caller, pipeline, None, &CLIENT)?;
    Ok(Reply::of(Json::Bool(true)))
}

fn dealcategory_fields(_call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        ("ID", "integer", "O", "ID"),
        ("CREATED_DATE", "date", "O", "Created"),
        ("NAME", "string", "R", "Name"),
        ("IS_LOCKED", "char", "O", "Locked"),
        ("SORT", "integer", "", "Sort"),
    ])))
}

fn dealcategory_list(call: &Call) -> Result<Reply, RestError> {
    let viewer = Viewer::of(call)?;
    let start = values::start_param(call)?;
    let mut rows: Vec<Json> = all_pipelines(call)?
        .iter()
        .filter(|(category, _)| *category > 0)
        .map(|(category, pipeline)| dealcategory_json(&viewer, *category, pipeline))
        .collect();
    for (key, value) in object_param(call, "filter")?.into_iter().flatten() {
        let name = key.trim_start_matches('=').to_ascii_uppercase();
        if !["ID", "NAME", "SORT"].contains(&name.as_str()) {
            return Err(RestError::invalid_arg(format!("filter: unknown field {key:?}")));
        }
        let wanted = values::decimal_text_of(value).unwrap_or_default();
        rows.retain(|row| row[name.as_str()].as_str() == Some(wanted.as_str()));
    }
    for (key, direction) in object_param(call, "order")?.into_iter().flatten().rev() {
        let name = key.to_ascii_uppercase();
        if !["ID", "NAME", "SORT", "CREATED_DATE"].contains(&name.as_str()) {
            return Err(RestError::invalid_arg(format!("order: unknown field {key:?}")));
        }
        let descending = match direction.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("ASC") => false,
            Some("DESC") => true,
            _ => return Err(RestError::invalid_arg(format!("order: {key} must be ASC or DESC"))),
        };
        let text = |row: &Json| row[name.as_str()].as_str().unwrap_or_default().to_owned();
        let number = |row: &Json| text(row).parse::<i64>().ok();
        rows.sort_by(|a, b| {
            let ordering = match (number(a), number(b)) {
                (Some(x), Some(y)) if name != "NAME" => x.cmp(&y),
                _ => text(a).cmp(&text(b)),
            };
            if descending { ordering.reverse() } else { ordering }
        });
    }
    Ok(values::page_of_all(rows, start))
}

fn dealcategory_get(call: &Call) -> Result<Reply, RestError> {
    let (category, pipeline) = category_param(call)?;
    let viewer = Viewer::of(call)?;
    let (_, json) = pipeline_json(call, pipeline)?;
    Ok(Reply::of(dealcategory_json(&viewer, category, &json)))
}

fn dealcategory_default_get(call: &Call) -> Result<Reply, RestError> {
    let viewer = Viewer::of(call)?;
    let pipeline = pipelines::default_pipeline(call.db)?;
    let (_, json) = pipeline_json(call, pipeline)?;
    Ok(Reply::of(dealcategory_json(&viewer, 0, &json)))
}

fn dealcategory_stage_list(call: &Call) -> Result<Reply, RestError> {
    let category = match call.param("id") {
        None | Some(Json::Null) => 0,
        Some(value) => integer_of(value)
            .filter(|id| *id >= 0)
            .ok_or_else(|| RestError::invalid("ID is not defined or invalid."))?,
    };
    let pipeline = pipeline_of_category(call, category)?.ok_or(CoreError::NotFound)?;
    let viewer = Viewer::of(call)?;
    let stages = read_statuses(call, Some(Dict::Stages(pipeline, category)))?
        .iter()
        .map(|status| {
            let full = status.to_json(&viewer);
            json!({"NAME": full["NAME"], "SORT": full["SORT"], "STATUS_ID": full["STATUS_ID"]})
        })
        .collect();
    Ok(Reply::of(Json::Array(stages)))
}

// crm.currency.*

fn currency_json(viewer: &Viewer, currency: &Json) -> Json {
    let code = currency["code"].as_str().unwrap_or_default();
    json!({
        "CURRENCY": code,
        "AMOUNT_CNT": "1",
        "AMOUNT": currency["rate"],
        "SORT": currency["sort"].as_i64().map(|s| s.to_string()),
        "BASE": yes_no(currency["base"] == true),
        "FULL_NAME": viewer.name(&currency["name"]),
        "LID": viewer.language,
        "FORMAT_STRING": format!("# {code}"),
        "DEC_POINT": ".",
        "THOUSANDS_SEP": " ",
        "DECIMALS": "2",
        "DATE_UPDATE": currency["updated_at"]
            .as_str()
            .and_then(|t| crate::records::values::parse_datetime(t).ok())
            .map_or(Json::Null, |t| viewer.time(t)),
    })
}

fn currency_list(call: &Call) -> Result<Reply, RestError> {
    let viewer = Viewer::of(call)?;
    let items: Vec<Json> = currencies::list(call.db, call.caller)?
        .iter()
        .map(|currency| currency_json(&viewer, currency))
        .collect();
    let total = items.len() as u64;
    Ok(Reply {
        result: Json::Array(items),
        total: Some(total),
        next: None,
    })
}

fn currency_get(call: &Call) -> Result<Reply, RestError> {
    let code = call
        .param("id")
        .and_then(Json::as_str)
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| RestError::invalid("ID is not defined or invalid."))?;
    let viewer = Viewer::of(call)?;
    let currency = currencies::get(call.db, call.caller, &code)?;
    Ok(Reply::of(currency_json(&viewer, &currency)))
}
