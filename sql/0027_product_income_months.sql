-- 0027: product income over a year reads kept monthly sums instead of every line item.
--
-- The standard report "product income" sums the line items of won deals closed in a period by
-- product: a year is some 340,000 items at a million deals, each found through its deal and then
-- sorted by product. deal_product_months keeps, per deal stage, UTC month of the deal's
-- closed_at (the month's first second; -1 while the deal is open), deal currency ('' for none)
-- and product (0 for a free-text item), the count of items and their quantities and incomes,
-- each split in two parts as deal_board_totals (0012) keeps amounts, so sums never overflow.
-- The income is the report's own per-item expression (crm_core::reports::fields::LINE_INCOME).
--
-- crm_core::reports::rollup answers a report from here when it asks only what the table keeps
-- (count, quantity and income by product, filtered by stage, over the deals' close time, for a
-- caller who reads every deal): the period's whole UTC months from here, its partial edge
-- months from the items, so it is exact in any time zone. The reports tests check the table
-- against a recomputation after every kind of change.
--
-- The items' triggers find the deal's stage, close month and currency through the deal; a deal
-- that changes them moves its items' sums, and a deal's deletion takes its items' sums away
-- (its items are deleted after it, when the deal is gone, and then change nothing here).
CREATE TABLE deal_product_months (
    stage TEXT NOT NULL,
    month INTEGER NOT NULL,
    currency TEXT NOT NULL,
    product_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    quantity_hi INTEGER NOT NULL,
    quantity_lo INTEGER NOT NULL,
    income_hi INTEGER NOT NULL,
    income_lo INTEGER NOT NULL,
    PRIMARY KEY (stage, month, currency, product_id)
) WITHOUT ROWID;

INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
SELECT d.stage, COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
       COALESCE(d.currency, ''), COALESCE(li.product_id, 0), COUNT(*),
       SUM(li.quantity / 1000000000), SUM(li.quantity % 1000000000),
       SUM((li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) / 1000000000),
       SUM((li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) % 1000000000)
FROM record_products li JOIN deals d ON d.id = li.record_id AND li.entity = 'deal'
GROUP BY 1, 2, 3, 4;

-- Adds (sign 1) or takes away (sign -1) the items of deal `id` as the deal stood: the views
-- below are the one place the keys and parts are computed; each trigger selects from them.
CREATE VIEW deal_product_month_items AS
SELECT li.id AS item_id, li.record_id AS deal_id, d.stage AS stage,
       COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1) AS month,
       COALESCE(d.currency, '') AS currency, COALESCE(li.product_id, 0) AS product_id,
       li.quantity / 1000000000 AS quantity_hi, li.quantity % 1000000000 AS quantity_lo,
       (li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) / 1000000000 AS income_hi,
       (li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) % 1000000000 AS income_lo
FROM record_products li JOIN deals d ON d.id = li.record_id AND li.entity = 'deal';

CREATE TRIGGER record_products_months_insert AFTER INSERT ON record_products WHEN NEW.entity = 'deal' BEGIN
    INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
    SELECT stage, month, currency, product_id, 1, quantity_hi, quantity_lo, income_hi, income_lo
    FROM deal_product_month_items WHERE item_id = NEW.id
    ON CONFLICT (stage, month, currency, product_id) DO UPDATE SET
        n = n + 1, quantity_hi = quantity_hi + excluded.quantity_hi, quantity_lo = quantity_lo + excluded.quantity_lo,
        income_hi = income_hi + excluded.income_hi, income_lo = income_lo + excluded.income_lo;
END;

