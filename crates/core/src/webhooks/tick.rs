//! `POST /internal/tick`: who may call it and how much one call does. The caller proves
//! itself with the secret of the app's `tick_secret` variable in [`HEADER`], compared in
//! constant time; with no secret set every call is refused, so an app deployed without one
//! never delivers on an anonymous request's behalf.

use subtle::ConstantTimeEq;

use crate::error::CoreError;

/// The header carrying the tick secret.
pub const HEADER: &str = "X-Tick-Secret";
/// How long one tick starts new deliveries, in milliseconds (each delivery is also bounded by
/// its own timeouts, [`CONNECT_TIMEOUT_MS`] and [`RESPONSE_TIMEOUT_MS`]).
pub const BUDGET_MS: u64 = 20_000;
/// Deliveries claimed at a time.
pub const BATCH: u32 = 10;
/// The most deliveries one tick sends.
pub const MAX_PER_TICK: usize = 200;
/// How long a receiver has to accept the connection.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// How long a receiver has to start answering, and between parts of its answer.
pub const RESPONSE_TIMEOUT_MS: u64 = 10_000;

/// `Ok` when `given` is the configured secret. No (or an empty) configured secret refuses
/// everything (403, saying so); a missing or wrong one is 401.
pub fn authorize(configured: Option<&str>, given: Option<&str>) -> Result<(), CoreError> {
    let Some(configured) = configured.filter(|s| !s.is_empty()) else {
        return Err(CoreError::ForbiddenBecause(
            "the tick is off: the app's tick_secret variable is not set".into(),
        ));
    };
    match given {
        Some(given) if bool::from(given.as_bytes().ct_eq(configured.as_bytes())) => Ok(()),
        _ => Err(CoreError::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_secret_passes_and_none_configured_refuses_all() {
        assert!(authorize(Some("s3cret"), Some("s3cret")).is_ok());
        assert!(matches!(
            authorize(Some("s3cret"), Some("s3cre")),
            Err(CoreError::Unauthorized)
        ));
        assert!(matches!(authorize(Some("s3cret"), None), Err(CoreError::Unauthorized)));
        assert!(matches!(authorize(None, Some("")), Err(CoreError::ForbiddenBecause(_))));
        assert!(matches!(
            authorize(Some(""), Some("")),
            Err(CoreError::ForbiddenBecause(_))
        ));
    }
}
