-- 0025: import jobs (issue 18), read and written by crm_core::io::imports.
-- An import belongs to the user who uploaded it (`owner_id`) and fills one record `entity`.
-- `settings` holds what the caller fixed for reading the file (encoding, delimiter, header,
-- sheet); `detected` what reading found (format, encoding, delimiter, header, sheets, sheet,
-- columns); `mapping` the column -> field targets; `position` the number of data rows already
-- processed, in file order, kept in the same transaction as the rows' records, so a step that
-- fails changes nothing and a retry continues exactly there.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'ready'
        CHECK (status IN ('ready', 'running', 'done', 'cancelled', 'rolling_back', 'rolled_back')),
    settings TEXT NOT NULL DEFAULT '{}',
    detected TEXT NOT NULL DEFAULT '{}',
    mapping TEXT NOT NULL DEFAULT '[]',
    duplicate_mode TEXT NOT NULL DEFAULT 'skip' CHECK (duplicate_mode IN ('skip', 'update', 'create')),
    match_by TEXT NOT NULL DEFAULT '["emails","phones"]',
    file_bytes INTEGER NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    linked_created INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    kept INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX imports_owner ON imports(owner_id, id);

-- The file as uploaded, in parts of at most 1 MiB (a changed read setting reads it again).
CREATE TABLE import_file_parts (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    part INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (import_id, part)
) WITHOUT ROWID;

-- The file read into rows, in chunks of consecutive rows (`first_row` is the 0-based index of
-- the chunk's first data row; `rows` a JSON array of [line, [cells...], error-or-null]), so a
-- step reads only the chunks that hold its rows.
CREATE TABLE import_row_chunks (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    rows TEXT NOT NULL,
    PRIMARY KEY (import_id, first_row)
) WITHOUT ROWID;

-- Every record an import created or updated (`row` the 0-based data row; a company created
-- for a reference has `linked = 1`), in the step's transaction: rollback deletes the created
-- ones (newest first) and sets `undo` to `removed` (or `kept` when the engine refuses).
CREATE TABLE import_records (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    row INTEGER NOT NULL,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('created', 'updated')),
    linked INTEGER NOT NULL DEFAULT 0 CHECK (linked IN (0, 1)),
    undo TEXT CHECK (undo IN ('removed', 'kept')),
    PRIMARY KEY (import_id, seq)
) WITHOUT ROWID;
CREATE INDEX import_records_pending_removal ON import_records(import_id, seq) WHERE action = 'created' AND undo IS NULL;

-- The rows an import rejected, with the original cells and the reason (JSON field errors).
CREATE TABLE import_rejected (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    row INTEGER NOT NULL,
    line INTEGER NOT NULL,
    cells TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID;
