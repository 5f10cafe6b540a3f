-- 0004: CRM records (leads, contacts, companies), their links, full-text search, the
-- normalised contact channels used for duplicate matching, custom field definitions, the
-- timeline and saved list views. Times are unix seconds (UTC); money and decimals are
-- integers scaled by their field's scale (2 for money); multi-value fields (phones, emails,
-- addresses...) are JSON text; custom field values live in each record's `custom` JSON object.

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO app_settings (key, value) VALUES ('default_country', 'RU');

CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    honorific TEXT,
    first_name TEXT,
    middle_name TEXT,
    last_name TEXT,
    birthdate TEXT,
    post TEXT,
    company_title TEXT,
    status TEXT NOT NULL,
    source TEXT,
    source_description TEXT,
    amount INTEGER,
    currency TEXT,
    phones TEXT,
    emails TEXT,
    websites TEXT,
    messengers TEXT,
    address TEXT,
    comments TEXT,
    responsible_id INTEGER REFERENCES users(id),
    opened INTEGER NOT NULL DEFAULT 0,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX leads_responsible ON leads(responsible_id, id);
CREATE INDEX leads_status ON leads(status, id);
CREATE INDEX leads_updated ON leads(updated_at, id);
CREATE INDEX leads_opened ON leads(id) WHERE opened = 1;

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    honorific TEXT,
    first_name TEXT,
    middle_name TEXT,
    last_name TEXT,
    birthdate TEXT,
    post TEXT,
    type TEXT,
    source TEXT,
    source_description TEXT,
    phones TEXT,
    emails TEXT,
    websites TEXT,
    messengers TEXT,
    address TEXT,
    comments TEXT,
    responsible_id INTEGER REFERENCES users(id),
    opened INTEGER NOT NULL DEFAULT 0,
    origin_lead_id INTEGER,
    custom TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX contacts_responsible ON contacts(responsible_id, id);
CREATE INDEX contacts_updated ON contacts(updated_at, id);
CREATE INDEX contacts_last_name ON contacts(last_name, id);
CREATE INDEX contacts_opened ON contacts(id) WHERE opened = 1;

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    type TEXT,
    industry TEXT,
    employees TEXT,
    revenue INTEGER,
    currency TEXT,
    phones TEXT,
    emails TEXT,
    websites TEXT,
    addresses TEXT,
    requisites TEXT,
    comments TEXT,
    responsible_id INTEGER REFERENCES users(id),
    opened INTEGER NOT NULL DEFAULT 0,
    origin_lead_id INTEGER,
    custom TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX companies_responsible ON companies(responsible_id, id);
CREATE INDEX companies_updated ON companies(updated_at, id);
CREATE INDEX companies_title ON companies(title, id);
CREATE INDEX companies_opened ON companies(id) WHERE opened = 1;

-- A contact works for many companies; one of them is its primary company.
CREATE TABLE contact_companies (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL DEFAULT 0,
    sort INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contact_id, company_id)
) WITHOUT ROWID;
CREATE INDEX contact_companies_company ON contact_companies(company_id, contact_id);

-- Full-text search (the `q` of lists): one row per record, rowid = record id. unicode61 folds
-- case for Cyrillic too; phones are indexed as digit strings (E.164 and national forms).
CREATE VIRTUAL TABLE leads_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE contacts_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE companies_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

-- Normalised e-mails (lowercase), phones (E.164) and company titles of every record, for
-- duplicate matching and channel filters.
CREATE TABLE record_channels (
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (entity, record_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX record_channels_value ON record_channels(kind, value, entity);

-- Custom fields: rows of the same shape as built-in field definitions, per entity.
CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    code TEXT NOT NULL,
    label_en TEXT NOT NULL,
    label_ru TEXT NOT NULL,
    type TEXT NOT NULL,
    multiple INTEGER NOT NULL DEFAULT 0,
    required INTEGER NOT NULL DEFAULT 0,
    default_value TEXT,
    options TEXT,
    sort INTEGER NOT NULL DEFAULT 100,
    show_in_list INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id),
    UNIQUE (entity, code)
);

-- Every create, change (field by field), delete, link, unlink, merge and comment, newest last.
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    at INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_record ON timeline(entity, record_id, id);

-- Saved list views: a filter, columns and sort per user, private or shared.
CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    columns TEXT NOT NULL DEFAULT '[]',
    shared INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views(entity, owner_id);
