//! Timeline comments (issue 19): `crm.timeline.comment.{fields,add,get,list,update,delete}`
//! over the comments of our timeline (`timeline` rows of kind `comment`, written by
//! `records::timeline`). Commenting needs read access to the record, as `POST /api/timeline`
//! does; a comment is seen with its record; only its author changes or deletes it (403
//! otherwise). Bitrix24's `ENTITY_TYPE` is our entity name (`lead`, `deal`, `contact`,
//! `company`); files are not kept (a non-empty `FILES` is refused).

use serde_json::{Map, Value as Json, json};

use super::dictionaries::describe;
use super::methods::Method;
use super::values::{self, Viewer, field, id_of, id_param, named_error, object_param};
use super::{Call, Reply, RestError};
use crate::records::{EntityDef, timeline};

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.timeline.comment.fields", "crm", comment_fields),
    ("crm.timeline.comment.add", "crm", comment_add),
    ("crm.timeline.comment.get", "crm", comment_get),
    ("crm.timeline.comment.list", "crm", comment_list),
    ("crm.timeline.comment.update", "crm", comment_update),
    ("crm.timeline.comment.delete", "crm", comment_delete),
];

/// Bitrix24's entity types (by name and by id) of the records that take comments.
const ENTITY_TYPES: &[(&str, i64)] = &[("lead", 1), ("deal", 2), ("contact", 3), ("company", 4)];

/// Our field names in Bitrix24's words, for a 422.
const COMMENT_FIELDS: &[(&str, &str)] = &[
    ("text", "COMMENT"),
    ("record_id", "ENTITY_ID"),
    ("entity", "ENTITY_TYPE"),
];

/// `ENTITY_TYPE` (`deal`, `DEAL`, `CRM_DEAL`, or its id `2`) as our entity name, or 400.
fn entity_of(value: Option<&Json>) -> Result<&'static str, RestError> {
    let refused = || RestError::invalid_arg("ENTITY_TYPE must be lead, deal, contact or company");
    let value = value.ok_or_else(refused)?;
    let by_id = values::integer_of(value);
    // Some clients write the type as its owner-type code, `CRM_DEAL`.
    let by_name = value.as_str().map(|t| {
        let name = t.trim().to_ascii_lowercase();
        name.strip_prefix("crm_").map_or(name.clone(), str::to_owned)
    });
    ENTITY_TYPES
        .iter()
        .find(|(name, id)| by_id == Some(*id) || by_name.as_deref() == Some(*name))
        .map(|(name, _)| *name)
        .ok_or_else(refused)
}

/// A timeline entry as Bitrix24's comment.
fn comment_json(viewer: &Viewer, entry: &Json) -> Json {
    json!({
        "ID": entry["id"].as_i64().map(|id| id.to_string()),
        "CREATED": entry["at"]
            .as_str()
            .and_then(|t| crate::records::values::parse_datetime(t).ok())
            .map_or(Json::Null, |t| viewer.time(t)),
        "ENTITY_ID": entry["record_id"].as_i64().map(|id| id.to_string()),
        "ENTITY_TYPE": entry["entity"],
        "AUTHOR_ID": entry["actor_id"].as_i64().map(|id| id.to_string()),
        "COMMENT": entry["payload"]["text"],
        "FILES": [],
    })
}

fn comment_fields(_call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        ("ID", "integer", "O", "ID"),
        ("CREATED", "datetime", "O", "Created"),
        ("ENTITY_ID", "integer", "RI", "Record"),
        ("ENTITY_TYPE", "string", "RI", "Record type"),
        ("AUTHOR_ID", "user", "O", "Author"),
        ("COMMENT", "string", "R", "Comment"),
        ("FILES", "attached_diskfile", "OM", "Files"),
    ])))
}

fn fields_param<'a>(call: &'a Call) -> Result<&'a Map<String, Json>, RestError> {
    object_param(call, "fields")?.ok_or_else(|| RestError::invalid_arg("fields are required"))
}

/// 400 for what we do not keep: files, or another author than the caller.
fn refuse_unkept(call: &Call, fields: &Map<String, Json>) -> Result<(), RestError> {
    if let Some(files) = field(fields, "FILES")
        && values::strict_list_of(files).is_none_or(|files| !files.is_empty())
        && !files.is_null()
        && files.as_str() != Some("")
    {
        return Err(RestError::invalid_arg("FILES: comments do not keep files"));
    }
    if let Some(author) = field(fields, "AUTHOR_ID").filter(|a| !a.is_null())
        && id_of(author) != Some(call.caller.user_id)
    {
        return Err(RestError::invalid_arg(
            "AUTHOR_ID: a comment's author is the webhook's user",
        ));
    }
    Ok(())
}

