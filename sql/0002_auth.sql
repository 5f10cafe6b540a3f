-- 0002: users, departments, roles and permissions, API tokens, login throttling, audit log.
-- Times are INTEGER unix seconds (UTC); the API renders them as RFC 3339.

-- A firm's structure: a tree. The head is a user (set after users exist).
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES departments(id) ON DELETE RESTRICT,
    head_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    sort INTEGER NOT NULL DEFAULT 100,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER,
    updated_by INTEGER
);
CREATE INDEX departments_parent ON departments(parent_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    department_id INTEGER REFERENCES departments(id) ON DELETE SET NULL,
    position TEXT,
    language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ru')),
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER,
    updated_by INTEGER
);
CREATE INDEX users_department ON users(department_id);

-- A role's permission matrix is JSON, parsed and checked by crm_core::acl:
-- {"entities": {"lead": {"read": "all", ...}, ...},
--  "stages": {"deal": {"read": ["NEW", ...], "move": ["NEW", ...]}}}   (an absent list = no limit)
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_system INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    permissions TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;

CREATE TABLE department_roles (
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (department_id, role_id)
) WITHOUT ROWID;

-- Bearer tokens "crm_<id>_<secret>": only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Failed logins, per account (scope 'account', key = lowercased email) and per IP.
CREATE TABLE auth_failures (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX auth_failures_lookup ON auth_failures(scope, key, at);

-- Auth and permission events: who, what, on what, from where, when.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_user_id INTEGER,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id INTEGER,
    ip TEXT,
    details TEXT
);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_actor ON audit_log(actor_user_id, id);

-- The default roles. Levels: none < own < department < subdepartments < all.
INSERT INTO roles (code, name, is_system, permissions, created_at, updated_at) VALUES
('administrator', 'Administrator', 1,
 '{"entities":{"lead":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"contact":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"company":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"deal":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"activity":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"product":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"report":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"settings":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"}},"stages":{}}',
 strftime('%s', 'now'), strftime('%s', 'now')),
('director', 'Director', 1,
 '{"entities":{"lead":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"contact":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"company":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"deal":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"activity":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"product":{"read":"all","add":"all","update":"all","delete":"all","export":"all","import":"all"},"report":{"read":"all","add":"none","update":"none","delete":"none","export":"all","import":"none"},"settings":{"read":"none","add":"none","update":"none","delete":"none","export":"none","import":"none"}},"stages":{}}',
 strftime('%s', 'now'), strftime('%s', 'now')),
('head', 'Head of department', 1,
 '{"entities":{"lead":{"read":"subdepartments","add":"subdepartments","update":"subdepartments","delete":"subdepartments","export":"subdepartments","import":"subdepartments"},"contact":{"read":"subdepartments","add":"subdepartments","update":"subdepartments","delete":"subdepartments","export":"subdepartments","import":"subdepartments"},"company":{"read":"subdepartments","add":"subdepartments","update":"subdepartments","delete":"subdepartments","export":"subdepartments","import":"subdepartments"},"deal":{"read":"subdepartments","add":"subdepartments","update":"subdepartments","delete":"subdepartments","export":"subdepartments","import":"subdepartments"},"activity":{"read":"subdepartments","add":"subdepartments","update":"subdepartments","delete":"subdepartments","export":"subdepartments","import":"subdepartments"},"product":{"read":"all","add":"none","update":"none","delete":"none","export":"all","import":"none"},"report":{"read":"subdepartments","add":"none","update":"none","delete":"none","export":"subdepartments","import":"none"},"settings":{"read":"none","add":"none","update":"none","delete":"none","export":"none","import":"none"}},"stages":{}}',
 strftime('%s', 'now'), strftime('%s', 'now')),
('manager', 'Manager', 1,
 '{"entities":{"lead":{"read":"own","add":"own","update":"own","delete":"own","export":"own","import":"none"},"contact":{"read":"own","add":"own","update":"own","delete":"own","export":"own","import":"none"},"company":{"read":"own","add":"own","update":"own","delete":"own","export":"own","import":"none"},"deal":{"read":"own","add":"own","update":"own","delete":"none","export":"own","import":"none"},"activity":{"read":"own","add":"own","update":"own","delete":"own","export":"own","import":"none"},"product":{"read":"all","add":"none","update":"none","delete":"none","export":"none","import":"none"},"report":{"read":"own","add":"none","update":"none","delete":"none","export":"none","import":"none"},"settings":{"read":"none","add":"none","update":"none","delete":"none","export":"none","import":"none"}},"stages":{"deal":{"move":["NEW","PREPARATION","PREPAYMENT_INVOICE","EXECUTING","FINAL_INVOICE","LOSE"]}}}',
 strftime('%s', 'now'), strftime('%s', 'now'));
