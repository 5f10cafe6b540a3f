//! Lead conversion (`POST /api/leads/<id>/convert`): one step from a lead to the contact,
//! company and deal it becomes, in ONE transaction.
//!
//! Body: `{"contact": "new" | {"id": N} | null, "company": "new" | {"id": N} | null,
//! "deal": {"pipeline_id"?, "stage"?, "title"?} | null}` (absent means null). New records get
//! the lead's mapped fields, its custom values for custom fields of the same code, the lead as
//! their origin, the lead's responsible user; the deal also gets the lead's line items, the
//! company and the contact. The lead moves to `CONVERTED`. Every record created, linked or
//! changed writes its timeline through the engine. A lead already converted is 409; any
//! invalid part rolls everything back.

use serde_json::{Map, Value as Json, json};

use super::{EntityDef, Values, access, line_items, service, store};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value, transaction};
use crate::error::{CoreError, FieldErrors};

/// The status a converted lead gets.
pub const CONVERTED: &str = "CONVERTED";

/// Lead fields copied to a new contact.
const TO_CONTACT: &[&str] = &[
    "honorific",
    "first_name",
    "middle_name",
    "last_name",
    "birthdate",
    "post",
    "source",
    "source_description",
    "phones",
    "emails",
    "websites",
    "messengers",
    "address",
    "comments",
    "opened",
];

/// Lead fields copied to a new deal.
const TO_DEAL: &[&str] = &[
    "amount",
    "currency",
    "source",
    "source_description",
    "comments",
    "opened",
];

/// What to do with one part of the conversion.
enum Part {
    Skip,
    New,
    Existing(i64),
}

fn read_part(map: &Map<String, Json>, key: &str, errors: &mut FieldErrors) -> Part {
    match map.get(key) {
        None | Some(Json::Null) => Part::Skip,
        Some(Json::String(s)) if s == "new" => Part::New,
        Some(Json::Object(o)) if o.len() == 1 && o.get("id").and_then(Json::as_i64).is_some_and(|id| id > 0) => {
            Part::Existing(o["id"].as_i64().unwrap_or_default())
        }
        Some(_) => {
            errors.push(key, "invalid_choice", "expected \"new\", {\"id\": N} or null");
            Part::Skip
        }
    }
}

/// Converts lead `id`; returns `{"lead", "contact", "company", "deal"}` (null where skipped).
pub fn convert(db: &dyn Db, caller: &Caller, id: i64, body: &Json) -> Result<Json, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut errors = FieldErrors::new();
    for key in map
        .keys()
        .filter(|k| !["contact", "company", "deal"].contains(&k.as_str()))
    {
        errors.push(key.clone(), "unknown_field", "expected contact, company or deal");
    }
    let contact = read_part(map, "contact", &mut errors);
    let company = read_part(map, "company", &mut errors);
    let deal = match map.get("deal") {
        None | Some(Json::Null) => None,
        Some(Json::Object(o)) => {
            for key in o
                .keys()
                .filter(|k| !["pipeline_id", "stage", "title"].contains(&k.as_str()))
            {
                errors.push(
                    format!("deal.{key}"),
                    "unknown_field",
                    "expected pipeline_id, stage or title",
                );
            }
            Some(o.clone())
        }
        Some(_) => {
            errors.push("deal", "invalid_type", "expected an object or null");
            None
        }
    };
    if matches!((&contact, &company, &deal), (Part::Skip, Part::Skip, None)) {
        errors.push(
            "contact",
            "required",
            "convert into at least a contact, a company or a deal",
        );
    }
    errors.into_result()?;
    let lead_def = EntityDef::load_for(db, caller, "lead")?;
    transaction(db, |db| {
        let lead = access::load_checked(db, caller, &lead_def, id, Action::Update)?;
        if lead.get("status").and_then(Value::as_str) == Some(CONVERTED) {
            return Err(CoreError::Conflict("the lead is already converted".into()));
        }
        let lead_json = store::render(&lead_def, &lead);
        let company = match company {
            Part::Skip => None,
            Part::Existing(company_id) => Some(existing(db, caller, "company", company_id, "company")?),
            Part::New => {
                let Some(title) = lead.get("company_title").and_then(Value::as_str) else {
                    let mut errors = FieldErrors::new();
                    errors.push(
                        "company",
                        "no_company_name",
                        "the lead has no company name to create a company from",
                    );
                    return Err(CoreError::Validation(errors));
                };
                let mut body = json!({ "title": title });
                if let Some(address) = lead_json.get("address").filter(|a| !a.is_null()) {
                    body["addresses"] = json!([address]);
                }
                Some(create(
                    db,
                    caller,
                    "company",
                    &lead_def,
                    &lead,
                    body,
                    &["phones", "emails", "websites", "comments"],
                )?)
            }
        };
        let company_id = company.as_ref().map(|c| c["id"].clone());
        let contact = match contact {
            Part::Skip => None,
            Part::Existing(contact_id) => {
                let contact = existing(db, caller, "contact", contact_id, "contact")?;
                if let Some(company_id) = company_id.as_ref().and_then(Json::as_i64) {
                    link_company(db, caller, contact_id, company_id)?;
                }
                Some(contact)
            }
            Part::New => {
                let body = json!({ "company_ids": company_id.iter().collect::<Vec<_>>() });
                Some(create(db, caller, "contact", &lead_def, &lead, body, TO_CONTACT)?)
            }
        };
        let deal = match deal {
            None => None,
            Some(options) => {
                let mut body = Json::Object(options);
                if body.get("title").is_none() {
                    body["title"] = lead_json["title"].clone();
                }
                if let Some(company_id) = &company_id {
                    body["company_id"] = company_id.clone();
                }
                if let Some(contact) = &contact {
                    body["contact_ids"] = json!([contact["id"]]);
                }
                let deal = create(db, caller, "deal", &lead_def, &lead, body, TO_DEAL)?;
                // The lead's amount was computed from these items, so the deal's agrees with them.
                line_items::copy(db, ("lead", id), ("deal", deal["id"].as_i64().unwrap_or_default()))?;
                Some(deal)
            }
        };
        let mut after = lead.clone();
        after.insert("status".into(), CONVERTED.into());
        let lead = service::write_update(db, caller, &lead_def, id, &lead, after, &[])?;
        Ok(json!({ "lead": lead, "contact": contact, "company": company, "deal": deal }))
    })
}

