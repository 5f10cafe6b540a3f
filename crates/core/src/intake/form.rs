//! Web forms as records (`/api/forms`, `settings` permission): what a form shows and asks
//! for, how incoming field names map to CRM fields, what it creates (a lead, or a contact and
//! a deal), who gets it (one user or round-robin), consent, where the visitor goes after, which
//! origins may post from scripts, what happens to duplicates, and whether a "call the client"
//! task is made. The public key is generated (unguessable) and is the form's URL; the secret
//! signs its time tokens and is never shown.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::{EntityDef, values};
use crate::resource::{ListQuery, Page, Where, audit, check_version};

/// Filters `GET /api/forms` accepts.
pub const FILTERS: &[&str] = &["active"];

/// The input types a form field may have on the hosted page.
pub const FIELD_TYPES: &[&str] = &[
    "text", "email", "tel", "textarea", "number", "date", "checkbox", "select", "hidden",
];

/// Where the incoming names map when a form does not say: the names Contact Form 7, Tilda,
/// Elementor (labels), WPForms and plain HTML forms send for the usual fields.
pub const ALIASES: &[(&str, &str)] = &[
    ("name", "name"),
    ("your-name", "name"),
    ("fio", "name"),
    ("full_name", "name"),
    ("имя", "name"),
    ("first_name", "first_name"),
    ("firstname", "first_name"),
    ("last_name", "last_name"),
    ("lastname", "last_name"),
    ("surname", "last_name"),
    ("фамилия", "last_name"),
    ("email", "email"),
    ("e-mail", "email"),
    ("your-email", "email"),
    ("mail", "email"),
    ("phone", "phone"),
    ("your-phone", "phone"),
    ("tel", "phone"),
    ("telephone", "phone"),
    ("телефон", "phone"),
    ("company", "company_title"),
    ("company_name", "company_title"),
    ("your-company", "company_title"),
    ("компания", "company_title"),
    ("message", "comments"),
    ("your-message", "comments"),
    ("comment", "comments"),
    ("comments", "comments"),
    ("сообщение", "comments"),
    ("комментарий", "comments"),
    ("subject", "title"),
    ("your-subject", "title"),
    ("website", "website"),
    ("site", "website"),
];

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// The name the form posts (`your-email`, `Email`, `1.3`).
    pub name: String,
    /// The CRM field it fills: `name` (split into first and last), `email`, `phone`,
    /// `website`, a lead field such as `company_title`, or `custom.<code>`.
    pub target: String,
    /// Labels on the hosted page.
    pub label: Label,
    /// Whether a submission without it is invalid.
    #[serde(default)]
    pub required: bool,
    /// Input type on the hosted page (see [`FIELD_TYPES`]).
    #[serde(default = "text_type", rename = "type")]
    pub kind: String,
    /// Choices of a `select`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

fn text_type() -> String {
    "text".into()
}

/// English and Russian text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// English.
    pub en: String,
    /// Russian (English if not given).
    #[serde(default)]
    pub ru: String,
}

/// The consent checkbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// What the visitor agrees to (kept with each submission as proof).
    pub text: String,
    /// Whether a submission without consent is invalid.
    #[serde(default)]
    pub required: bool,
}

/// A form as the intake needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Id.
    pub id: i64,
    /// Name (shown as the hosted page's title).
    pub name: String,
    /// The key in its URL.
    pub public_key: String,
    /// Signs time tokens; never shown.
    pub secret: String,
    /// Whether it takes submissions.
    pub active: bool,
    /// Its fields.
    pub fields: Vec<FormField>,
    /// `lead` or `contact_deal`.
    pub creates: String,
    /// Pipeline and stage of the deal (`contact_deal`).
    pub pipeline_id: Option<i64>,
    /// Stage of the deal.
    pub stage: Option<String>,
    /// Who gets the records: one user, or round-robin over several.
    pub responsible_ids: Vec<i64>,
    /// Source code of created records.
    pub source: String,
    /// Source details.
    pub source_description: Option<String>,
    /// The consent checkbox, if any.
    pub consent: Option<Consent>,
    /// Shown after a submission.
    pub success_message: Option<String>,
    /// Where a no-JS post is sent after a submission.
    pub redirect_url: Option<String>,
    /// Origins whose scripts may post (`*` for any).
    pub allowed_origins: Vec<String>,
    /// `attach` (log the submission on the existing record) or `repeat` (a new lead anyway).
    pub duplicates: String,
    /// Minutes until the "call the client" task is due, if one is made.
    pub notify_minutes: Option<i64>,
    /// Submissions one IP may make per minute (0: no limit).
    pub ip_limit_per_minute: i64,
    /// Submissions the form takes per minute from everyone (0: no limit).
    pub form_limit_per_minute: i64,
    /// Version.
    pub version: i64,
}