fn text_of(fields: &Map<String, Json>) -> Result<Option<&str>, RestError> {
    match field(fields, "COMMENT") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) => Ok(Some(text)),
        Some(_) => Err(RestError::invalid_arg("COMMENT must be text")),
    }
}

fn comment_add(call: &Call) -> Result<Reply, RestError> {
    let fields = fields_param(call)?;
    refuse_unkept(call, fields)?;
    let entity = entity_of(field(fields, "ENTITY_TYPE"))?;
    let record_id = field(fields, "ENTITY_ID")
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg("ENTITY_ID is not defined or invalid"))?;
    let text = text_of(fields)?.unwrap_or_default();
    let body = json!({ "entity": entity, "record_id": record_id, "text": text });
    let entry = timeline::comment(call.db, call.caller, &body).map_err(|e| named_error(e, COMMENT_FIELDS))?;
    Ok(Reply::of(Json::from(entry["id"].as_i64().unwrap_or_default())))
}

fn comment_get(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let viewer = Viewer::of(call)?;
    let entry = timeline::comment_of(call.db, call.caller, id)?;
    Ok(Reply::of(comment_json(&viewer, &entry)))
}

/// The keys `select` keeps (all when absent, empty or `*`).
fn selected(call: &Call) -> Result<Option<Vec<String>>, RestError> {
    let Some(select) = call.param("select").filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let names = values::strict_list_of(select).ok_or_else(|| RestError::invalid_arg("select must be a list"))?;
    let mut keep = Vec::with_capacity(names.len());
    for name in names {
        let name = name
            .as_str()
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| RestError::invalid_arg("select must list field names"))?;
        if name == "*" {
            return Ok(None);
        }
        if ![
            "ID",
            "CREATED",
            "ENTITY_ID",
            "ENTITY_TYPE",
            "AUTHOR_ID",
            "COMMENT",
            "FILES",
        ]
        .contains(&name.as_str())
        {
            return Err(RestError::invalid_arg(format!("select: unknown field {name:?}")));
        }
        keep.push(name);
    }
    Ok((!keep.is_empty()).then_some(keep))
}

fn comment_list(call: &Call) -> Result<Reply, RestError> {
    let filter = object_param(call, "filter")?
        .ok_or_else(|| RestError::invalid_arg("filter with ENTITY_ID and ENTITY_TYPE is required"))?;
    let (mut entity, mut record_id) = (None, None);
    for (key, value) in filter {
        match key.trim_start_matches('=').to_ascii_uppercase().as_str() {
            "ENTITY_TYPE" => entity = Some(entity_of(Some(value))?),
            "ENTITY_ID" => {
                record_id =
                    Some(id_of(value).ok_or_else(|| RestError::invalid_arg("filter: ENTITY_ID must be a record id"))?)
            }
            _ => return Err(RestError::invalid_arg(format!("filter: unknown field {key:?}"))),
        }
    }
    let (Some(entity), Some(record_id)) = (entity, record_id) else {
        return Err(RestError::invalid_arg(
            "filter with ENTITY_ID and ENTITY_TYPE is required",
        ));
    };
    let mut descending = true;
    for (key, direction) in object_param(call, "order")?.into_iter().flatten() {
        if !["ID", "CREATED"].contains(&key.to_ascii_uppercase().as_str()) {
            return Err(RestError::invalid_arg(format!("order: unknown field {key:?}")));
        }
        descending = match direction.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("ASC") => false,
            Some("DESC") => true,
            _ => return Err(RestError::invalid_arg(format!("order: {key} must be ASC or DESC"))),
        };
    }
    let keep = selected(call)?;
    let start = values::start_param(call)?;
    let viewer = Viewer::of(call)?;
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    let (entries, total) = timeline::comments(
        call.db,
        call.caller,
        &def,
        record_id,
        start.unwrap_or(0),
        values::PAGE + 1,
        descending,
    )?;
    let rows = entries
        .iter()
        .map(|entry| {
            let mut comment = comment_json(&viewer, entry);
            if let (Some(keep), Json::Object(map)) = (&keep, &mut comment) {
                map.retain(|key, _| keep.contains(key));
            }
            comment
        })
        .collect();
    Ok(values::page_reply(rows, start, Some(total)))
}

fn comment_update(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let fields = fields_param(call)?;
    refuse_unkept(call, fields)?;
    for fixed in ["ENTITY_ID", "ENTITY_TYPE"] {
        if field(fields, fixed).is_some() {
            return Err(RestError::invalid_arg(format!("{fixed} cannot be changed")));
        }
    }
    let text = text_of(fields)?;
    timeline::edit_comment(call.db, call.caller, id, text).map_err(|e| named_error(e, COMMENT_FIELDS))?;
    Ok(Reply::of(Json::Bool(true)))
}

fn comment_delete(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    timeline::delete_comment(call.db, call.caller, id)?;
    Ok(Reply::of(Json::Bool(true)))
}
