-- 0033: what a restricted caller's search and filtered lists read (issue 14, records/list).
--
-- A search sorted by id (every list's default) walks the full-text matches in id order and
-- keeps those the caller may read. Testing that on each match's row read a thousand-odd rows
-- of a large table for a manager's page; these narrow copies of the ACL columns, keyed by id,
-- answer it from a few hot index pages: every column the read condition can name (responsible,
-- opened, and the status or stage that a role's stage rules limit).
CREATE INDEX leads_acl ON leads(id, responsible_id, opened, status);
CREATE INDEX contacts_acl ON contacts(id, responsible_id, opened);
CREATE INDEX companies_acl ON companies(id, responsible_id, opened);
CREATE INDEX deals_acl ON deals(id, responsible_id, opened, stage);
CREATE INDEX activities_acl ON activities(id, responsible_id, opened);

-- A manager's leads filtered by status and sorted by last change: the opened arm (sql/0016)
-- had no index with both, so SQLite walked every lead of the status testing `opened` (or
-- sorted the status's opened leads). This is the administrator's leads_status_updated for the
-- opened rows alone (about 1 % of them).
CREATE INDEX leads_opened_status_updated ON leads(status, updated_at, id) WHERE opened = 1;