impl Form {
    fn from_row(row: &Row) -> Form {
        let json = |name: &str| -> Json {
            row.str(name)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Json::Null)
        };
        Form {
            id: row.i64("id").unwrap_or_default(),
            name: row.str("name").unwrap_or_default().to_string(),
            public_key: row.str("public_key").unwrap_or_default().to_string(),
            secret: row.str("secret").unwrap_or_default().to_string(),
            active: row.i64("active") == Some(1),
            fields: serde_json::from_value(json("fields")).unwrap_or_default(),
            creates: row.str("creates").unwrap_or("lead").to_string(),
            pipeline_id: row.i64("pipeline_id"),
            stage: row.str("stage").map(str::to_owned),
            responsible_ids: serde_json::from_value(json("responsible_ids")).unwrap_or_default(),
            source: row.str("source").unwrap_or("WEBFORM").to_string(),
            source_description: row.str("source_description").map(str::to_owned),
            consent: serde_json::from_value(json("consent")).ok(),
            success_message: row.str("success_message").map(str::to_owned),
            redirect_url: row.str("redirect_url").map(str::to_owned),
            allowed_origins: serde_json::from_value(json("allowed_origins")).unwrap_or_default(),
            duplicates: row.str("duplicates").unwrap_or("attach").to_string(),
            notify_minutes: row.i64("notify_minutes"),
            ip_limit_per_minute: row.i64("ip_limit_per_minute").unwrap_or(20),
            form_limit_per_minute: row.i64("form_limit_per_minute").unwrap_or(600),
            version: row.i64("version").unwrap_or_default(),
        }
    }

    /// The CRM field an incoming name fills: the form's own mapping first, then the usual
    /// names ([`ALIASES`], case-insensitive), else `None` (ignored, but kept in the log).
    pub fn target_of(&self, incoming: &str) -> Option<String> {
        if let Some(field) = self.fields.iter().find(|f| f.name == incoming) {
            return Some(field.target.clone());
        }
        let lower = incoming.trim().to_lowercase();
        ALIASES
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, target)| target.to_string())
    }

    /// Whether `origin` (the request's `Origin` header) may post from a script: it matches an
    /// allowed origin or pattern (`https://*.example.com`); `*` allows any web origin but never
    /// the opaque `null` one.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|pattern| values::origin_matches(pattern, origin))
    }

    /// Where a plain HTML post is sent after success: the redirect URL if it is still a valid,
    /// header-safe URL (forms stored before URLs were checked may hold anything), else `None`
    /// (the hosted thank-you page).
    pub fn redirect_target(&self) -> Option<&str> {
        self.redirect_url
            .as_deref()
            .filter(|url| values::parse_http_url(url).is_ok())
    }

    /// The API record (never the secret); `base_url` makes the public link and embed snippets.
    pub fn to_json(&self, base_url: &str) -> Json {
        let url = format!("{base_url}/f/{}", self.public_key);
        json!({
            "id": self.id,
            "name": self.name,
            "public_key": self.public_key,
            "active": self.active,
            "fields": self.fields,
            "creates": self.creates,
            "pipeline_id": self.pipeline_id,
            "stage": self.stage,
            "responsible_ids": self.responsible_ids,
            "source": self.source,
            "source_description": self.source_description,
            "consent": self.consent,
            "success_message": self.success_message,
            "redirect_url": self.redirect_url,
            "allowed_origins": self.allowed_origins,
            "duplicates": self.duplicates,
            "notify_minutes": self.notify_minutes,
            "ip_limit_per_minute": self.ip_limit_per_minute,
            "form_limit_per_minute": self.form_limit_per_minute,
            "version": self.version,
            "public_url": url,
            "embed": {
                "link": format!("<a href=\"{url}\" target=\"_blank\" rel=\"noopener\">{}</a>", html_escape(&self.name)),
                "script": format!(
                    "<div id=\"crm-form-{key}\"></div>\n<script src=\"{url}.js\" data-target=\"crm-form-{key}\" async></script>",
                    key = self.public_key
                ),
            },
        })
    }
}

