//! The small checks and conversions every settings resource needs: whether a referenced row
//! exists, whether a tree stays a tree, and how integer and time columns become JSON.
//! Table names here are fixed by the calling code, never taken from input.

use serde_json::Value as Json;

use super::Patch;
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};

/// Whether a row with this id exists in `table` (a fixed table name, never input).
pub(crate) fn exists(db: &dyn Db, table: &'static str, id: i64) -> Result<bool, CoreError> {
    Ok(!db
        .query(&format!("SELECT 1 FROM {table} WHERE id = ?"), &[id.into()])?
        .is_empty())
}

/// Checks a tree node's new parent in `table` (a fixed table name with `id` and `parent_id`):
/// it must exist (`not_found`) and, when moving node `id`, not be the node or below it
/// (`cycle`). Problems go to `errors` under `field`; `noun` names the node kind.
pub(crate) fn check_parent(
    db: &dyn Db,
    table: &'static str,
    field: &str,
    parent: &Patch<i64>,
    id: Option<i64>,
    noun: &str,
    errors: &mut FieldErrors,
) -> Result<(), CoreError> {
    let Patch::Set(parent) = *parent else { return Ok(()) };
    if !exists(db, table, parent)? {
        errors.push(field, "not_found", format!("no {noun} with id {parent}"));
        return Ok(());
    }
    let Some(id) = id else { return Ok(()) };
    let below = db.query(
        &format!(
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT t.id FROM {table} t JOIN sub ON t.parent_id = sub.id) \
             SELECT 1 FROM sub WHERE id = ?"
        ),
        &[id.into(), parent.into()],
    )?;
    if !below.is_empty() {
        errors.push(
            field,
            "cycle",
            format!("a {noun} cannot be placed under itself or below itself"),
        );
    }
    Ok(())
}

/// Reports each of `ids` missing from `table` as `<field>[i]`/`not_found`.
pub(crate) fn check_ids_exist(
    db: &dyn Db,
    table: &'static str,
    field: &str,
    ids: &[i64],
    errors: &mut FieldErrors,
) -> Result<(), CoreError> {
    for (i, id) in ids.iter().enumerate() {
        if !exists(db, table, *id)? {
            errors.push(format!("{field}[{i}]"), "not_found", format!("no record with id {id}"));
        }
    }
    Ok(())
}

/// An optional integer column as JSON.
pub(crate) fn opt_i64(value: Option<i64>) -> Json {
    value.map_or(Json::Null, Json::from)
}

/// A unix-seconds column as RFC 3339 JSON (`null` if missing).
pub(crate) fn time(value: Option<i64>) -> Json {
    value.map_or(Json::Null, |t| Json::from(crate::clock::rfc3339(t)))
}

/// `?, ?, ?` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Whether `code` has `len` bytes, the first one `first` accepts and the others `rest` (codes
/// are ASCII by their patterns).
pub fn is_code(
    code: &str,
    len: std::ops::RangeInclusive<usize>,
    first: fn(&u8) -> bool,
    rest: fn(&u8) -> bool,
) -> bool {
    let bytes = code.as_bytes();
    len.contains(&bytes.len()) && bytes.first().is_some_and(first) && bytes[1..].iter().all(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_by_length_first_byte_and_the_rest() {
        let lower = |code| is_code(code, 2..=4, u8::is_ascii_lowercase, u8::is_ascii_alphanumeric);
        for good in ["ab", "a1b2", "zz"] {
            assert!(lower(good), "{good}");
        }
        for bad in ["", "a", "abcde", "1a", "Ab", "a-b", "аб"] {
            assert!(!lower(bad), "{bad}");
        }
    }
}
