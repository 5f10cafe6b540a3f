-- 0001: the first migration. Switches the database to write-ahead logging (readers never block
-- the writer) and creates a tiny key-value table so the schema is never empty.

-- Runs before the migration's transaction (SQLite refuses this PRAGMA inside one).
PRAGMA journal_mode=WAL;

CREATE TABLE app_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO app_meta (key, value) VALUES ('schema', 'crm');
