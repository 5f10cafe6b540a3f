//! The Bitrix24-compatible REST API (issue 19), transport-free: a method name and its
//! parameters (already read from a query string, a form, multipart or JSON into one JSON
//! object by [`form`]) in, a [`Reply`] or a [`RestError`] out, acting as one [`Caller`].
//!
//! `components/rest` serves `/rest/<user_id>/<token>/<method>[.json]`: it authenticates the
//! inbound-webhook token ([`hooks`]), applies the rate limit ([`limit`]), reads the parameters
//! and calls [`call`] (or [`batch`]), then writes the envelope ([`envelope`]). Each method
//! family lives in its own module and lists its methods in a table ([`methods`]).

pub mod activities;
pub mod batch;
pub mod dictionaries;
pub mod dispatch;
pub mod envelope;
pub mod form;
pub mod hooks;
pub mod limit;
pub mod meta;
pub mod methods;
pub mod productrows;
pub mod records;
pub mod sales;
pub mod values;

use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;
use serde_json::Value as Json;

/// One method call: the database, who calls, and the parameters as one JSON object whose
/// top-level keys are as the client sent them (use [`Call::param`] to read them, which ignores
/// case: Bitrix24 accepts `fields` and `FIELDS` alike).
pub struct Call<'a> {
    /// The database, inside no transaction: a writing method opens its own.
    pub db: &'a dyn Db,
    /// The webhook's user, with that user's permissions.
    pub caller: &'a Caller,
    /// The parameters (always a JSON object; an absent body is `{}`).
    pub params: &'a Json,
    /// The firm's time zone when the transport has read it already (its hook check does), so a
    /// method does not read it again; `None`: read it when a date needs it.
    pub firm_zone: Option<&'a str>,
}

impl Call<'_> {
    /// The top-level parameter `name`, matched without regard to ASCII case.
    pub fn param(&self, name: &str) -> Option<&Json> {
        self.params
            .as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }
}

/// What a method answers: `result`, and for list methods `total` (absent when the client
/// asked `start=-1`) and `next` (absent on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The method's `result`.
    pub result: Json,
    /// A list's total row count.
    pub total: Option<u64>,
    /// A list's next `start`, when more rows follow.
    pub next: Option<u64>,
}

impl Reply {
    /// A reply of a plain result (not a list).
    pub fn of(result: Json) -> Self {
        Reply {
            result,
            total: None,
            next: None,
        }
    }
}

/// A Bitrix24-style error: the HTTP status, the `error` code (often empty for CRM method
/// errors, as Bitrix24 sends it) and `error_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// The HTTP status.
    pub status: u16,
    /// The `error` code, e.g. `ERROR_METHOD_NOT_FOUND`; may be empty.
    pub code: String,
    /// The `error_description`.
    pub description: String,
}

impl RestError {
    /// An error with the given status, code and description.
    pub fn new(status: u16, code: &str, description: impl Into<String>) -> Self {
        RestError {
            status,
            code: code.to_owned(),
            description: description.into(),
        }
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`.
    pub fn method_not_found() -> Self {
        Self::new(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    }

    /// A CRM method's refusal of its arguments: 400 with an empty code, as Bitrix24 answers
    /// `"ID is not defined or invalid."` and the like.
    pub fn invalid(description: impl Into<String>) -> Self {
        Self::new(400, "", description)
    }

    /// 400 `INVALID_ARG_VALUE` naming what was wrong.
    pub fn invalid_arg(description: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARG_VALUE", description)
    }

    /// 403 `INVALID_CREDENTIALS`: the webhook's user lacks the right.
    pub fn access_denied() -> Self {
        Self::new(403, "INVALID_CREDENTIALS", "Access denied.")
    }
}

impl From<CoreError> for RestError {
    /// The engine's refusals in Bitrix24's words: a missing (or hidden) record is 400 "Not
    /// found" with an empty code, a refused right 403 `INVALID_CREDENTIALS`, invalid fields 400
    /// naming each field; anything else inside is an opaque 500 `INTERNAL_SERVER_ERROR`, its
    /// cause written to stderr (the runtime's log).
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound => RestError::invalid("Not found"),
            CoreError::Forbidden | CoreError::ForbiddenBecause(_) | CoreError::Unauthorized => {
                RestError::access_denied()
            }
            CoreError::Validation(errors) => RestError::invalid(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            CoreError::BadRequest(message) | CoreError::Conflict(message) => RestError::invalid(message),
            CoreError::Stale => RestError::invalid("The record was changed meanwhile."),
            CoreError::TooManyRequests { .. } => RestError::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"),
            other => {
                eprintln!("rest: {other}");
                RestError::new(500, "INTERNAL_SERVER_ERROR", "Internal server error")
            }
        }
    }
}

/// Calls `method` (already lower-cased, without `.json`) as `caller` with `params`.
pub fn call(db: &dyn Db, caller: &Caller, method: &str, params: &Json) -> Result<Reply, RestError> {
    call_in_zone(db, caller, None, method, params)
}

/// As [`call`], with the firm's time zone already known (`Call::firm_zone`).
pub fn call_in_zone(
    db: &dyn Db,
    caller: &Caller,
    firm_zone: Option<&str>,
    method: &str,
    params: &Json,
) -> Result<Reply, RestError> {
    let handler = methods::find(method).ok_or_else(RestError::method_not_found)?;
    handler(&Call {
        db,
        caller,
        params,
        firm_zone,
    })
}
