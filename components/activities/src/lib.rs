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
//! The two routes reach this one component; `spin-matched-route` (set by the runtime, never
//! by the client) tells them apart.

use crm_core::CoreError;
use crm_core::acl::Caller;
use crm_core::records::EntityDef;
use crm_core::records::entities::activity::{feed, my};
use crm_spin_adapter::auth::client_info;
use crm_spin_adapter::records::{RecordTarget, serve_with};
use crm_spin_adapter::request::{RequestError, allow_methods};
use crm_spin_adapter::route::query_pairs;
use crm_spin_adapter::{ApiError, SpinDb, json_response};
use spin_sdk::http::{Method, Request, Response};

/// Answers either route.
fn handle(request: &Request) -> Response {
    let route = request.header("spin-matched-route").and_then(|v| v.as_str());
    let is_feed = match route {
        Some(route) => route == feed::FEED_PATH,
        None => request.path() == feed::FEED_PATH,
    };
    if is_feed {
        calendar(request).unwrap_or_else(|e| crm_spin_adapter::problem::error_response(&e))
    } else {
        serve_with(request, "activity", extra)
    }
}

/// The activity's own actions below `/api/activities`.
fn extra(
    request: &Request,
    db: &SpinDb,
    caller: &Caller,
    def: &EntityDef,
    target: RecordTarget,
) -> Option<Result<Response, ApiError>> {
    match target {
        RecordTarget::CollectionAction("my") => Some(my_activities(request, db, caller, def)),
        RecordTarget::CollectionAction("feed-token") => Some(feed_token(request, db, caller)),
        _ => None,
    }
}

/// `GET /api/activities/my?limit=&cursor=`.
fn my_activities(request: &Request, db: &SpinDb, caller: &Caller, def: &EntityDef) -> Result<Response, ApiError> {
    allow_methods(request, &["GET"])?;
    let query = my::MyQuery::parse(&query_pairs(request))?;
    let page = my::list(db, caller, def, &query, crm_core::clock::now())?;
    Ok(json_response(200, &page))
}

/// `POST` / `DELETE /api/activities/feed-token`.
fn feed_token(request: &Request, db: &SpinDb, caller: &Caller) -> Result<Response, ApiError> {
    let client = client_info(request);
    match request.method() {
        Method::Post => Ok(json_response(201, &feed::issue(db, caller, &client)?)),
        Method::Delete => {
            feed::revoke(db, caller, &client)?;
            Ok(Response::builder().status(204).build())
        }
        _ => Err(RequestError::MethodNotAllowed {
            allow: vec!["POST", "DELETE"],
        }
        .into()),
    }
}

/// `GET /api/activities.ics?token=...`: no cookie or Bearer header, only the feed token.
fn calendar(request: &Request) -> Result<Response, ApiError> {
    allow_methods(request, &["GET"])?;
    let token = query_pairs(request)
        .into_iter()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value)
        .ok_or(CoreError::Unauthorized)?;
    let db = SpinDb::open_migrated()?;
    let body = feed::feed(&db, &token, crm_core::clock::now())?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/calendar; charset=utf-8")
        .header("cache-control", "private, no-cache")
        .header("content-disposition", "inline; filename=\"activities.ics\"")
        .body(body.into_bytes())
        .build())
}

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/activities/...` and `/api/activities.ics`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        super::handle(&request)
    }
}
