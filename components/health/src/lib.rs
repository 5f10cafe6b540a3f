//! The health component: `GET /api/health` answers whether this deployment can serve.
//!
//! It does what every other component does on each request, open `default` and run the
//! migration runner, and nothing more: the runner's one statement reads the database's header
//! (its schema fingerprint), so a 200 means the database is reachable, granted to components and
//! on the current schema, at the cost of one statement. Any database failure is an opaque 503
//! problem with the cause in the log. The body is for uptime checks and the UI's status line:
//! `{"status": "ok", "version": "<crate version>", "database": "ok"}`.

use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::json;

crm_spin_adapter::component!(Routes::new("/api/health").get("", health));

/// `GET /api/health`.
fn health(cx: &Cx) -> Answer {
    cx.db()?;
    let mut response = json_response(
        200,
        &json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok"}),
    );
    response.set_header("cache-control", "no-store");
    Ok(response)
}