/// An existing record the caller may update (linking changes it), as the API shows it.
fn existing(db: &dyn Db, caller: &Caller, entity: &str, id: i64, field: &str) -> Result<Json, CoreError> {
    let def = EntityDef::load_for(db, caller, entity)?;
    match access::load_checked(db, caller, &def, id, Action::Read) {
        Ok(values) => Ok(store::render(&def, &values)),
        Err(CoreError::NotFound) => {
            let mut errors = FieldErrors::new();
            errors.push(format!("{field}.id"), "not_found", format!("no {entity} with id {id}"));
            Err(CoreError::Validation(errors))
        }
        Err(e) => Err(e),
    }
}

/// Adds a company to an existing contact's companies (through the engine, so it is timed).
fn link_company(db: &dyn Db, caller: &Caller, contact_id: i64, company_id: i64) -> Result<(), CoreError> {
    let def = EntityDef::load_for(db, caller, "contact")?;
    let before = access::load_checked(db, caller, &def, contact_id, Action::Update)?;
    let mut ids = store::linked_ids(before.get("company_ids"));
    if ids.contains(&company_id) {
        return Ok(());
    }
    ids.push(company_id);
    let mut after = before.clone();
    after.insert("company_ids".into(), Value::Text(json!(ids).to_string()));
    service::write_update(db, caller, &def, contact_id, &before, after, &[]).map(drop)
}

/// Creates a record of `entity` from `body` plus the lead's `copied` fields, its same-coded
/// custom values, its responsible user and the lead as origin.
fn create(
    db: &dyn Db,
    caller: &Caller,
    entity: &str,
    lead_def: &EntityDef,
    lead: &Values,
    mut body: Json,
    copied: &[&str],
) -> Result<Json, CoreError> {
    let def = EntityDef::load_for(db, caller, entity)?;
    let lead_json = store::render(lead_def, lead);
    for field in copied {
        if def.field(field).is_some() && body.get(*field).is_none() && !lead_json[*field].is_null() {
            body[*field] = lead_json[*field].clone();
        }
    }
    body["responsible_id"] = lead_json["responsible_id"].clone();
    body["origin_lead_id"] = lead_json["id"].clone();
    let custom: Map<String, Json> = lead_json["custom"]
        .as_object()
        .map(|values| {
            values
                .iter()
                .filter(|(code, value)| !value.is_null() && def.field(code).is_some_and(|f| f.is_custom()))
                .map(|(code, value)| (code.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    if !custom.is_empty() {
        body["custom"] = Json::Object(custom);
    }
    service::create(db, caller, &def, &body).map_err(|e| prefix_errors(e, entity))
}

/// Field errors of a part are reported under its name (`deal.stage`).
fn prefix_errors(error: CoreError, part: &str) -> CoreError {
    match error {
        CoreError::Validation(errors) => {
            let mut prefixed = FieldErrors::new();
            for e in errors.iter() {
                prefixed.push(format!("{part}.{}", e.field), e.code.clone(), e.message.clone());
            }
            CoreError::Validation(prefixed)
        }
        other => other,
    }
}
