//! The `/api/timeline` component: `POST {"entity", "record_id", "text"}` adds a comment to the
//! timeline of a record the caller can read (201 with the entry). A record's timeline is read
//! at `/api/<entity>/<id>/timeline` (the entity's component).

use crm_core::records::timeline;
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};

crm_spin_adapter::component!(Routes::new("/api/timeline").post("", comment));

/// `POST /api/timeline`: the body is read before the caller, as a malformed one is refused
/// whoever sends it.
fn comment(cx: &Cx) -> Answer {
    let body: serde_json::Value = cx.json()?;
    let me = cx.signed_in()?;
    Ok(json_response(201, &timeline::comment(&me.db, &me.caller, &body)?))
}
