//! Duplicate matching for an import row: by the normalised e-mails and phones the engine keeps
//! in `record_channels` (`records::index`), or by one chosen field's stored value; the first
//! match (lowest id) the caller can read wins. Rows of the same file match each other too: a
//! step writes each row before it reads the next, in one transaction, so an earlier row's
//! record is already there to be found.

use serde_json::{Map, Value as Json};

use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::values::{Email, Phone};
use crate::records::{EntityDef, Values, access, store};

/// Candidates looked at per row, at most.
const CANDIDATES: i64 = 50;

/// The first record the caller can read that the row's body matches, with its values.
pub fn find(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    match_by: &[String],
    body: &Map<String, Json>,
) -> Result<Option<(i64, Values)>, CoreError> {
    let mut ids: Vec<i64> = Vec::new();
    let mut channels: Vec<Value> = Vec::new();
    for key in match_by {
        match key.as_str() {
            "emails" | "phones" => {
                let kind = if key == "emails" { "email" } else { "phone" };
                let items = body.get(key.as_str()).and_then(Json::as_array).into_iter().flatten();
                for value in items.filter_map(|item| item["value"].as_str()) {
                    let normalized = if kind == "email" {
                        Email::parse(value).ok().map(|e| e.normalized)
                    } else {
                        Phone::parse(value, &def.parse.default_country).ok().map(|p| p.e164)
                    };
                    if let Some(normalized) = normalized {
                        channels.extend([kind.into(), normalized.into()]);
                    }
                }
            }
            field => ids.extend(by_field(db, def, field, body)?),
        }
    }
    if !channels.is_empty() {
        // One statement for every e-mail and phone of the row (an index search each).
        // The entity inside each term, so every term is one search of `record_channels_value`
        // (with `entity = ?` outside, SQLite walks the primary key's entity range for the
        // order: a scan of every contact's channels).
        let pairs = vec!["(kind = ? AND value = ? AND entity = ?)"; channels.len() / 2].join(" OR ");
        let mut params = Vec::with_capacity(channels.len() / 2 * 3 + 1);
        for pair in channels.chunks(2) {
            params.extend(pair.iter().cloned());
            params.push(def.name.into());
        }
        params.push(CANDIDATES.into());
        let rows = db.query(
            &format!("SELECT DISTINCT record_id FROM record_channels WHERE {pairs} ORDER BY record_id LIMIT ?"),
            &params,
        )?;
        ids.extend(rows.iter().filter_map(|r| r.i64("record_id")));
    }
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let Some(values) = store::load(db, def, id)? else {
            continue;
        };
        let readable = if def.owned {
            caller.can_read(def.acl, &access::record_acl(def, &values))
        } else {
            caller.require(def.acl, Action::Read).is_ok()
        };
        if readable {
            return Ok(Some((id, values)));
        }
    }
    Ok(None)
}

/// The records whose `field` holds the row's value for it (stored form), lowest ids first.
fn by_field(db: &dyn Db, def: &EntityDef, field: &str, body: &Map<String, Json>) -> Result<Vec<i64>, CoreError> {
    let Some(def_field) = def.field(field) else {
        return Ok(Vec::new());
    };
    let given = if def_field.is_custom() {
        body.get("custom").and_then(|c| c.get(field))
    } else {
        body.get(field)
    };
    let Some(given) = given else { return Ok(Vec::new()) };
    let Ok(stored) = def_field.parse(given, &def.parse, &mut Vec::new()) else {
        return Ok(Vec::new());
    };
    if stored.is_null() {
        return Ok(Vec::new());
    }
    // The expression and table come from the definition only.
    let rows = db.query(
        &format!(
            "SELECT t.id FROM {} t WHERE {} = ? ORDER BY t.id LIMIT ?",
            def.table,
            def_field.sql_expression()
        ),
        &[stored, CANDIDATES.into()],
    )?;
    Ok(rows.iter().filter_map(|r| r.i64("id")).collect())
}
