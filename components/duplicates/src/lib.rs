//! The `/api/duplicates` component: `GET ?entity=&email=&phone=&title=` lists the leads,
//! contacts and companies the caller can read whose normalised e-mail, phone or company title
//! match (`crm_core::records::duplicates`). Merging them is `POST /api/<entity>/<id>/merge`.

use crm_core::records::{duplicates, service};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};

crm_spin_adapter::component!(Routes::new("/api/duplicates").get("", find));

/// `GET /api/duplicates?entity=&email=&phone=&title=`.
fn find(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let parse = service::parse_context_for(&me.db, &me.caller)?;
    Ok(json_response(
        200,
        &duplicates::find(&me.db, &me.caller, &cx.query(), &parse)?,
    ))
}
