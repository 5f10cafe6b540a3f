//! The rows of an import through the record engine: [`step`] takes the next chunk in ONE
//! transaction together with the import's position and counts (a failed step changes nothing,
//! a retry continues exactly where the last commit left off), [`dry_run`] does the same work
//! inside a transaction it always rolls back and reports row by row.
//!
//! Each row: the mapped cells become the engine's JSON (`io::cells::read`); a duplicate is
//! looked for unless the mode is `create` (`matching`); then `service::create` or
//! `service::write_update` as the caller, so validation, ACL, hooks and the timeline apply.
//! What the engine refuses (422, 403, 404, 409) makes the row a rejected row with the engine's
//! errors as its reason and leaves nothing of it behind: a create that is one guarded
//! `INSERT` undoes itself, and a row that writes more (a company created for it, an update
//! with its timeline) runs in a savepoint. Anything else (the database failing) fails the step.

use serde_json::{Map, Value as Json, json};

use super::files::{self, StoredRow};
use super::job::{self, Counts, Import};
use super::matching::{self, Channels, Key};
use super::settings::runnable;
use crate::acl::{Action, Caller};
use crate::db::{Db, DbError, Value, transaction};
use crate::error::CoreError;
use crate::io::cells::read::{ReadRow, Reader};
use crate::records::fields::Access;
use crate::records::{EntityDef, Values, access, input, service, store};

/// Rows a step takes unless the request says.
pub const DEFAULT_STEP_ROWS: i64 = 2000;
/// Most rows one step may take.
pub const MAX_STEP_ROWS: i64 = 5000;
/// Most rows one dry run may take.
pub const MAX_DRY_RUN_ROWS: i64 = 2000;
/// Rows per multi-row `INSERT` of the step's logs.
const BATCH: usize = 100;

/// `POST /api/imports/<id>/step[?rows=]`: the next `rows` data rows, in one transaction.
pub fn step(db: &dyn Db, caller: &Caller, id: i64, rows: Option<i64>) -> Result<Json, CoreError> {
    let rows = rows.unwrap_or(DEFAULT_STEP_ROWS);
    if !(1..=MAX_STEP_ROWS).contains(&rows) {
        return Err(CoreError::BadRequest(format!("rows must be from 1 to {MAX_STEP_ROWS}")));
    }
    transaction(db, |db| {
        let (mut import, def) = job::load(db, caller, id)?;
        if import.status == "done" {
            return Ok(import.json(None));
        }
        if !runnable(&import) {
            return Err(CoreError::Conflict(format!("the import is {}", import.status)));
        }
        let stored = files::load_rows(db, id, import.position, rows)?;
        let mut run = Run::new(db, caller, &def, &import, false);
        run.rows(&stored)?;
        run.flush()?;
        let counts = run.counts;
        drop(run);
        import.position += stored.len() as i64;
        import.counts = add(import.counts, counts);
        import.status = if import.position >= import.rows {
            "done"
        } else {
            "running"
        }
        .into();
        job::save_progress(db, &import)?;
        import.version += 1;
        Ok(import.json(None))
    })
}

/// `POST /api/imports/<id>/dry-run[?offset=&limit=]`: what the rows would do, row by row, with
/// the counts; writes nothing.
pub fn dry_run(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    offset: Option<i64>,
    limit: Option<i64>,
) -> Result<Json, CoreError> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(100);
    if offset < 0 {
        return Err(CoreError::BadRequest("offset must not be negative".into()));
    }
    if !(1..=MAX_DRY_RUN_ROWS).contains(&limit) {
        return Err(CoreError::BadRequest(format!(
            "limit must be from 1 to {MAX_DRY_RUN_ROWS}"
        )));
    }
    let result = transaction(db, |db| -> Result<(), DryRun> {
        let (import, def) = job::load(db, caller, id).map_err(DryRun::Failed)?;
        let stored = files::load_rows(db, id, offset, limit).map_err(DryRun::Failed)?;
        let mut run = Run::new(db, caller, &def, &import, true);
        run.rows(&stored).map_err(DryRun::Failed)?;
        Err(DryRun::Done(json!({
            "id": import.id,
            "offset": offset,
            "items": run.outcomes,
            "counts": run.counts.json(),
        })))
    });
    match result {
        Err(DryRun::Done(answer)) => Ok(answer),
        Err(DryRun::Failed(e)) => Err(e),
        Err(DryRun::Db(e)) => Err(e.into()),
        Ok(()) => Err(CoreError::Internal("a dry run committed".into())),
    }
}

