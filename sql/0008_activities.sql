-- 0008: activities (calls, meetings, tasks and logged e-mails) bound to leads, contacts,
-- companies and deals, and the per-user calendar feed tokens. `activities` is a record table
-- of the record engine (columns named like the fields of `entities/activity.rs`); times are
-- unix seconds (UTC), `bindings` is the JSON list `[{"entity", "id"}]`, mirrored row by row in
-- `activity_bindings` so "the activities of lead 5" and merges read an index.

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT,
    direction TEXT,
    start_at INTEGER,
    end_at INTEGER,
    deadline INTEGER,
    remind_at INTEGER,
    priority TEXT,
    completed INTEGER NOT NULL DEFAULT 0,
    completed_at INTEGER,
    result TEXT,
    bindings TEXT,
    responsible_id INTEGER REFERENCES users(id),
    opened INTEGER NOT NULL DEFAULT 0,
    custom TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
-- "My open activities by deadline" (and the calendar feed: one user's activities).
CREATE INDEX activities_my ON activities(responsible_id, completed, deadline, id);
CREATE INDEX activities_responsible ON activities(responsible_id, id);
CREATE INDEX activities_updated ON activities(updated_at, id);
CREATE INDEX activities_opened ON activities(id) WHERE opened = 1;

-- One row per (activity, bound record); kept in step with `activities.bindings` by the
-- activity hooks and by merges.
CREATE TABLE activity_bindings (
    activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (activity_id, entity, record_id)
) WITHOUT ROWID;
CREATE INDEX activity_bindings_record ON activity_bindings(entity, record_id);

-- Full-text search over subject and description (the `q` of lists).
CREATE VIRTUAL TABLE activities_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

-- One calendar feed token per user (`cal_<user_id>_<secret>`), stored as the hex SHA-256 of the
-- secret; issuing a new one replaces the old.
CREATE TABLE calendar_feeds (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
