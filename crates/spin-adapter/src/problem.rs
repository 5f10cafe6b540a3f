//! The one mapping from errors to RFC 9457 `application/problem+json` responses.
//!
//! Handlers return `Result<_, ApiError>`; [`problem_for`] is the only place that decides status,
//! type, title and detail, so every component answers errors in the same shape (see API.md):
//! `{"type": "https://crm.example/problems/<slug>", "title", "status", "detail", "errors"?}`.
//! A 5xx body is opaque ("Internal error", "Service unavailable"); the full cause is written to
//! stderr, which Spin logs.

use crm_core::{CoreError, FieldError};
use serde::Serialize;
use spin_sdk::http::{IntoResponse, Response};

use crate::request::RequestError;

/// Prefix of every problem `type`.
pub const PROBLEM_TYPE_BASE: &str = "https://crm.example/problems/";

/// Any error a handler can return: a domain error or a bad request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// From the domain (status per [`CoreError`]'s variant docs).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// From reading the request (400, 405, 413, 415).
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// A problem document plus the extra headers its status needs (e.g. `Allow` on 405).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `https://crm.example/problems/<slug>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary, the same for every occurrence of this type.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time (opaque for 5xx).
    pub detail: String,
    /// The invalid fields, for validation problems only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
    /// Headers to add to the response.
    #[serde(skip)]
    pub headers: Vec<(&'static str, String)>,
}

/// One entry of a problem's `errors` list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldErrorBody {
    /// Path of the field, e.g. `emails[0].value`.
    pub field: String,
    /// Machine-readable code, e.g. `invalid_email`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl From<&FieldError> for FieldErrorBody {
    fn from(e: &FieldError) -> Self {
        Self {
            field: e.field.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
        }
    }
}

impl Problem {
    fn new(slug: &str, title: &'static str, status: u16, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_BASE}{slug}"),
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| br#"{"title":"Internal error","status":500}"#.to_vec())
    }

    /// The full response: status, `Content-Type: application/problem+json`, extra headers, body.
    pub fn into_response(self) -> Response {
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/problem+json")
            .header("cache-control", "no-store");
        for (name, value) in &self.headers {
            builder.header(*name, value.as_str());
        }
        builder.body(self.to_json()).build()
    }
}

/// THE mapping: which problem each error is. Pure (no logging), so it is tested natively.
pub fn problem_for(error: &ApiError) -> Problem {
    match error {
        ApiError::Core(CoreError::BadRequest(detail)) => {
            Problem::new("bad-request", "Bad request", 400, detail.as_str())
        }
        ApiError::Core(CoreError::Unauthorized) => {
            let mut p = Problem::new(
                "unauthorized",
                "Unauthorized",
                401,
                "Sign in or send a valid Bearer token",
            );
            p.headers.push(("www-authenticate", "Bearer".to_string()));
            p
        }
        ApiError::Core(CoreError::TooManyRequests { retry_after }) => {
            let mut p = Problem::new(
                "too-many-requests",
                "Too many requests",
                429,
                format!("Retry after {retry_after} seconds"),
            );
            p.headers.push(("retry-after", retry_after.to_string()));
            p
        }
        ApiError::Core(CoreError::TooLarge { limit }) | ApiError::Request(RequestError::TooLarge { limit }) => {
            Problem::new(
                "too-large",
                "Payload too large",
                413,
                format!("The body is larger than the {limit}-byte limit"),
            )
        }
        ApiError::Core(CoreError::UnsupportedMediaType(detail)) => {
            Problem::new("unsupported-media-type", "Unsupported media type", 415, detail.as_str())
        }
        ApiError::Core(CoreError::NotFound) => Problem::new("not-found", "Not found", 404, "No such resource"),
        ApiError::Core(CoreError::Forbidden) => {
            Problem::new("forbidden", "Forbidden", 403, "You are not allowed to do this")
        }
        ApiError::Core(CoreError::ForbiddenBecause(reason)) => {
            Problem::new("forbidden", "Forbidden", 403, reason.clone())
        }
        ApiError::Core(CoreError::Validation(fields)) => {
            let detail = if fields.len() == 1 {
                "1 field is invalid".to_owned()
            } else {
                format!("{} fields are invalid", fields.len())
            };
            let mut problem = Problem::new("validation", "Validation failed", 422, detail);
            problem.errors = fields.iter().map(FieldErrorBody::from).collect();
            problem
        }
        ApiError::Core(CoreError::Conflict(detail)) => Problem::new("conflict", "Conflict", 409, detail.as_str()),
        ApiError::Core(CoreError::Stale) => Problem::new(
            "stale",
            "Precondition failed",
            412,
            "The record was changed by someone else; reload it and try again",
        ),
        ApiError::Core(CoreError::Unavailable(_)) => {
            Problem::new("unavailable", "Service unavailable", 503, "Service unavailable")
        }
        ApiError::Core(CoreError::Internal(_)) => Problem::new("internal", "Internal error", 500, "Internal error"),
        ApiError::Request(RequestError::Malformed(detail)) => {
            Problem::new("malformed", "Malformed request", 400, detail.as_str())
        }
        ApiError::Request(RequestError::UnsupportedMediaType { expected }) => Problem::new(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            format!("Send the body as {expected}"),
        ),
        ApiError::Request(RequestError::MethodNotAllowed { allow }) => {
            let allow = allow.join(", ");
            let mut problem = Problem::new(
                "method-not-allowed",
                "Method not allowed",
                405,
                format!("Allowed: {allow}"),
            );
            problem.headers.push(("allow", allow));
            problem
        }
    }
}

