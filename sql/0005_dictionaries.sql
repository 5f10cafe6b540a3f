-- 0005: dictionaries (lead statuses, sources, contact/company/deal types, industries, employee
-- ranges, honorifics) and currencies, read and written by crm_core::dictionaries.
-- Times are INTEGER unix seconds (UTC); the API renders them as RFC 3339.

-- One entry of one dictionary. `kind` is the stored kind code (lead_status, source, ...);
-- `semantic` (open/success/failure) belongs to lead statuses only; `system` entries are seeded
-- here and may be renamed, reordered and recoloured, but not deleted.
CREATE TABLE dictionary_entries (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    sort INTEGER NOT NULL,
    semantic TEXT CHECK (semantic IN ('open', 'success', 'failure')),
    color TEXT CHECK (color IS NULL OR (length(color) = 7 AND color GLOB '#[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]')),
    system INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, code),
    CHECK ((kind = 'lead_status') = (semantic IS NOT NULL))
) WITHOUT ROWID;

-- Currencies. `rate` is how many units of the base currency one unit of this one is worth, as
-- canonical decimal text (at least 4, at most 6 fractional digits: '92.5000'); the base
-- currency's rate is '1.0000'. The partial unique index allows at most one base.
CREATE TABLE currencies (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    rate TEXT NOT NULL,
    base INTEGER NOT NULL DEFAULT 0 CHECK (base IN (0, 1)),
    sort INTEGER NOT NULL DEFAULT 100,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX currencies_one_base ON currencies(base) WHERE base = 1;

INSERT INTO dictionary_entries (kind, code, name_en, name_ru, sort, semantic, color, system, created_at, updated_at) VALUES
('lead_status', 'NEW', 'New', 'Новый', 10, 'open', '#39A8EF', 1, unixepoch(), unixepoch()),
('lead_status', 'IN_PROCESS', 'In progress', 'В работе', 20, 'open', '#2FC6F6', 1, unixepoch(), unixepoch()),
('lead_status', 'PROCESSED', 'Processed', 'Обработан', 30, 'open', '#FFA900', 1, unixepoch(), unixepoch()),
('lead_status', 'CONVERTED', 'Converted', 'Сконвертирован', 40, 'success', '#7BD500', 1, unixepoch(), unixepoch()),
('lead_status', 'JUNK', 'Junk', 'Некачественный лид', 50, 'failure', '#FF5752', 1, unixepoch(), unixepoch());

INSERT INTO dictionary_entries (kind, code, name_en, name_ru, sort, system, created_at, updated_at) VALUES
('source', 'CALL', 'Call', 'Звонок', 10, 1, unixepoch(), unixepoch()),
('source', 'EMAIL', 'E-mail', 'Электронная почта', 20, 1, unixepoch(), unixepoch()),
('source', 'WEB', 'Website', 'Веб-сайт', 30, 1, unixepoch(), unixepoch()),
('source', 'ADVERTISING', 'Advertising', 'Реклама', 40, 1, unixepoch(), unixepoch()),
('source', 'PARTNER', 'Partner', 'Партнёр', 50, 1, unixepoch(), unixepoch()),
('source', 'RECOMMENDATION', 'Recommendation', 'По рекомендации', 60, 1, unixepoch(), unixepoch()),
('source', 'TRADE_SHOW', 'Trade show', 'Выставка', 70, 1, unixepoch(), unixepoch()),
('source', 'WEBFORM', 'Web form', 'Веб-форма', 80, 1, unixepoch(), unixepoch()),
('source', 'CALLBACK', 'Callback', 'Обратный звонок', 90, 1, unixepoch(), unixepoch()),
('source', 'STORE', 'Online store', 'Интернет-магазин', 100, 1, unixepoch(), unixepoch()),
('source', 'OTHER', 'Other', 'Другое', 110, 1, unixepoch(), unixepoch()),

('contact_type', 'CLIENT', 'Client', 'Клиент', 10, 1, unixepoch(), unixepoch()),
('contact_type', 'SUPPLIER', 'Supplier', 'Поставщик', 20, 1, unixepoch(), unixepoch()),
('contact_type', 'PARTNER', 'Partner', 'Партнёр', 30, 1, unixepoch(), unixepoch()),
('contact_type', 'OTHER', 'Other', 'Другое', 40, 1, unixepoch(), unixepoch()),

('company_type', 'CUSTOMER', 'Customer', 'Клиент', 10, 1, unixepoch(), unixepoch()),
('company_type', 'SUPPLIER', 'Supplier', 'Поставщик', 20, 1, unixepoch(), unixepoch()),
('company_type', 'COMPETITOR', 'Competitor', 'Конкурент', 30, 1, unixepoch(), unixepoch()),
('company_type', 'PARTNER', 'Partner', 'Партнёр', 40, 1, unixepoch(), unixepoch()),
('company_type', 'OTHER', 'Other', 'Другое', 50, 1, unixepoch(), unixepoch()),

('industry', 'IT', 'Information technology', 'Информационные технологии', 10, 1, unixepoch(), unixepoch()),
('industry', 'TELECOM', 'Telecommunications', 'Телекоммуникации и связь', 20, 1, unixepoch(), unixepoch()),
('industry', 'MANUFACTURING', 'Manufacturing', 'Производство', 30, 1, unixepoch(), unixepoch()),
('industry', 'BANKING', 'Banking', 'Банковские услуги', 40, 1, unixepoch(), unixepoch()),
('industry', 'CONSULTING', 'Consulting', 'Консалтинг', 50, 1, unixepoch(), unixepoch()),
('industry', 'FINANCE', 'Finance', 'Финансы', 60, 1, unixepoch(), unixepoch()),
('industry', 'GOVERNMENT', 'Government', 'Государственный сектор', 70, 1, unixepoch(), unixepoch()),
('industry', 'DELIVERY', 'Delivery', 'Доставка', 80, 1, unixepoch(), unixepoch()),
('industry', 'ENTERTAINMENT', 'Entertainment', 'Развлечения', 90, 1, unixepoch(), unixepoch()),
('industry', 'NOTPROFIT', 'Non-profit', 'Некоммерческая деятельность', 100, 1, unixepoch(), unixepoch()),
('industry', 'OTHER', 'Other', 'Другое', 110, 1, unixepoch(), unixepoch()),

('employee_range', 'EMPLOYEES_1', 'Fewer than 50', 'Менее 50', 10, 1, unixepoch(), unixepoch()),
('employee_range', 'EMPLOYEES_2', '50-250', '50-250', 20, 1, unixepoch(), unixepoch()),
('employee_range', 'EMPLOYEES_3', '250-500', '250-500', 30, 1, unixepoch(), unixepoch()),
('employee_range', 'EMPLOYEES_4', 'Over 500', 'Более 500', 40, 1, unixepoch(), unixepoch()),

('deal_type', 'SALE', 'Sale', 'Продажа', 10, 1, unixepoch(), unixepoch()),
('deal_type', 'COMPLEX', 'Complex sale', 'Комплексная продажа', 20, 1, unixepoch(), unixepoch()),
('deal_type', 'GOODS', 'Sale of goods', 'Продажа товара', 30, 1, unixepoch(), unixepoch()),
('deal_type', 'SERVICES', 'Sale of services', 'Продажа услуги', 40, 1, unixepoch(), unixepoch()),
('deal_type', 'SERVICE', 'Service', 'Сервисное обслуживание', 50, 1, unixepoch(), unixepoch()),

('honorific', 'MR', 'Mr.', 'Господин', 10, 1, unixepoch(), unixepoch()),
('honorific', 'MRS', 'Mrs.', 'Госпожа', 20, 1, unixepoch(), unixepoch()),
('honorific', 'MS', 'Ms.', 'Г-жа', 30, 1, unixepoch(), unixepoch()),
('honorific', 'DR', 'Dr.', 'Доктор', 40, 1, unixepoch(), unixepoch());

INSERT INTO currencies (code, name_en, name_ru, rate, base, sort, created_at, updated_at) VALUES
('RUB', 'Russian ruble', 'Российский рубль', '1.0000', 1, 10, unixepoch(), unixepoch()),
('USD', 'US dollar', 'Доллар США', '92.5000', 0, 20, unixepoch(), unixepoch()),
('EUR', 'Euro', 'Евро', '100.2000', 0, 30, unixepoch(), unixepoch()),
('KZT', 'Kazakhstani tenge', 'Казахстанский тенге', '0.1900', 0, 40, unixepoch(), unixepoch()),
('BYN', 'Belarusian ruble', 'Белорусский рубль', '28.3000', 0, 50, unixepoch(), unixepoch()),
('UAH', 'Ukrainian hryvnia', 'Украинская гривна', '2.2500', 0, 60, unixepoch(), unixepoch()),
('CNY', 'Chinese yuan', 'Китайский юань', '12.7000', 0, 70, unixepoch(), unixepoch());