/// Escapes text for HTML (element content and quoted attributes).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The active or inactive form with this public key.
pub fn by_key(db: &dyn Db, key: &str) -> Result<Option<Form>, CoreError> {
    if key.is_empty() || key.len() > 64 {
        return Ok(None);
    }
    let rows = db.query("SELECT * FROM forms WHERE public_key = ?", &[key.into()])?;
    Ok(rows.first().map(|r| Form::from_row(&r)))
}

fn by_id(db: &dyn Db, id: i64) -> Result<Form, CoreError> {
    let rows = db.query("SELECT * FROM forms WHERE id = ?", &[id.into()])?;
    rows.first().map(|r| Form::from_row(&r)).ok_or(CoreError::NotFound)
}

/// Lists forms (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery, base_url: &str) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let mut filter = Where::default();
    if let Some(active) = query.filter_bool("active")? {
        filter.and("active = ?", [active.into()]);
    }
    filter.page(db, "SELECT * FROM forms", query, |row| {
        Ok(Form::from_row(row).to_json(base_url))
    })
}

/// One form (settings read).
pub fn get(db: &dyn Db, caller: &Caller, id: i64, base_url: &str) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    Ok(by_id(db, id)?.to_json(base_url))
}

const WRITABLE: &[&str] = &[
    "name",
    "active",
    "fields",
    "creates",
    "pipeline_id",
    "stage",
    "responsible_ids",
    "source",
    "source_description",
    "consent",
    "success_message",
    "redirect_url",
    "allowed_origins",
    "duplicates",
    "notify_minutes",
    "ip_limit_per_minute",
    "form_limit_per_minute",
];