-- An item deleted or changed: its old sums leave (through OLD's own values and its deal).
CREATE TRIGGER record_products_months_delete AFTER DELETE ON record_products WHEN OLD.entity = 'deal' BEGIN
    UPDATE deal_product_months SET
        n = n - 1,
        quantity_hi = quantity_hi - OLD.quantity / 1000000000, quantity_lo = quantity_lo - OLD.quantity % 1000000000,
        income_hi = income_hi - (OLD.quantity / 1000 * (OLD.price - OLD.discount_sum) + (OLD.quantity % 1000 * (OLD.price - OLD.discount_sum) + 500) / 1000) / 1000000000,
        income_lo = income_lo - (OLD.quantity / 1000 * (OLD.price - OLD.discount_sum) + (OLD.quantity % 1000 * (OLD.price - OLD.discount_sum) + 500) / 1000) % 1000000000
    WHERE (stage, month, currency, product_id) = (
        SELECT d.stage, COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
               COALESCE(d.currency, ''), COALESCE(OLD.product_id, 0)
        FROM deals d WHERE d.id = OLD.record_id);
    DELETE FROM deal_product_months WHERE n = 0 AND (stage, month, currency, product_id) = (
        SELECT d.stage, COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
               COALESCE(d.currency, ''), COALESCE(OLD.product_id, 0)
        FROM deals d WHERE d.id = OLD.record_id);
END;

CREATE TRIGGER record_products_months_update
AFTER UPDATE OF entity, record_id, product_id, quantity, price, discount_sum ON record_products BEGIN
    UPDATE deal_product_months SET
        n = n - 1,
        quantity_hi = quantity_hi - OLD.quantity / 1000000000, quantity_lo = quantity_lo - OLD.quantity % 1000000000,
        income_hi = income_hi - (OLD.quantity / 1000 * (OLD.price - OLD.discount_sum) + (OLD.quantity % 1000 * (OLD.price - OLD.discount_sum) + 500) / 1000) / 1000000000,
        income_lo = income_lo - (OLD.quantity / 1000 * (OLD.price - OLD.discount_sum) + (OLD.quantity % 1000 * (OLD.price - OLD.discount_sum) + 500) / 1000) % 1000000000
    WHERE OLD.entity = 'deal' AND (stage, month, currency, product_id) = (
        SELECT d.stage, COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
               COALESCE(d.currency, ''), COALESCE(OLD.product_id, 0)
        FROM deals d WHERE d.id = OLD.record_id);
    DELETE FROM deal_product_months WHERE n = 0 AND (stage, month, currency, product_id) = (
        SELECT d.stage, COALESCE(CAST(strftime('%s', d.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
               COALESCE(d.currency, ''), COALESCE(OLD.product_id, 0)
        FROM deals d WHERE d.id = OLD.record_id);
    INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
    SELECT stage, month, currency, product_id, 1, quantity_hi, quantity_lo, income_hi, income_lo
    FROM deal_product_month_items WHERE item_id = NEW.id AND NEW.entity = 'deal'
    ON CONFLICT (stage, month, currency, product_id) DO UPDATE SET
        n = n + 1, quantity_hi = quantity_hi + excluded.quantity_hi, quantity_lo = quantity_lo + excluded.quantity_lo,
        income_hi = income_hi + excluded.income_hi, income_lo = income_lo + excluded.income_lo;
END;

-- A deal that changes stage, close time or currency takes its items' sums from the old keys
-- and adds them under the new ones; a deleted deal takes them away.
CREATE TRIGGER deals_product_months_update AFTER UPDATE OF stage, closed_at, currency ON deals BEGIN
    INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
    SELECT OLD.stage, COALESCE(CAST(strftime('%s', OLD.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
           COALESCE(OLD.currency, ''), product_id, -1, -quantity_hi, -quantity_lo, -income_hi, -income_lo
    FROM deal_product_month_items WHERE deal_id = NEW.id
    ON CONFLICT (stage, month, currency, product_id) DO UPDATE SET
        n = n + excluded.n, quantity_hi = quantity_hi + excluded.quantity_hi, quantity_lo = quantity_lo + excluded.quantity_lo,
        income_hi = income_hi + excluded.income_hi, income_lo = income_lo + excluded.income_lo;
    INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
    SELECT stage, month, currency, product_id, 1, quantity_hi, quantity_lo, income_hi, income_lo
    FROM deal_product_month_items WHERE deal_id = NEW.id
    ON CONFLICT (stage, month, currency, product_id) DO UPDATE SET
        n = n + 1, quantity_hi = quantity_hi + excluded.quantity_hi, quantity_lo = quantity_lo + excluded.quantity_lo,
        income_hi = income_hi + excluded.income_hi, income_lo = income_lo + excluded.income_lo;
    DELETE FROM deal_product_months WHERE n = 0 AND stage = OLD.stage
        AND month = COALESCE(CAST(strftime('%s', OLD.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1)
        AND currency = COALESCE(OLD.currency, '');
END;

CREATE TRIGGER deals_product_months_delete AFTER DELETE ON deals BEGIN
    INSERT INTO deal_product_months (stage, month, currency, product_id, n, quantity_hi, quantity_lo, income_hi, income_lo)
    SELECT OLD.stage, COALESCE(CAST(strftime('%s', OLD.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1),
           COALESCE(OLD.currency, ''), COALESCE(li.product_id, 0), -1,
           -(li.quantity / 1000000000), -(li.quantity % 1000000000),
           -((li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) / 1000000000),
           -((li.quantity / 1000 * (li.price - li.discount_sum) + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000) % 1000000000)
    FROM record_products li WHERE li.entity = 'deal' AND li.record_id = OLD.id
    ON CONFLICT (stage, month, currency, product_id) DO UPDATE SET
        n = n + excluded.n, quantity_hi = quantity_hi + excluded.quantity_hi, quantity_lo = quantity_lo + excluded.quantity_lo,
        income_hi = income_hi + excluded.income_hi, income_lo = income_lo + excluded.income_lo;
    DELETE FROM deal_product_months WHERE n = 0 AND stage = OLD.stage
        AND month = COALESCE(CAST(strftime('%s', OLD.closed_at, 'unixepoch', 'start of month') AS INTEGER), -1)
        AND currency = COALESCE(OLD.currency, '');
END;
