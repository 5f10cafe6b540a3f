//! One web-form submission, start to end. The order matters and reads top-down:
//!
//! 1. the body read into pairs ([`super::payload`]); Tilda's `test=test` ping: 200, nothing kept;
//! 2. in the transaction, one read ([`super::situation`]): a retry (`Idempotency-Key` or
//!    `submission_id` seen before) gets the first answer again; over a rate limit (per IP and
//!    per form, a sliding minute of the form's log rows): 429;
//! 4. spam: a filled honeypot or a forged or too fast time token is quarantined — logged, not
//!    a lead, answered like a success;
//! 5. validation (required fields, consent, then every value through the record engine): an
//!    invalid submission is logged with its raw payload and answered 422;
//! 6. duplicates by normalised e-mail and phone: the form's policy attaches the submission to
//!    the existing record's timeline, or makes a repeat lead;
//! 7. the lead (or contact and deal), owned by the form's responsible user (round-robin), the
//!    "call the client" task, and the log row — all in ONE transaction, committed before the
//!    answer, so a 2xx means it is stored.

use serde_json::{Map, Value as Json, json};

use super::form::Form;
use super::situation::Situation;
use super::token::{self, Verdict};
use super::{CONSENT, HONEYPOT, MAX_BODY, SUBMISSION_ID, TIME_TOKEN, payload};
use crate::acl::Caller;
use crate::db::{Db, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::{EntityDef, input, service, timeline, values};

/// Longest raw payload kept in the log (the rest is cut, marked).
pub const LOGGED_BYTES: usize = 16 * 1024;

/// What arrived, as the component read it from the request.
#[derive(Debug, Clone, Default)]
pub struct Incoming<'a> {
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
    /// The client's address.
    pub ip: Option<&'a str>,
    /// `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// `Referer`.
    pub referer: Option<&'a str>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// The query string of the post (UTM tags may ride on the action URL).
    pub query: Vec<(String, String)>,
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A form tool's connection check: 200, nothing kept.
    Ping,
    /// Stored (a new record, or attached to an existing one); `replayed` for a retry.
    Accepted {
        /// The log row.
        submission_id: i64,
        /// Whether this answers a retry of an earlier submission.
        replayed: bool,
    },
    /// Kept aside as spam, answered like a success.
    Quarantined {
        /// The log row.
        submission_id: i64,
    },
    /// Invalid values: 422 naming the form's fields.
    Invalid {
        /// The log row.
        submission_id: i64,
        /// What is wrong, by the names the form posts.
        errors: FieldErrors,
    },
}

/// Takes one submission to `form` (active; the component answers 404 otherwise).
///
/// A submission refused before it could be judged is an error of the one error story: over
/// [`MAX_BODY`] [`CoreError::TooLarge`] (413), a content type no form sends
/// [`CoreError::UnsupportedMediaType`] (415), an unreadable body [`CoreError::BadRequest`] (400),
/// over a rate limit [`CoreError::TooManyRequests`] (429).
pub fn submit(db: &dyn Db, form: &Form, incoming: &Incoming, now: i64) -> Result<Outcome, CoreError> {
    take(db, form, incoming, now, true)
}

/// Takes a quarantined submission's stored payload in, without the spam checks.
pub fn release(db: &dyn Db, form: &Form, incoming: &Incoming, now: i64) -> Result<Outcome, CoreError> {
    take(db, form, incoming, now, false)
}

