-- A form's log rows carry what used to be kept beside them, so a submission reads it in its one
-- read and writes one row fewer (on a remote database, a round trip fewer each):
-- - the round-robin position: each accepted submission records the turn after its own
--   (`next_turn`), and the next submission reads the form's latest one (`forms.next_responsible`
--   stays as the position before the first such row);
-- - the rate limits: the form's log rows of the last minute, per form and per address, are the
--   window (the fixed-window counters of `rate_counters` are gone).
ALTER TABLE form_submissions ADD COLUMN next_turn INTEGER;
CREATE INDEX form_submissions_turn ON form_submissions(form_id, id, next_turn) WHERE next_turn IS NOT NULL;
CREATE INDEX form_submissions_window ON form_submissions(form_id, received_at, ip);
DROP TABLE rate_counters;
