//! The one error story of the domain: [`CoreError`], named by what went wrong for the caller.
//!
//! Core functions return `CoreError`; each component turns it into an HTTP response in exactly
//! one place (`crm_spin_adapter::problem`). Every variant's doc says its HTTP status. Variants
//! that are the server's fault ([`CoreError::Unavailable`], [`CoreError::Internal`]) carry a
//! cause for the log only; it never reaches the response body.

use crate::db::DbError;
use crate::migrate::MigrateError;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `emails[0].value`.
    pub field: String,
    /// Stable machine-readable code, e.g. `invalid_email`.
    pub code: String,
    /// Human-readable explanation, e.g. `not an email address`.
    pub message: String,
}

/// All invalid fields of one request (reported together, not one at a time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one invalid field.
    pub fn push(&mut self, field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    /// Whether no field is invalid.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of invalid fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(())` if empty, otherwise `Err(CoreError::Validation(self))`.
    pub fn into_result(self) -> Result<(), CoreError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(self))
        }
    }
}

/// Why a domain operation did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    /// 400: a malformed request the caller must fix (an unknown query parameter, filter or
    /// sort key, a bad cursor); the text names it and is shown.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no credentials, or credentials that do not (or no longer) work.
    #[error("unauthorized")]
    Unauthorized,
    /// 404: no such record, or one the caller may not see.
    #[error("not found")]
    NotFound,
    /// 403: the caller is authenticated but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// 403 with the rule that refused it, shown to the caller (e.g. a stage their role may not
    /// move records into): for refusals a person can act on, never for records they cannot see.
    #[error("forbidden: {0}")]
    ForbiddenBecause(String),
    /// 422: the input is well-formed but some values are invalid.
    #[error("{} invalid field(s)", .0.len())]
    Validation(FieldErrors),
    /// 409: a conflict the caller can resolve (e.g. a duplicate unique value); the text is shown.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413: the body is larger than the operation takes (a web-form post over
    /// `intake::MAX_BODY`).
    #[error("body over {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body is in a media type the operation does not read; the text says which it
    /// reads and is shown.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 429: too many attempts; retry after this many seconds (`Retry-After`).
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests {
        /// Seconds until an attempt may succeed.
        retry_after: u64,
    },
    /// 412: the record changed since the caller read it (`If-Match` does not match).
    #[error("the record was changed by someone else")]
    Stale,
    /// 503: the database (or another backing service) is down, busy or refused; the cause is
    /// logged, never shown.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for CoreError {
    /// Database trouble the caller cannot fix: busy or unreachable is 503, anything else 500.
    /// (Constraint failures the caller CAN fix are mapped to `Conflict`/`Validation` at the call
    /// site, which knows the field.)
    fn from(e: DbError) -> Self {
        match e {
            DbError::Busy | DbError::AccessDenied | DbError::NoSuchDatabase => CoreError::Unavailable(e.to_string()),
            DbError::Constraint { .. } | DbError::Other(_) => CoreError::Internal(e.to_string()),
        }
    }
}

impl From<MigrateError> for CoreError {
    /// A database that cannot be migrated cannot serve: 503.
    fn from(e: MigrateError) -> Self {
        CoreError::Unavailable(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_field_errors_are_ok_and_others_are_validation() {
        assert_eq!(FieldErrors::new().into_result(), Ok(()));
        let mut errors = FieldErrors::new();
        errors.push("email", "invalid_email", "not an email address");
        assert!(matches!(errors.into_result(), Err(CoreError::Validation(e)) if e.len() == 1));
    }

    #[test]
    fn database_errors_map_by_whose_fault_it_is() {
        assert!(matches!(CoreError::from(DbError::Busy), CoreError::Unavailable(_)));
        assert!(matches!(
            CoreError::from(DbError::AccessDenied),
            CoreError::Unavailable(_)
        ));
        assert!(matches!(
            CoreError::from(DbError::Other("x".into())),
            CoreError::Internal(_)
        ));
    }
}