fn take(db: &dyn Db, form: &Form, incoming: &Incoming, now: i64, judge_spam: bool) -> Result<Outcome, CoreError> {
    if incoming.body.len() > MAX_BODY {
        return Err(CoreError::TooLarge { limit: MAX_BODY });
    }
    let pairs = match payload::parse(incoming.content_type, incoming.body) {
        Ok(pairs) => pairs,
        Err(payload::PayloadError::Unsupported(m)) => return Err(CoreError::UnsupportedMediaType(m)),
        Err(payload::PayloadError::Malformed(m)) => return Err(CoreError::BadRequest(m)),
    };
    if payload::is_ping(&pairs) {
        return Ok(Outcome::Ping);
    }
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let key = incoming
        .idempotency_key
        .or_else(|| value(SUBMISSION_ID))
        .map(|k| k.chars().take(200).collect::<String>());
    let log = LogEntry::new(form, incoming, &pairs, key.clone(), now);
    let mapped = map_pairs(form, &pairs);
    // The definition the submission fills (it carries the firm's parse settings).
    let first = if form.creates == "contact_deal" {
        "contact"
    } else {
        "lead"
    };
    let first_def = EntityDef::load_in(db, form.workspace.as_ref(), first)?;
    let duplicate = duplicate_expression(&mapped, &first_def.parse.default_country);
    // The first record's body (the lead, or the contact) is read here, before the write lock;
    // whose turn it is (its responsible) is known only under the lock, and the record engine
    // gives it the system caller's user. A refusal counts only where the record is made.
    let first_input = input::parse(
        &first_def,
        &record_body(form, &mapped, &first_def, &log),
        &first_def.parse,
        true,
    );
    transaction(db, |db| {
        let found = Situation::read(db, form, key.as_deref(), incoming.ip, now, duplicate)?;
        if let Some(submission_id) = found.replay {
            return Ok(Outcome::Accepted {
                submission_id,
                replayed: true,
            });
        }
        if let Some(retry_after) = found.retry_after {
            return Err(CoreError::TooManyRequests { retry_after });
        }
        if let Some(reason) = spam_reason(form, &pairs, now).filter(|_| judge_spam) {
            let submission_id = log.write(db, "quarantined", Some(reason), &Ids::default())?;
            return Ok(Outcome::Quarantined { submission_id });
        }
        let errors = check_required(form, &pairs);
        if !errors.is_empty() {
            let submission_id = log.write(db, "invalid", Some(&summary(&errors)), &Ids::default())?;
            return Ok(Outcome::Invalid { submission_id, errors });
        }
        // If the record engine refuses a value, what `accept` wrote is undone alone and the
        // payload is logged in this same transaction: a savepoint, where `accept` writes more
        // than one record. A single record's create writes nothing when it refuses (its
        // guarded `INSERT` is one statement), and `accept` writes the log row only after it.
        let one_record = form.creates != "contact_deal" && form.notify_minutes.is_none();
        let accepted = if one_record {
            accept(db, form, &mapped, &first_def, first_input, &found, &log, now)
        } else {
            transaction(db, |db| {
                accept(db, form, &mapped, &first_def, first_input, &found, &log, now)
            })
        };
        match accepted {
            Err(CoreError::Validation(errors)) => {
                let submission_id = log.write(db, "invalid", Some(&summary(&errors)), &Ids::default())?;
                Ok(Outcome::Invalid { submission_id, errors })
            }
            other => other,
        }
    })
}

