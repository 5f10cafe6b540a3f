-- 0024: a report grouped by one column reads a year of deals in the group's order.
--
-- Grouping half a million deals in a temporary b-tree costs more than reading them: SQLite
-- sorts every row first. When the rows come in the group's order it aggregates as it reads.
-- Each index below leads with a group column, then the currency (a money measure groups by
-- it too), and carries what the standard reports by manager, by contact and by company read,
-- so SQLite reads the whole index in order and sorts nothing (crm_core::reports::compile uses
-- the plain column for a caller who reads every deal; `Traits::report_orders` names them).
--
-- A deal's primary contact lives in deal_contacts; `primary_contact_id` keeps it on the deal
-- (the link's `kept` column), kept by the triggers below, so a report by contact groups a
-- column instead of looking up each deal's link row.
ALTER TABLE deals ADD COLUMN primary_contact_id INTEGER;

UPDATE deals SET primary_contact_id = dc.contact_id
FROM deal_contacts dc WHERE dc.deal_id = deals.id AND dc.is_primary = 1;

CREATE TRIGGER deal_contacts_primary_insert AFTER INSERT ON deal_contacts WHEN NEW.is_primary = 1 BEGIN
    UPDATE deals SET primary_contact_id = NEW.contact_id WHERE id = NEW.deal_id;
END;

CREATE TRIGGER deal_contacts_primary_delete AFTER DELETE ON deal_contacts WHEN OLD.is_primary = 1 BEGIN
    UPDATE deals SET primary_contact_id = (
        SELECT contact_id FROM deal_contacts WHERE deal_id = OLD.deal_id AND is_primary = 1)
    WHERE id = OLD.deal_id;
END;

CREATE TRIGGER deal_contacts_primary_update AFTER UPDATE OF deal_id, contact_id, is_primary ON deal_contacts BEGIN
    UPDATE deals SET primary_contact_id = (
        SELECT contact_id FROM deal_contacts WHERE deal_id = deals.id AND is_primary = 1)
    WHERE id IN (OLD.deal_id, NEW.deal_id);
END;

CREATE INDEX deals_report_responsible ON deals(responsible_id, currency, created_at, stage, amount);
CREATE INDEX deals_report_company ON deals(company_id, currency, created_at, stage, amount);
CREATE INDEX deals_report_contact ON deals(primary_contact_id, currency, created_at, stage, amount);
