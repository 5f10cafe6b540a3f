//! The inbox of a source (`/api/order-sources/<id>/inbox`, `settings` read): every verified
//! delivery with its raw body, how processing ended and the deal it made or changed; a row can
//! be replayed (`POST .../inbox/<row>/replay`, `settings` update): its stored body is processed
//! again (the signature was checked when it arrived), in one transaction with the row's new
//! status — after fixing what failed it (adding a currency, a user, a stage).

use serde_json::{Value as Json, json};

use super::receive::{Outcome, process_row};
use super::source;
use crate::acl::{Action, Caller, Entity};
use crate::db::{Db, Row, transaction};
use crate::error::CoreError;
use crate::resource::{ListQuery, Page, Where};

/// Filters the inbox accepts.
pub const FILTERS: &[&str] = &["status", "order_id"];

fn entry(row: &Row) -> Json {
    json!({
        "id": row.i64("id"),
        "source_id": row.i64("source_id"),
        "topic": row.str("topic"),
        "delivery_id": row.str("delivery_id"),
        "shop": row.str("shop"),
        "order_id": row.str("order_id"),
        "order_updated_at": row.i64("order_updated_at").map(crate::clock::rfc3339),
        "status": row.str("status"),
        "error": row.str("error"),
        "attempts": row.i64("attempts"),
        "deal_id": row.i64("deal_id"),
        "received_at": row.i64("received_at").map(crate::clock::rfc3339),
        "processed_at": row.i64("processed_at").map(crate::clock::rfc3339),
        "body": row.str("body"),
    })
}

/// The inbox of source `source_id`, oldest first (keyset by id).
pub fn list(db: &dyn Db, caller: &Caller, source_id: i64, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    if db
        .query("SELECT 1 FROM order_sources WHERE id = ?", &[source_id.into()])?
        .is_empty()
    {
        return Err(CoreError::NotFound);
    }
    let mut filter = Where::default();
    filter.and("source_id = ?", [source_id.into()]);
    if let Some(status) = query.filter("status") {
        filter.and("status = ?", [status.into()]);
    }
    if let Some(order_id) = query.filter("order_id") {
        filter.and("order_id = ?", [order_id.into()]);
    }
    filter.page(db, "SELECT * FROM order_inbox", query, |row| Ok(entry(row)))
}

/// Processes row `id` of source `source_id` again (settings update) and returns it.
pub fn replay(db: &dyn Db, caller: &Caller, source_id: i64, id: i64) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let source = source::by_id(db, source_id)?.ok_or(CoreError::NotFound)?;
    let now = crate::clock::now();
    transaction(db, |db| {
        let rows = db.query(
            "SELECT * FROM order_inbox WHERE id = ? AND source_id = ?",
            &[id.into(), source_id.into()],
        )?;
        let row = rows.first().ok_or(CoreError::NotFound)?;
        let body = row.str("body").unwrap_or_default().as_bytes().to_vec();
        let hash = row.str("body_sha256").unwrap_or_default().to_string();
        let (topic, shop) = (row.str("topic").map(str::to_owned), row.str("shop").map(str::to_owned));
        db.execute(
            "UPDATE order_inbox SET attempts = attempts + 1 WHERE id = ?",
            &[id.into()],
        )?;
        match process_row(db, &source, id, &body, topic.as_deref(), shop.as_deref(), &hash, now)? {
            Outcome::Stored { .. } | Outcome::Duplicate { .. } | Outcome::Ping => {}
        }
        let rows = db.query("SELECT * FROM order_inbox WHERE id = ?", &[id.into()])?;
        rows.first().map(|r| entry(&r)).ok_or(CoreError::NotFound)
    })
}

/// The store order deal `deal_id` was made from, for its card: the source's name and kind, the
/// order's id, number, state and admin link, and when the store last changed it; `None` for a
/// deal no order made. (The caller checks the deal is readable.)
pub fn order_of_deal(db: &dyn Db, deal_id: i64) -> Result<Option<Json>, CoreError> {
    let rows = db.query(
        "SELECT s.id AS source_id, s.name, s.kind, o.order_id, o.order_number, o.status, o.admin_url, \
         o.order_updated_at FROM deal_orders o JOIN order_sources s ON s.id = o.source_id WHERE o.deal_id = ?",
        &[deal_id.into()],
    )?;
    Ok(rows.first().map(|row| {
        json!({
            "source": {"id": row.i64("source_id"), "name": row.str("name"), "kind": row.str("kind")},
            "order_id": row.str("order_id"),
            "number": row.str("order_number"),
            "state": row.str("status"),
            "admin_url": row.str("admin_url"),
            "updated_at": row.i64("order_updated_at").map(crate::clock::rfc3339),
        })
    }))
}
