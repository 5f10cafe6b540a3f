-- 0019: store orders become deals. An order source is one store's webhook (Shopify,
-- WooCommerce or the generic JSON format) with its signing secret, kept as the store gives it
-- (HMAC verification needs the secret itself; the API never shows it again, except a generated
-- one in the create answer). A rotated secret stays valid as `previous_secret` until
-- `previous_secret_expires_at`. A bad signature only counts on the source (no body is kept).
-- Every verified delivery is a row of order_inbox, written in the same transaction as what it
-- made (or with its error); deal_orders links a deal to (source, order id), unique, so
-- concurrent deliveries of one order make one deal, and keeps the order's last applied update
-- time, so an older update never rolls a newer one back.

CREATE TABLE order_sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shopify', 'woocommerce', 'generic')),
    public_key TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at INTEGER,
    rotation_grace_minutes INTEGER NOT NULL DEFAULT 1440,
    pipeline_id INTEGER REFERENCES pipelines(id),
    stage_map TEXT NOT NULL DEFAULT '{}',
    responsible_ids TEXT NOT NULL DEFAULT '[]',
    next_responsible INTEGER NOT NULL DEFAULT 0,
    create_products INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'STORE',
    failed_signatures INTEGER NOT NULL DEFAULT 0,
    last_failed_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE order_inbox (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES order_sources(id),
    topic TEXT,
    delivery_id TEXT,
    shop TEXT,
    order_id TEXT,
    order_updated_at INTEGER,
    body TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('processed', 'skipped', 'ignored', 'failed')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    deal_id INTEGER,
    received_at INTEGER NOT NULL,
    processed_at INTEGER
);
CREATE INDEX order_inbox_source ON order_inbox(source_id, id);
CREATE UNIQUE INDEX order_inbox_delivery ON order_inbox(source_id, delivery_id) WHERE delivery_id IS NOT NULL;

CREATE TABLE deal_orders (
    source_id INTEGER NOT NULL REFERENCES order_sources(id),
    order_id TEXT NOT NULL,
    deal_id INTEGER NOT NULL UNIQUE,
    order_number TEXT,
    admin_url TEXT,
    utm TEXT NOT NULL DEFAULT '{}',
    status TEXT,
    order_updated_at INTEGER NOT NULL,
    body_sha256 TEXT NOT NULL,
    PRIMARY KEY (source_id, order_id)
) WITHOUT ROWID;
-- A deleted deal lets go of its order (deal ids are reused), so the order's next update makes
-- a new deal and no other order's deal is ever taken for it.
CREATE TRIGGER deal_orders_deal_deleted AFTER DELETE ON deals BEGIN
    DELETE FROM deal_orders WHERE deal_id = OLD.id;
END;
