//! A create or merge-patch body, read against the entity's definition: only known writable
//! fields (custom ones under `"custom"`), each parsed by its type, every problem reported at
//! once with its path; then the references only the database can confirm (dictionary codes,
//! currencies, users, records), checked inside the write's transaction. A record reference
//! must name a record the caller may READ: one they may not see is refused exactly like one
//! that does not exist, so a write can neither probe ids nor put entries into timelines the
//! caller cannot read.

use serde_json::Value as Json;

use super::fields::{Access, FieldDef, ParseContext, Reference};
use super::store::META;
use super::{EntityDef, Values, access};
use crate::acl::Caller;
use crate::db::{Db, Value};
use crate::error::{CoreError, FieldErrors};

/// The parsed body: the given fields in stored form (`NULL` clears) and what to check.
#[derive(Debug, Default)]
pub struct Input {
    /// Field name -> stored value, for the fields the body names.
    pub values: super::Values,
    /// (field path, reference) pairs.
    pub refs: Vec<(String, Reference)>,
}

/// Reads `body`. On create (`creating`), required fields without a default must be given.
pub fn parse(def: &EntityDef, body: &Json, cx: &ParseContext, creating: bool) -> Result<Input, CoreError> {
    let Some(map) = body.as_object() else {
        return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
    };
    let mut input = Input::default();
    let mut errors = FieldErrors::new();
    for (key, value) in map {
        if key == "custom" {
            let Some(custom) = value.as_object() else {
                errors.push("custom", "invalid_type", "expected an object of custom field values");
                continue;
            };
            for (code, value) in custom {
                match def.field(code).filter(|f| f.is_custom()) {
                    Some(field) => read_field(field, value, cx, &mut input, &mut errors),
                    None => errors.push(format!("custom.{code}"), "unknown_field", "no such custom field"),
                }
            }
            continue;
        }
        match def.field(key).filter(|f| !f.is_custom()) {
            Some(field) if field.access == Access::ReadOnly => {
                errors.push(key.clone(), "read_only", "is set by the system")
            }
            Some(field) if field.access == Access::CreateOnly && !creating => {
                errors.push(key.clone(), "read_only", "is set when the record is created")
            }
            Some(field) => read_field(field, value, cx, &mut input, &mut errors),
            None if META.contains(&key.as_str()) || key == "company_id" => {
                errors.push(key.clone(), "read_only", "is set by the system")
            }
            None => errors.push(key.clone(), "unknown_field", "not a field of this record"),
        }
    }
    if creating {
        for field in &def.fields {
            if input.values.contains_key(&field.name) {
                continue;
            }
            if field.access == Access::ReadOnly {
                continue;
            }
            if let Some(default) = &field.default {
                read_field(field, default, cx, &mut input, &mut errors);
            } else if field.required {
                errors.push(field.path(), "required", "is required");
            }
        }
    }
    errors.into_result()?;
    Ok(input)
}

fn read_field(field: &FieldDef, value: &Json, cx: &ParseContext, input: &mut Input, errors: &mut FieldErrors) {
    let path = field.path();
    if value.is_null()
        && let Some(default) = field.default.as_ref().filter(|d| !d.is_null())
    {
        // Clearing a field that has a default (a flag such as `opened`) restores the default.
        return read_field(field, default, cx, input, errors);
    }
    if value.is_null() {
        if field.required {
            errors.push(path, "required", "may not be cleared");
        } else {
            input.values.insert(field.name.clone(), Value::Null);
        }
        return;
    }
    let mut refs = Vec::new();
    match field.parse(value, cx, &mut refs) {
        Ok(Value::Null) if field.required => errors.push(path, "required", "may not be empty"),
        Ok(stored) => {
            input.values.insert(field.name.clone(), stored);
            input.refs.extend(refs.into_iter().map(|r| (path.clone(), r)));
        }
        Err(problems) => {
            for p in problems {
                errors.push(format!("{path}{}", p.path), p.code, p.message);
            }
        }
    }
}

/// Confirms the references in the database: every problem is a 422 naming its field. A record
/// the caller may not read is `not_found`, worded exactly as a missing one.
pub fn check_references(db: &dyn Db, caller: &Caller, refs: &[(String, Reference)]) -> Result<(), CoreError> {
    reference_query(caller, refs)?.run(db)
}

/// A condition that holds when every reference of `refs` does (`None` when there is nothing to
/// check), for a write to carry (`INSERT ... SELECT ... WHERE`) so that checking costs no
/// statement of its own; when the write then does nothing, [`check_references`] says why.
pub fn reference_guard(
    caller: &Caller,
    refs: &[(String, Reference)],
) -> Result<Option<(String, Vec<Value>)>, CoreError> {
    let query = reference_query(caller, refs)?;
    if query.checks.is_empty() {
        return Ok(None);
    }
    let conditions: Vec<String> = query
        .expressions
        .iter()
        .zip(&query.checks)
        .map(|(expression, (_, check))| match check {
            Check::Codes => format!("{expression} = '[]'"),
            _ => expression.clone(),
        })
        .collect();
    Ok(Some((conditions.join(" AND "), query.params)))
}

