-- 0007: the product catalog. `product_sections` is a tree (parent_id) of sections written by
-- crm_core::catalog; `products` is a record table of the record engine (entity `product`,
-- crm_core::records::entities::product), unowned: no responsible user, no `opened` flag.
-- Times are unix seconds (UTC); `price` is scaled by 100 (its currency beside it) and
-- `vat_rate` is a percentage scaled by 100 (2000 = 20.00%); custom field values live in
-- `custom`.

CREATE TABLE product_sections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES product_sections(id),
    sort INTEGER NOT NULL DEFAULT 100,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
CREATE INDEX product_sections_parent ON product_sections(parent_id, sort, id);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sku TEXT,
    description TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    price INTEGER,
    currency TEXT,
    vat_rate INTEGER,
    vat_included INTEGER NOT NULL DEFAULT 0,
    unit TEXT,
    section_id INTEGER REFERENCES product_sections(id),
    sort INTEGER NOT NULL DEFAULT 100,
    custom TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);
-- A SKU names one product: unique regardless of (ASCII) case; the entity's hook reports a
-- duplicate as 409 before this index would refuse it.
CREATE UNIQUE INDEX products_sku ON products(sku COLLATE NOCASE) WHERE sku IS NOT NULL;
CREATE INDEX products_section ON products(section_id, sort, id);
CREATE INDEX products_active_name ON products(active, name, id);
CREATE INDEX products_sort ON products(sort, name, id);
CREATE INDEX products_updated ON products(updated_at, id);

-- Full-text search (the `q` of lists and of the picker) over name and SKU; rowid = product id.
CREATE VIRTUAL TABLE products_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
