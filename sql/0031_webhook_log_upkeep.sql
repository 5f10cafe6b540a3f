-- 0031: the outbound webhooks' upkeep (issue 19). A deal moved to another pipeline is an event
-- of its own (`deal.pipeline_changed`, Bitrix24's ONCRMDEALMOVETOCATEGORY), and the scheduler
-- tick forgets old final deliveries oldest first (`crm_core::webhooks::planner::prune`),
-- reading them through a small index of final deliveries only.

CREATE INDEX webhook_deliveries_final ON webhook_deliveries(occurred_at, id)
    WHERE status IN ('delivered', 'failed');

CREATE TRIGGER deals_webhook_pipeline_changed AFTER UPDATE OF pipeline_id ON deals
    WHEN NEW.pipeline_id IS NOT OLD.pipeline_id BEGIN
    INSERT INTO webhook_deliveries (webhook_id, event, entity, record_id, details, occurred_at, next_attempt_at)
        SELECT e.webhook_id, 'deal.pipeline_changed', 'deal', NEW.id,
               json_object('from', OLD.pipeline_id, 'to', NEW.pipeline_id), unixepoch(), unixepoch()
        FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id AND w.active = 1
        WHERE e.event = 'deal.pipeline_changed';
END;