/// How a dry run leaves its always-rolled-back transaction.
enum DryRun {
    Done(Json),
    Failed(CoreError),
    Db(DbError),
}

impl From<DbError> for DryRun {
    fn from(e: DbError) -> DryRun {
        DryRun::Db(e)
    }
}

fn add(a: Counts, b: Counts) -> Counts {
    Counts {
        created: a.created + b.created,
        updated: a.updated + b.updated,
        skipped: a.skipped + b.skipped,
        failed: a.failed + b.failed,
        linked_created: a.linked_created + b.linked_created,
    }
}

/// The engine's refusal of a row as its reason (`[{field, code, message}]`), or `None` for a
/// failure that must fail the step.
pub fn refusal(error: &CoreError) -> Option<Json> {
    let one = |code: &str, message: &str| Some(json!([{ "field": "", "code": code, "message": message }]));
    match error {
        CoreError::Validation(errors) => Some(Json::Array(
            errors
                .iter()
                .map(|e| json!({ "field": e.field, "code": e.code, "message": e.message }))
                .collect(),
        )),
        CoreError::Forbidden => one("forbidden", "you may not write this record"),
        CoreError::ForbiddenBecause(why) => one("forbidden", why),
        CoreError::NotFound => one("not_found", "a record it names does not exist or is hidden from you"),
        CoreError::Conflict(why) | CoreError::BadRequest(why) => one("conflict", why),
        CoreError::Stale => one("conflict", "the record changed meanwhile"),
        _ => None,
    }
}

/// A record created for a row's reference: its entity, id and title.
type Made = (&'static str, i64, String);

/// A written record, for the import's log and timeline.
struct Written {
    row: i64,
    entity: &'static str,
    id: i64,
    action: &'static str,
    linked: bool,
}

/// One step's (or dry run's) work and what it found.
struct Run<'a> {
    db: &'a dyn Db,
    caller: &'a Caller,
    def: &'a EntityDef,
    import: &'a Import,
    reader: Reader<'a>,
    dry: bool,
    counts: Counts,
    written: Vec<Written>,
    rejected: Vec<(i64, i64, Vec<String>, Json)>,
    outcomes: Vec<Json>,
    linked_defs: Vec<EntityDef>,
    channels: Channels,
}

