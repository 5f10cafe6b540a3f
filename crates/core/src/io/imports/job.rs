//! One import job as stored in `imports`: loading it for its owner (with the role's `import`
//! permission on its entity), its counts, and its API JSON.

use serde_json::{Value as Json, json};

use super::settings::{mapping_from_json, mapping_json};
use crate::acl::{Action, Caller};
use crate::db::{Db, Row};
use crate::error::CoreError;
use crate::io::ENTITIES;
use crate::io::mapping::Target;
use crate::records::EntityDef;

/// The engine's name of an API entity name (`contacts` -> `contact`).
pub fn entity_of(api: &str) -> Option<&'static str> {
    ENTITIES
        .iter()
        .find(|(plural, _)| *plural == api)
        .map(|(_, name)| *name)
}

/// The API's name of an engine entity (`contact` -> `contacts`).
pub fn api_name(entity: &str) -> &'static str {
    ENTITIES
        .iter()
        .find(|(_, name)| *name == entity)
        .map_or("", |(plural, _)| plural)
}

/// What an import did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records created from rows.
    pub created: i64,
    /// Records updated from rows (duplicate mode `update`).
    pub updated: i64,
    /// Rows skipped as duplicates.
    pub skipped: i64,
    /// Rows rejected (see the rejected rows).
    pub failed: i64,
    /// Records created for references (a company named by a contact row).
    pub linked_created: i64,
}

impl Counts {
    /// The API JSON.
    pub fn json(&self) -> Json {
        json!({
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "linked_created": self.linked_created,
        })
    }
}

/// An import as stored.
#[derive(Debug, Clone)]
pub struct Import {
    /// Its id.
    pub id: i64,
    /// The user who uploaded it.
    pub owner_id: i64,
    /// The engine's entity name.
    pub entity: &'static str,
    /// The uploaded file's name.
    pub file_name: String,
    /// `ready`, `running`, `done`, `cancelled`, `rolling_back`, `rolled_back`.
    pub status: String,
    /// The read settings the caller fixed.
    pub settings: Json,
    /// What reading found (format, encoding, delimiter, header, sheets, sheet, columns).
    pub detected: Json,
    /// The column -> field targets.
    pub mapping: Vec<Target>,
    /// `skip`, `update` or `create`.
    pub duplicate_mode: String,
    /// `emails`/`phones` or one field key.
    pub match_by: Vec<String>,
    /// Data rows in the file.
    pub rows: i64,
    /// Data rows processed.
    pub position: i64,
    /// What the rows did.
    pub counts: Counts,
    /// Records the rollback removed.
    pub removed: i64,
    /// Records the rollback had to keep (the engine refused their removal).
    pub kept: i64,
    /// Optimistic-lock version.
    pub version: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The columns every load reads.
pub const COLUMNS: &str = "id, owner_id, entity, file_name, status, settings, detected, mapping, duplicate_mode, \
     match_by, rows, position, created, updated, skipped, failed, linked_created, removed, kept, version, created_at, updated_at";

impl Import {
    fn from_row(row: &Row) -> Result<Import, CoreError> {
        let json = |column: &str| -> Json {
            row.str(column)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default()
        };
        let int = |column: &str| row.i64(column).unwrap_or_default();
        let entity = row.str("entity").unwrap_or_default();
        let entity = ENTITIES
            .iter()
            .map(|(_, name)| *name)
            .find(|name| *name == entity)
            .ok_or_else(|| CoreError::Internal(format!("import of unknown entity {entity:?}")))?;
        Ok(Import {
            id: int("id"),
            owner_id: int("owner_id"),
            entity,
            file_name: row.str("file_name").unwrap_or_default().to_string(),
            status: row.str("status").unwrap_or_default().to_string(),
            settings: json("settings"),
            detected: json("detected"),
            mapping: mapping_from_json(&json("mapping")),
            duplicate_mode: row.str("duplicate_mode").unwrap_or("skip").to_string(),
            match_by: json("match_by")
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            rows: int("rows"),
            position: int("position"),
            counts: Counts {
                created: int("created"),
                updated: int("updated"),
                skipped: int("skipped"),
                failed: int("failed"),
                linked_created: int("linked_created"),
            },
            removed: int("removed"),
            kept: int("kept"),
            version: int("version"),
            created_at: int("created_at"),
            updated_at: int("updated_at"),
        })
    }

    /// The header cells.
    pub fn columns(&self) -> Vec<String> {
        self.detected["columns"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default()
    }

    /// Whether nothing was imported yet (settings may change).
    pub fn untouched(&self) -> bool {
        self.status == "ready" && self.position == 0
    }

    /// The API JSON; `preview` is the first rows' cells when the answer shows them.
    pub fn json(&self, preview: Option<Vec<Vec<String>>>) -> Json {
        let d = &self.detected;
        let mut out = json!({
            "id": self.id,
            "entity": api_name(self.entity),
            "file_name": self.file_name,
            "status": self.status,
            "format": d["format"],
            "encoding": d["encoding"],
            "delimiter": d["delimiter"],
            "header": d["header"],
            "sheets": d["sheets"],
            "sheet": d["sheet"],
            "columns": d["columns"],
            "rows": self.rows,
            "mapping": mapping_json(&self.mapping),
            "duplicate_mode": self.duplicate_mode,
            "match_by": self.match_by,
            "counts": self.counts.json(),
            "position": self.position,
            "removed": self.removed,
            "kept": self.kept,
            "version": self.version,
            "created_at": crate::clock::rfc3339(self.created_at),
            "updated_at": crate::clock::rfc3339(self.updated_at),
        });
        if let Some(preview) = preview {
            out["preview"] = json!(preview);
        }
        out
    }
}

/// Loads import `id` of the caller (404 for anyone else's) and checks the caller may still
/// import its entity (403).
pub fn load(db: &dyn Db, caller: &Caller, id: i64) -> Result<(Import, EntityDef), CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM imports WHERE id = ? AND owner_id = ?"),
        &[id.into(), caller.user_id.into()],
    )?;
    let import = Import::from_row(&rows.first().ok_or(CoreError::NotFound)?)?;
    let def = EntityDef::load_for(db, caller, import.entity)?;
    caller.require(def.acl, Action::Import)?;
    Ok((import, def))
}

/// The caller's imports, newest first (at most 100).
pub fn list(db: &dyn Db, caller: &Caller) -> Result<Json, CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM imports WHERE owner_id = ? ORDER BY id DESC LIMIT 100"),
        &[caller.user_id.into()],
    )?;
    let items = rows
        .iter()
        .map(|r| Import::from_row(&r).map(|i| i.json(None)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "items": items }))
}

/// Saves the position, counts and status after a step (one statement, in the step's
/// transaction), bumping the version.
pub fn save_progress(db: &dyn Db, import: &Import) -> Result<(), CoreError> {
    let c = &import.counts;
    db.execute(
        "UPDATE imports SET status = ?, position = ?, created = ?, updated = ?, skipped = ?, failed = ?, \
         linked_created = ?, removed = ?, kept = ?, version = version + 1, updated_at = ? WHERE id = ?",
        &[
            import.status.as_str().into(),
            import.position.into(),
            c.created.into(),
            c.updated.into(),
            c.skipped.into(),
            c.failed.into(),
            c.linked_created.into(),
            import.removed.into(),
            import.kept.into(),
            crate::clock::now().into(),
            import.id.into(),
        ],
    )?;
    Ok(())
}
