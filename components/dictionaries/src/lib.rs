//! The `/api/dictionaries` and `/api/currencies` component: the dictionaries (lead statuses,
//! sources, contact and company types, industries, employee ranges, deal types, honorifics) and
//! the currencies with their rates to the base currency.
//!
//! `GET /api/dictionaries` lists the kinds; `/api/dictionaries/<kind>[/<code>]` and
//! `/api/currencies[/<code>]` are collections with the HTTP shape every resource shares (201 +
//! `Location` + `ETag`, `If-Match` on `PATCH`/`DELETE`, `Idempotency-Key` on `POST`). Records
//! are addressed by their code, so this is its own route table rather than a
//! [`crm_spin_adapter::crud::Crud`]; the rules are all `crm_core::records::dictionaries`'s. Reading needs any signed-in user, writing the
//! `settings` permission.

use crm_core::CoreError;
use crm_core::records::dictionaries;
use crm_spin_adapter::crud::{created_with_location, no_content, record_response};
use crm_spin_adapter::routes::{Answer, Cx, Routes, SignedIn};
use crm_spin_adapter::{ApiError, json_response};
use serde_json::{Value, json};
use spin_sdk::http::Response;

const DICTIONARIES: &str = "/api/dictionaries";
const CURRENCIES: &str = "/api/currencies";

crm_spin_adapter::component!(
    Routes::new(DICTIONARIES)
        .get("", kinds)
        .get("/<kind>", entries)
        .post("/<kind>", create_entry)
        .get("/<kind>/<code>", entry)
        .patch("/<kind>/<code>", update_entry)
        .delete("/<kind>/<code>", delete_entry)
        .merge(
            Routes::new(CURRENCIES)
                .get("", currencies)
                .post("", create_currency)
                .get("/<code>", currency)
                .patch("/<code>", update_currency)
                .delete("/<code>", delete_currency)
        )
);

/// The caller, once the request is known to carry no query: dictionaries take none (400).
fn open(cx: &Cx) -> Result<SignedIn, ApiError> {
    if let Some((name, _)) = cx.query().first() {
        return Err(CoreError::BadRequest(format!("unknown query parameter {name:?}")).into());
    }
    cx.signed_in()
}

/// `{"items": [...], "next_cursor": null}`: dictionaries are short and never paged.
fn items(items: Vec<Value>) -> Response {
    json_response(200, &json!({ "items": items, "next_cursor": null }))
}

/// The `Location` of a created record: `<collection>/<code>`.
fn location(collection: &str, record: &Value) -> String {
    format!("{collection}/{}", record["code"].as_str().unwrap_or_default())
}

fn kinds(cx: &Cx) -> Answer {
    let me = open(cx)?;
    Ok(items(dictionaries::kinds(&me.caller)))
}

fn entries(cx: &Cx) -> Answer {
    let me = open(cx)?;
    Ok(items(dictionaries::entries::list(
        &me.db,
        &me.caller,
        cx.param("kind")?,
    )?))
}

fn create_entry(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let body: Value = cx.json()?;
    let kind = cx.param("kind")?;
    let collection = format!("{DICTIONARIES}/{kind}");
    created_with_location(cx.request, &me.db, &me.caller, &collection, |db| {
        let record = dictionaries::entries::create(db, &me.caller, kind, &body, &me.client)?;
        let location = location(&collection, &record);
        Ok((record, location))
    })
}

fn entry(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let record = dictionaries::entries::get(&me.db, &me.caller, cx.param("kind")?, cx.param("code")?)?;
    Ok(record_response(200, &record))
}

fn update_entry(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let body: Value = cx.json()?;
    let (kind, code) = (cx.param("kind")?, cx.param("code")?);
    let record = dictionaries::entries::update(&me.db, &me.caller, kind, code, &body, cx.if_match()?, &me.client)?;
    Ok(record_response(200, &record))
}

fn delete_entry(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let (kind, code) = (cx.param("kind")?, cx.param("code")?);
    dictionaries::entries::delete(&me.db, &me.caller, kind, code, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

fn currencies(cx: &Cx) -> Answer {
    let me = open(cx)?;
    Ok(items(dictionaries::currencies::list(&me.db, &me.caller)?))
}

fn create_currency(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let body: Value = cx.json()?;
    created_with_location(cx.request, &me.db, &me.caller, CURRENCIES, |db| {
        let record = dictionaries::currencies::create(db, &me.caller, &body, &me.client)?;
        let location = location(CURRENCIES, &record);
        Ok((record, location))
    })
}

fn currency(cx: &Cx) -> Answer {
    let me = open(cx)?;
    Ok(record_response(
        200,
        &dictionaries::currencies::get(&me.db, &me.caller, cx.param("code")?)?,
    ))
}

fn update_currency(cx: &Cx) -> Answer {
    let me = open(cx)?;
    let body: Value = cx.json()?;
    let record =
        dictionaries::currencies::update(&me.db, &me.caller, cx.param("code")?, &body, cx.if_match()?, &me.client)?;
    Ok(record_response(200, &record))
}

fn delete_currency(cx: &Cx) -> Answer {
    let me = open(cx)?;
    dictionaries::currencies::delete(&me.db, &me.caller, cx.param("code")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_below_the_collection() {
        assert_eq!(
            location("/api/dictionaries/sources", &json!({"code": "FAIR"})),
            "/api/dictionaries/sources/FAIR"
        );
    }
}
