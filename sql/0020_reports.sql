-- 0020: reports (issue 17), read and written by crm_core::reports::saved.
-- A user's report: `name`, `description`, its designer `definition` (JSON), private to
-- `owner_id` unless `shared`. A system report (`system = 1`, `code` set, no owner): its names in
-- both languages here, its definition in code (crm_core::reports::standard, by `code`), so it
-- improves with the code and never needs a data migration; funnels (`kind` funnel /
-- leads_funnel) have no definition at all.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    code TEXT UNIQUE,
    kind TEXT NOT NULL DEFAULT 'designer' CHECK (kind IN ('designer', 'funnel', 'leads_funnel')),
    name TEXT NOT NULL,
    name_ru TEXT,
    description TEXT,
    description_ru TEXT,
    definition TEXT,
    owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    shared INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    system INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    sort INTEGER NOT NULL DEFAULT 1000,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((system = 1) = (code IS NOT NULL)),
    CHECK (system = 1 OR owner_id IS NOT NULL)
);
CREATE INDEX reports_owner ON reports(owner_id, id);
CREATE INDEX reports_shared ON reports(id) WHERE shared = 1;

INSERT INTO reports (code, kind, name, name_ru, description, description_ru, system, shared, sort, created_at, updated_at) VALUES
('funnel', 'funnel', 'Sales funnel', 'Воронка продаж',
 'Deals created in the period: how many reached each stage, how many are in it now, conversion from stage to stage, won and lost.',
 'Сделки, созданные за период: сколько дошло до каждой стадии, сколько сейчас на ней, конверсия между стадиями, успешные и проваленные.', 1, 1, 10, unixepoch(), unixepoch()),
('leads_funnel', 'leads_funnel', 'Leads funnel', 'Воронка лидов',
 'Leads created in the period by status: converted share, time to convert, junk.',
 'Лиды, созданные за период, по статусам: доля сконвертированных, время до конвертации, некачественные.', 1, 1, 20, unixepoch(), unixepoch()),
('deals_by_manager', 'designer', 'Deals by manager', 'Сделки по менеджерам',
 'Deals created in the period per responsible manager: count, amount and won share.',
 'Сделки, созданные за период, по ответственным: количество, сумма и доля успешных.', 1, 1, 30, unixepoch(), unixepoch()),
('deals_by_contact', 'designer', 'Deals by contact', 'Сделки по контактам',
 'Deals created in the period per primary contact: count and amount.',
 'Сделки, созданные за период, по основному контакту: количество и сумма.', 1, 1, 40, unixepoch(), unixepoch()),
('deals_by_company', 'designer', 'Deals by company', 'Сделки по компаниям',
 'Deals created in the period per company: count and amount.',
 'Сделки, созданные за период, по компаниям: количество и сумма.', 1, 1, 50, unixepoch(), unixepoch()),
('company_profitability', 'designer', 'Company profitability', 'Доходность компаний',
 'Won deals closed in the period per company: income and count.',
 'Успешные сделки, закрытые за период, по компаниям: доход и количество.', 1, 1, 60, unixepoch(), unixepoch()),
('won_deals', 'designer', 'Won deals', 'Успешные сделки',
 'Won deals by the month they closed: count and amount.',
 'Успешные сделки по месяцу закрытия: количество и сумма.', 1, 1, 70, unixepoch(), unixepoch()),
('overdue_deals', 'designer', 'Overdue deals', 'Просроченные сделки',
 'Open deals whose expected close date has passed, per responsible manager.',
 'Сделки в работе, у которых прошла предполагаемая дата закрытия, по ответственным.', 1, 1, 80, unixepoch(), unixepoch()),
('expected_sales', 'designer', 'Expected sales', 'Ожидаемые продажи',
 'Open deals by the month they are expected to close: amount and amount weighted by probability.',
 'Сделки в работе по месяцу предполагаемого закрытия: сумма и сумма с учётом вероятности.', 1, 1, 90, unixepoch(), unixepoch()),
('open_deals_by_stage', 'designer', 'Open deals by stage', 'Сделки в работе по стадиям',
 'Deals in progress per stage: count and amount.',
 'Сделки в работе по стадиям: количество и сумма.', 1, 1, 100, unixepoch(), unixepoch()),
('product_income', 'designer', 'Product income', 'Доход по товарам',
 'Line items of deals won in the period per product: quantity and income.',
 'Товарные позиции успешных сделок, закрытых за период, по товарам: количество и доход.', 1, 1, 110, unixepoch(), unixepoch());

-- What the standard reports filter and group on at a million deals: the period columns.
CREATE INDEX deals_created ON deals(created_at);
CREATE INDEX deals_closed_at ON deals(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX deals_close_date ON deals(close_date) WHERE close_date IS NOT NULL;
CREATE INDEX leads_created ON leads(created_at);
CREATE INDEX activities_created ON activities(created_at);
