//! The firm's configuration a signed-in request works with: the parse settings (the default
//! phone country) and every custom field, read by the same statement that loads the caller
//! ([`crate::acl::Caller`] carries it), so that a record request pays no statement for its
//! entity's definition (a request pays per statement where the database is remote).
//!
//! It is a snapshot taken when the request began: work that changes custom fields or the
//! settings reads definitions with [`EntityDef::load`] instead.

use super::custom;
use super::entity::EntityDef;
use super::fields::ParseContext;
use crate::db::{Row, Rows, Value};
use crate::error::CoreError;

/// The columns that read a [`Workspace`], for the caller's query to carry.
macro_rules! workspace_columns {
    () => {
        concat!(
            "(SELECT value FROM app_settings WHERE key = 'default_country') AS default_country, \
             (SELECT json_group_array(json_array(",
            $crate::records::custom::definition_columns!(),
            ")) FROM (SELECT * FROM custom_fields ORDER BY entity, sort, id)) AS custom_fields"
        )
    };
}
pub(crate) use workspace_columns;

/// A public endpoint's first and only read before it works (a web form's `/f/<key>`, a store's
/// `/hooks/orders/<key>`): the row of `table` (a name from code, never input) whose
/// `public_key` is `key`, the schema check and the firm's workspace, in one statement (a request
/// pays per statement where the database is remote). `None` when no row has the key; a
/// database not on this build's schema is [`CoreError::Unavailable`]: migrate, then ask again.
pub fn by_public_key(
    db: &dyn crate::db::Db,
    table: &'static str,
    key: &str,
) -> Result<Option<(Rows, Workspace)>, CoreError> {
    if key.is_empty() || key.len() > 64 {
        return Ok(None);
    }
    let rows = db.query(
        &format!(
            "SELECT {}, {}, t.* FROM (SELECT 1) LEFT JOIN {table} t ON t.public_key = ?",
            crate::migrate::state_columns!(),
            workspace_columns!(),
        ),
        &[key.into()],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| CoreError::Internal(format!("the {table} query returned no row")))?;
    if !crate::migrate::accept_state(db, &row) {
        return Err(CoreError::Unavailable(crate::acl::SCHEMA_OUTDATED.into()));
    }
    if row.i64("id").is_none() {
        return Ok(None);
    }
    let workspace = Workspace::from_row(&row)?;
    Ok(Some((rows, workspace)))
}

/// The parse settings and the custom fields of every entity, as one request found them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspace {
    /// What parsing values needs (the default phone country).
    pub parse: ParseContext,
    /// The custom fields, as rows of [`custom::definition_columns`], by entity and order.
    custom_fields: Rows,
}

impl Workspace {
    /// The workspace of a row carrying [`workspace_columns`].
    pub(crate) fn from_row(row: &Row<'_>) -> Result<Workspace, CoreError> {
        let parse = match row.str("default_country") {
            Some(country) => ParseContext {
                default_country: country.to_string(),
            },
            None => ParseContext::default(),
        };
        let stored: Vec<Vec<serde_json::Value>> = serde_json::from_str(row.str("custom_fields").unwrap_or("[]"))
            .map_err(|e| CoreError::Internal(format!("the custom fields do not read: {e}")))?;
        let rows = stored
            .into_iter()
            .map(|values| values.into_iter().map(cell).collect())
            .collect();
        Ok(Workspace {
            parse,
            custom_fields: Rows {
                columns: custom::definition_column_names(),
                rows,
            },
        })
    }

    /// The definition of entity `name` with its custom fields, as [`EntityDef::load`] would
    /// read it now.
    pub fn entity(&self, name: &str) -> Result<EntityDef, CoreError> {
        let mut def = EntityDef::builtin(name).ok_or(CoreError::NotFound)?;
        def.fields.extend(
            self.custom_fields
                .iter()
                .filter(|row| row.str("entity") == Some(name))
                .filter_map(|row| custom::field_def(&row)),
        );
        def.parse = self.parse.clone();
        Ok(def)
    }
}

/// A JSON scalar as the database value it was.
fn cell(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => Value::Text(s),
        other => Value::Text(other.to_string()),
    }
}