/// Checks a whole definition (the stored one with the patch merged in).
fn check(db: &dyn Db, draft: &Map<String, Json>) -> Result<(), CoreError> {
    let mut errors = FieldErrors::new();
    let text = |key: &str| draft.get(key).and_then(Json::as_str).unwrap_or_default();
    if text("name").trim().is_empty() || text("name").chars().count() > 200 {
        errors.push("name", "required", "a name of 1 to 200 characters is required");
    }
    let creates = text("creates");
    if !["lead", "contact_deal"].contains(&creates) {
        errors.push("creates", "invalid_choice", "must be lead or contact_deal");
    }
    let target_entity = if creates == "contact_deal" { "contact" } else { "lead" };
    let def = EntityDef::load(db, target_entity)?;
    match serde_json::from_value::<Vec<FormField>>(draft.get("fields").cloned().unwrap_or(json!([]))) {
        Err(e) => errors.push("fields", "invalid_type", format!("expected a list of fields: {e}")),
        Ok(fields) => {
            for (i, field) in fields.iter().enumerate() {
                let known = matches!(field.target.as_str(), "name" | "email" | "phone" | "website")
                    || def
                        .field(field.target.strip_prefix("custom.").unwrap_or(&field.target))
                        .is_some();
                if !known {
                    errors.push(
                        format!("fields[{i}].target"),
                        "unknown_field",
                        format!("not a field of a {target_entity}"),
                    );
                }
                if field.name.trim().is_empty() || field.name.len() > 100 {
                    errors.push(
                        format!("fields[{i}].name"),
                        "required",
                        "the name the form posts, 1 to 100 characters",
                    );
                }
                if !FIELD_TYPES.contains(&field.kind.as_str()) {
                    errors.push(
                        format!("fields[{i}].type"),
                        "invalid_choice",
                        format!("one of {}", FIELD_TYPES.join(", ")),
                    );
                }
            }
        }
    }
    match serde_json::from_value::<Vec<i64>>(draft.get("responsible_ids").cloned().unwrap_or(json!([]))) {
        Ok(ids) if !ids.is_empty() && ids.len() <= 50 => {
            for (i, id) in ids.iter().enumerate() {
                if db
                    .query("SELECT 1 FROM users WHERE id = ? AND active = 1", &[(*id).into()])?
                    .is_empty()
                {
                    errors.push(
                        format!("responsible_ids[{i}]"),
                        "not_found",
                        format!("no active user {id}"),
                    );
                }
            }
        }
        _ => errors.push("responsible_ids", "required", "1 to 50 user ids (several take turns)"),
    }
    if let Some(consent) = draft.get("consent").filter(|c| !c.is_null())
        && serde_json::from_value::<Consent>(consent.clone()).is_err()
    {
        errors.push("consent", "invalid_type", "expected {\"text\", \"required\"}");
    }
    match draft.get("redirect_url") {
        None | Some(Json::Null) => {}
        Some(Json::String(url)) => {
            if let Err(e) = values::parse_http_url(url) {
                errors.push("redirect_url", e.code, e.message);
            }
        }
        Some(_) => errors.push("redirect_url", "invalid_type", "expected an absolute http(s) URL"),
    }
    match serde_json::from_value::<Vec<String>>(draft.get("allowed_origins").cloned().unwrap_or(json!([]))) {
        Ok(origins) => {
            for (i, origin) in origins.iter().enumerate() {
                if let Err(e) = values::parse_origin_pattern(origin) {
                    errors.push(format!("allowed_origins[{i}]"), e.code, e.message);
                }
            }
        }
        Err(_) => errors.push("allowed_origins", "invalid_type", "expected a list of origins"),
    }
    if !["attach", "repeat"].contains(&text("duplicates")) {
        errors.push("duplicates", "invalid_choice", "must be attach or repeat");
    }
    if let Some(minutes) = draft.get("notify_minutes").filter(|m| !m.is_null())
        && !minutes.as_i64().is_some_and(|m| (0..=10_080).contains(&m))
    {
        errors.push(
            "notify_minutes",
            "out_of_range",
            "minutes from 0 to 10080, or null for no task",
        );
    }
    for key in ["ip_limit_per_minute", "form_limit_per_minute"] {
        if let Some(limit) = draft.get(key)
            && !limit.as_i64().is_some_and(|l| (0..=1_000_000).contains(&l))
        {
            errors.push(
                key,
                "out_of_range",
                "submissions per minute from 0 (no limit) to 1000000",
            );
        }
    }
    if creates == "contact_deal"
        && let Some(pipeline) = draft.get("pipeline_id").and_then(Json::as_i64)
    {
        let stages = crate::records::pipelines::stage_codes(db, pipeline)?;
        if stages.is_empty() {
            errors.push("pipeline_id", "not_found", format!("no pipeline {pipeline}"));
        } else if let Some(stage) = draft.get("stage").and_then(Json::as_str)
            && !stages.iter().any(|s| s == stage)
        {
            errors.push("stage", "invalid_choice", format!("not a stage of pipeline {pipeline}"));
        }
    }
    if crate::dictionaries::missing_codes(db, "source", &[text("source")])?.len() == 1 {
        errors.push("source", "invalid_choice", "not a source code");
    }
    errors.into_result()
}

fn defaults() -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("active".into(), json!(true));
    m.insert("fields".into(), json!([]));
    m.insert("creates".into(), json!("lead"));
    m.insert("source".into(), json!("WEBFORM"));
    m.insert("allowed_origins".into(), json!([]));
    m.insert("duplicates".into(), json!("attach"));
    m.insert("ip_limit_per_minute".into(), json!(20));
    m.insert("form_limit_per_minute".into(), json!(600));
    m
}

