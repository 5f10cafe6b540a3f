-- 0012: running deal totals that cannot overflow. 0011 kept one `amount` sum per row, and
-- `amount = amount + excluded.amount` silently turns REAL (inexact) past i64, while the board's
-- SUM over it stops with "integer overflow". Each amount is now kept in two parts, both
-- truncated toward zero: amount_hi sums `amount / 1000000000`, amount_lo sums
-- `amount % 1000000000`, so amount = amount_hi * 1000000000 + amount_lo exactly for any i64
-- amounts (negative ones too), and neither part nears i64 before ~10^9 deals share a row. The
-- board adds the parts up per currency and combines them in i128 (crm_core::records::money).
DROP TRIGGER deals_board_insert;
DROP TRIGGER deals_board_delete;
DROP TRIGGER deals_board_update;
DROP TABLE deal_board_totals;

CREATE TABLE deal_board_totals (
    pipeline_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    responsible_id INTEGER NOT NULL,
    opened INTEGER NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_hi INTEGER NOT NULL,
    amount_lo INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, stage, responsible_id, opened, currency)
) WITHOUT ROWID;

INSERT INTO deal_board_totals (pipeline_id, stage, responsible_id, opened, currency, n, amount_hi, amount_lo)
SELECT pipeline_id, stage, COALESCE(responsible_id, 0), opened, COALESCE(currency, ''), COUNT(*),
       COALESCE(SUM(amount / 1000000000), 0), COALESCE(SUM(amount % 1000000000), 0)
FROM deals GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER deals_board_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deal_board_totals (pipeline_id, stage, responsible_id, opened, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, NEW.stage, COALESCE(NEW.responsible_id, 0), NEW.opened, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, stage, responsible_id, opened, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;

CREATE TRIGGER deals_board_delete AFTER DELETE ON deals BEGIN
    UPDATE deal_board_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND stage = OLD.stage AND responsible_id = COALESCE(OLD.responsible_id, 0)
      AND opened = OLD.opened AND currency = COALESCE(OLD.currency, '');
END;

CREATE TRIGGER deals_board_update AFTER UPDATE OF pipeline_id, stage, responsible_id, opened, currency, amount ON deals BEGIN
    UPDATE deal_board_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND stage = OLD.stage AND responsible_id = COALESCE(OLD.responsible_id, 0)
      AND opened = OLD.opened AND currency = COALESCE(OLD.currency, '');
    INSERT INTO deal_board_totals (pipeline_id, stage, responsible_id, opened, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, NEW.stage, COALESCE(NEW.responsible_id, 0), NEW.opened, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, stage, responsible_id, opened, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;
