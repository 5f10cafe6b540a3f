-- 0006: indexes for the lists managers open most, so a filtered, sorted first page reads 50
-- rows instead of sorting every match (measured by `cargo xtask bench records`: the leads
-- list by status sorted by last change went from ~270 ms to well under a millisecond).
CREATE INDEX leads_status_updated ON leads(status, updated_at, id);
CREATE INDEX leads_responsible_updated ON leads(responsible_id, updated_at, id);
CREATE INDEX contacts_responsible_updated ON contacts(responsible_id, updated_at, id);