/// What an accepted submission did: the ids it created or matched, and where it moved the
/// form's round-robin (the next submission reads it from this log row).
#[derive(Debug, Default, Clone)]
struct Ids {
    lead: Option<i64>,
    contact: Option<i64>,
    deal: Option<i64>,
    matched: Option<(&'static str, i64)>,
    activity: Option<i64>,
    next_turn: Option<i64>,
}

/// A log row in the making.
struct LogEntry {
    form_id: i64,
    content_type: Option<String>,
    payload: String,
    ip: Option<String>,
    user_agent: Option<String>,
    page_url: Option<String>,
    referrer: Option<String>,
    utm: Json,
    consent: Option<Json>,
    key: Option<String>,
    now: i64,
}

impl LogEntry {
    fn new(form: &Form, incoming: &Incoming, pairs: &[(String, String)], key: Option<String>, now: i64) -> LogEntry {
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut raw = String::from_utf8_lossy(incoming.body).into_owned();
        if raw.len() > LOGGED_BYTES {
            let mut cut = LOGGED_BYTES;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            raw.truncate(cut);
            raw.push_str("…[cut]");
        }
        let referer_query: Vec<(String, String)> = incoming
            .referer
            .and_then(|r| r.split_once('?'))
            .map(|(_, q)| {
                form_urlencoded::parse(q.split('#').next().unwrap_or_default().as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let mut utm = Map::new();
        for tag in ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"] {
            let found = value(tag)
                .or_else(|| incoming.query.iter().find(|(k, _)| k == tag).map(|(_, v)| v.clone()))
                .or_else(|| referer_query.iter().find(|(k, _)| k == tag).map(|(_, v)| v.clone()));
            if let Some(found) = found {
                utm.insert(tag.into(), json!(found.chars().take(255).collect::<String>()));
            }
        }
        let consent = match (&form.consent, value(CONSENT)) {
            (Some(consent), Some(_)) => Some(json!({
                "text": consent.text,
                "given_at": crate::clock::rfc3339(now),
                "ip": incoming.ip,
            })),
            _ => None,
        };
        LogEntry {
            form_id: form.id,
            content_type: incoming.content_type.map(str::to_owned),
            payload: raw,
            ip: incoming.ip.map(str::to_owned),
            user_agent: incoming.user_agent.map(|u| u.chars().take(500).collect()),
            page_url: value("_page_url").or_else(|| incoming.referer.map(str::to_owned)),
            referrer: value("_referrer"),
            utm: Json::Object(utm),
            consent,
            key,
            now,
        }
    }

    fn write(&self, db: &dyn Db, outcome: &str, reason: Option<&str>, ids: &Ids) -> Result<i64, CoreError> {
        db.write(
            "INSERT INTO form_submissions (form_id, received_at, outcome, reason, content_type, payload, ip, user_agent, \
             page_url, referrer, utm, consent, submission_key, lead_id, contact_id, deal_id, matched_entity, matched_id, \
             activity_id, next_turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                self.form_id.into(),
                self.now.into(),
                outcome.into(),
                reason.into(),
                self.content_type.as_deref().into(),
                self.payload.as_str().into(),
                self.ip.as_deref().into(),
                self.user_agent.as_deref().into(),
                self.page_url.as_deref().into(),
                self.referrer.as_deref().into(),
                self.utm.to_string().into(),
                self.consent.as_ref().map(Json::to_string).into(),
                // An invalid post keeps no key: the corrected retry with the same key is new.
                self.key.as_deref().filter(|_| outcome != "invalid").into(),
                ids.lead.into(),
                ids.contact.into(),
                ids.deal.into(),
                ids.matched.map(|(e, _)| e).into(),
                ids.matched.map(|(_, id)| id).into(),
                ids.activity.into(),
                ids.next_turn.into(),
            ],
        )?
        .first_i64()
        .ok_or_else(|| CoreError::Internal("the log row returned no id".into()))
    }
}

fn spam_reason(form: &Form, pairs: &[(String, String)], now: i64) -> Option<&'static str> {
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if value(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        return Some("honeypot");
    }
    match value(TIME_TOKEN).map(|t| token::verify(&form.secret, &form.public_key, t, now)) {
        Some(Verdict::TooFast) => Some("too_fast"),
        Some(Verdict::Forged) => Some("forged_token"),
        Some(Verdict::Expired) => Some("expired_token"),
        Some(Verdict::Human) | None => None,
    }
}

/// Required fields and consent, by the names the form posts.
fn check_required(form: &Form, pairs: &[(String, String)]) -> FieldErrors {
    let present = |name: &str| pairs.iter().any(|(k, v)| k == name && !v.trim().is_empty());
    let mut errors = FieldErrors::new();
    for field in form.fields.iter().filter(|f| f.required) {
        if !present(&field.name) {
            errors.push(field.name.clone(), "required", "is required");
        }
    }
    if form.consent.as_ref().is_some_and(|c| c.required) && !present(CONSENT) {
        errors.push(CONSENT, "consent_required", "your consent is needed to send the form");
    }
    errors
}

fn summary(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.code))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the submission says about the person, mapped to CRM fields.
#[derive(Default)]
struct Mapped {
    /// CRM field -> values (phones and e-mails may repeat).
    fields: Vec<(String, String)>,
    /// Posted names nothing maps to (kept in the comments so the manager sees them).
    extra: Vec<(String, String)>,
    /// CRM field -> the name the form posted it under (to report errors by that name).
    posted_as: Vec<(String, String)>,
}

fn map_pairs(form: &Form, pairs: &[(String, String)]) -> Mapped {
    let mut mapped = Mapped::default();
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() || name.starts_with('_') || name == SUBMISSION_ID || name.starts_with("utm_") {
            continue;
        }
        match form.target_of(name) {
            Some(target) => {
                mapped.posted_as.push((target.clone(), name.clone()));
                mapped.fields.push((target, value.chars().take(10_000).collect()));
            }
            None if !["formid", "tranid", "form_id", "form_name", "COOKIES"].contains(&name.as_str()) => {
                mapped.extra.push((name.clone(), value.chars().take(1_000).collect()))
            }
            None => {}
        }
    }
    mapped
}