fn merged(base: Map<String, Json>, body: &Json) -> Result<Map<String, Json>, CoreError> {
    let Some(patch) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in patch.keys().filter(|k| !WRITABLE.contains(&k.as_str())) {
        errors.push(key.clone(), "unknown_field", "not a writable field");
    }
    errors.into_result()?;
    let mut draft = base;
    for (key, value) in patch {
        draft.insert(key.clone(), value.clone());
    }
    Ok(draft)
}

fn params(draft: &Map<String, Json>) -> Vec<Value> {
    let text = |k: &str| -> Value {
        draft
            .get(k)
            .and_then(Json::as_str)
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    let json_of = |k: &str| -> Value {
        draft
            .get(k)
            .filter(|v| !v.is_null())
            .map(|v| Value::from(v.to_string()))
            .unwrap_or(Value::Null)
    };
    let int = |k: &str| -> Value {
        draft
            .get(k)
            .and_then(Json::as_i64)
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    vec![
        text("name"),
        draft.get("active").and_then(Json::as_bool).unwrap_or(true).into(),
        json_of("fields"),
        text("creates"),
        int("pipeline_id"),
        text("stage"),
        json_of("responsible_ids"),
        text("source"),
        text("source_description"),
        json_of("consent"),
        text("success_message"),
        text("redirect_url"),
        json_of("allowed_origins"),
        text("duplicates"),
        int("notify_minutes"),
        int("ip_limit_per_minute"),
        int("form_limit_per_minute"),
    ]
}

/// Creates a form (settings add) with a new public key and secret.
pub fn create(
    db: &dyn Db,
    caller: &Caller,
    body: &Json,
    client: &ClientInfo,
    base_url: &str,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let draft = merged(defaults(), body)?;
    transaction(db, |db| {
        check(db, &draft)?;
        let key: String = crate::auth::random_secret()?
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(24)
            .collect();
        let now = crate::clock::now();
        let mut values = params(&draft);
        values.extend([
            key.into(),
            crate::auth::random_secret()?.into(),
            now.into(),
            now.into(),
            caller.user_id.into(),
            caller.user_id.into(),
        ]);
        db.execute(
            "INSERT INTO forms (name, active, fields, creates, pipeline_id, stage, responsible_ids, source, source_description, \
             consent, success_message, redirect_url, allowed_origins, duplicates, notify_minutes, ip_limit_per_minute, \
             form_limit_per_minute, public_key, secret, created_at, updated_at, created_by, updated_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &values,
        )?;
        let id = db.last_insert_id()?;
        audit(db, caller, "form.created", ("form", id), json!({}), client)?;
        get(db, caller, id, base_url)
    })
}

/// Changes a form (settings update), a JSON merge-patch checked as a whole.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
    base_url: &str,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    transaction(db, |db| {
        let current = by_id(db, id)?;
        check_version(current.version, if_match)?;
        let base = current.to_json("").as_object().cloned().unwrap_or_default();
        let draft = merged(base, body)?;
        check(db, &draft)?;
        let mut values = params(&draft);
        values.extend([crate::clock::now().into(), caller.user_id.into(), id.into()]);
        db.execute(
            "UPDATE forms SET name = ?, active = ?, fields = ?, creates = ?, pipeline_id = ?, stage = ?, responsible_ids = ?, \
             source = ?, source_description = ?, consent = ?, success_message = ?, redirect_url = ?, allowed_origins = ?, \
             duplicates = ?, notify_minutes = ?, ip_limit_per_minute = ?, form_limit_per_minute = ?, version = version + 1, \
             updated_at = ?, updated_by = ? WHERE id = ?",
            &values,
        )?;
        audit(
            db,
            caller,
            "form.updated",
            ("form", id),
            json!({ "fields": body.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()) }),
            client,
        )?;
        get(db, caller, id, base_url)
    })
}

/// Deactivates a form (settings delete): its link stops taking submissions; its log stays.
pub fn deactivate(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Settings, Action::Delete)?;
    transaction(db, |db| {
        let current = by_id(db, id)?;
        check_version(current.version, if_match)?;
        db.execute(
            "UPDATE forms SET active = 0, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            &[crate::clock::now().into(), caller.user_id.into(), id.into()],
        )?;
        audit(db, caller, "form.deactivated", ("form", id), json!({}), client)
    })
}
