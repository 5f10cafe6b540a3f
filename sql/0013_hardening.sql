-- 0013: hardening found by an adversarial probe (issue 10).

-- Companies declare `messengers` (like leads and contacts) but the table never had the column:
-- every create, update and filter on it failed.
ALTER TABLE companies ADD COLUMN messengers TEXT;

-- Sessions carry the epoch of their user at login; deactivating a user bumps it (and revokes
-- their API tokens), so credentials minted before a deactivation stay dead after reactivation.
ALTER TABLE users ADD COLUMN credentials_epoch INTEGER NOT NULL DEFAULT 0;

-- Fixed-window rate counters, counted by ONE upsert statement each (atomic in SQLite, so
-- concurrent requests cannot exceed a limit). `period` is when the current window began (unix
-- seconds); a row is reset when a new window starts and pruned a day later.
CREATE TABLE rate_counters (
    key TEXT PRIMARY KEY,
    period INTEGER NOT NULL,
    count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_counters_period ON rate_counters(period);