/// The record body (`lead` or `contact`) the mapped values make.
fn record_body(form: &Form, mapped: &Mapped, def: &EntityDef, log: &LogEntry) -> Json {
    let mut body = Map::new();
    let mut custom = Map::new();
    let list = |key: &str, value: &str, body: &mut Map<String, Json>| {
        let entry = body.entry(key.to_string()).or_insert_with(|| json!([]));
        if let Some(items) = entry.as_array_mut() {
            items.push(json!(value));
        }
    };
    for (target, value) in &mapped.fields {
        match target.as_str() {
            "name" => {
                let mut words = value.split_whitespace();
                if let Some(first) = words.next() {
                    body.insert("first_name".into(), json!(first));
                }
                let rest: Vec<&str> = words.collect();
                if !rest.is_empty() {
                    body.insert("last_name".into(), json!(rest.join(" ")));
                }
            }
            "email" => list("emails", value, &mut body),
            "phone" => list("phones", value, &mut body),
            "website" => list("websites", value, &mut body),
            t => match t.strip_prefix("custom.") {
                Some(code) => {
                    custom.insert(code.to_string(), custom_value(def, code, value));
                }
                None if def.field(t).is_some() => {
                    body.insert(t.to_string(), json!(value));
                }
                None => {}
            },
        }
    }
    if !custom.is_empty() {
        body.insert("custom".into(), Json::Object(custom));
    }
    let mut comments: Vec<String> = body
        .get("comments")
        .and_then(Json::as_str)
        .map(|c| vec![c.to_string()])
        .unwrap_or_default();
    comments.extend(mapped.extra.iter().map(|(k, v)| format!("{k}: {v}")));
    if !comments.is_empty() {
        body.insert("comments".into(), json!(comments.join("\n")));
    }
    body.insert("source".into(), json!(form.source));
    body.insert(
        "source_description".into(),
        json!(
            form.source_description
                .clone()
                .unwrap_or_else(|| format!("Web form \"{}\"", form.name))
        ),
    );
    if def.name == "lead" {
        for (tag, value) in log.utm.as_object().into_iter().flatten() {
            body.insert(tag.clone(), value.clone());
        }
        if body.get("title").is_none() {
            let who = ["first_name", "last_name"]
                .iter()
                .filter_map(|f| body.get(*f).and_then(Json::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            let who = if who.is_empty() {
                body.get("emails")
                    .or(body.get("phones"))
                    .and_then(|l| l[0].as_str())
                    .unwrap_or_default()
                    .to_string()
            } else {
                who
            };
            body.insert(
                "title".into(),
                json!(format!("{}: {who}", form.name).trim_end_matches(": ").to_string()),
            );
        }
    }
    Json::Object(body)
}

/// A custom value as its type expects it: numbers and booleans parsed from the text.
fn custom_value(def: &EntityDef, code: &str, text: &str) -> Json {
    use crate::records::fields::FieldKind;
    match def.field(code).map(|f| &f.kind) {
        Some(FieldKind::Integer) | Some(FieldKind::User) | Some(FieldKind::Record(_)) => {
            text.parse::<i64>().map(Json::from).unwrap_or(json!(text))
        }
        Some(FieldKind::Boolean) => json!(matches!(
            text.to_lowercase().as_str(),
            "1" | "yes" | "true" | "on" | "да"
        )),
        _ => json!(text),
    }
}

/// An SQL expression (and its parameters) for the first existing contact or lead with the
/// same normalised e-mail or phone, as `[entity, id]` JSON: contacts before leads, then the
/// order the values were posted in. `None` when nothing posted can match.
fn duplicate_expression(mapped: &Mapped, country: &str) -> Option<(String, Vec<Value>)> {
    let mut wanted: Vec<(&str, String)> = Vec::new();
    for (target, value) in &mapped.fields {
        match target.as_str() {
            "email" => {
                if let Ok(email) = values::Email::parse(value) {
                    wanted.push(("email", email.normalized));
                }
            }
            "phone" => {
                if let Ok(phone) = values::Phone::parse(value, country) {
                    wanted.push(("phone", phone.e164));
                }
            }
            _ => {}
        }
    }
    if wanted.is_empty() {
        return None;
    }
    let rows = vec!["(?, ?, ?)"; wanted.len()].join(", ");
    let mut params: Vec<Value> = Vec::with_capacity(wanted.len() * 3);
    for (i, (kind, value)) in wanted.iter().enumerate() {
        params.extend([(i as i64).into(), (*kind).into(), value.as_str().into()]);
    }
    Some((
        format!(
            "(WITH wanted (i, kind, value) AS (VALUES {rows}) \
              SELECT json_array(c.entity, c.record_id) FROM wanted w \
              JOIN record_channels c ON c.kind = w.kind AND c.value = w.value AND c.entity IN ('contact', 'lead') \
              ORDER BY c.entity = 'lead', w.i, c.record_id LIMIT 1)"
        ),
        params,
    ))
}

/// Turns a record's field errors into errors by the names the form posted.
fn by_posted_name(error: CoreError, mapped: &Mapped) -> CoreError {
    let CoreError::Validation(errors) = error else {
        return error;
    };
    let mut out = FieldErrors::new();
    for e in errors.iter() {
        let head = e.field.split(['[', '.']).next().unwrap_or_default();
        let target = match head {
            "emails" => "email",
            "phones" => "phone",
            "websites" => "website",
            "first_name" | "last_name" => "name",
            "custom" => e.field.as_str(),
            other => other,
        };
        let name = mapped
            .posted_as
            .iter()
            .find(|(t, _)| t == target || (target == "name" && (t == "first_name" || t == "last_name")))
            .map(|(_, posted)| posted.clone())
            .unwrap_or_else(|| e.field.clone());
        out.push(name, e.code.clone(), e.message.clone());
    }
    CoreError::Validation(out)
}

/// Step 6 and 7: duplicates, records, task and log, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
fn accept(
    db: &dyn Db,
    form: &Form,
    mapped: &Mapped,
    first_def: &EntityDef,
    first_input: Result<input::Input, CoreError>,
    found: &Situation,
    log: &LogEntry,
    now: i64,
) -> Result<Outcome, CoreError> {
    let turn = found.turn(form)?;
    let matched = found.matched;
    let responsible = turn.user;
    let system = Caller::system(responsible, turn.department);
    let mut ids = Ids {
        matched,
        next_turn: Some(turn.next),
        ..Ids::default()
    };
    let summary_text = mapped
        .fields
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .chain(mapped.extra.iter().map(|(k, v)| format!("{k}: {v}")))
        .collect::<Vec<_>>()
        .join("\n");
    let attach = matched.is_some() && form.duplicates == "attach";
    let result: Result<(), CoreError> = (|| {
        if form.creates == "contact_deal" {
            let contact_def = first_def;
            let contact_id = match matched {
                Some(("contact", id)) if attach => id,
                _ => {
                    let contact = service::create_parsed(db, &system, contact_def, first_input?)?;
                    contact["id"].as_i64().unwrap_or_default()
                }
            };
            ids.contact = Some(contact_id);
            let deal_def = EntityDef::load_in(db, form.workspace.as_ref(), "deal")?;
            let title = format!("{}: {}", form.name, crate::clock::rfc3339(now));
            let mut body = json!({"title": title, "contact_ids": [contact_id], "responsible_id": responsible,
                                  "source": form.source, "comments": summary_text});
            if let Some(pipeline) = form.pipeline_id {
                body["pipeline_id"] = json!(pipeline);
            }
            if let Some(stage) = &form.stage {
                body["stage"] = json!(stage);
            }
            let deal = service::create(db, &system, &deal_def, &body)?;
            ids.deal = deal["id"].as_i64();
        } else if !attach {
            let lead = service::create_parsed(db, &system, first_def, first_input?)?;
            ids.lead = lead["id"].as_i64();
        }
        Ok(())
    })();
    if let Err(error) = result {
        return match by_posted_name(error, mapped) {
            CoreError::Validation(errors) => Err(CoreError::Validation(errors)),
            other => Err(other),
        };
    }
    if let Some((entity, id)) = matched {
        let payload = json!({ "text": format!("Web form \"{}\":\n{summary_text}", form.name), "form_id": form.id,
                              "lead_id": ids.lead, "deal_id": ids.deal });
        timeline::append(db, entity, id, "form_submission", None, &payload)?;
    }
    if let Some(minutes) = form.notify_minutes {
        let (entity, id) = match (ids.lead, ids.deal, ids.contact, matched) {
            (Some(lead), _, _, _) => ("lead", lead),
            (_, Some(deal), _, _) => ("deal", deal),
            (_, _, Some(contact), _) => ("contact", contact),
            (_, _, _, Some(found)) => found,
            _ => ("lead", 0),
        };
        let activity_def = EntityDef::load_in(db, form.workspace.as_ref(), "activity")?;
        let task = json!({
            "type": "TASK",
            "subject": format!("Call the client: web form \"{}\"", form.name),
            "description": summary_text,
            "deadline": crate::clock::rfc3339(now + minutes * 60),
            "priority": "HIGH",
            "responsible_id": responsible,
            "bindings": [{"entity": entity, "id": id}],
        });
        let activity = service::create(db, &system, &activity_def, &task)?;
        ids.activity = activity["id"].as_i64();
    }
    let outcome = if attach { "duplicate" } else { "accepted" };
    let submission_id = log.write(db, outcome, None, &ids)?;
    Ok(Outcome::Accepted {
        submission_id,
        replayed: false,
    })
}
