//! Reading the audit log (settings read), newest first, filtered by action, actor, target
//! type and period. Writing it is `crate::audit::record`, inside the transaction of each change.

use serde_json::{Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::db::Db;
use crate::error::CoreError;
use crate::records::values;
use crate::resource::{ListQuery, Page, Where, opt_i64, time};

/// The filters `list` accepts (`filter[action]=user.created`, `filter[actor_user_id]=1`,
/// `filter[target_type]=role`, and a period: `filter[at][gte]=2026-11-01`,
/// `filter[at][lt]=2026-12-01T00:00:00Z`).
pub const FILTERS: &[&str] = &["action", "actor_user_id", "target_type", "at[gte]", "at[lt]"];

/// Lists audit rows newest first (id descending; the cursor continues below the last id) as
/// `{id, at, actor_user_id, action, target_type, target_id, ip, details}`.
pub fn list(db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    caller.require(Entity::Settings, Action::Read)?;
    let mut filter = Where::default();
    if let Some(cursor) = query.cursor {
        filter.and("id < ?", [cursor.into()]);
    }
    if let Some(action) = query.filter("action") {
        filter.and("action = ?", [action.into()]);
    }
    if let Some(actor) = query.filter_i64("actor_user_id")? {
        filter.and("actor_user_id = ?", [actor.into()]);
    }
    if let Some(target_type) = query.filter("target_type") {
        filter.and("target_type = ?", [target_type.into()]);
    }
    for (name, key, op) in [("at[gte]", "filter[at][gte]", ">="), ("at[lt]", "filter[at][lt]", "<")] {
        if let Some(text) = query.filter(name) {
            let at =
                values::parse_datetime(text).map_err(|e| CoreError::BadRequest(format!("{key}: {}", e.message)))?;
            filter.and(format!("at {op} ?"), [at.into()]);
        }
    }
    let mut params = filter.params.clone();
    params.push((query.limit + 1).into());
    let rows = db.query(
        &format!(
            "SELECT id, at, actor_user_id, action, target_type, target_id, ip, details FROM audit_log{} \
             ORDER BY id DESC LIMIT ?",
            filter.sql()
        ),
        &params,
    )?;
    let fetched = rows
        .iter()
        .map(|row| {
            let details = row
                .str("details")
                .and_then(|d| serde_json::from_str::<Json>(d).ok())
                .unwrap_or(Json::Null);
            let id = row.i64("id").unwrap_or_default();
            let item = json!({
                "id": id,
                "at": time(row.i64("at")),
                "actor_user_id": opt_i64(row.i64("actor_user_id")),
                "action": row.str("action"),
                "target_type": row.str("target_type"),
                "target_id": opt_i64(row.i64("target_id")),
                "ip": row.str("ip"),
                "details": details,
            });
            (id, item)
        })
        .collect();
    Ok(Page::from_fetched(fetched, query.limit))
}
