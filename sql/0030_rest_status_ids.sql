-- 0030: the REST API's numeric ids of dictionary entries and deal stages (issue 19).
-- Bitrix24's crm.status.get|update|delete address an entry by a number (`ID`), while our
-- entries are keyed by (kind, code) and stages by their code. Each entry and stage gets a
-- number here, kept by triggers for any writer; AUTOINCREMENT so a deleted entry's number is
-- never given to another. `kind` is the dictionary's stored kind, or 'deal_stage' for stages
-- (stage codes are unique across pipelines). Codes never change (both are immutable).

CREATE TABLE rest_status_ids (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    UNIQUE (kind, code)
);

INSERT INTO rest_status_ids (kind, code)
    SELECT kind, code FROM dictionary_entries ORDER BY kind, sort, code;
INSERT INTO rest_status_ids (kind, code)
    SELECT 'deal_stage', code FROM pipeline_stages ORDER BY pipeline_id, sort, id;

CREATE TRIGGER rest_status_ids_entry_insert AFTER INSERT ON dictionary_entries BEGIN
    INSERT OR IGNORE INTO rest_status_ids (kind, code) VALUES (NEW.kind, NEW.code);
END;

CREATE TRIGGER rest_status_ids_entry_delete AFTER DELETE ON dictionary_entries BEGIN
    DELETE FROM rest_status_ids WHERE kind = OLD.kind AND code = OLD.code;
END;

CREATE TRIGGER rest_status_ids_stage_insert AFTER INSERT ON pipeline_stages BEGIN
    INSERT OR IGNORE INTO rest_status_ids (kind, code) VALUES ('deal_stage', NEW.code);
END;

CREATE TRIGGER rest_status_ids_stage_delete AFTER DELETE ON pipeline_stages BEGIN
    DELETE FROM rest_status_ids WHERE kind = 'deal_stage' AND code = OLD.code;
END;
