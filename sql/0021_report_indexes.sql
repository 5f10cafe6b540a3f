-- 0021: what the deals funnel reads at a million deals (crm_core::reports::funnel).
--
-- A funnel needs, per deal, the stages its history ever entered. Computing that from
-- deal_stage_history for a year of 400,000 deals costs seconds, so each deal keeps it:
-- `funnel_entered` is the comma list of the stage codes its history entered, each once, ordered
-- by its last entry (at, then id) — order-free of the pipeline, so reordering stages or changing
-- a stage's semantic never makes it stale; the funnel ranks the codes by the pipeline as it is
-- when asked. The history's insert trigger recomputes it from the deal's own history rows.
--
-- An administrator's funnel (every deal, no stage rule) then reads a kept aggregate:
-- deal_funnel_days counts deals per pipeline, UTC day of creation (created_at / 86400), current
-- stage, funnel_entered and currency, with their amounts in two parts as deal_board_totals
-- (0012). A period in the firm's time zone is its whole UTC days from here plus its partial
-- edge days from the deals themselves (deals_funnel), so it is exact in any zone. A caller who
-- reads only some deals (own, department) filters the deals by the list ACL through their
-- indexes instead. The funnel tests check the kept columns and rows against a recomputation.

ALTER TABLE deals ADD COLUMN funnel_entered TEXT NOT NULL DEFAULT '';

UPDATE deals SET funnel_entered = COALESCE((
    SELECT group_concat(to_stage, ',') FROM (
        SELECT h.to_stage FROM deal_stage_history h WHERE h.deal_id = deals.id
        GROUP BY h.to_stage ORDER BY MAX(h.at), MAX(h.id))), '');

CREATE TABLE deal_funnel_days (
    pipeline_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    stage TEXT NOT NULL,
    entered TEXT NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_hi INTEGER NOT NULL,
    amount_lo INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, day, stage, entered, currency)
) WITHOUT ROWID;

INSERT INTO deal_funnel_days (pipeline_id, day, stage, entered, currency, n, amount_hi, amount_lo)
SELECT pipeline_id, created_at / 86400, stage, funnel_entered, COALESCE(currency, ''), COUNT(*),
       COALESCE(SUM(amount / 1000000000), 0), COALESCE(SUM(amount % 1000000000), 0)
FROM deals GROUP BY 1, 2, 3, 4, 5;

-- A period's deals with what the funnel reads of them, from the index alone: all of them (the
-- edge days of an administrator's period), a caller's own or department's (the list ACL's
-- first arm, `responsible_id = ? OR responsible_id IN (...)`, read as one range per user), and
-- the ones opened to everyone (its second arm).
CREATE INDEX deals_funnel ON deals(pipeline_id, created_at, stage, funnel_entered, currency, amount);
CREATE INDEX deals_funnel_owner ON deals(responsible_id, pipeline_id, created_at, stage, funnel_entered, currency, amount);
CREATE INDEX deals_funnel_opened ON deals(pipeline_id, created_at, stage, funnel_entered, currency, amount, responsible_id, opened)
    WHERE opened = 1;

CREATE TRIGGER deals_funnel_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deal_funnel_days (pipeline_id, day, stage, entered, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, NEW.created_at / 86400, NEW.stage, NEW.funnel_entered, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, day, stage, entered, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;

CREATE TRIGGER deals_funnel_delete AFTER DELETE ON deals BEGIN
    UPDATE deal_funnel_days
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND day = OLD.created_at / 86400 AND stage = OLD.stage
      AND entered = OLD.funnel_entered AND currency = COALESCE(OLD.currency, '');
    DELETE FROM deal_funnel_days
    WHERE pipeline_id = OLD.pipeline_id AND day = OLD.created_at / 86400 AND stage = OLD.stage
      AND entered = OLD.funnel_entered AND currency = COALESCE(OLD.currency, '') AND n = 0;
END;

CREATE TRIGGER deals_funnel_update
AFTER UPDATE OF pipeline_id, created_at, stage, funnel_entered, currency, amount ON deals BEGIN
    UPDATE deal_funnel_days
    SET n = n - 1,
        amount_hi = amount_hi - COALESCE(OLD.amount / 1000000000, 0),
        amount_lo = amount_lo - COALESCE(OLD.amount % 1000000000, 0)
    WHERE pipeline_id = OLD.pipeline_id AND day = OLD.created_at / 86400 AND stage = OLD.stage
      AND entered = OLD.funnel_entered AND currency = COALESCE(OLD.currency, '');
    DELETE FROM deal_funnel_days
    WHERE pipeline_id = OLD.pipeline_id AND day = OLD.created_at / 86400 AND stage = OLD.stage
      AND entered = OLD.funnel_entered AND currency = COALESCE(OLD.currency, '') AND n = 0;
    INSERT INTO deal_funnel_days (pipeline_id, day, stage, entered, currency, n, amount_hi, amount_lo)
    VALUES (NEW.pipeline_id, NEW.created_at / 86400, NEW.stage, NEW.funnel_entered, COALESCE(NEW.currency, ''), 1,
            COALESCE(NEW.amount / 1000000000, 0), COALESCE(NEW.amount % 1000000000, 0))
    ON CONFLICT (pipeline_id, day, stage, entered, currency)
    DO UPDATE SET n = n + 1, amount_hi = amount_hi + excluded.amount_hi, amount_lo = amount_lo + excluded.amount_lo;
END;

CREATE TRIGGER deal_stage_history_funnel AFTER INSERT ON deal_stage_history BEGIN
    UPDATE deals SET funnel_entered = COALESCE((
        SELECT group_concat(to_stage, ',') FROM (
            SELECT h.to_stage FROM deal_stage_history h WHERE h.deal_id = NEW.deal_id
            GROUP BY h.to_stage ORDER BY MAX(h.at), MAX(h.id))), '')
    WHERE id = NEW.deal_id;
END;