impl<'a> Run<'a> {
    fn new(db: &'a dyn Db, caller: &'a Caller, def: &'a EntityDef, import: &'a Import, dry: bool) -> Run<'a> {
        Run {
            db,
            caller,
            def,
            import,
            reader: Reader::new(db, caller, def),
            dry,
            counts: Counts::default(),
            written: Vec::new(),
            rejected: Vec::new(),
            outcomes: Vec::new(),
            linked_defs: Vec::new(),
            channels: Channels::default(),
        }
    }

    /// The rows in order: all read first (one pass of look-ups), their channels looked up in
    /// a few statements, then each matched and written.
    fn rows(&mut self, rows: &[StoredRow]) -> Result<(), CoreError> {
        let mapping = &self.import.mapping;
        let reads: Vec<Option<Result<ReadRow, CoreError>>> = rows
            .iter()
            .map(|row| row.error.is_none().then(|| self.reader.read(mapping, &row.cells)))
            .collect();
        let matching = self.import.duplicate_mode != "create";
        let keys: Vec<Vec<Key>> = reads
            .iter()
            .map(|read| match read {
                Some(Ok(read)) if matching => matching::keys(self.def, &self.import.match_by, &read.body),
                _ => Vec::new(),
            })
            .collect();
        if matching {
            self.channels = Channels::load(self.db, self.def, &keys.concat())?;
        }
        for ((row, read), keys) in rows.iter().zip(reads).zip(keys) {
            self.row(row, read, &keys)?;
        }
        Ok(())
    }

    /// One row: match, write, or reject.
    fn row(
        &mut self,
        row: &StoredRow,
        read: Option<Result<ReadRow, CoreError>>,
        keys: &[Key],
    ) -> Result<(), CoreError> {
        let read = match (read, &row.error) {
            (_, Some(error)) => {
                return self.reject(row, json!([{ "field": "row", "code": "malformed", "message": error }]));
            }
            (Some(Ok(read)), None) => read,
            (Some(Err(e)), None) => return self.refused(row, e),
            (None, None) => return Err(CoreError::Internal("a row without its reading".into())),
        };
        if read.body.is_empty() && read.pending.is_empty() {
            return self.reject(
                row,
                json!([{ "field": "row", "code": "empty", "message": "every mapped cell is empty" }]),
            );
        }
        let found = match self.import.duplicate_mode.as_str() {
            "create" => None,
            _ => matching::find(
                self.db,
                self.caller,
                self.def,
                &self.import.match_by,
                &read.body,
                &self.channels,
                keys,
            )?,
        };
        match (self.import.duplicate_mode.as_str(), found) {
            ("skip", Some((id, _))) => {
                self.counts.skipped += 1;
                self.outcome(row, "skip", Some(id), None);
                Ok(())
            }
            ("update", Some((id, before))) => self.update(row, read, id, before, keys),
            _ => self.create(row, read, keys),
        }
    }

    fn outcome(&mut self, row: &StoredRow, action: &str, record_id: Option<i64>, errors: Option<Json>) {
        if !self.dry {
            return;
        }
        let mut item = json!({ "row": row.index + 1, "line": row.line, "action": action });
        if let Some(id) = record_id {
            item["record_id"] = json!(id);
        }
        if let Some(errors) = errors {
            item["errors"] = errors;
        }
        self.outcomes.push(item);
    }

    fn reject(&mut self, row: &StoredRow, errors: Json) -> Result<(), CoreError> {
        self.counts.failed += 1;
        self.outcome(row, "error", None, Some(errors.clone()));
        self.rejected.push((row.index, row.line, row.cells.clone(), errors));
        Ok(())
    }

    fn refused(&mut self, row: &StoredRow, error: CoreError) -> Result<(), CoreError> {
        match refusal(&error) {
            Some(errors) => self.reject(row, errors),
            None => Err(error),
        }
    }

    fn def_of(&mut self, entity: &'static str) -> Result<EntityDef, CoreError> {
        if let Some(def) = self.linked_defs.iter().find(|d| d.name == entity) {
            return Ok(def.clone());
        }
        let def = EntityDef::load_for(self.db, self.caller, entity)?;
        self.linked_defs.push(def.clone());
        Ok(def)
    }

    /// Creates the records a row names that do not exist yet, puts their ids into the body.
    fn create_pending(&mut self, db: &dyn Db, read: &mut ReadRow) -> Result<Vec<Made>, CoreError> {
        let mut made = Vec::new();
        for pending in &read.pending {
            // A record an earlier row of the step created meanwhile.
            if let Some(id) = self.reader.remembered(pending.entity, &pending.title) {
                put_id(self.def, &mut read.body, &pending.field, id);
                continue;
            }
            let def = self.def_of(pending.entity)?;
            let record = service::create(db, self.caller, &def, &json!({ "title": pending.title }))?;
            let id = record["id"].as_i64().unwrap_or_default();
            put_id(self.def, &mut read.body, &pending.field, id);
            made.push((pending.entity, id, pending.title.clone()));
        }
        Ok(made)
    }

    fn create(&mut self, row: &StoredRow, mut read: ReadRow, keys: &[Key]) -> Result<(), CoreError> {
        let def = self.def;
        let caller = self.caller;
        let result = if read.pending.is_empty() {
            service::create(self.db, caller, def, &Json::Object(read.body.clone())).map(|r| (r, Vec::new()))
        } else {
            transaction(self.db, |db| {
                let made = self.create_pending(db, &mut read)?;
                let record = service::create(db, caller, def, &Json::Object(read.body.clone()))?;
                Ok((record, made))
            })
        };
        match result {
            Ok((record, made)) => {
                let id = record["id"].as_i64().unwrap_or_default();
                self.linked(row, made);
                self.channels.add(keys, id);
                self.counts.created += 1;
                self.outcome(row, "create", None, None);
                self.written.push(Written {
                    row: row.index,
                    entity: def.name,
                    id,
                    action: "created",
                    linked: false,
                });
                Ok(())
            }
            Err(e) => self.refused(row, e),
        }
    }

    fn linked(&mut self, row: &StoredRow, made: Vec<Made>) {
        for (entity, id, title) in made {
            self.reader.remember(entity, &title, id);
            self.counts.linked_created += 1;
            self.written.push(Written {
                row: row.index,
                entity,
                id,
                action: "created",
                linked: true,
            });
        }
    }

    fn update(
        &mut self,
        row: &StoredRow,
        mut read: ReadRow,
        id: i64,
        before: Values,
        keys: &[Key],
    ) -> Result<(), CoreError> {
        let def = self.def;
        let caller = self.caller;
        let result = transaction(self.db, |db| {
            if let Err(e) = access::load_checked(db, caller, def, id, Action::Update) {
                let why = format!("matches {} {id}, which you may not update", def.name);
                return Err(match e {
                    CoreError::Forbidden | CoreError::NotFound => CoreError::ForbiddenBecause(why),
                    other => other,
                });
            }
            let made = self.create_pending(db, &mut read)?;
            let body = merged_body(def, &before, read.body.clone());
            let parsed = input::parse(def, &Json::Object(body), &def.parse, false)?;
            let mut after = before.clone();
            after.extend(parsed.values);
            service::write_update(db, caller, def, id, &before, after, &parsed.refs)?;
            Ok(made)
        });
        match result {
            Ok(made) => {
                self.linked(row, made);
                self.channels.add(keys, id);
                self.counts.updated += 1;
                self.outcome(row, "update", Some(id), None);
                self.written.push(Written {
                    row: row.index,
                    entity: def.name,
                    id,
                    action: "updated",
                    linked: false,
                });
                Ok(())
            }
            Err(e) => self.refused(row, e),
        }
    }

    /// Writes the step's log: the records written (with their `imported` timeline entries) and
    /// the rejected rows, a few multi-row statements.
    fn flush(&mut self) -> Result<(), CoreError> {
        let import_id = self.import.id;
        let base = self
            .db
            .query(
                "SELECT COALESCE(MAX(seq), -1) + 1 AS next FROM import_records WHERE import_id = ?",
                &[import_id.into()],
            )?
            .first_i64()
            .unwrap_or_default();
        let now = crate::clock::now();
        let actor = self.caller.user_id;
        for (n, batch) in self.written.chunks(BATCH).enumerate() {
            let mut params: Vec<Value> = Vec::new();
            let mut timeline: Vec<Value> = Vec::new();
            for (i, w) in batch.iter().enumerate() {
                let seq = base + (n * BATCH + i) as i64;
                params.extend([
                    import_id.into(),
                    seq.into(),
                    w.row.into(),
                    w.entity.into(),
                    w.id.into(),
                    w.action.into(),
                    i64::from(w.linked).into(),
                ]);
                let payload = json!({
                    "import_id": import_id,
                    "file_name": self.import.file_name,
                    "action": w.action,
                });
                timeline.extend([
                    w.entity.into(),
                    w.id.into(),
                    "imported".into(),
                    actor.into(),
                    now.into(),
                    payload.to_string().into(),
                ]);
            }
            self.db.execute(
                &format!(
                    "INSERT INTO import_records (import_id, seq, row, entity, record_id, action, linked) VALUES {}",
                    marks(batch.len(), 7)
                ),
                &params,
            )?;
            self.db.execute(
                &format!(
                    "INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload) VALUES {}",
                    marks(batch.len(), 6)
                ),
                &timeline,
            )?;
        }
        for batch in self.rejected.chunks(BATCH) {
            let mut params: Vec<Value> = Vec::new();
            for (row, line, cells, reason) in batch {
                params.extend([
                    import_id.into(),
                    (*row).into(),
                    (*line).into(),
                    json!(cells).to_string().into(),
                    reason.to_string().into(),
                ]);
            }
            self.db.execute(
                &format!(
                    "INSERT INTO import_rejected (import_id, row, line, cells, reason) VALUES {}",
                    marks(batch.len(), 5)
                ),
                &params,
            )?;
        }
        Ok(())
    }
}

