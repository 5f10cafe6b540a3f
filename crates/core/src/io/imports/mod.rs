//! Import jobs (`/api/imports`): a file uploaded once ([`upload`]: read by `io::read`, its
//! rows stored in chunks, the mapping guessed by `io::mapping::guess`), its settings changed
//! while nothing is imported ([`settings::update`]), a [`run::dry_run`], then [`run::step`]s —
//! each the next chunk of rows through the record engine in ONE transaction with the import's
//! position and counts, so a failed step changes nothing and a retry neither repeats nor skips
//! a row — [`undo::cancel`], [`undo::rollback`] in steps, and the rejected rows as CSV
//! ([`rejected::csv`]). An import belongs to its uploader, and every call needs the role's
//! `import` permission on its entity; each row is written as the caller, so the records are
//! in the caller's scope and pass the engine's own checks.

pub mod files;
pub mod job;
pub mod matching;
pub mod multipart;
pub mod rejected;
pub mod run;
pub mod settings;
pub mod undo;
pub mod upload;

use serde_json::Value as Json;

use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;

pub use job::list;
pub use run::{dry_run, step};
pub use settings::update;
pub use undo::{cancel, rollback};
pub use upload::{MAX_FILE_BYTES, Upload, upload};

/// Rows shown as the preview.
pub const PREVIEW_ROWS: i64 = 20;

/// `GET /api/imports/<id>`: the import with its preview (the first rows' cells).
pub fn get(db: &dyn Db, caller: &Caller, id: i64) -> Result<Json, CoreError> {
    let (import, _) = job::load(db, caller, id)?;
    let preview = files::load_rows(db, id, 0, PREVIEW_ROWS)?
        .into_iter()
        .map(|r| r.cells)
        .collect();
    Ok(import.json(Some(preview)))
}
