-- 0003: responses to POSTs made with an Idempotency-Key, so a retry within 24 hours gets the
-- first response and creates nothing new (API.md "Methods"). Scope = caller and endpoint.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
