-- Inbound REST webhooks (issue 19): `/rest/<user_id>/<token>/<method>` acts as `user_id`,
-- limited to `scopes` (a comma list: crm,user). Only the token's SHA-256 is stored; the
-- request finds its hook by (user, hash) and compares the hash again in constant time.
-- The leaky bucket of the rate limit lives on the row: `bucket` in thousandths of a request,
-- as it was at `bucket_at` (unix milliseconds); one guarded UPDATE drains, checks and adds.
CREATE TABLE rest_hooks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    bucket INTEGER NOT NULL DEFAULT 0,
    bucket_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rest_hooks_user ON rest_hooks(user_id);
