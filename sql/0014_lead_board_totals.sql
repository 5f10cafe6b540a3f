-- 0014: running lead totals for the leads board, as 0012 keeps them for deals. Without them the
-- board counts and sums every lead per status (seconds over a million leads); with them it
-- reads a few rows per status whenever its filters are only responsible, opened or currency.
-- Amounts are kept in two parts (amount / 10^9 and amount % 10^9, truncated toward zero) so no
-- sum can overflow; crm_core::records::money combines them in i128.
CREATE TABLE lead_board_totals (
    status TEXT NOT NULL,
    responsible_id INTEGER NOT NULL,
    opened INTEGER NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_hi INTEGER NOT NULL,
    amount_lo INTEGER NOT NULL,
    PRIMARY KEY (status, responsible_id, opened, currency)
) WITHOUT ROWID;

INSERT INTO lead_board_totals (status, responsible_id, opened, currency, n, amount_hi, amount_lo)
SELECT status, COALESCE(responsible_id, 0), opened, COALESCE(currency, ''), COUNT(*),
       COALESCE(SUM(amount / 1000000000), 0), COALESCE(SUM(amount % 1000000000), 0)
FROM leads GROUP BY 1, 2, 3, 4;

CREATE TRIGGER leads_board_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_board_totals (status, responsible_id, opened, currency, n, amount_hi, amount_lo)
    VALUES (NEW.status, COALESCE(NEW.responsible_id, 0), NEW.opened, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (status, responsible_id, opened, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;

CREATE TRIGGER leads_board_delete AFTER DELETE ON leads BEGIN
    UPDATE lead_board_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE status = OLD.status AND responsible_id = COALESCE(OLD.responsible_id, 0)
      AND opened = OLD.opened AND currency = COALESCE(OLD.currency, '');
END;

CREATE TRIGGER leads_board_update AFTER UPDATE OF status, responsible_id, opened, currency, amount ON leads BEGIN
    UPDATE lead_board_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE status = OLD.status AND responsible_id = COALESCE(OLD.responsible_id, 0)
      AND opened = OLD.opened AND currency = COALESCE(OLD.currency, '');
    INSERT INTO lead_board_totals (status, responsible_id, opened, currency, n, amount_hi, amount_lo)
    VALUES (NEW.status, COALESCE(NEW.responsible_id, 0), NEW.opened, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (status, responsible_id, opened, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;
