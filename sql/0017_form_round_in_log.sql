-- A form's round-robin position moves with its log row: each accepted submission records the
-- turn after its own (`next_turn`), and the next submission reads the form's latest one. The
-- submission then writes one row fewer (no `UPDATE forms`), which on a remote database is one
-- round trip fewer; `forms.next_responsible` stays as the position before the first such row.
ALTER TABLE form_submissions ADD COLUMN next_turn INTEGER;
CREATE INDEX form_submissions_turn ON form_submissions(form_id, id, next_turn) WHERE next_turn IS NOT NULL;
