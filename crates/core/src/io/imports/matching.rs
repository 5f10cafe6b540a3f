//! Duplicate matching for import rows: by the normalised e-mails and phones the engine keeps
//! in `record_channels` (`records::index`), or by one chosen field's stored value; the first
//! match (lowest id) the caller can read wins.
//!
//! A step reads the channels of all its rows in a few statements ([`Channels::load`]) instead
//! of one per row, and adds each record it writes to them ([`Channels::add`]), so rows of the
//! same file match each other too (an earlier row's record, created in the same transaction,
//! is found by the later row). The keys are normalised as the engine normalises them
//! (`Email::normalized`, `Phone::e164`).

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::records::values::{Email, Phone};
use crate::records::{EntityDef, Values, access, store};

/// Candidates a chosen field's match looks at, at most.
const CANDIDATES: i64 = 50;

/// Channel terms per look-up statement (three parameters each).
const TERMS_PER_STATEMENT: usize = 300;

/// A normalised channel: `("email", "a@b.c")`, `("phone", "+79161234567")`.
pub type Key = (&'static str, String);

/// The channels a row's body names, among those `match_by` asks for.
pub fn keys(def: &EntityDef, match_by: &[String], body: &Map<String, Json>) -> Vec<Key> {
    let mut out = Vec::new();
    for key in match_by {
        let kind = match key.as_str() {
            "emails" => "email",
            "phones" => "phone",
            _ => continue,
        };
        let items = body.get(key.as_str()).and_then(Json::as_array).into_iter().flatten();
        for value in items.filter_map(|item| item["value"].as_str()) {
            let normalized = if kind == "email" {
                Email::parse(value).ok().map(|e| e.normalized)
            } else {
                Phone::parse(value, &def.parse.default_country).ok().map(|p| p.e164)
            };
            if let Some(normalized) = normalized
                && !out.iter().any(|(k, v): &Key| *k == kind && *v == normalized)
            {
                out.push((kind, normalized));
            }
        }
    }
    out
}

/// The records (ids, ascending) holding each channel of a step's rows.
#[derive(Debug, Default)]
pub struct Channels {
    known: HashMap<Key, Vec<i64>>,
}

impl Channels {
    /// Reads the records of `def`'s entity holding any of `wanted`.
    pub fn load(db: &dyn Db, def: &EntityDef, wanted: &[Key]) -> Result<Channels, CoreError> {
        let mut known: HashMap<Key, Vec<i64>> = HashMap::new();
        let mut unique: Vec<&Key> = wanted.iter().collect();
        unique.sort_unstable();
        unique.dedup();
        for chunk in unique.chunks(TERMS_PER_STATEMENT) {
            // The entity inside each term, so every term is one search of
            // `record_channels_value` (with `entity = ?` outside, SQLite may walk the primary
            // key's whole entity range instead).
            let terms = vec!["(kind = ? AND value = ? AND entity = ?)"; chunk.len()].join(" OR ");
            let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
            for (kind, value) in chunk {
                params.extend([(*kind).into(), value.as_str().into(), def.name.into()]);
            }
            let rows = db.query(
                &format!("SELECT kind, value, record_id FROM record_channels WHERE {terms}"),
                &params,
            )?;
            for row in rows.iter() {
                let kind = match row.str("kind") {
                    Some("email") => "email",
                    Some("phone") => "phone",
                    _ => continue,
                };
                let value = row.str("value").unwrap_or_default().to_string();
                known.entry((kind, value)).or_default().extend(row.i64("record_id"));
            }
        }
        for ids in known.values_mut() {
            ids.sort_unstable();
        }
        Ok(Channels { known })
    }

    /// Record `id` now holds `keys` (a row just created or updated it).
    pub fn add(&mut self, keys: &[Key], id: i64) {
        for key in keys {
            let ids = self.known.entry(key.clone()).or_default();
            if let Err(at) = ids.binary_search(&id) {
                ids.insert(at, id);
            }
        }
    }

    fn ids(&self, keys: &[Key]) -> Vec<i64> {
        let mut ids: Vec<i64> = keys
            .iter()
            .filter_map(|k| self.known.get(k))
            .flatten()
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// The first record the caller can read that the row matches (by its channel `keys`, or by
/// the chosen field of `match_by`), with its values.
pub fn find(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    match_by: &[String],
    body: &Map<String, Json>,
    channels: &Channels,
    keys: &[Key],
) -> Result<Option<(i64, Values)>, CoreError> {
    let mut ids = channels.ids(keys);
    for field in match_by.iter().filter(|k| !matches!(k.as_str(), "emails" | "phones")) {
        ids.extend(by_field(db, def, field, body)?);
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