/// Every reference as one column of ONE query (a request pays per statement where the
/// database is remote); each check remembers how to report its column.
fn reference_query<'r>(caller: &Caller, refs: &'r [(String, Reference)]) -> Result<ReferenceQuery<'r>, CoreError> {
    let mut query = ReferenceQuery::default();
    for (path, reference) in refs {
        match reference {
            Reference::Dictionary(kind, codes) => {
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let expression = crate::records::dictionaries::missing_codes_expression(kind, &codes)?;
                query.add(path, Check::Codes, expression);
            }
            Reference::Currency(code) => query.add(
                path,
                Check::Currency(code),
                (
                    "EXISTS (SELECT 1 FROM currencies WHERE code = ?)".into(),
                    vec![code.as_str().into()],
                ),
            ),
            Reference::User(id) => query.add(
                path,
                Check::User(*id),
                (
                    "EXISTS (SELECT 1 FROM users WHERE id = ? AND active = 1)".into(),
                    vec![(*id).into()],
                ),
            ),
            Reference::Records(entity, ids) => {
                let Some(def) = EntityDef::builtin(entity) else {
                    continue;
                };
                for id in ids {
                    // A record of an entity the caller may not read at all is refused alike.
                    let expression = access::readable_expression(caller, &def, *id).unwrap_or(("0".into(), Vec::new()));
                    query.add(path, Check::Record(entity, *id), expression);
                }
            }
        }
    }
    Ok(query)
}

/// What one column of a [`ReferenceQuery`] answers.
enum Check<'r> {
    /// The JSON array of the codes that are not dictionary entries.
    Codes,
    /// 1 when the currency exists.
    Currency(&'r str),
    /// 1 when the user exists and is active.
    User(i64),
    /// 1 when the caller may read the record.
    Record(&'static str, i64),
}

/// Reference checks gathered into one `SELECT`, a column each.
#[derive(Default)]
struct ReferenceQuery<'r> {
    expressions: Vec<String>,
    params: Vec<Value>,
    checks: Vec<(&'r str, Check<'r>)>,
}

impl<'r> ReferenceQuery<'r> {
    fn add(&mut self, path: &'r str, check: Check<'r>, (expression, params): (String, Vec<Value>)) {
        self.expressions.push(expression);
        self.params.extend(params);
        self.checks.push((path, check));
    }

    /// Runs the query (none when there is nothing to check): every failed check is a field error.
    fn run(self, db: &dyn Db) -> Result<(), CoreError> {
        if self.checks.is_empty() {
            return Ok(());
        }
        let columns: Vec<String> = self
            .expressions
            .iter()
            .enumerate()
            .map(|(index, expression)| format!("{expression} AS c{index}"))
            .collect();
        let rows = db.query(&format!("SELECT {}", columns.join(", ")), &self.params)?;
        let row = rows
            .first()
            .ok_or_else(|| CoreError::Internal("a reference check returned no row".into()))?;
        let mut errors = FieldErrors::new();
        for (index, (path, check)) in self.checks.iter().enumerate() {
            let column = format!("c{index}");
            let holds = row.i64(&column) == Some(1);
            match check {
                Check::Codes => {
                    let missing: Vec<String> = serde_json::from_str(row.str(&column).unwrap_or("[]"))
                        .map_err(|e| CoreError::Internal(format!("missing codes do not read: {e}")))?;
                    for code in missing {
                        errors.push(*path, "invalid_choice", format!("{code:?} is not a known code"));
                    }
                }
                Check::Currency(code) if !holds => {
                    errors.push(*path, "invalid_currency", format!("{code} is not a known currency"));
                }
                Check::User(id) if !holds => errors.push(*path, "not_found", format!("no active user with id {id}")),
                Check::Record(entity, id) if !holds => {
                    errors.push(*path, "not_found", format!("no {entity} with id {id}"));
                }
                _ => {}
            }
        }
        errors.into_result()
    }
}

/// The references of `refs` that `before` (the stored record) does not already hold: an update
/// re-sending a link someone else made (to a record the caller may not see) keeps it, while
/// every reference the write adds is checked.
pub fn added_references(def: &EntityDef, before: &Values, refs: &[(String, Reference)]) -> Vec<(String, Reference)> {
    refs.iter()
        .filter_map(|(path, reference)| {
            let Reference::Records(entity, ids) = reference else {
                return Some((path.clone(), reference.clone()));
            };
            let stored = def
                .fields
                .iter()
                .find(|f| &f.path() == path)
                .and_then(|f| before.get(&f.name));
            let ids: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|id| !stored.is_some_and(|v| holds_reference(v, entity, *id)))
                .collect();
            (!ids.is_empty()).then(|| (path.clone(), Reference::Records(entity, ids)))
        })
        .collect()
}

/// Whether a stored value (an id, a JSON list of ids, or bindings `[{"entity", "id"}]`) holds
/// record `id` of `entity`.
fn holds_reference(stored: &Value, entity: &str, id: i64) -> bool {
    match stored {
        Value::Integer(v) => *v == id,
        Value::Text(text) => serde_json::from_str::<Vec<Json>>(text).is_ok_and(|items| {
            items.iter().any(|item| match item {
                Json::Number(n) => n.as_i64() == Some(id),
                Json::Object(map) => {
                    map.get("id").and_then(Json::as_i64) == Some(id)
                        && map.get("entity").and_then(Json::as_str).is_none_or(|e| e == entity)
                }
                _ => false,
            })
        }),
        _ => false,
    }
}
