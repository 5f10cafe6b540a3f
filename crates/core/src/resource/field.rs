//! Fields as data: what a settings resource's record holds, where each value is stored
//! ([`Store`]), how a request body's value is read ([`Rule`]) and what happens on create
//! (required, a default) and on update (writable, create-only, immutable).
//!
//! A [`Field`] is declared with `const` builders, so a resource is a table of them:
//!
//! ```text
//! Field::text("name", 200).required(),
//! Field::parent("parent_id", "product section"),
//! Field::int_not_null("sort").default(Default::Int(100)),
//! ```
//!
//! Values move as JSON: a body's value is read into a [`Patch`] of the API's JSON value, the
//! stored record renders to the same JSON, and a field turns a JSON value into its columns.
//! So "did it change" compares API values, and a resource's hooks see one shape throughout.

use serde_json::{Value as Json, json};

use super::{Body, Patch, Stamps, time};
use crate::db::{Db, Row, Value};
use crate::error::CoreError;

/// Where a field's value lives and how it renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// A text column.
    Text(&'static str),
    /// An integer column.
    Int(&'static str),
    /// A 0/1 column, rendered `true`/`false`.
    Bool(&'static str),
    /// A column of JSON text, rendered as the JSON it holds.
    Json(&'static str),
    /// Unix seconds, rendered RFC 3339.
    Time(&'static str),
    /// `{"en", "ru"}` in two text columns.
    Names(&'static str, &'static str),
    /// A text column written but never rendered (a password hash, a signing secret).
    Secret(&'static str),
    /// Not in the row: the resource's `outside` hook renders it and its `after` hook stores it.
    Outside,
    /// Only read from bodies: a hook folds it into other fields (a custom field's `options`,
    /// `dictionary`... into one JSON column).
    Virtual,
}

/// Reads a body's value for one field: `(body, key, creating)`.
pub type Reader = fn(&mut Body, &'static str, bool) -> Patch<Json>;

/// How a request body's value for a field is read.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Not writable through the API (an unknown field if given).
    ReadOnly,
    /// Trimmed text of at most this many characters; a required field refuses `null` and `""`
    /// (`required`), another one is cleared by them.
    Text(usize),
    /// A string as given, not trimmed (an e-mail before it is normalised, a password); `null`
    /// is `required`.
    Raw,
    /// A code as given that the function accepts; another is `invalid_code` with the message.
    Code(fn(&str) -> bool, &'static str),
    /// An integer; `null` clears.
    Int,
    /// An integer that may not be cleared.
    IntNotNull,
    /// `true` or `false`, never `null`.
    Bool,
    /// The id of a row of `table`; a missing one is `not_found` ("no `noun` with id N").
    Ref {
        /// The table referred to (fixed, never input).
        table: &'static str,
        /// What its rows are called in the error message.
        noun: &'static str,
    },
    /// The parent in a tree of the resource's own table: it exists (`not_found`) and is not
    /// the record itself or below it (`cycle`); `null` makes the record a root.
    Parent {
        /// What the nodes are called in error messages.
        noun: &'static str,
    },
    /// A list of ids of rows of this table, sorted and without repeats (`null` is the empty
    /// list); each missing one is `<field>[i]`/`not_found`.
    Ids(&'static str),
    /// Any JSON value, checked as a whole by the resource's `before` hook; `null` clears.
    Any,
    /// A reader of the resource's own (codes, colours, rates, `{en, ru}` names...).
    Custom(Reader),
}

/// A value given to a field a create leaves out.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// An integer.
    Int(i64),
    /// A text.
    Text(&'static str),
    /// A boolean.
    Bool(bool),
    /// A JSON value, written as JSON text (`"[]"`).
    Json(&'static str),
    /// Computed inside the create's transaction from the database and the scope columns
    /// (the next sort position, a generated key).
    Computed(Compute),
}

/// Computes a default from the database and the scope columns.
pub type Compute = fn(&dyn Db, &[(&'static str, Value)]) -> Result<Json, CoreError>;

/// What an update may do to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUpdate {
    /// Change it.
    Writable,
    /// Nothing: it is set on create only (an unknown field in a patch).
    CreateOnly,
    /// Repeat it unchanged; another value is 422 `immutable` with this message.
    Immutable(&'static str),
    /// Change it unless the stored record's boolean `flag` is set; then another value is 422
    /// `code` with `message` (a system role keeps its code).
    FixedIf {
        /// The field whose `true` fixes this one.
        flag: &'static str,
        /// The error code.
        code: &'static str,
        /// The error message.
        message: &'static str,
    },
}

/// One field of a resource's record.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The API name: a key of the body and of the record.
    pub name: &'static str,
    /// Where the value lives.
    pub store: Store,
    /// How a body's value is read.
    pub rule: Rule,
    /// Whether a create must give it (`required`).
    pub required: bool,
    /// The value a create that leaves it out stores.
    pub default: Option<Default>,
    /// What an update may do.
    pub on_update: OnUpdate,
}

/// The record's id.
pub const ID: Field = Field::read_only("id", Store::Int("id"));
/// The record's version (+1 on each change).
pub const VERSION: Field = Field::read_only("version", Store::Int("version"));
/// When it was created.
pub const CREATED_AT: Field = Field::read_only("created_at", Store::Time("created_at"));
/// When it last changed.
pub const UPDATED_AT: Field = Field::read_only("updated_at", Store::Time("updated_at"));
/// Who created it.
pub const CREATED_BY: Field = Field::read_only("created_by", Store::Int("created_by"));
/// Who last changed it.
pub const UPDATED_BY: Field = Field::read_only("updated_by", Store::Int("updated_by"));

impl Stamps {
    /// The fields a record shows of its stamps (after its own, unless it lists them itself).
    pub(crate) fn fields(self) -> &'static [Field] {
        match self {
            Stamps::None => &[],
            Stamps::Times => &[VERSION, CREATED_AT, UPDATED_AT],
            Stamps::TimesAndUsers => &[VERSION, CREATED_AT, UPDATED_AT, CREATED_BY, UPDATED_BY],
        }
    }
}

impl Field {
    /// A writable, optional field.
    pub const fn new(name: &'static str, store: Store, rule: Rule) -> Field {
        Field {
            name,
            store,
            rule,
            required: false,
            default: None,
            on_update: OnUpdate::Writable,
        }
    }

    /// A field the API only shows.
    pub const fn read_only(name: &'static str, store: Store) -> Field {
        Field::new(name, store, Rule::ReadOnly)
    }

    /// Trimmed text of at most `max` characters in the column `name`.
    pub const fn text(name: &'static str, max: usize) -> Field {
        Field::new(name, Store::Text(name), Rule::Text(max))
    }

    /// A string as given, not trimmed, in the column `name`.
    pub const fn raw(name: &'static str) -> Field {
        Field::new(name, Store::Text(name), Rule::Raw)
    }

    /// A code `valid` accepts (else `invalid_code` with `message`), in the column `name`.
    pub const fn code(name: &'static str, valid: fn(&str) -> bool, message: &'static str) -> Field {
        Field::new(name, Store::Text(name), Rule::Code(valid, message))
    }

    /// The column that stores it, when it is not named like the field.
    pub const fn column(mut self, column: &'static str) -> Field {
        self.store = match self.store {
            Store::Text(_) => Store::Text(column),
            Store::Int(_) => Store::Int(column),
            Store::Bool(_) => Store::Bool(column),
            Store::Json(_) => Store::Json(column),
            Store::Time(_) => Store::Time(column),
            Store::Secret(_) => Store::Secret(column),
            other => other,
        };
        self
    }

    /// Written but never shown (a password hash).
    pub const fn secret(mut self) -> Field {
        if let Store::Text(column) = self.store {
            self.store = Store::Secret(column);
        }
        self
    }

    /// A nullable integer in the column `name`.
    pub const fn int(name: &'static str) -> Field {
        Field::new(name, Store::Int(name), Rule::Int)
    }

    /// An integer that may not be cleared, in the column `name`.
    pub const fn int_not_null(name: &'static str) -> Field {
        Field::new(name, Store::Int(name), Rule::IntNotNull)
    }

    /// `true`/`false` in the 0/1 column `name`.
    pub const fn bool(name: &'static str) -> Field {
        Field::new(name, Store::Bool(name), Rule::Bool)
    }

    /// The id of a row of `table` ("no `noun` with id N"), in the column `name`.
    pub const fn reference(name: &'static str, table: &'static str, noun: &'static str) -> Field {
        Field::new(name, Store::Int(name), Rule::Ref { table, noun })
    }

    /// The parent in the resource's own tree, in the column `name`.
    pub const fn parent(name: &'static str, noun: &'static str) -> Field {
        Field::new(name, Store::Int(name), Rule::Parent { noun })
    }

    /// A list of ids of rows of `table`, kept outside the row (link rows a hook writes).
    pub const fn ids(name: &'static str, table: &'static str) -> Field {
        Field::new(name, Store::Outside, Rule::Ids(table))
    }

    /// Any JSON value, stored as `store` says.
    pub const fn any(name: &'static str, store: Store) -> Field {
        Field::new(name, store, Rule::Any)
    }

    /// A field read by the resource's own `reader`.
    pub const fn custom(name: &'static str, store: Store, reader: Reader) -> Field {
        Field::new(name, store, Rule::Custom(reader))
    }

    /// A create must give it.
    pub const fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// A create that leaves it out stores `default`.
    pub const fn default(mut self, default: Default) -> Field {
        self.default = Some(default);
        self
    }

    /// Set on create only.
    pub const fn create_only(mut self) -> Field {
        self.on_update = OnUpdate::CreateOnly;
        self
    }

    /// Fixed once created: a patch may repeat it, another value is 422 `immutable`.
    pub const fn immutable(mut self, message: &'static str) -> Field {
        self.on_update = OnUpdate::Immutable(message);
        self
    }

    /// Fixed while the stored record's `flag` is `true` (another value: 422 `code`, `message`).
    pub const fn fixed_if(mut self, flag: &'static str, code: &'static str, message: &'static str) -> Field {
        self.on_update = OnUpdate::FixedIf { flag, code, message };
        self
    }

    /// Whether a body may give it on create (`creating`) or update.
    pub(crate) fn writable(&self, creating: bool) -> bool {
        !matches!(self.rule, Rule::ReadOnly) && (creating || self.on_update != OnUpdate::CreateOnly)
    }

    /// Reads the body's value (type errors go to the body's errors).
    pub(crate) fn read(&self, b: &mut Body, creating: bool) -> Patch<Json> {
        let key = self.name;
        match self.rule {
            Rule::ReadOnly => Patch::Absent,
            Rule::Text(max) => b.text(key, max, self.required).map(Json::from),
            Rule::Raw => b.raw(key).map(Json::from),
            Rule::Code(valid, message) => match b.raw(key) {
                Patch::Set(code) if !valid(&code) => {
                    b.errors.push(key, "invalid_code", message);
                    Patch::Invalid
                }
                other => other.map(Json::from),
            },
            Rule::Int | Rule::Ref { .. } | Rule::Parent { .. } => b.int(key).map(Json::from),
            Rule::IntNotNull => b.int_not_null(key).map(Json::from),
            Rule::Bool => b.flag(key).map(Json::from),
            Rule::Ids(_) => match b.ids(key) {
                Some(ids) => Patch::Set(json!(ids)),
                None if b.get(key).is_some() => Patch::Invalid,
                None => Patch::Absent,
            },
            Rule::Any => b.any(key),
            Rule::Custom(reader) => reader(b, key, creating),
        }
    }

    /// The record's value, from the row (`None` for values kept outside it or never shown).
    pub(crate) fn render(&self, row: &Row) -> Option<Json> {
        Some(match self.store {
            Store::Text(column) => row.str(column).map_or(Json::Null, Json::from),
            Store::Int(column) => row.i64(column).map_or(Json::Null, Json::from),
            Store::Bool(column) => Json::Bool(row.i64(column) == Some(1)),
            Store::Json(column) => row
                .str(column)
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(Json::Null),
            Store::Time(column) => time(row.i64(column)),
            Store::Names(en, ru) => json!({"en": row.str(en), "ru": row.str(ru)}),
            Store::Secret(_) | Store::Outside | Store::Virtual => return None,
        })
    }

    /// The columns that store `value` (a `{en, ru}` patch completed from `current` first).
    pub(crate) fn columns(&self, value: &Json, current: Option<&Json>) -> Vec<(&'static str, Value)> {
        match self.store {
            Store::Text(column) | Store::Secret(column) => vec![(column, text_value(value))],
            Store::Int(column) => vec![(column, value.as_i64().into())],
            Store::Bool(column) => vec![(column, value.as_bool().into())],
            Store::Json(column) => vec![(column, json_text(value))],
            Store::Names(en, ru) => {
                let names = complete_names(value, current);
                vec![(en, text_value(&names["en"])), (ru, text_value(&names["ru"]))]
            }
            Store::Time(_) | Store::Outside | Store::Virtual => Vec::new(),
        }
    }
}

fn text_value(value: &Json) -> Value {
    value.as_str().map_or(Value::Null, Value::from)
}

fn json_text(value: &Json) -> Value {
    if value.is_null() {
        Value::Null
    } else {
        Value::from(value.to_string())
    }
}

/// A `{en, ru}` patch over the `current` names: a missing `en` stays; `ru` set is taken, `null`
/// becomes `en` again, missing stays (on create: is `en`).
pub(crate) fn complete_names(patch: &Json, current: Option<&Json>) -> Json {
    let en = patch
        .get("en")
        .filter(|en| en.is_string())
        .or_else(|| current.and_then(|c| c.get("en")))
        .cloned()
        .unwrap_or(Json::Null);
    let ru = match patch.get("ru") {
        Some(Json::String(ru)) => Json::from(ru.as_str()),
        Some(_) => en.clone(),
        None => current.and_then(|c| c.get("ru")).cloned().unwrap_or_else(|| en.clone()),
    };
    json!({"en": en, "ru": ru})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_complete_a_patch_over_the_stored_ones() {
        let stored = json!({"en": "New", "ru": "Новый"});
        let cases = [
            (
                json!({"en": "Fresh"}),
                Some(&stored),
                json!({"en": "Fresh", "ru": "Новый"}),
            ),
            (
                json!({"ru": "Свежий"}),
                Some(&stored),
                json!({"en": "New", "ru": "Свежий"}),
            ),
            (
                json!({"en": "Fresh", "ru": null}),
                Some(&stored),
                json!({"en": "Fresh", "ru": "Fresh"}),
            ),
            (json!({"en": "Fresh"}), None, json!({"en": "Fresh", "ru": "Fresh"})),
            (json!({"en": "A", "ru": "Б"}), None, json!({"en": "A", "ru": "Б"})),
        ];
        for (patch, current, full) in cases {
            assert_eq!(complete_names(&patch, current), full, "{patch}");
        }
    }

    #[test]
    fn only_writable_fields_are_read() {
        let code = Field::text("code", 10).create_only();
        assert!(code.writable(true) && !code.writable(false));
        assert!(!ID.writable(true) && !VERSION.writable(false));
        assert!(Field::int("sort").writable(false));
    }
}
