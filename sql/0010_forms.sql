-- 0010: web forms (leads from forms on any website) and the log of every submission. A form's
-- public key is its URL (`/f/<public_key>`); its secret signs the time tokens of the hosted and
-- embedded forms and is never shown. Every submission is logged with its raw payload (size
-- limited) and outcome, in the same transaction as what it created.

CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    fields TEXT NOT NULL DEFAULT '[]',
    creates TEXT NOT NULL DEFAULT 'lead' CHECK (creates IN ('lead', 'contact_deal')),
    pipeline_id INTEGER,
    stage TEXT,
    responsible_ids TEXT NOT NULL DEFAULT '[]',
    next_responsible INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'WEBFORM',
    source_description TEXT,
    consent TEXT,
    success_message TEXT,
    redirect_url TEXT,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    duplicates TEXT NOT NULL DEFAULT 'attach' CHECK (duplicates IN ('attach', 'repeat')),
    notify_minutes INTEGER,
    ip_limit_per_minute INTEGER NOT NULL DEFAULT 20,
    form_limit_per_minute INTEGER NOT NULL DEFAULT 600,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id)
);

CREATE TABLE form_submissions (
    id INTEGER PRIMARY KEY,
    form_id INTEGER NOT NULL REFERENCES forms(id),
    received_at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'quarantined', 'invalid', 'released')),
    reason TEXT,
    content_type TEXT,
    payload TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    page_url TEXT,
    referrer TEXT,
    utm TEXT NOT NULL DEFAULT '{}',
    consent TEXT,
    submission_key TEXT,
    lead_id INTEGER,
    contact_id INTEGER,
    deal_id INTEGER,
    matched_entity TEXT,
    matched_id INTEGER,
    activity_id INTEGER
);
CREATE INDEX form_submissions_form ON form_submissions(form_id, id);
CREATE UNIQUE INDEX form_submissions_key ON form_submissions(form_id, submission_key) WHERE submission_key IS NOT NULL;
