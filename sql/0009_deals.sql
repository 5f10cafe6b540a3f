-- 0009: deals and their pipelines. A pipeline has ordered stages, each with a semantic
-- (progress, won, lost); the default pipeline (is_default) keeps the plain codes, pipeline N
-- prefixes them `C<N>:`. Every stage move of a deal is a row of deal_stage_history (reports
-- read it). Line items of deals and leads are record_products: money scaled by 100, quantity
-- by 1000, rates (discount, tax) by 100.

CREATE TABLE pipelines (
    id INTEGER PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    sort INTEGER NOT NULL DEFAULT 100,
    is_default INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX pipelines_one_default ON pipelines(is_default) WHERE is_default = 1;

CREATE TABLE pipeline_stages (
    id INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    color TEXT NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    semantic TEXT NOT NULL CHECK (semantic IN ('progress', 'won', 'lost')),
    sort INTEGER NOT NULL
);
CREATE INDEX pipeline_stages_order ON pipeline_stages(pipeline_id, sort, id);

INSERT INTO pipelines (id, name_en, name_ru, sort, is_default, created_at, updated_at)
VALUES (1, 'Sales', 'Продажи', 10, 1, unixepoch(), unixepoch());
INSERT INTO pipeline_stages (pipeline_id, code, name_en, name_ru, color, probability, semantic, sort) VALUES
(1, 'NEW', 'New', 'Новая', '#39A8EF', 10, 'progress', 10),
(1, 'PREPARATION', 'Preparing documents', 'Подготовка документов', '#2FC6F6', 20, 'progress', 20),
(1, 'PREPAYMENT_INVOICE', 'Invoice for prepayment', 'Счёт на предоплату', '#55D0E0', 40, 'progress', 30),
(1, 'EXECUTING', 'In progress', 'В работе', '#47E4C2', 60, 'progress', 40),
(1, 'FINAL_INVOICE', 'Final invoice', 'Финальный счёт', '#FFA900', 80, 'progress', 50),
(1, 'WON', 'Won', 'Сделка успешна', '#7BD500', 100, 'won', 60),
(1, 'LOSE', 'Lost', 'Сделка провалена', '#FF5752', 0, 'lost', 70);

CREATE TABLE deals (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
    stage TEXT NOT NULL,
    amount INTEGER,
    currency TEXT,
    probability INTEGER,
    type TEXT,
    source TEXT,
    source_description TEXT,
    begin_date TEXT,
    close_date TEXT,
    closed INTEGER NOT NULL DEFAULT 0,
    closed_at INTEGER,
    company_id INTEGER,
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
CREATE INDEX deals_responsible ON deals(responsible_id, id);
CREATE INDEX deals_updated ON deals(updated_at, id);
CREATE INDEX deals_stage ON deals(stage, id);
CREATE INDEX deals_company ON deals(company_id);
CREATE INDEX deals_opened ON deals(id) WHERE opened = 1;
-- The board counts and sums a pipeline's columns from this index alone.
CREATE INDEX deals_board ON deals(pipeline_id, stage, responsible_id, opened, currency, amount);
CREATE VIRTUAL TABLE deals_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

-- A deal's contacts; the first is the primary one.
CREATE TABLE deal_contacts (
    deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL DEFAULT 0,
    sort INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (deal_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX deal_contacts_contact ON deal_contacts(contact_id, deal_id);

CREATE TABLE deal_stage_history (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL,
    pipeline_id INTEGER NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    at INTEGER NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, id);
CREATE INDEX deal_stage_history_stage ON deal_stage_history(to_stage, at);

-- Line items of deals and leads.
CREATE TABLE record_products (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    product_id INTEGER,
    name TEXT NOT NULL,
    price INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    discount_type TEXT NOT NULL DEFAULT 'percent',
    discount_rate INTEGER NOT NULL DEFAULT 0,
    discount_sum INTEGER NOT NULL DEFAULT 0,
    tax_rate INTEGER,
    tax_included INTEGER NOT NULL DEFAULT 0,
    unit TEXT,
    sort INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX record_products_record ON record_products(entity, record_id, sort);
CREATE INDEX record_products_product ON record_products(product_id);
