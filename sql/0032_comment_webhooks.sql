-- 0032: timeline comments emit outbound webhook events (issue 19): `comment.created`,
-- `comment.updated`, `comment.deleted` (Bitrix24's ONCRMTIMELINECOMMENTADD, ...UPDATE,
-- ...DELETE), written by triggers in the statement that changes the comment as the record
-- tables' are (sql/0029). The delivery's record id is the comment's; its details name the
-- record it is on. Other timeline entries (every record change writes one) pass the WHEN.

CREATE TRIGGER timeline_webhook_comment_created AFTER INSERT ON timeline
    WHEN NEW.kind = 'comment' BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'comment.created', 'comment', NEW.id,
               json_object('record_entity', NEW.entity, 'record_id', NEW.record_id), unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'comment.created';
END;

CREATE TRIGGER timeline_webhook_comment_updated AFTER UPDATE OF payload ON timeline
    WHEN NEW.kind = 'comment' BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'comment.updated', 'comment', NEW.id,
               json_object('record_entity', NEW.entity, 'record_id', NEW.record_id), unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'comment.updated';
END;

CREATE TRIGGER timeline_webhook_comment_deleted AFTER DELETE ON timeline
    WHEN OLD.kind = 'comment' BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'comment.deleted', 'comment', OLD.id,
               json_object('record_entity', OLD.entity, 'record_id', OLD.record_id), unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'comment.deleted';
END;
