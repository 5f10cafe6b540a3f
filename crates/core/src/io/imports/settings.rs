//! An import's settings: the read options (encoding, delimiter, header, sheet), the mapping,
//! the duplicate mode and what duplicates match by; read from the API's JSON with every bad
//! part named (`mapping[2].field`), and `PATCH /api/imports/<id>`, which changes them while
//! nothing has been imported (a changed read option reads the stored file again).

use serde_json::{Map, Value as Json, json};

use super::files;
use super::job::{self, Import};
use crate::acl::Caller;
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::io::cells::read::resolve;
use crate::io::mapping::Target;
use crate::io::{Format, ReadOptions, Table};
use crate::records::EntityDef;
use crate::records::fields::{Comparable, FieldKind};
use crate::records::values::ListKind;

/// The duplicate modes.
pub const DUPLICATE_MODES: &[&str] = &["skip", "update", "create"];

/// What duplicates match by unless the caller says otherwise.
pub const DEFAULT_MATCH_BY: &[&str] = &["emails", "phones"];

/// The read settings a request may give.
pub const READ_KEYS: &[&str] = &["encoding", "delimiter", "header", "sheet"];

/// The API JSON of a mapping.
pub fn mapping_json(targets: &[Target]) -> Json {
    Json::Array(
        targets
            .iter()
            .map(|t| {
                let mut item = json!({ "column": t.column, "field": t.field });
                if let Some(kind) = &t.r#type {
                    item["type"] = json!(kind);
                }
                if let Some(column) = t.type_column {
                    item["type_column"] = json!(column);
                }
                item
            })
            .collect(),
    )
}

/// A stored mapping (already checked when it was saved).
pub fn mapping_from_json(value: &Json) -> Vec<Target> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(Target {
                column: item["column"].as_u64()? as usize,
                field: item["field"].as_str()?.to_string(),
                r#type: item["type"].as_str().map(str::to_string),
                type_column: item["type_column"].as_u64().map(|c| c as usize),
            })
        })
        .collect()
}

