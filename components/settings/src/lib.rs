//! The `/api/settings` component: `GET` the firm-wide settings (any signed-in user), `PATCH`
//! them with a merge-patch (`settings` update permission). Rules live in `crm_core::settings`.

use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};

crm_spin_adapter::component!(Routes::new("/api/settings").get("", get).patch("", update));

/// `GET /api/settings`.
fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(200, &crm_core::settings::get(&me.db, &me.caller)?))
}

/// `PATCH /api/settings` (a merge-patch).
fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: serde_json::Value = cx.json()?;
    Ok(json_response(
        200,
        &crm_core::settings::update(&me.db, &me.caller, &body, &me.client)?,
    ))
}
