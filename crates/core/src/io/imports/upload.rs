//! `POST /api/imports`: a file becomes an import in `ready` state. The file is read once here
//! (format, encoding, delimiter and header detected or as given), its rows stored in chunks and
//! the bytes kept for a re-read; the mapping is guessed from the header. One transaction.

use serde_json::{Map, Value as Json, json};

use super::files;
use super::job::entity_of;
use super::settings::{self, DEFAULT_MATCH_BY, detected_json, mapping_json, merge_read_settings, read_options};
use crate::acl::{Action, Caller};
use crate::db::{Db, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;

/// Largest file an import takes (50 MiB); larger is a 413.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

/// Longest stored file name.
const MAX_FILE_NAME: usize = 255;

/// An upload: the query's (or form's) settings and the file.
#[derive(Debug, Default)]
pub struct Upload<'b> {
    /// `entity`, `file_name`, `encoding`, `delimiter`, `header`, `sheet` as text pairs.
    pub settings: Vec<(String, String)>,
    /// The file's name from a multipart part, if any.
    pub part_file_name: Option<String>,
    /// The file's bytes.
    pub bytes: &'b [u8],
}

/// Reads the file and stores a new import of the caller; returns it with its preview.
pub fn upload(db: &dyn Db, caller: &Caller, upload: &Upload) -> Result<Json, CoreError> {
    if upload.bytes.len() > MAX_FILE_BYTES {
        return Err(CoreError::TooLarge { limit: MAX_FILE_BYTES });
    }
    let mut errors = FieldErrors::new();
    let mut entity = None;
    let mut file_name = upload.part_file_name.clone();
    let mut read_given = Vec::new();
    for (key, value) in &upload.settings {
        match key.as_str() {
            "entity" => entity = Some(value.clone()),
            "file_name" => file_name = Some(value.clone()),
            "header" => read_given.push((key.clone(), json!(value))),
            k if settings::READ_KEYS.contains(&k) => read_given.push((key.clone(), json!(value))),
            _ => errors.push(key.clone(), "unknown_field", "not a setting of an import"),
        }
    }
    let name = entity.as_deref().and_then(entity_of);
    if name.is_none() {
        errors.push(
            "entity",
            "invalid_choice",
            "must be leads, contacts, companies, deals or products",
        );
    }
    let mut stored = Map::new();
    merge_read_settings(&mut stored, &read_given, &mut errors);
    let file_name: String = file_name
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_FILE_NAME)
        .collect();
    errors.into_result()?;
    let def = EntityDef::load_for(db, caller, name.unwrap_or_default())?;
    caller.require(def.acl, Action::Import)?;
    if upload.bytes.is_empty() {
        let mut errors = FieldErrors::new();
        errors.push("file", "required", "the file is empty");
        return Err(CoreError::Validation(errors));
    }
    let stored = Json::Object(stored);
    let table = crate::io::read(
        upload.bytes,
        Some(file_name.as_str()).filter(|n| !n.is_empty()),
        &read_options(&stored),
    )?;
    let mapping = crate::io::mapping::guess(&def, &table.columns);
    let now = crate::clock::now();
    let id = transaction(db, |db| {
        let id = db
            .write(
                "INSERT INTO imports (owner_id, entity, file_name, settings, detected, mapping, match_by, file_bytes, rows, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    caller.user_id.into(),
                    def.name.into(),
                    file_name.as_str().into(),
                    stored.to_string().into(),
                    detected_json(&table).to_string().into(),
                    mapping_json(&mapping).to_string().into(),
                    json!(DEFAULT_MATCH_BY).to_string().into(),
                    (upload.bytes.len() as i64).into(),
                    (table.rows.len() as i64).into(),
                    now.into(),
                    now.into(),
                ],
            )?
            .first_i64()
            .ok_or_else(|| CoreError::Internal("an import insert returned no id".into()))?;
        files::save_file(db, id, upload.bytes)?;
        files::save_rows(db, id, &table.rows)?;
        Ok::<_, CoreError>(id)
    })?;
    super::get(db, caller, id)
}