/// Reads a mapping from the API: each target's column within the file's, its field one a row
/// may set, its type one of the list's types; a scalar field mapped once.
pub fn parse_mapping(def: &EntityDef, columns: usize, value: &Json) -> Result<Vec<Target>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(items) = value.as_array() else {
        errors.push("mapping", "invalid_type", "expected a list of {column, field}");
        return Err(errors);
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |part: &str| format!("mapping[{i}].{part}");
        let column = item["column"].as_u64().map(|c| c as usize);
        match column {
            Some(c) if c < columns => {}
            _ => errors.push(
                at("column"),
                "invalid_choice",
                format!("must be a column number from 0 to {}", columns.saturating_sub(1)),
            ),
        }
        let field = item["field"].as_str().unwrap_or_default();
        let resolved = resolve(def, field);
        let Some(resolved) = resolved else {
            let (code, message) = if def.field(field).is_some() || crate::records::store::META.contains(&field) {
                ("read_only", "cannot be imported")
            } else {
                ("unknown_field", "not a field of this record")
            };
            errors.push(at("field"), code, format!("{field:?} {message}"));
            continue;
        };
        let list = match resolved.field.kind {
            FieldKind::Phones => Some(ListKind::Phone),
            FieldKind::Emails => Some(ListKind::Email),
            FieldKind::Websites => Some(ListKind::Website),
            FieldKind::Messengers => Some(ListKind::Messenger),
            _ => None,
        };
        let kind = item["type"].as_str().map(str::to_string);
        if let Some(kind) = &kind
            && !list.is_some_and(|l| l.types().contains(&kind.as_str()))
        {
            errors.push(at("type"), "invalid_choice", "not a type of this field");
        }
        let type_column = item["type_column"].as_u64().map(|c| c as usize);
        if type_column.is_some_and(|c| c >= columns || list.is_none()) {
            errors.push(at("type_column"), "invalid_choice", "not a column of this file");
        }
        let key = match resolved.part {
            Some(part) => format!("{}.{part}", resolved.field.name),
            None => resolved.field.name.clone(),
        };
        if list.is_none() && out.iter().any(|t: &Target| t.field == key) {
            errors.push(at("field"), "duplicate", format!("{key:?} is mapped twice"));
        }
        out.push(Target {
            column: column.unwrap_or_default(),
            field: key,
            r#type: kind,
            type_column,
        });
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Reads `match_by`: a list of `emails`/`phones`, or one field key whose values compare.
pub fn parse_match_by(def: &EntityDef, value: &Json) -> Result<Vec<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let keys: Vec<String> = match value {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    let channels = keys.iter().all(|k| DEFAULT_MATCH_BY.contains(&k.as_str()));
    let ok = !keys.is_empty()
        && (channels && def.field("emails").is_some()
            || keys.len() == 1
                && def
                    .field(&keys[0])
                    .is_some_and(|f| !f.multiple && matches!(f.comparable(), Comparable::Text | Comparable::Ordered)));
    if !ok {
        errors.push(
            "match_by",
            "invalid_choice",
            "must be a list of emails and phones, or one field whose values compare",
        );
        return Err(errors);
    }
    Ok(keys)
}

/// The read options of the stored settings.
pub fn read_options(settings: &Json) -> ReadOptions {
    ReadOptions {
        format: None,
        encoding: settings["encoding"].as_str().map(str::to_string),
        delimiter: settings["delimiter"].as_str().and_then(|d| d.chars().next()),
        header: settings["header"].as_bool(),
        sheet: settings["sheet"].as_str().map(str::to_string),
    }
}

/// Reads the read settings of a request into `settings` (`delimiter` one character, `tab` or
/// `\t`; `header` a boolean or `true`/`false` text), naming each bad one.
pub fn merge_read_settings(settings: &mut Map<String, Json>, given: &[(String, Json)], errors: &mut FieldErrors) {
    for (key, value) in given {
        let value = match (key.as_str(), value) {
            (_, Json::Null) => Json::Null,
            ("encoding" | "sheet", Json::String(s)) if !s.trim().is_empty() => json!(s.trim()),
            ("delimiter", Json::String(s)) => match s.as_str() {
                "tab" | "\\t" | "\t" => json!("\t"),
                s if s.chars().count() == 1 => json!(s),
                _ => {
                    errors.push("delimiter", "invalid_choice", "must be one character (or tab)");
                    continue;
                }
            },
            ("header", Json::Bool(b)) => json!(b),
            ("header", Json::String(s)) if s == "true" || s == "false" => json!(s == "true"),
            (key, _) => {
                errors.push(key, "invalid_type", "not a valid value");
                continue;
            }
        };
        if value.is_null() {
            settings.remove(key);
        } else {
            settings.insert(key.clone(), value);
        }
    }
}

/// The detected JSON of a table.
pub fn detected_json(table: &Table) -> Json {
    json!({
        "format": table.format.as_str(),
        "encoding": table.encoding,
        "delimiter": table.delimiter.map(|d| d.to_string()),
        "header": table.header,
        "sheets": table.sheets,
        "sheet": table.sheet,
        "columns": table.columns,
    })
}

/// `PATCH /api/imports/<id>`: changes the settings while nothing was imported (409 after),
/// with `If-Match` (412 when stale). Unknown keys and bad values are a 422 naming each.
pub fn update(db: &dyn Db, caller: &Caller, id: i64, body: &Json, if_match: Option<i64>) -> Result<Json, CoreError> {
    let Some(body) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    transaction(db, |db| {
        let (import, def) = job::load(db, caller, id)?;
        if if_match.is_some_and(|v| v != import.version) {
            return Err(CoreError::Stale);
        }
        if !import.untouched() {
            return Err(CoreError::Conflict(
                "the import has started; its settings can no longer change".into(),
            ));
        }
        let mut errors = FieldErrors::new();
        let mut read_given = Vec::new();
        for (key, value) in body {
            if READ_KEYS.contains(&key.as_str()) {
                read_given.push((key.clone(), value.clone()));
            } else if !["mapping", "duplicate_mode", "match_by"].contains(&key.as_str()) {
                errors.push(key.clone(), "unknown_field", "not a setting of an import");
            }
        }
        let mut settings = import.settings.as_object().cloned().unwrap_or_default();
        merge_read_settings(&mut settings, &read_given, &mut errors);
        let duplicate_mode = match body.get("duplicate_mode") {
            None => import.duplicate_mode.clone(),
            Some(Json::String(mode)) if DUPLICATE_MODES.contains(&mode.as_str()) => mode.clone(),
            Some(_) => {
                errors.push("duplicate_mode", "invalid_choice", "must be skip, update or create");
                String::new()
            }
        };
        let match_by = match body.get("match_by") {
            None => import.match_by.clone(),
            Some(value) => parse_match_by(&def, value).unwrap_or_else(|e| {
                errors.0.extend(e.0);
                Vec::new()
            }),
        };
        let settings = Json::Object(settings);
        let mut detected = import.detected.clone();
        let mut rows = import.rows;
        let reread = errors.is_empty() && !read_given.is_empty() && settings != import.settings;
        let mut columns = import.columns();
        if reread {
            let bytes = files::load_file(db, id)?;
            let mut options = read_options(&settings);
            options.format = format_of(&import.detected);
            let table = crate::io::read(&bytes, Some(&import.file_name), &options)?;
            files::save_rows(db, id, &table.rows)?;
            detected = detected_json(&table);
            rows = table.rows.len() as i64;
            columns = table.columns.clone();
        }
        let mapping = match body.get("mapping") {
            Some(value) => parse_mapping(&def, columns.len(), value).unwrap_or_else(|e| {
                errors.0.extend(e.0);
                Vec::new()
            }),
            None if reread && columns != import.columns() => crate::io::mapping::guess(&def, &columns),
            None => import.mapping.clone(),
        };
        errors.into_result()?;
        db.execute(
            "UPDATE imports SET settings = ?, detected = ?, rows = ?, mapping = ?, duplicate_mode = ?, match_by = ?, \
             version = version + 1, updated_at = ? WHERE id = ?",
            &[
                settings.to_string().into(),
                detected.to_string().into(),
                rows.into(),
                mapping_json(&mapping).to_string().into(),
                duplicate_mode.into(),
                json!(match_by).to_string().into(),
                crate::clock::now().into(),
                id.into(),
            ],
        )?;
        super::get(db, caller, id)
    })
}

/// The format reading found (kept when the file is read again).
pub fn format_of(detected: &Json) -> Option<Format> {
    Format::parse(detected["format"].as_str()?)
}

/// Whether an import is in a state that takes steps.
pub fn runnable(import: &Import) -> bool {
    matches!(import.status.as_str(), "ready" | "running")
}
