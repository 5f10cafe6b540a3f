//! What a write works on: the [`Input`] a body parsed into, the [`Draft`] (the stored record
//! with the input over it, or the defaults with the input over them on create), the [`Key`]
//! that addresses a record, and [`Cx`], what a resource's hooks see and may add to.

use serde_json::{Map, Value as Json};

use super::Patch;
use crate::acl::Caller;
use crate::db::{Db, Value};
use crate::error::FieldErrors;

/// A body, parsed: each writable field's patch, in declaration order, and the keys given.
#[derive(Debug, Clone, Default)]
pub struct Input {
    patches: Vec<(&'static str, Patch<Json>)>,
    given: Vec<String>,
}

impl Input {
    pub(crate) fn new(patches: Vec<(&'static str, Patch<Json>)>, given: Vec<String>) -> Input {
        Input { patches, given }
    }

    /// The patch of field `name` (`Absent` if the body did not give it).
    pub fn patch(&self, name: &str) -> &Patch<Json> {
        const ABSENT: &Patch<Json> = &Patch::Absent;
        self.patches
            .iter()
            .find(|(field, _)| *field == name)
            .map_or(ABSENT, |(_, patch)| patch)
    }

    /// Replaces the patch of field `name` (a normalised or derived value).
    pub fn set(&mut self, name: &'static str, patch: Patch<Json>) {
        match self.patches.iter_mut().find(|(field, _)| *field == name) {
            Some((_, old)) => *old = patch,
            None => self.patches.push((name, patch)),
        }
    }

    /// The keys the body gave, in its order.
    pub fn given(&self) -> &[String] {
        &self.given
    }
}

/// A record being written: the stored record (on update) or the defaults (on create), with
/// the input over it.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub(crate) input: Input,
    current: Option<Json>,
    defaults: Map<String, Json>,
    pub(crate) body: &'a Json,
}

impl<'a> Draft<'a> {
    pub(crate) fn new(input: Input, current: Option<Json>, defaults: Map<String, Json>, body: &'a Json) -> Draft<'a> {
        Draft {
            input,
            current,
            defaults,
            body,
        }
    }

    /// The value field `name` will have: the body's (`null` when cleared), else the stored or
    /// default one.
    pub fn get(&self, name: &str) -> Option<&Json> {
        const NULL: &Json = &Json::Null;
        match self.input.patch(name) {
            Patch::Set(value) => Some(value),
            Patch::Null => Some(NULL),
            Patch::Absent | Patch::Invalid => self
                .current
                .as_ref()
                .and_then(|c| c.get(name))
                .or_else(|| self.defaults.get(name)),
        }
    }

    /// The patch the body gave field `name`.
    pub fn patch(&self, name: &str) -> &Patch<Json> {
        self.input.patch(name)
    }

    /// Sets field `name` to `value` (written as if the body had given it).
    pub fn set(&mut self, name: &'static str, value: Json) {
        self.input.set(name, Patch::Set(value));
    }

    /// The stored record (`None` on create).
    pub fn current(&self) -> Option<&Json> {
        self.current.as_ref()
    }

    /// The body as sent.
    pub fn body(&self) -> &Json {
        self.body
    }

    /// Every value as it will be: the stored record or the defaults, with the given keys over
    /// them (for checks of a definition as a whole).
    pub fn merged(&self) -> Map<String, Json> {
        let mut out = match &self.current {
            Some(Json::Object(current)) => current.clone(),
            _ => self.defaults.clone(),
        };
        for (name, patch) in &self.input.patches {
            match patch {
                Patch::Set(value) => {
                    out.insert((*name).to_string(), value.clone());
                }
                Patch::Null => {
                    out.insert((*name).to_string(), Json::Null);
                }
                Patch::Absent | Patch::Invalid => {}
            }
        }
        out
    }
}

/// The columns and values that address one record: `id`, or a text key such as a dictionary
/// entry's `kind` and `code`.
#[derive(Debug, Clone, PartialEq)]
pub struct Key(pub Vec<(&'static str, Value)>);

impl Key {
    /// The record with this `id`.
    pub fn id(id: i64) -> Key {
        Key(vec![("id", id.into())])
    }

    /// The integer id, for records keyed by one.
    pub fn as_id(&self) -> Option<i64> {
        match self.0.as_slice() {
            [("id", Value::Integer(id))] => Some(*id),
            _ => None,
        }
    }

    /// `a = ? AND b = ?`.
    pub(crate) fn sql(&self) -> String {
        self.0
            .iter()
            .map(|(column, _)| format!("{column} = ?"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The values, in order.
    pub fn params(&self) -> Vec<Value> {
        self.0.iter().map(|(_, value)| value.clone()).collect()
    }

    /// The key as JSON `{column: value}` (for audit details).
    pub(crate) fn to_json(&self) -> Map<String, Json> {
        self.0
            .iter()
            .map(|(column, value)| {
                let json = match value {
                    Value::Integer(i) => Json::from(*i),
                    Value::Text(t) => Json::from(t.as_str()),
                    _ => Json::Null,
                };
                ((*column).to_string(), json)
            })
            .collect()
    }
}

/// What a resource's `before` and `after` hooks see and may add to.
pub struct Cx<'a> {
    /// The database, inside the write's transaction.
    pub db: &'a dyn Db,
    /// Who writes.
    pub caller: &'a Caller,
    /// The record (on create: `None` until it is inserted).
    pub key: Option<Key>,
    /// What is written; hooks may normalise values or derive others.
    pub draft: Draft<'a>,
    /// 422 problems found so far (`before` hooks add theirs).
    pub errors: FieldErrors,
    /// Audit details beyond the declared ones.
    pub details: Map<String, Json>,
    /// The verb of the audit action (`created`, `updated`, ...): hooks may name another
    /// (a user set inactive is `deactivated`).
    pub verb: &'static str,
    /// The fields that changed (on update, for `after` hooks).
    pub changed: Vec<String>,
}

impl Cx<'_> {
    /// The record's integer id (0 before a create's insert; resources keyed by text have none).
    pub fn id(&self) -> i64 {
        self.key.as_ref().and_then(Key::as_id).unwrap_or_default()
    }

    /// Whether this is a create.
    pub fn creating(&self) -> bool {
        self.draft.current().is_none()
    }
}
