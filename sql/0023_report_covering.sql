-- 0023: the standard reports read a year of deals from an index alone (crm_core::reports).
--
-- 0020's single-column period indexes found a year's 400-500k deals and then read each table
-- row at random for the columns the report groups and sums: seconds at a million deals. Two
-- wide indexes carry every column the standard reports and the usual designer reports read:
--
-- * deals_report_created: deals created in a period (deals by manager, by contact, by
--   company; a designer report by responsible, company, stage or close month). The contact
--   is read per group row through deal_contacts' own index. It replaces deals_created.
-- * deals_report_stage: deals of some stages (a stage semantic is `stage IN (...)`): won ones
--   closed in a period (company profitability, won deals, product income), open ones by
--   expected close date, responsible or stage (overdue deals, expected sales, open deals by
--   stage), each also by its creation period.
--
-- Both carry `opened` for the list ACL of a caller who reads only some deals. A product-income
-- line item is read from record_products_income, found by its deal.
DROP INDEX deals_created;
CREATE INDEX deals_report_created ON deals(created_at, stage, responsible_id, company_id, closed_at, currency, amount, opened);
CREATE INDEX deals_report_stage ON deals(stage, closed_at, close_date, responsible_id, company_id, currency, amount, probability, created_at, opened);
CREATE INDEX record_products_income ON record_products(entity, record_id, product_id, quantity, price, discount_sum);
