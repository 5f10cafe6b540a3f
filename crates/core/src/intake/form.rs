//! Web forms as records (`/api/forms`, `settings` permission): what a form shows and asks
//! for, how incoming field names map to CRM fields, what it creates (a lead, or a contact and
//! a deal), who gets it (one user or round-robin), consent, where the visitor goes after, which
//! origins may post from scripts, what happens to duplicates, and whether a "call the client"
//! task is made. The public key is generated (unguessable) and is the form's URL; the secret
//! signs its time tokens and is never shown.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::acl::{Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row};
use crate::error::{CoreError, FieldErrors};
use crate::records::workspace::Workspace;
use crate::records::{EntityDef, values};
use crate::resource::public::{new_public_key, new_secret, read_active};
use crate::resource::{
    Access, Audit, Cx, Default, Detail, Field, Hooks, ID, Key, ListQuery, Page, Resource, Store, service_functions,
};

/// Filters `GET /api/forms` accepts.
pub const FILTERS: &[&str] = &["active"];

/// Forms, declared: a definition checked whole (the body over the stored form) and rewritten
/// whole; the record is shown as [`Form`] reads it, with links made from the base URL. A form
/// is deactivated, never deleted: its link stops taking submissions; its log stays. The
/// `settings` permission.
pub const FORMS: Resource = Resource {
    fields: &[
        ID,
        Field::any("name", Store::Text("name")),
        Field::read_only("public_key", Store::Text("public_key")).default(Default::Computed(new_public_key)),
        Field::custom("active", Store::Bool("active"), read_active).default(Default::Bool(true)),
        Field::any("fields", Store::Json("fields")).default(Default::Json("[]")),
        Field::any("creates", Store::Text("creates")).default(Default::Text("lead")),
        Field::any("pipeline_id", Store::Int("pipeline_id")),
        Field::any("stage", Store::Text("stage")),
        Field::any("responsible_ids", Store::Json("responsible_ids")),
        Field::any("source", Store::Text("source")).default(Default::Text("WEBFORM")),
        Field::any("source_description", Store::Text("source_description")),
        Field::any("consent", Store::Json("consent")),
        Field::any("success_message", Store::Text("success_message")),
        Field::any("redirect_url", Store::Text("redirect_url")),
        Field::any("allowed_origins", Store::Json("allowed_origins")).default(Default::Json("[]")),
        Field::any("duplicates", Store::Text("duplicates")).default(Default::Text("attach")),
        Field::any("notify_minutes", Store::Int("notify_minutes")),
        Field::any("ip_limit_per_minute", Store::Int("ip_limit_per_minute")).default(Default::Int(20)),
        Field::any("form_limit_per_minute", Store::Int("form_limit_per_minute")).default(Default::Int(600)),
        Field::read_only("secret", Store::Secret("secret")).default(Default::Computed(new_secret)),
    ],
    filters: FILTERS,
    parse_after_load: true,
    always_write: true,
    audit: Audit {
        created: &[],
        updated: &[Detail::Given],
        deleted: &[],
    },
    hooks: Hooks {
        before: Some(check_definition),
        finish: Some(show_as_read),
        ..Hooks::NONE
    },
    ..Resource::new("forms", "form", Access::entity(Entity::Settings))
};

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
    /// The firm's configuration as the request found it (read with the form by [`by_key`]).
    pub workspace: Option<Workspace>,
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
            workspace: None,
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

    /// The API record without the links made from the base URL.
    fn record(&self) -> Map<String, Json> {
        let json = json!({
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
        });
        match json {
            Json::Object(record) => record,
            _ => Map::new(),
        }
    }
}

/// Adds the public link and the embed snippets of a form record, made from `base_url`.
fn add_links(record: &mut Map<String, Json>, base_url: &str) {
    let key = record["public_key"].as_str().unwrap_or_default().to_string();
    let name = record["name"].as_str().unwrap_or_default().to_string();
    let url = format!("{base_url}/f/{key}");
    record.insert("public_url".into(), Json::from(url.as_str()));
    record.insert(
        "embed".into(),
        json!({
            "link": format!("<a href=\"{url}\" target=\"_blank\" rel=\"noopener\">{}</a>", html_escape(&name)),
            "script": format!(
                "<div id=\"crm-form-{key}\"></div>\n<script src=\"{url}.js\" data-target=\"crm-form-{key}\" async></script>"
            ),
        }),
    );
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

/// The active or inactive form with this public key, with the firm's workspace. A database
/// not on this build's schema is [`CoreError::Unavailable`]: migrate, then ask again.
pub fn by_key(db: &dyn Db, key: &str) -> Result<Option<Form>, CoreError> {
    let Some((rows, workspace)) = crate::records::workspace::by_public_key(db, "forms", key)? else {
        return Ok(None);
    };
    let Some(row) = rows.first() else { return Ok(None) };
    let mut form = Form::from_row(&row);
    form.workspace = Some(workspace);
    Ok(Some(form))
}

/// Lists forms (settings read).
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery, base_url: &str) -> Result<Page, CoreError> {
    let mut page = FORMS.list(db, caller, query)?;
    for record in &mut page.items {
        if let Json::Object(map) = record {
            add_links(map, base_url);
        }
    }
    Ok(page)
}

/// One form (settings read).
pub fn get(db: &dyn Db, caller: &Caller, id: i64, base_url: &str) -> Result<Json, CoreError> {
    Ok(with_links(FORMS.get(db, caller, &Key::id(id))?, base_url))
}

/// Creates a form (settings add) with a new public key and secret.
pub fn create(
    db: &dyn Db,
    caller: &Caller,
    body: &Json,
    client: &ClientInfo,
    base_url: &str,
) -> Result<Json, CoreError> {
    Ok(with_links(FORMS.create(db, caller, &[], body, client)?, base_url))
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
    let record = FORMS.update(db, caller, &Key::id(id), body, if_match, client)?;
    Ok(with_links(record, base_url))
}

service_functions!(FORMS: deactivate);

fn with_links(mut record: Json, base_url: &str) -> Json {
    if let Json::Object(map) = &mut record {
        add_links(map, base_url);
    }
    record
}

/// The record as [`Form`] reads the row (lists and objects in their full shape).
fn show_as_read(row: &Row, record: &mut Map<String, Json>) -> Result<(), CoreError> {
    *record = Form::from_row(row).record();
    Ok(())
}

/// The `before` hook: the form as it will be, checked whole.
fn check_definition(cx: &mut Cx) -> Result<(), CoreError> {
    check(cx.db, &cx.draft.merged())
}

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
    if crate::records::dictionaries::missing_codes(db, "source", &[text("source")])?.len() == 1 {
        errors.push("source", "invalid_choice", "not a source code");
    }
    errors.into_result()
}
