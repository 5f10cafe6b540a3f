//! The `/api/audit` component: the audit log of auth and permission events (logins, tokens,
//! users, roles, departments), newest first. Read-only; needs `settings` read.

use crm_core::directory::audit_log;
use crm_core::resource::ListQuery;
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};

crm_spin_adapter::component!(Routes::new("/api/audit").get("", list));

/// `GET /api/audit?filter[...]`: a page of the log, newest first.
fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), audit_log::FILTERS)?;
    Ok(json_response(200, &audit_log::list(&me.db, &me.caller, &query)?))
}
