-- Derived rows kept by the database: a record's full-text row, its normalised channels and its
-- `created` timeline entry are written by triggers from the record's own row, in the statement
-- that writes it. The engine computes the searchable text and the channels (phones in every
-- typed form, normalised titles: rules that live in Rust) into two columns of the row:
--   search_body   the text `q` searches, indexed by `<table>_search`, now an external-content
--                 FTS5 table over this column (the text is stored once, in the row);
--   channel_keys  a JSON array of [kind, value] pairs, expanded into `record_channels`.
-- A create is then one INSERT (a request pays per statement where the database is remote), and
-- any writer of a record row (imports, the REST API) keeps the derived rows true.
-- Existing rows take their values from the rows the engine wrote before.

-- leads
ALTER TABLE leads ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE leads SET
    search_body = COALESCE((SELECT s.body FROM leads_search s WHERE s.rowid = leads.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'lead' AND c.record_id = leads.id);
DROP TABLE leads_search;
CREATE VIRTUAL TABLE leads_search USING fts5(search_body, content = 'leads', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO leads_search (leads_search) VALUES ('rebuild');

CREATE TRIGGER leads_derived_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'lead', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('lead', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.title, ''))));
END;

CREATE TRIGGER leads_derived_search_update AFTER UPDATE OF search_body ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO leads_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER leads_derived_channels_update AFTER UPDATE OF channel_keys ON leads BEGIN
    DELETE FROM record_channels WHERE entity = 'lead' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'lead', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER leads_derived_delete AFTER DELETE ON leads BEGIN
    INSERT INTO leads_search (leads_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'lead' AND record_id = OLD.id;
END;

-- contacts
ALTER TABLE contacts ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE contacts SET
    search_body = COALESCE((SELECT s.body FROM contacts_search s WHERE s.rowid = contacts.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'contact' AND c.record_id = contacts.id);
DROP TABLE contacts_search;
CREATE VIRTUAL TABLE contacts_search USING fts5(search_body, content = 'contacts', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');

CREATE TRIGGER contacts_derived_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'contact', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('contact', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.first_name, ''), NULLIF(NEW.last_name, ''))));
END;

CREATE TRIGGER contacts_derived_search_update AFTER UPDATE OF search_body ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO contacts_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER contacts_derived_channels_update AFTER UPDATE OF channel_keys ON contacts BEGIN
    DELETE FROM record_channels WHERE entity = 'contact' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'contact', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER contacts_derived_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'contact' AND record_id = OLD.id;
END;

-- companies
ALTER TABLE companies ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE companies SET
    search_body = COALESCE((SELECT s.body FROM companies_search s WHERE s.rowid = companies.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'company' AND c.record_id = companies.id);
DROP TABLE companies_search;
CREATE VIRTUAL TABLE companies_search USING fts5(search_body, content = 'companies', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO companies_search (companies_search) VALUES ('rebuild');

CREATE TRIGGER companies_derived_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'company', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('company', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.title, ''))));
END;

CREATE TRIGGER companies_derived_search_update AFTER UPDATE OF search_body ON companies BEGIN
    INSERT INTO companies_search (companies_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO companies_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER companies_derived_channels_update AFTER UPDATE OF channel_keys ON companies BEGIN
    DELETE FROM record_channels WHERE entity = 'company' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'company', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER companies_derived_delete AFTER DELETE ON companies BEGIN
    INSERT INTO companies_search (companies_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'company' AND record_id = OLD.id;
END;

-- deals
ALTER TABLE deals ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE deals SET
    search_body = COALESCE((SELECT s.body FROM deals_search s WHERE s.rowid = deals.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'deal' AND c.record_id = deals.id);
DROP TABLE deals_search;
CREATE VIRTUAL TABLE deals_search USING fts5(search_body, content = 'deals', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO deals_search (deals_search) VALUES ('rebuild');

CREATE TRIGGER deals_derived_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deals_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'deal', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('deal', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.title, ''))));
END;

CREATE TRIGGER deals_derived_search_update AFTER UPDATE OF search_body ON deals BEGIN
    INSERT INTO deals_search (deals_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO deals_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER deals_derived_channels_update AFTER UPDATE OF channel_keys ON deals BEGIN
    DELETE FROM record_channels WHERE entity = 'deal' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'deal', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER deals_derived_delete AFTER DELETE ON deals BEGIN
    INSERT INTO deals_search (deals_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'deal' AND record_id = OLD.id;
END;

-- products
ALTER TABLE products ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE products SET
    search_body = COALESCE((SELECT s.body FROM products_search s WHERE s.rowid = products.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'product' AND c.record_id = products.id);
DROP TABLE products_search;
CREATE VIRTUAL TABLE products_search USING fts5(search_body, content = 'products', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO products_search (products_search) VALUES ('rebuild');

CREATE TRIGGER products_derived_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'product', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('product', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.name, ''))));
END;

CREATE TRIGGER products_derived_search_update AFTER UPDATE OF search_body ON products BEGIN
    INSERT INTO products_search (products_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO products_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER products_derived_channels_update AFTER UPDATE OF channel_keys ON products BEGIN
    DELETE FROM record_channels WHERE entity = 'product' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'product', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER products_derived_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_search (products_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'product' AND record_id = OLD.id;
END;

-- activities
ALTER TABLE activities ADD COLUMN search_body TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN channel_keys TEXT NOT NULL DEFAULT '[]';
UPDATE activities SET
    search_body = COALESCE((SELECT s.body FROM activities_search s WHERE s.rowid = activities.id), ''),
    channel_keys = (SELECT json_group_array(json_array(c.kind, c.value)) FROM record_channels c
                    WHERE c.entity = 'activity' AND c.record_id = activities.id);
DROP TABLE activities_search;
CREATE VIRTUAL TABLE activities_search USING fts5(search_body, content = 'activities', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO activities_search (activities_search) VALUES ('rebuild');

CREATE TRIGGER activities_derived_insert AFTER INSERT ON activities BEGIN
    INSERT INTO activities_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'activity', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
    INSERT INTO timeline (entity, record_id, kind, actor_id, at, payload)
        VALUES ('activity', NEW.id, 'created', NEW.created_by, NEW.created_at,
                json_object('title', concat_ws(' ', NULLIF(NEW.subject, ''))));
END;

CREATE TRIGGER activities_derived_search_update AFTER UPDATE OF search_body ON activities BEGIN
    INSERT INTO activities_search (activities_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    INSERT INTO activities_search (rowid, search_body) VALUES (NEW.id, NEW.search_body);
END;

CREATE TRIGGER activities_derived_channels_update AFTER UPDATE OF channel_keys ON activities BEGIN
    DELETE FROM record_channels WHERE entity = 'activity' AND record_id = OLD.id;
    INSERT OR IGNORE INTO record_channels (entity, record_id, kind, value)
        SELECT 'activity', NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(NEW.channel_keys);
END;

CREATE TRIGGER activities_derived_delete AFTER DELETE ON activities BEGIN
    INSERT INTO activities_search (activities_search, rowid, search_body) VALUES ('delete', OLD.id, OLD.search_body);
    DELETE FROM record_channels WHERE entity = 'activity' AND record_id = OLD.id;
END;
