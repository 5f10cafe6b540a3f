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
    for key in match_by {
        match key.as_str() {
            "emails" | "phones" => {
                let kind = if key == "emails" { "email" } else { "phone" };
                let wanted: Vec<String> = body
                    .get(key.as_str())
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item["value"].as_str())
                    .filter_map(|v| {
                        if kind == "email" {
                            Email::parse(v).ok().map(|e| e.normalized)
                        } else {
                            Phone::parse(v, &def.parse.default_country).ok().map(|p| p.e164)
                        }
                    })
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let marks = vec!["?"; wanted.len()].join(", ");
                let mut params: Vec<Value> = vec![def.name.into(), kind.into()];
                params.extend(wanted.into_iter().map(Value::from));
                params.push(CANDIDATES.into());
                let rows = db.query(
                    &format!(
                        "SELECT DISTINCT record_id FROM record_channels WHERE entity = ? AND kind = ? AND value IN ({marks}) \
                         ORDER BY record_id LIMIT ?"
                    ),
                    &params,
                )?;
                ids.extend(rows.iter().filter_map(|r| r.i64("record_id")));
            }
            field => {
                let Some(def_field) = def.field(field) else { continue };
                let given = if def_field.is_custom() {
                    body.get("custom").and_then(|c| c.get(field))
                } else {
                    body.get(field)
                };
                let Some(given) = given else { continue };
                let Ok(stored) = def_field.parse(given, &def.parse, &mut Vec::new()) else {
                    continue;
                };
                if stored.is_null() {
                    continue;
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
                ids.extend(rows.iter().filter_map(|r| r.i64("id")));
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let Some(values) = store::load(db, def, id)? else { continue };
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