/// Turn an error into its response, logging the full cause of a 5xx to stderr.
pub fn error_response(error: &ApiError) -> Response {
    let problem = problem_for(error);
    if problem.status >= 500 {
        eprintln!("{} {}: {error}", problem.status, problem.title);
    }
    problem.into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

/// A JSON success response with `Content-Type: application/json`.
pub fn json_response(status: u16, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(bytes)
            .build(),
        Err(e) => error_response(&CoreError::Internal(format!("serialising the response: {e}")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::FieldErrors;
    use serde_json::{Value, json};

    fn body(error: impl Into<ApiError>) -> Value {
        serde_json::from_slice(&problem_for(&error.into()).to_json()).expect("valid JSON")
    }

    #[test]
    fn validation_problem_has_the_documented_shape() {
        let mut fields = FieldErrors::new();
        fields.push("emails[0].value", "invalid_email", "not an email address");
        fields.push("name", "required", "is required");
        assert_eq!(
            body(CoreError::Validation(fields)),
            json!({
                "type": "https://crm.example/problems/validation", "title": "Validation failed", "status": 422,
                "detail": "2 fields are invalid",
                "errors": [
                    {"field": "emails[0].value", "code": "invalid_email", "message": "not an email address"},
                    {"field": "name", "code": "required", "message": "is required"}
                ]
            })
        );
    }

    #[test]
    fn server_errors_are_opaque() {
        let internal = body(CoreError::Internal("secret: no such column users.pw".into()));
        assert_eq!(
            internal,
            json!({"type": "https://crm.example/problems/internal", "title": "Internal error", "status": 500, "detail": "Internal error"})
        );
        let unavailable = body(CoreError::Unavailable("access denied to default".into()));
        assert_eq!(unavailable["status"], 503);
        assert_eq!(unavailable["detail"], "Service unavailable");
    }

    #[test]
    fn each_error_gets_its_documented_status() {
        let cases: Vec<(ApiError, u16)> = vec![
            (CoreError::NotFound.into(), 404),
            (CoreError::Forbidden.into(), 403),
            (CoreError::ForbiddenBecause("a stage rule".into()).into(), 403),
            (CoreError::Conflict("email taken".into()).into(), 409),
            (CoreError::Stale.into(), 412),
            (CoreError::TooLarge { limit: 10 }.into(), 413),
            (CoreError::UnsupportedMediaType("send a form".into()).into(), 415),
            (CoreError::TooManyRequests { retry_after: 3 }.into(), 429),
            (RequestError::Malformed("bad".into()).into(), 400),
            (RequestError::TooLarge { limit: 10 }.into(), 413),
            (
                RequestError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into(),
                415,
            ),
            (RequestError::MethodNotAllowed { allow: vec!["GET"] }.into(), 405),
        ];
        for (error, status) in cases {
            assert_eq!(problem_for(&error).status, status, "{error:?}");
        }
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let problem = problem_for(
            &RequestError::MethodNotAllowed {
                allow: vec!["GET", "HEAD"],
            }
            .into(),
        );
        assert_eq!(problem.headers, [("allow", "GET, HEAD".to_owned())]);
    }
}
