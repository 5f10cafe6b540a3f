//! The `/api/activities` component: calls, meetings, tasks and logged e-mails bound to leads,
//! contacts, companies and deals, on the generic record engine (`crm_core::records`, entity
//! `activity`), plus the entity's own actions:
//!
//! | path | methods |
//! |---|---|
//! | `/api/activities/...` | the shared record shape (`crm_spin_adapter::records`) |
//! | `/api/activities/my` | `GET`: the caller's open activities by deadline, with `overdue` |
//! | `/api/activities/feed-token` | `POST` issues (replacing) the caller's calendar feed token; `DELETE` revokes it |
//! | `/api/activities.ics?token=...` | `GET`: the caller's iCalendar feed; the token is the only credential |
//!
//! Both routes reach this one component; its table tells them apart by path.

use crm_core::CoreError;
use crm_core::records::entities::activity::{feed, my};
use crm_spin_adapter::crud::no_content;
use crm_spin_adapter::json_response;
use crm_spin_adapter::records::{self, Record};
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use spin_sdk::http::Response;

crm_spin_adapter::component!(
    records::routes("activity")
        .get("/my", my_activities)
        .post("/feed-token", issue_feed_token)
        .delete("/feed-token", revoke_feed_token)
        .merge(Routes::new(feed::FEED_PATH).get("", calendar))
);

/// `GET /api/activities/my?limit=&cursor=`.
fn my_activities(cx: &Cx, r: &Record) -> Answer {
    let query = my::MyQuery::parse(&cx.query())?;
    let page = my::list(&r.db, &r.caller, &r.def, &query, crm_core::clock::now())?;
    Ok(json_response(200, &page))
}

/// `POST /api/activities/feed-token`: a new feed address (the old one stops working).
fn issue_feed_token(cx: &Cx, r: &Record) -> Answer {
    Ok(json_response(201, &feed::issue(&r.db, &r.caller, &cx.client())?))
}

/// `DELETE /api/activities/feed-token`.
fn revoke_feed_token(cx: &Cx, r: &Record) -> Answer {
    feed::revoke(&r.db, &r.caller, &cx.client())?;
    Ok(no_content())
}

/// `GET /api/activities.ics?token=...`: no cookie or Bearer header, only the feed token.
fn calendar(cx: &Cx) -> Answer {
    let token = cx
        .query()
        .into_iter()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value)
        .ok_or(CoreError::Unauthorized)?;
    let db = cx.db()?;
    let body = feed::feed(&db, &token, crm_core::clock::now())?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/calendar; charset=utf-8")
        .header("cache-control", "private, no-cache")
        .header("content-disposition", "inline; filename=\"activities.ics\"")
        .body(body.into_bytes())
        .build())
}
