//! The `/api/dictionaries` and `/api/currencies` component: the dictionaries (lead statuses,
//! sources, contact and company types, industries, employee ranges, deal types, honorifics) and
//! the currencies with their rates to the base currency.
//!
//! `GET /api/dictionaries` lists the kinds; `/api/dictionaries/<kind>[/<code>]` and
//! `/api/currencies[/<code>]` are collections with the HTTP shape every resource shares (201 +
//! `Location` + `ETag`, `If-Match` on `PATCH`/`DELETE`, `Idempotency-Key` on `POST`). Records
//! are addressed by their code, so this is not a [`crm_spin_adapter::crud::Crud`] table; the
//! rules are all `crm_core::dictionaries`'s. Reading needs any signed-in user, writing the
//! `settings` permission.

use crm_core::CoreError;
use crm_core::dictionaries;
use crm_spin_adapter::auth::{authenticate, client_info};
use crm_spin_adapter::crud::{created_with_location, record_response};
use crm_spin_adapter::request::{RequestError, json_body};
use crm_spin_adapter::route::{if_match, query_pairs};
use crm_spin_adapter::{ApiError, SpinDb, SpinKv, json_response};
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

const DICTIONARIES: &str = "/api/dictionaries";
const CURRENCIES: &str = "/api/currencies";

/// What a request path addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    /// `/api/dictionaries`: the kinds.
    Kinds,
    /// `/api/dictionaries/<kind>`.
    Entries(&'a str),
    /// `/api/dictionaries/<kind>/<code>`.
    Entry(&'a str, &'a str),
    /// `/api/currencies`.
    Currencies,
    /// `/api/currencies/<code>`.
    Currency(&'a str),
}

/// The target of a request path; `None` (404) for anything else. One trailing `/` is allowed.
fn target(path: &str) -> Option<Target<'_>> {
    let below = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let (currencies, rest) = match below(CURRENCIES) {
        Some(rest) => (true, rest),
        None => (false, below(DICTIONARIES)?),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = match rest.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => Vec::new(),
    };
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    match (currencies, segments.as_slice()) {
        (false, []) => Some(Target::Kinds),
        (false, [kind]) => Some(Target::Entries(kind)),
        (false, [kind, code]) => Some(Target::Entry(kind, code)),
        (true, []) => Some(Target::Currencies),
        (true, [code]) => Some(Target::Currency(code)),
        _ => None,
    }
}

/// `{"items": [...], "next_cursor": null}`: dictionaries are short and never paged.
fn items(items: Vec<Value>) -> Response {
    json_response(200, &json!({ "items": items, "next_cursor": null }))
}

fn no_content() -> Response {
    Response::builder().status(204).build()
}

fn not_allowed(allow: &[&'static str]) -> Result<Response, ApiError> {
    Err(RequestError::MethodNotAllowed { allow: allow.to_vec() }.into())
}

/// The `Location` of a created record: `<collection>/<code>`.
fn location(collection: &str, record: &Value) -> String {
    format!("{collection}/{}", record["code"].as_str().unwrap_or_default())
}

fn handle(request: &Request) -> Result<Response, ApiError> {
    let target = target(request.path()).ok_or(CoreError::NotFound)?;
    if let Some((name, _)) = query_pairs(request).first() {
        return Err(CoreError::BadRequest(format!("unknown query parameter {name:?}")).into());
    }
    let db = SpinDb::open_migrated()?;
    let kv = SpinKv::open_default().map_err(CoreError::from)?;
    let caller = authenticate(request, &db, &kv)?;
    let client = client_info(request);
    match (target, request.method()) {
        (Target::Kinds, Method::Get) => Ok(items(dictionaries::kinds(&caller))),
        (Target::Kinds, _) => not_allowed(&["GET"]),

        (Target::Entries(kind), Method::Get) => Ok(items(dictionaries::entries::list(&db, &caller, kind)?)),
        (Target::Entries(kind), Method::Post) => {
            let body: Value = json_body(request)?;
            let collection = format!("{DICTIONARIES}/{kind}");
            created_with_location(request, &db, &caller, &collection, |db| {
                let record = dictionaries::entries::create(db, &caller, kind, &body, &client)?;
                let location = location(&collection, &record);
                Ok((record, location))
            })
        }
        (Target::Entries(_), _) => not_allowed(&["GET", "POST"]),

        (Target::Entry(kind, code), Method::Get) => Ok(record_response(
            200,
            &dictionaries::entries::get(&db, &caller, kind, code)?,
        )),
        (Target::Entry(kind, code), Method::Patch) => {
            let body: Value = json_body(request)?;
            let version = if_match(request)?;
            let record = dictionaries::entries::update(&db, &caller, kind, code, &body, version, &client)?;
            Ok(record_response(200, &record))
        }
        (Target::Entry(kind, code), Method::Delete) => {
            dictionaries::entries::delete(&db, &caller, kind, code, if_match(request)?, &client)?;
            Ok(no_content())
        }
        (Target::Entry(..), _) => not_allowed(&["GET", "PATCH", "DELETE"]),

        (Target::Currencies, Method::Get) => Ok(items(dictionaries::currencies::list(&db, &caller)?)),
        (Target::Currencies, Method::Post) => {
            let body: Value = json_body(request)?;
            created_with_location(request, &db, &caller, CURRENCIES, |db| {
                let record = dictionaries::currencies::create(db, &caller, &body, &client)?;
                let location = location(CURRENCIES, &record);
                Ok((record, location))
            })
        }
        (Target::Currencies, _) => not_allowed(&["GET", "POST"]),

        (Target::Currency(code), Method::Get) => Ok(record_response(
            200,
            &dictionaries::currencies::get(&db, &caller, code)?,
        )),
        (Target::Currency(code), Method::Patch) => {
            let body: Value = json_body(request)?;
            let version = if_match(request)?;
            let record = dictionaries::currencies::update(&db, &caller, code, &body, version, &client)?;
            Ok(record_response(200, &record))
        }
        (Target::Currency(code), Method::Delete) => {
            dictionaries::currencies::delete(&db, &caller, code, if_match(request)?, &client)?;
            Ok(no_content())
        }
        (Target::Currency(_), _) => not_allowed(&["GET", "PATCH", "DELETE"]),
    }
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/dictionaries/...` and `/api/currencies/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_kinds_entries_and_currencies() {
        let cases = [
            ("/api/dictionaries", Some(Target::Kinds)),
            ("/api/dictionaries/", Some(Target::Kinds)),
            ("/api/dictionaries/sources", Some(Target::Entries("sources"))),
            ("/api/dictionaries/sources/", Some(Target::Entries("sources"))),
            ("/api/dictionaries/sources/CALL", Some(Target::Entry("sources", "CALL"))),
            ("/api/currencies", Some(Target::Currencies)),
            ("/api/currencies/USD", Some(Target::Currency("USD"))),
            ("/api/currencies/USD/", Some(Target::Currency("USD"))),
            ("/api/dictionaries/sources/CALL/x", None),
            ("/api/dictionaries//CALL", None),
            ("/api/dictionaries/sources//", None),
            ("/api/currencies/USD/x", None),
            ("/api/dictionariesx", None),
            ("/api/currency", None),
            ("/api/users", None),
        ];
        for (path, expected) in cases {
            assert_eq!(target(path), expected, "{path}");
        }
    }

    #[test]
    fn locations_are_below_the_collection() {
        assert_eq!(
            location("/api/dictionaries/sources", &json!({"code": "FAIR"})),
            "/api/dictionaries/sources/FAIR"
        );
    }
}