/// `(?, ?), (?, ?)` for `rows` rows of `columns` values.
fn marks(rows: usize, columns: usize) -> String {
    let one = format!("({})", vec!["?"; columns].join(", "));
    vec![one; rows].join(", ")
}

/// An update's body: fields set only on create dropped; lists (typed lists, linked records)
/// added to what the record has rather than replacing it.
fn merged_body(def: &EntityDef, before: &Values, mut body: Map<String, Json>) -> Map<String, Json> {
    let rendered = store::render(def, before);
    body.retain(|key, _| def.field(key).is_none_or(|f| f.access != Access::CreateOnly));
    for (key, value) in body.iter_mut() {
        let Some(new) = value.as_array() else { continue };
        let Some(old) = rendered.get(key).and_then(Json::as_array) else {
            continue;
        };
        let mut merged = old.clone();
        for item in new {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        *value = Json::Array(merged);
    }
    body
}

/// Puts a referenced record's id into the body's `field` (added to a list field).
fn put_id(def: &EntityDef, body: &mut Map<String, Json>, field: &str, id: i64) {
    let multiple = def.field(field).is_some_and(|f| f.multiple);
    let slot = body.entry(field.to_string()).or_insert(Json::Null);
    if multiple {
        if !slot.is_array() {
            *slot = json!([]);
        }
        if let Some(ids) = slot.as_array_mut() {
            ids.push(json!(id));
        }
    } else {
        *slot = json!(id);
    }
}
