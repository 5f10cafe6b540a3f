//! A request's method as the transport runs it (issue 19, transport helper): the method
//! looked up (404 `ERROR_METHOD_NOT_FOUND`), the hook's scopes checked (403
//! `insufficient_scope`), then `batch`, `methods` and `scope` — which need the hook, not only
//! its user — here, and every other method through [`super::call`] as the hook's user.

use serde_json::Value as Json;

use super::hooks::Authorized;
use super::{Reply, RestError};
use crate::db::Db;

/// Runs `method` (any case, without `.json`) for the request's hook. Inside a batch
/// (`nested`), `batch` is refused.
pub fn dispatch(db: &dyn Db, hook: &Authorized, method: &str, params: &Json, nested: bool) -> Result<Reply, RestError> {
    let name = method.to_ascii_lowercase();
    let (_, scope, _) = super::methods::all()
        .find(|(known, _, _)| *known == name)
        .ok_or_else(RestError::method_not_found)?;
    if !hook.allows(scope) {
        return Err(RestError::new(
            403,
            "insufficient_scope",
            "The request requires higher privileges than provided by the webhook token",
        ));
    }
    let scopes: Vec<&str> = hook.scopes.iter().map(String::as_str).collect();
    match name.as_str() {
        "batch" if !nested => super::batch::run(db, hook, params),
        "methods" => Ok(Reply::of(super::meta::methods_for(&scopes, params))),
        "scope" => Ok(Reply::of(super::meta::scope_for(&scopes, params))),
        _ => {
            let zone = hook.time_zone.as_deref().unwrap_or("UTC");
            super::call_in_zone(db, &hook.caller, Some(zone), &name, params)
        }
    }
}
