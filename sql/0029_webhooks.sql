-- Outbound webhooks (issue 19): subscriptions, the events each wants, and the outbox of
-- deliveries, written by triggers on the record tables in the statement that changes the record
-- (so any writer - the JSON API, REST, imports, intake, orders - emits them, and a rolled-back
-- change leaves no event). A trigger inserts only the rows `webhook_events` joined with an
-- active subscription yields: a firm without subscriptions pays one probe of an empty index.
-- `crm_core::webhooks` owns the rules; see its module docs.

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The events as the subscription's style spells them (JSON array).
    events TEXT NOT NULL DEFAULT '[]',
    style TEXT NOT NULL CHECK (style IN ('bitrix24', 'json')),
    -- The HMAC key (json) / application_token (bitrix24); shown once, never rendered.
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    paused_reason TEXT,
    paused_at INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);

-- Which subscription wants which event, in the native spelling (`lead.created`): what the
-- triggers read. Rewritten whole with the subscription's events.
CREATE TABLE webhook_events (
    event TEXT NOT NULL,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    PRIMARY KEY (event, webhook_id)
) WITHOUT ROWID;
CREATE INDEX webhook_events_webhook ON webhook_events(webhook_id);

-- The outbox: one row per (subscription, event). `pending` rows are due at `next_attempt_at`
-- (a tick claims a row by moving it a lease ahead); `delivered` and `failed` (out of attempts)
-- are final until a manual retry.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    -- What the event carries beyond the id (a stage change's from/to), JSON or NULL.
    details TEXT,
    occurred_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);

-- Every attempt of a delivery: when, the HTTP status (NULL: no answer), the error, how long.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
-- leads
CREATE TRIGGER leads_webhook_created AFTER INSERT ON leads BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'lead.created', 'lead', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'lead.created';
END;
CREATE TRIGGER leads_webhook_updated AFTER UPDATE OF version ON leads
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'lead.updated', 'lead', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'lead.updated';
END;
CREATE TRIGGER leads_webhook_deleted AFTER DELETE ON leads BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'lead.deleted', 'lead', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'lead.deleted';
END;

-- contacts
CREATE TRIGGER contacts_webhook_created AFTER INSERT ON contacts BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'contact.created', 'contact', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'contact.created';
END;
CREATE TRIGGER contacts_webhook_updated AFTER UPDATE OF version ON contacts
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'contact.updated', 'contact', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'contact.updated';
END;
CREATE TRIGGER contacts_webhook_deleted AFTER DELETE ON contacts BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'contact.deleted', 'contact', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'contact.deleted';
END;

-- companies
CREATE TRIGGER companies_webhook_created AFTER INSERT ON companies BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'company.created', 'company', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'company.created';
END;
CREATE TRIGGER companies_webhook_updated AFTER UPDATE OF version ON companies
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'company.updated', 'company', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'company.updated';
END;
CREATE TRIGGER companies_webhook_deleted AFTER DELETE ON companies BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'company.deleted', 'company', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'company.deleted';
END;

-- deals
CREATE TRIGGER deals_webhook_created AFTER INSERT ON deals BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'deal.created', 'deal', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'deal.created';
END;
CREATE TRIGGER deals_webhook_updated AFTER UPDATE OF version ON deals
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'deal.updated', 'deal', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'deal.updated';
END;
CREATE TRIGGER deals_webhook_deleted AFTER DELETE ON deals BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'deal.deleted', 'deal', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'deal.deleted';
END;

-- activities
CREATE TRIGGER activities_webhook_created AFTER INSERT ON activities BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'activity.created', 'activity', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'activity.created';
END;
CREATE TRIGGER activities_webhook_updated AFTER UPDATE OF version ON activities
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'activity.updated', 'activity', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'activity.updated';
END;
CREATE TRIGGER activities_webhook_deleted AFTER DELETE ON activities BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'activity.deleted', 'activity', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'activity.deleted';
END;

-- products
CREATE TRIGGER products_webhook_created AFTER INSERT ON products BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'product.created', 'product', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'product.created';
END;
CREATE TRIGGER products_webhook_updated AFTER UPDATE OF version ON products
    WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'product.updated', 'product', NEW.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'product.updated';
END;
CREATE TRIGGER products_webhook_deleted AFTER DELETE ON products BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'product.deleted', 'product', OLD.id, NULL, unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'product.deleted';
END;

CREATE TRIGGER deals_webhook_stage_changed AFTER UPDATE OF stage ON deals
    WHEN NEW.stage IS NOT OLD.stage BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'deal.stage_changed', 'deal', NEW.id, json_object('from', OLD.stage, 'to', NEW.stage), unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'deal.stage_changed';
END;
