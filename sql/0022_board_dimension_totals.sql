-- 0022: running deal totals per pipeline, stage, source (and per pipeline, stage, type) and
-- currency, for boards filtered by a deal's source or type. deal_board_totals (0012) is keyed by
-- the ACL's columns (responsible, opened), so it answers every caller but no other filter; a
-- board filtered by source read every deal of the pipeline (800k at the bench's million deals,
-- won and lost columns included). These two tables keep no owner, so only a caller who reads
-- every deal may use them (crm_core::records::entities::deal); a manager's filtered board reads
-- the records through the owner indexes, a few per cent of them. A NULL source or type is kept
-- as '' (as 0012 keeps a NULL currency), and the board never answers a filter on '' from here.
-- Amounts are kept in two parts exactly as 0012 keeps them.

CREATE TABLE deal_board_source_totals (
    pipeline_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    stage TEXT NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_hi INTEGER NOT NULL,
    amount_lo INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, source, stage, currency)
) WITHOUT ROWID;

CREATE TABLE deal_board_type_totals (
    pipeline_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    stage TEXT NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_hi INTEGER NOT NULL,
    amount_lo INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, type, stage, currency)
) WITHOUT ROWID;

INSERT INTO deal_board_source_totals (pipeline_id, source, stage, currency, n, amount_hi, amount_lo)
SELECT pipeline_id, COALESCE(source, ''), stage, COALESCE(currency, ''), COUNT(*),
       COALESCE(SUM(amount / 1000000000), 0), COALESCE(SUM(amount % 1000000000), 0)
FROM deals GROUP BY 1, 2, 3, 4;

INSERT INTO deal_board_type_totals (pipeline_id, type, stage, currency, n, amount_hi, amount_lo)
SELECT pipeline_id, COALESCE(type, ''), stage, COALESCE(currency, ''), COUNT(*),
       COALESCE(SUM(amount / 1000000000), 0), COALESCE(SUM(amount % 1000000000), 0)
FROM deals GROUP BY 1, 2, 3, 4;

CREATE TRIGGER deals_board_dimensions_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deal_board_source_totals (pipeline_id, source, stage, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, COALESCE(NEW.source, ''), NEW.stage, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, source, stage, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
    INSERT INTO deal_board_type_totals (pipeline_id, type, stage, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, COALESCE(NEW.type, ''), NEW.stage, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, type, stage, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;

CREATE TRIGGER deals_board_dimensions_delete AFTER DELETE ON deals BEGIN
    UPDATE deal_board_source_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND source = COALESCE(OLD.source, '') AND stage = OLD.stage
      AND currency = COALESCE(OLD.currency, '');
    UPDATE deal_board_type_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND type = COALESCE(OLD.type, '') AND stage = OLD.stage
      AND currency = COALESCE(OLD.currency, '');
END;

CREATE TRIGGER deals_board_dimensions_update
AFTER UPDATE OF pipeline_id, stage, currency, amount, source, type ON deals BEGIN
    UPDATE deal_board_source_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND source = COALESCE(OLD.source, '') AND stage = OLD.stage
      AND currency = COALESCE(OLD.currency, '');
    INSERT INTO deal_board_source_totals (pipeline_id, source, stage, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, COALESCE(NEW.source, ''), NEW.stage, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, source, stage, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
    UPDATE deal_board_type_totals
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND type = COALESCE(OLD.type, '') AND stage = OLD.stage
      AND currency = COALESCE(OLD.currency, '');
    INSERT INTO deal_board_type_totals (pipeline_id, type, stage, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, COALESCE(NEW.type, ''), NEW.stage, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, type, stage, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;
