//! The `/api/leads` component: leads.
//!
//! Everything is the generic record engine (`crm_core::records`) behind the shared HTTP shape
//! of a record entity (`crm_spin_adapter::records`): list, create, read, change, delete,
//! field definitions, bulk actions, timeline and merge; plus the sales actions leads share with
//! deals (`GET /api/leads/board` by status, `GET`/`PUT /api/leads/<id>/products`) and
//! `POST /api/leads/<id>/convert` into a contact, a company and a deal.

use crm_spin_adapter::json_response;
use crm_spin_adapter::records::{self, Record};
use crm_spin_adapter::routes::{Answer, Cx};

crm_spin_adapter::component!(records::routes("lead").sales().post("/<id:id>/convert", convert));

/// `POST /api/leads/<id>/convert`.
fn convert(cx: &Cx, lead: &Record) -> Answer {
    let body: serde_json::Value = cx.json()?;
    let made = crm_core::records::convert::convert(&lead.db, &lead.caller, cx.id("id")?, &body)?;
    Ok(json_response(200, &made))
}
