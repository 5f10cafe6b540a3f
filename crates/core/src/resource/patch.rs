//! Reading a JSON merge-patch body (RFC 7396) field by field: [`Patch`] says what one key
//! does to its field (leave, clear, set, or invalid and already reported) and [`Body`] reads
//! typed keys, collecting every problem as a 422 field error naming the key, so a client sees
//! all of its mistakes at once. Unknown keys are errors, never ignored.

use serde_json::{Map, Value as Json};

use crate::error::{CoreError, FieldErrors};

/// One key of a merge-patch body.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    /// The key is not there: leave the field alone.
    Absent,
    /// The key is `null`: clear the field.
    Null,
    /// A new value.
    Set(T),
    /// The value was invalid (already reported).
    Invalid,
}

impl<T> Patch<T> {
    /// The same patch with the new value converted by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(v) => Patch::Set(f(v)),
            Patch::Invalid => Patch::Invalid,
        }
    }

    /// Whether the key was given (set or cleared).
    pub fn given(&self) -> bool {
        matches!(self, Patch::Set(_) | Patch::Null)
    }
}

/// Reads a JSON object body field by field, collecting every error.
pub struct Body<'a> {
    map: &'a Map<String, Json>,
    /// Every invalid field found so far.
    pub errors: FieldErrors,
}

impl<'a> Body<'a> {
    /// Starts reading `body`, reporting keys outside `allowed` as `unknown_field`.
    pub fn new(body: &'a Json, allowed: &[&str]) -> Result<Body<'a>, CoreError> {
        let Some(map) = body.as_object() else {
            return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
        };
        let mut errors = FieldErrors::new();
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                errors.push(key.clone(), "unknown_field", "not a writable field");
            }
        }
        Ok(Body { map, errors })
    }

    fn typed<T>(&mut self, key: &str, expected: &str, read: impl FnOnce(&Json) -> Option<T>) -> Patch<T> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Json::Null) => Patch::Null,
            Some(value) => match read(value) {
                Some(v) => Patch::Set(v),
                None => {
                    self.errors.push(key, "invalid_type", format!("expected {expected}"));
                    Patch::Invalid
                }
            },
        }
    }

    /// An integer (or `null` to clear).
    pub fn int(&mut self, key: &str) -> Patch<i64> {
        self.typed(key, "an integer", Json::as_i64)
    }

    /// A trimmed text of at most `max` characters. With `required`, `null` and an empty text
    /// are `required` errors; otherwise they clear the field (`Patch::Null`).
    pub fn text(&mut self, key: &str, max: usize, required: bool) -> Patch<String> {
        let text = match self.typed(key, "a string", |v| v.as_str().map(|s| s.trim().to_owned())) {
            Patch::Set(s) if s.is_empty() => Patch::Null,
            other => other,
        };
        match text {
            Patch::Null if required => {
                self.errors.push(key, "required", "may not be empty");
                Patch::Invalid
            }
            Patch::Set(s) if s.chars().count() > max => {
                self.errors.push(key, "too_long", format!("at most {max} characters"));
                Patch::Invalid
            }
            other => other,
        }
    }

    /// A list of integer ids, sorted and without repeats (`null` is the empty list).
    pub fn ids(&mut self, key: &str) -> Option<Vec<i64>> {
        let read = |v: &Json| -> Option<Vec<i64>> { v.as_array()?.iter().map(Json::as_i64).collect() };
        match self.typed(key, "a list of integer ids", read) {
            Patch::Set(mut ids) => {
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
            Patch::Null => Some(Vec::new()),
            _ => None,
        }
    }

    /// The raw value of `key`, if given (for readers of a resource's own).
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        self.map.get(key)
    }

    /// Any JSON value; `null` clears.
    pub fn any(&mut self, key: &str) -> Patch<Json> {
        self.typed(key, "a value", |v| Some(v.clone()))
    }

    /// A boolean that may not be cleared (`null` is `invalid_type`).
    pub fn flag(&mut self, key: &str) -> Patch<bool> {
        self.not_null(key, "true or false", Json::as_bool)
    }

    /// An integer that may not be cleared (`null` is `invalid_type`).
    pub fn int_not_null(&mut self, key: &str) -> Patch<i64> {
        self.not_null(key, "an integer", Json::as_i64)
    }

    fn not_null<T>(&mut self, key: &str, expected: &str, read: impl FnOnce(&Json) -> Option<T>) -> Patch<T> {
        match self.typed(key, expected, read) {
            Patch::Null => {
                self.errors.push(key, "invalid_type", format!("expected {expected}"));
                Patch::Invalid
            }
            other => other,
        }
    }

    /// A raw string, not trimmed, that may not be cleared (`null` is `required`).
    pub fn raw(&mut self, key: &str) -> Patch<String> {
        match self.typed(key, "a string", |v| v.as_str().map(str::to_owned)) {
            Patch::Null => {
                self.errors.push(key, "required", "may not be empty");
                Patch::Invalid
            }
            other => other,
        }
    }

    /// Reports `key` as missing if `value` is absent (for create).
    pub fn require<T>(&mut self, key: &str, value: &Patch<T>) {
        if matches!(value, Patch::Absent) {
            self.errors.push(key, "required", "is required");
        }
    }
}
