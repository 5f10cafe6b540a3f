//! Stopping and undoing an import: [`cancel`] stops it before its next step; [`rollback`]
//! deletes the records it created, newest first, a batch per call through the record engine's
//! delete (its hooks, link entries and `deleted` timeline entries), each batch with the
//! import's state in one transaction (`rolling_back` until nothing is left, then
//! `rolled_back`). Updated records are not reverted. Undoing an import is part of the right to
//! import: the records are the import's own, so the role's `import` permission on the entity is
//! what it needs.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::job;
use super::run::refusal;
use crate::acl::Caller;
use crate::db::{Db, transaction};
use crate::error::CoreError;
use crate::records::{EntityDef, service, store};

/// Records a rollback call deletes at most.
pub const ROLLBACK_BATCH: i64 = 500;

/// `POST /api/imports/<id>/cancel`: a ready or running import becomes `cancelled`.
pub fn cancel(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    transaction(db, |db| {
        let (mut import, _) = job::load(db, caller, id)?;
        match import.status.as_str() {
            "cancelled" => return Ok(import.json(None)),
            "ready" | "running" => {}
            other => return Err(CoreError::Conflict(format!("the import is {other}"))),
        }
        import.status = "cancelled".into();
        job::save_progress(db, &import)?;
        import.version += 1;
        Ok(import.json(None))
    })
}

/// `POST /api/imports/<id>/rollback`: deletes the next batch of the records the import created.
pub fn rollback(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    transaction(db, |db| {
        let (mut import, _) = job::load(db, caller, id)?;
        if import.status == "rolled_back" {
            return Ok(import.json(None));
        }
        let rows = db.query(
            "SELECT seq, entity, record_id FROM import_records WHERE import_id = ? AND action = 'created' AND undo IS NULL \
             ORDER BY seq DESC LIMIT ?",
            &[id.into(), (ROLLBACK_BATCH + 1).into()],
        )?;
        let mut defs: HashMap<String, EntityDef> = HashMap::new();
        for row in rows.iter().take(ROLLBACK_BATCH as usize) {
            let seq = row.i64("seq").unwrap_or_default();
            let entity = row.str("entity").unwrap_or_default().to_string();
            let record_id = row.i64("record_id").unwrap_or_default();
            if !defs.contains_key(&entity) {
                defs.insert(entity.clone(), EntityDef::load_for(db, caller, &entity)?);
            }
            let def = &defs[&entity];
            let outcome = match store::load(db, def, record_id)? {
                None => "removed",
                Some(values) => match transaction(db, |db| service::remove(db, caller, def, record_id, values)) {
                    Ok(()) => "removed",
                    Err(e) if refusal(&e).is_some() => "kept",
                    Err(e) => return Err(e),
                },
            };
            if outcome == "removed" {
                import.removed += 1;
            } else {
                import.kept += 1;
            }
            db.execute(
                "UPDATE import_records SET undo = ? WHERE import_id = ? AND seq = ?",
                &[outcome.into(), id.into(), seq.into()],
            )?;
        }
        import.status = if rows.len() as i64 > ROLLBACK_BATCH {
            "rolling_back"
        } else {
            "rolled_back"
        }
        .into();
        job::save_progress(db, &import)?;
        import.version += 1;
        Ok(import.json(None))
    })
}
