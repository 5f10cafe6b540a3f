//! Saved list views (`/api/views`): a named list query (filter, sort, `q`) and columns for one
//! entity, private to its owner or shared with everyone. The query is kept as the list's own
//! query string and checked by the list parser when saved, so a view can never hold an unknown
//! field or operator. Owners change and delete their views; a shared view is read-only to others.

use serde_json::{Value as Json, json};

use super::EntityDef;
use super::list::RecordQuery;
use crate::acl::Caller;
use crate::audit::ClientInfo;
use crate::db::{Db, Row, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{ListQuery, Page, Where, check_version};

/// Filters `GET /api/views` accepts.
pub const FILTERS: &[&str] = &["entity", "shared"];

const COLUMNS: &str = "id, entity, owner_id, name, query, columns, shared, version, created_at, updated_at";

fn record(row: &Row) -> Json {
    json!({
        "id": row.i64("id"),
        "entity": row.str("entity"),
        "owner_id": row.i64("owner_id"),
        "name": row.str("name"),
        "query": row.str("query"),
        "columns": row.str("columns").and_then(|c| serde_json::from_str::<Json>(c).ok()).unwrap_or(json!([])),
        "shared": row.i64("shared") == Some(1),
        "version": row.i64("version"),
        "created_at": row.i64("created_at").map(crate::clock::rfc3339),
        "updated_at": row.i64("updated_at").map(crate::clock::rfc3339),
    })
}

/// The caller's own views and every shared one.
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    let mut filter = Where::default();
    filter.and("(owner_id = ? OR shared = 1)", [caller.user_id.into()]);
    if let Some(entity) = query.filter("entity") {
        filter.and("entity = ?", [entity.into()]);
    }
    if let Some(shared) = query.filter_bool("shared")? {
        filter.and("shared = ?", [shared.into()]);
    }
    filter.page(db, &format!("SELECT {COLUMNS} FROM saved_views"), query, |row| {
        Ok(record(row))
    })
}

fn load(db: &dyn Db, caller: &Caller, id: i64) -> Result<(i64, i64, Json), CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM saved_views WHERE id = ? AND (owner_id = ? OR shared = 1)"),
        &[id.into(), caller.user_id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    Ok((
        row.i64("owner_id").unwrap_or_default(),
        row.i64("version").unwrap_or_default(),
        record(&row),
    ))
}

/// One view the caller owns or that is shared.
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    load(db, caller, id).map(|(_, _, r)| r)
}

struct Draft {
    entity: String,
    name: String,
    query: String,
    columns: Vec<String>,
    shared: bool,
}

fn read(db: &dyn Db, body: &Json, current: Option<&Json>) -> Result<Draft, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map
        .keys()
        .filter(|k| !["entity", "name", "query", "columns", "shared"].contains(&k.as_str()))
    {
        errors.push(key.clone(), "unknown_field", "not a writable field");
    }
    let pick = |key: &str| {
        map.get(key)
            .or_else(|| current.and_then(|c| c.get(key)))
            .filter(|v| !v.is_null())
    };
    let entity = pick("entity").and_then(Json::as_str).unwrap_or_default().to_string();
    if let (Some(current), Some(given)) = (current, map.get("entity"))
        && current.get("entity") != Some(given)
    {
        errors.push("entity", "immutable", "cannot change after the view is created");
    }
    let name = pick("name")
        .and_then(Json::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("name", "required", "a name of 1 to 100 characters is required");
    }
    let query = pick("query")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .trim_start_matches('?')
        .to_string();
    let columns: Vec<String> = match pick("columns") {
        None => Vec::new(),
        Some(Json::Array(items)) if items.iter().all(Json::is_string) => {
            items.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect()
        }
        Some(_) => {
            errors.push("columns", "invalid_type", "expected a list of field names");
            Vec::new()
        }
    };
    let shared = match pick("shared") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errors.push("shared", "invalid_type", "expected true or false");
            false
        }
    };
    match EntityDef::builtin(&entity) {
        None => errors.push(
            "entity",
            "invalid_choice",
            format!("must be {}", super::entity::names_text()),
        ),
        Some(_) => {
            let def = EntityDef::load(db, &entity)?;
            let cx = def.parse.clone();
            let pairs: Vec<(String, String)> = form_pairs(&query);
            if let Err(CoreError::BadRequest(message)) = RecordQuery::parse(&def, &pairs, &cx) {
                errors.push("query", "invalid_query", message);
            }
            if !columns.is_empty() {
                let fields = columns.join(",");
                if let Err(CoreError::BadRequest(message)) = RecordQuery::parse(&def, &[("fields".into(), fields)], &cx)
                {
                    errors.push("columns", "unknown_field", message);
                }
            }
        }
    }
    errors.into_result()?;
    Ok(Draft {
        entity,
        name,
        query,
        columns,
        shared,
    })
}

/// Decodes `a=1&b=2` (percent-encoding and `+` included) into pairs.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Saves a new view owned by the caller.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, _client: &ClientInfo) -> Result<Json, CoreError> {
    let draft = read(db, body, None)?;
    transaction(db, |db| {
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO saved_views (entity, owner_id, name, query, columns, shared, version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            &[
                draft.entity.as_str().into(),
                caller.user_id.into(),
                draft.name.as_str().into(),
                draft.query.as_str().into(),
                json!(draft.columns).to_string().into(),
                draft.shared.into(),
                now.into(),
                now.into(),
            ],
        )?;
        let id = db.last_insert_id()?;
        get(db, caller, id)
    })
}

/// Changes one of the caller's views (403 on someone else's shared view).
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    _client: &ClientInfo,
) -> Result<Json, CoreError> {
    transaction(db, |db| {
        let (owner, version, current) = load(db, caller, id)?;
        if owner != caller.user_id {
            return Err(CoreError::Forbidden);
        }
        check_version(version, if_match)?;
        let draft = read(db, body, Some(&current))?;
        db.execute(
            "UPDATE saved_views SET name = ?, query = ?, columns = ?, shared = ?, version = version + 1, updated_at = ? \
             WHERE id = ?",
            &[
                draft.name.as_str().into(),
                draft.query.as_str().into(),
                json!(draft.columns).to_string().into(),
                draft.shared.into(),
                crate::clock::now().into(),
                id.into(),
            ],
        )?;
        get(db, caller, id)
    })
}

/// Deletes one of the caller's views.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    _client: &ClientInfo,
) -> Result<(), CoreError> {
    transaction(db, |db| {
        let (owner, version, _) = load(db, caller, id)?;
        if owner != caller.user_id {
            return Err(CoreError::Forbidden);
        }
        check_version(version, if_match)?;
        db.execute("DELETE FROM saved_views WHERE id = ?", &[id.into()])?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_like_a_browser_sends_them() {
        assert_eq!(
            form_pairs("filter%5Bstatus%5D=NEW&q=%D0%B8%D0%B2%D0%B0%D0%BD+petrov&sort=-id"),
            vec![
                ("filter[status]".to_string(), "NEW".to_string()),
                ("q".to_string(), "иван petrov".to_string()),
                ("sort".to_string(), "-id".to_string()),
            ]
        );
    }
}
