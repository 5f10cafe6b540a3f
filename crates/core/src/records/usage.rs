//! Where a dictionary code or a currency is still used by records, so deleting it can be
//! refused (409) instead of leaving records with a value no list or form can show.

use super::EntityDef;
use super::fields::{FieldKind, Options, Storage};
use crate::db::Db;
use crate::error::CoreError;

/// What is being looked for.
#[derive(Debug, Clone, Copy)]
pub enum Used<'a> {
    /// A code of this stored dictionary kind (`lead_status`, `source`...).
    Dictionary(&'a str),
    /// A currency code.
    Currency,
}

/// The first `entity.field` whose records hold `code`, if any.
pub fn first_use(db: &dyn Db, used: Used, code: &str) -> Result<Option<String>, CoreError> {
    for entity in super::entity::NAMES {
        let def = EntityDef::load(db, entity)?;
        for field in &def.fields {
            let matches = match (&field.kind, used) {
                (FieldKind::Enumeration(Options::Dictionary(kind)), Used::Dictionary(wanted)) => kind == wanted,
                (FieldKind::Currency, Used::Currency) => true,
                (FieldKind::Money(_), Used::Currency) => true,
                _ => false,
            };
            if !matches || matches!(field.storage, Storage::Link(_)) {
                continue;
            }
            let expression = match field.kind {
                FieldKind::Money(_) => format!("json_extract(t.custom, '$.{}.currency')", field.name),
                _ => field.sql_expression(),
            };
            let condition = if field.multiple {
                format!("EXISTS (SELECT 1 FROM json_each({expression}) j WHERE j.value = ?)")
            } else {
                format!("{expression} = ?")
            };
            let found = db.query(
                &format!("SELECT 1 FROM {} t WHERE {condition} LIMIT 1", def.table),
                &[code.into()],
            )?;
            if !found.is_empty() {
                return Ok(Some(format!("{entity}.{}", field.path())));
            }
        }
    }
    Ok(None)
}
