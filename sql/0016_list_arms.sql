-- 0016: indexes for the two arms a restricted caller's list reads (crates/core/src/records/list/
-- plan.rs). A manager sees own records OR opened ones; under a sort SQLite answered that by
-- walking the sort's index and testing every row (21 ms for a manager's contacts by last name
-- at a million rows, against ~1 ms for an administrator). The list now reads the own rows
-- through (responsible_id, key, id) and the opened rows through a partial index (key, id)
-- WHERE opened = 1 (about 1 % of the rows, so cheap to keep), each in the sort's order, for the
-- orders the lists use: by id (sql/0004, 0008, 0009 have them), by last change, and by the
-- name a table is sorted by (contacts' last name, companies' title).
CREATE INDEX contacts_responsible_last_name ON contacts(responsible_id, last_name, id);
CREATE INDEX companies_responsible_title ON companies(responsible_id, title, id);
CREATE INDEX companies_responsible_updated ON companies(responsible_id, updated_at, id);
CREATE INDEX deals_responsible_updated ON deals(responsible_id, updated_at, id);
CREATE INDEX activities_responsible_updated ON activities(responsible_id, updated_at, id);

CREATE INDEX leads_opened_updated ON leads(updated_at, id) WHERE opened = 1;
CREATE INDEX contacts_opened_updated ON contacts(updated_at, id) WHERE opened = 1;
CREATE INDEX contacts_opened_last_name ON contacts(last_name, id) WHERE opened = 1;
CREATE INDEX companies_opened_updated ON companies(updated_at, id) WHERE opened = 1;
CREATE INDEX companies_opened_title ON companies(title, id) WHERE opened = 1;
CREATE INDEX deals_opened_updated ON deals(updated_at, id) WHERE opened = 1;
CREATE INDEX activities_opened_updated ON activities(updated_at, id) WHERE opened = 1;

-- Boards read the arms too (records/list/totals.rs and each column's page): a manager's deals
-- by pipeline and stage, and the opened ones, without scanning the pipeline's board index.
CREATE INDEX deals_responsible_board ON deals(responsible_id, pipeline_id, stage, currency, amount);
CREATE INDEX deals_opened_board ON deals(pipeline_id, stage, currency, amount) WHERE opened = 1;
CREATE INDEX leads_responsible_board ON leads(responsible_id, status, currency, amount);
CREATE INDEX leads_opened_board ON leads(status, currency, amount) WHERE opened = 1;
