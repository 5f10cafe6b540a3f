//! Field definitions and field types. A field type owns its whole life: it parses a request's
//! JSON into the stored SQLite value ([`FieldDef::parse`]), names the references that need the
//! database to check (dictionary codes, users, records, currencies), renders the stored value
//! back as API JSON ([`FieldDef::render`]), and says how a list may filter and sort on it.
//!
//! Storage: scalars are plain columns (text, integer; decimals and money are integers scaled by
//! their scale, datetimes unix seconds, dates `YYYY-MM-DD` text so they sort); multi-value and
//! compound fields (phones, addresses, multiple enumerations) are JSON text. A custom field is
//! stored the same way as a key of the record's `custom` JSON object.
//!
//! Decimals and money carry their bounds ([`Numeric`]: scale, min, max) in the definition, so
//! a deal's amount refuses `"-1.00"` and a custom field defined as signed accepts it without the
//! engine knowing either entity; their values are decimal strings, never JSON numbers.

use serde_json::{Value as Json, json};

use super::values::{self, Invalid, ListKind, Numeric};
use crate::db::Value;

/// Where the choices of an enumeration come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Options {
    /// Entries of a dictionary kind (`lead_status`, `source`...), checked against the database.
    Dictionary(String),
    /// A fixed list of codes.
    Own(Vec<String>),
}

/// What kind of value a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text (`max` characters).
    String,
    /// Multi-line text (`max` characters).
    Text,
    /// A whole number.
    Integer,
    /// A fixed-point number given as a decimal string, with its scale and bounds.
    Decimal(Numeric),
    /// `{"amount": "1250.00", "currency": "RUB"}` with the amount's bounds (custom fields;
    /// built-in money is a decimal field beside a currency field, as API.md shows).
    Money(Numeric),
    /// `true` / `false`.
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 time.
    Datetime,
    /// One code (or, with `multiple`, several) out of the options.
    Enumeration(Options),
    /// A currency code of `/api/currencies`.
    Currency,
    /// Typed e-mails `[{"value", "type"}]`.
    Emails,
    /// Typed phones, kept as typed and as E.164.
    Phones,
    /// Typed web addresses.
    Websites,
    /// Typed messenger handles.
    Messengers,
    /// A postal address object (or, with `multiple`, a list of them).
    Address,
    /// A list of bank and legal requisites.
    Requisites,
    /// A user id.
    User,
    /// The id of a record of this entity (or, with `multiple`, several).
    Record(&'static str),
    /// Records of any entity: `[{"entity": "lead", "id": 5}, ...]` (an activity's bindings).
    /// Lists filter it as `entity:id` (`filter[bindings]=lead:5`).
    Bindings,
}

impl FieldKind {
    /// The type's code in custom-field definitions.
    pub fn code(&self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Text => "text",
            FieldKind::Integer => "integer",
            FieldKind::Decimal(_) => "decimal",
            FieldKind::Money(_) => "money",
            FieldKind::Boolean => "boolean",
            FieldKind::Date => "date",
            FieldKind::Datetime => "datetime",
            FieldKind::Enumeration(_) => "enumeration",
            FieldKind::Currency => "currency",
            FieldKind::Emails => "emails",
            FieldKind::Phones => "phones",
            FieldKind::Websites => "websites",
            FieldKind::Messengers => "messengers",
            FieldKind::Address => "address",
            FieldKind::Requisites => "requisites",
            FieldKind::User => "user",
            FieldKind::Record(_) => "record",
            FieldKind::Bindings => "bindings",
        }
    }

    fn list_kind(&self) -> Option<ListKind> {
        match self {
            FieldKind::Emails => Some(ListKind::Email),
            FieldKind::Phones => Some(ListKind::Phone),
            FieldKind::Websites => Some(ListKind::Website),
            FieldKind::Messengers => Some(ListKind::Messenger),
            _ => None,
        }
    }
}

/// Where a field's value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A column of the entity's table, named like the field.
    Column,
    /// A key of the record's `custom` JSON object (custom fields).
    Custom,
    /// Rows of a link table (e.g. a contact's companies); the value is a list of ids.
    Link(&'static super::entity::LinkDef),
}

/// One field of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The API key (and column name); custom fields are `uf_...`.
    pub name: String,
    /// English and Russian labels.
    pub label: (String, String),
    /// The value's type.
    pub kind: FieldKind,
    /// Whether a value is needed on create and may not be cleared.
    pub required: bool,
    /// Several values (enumerations, records, addresses).
    pub multiple: bool,
    /// Longest text, or most list items.
    pub max: usize,
    /// The value a create without it gets (API JSON).
    pub default: Option<Json>,
    /// Where it is kept.
    pub storage: Storage,
    /// Shown as a list column by default.
    pub show_in_list: bool,
    /// Who may set the value.
    pub access: Access,
}

/// Whether a request may set a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// On create and update.
    ReadWrite,
    /// Only on create (a deal's pipeline: moving it is an explicit action).
    CreateOnly,
    /// Never: derived by hooks (a deal's `closed` flag).
    ReadOnly,
}

/// A fact about a parsed value that only the database can confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// These codes must be entries of the dictionary kind.
    Dictionary(String, Vec<String>),
    /// This currency must exist.
    Currency(String),
    /// This user must exist and be active.
    User(i64),
    /// These records of the entity must exist.
    Records(&'static str, Vec<i64>),
}

/// What parsing needs from outside the value: the default phone country.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// ISO country code for phones typed without `+`.
    pub default_country: String,
}

/// How a field takes part in list filters and sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparable {
    /// Compared as text (`like` allowed).
    Text,
    /// Ordered values (numbers, dates, times, codes).
    Ordered,
    /// Only equality (booleans).
    Equality,
    /// A JSON list of values (multiple enumerations and records, typed lists): `eq`/`in` test
    /// membership.
    Members,
    /// Not filterable (addresses, requisites).
    No,
}

impl FieldDef {
    /// A built-in column field with defaults (optional, single, 255 characters).
    pub fn column(name: &str, en: &str, ru: &str, kind: FieldKind) -> FieldDef {
        let max = match kind {
            FieldKind::Text => 10_000,
            FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers => 20,
            FieldKind::Requisites | FieldKind::Address => 10,
            _ => 255,
        };
        FieldDef {
            name: name.to_string(),
            label: (en.to_string(), ru.to_string()),
            kind,
            required: false,
            multiple: false,
            max,
            default: None,
            storage: Storage::Column,
            show_in_list: false,
            access: Access::ReadWrite,
        }
    }

    /// The same, settable only on create.
    pub fn create_only(mut self) -> FieldDef {
        self.access = Access::CreateOnly;
        self
    }

    /// The same, never settable by a request (derived by hooks).
    pub fn read_only(mut self) -> FieldDef {
        self.access = Access::ReadOnly;
        self
    }

    /// The same, required.
    pub fn required(mut self) -> FieldDef {
        self.required = true;
        self
    }

    /// The same, holding several values.
    pub fn multiple(mut self) -> FieldDef {
        self.multiple = true;
        self
    }

    /// The same, with a default value.
    pub fn default_value(mut self, value: Json) -> FieldDef {
        self.default = Some(value);
        self
    }

    /// The same, shown in lists by default.
    pub fn listed(mut self) -> FieldDef {
        self.show_in_list = true;
        self
    }

    /// Whether the value is a custom field's.
    pub fn is_custom(&self) -> bool {
        self.storage == Storage::Custom
    }

    /// The request path of this field (`title`, `custom.uf_size`).
    pub fn path(&self) -> String {
        if self.is_custom() {
            format!("custom.{}", self.name)
        } else {
            self.name.clone()
        }
    }

    /// The SQL expression of the stored value in a record table under alias `t` (a custom money
    /// field compares by its amount). Names come from definitions, never from input.
    pub fn sql_expression(&self) -> String {
        match (&self.storage, &self.kind) {
            (Storage::Custom, FieldKind::Money(_)) => format!("json_extract(t.custom, '$.{}.amount')", self.name),
            (Storage::Custom, _) => format!("json_extract(t.custom, '$.{}')", self.name),
            _ => format!("t.{}", self.name),
        }
    }

    /// Parses a non-null JSON value into its stored form; `refs` collects what the database
    /// must confirm. Errors carry paths relative to the field.
    pub fn parse(&self, value: &Json, cx: &ParseContext, refs: &mut Vec<Reference>) -> Result<Value, Vec<Invalid>> {
        if self.multiple && !matches!(self.kind, FieldKind::Requisites) && self.kind.list_kind().is_none() {
            let Some(items) = value.as_array() else {
                return Err(vec![Invalid::new("invalid_type", "expected a list")]);
            };
            if items.len() > self.max.max(1) {
                return Err(vec![Invalid::new("too_many", format!("at most {} values", self.max))]);
            }
            let mut stored = Vec::new();
            let mut errors = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match self.parse_one(item, cx, refs) {
                    Ok(v) => {
                        let j = stored_to_json(&v, &self.kind);
                        if !j.is_null() && !stored.contains(&j) {
                            stored.push(j);
                        }
                    }
                    Err(e) => errors.extend(e.into_iter().map(|e| e.at(&format!("[{i}]")))),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            return Ok(if stored.is_empty() {
                Value::Null
            } else {
                Value::Text(Json::Array(stored).to_string())
            });
        }
        self.parse_one(value, cx, refs)
    }

    fn parse_one(&self, value: &Json, cx: &ParseContext, refs: &mut Vec<Reference>) -> Result<Value, Vec<Invalid>> {
        let one = |r: Result<Value, Invalid>| r.map_err(|e| vec![e]);
        match &self.kind {
            FieldKind::String | FieldKind::Text => one(self.text(value)),
            FieldKind::Integer => one(value
                .as_i64()
                .map(Value::Integer)
                .ok_or_else(|| Invalid::new("invalid_type", "expected an integer"))),
            FieldKind::Decimal(numeric) => one(numeric.parse(value).map(Value::Integer)),
            FieldKind::Money(numeric) => one(money(value, *numeric, refs)),
            FieldKind::Boolean => one(value
                .as_bool()
                .map(Value::from)
                .ok_or_else(|| Invalid::new("invalid_type", "expected true or false"))),
            FieldKind::Date => one(string(value).and_then(values::parse_date).map(Value::Text)),
            FieldKind::Datetime => one(string(value).and_then(values::parse_datetime).map(Value::Integer)),
            FieldKind::Enumeration(options) => one(enumeration(value, options, refs)),
            FieldKind::Currency => one(currency(value, refs)),
            FieldKind::User => one(reference_id(value).map(|id| {
                refs.push(Reference::User(id));
                Value::Integer(id)
            })),
            FieldKind::Bindings => bindings(value, self.max, refs),
            FieldKind::Record(entity) => one(reference_id(value).map(|id| {
                refs.push(Reference::Records(entity, vec![id]));
                Value::Integer(id)
            })),
            FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers => {
                let kind = self.kind.list_kind().unwrap_or(ListKind::Email);
                let items = values::parse_typed_list(value, kind, &cx.default_country, self.max)?;
                Ok(if items.is_empty() {
                    Value::Null
                } else {
                    Value::Text(values::typed_list_storage(&items).to_string())
                })
            }
            FieldKind::Address => Ok(values::parse_address(value)?
                .map(|a| Value::Text(json!(a).to_string()))
                .unwrap_or(Value::Null)),
            FieldKind::Requisites => {
                let items = values::parse_requisites(value, self.max)?;
                Ok(json_text_or_null(items.iter().map(|r| json!(r)).collect()))
            }
        }
    }

    fn text(&self, value: &Json) -> Result<Value, Invalid> {
        let text = string(value)?.trim();
        if text.chars().count() > self.max {
            return Err(Invalid::new("too_long", format!("at most {} characters", self.max)));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !(self.kind == FieldKind::Text && (c == '\n' || c == '\t')))
        {
            return Err(Invalid::new("invalid_text", "contains control characters"));
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            Value::Text(text.to_string())
        })
    }

    /// The stored value as API JSON.
    pub fn render(&self, stored: &Value) -> Json {
        if matches!(stored, Value::Null) {
            return match (&self.kind, self.multiple) {
                (FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers, _)
                | (FieldKind::Requisites | FieldKind::Bindings, _) => json!([]),
                (FieldKind::Boolean, _) => json!(false),
                (_, true) => json!([]),
                _ => Json::Null,
            };
        }
        if self.multiple || matches!(self.kind, FieldKind::Requisites) {
            let items: Json = stored
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(json!([]));
            if let (FieldKind::Decimal(_) | FieldKind::Datetime | FieldKind::Money(_), Json::Array(list)) =
                (&self.kind, &items)
            {
                return Json::Array(
                    list.iter()
                        .map(|j| render_one(&self.kind, &json_to_stored(j)))
                        .collect(),
                );
            }
            return items;
        }
        render_one(&self.kind, stored)
    }

    /// How lists may filter and sort on this field.
    pub fn comparable(&self) -> Comparable {
        if self.multiple
            || self.kind.list_kind().is_some()
            || self.kind == FieldKind::Bindings
            || matches!(self.storage, Storage::Link(_))
        {
            return if matches!(self.kind, FieldKind::Address) {
                Comparable::No
            } else {
                Comparable::Members
            };
        }
        match self.kind {
            FieldKind::String | FieldKind::Text => Comparable::Text,
            FieldKind::Boolean => Comparable::Equality,
            FieldKind::Address | FieldKind::Requisites => Comparable::No,
            _ => Comparable::Ordered,
        }
    }

    /// The list operators (API.md's `filter[field][op]`) this field takes, as `/fields` lists
    /// them for filter builders; `eq` is also the bare `filter[field]=v`. A field that cannot be
    /// compared (an address) still takes `null` (empty or not).
    pub fn operators(&self) -> &'static [&'static str] {
        match self.comparable() {
            Comparable::Text => &["eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "null"],
            Comparable::Ordered => &["eq", "ne", "gt", "gte", "lt", "lte", "in", "null"],
            Comparable::Equality => &["eq", "ne", "in", "null"],
            Comparable::Members if self.kind.list_kind().is_some() => &["eq", "ne", "in", "like", "null"],
            Comparable::Members => &["eq", "ne", "in", "null"],
            Comparable::No => &["null"],
        }
    }

    /// A filter value from the query string in stored form (one item for list fields).
    pub fn parse_filter_value(&self, text: &str, cx: &ParseContext) -> Result<Value, Invalid> {
        match &self.kind {
            FieldKind::Integer | FieldKind::User | FieldKind::Record(_) => text
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| Invalid::new("invalid_type", "expected an integer")),
            FieldKind::Decimal(numeric) | FieldKind::Money(numeric) => {
                values::parse_decimal_text(text, numeric.scale).map(Value::Integer)
            }
            FieldKind::Boolean => match text {
                "true" | "1" => Ok(Value::Integer(1)),
                "false" | "0" => Ok(Value::Integer(0)),
                _ => Err(Invalid::new("invalid_type", "expected true or false")),
            },
            FieldKind::Date => values::parse_date(text).map(Value::Text),
            FieldKind::Datetime => values::parse_datetime(text).map(Value::Integer),
            FieldKind::Phones => values::Phone::parse(text, &cx.default_country).map(|p| Value::Text(p.e164)),
            FieldKind::Emails => Ok(Value::Text(text.trim().to_lowercase())),
            FieldKind::Websites | FieldKind::Messengers => Ok(Value::Text(text.trim().to_lowercase())),
            _ => Ok(Value::Text(text.to_string())),
        }
    }
}

fn render_one(kind: &FieldKind, stored: &Value) -> Json {
    match (kind, stored) {
        (_, Value::Null) => Json::Null,
        (FieldKind::Decimal(numeric), Value::Integer(v)) => json!(numeric.format(*v)),
        (FieldKind::Boolean, Value::Integer(v)) => json!(*v != 0),
        (FieldKind::Datetime, Value::Integer(v)) => json!(crate::clock::rfc3339(*v)),
        (FieldKind::Money(numeric), Value::Text(s)) => {
            let stored: Json = serde_json::from_str(s).unwrap_or(Json::Null);
            json!({
                "amount": stored["amount"].as_i64().map(|a| numeric.format(a)),
                "currency": stored["currency"],
            })
        }
        (FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers, Value::Text(s)) => {
            let stored: Json = serde_json::from_str(s).unwrap_or(json!([]));
            values::typed_list_json(&values::typed_list_from_json(&stored))
        }
        (FieldKind::Address | FieldKind::Requisites, Value::Text(s)) => serde_json::from_str(s).unwrap_or(Json::Null),
        (FieldKind::Bindings, Value::Text(s)) => serde_json::from_str(s).unwrap_or(json!([])),
        (_, Value::Integer(v)) => json!(v),
        (_, Value::Real(v)) => json!(v),
        (_, Value::Text(s)) => json!(s),
        (_, Value::Blob(_)) => Json::Null,
    }
}

/// A stored value as it is kept inside a JSON document (custom fields, multiple values):
/// JSON-text values are embedded as JSON.
pub fn stored_to_json(value: &Value, kind: &FieldKind) -> Json {
    match value {
        Value::Null | Value::Blob(_) => Json::Null,
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Text(s) => match kind {
            FieldKind::Money(_)
            | FieldKind::Emails
            | FieldKind::Phones
            | FieldKind::Websites
            | FieldKind::Messengers
            | FieldKind::Address
            | FieldKind::Requisites
            | FieldKind::Bindings => serde_json::from_str(s).unwrap_or(Json::Null),
            _ => json!(s),
        },
    }
}

/// The reverse of [`stored_to_json`] for one value: numbers and strings as they are, arrays and
/// objects as JSON text.
pub fn json_to_stored(value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => n.as_i64().map(Value::Integer).unwrap_or(Value::Null),
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

fn json_text_or_null(items: Vec<Json>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Text(Json::Array(items).to_string())
    }
}

fn string(value: &Json) -> Result<&str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid::new("invalid_type", "expected a string"))
}

fn reference_id(value: &Json) -> Result<i64, Invalid> {
    value
        .as_i64()
        .filter(|id| *id > 0)
        .ok_or_else(|| Invalid::new("invalid_type", "expected a positive integer id"))
}

fn code(value: &Json) -> Result<String, Invalid> {
    let text = string(value)?.trim();
    if text.is_empty() || text.len() > 50 {
        return Err(Invalid::new("invalid_choice", "expected a code"));
    }
    Ok(text.to_string())
}

fn enumeration(value: &Json, options: &Options, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
    let code = code(value)?;
    match options {
        Options::Own(list) if !list.contains(&code) => Err(Invalid::new(
            "invalid_choice",
            format!("must be one of {}", list.join(", ")),
        )),
        Options::Own(_) => Ok(Value::Text(code)),
        Options::Dictionary(kind) => {
            refs.push(Reference::Dictionary(kind.clone(), vec![code.clone()]));
            Ok(Value::Text(code))
        }
    }
}

/// `[{"entity": "lead", "id": 5}]`: each a record entity and a positive id, at most `max`.
fn bindings(value: &Json, max: usize, refs: &mut Vec<Reference>) -> Result<Value, Vec<Invalid>> {
    let Some(items) = value.as_array() else {
        return Err(vec![Invalid::new(
            "invalid_type",
            "expected a list of {\"entity\", \"id\"}",
        )]);
    };
    if items.len() > max {
        return Err(vec![Invalid::new("too_many", format!("at most {max} records"))]);
    }
    let mut out: Vec<Json> = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let entity = item
            .get("entity")
            .and_then(Json::as_str)
            .and_then(super::entity::static_name);
        let id = item.get("id").and_then(Json::as_i64).filter(|id| *id > 0);
        let unknown = item
            .as_object()
            .and_then(|m| m.keys().find(|k| *k != "entity" && *k != "id").cloned());
        match (entity, id, unknown) {
            (_, _, Some(key)) => {
                errors.push(Invalid::new("unknown_field", "not a binding key").at(&format!("[{i}].{key}")))
            }
            (None, _, _) => errors.push(
                Invalid::new("invalid_choice", format!("must be {}", super::entity::names_text()))
                    .at(&format!("[{i}].entity")),
            ),
            (_, None, _) => {
                errors.push(Invalid::new("invalid_type", "expected a positive integer id").at(&format!("[{i}].id")))
            }
            (Some(entity), Some(id), None) => {
                let binding = json!({ "entity": entity, "id": id });
                if !out.contains(&binding) {
                    refs.push(Reference::Records(entity, vec![id]));
                    out.push(binding);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(json_text_or_null(out))
}

fn currency(value: &Json, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
    let code = string(value)?.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new("invalid_currency", "expected a currency code such as RUB"));
    }
    refs.push(Reference::Currency(code.clone()));
    Ok(Value::Text(code))
}

fn money(value: &Json, numeric: Numeric, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
    let Some(map) = value.as_object() else {
        return Err(Invalid::new(
            "invalid_type",
            "expected {\"amount\": \"1250.00\", \"currency\": \"RUB\"}",
        ));
    };
    if let Some(key) = map.keys().find(|k| *k != "amount" && *k != "currency") {
        return Err(Invalid::new("unknown_field", "not a money key").at(&format!(".{key}")));
    }
    let amount = numeric
        .parse(map.get("amount").unwrap_or(&Json::Null))
        .map_err(|e| e.at(".amount"))?;
    let currency = currency(map.get("currency").unwrap_or(&Json::Null), refs).map_err(|e| e.at(".currency"))?;
    Ok(Value::Text(
        json!({ "amount": amount, "currency": currency.as_str() }).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> ParseContext {
        ParseContext {
            default_country: "RU".into(),
        }
    }

    fn parse(def: &FieldDef, value: Json) -> Result<Value, Vec<Invalid>> {
        def.parse(&value, &cx(), &mut Vec::new())
    }

    #[test]
    fn scalar_types_parse_and_render_round_trip() {
        let cases: Vec<(FieldKind, Json)> = vec![
            (FieldKind::String, json!("Acme")),
            (FieldKind::Integer, json!(42)),
            (FieldKind::Decimal(Numeric::MONEY), json!("1250.50")),
            (FieldKind::Boolean, json!(true)),
            (FieldKind::Date, json!("2024-02-29")),
            (FieldKind::Datetime, json!("2026-11-22T08:30:00Z")),
            (FieldKind::Currency, json!("RUB")),
            (
                FieldKind::Money(Numeric::MONEY),
                json!({"amount": "10.00", "currency": "USD"}),
            ),
            (
                FieldKind::Bindings,
                json!([{"entity": "lead", "id": 5}, {"entity": "company", "id": 2}]),
            ),
        ];
        for (kind, input) in cases {
            let def = FieldDef::column("f", "F", "Ф", kind.clone());
            let stored = parse(&def, input.clone()).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            assert_eq!(def.render(&stored), input, "{kind:?}");
        }
    }

    #[test]
    fn bad_values_are_reported_with_codes_and_paths() {
        let cases: Vec<(FieldDef, Json, &str, &str)> = vec![
            (
                FieldDef::column("f", "", "", FieldKind::Integer),
                json!("x"),
                "",
                "invalid_type",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::String),
                json!("x".repeat(256)),
                "",
                "too_long",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::Date),
                json!("2023-02-29"),
                "",
                "invalid_date",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::Boolean),
                json!("yes"),
                "",
                "invalid_type",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::Money(Numeric::MONEY)),
                json!({"amount": "1", "currency": "rubles"}),
                ".currency",
                "invalid_currency",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::Enumeration(Options::Own(vec!["A".into()]))).multiple(),
                json!(["A", "B"]),
                "[1]",
                "invalid_choice",
            ),
            (
                FieldDef::column("f", "", "", FieldKind::Emails),
                json!([{"value": "nope"}]),
                "[0].value",
                "invalid_email",
            ),
        ];
        for (def, input, path, code) in cases {
            let errors = parse(&def, input.clone()).expect_err(&format!("{input} must fail"));
            assert_eq!((errors[0].path.as_str(), errors[0].code), (path, code), "{input}");
        }
    }

    /// The bounds live in the definitions: built-in amounts, prices and revenue are money
    /// (0 ..= 9 999 999 999 999.99), VAT rates percents, custom fields signed only if defined so.
    #[test]
    fn decimals_and_money_keep_their_bounds_and_refuse_json_numbers() {
        use crate::records::entities;
        let field = |def: crate::records::EntityDef, name: &str| def.field(name).expect("a field").clone();
        let amount = field(entities::deal::def(), "amount");
        let lead_amount = field(entities::lead::def(), "amount");
        let revenue = field(entities::company::def(), "revenue");
        let price = field(entities::product::def(), "price");
        let vat = field(entities::product::def(), "vat_rate");
        let signed = FieldDef::column("uf_delta", "", "", FieldKind::Decimal(Numeric::SIGNED_MONEY));
        let money = FieldDef::column("uf_budget", "", "", FieldKind::Money(Numeric::MONEY));
        // A stored value, or the (path, code) of the error.
        type Expected = Result<i64, (&'static str, &'static str)>;
        let cases: Vec<(&FieldDef, Json, Expected, &str)> = vec![
            (
                &amount,
                json!("9999999999999.99"),
                Ok(999_999_999_999_999),
                "the maximum",
            ),
            (
                &amount,
                json!("10000000000000.00"),
                Err(("", "out_of_range")),
                "max + 0.01",
            ),
            (
                &amount,
                json!("92233720368547758.07"),
                Err(("", "out_of_range")),
                "i64::MAX",
            ),
            (&amount, json!("-1.00"), Err(("", "out_of_range")), "a negative amount"),
            (&amount, json!(12.5), Err(("", "invalid_type")), "a JSON float"),
            (&amount, json!(1250), Err(("", "invalid_type")), "a JSON integer"),
            (
                &lead_amount,
                json!("-1.00"),
                Err(("", "out_of_range")),
                "a negative lead amount",
            ),
            (&revenue, json!("-1.00"), Err(("", "out_of_range")), "negative revenue"),
            (&revenue, json!("0"), Ok(0), "no revenue"),
            (&price, json!("-0.01"), Err(("", "out_of_range")), "a negative price"),
            (&vat, json!("100.01"), Err(("", "out_of_range")), "VAT past 100 %"),
            (&vat, json!("100"), Ok(10_000), "VAT at 100 %"),
            (&signed, json!("-1.00"), Ok(-100), "a signed custom decimal"),
            (
                &signed,
                json!("-10000000000000"),
                Err(("", "out_of_range")),
                "past the signed minimum",
            ),
            (
                &money,
                json!({"amount": "-1.00", "currency": "RUB"}),
                Err((".amount", "out_of_range")),
                "negative custom money",
            ),
            (
                &money,
                json!({"amount": 12.5, "currency": "RUB"}),
                Err((".amount", "invalid_type")),
                "custom money as a float",
            ),
        ];
        for (def, input, expected, why) in cases {
            let got = parse(def, input.clone());
            match expected {
                Ok(v) => assert_eq!(got, Ok(Value::Integer(v)), "{why}: {input}"),
                Err((path, code)) => {
                    let errors = got.expect_err(why);
                    assert_eq!(
                        (errors[0].path.as_str(), errors[0].code),
                        (path, code),
                        "{why}: {input}"
                    );
                }
            }
        }
    }

    #[test]
    fn multiple_addresses_are_a_list_of_address_objects() {
        let def = FieldDef::column("addresses", "", "", FieldKind::Address).multiple();
        let input = json!([{"city": "Москва", "street": "Тверская, 1"}, {}, {"city": "Тула"}]);
        let stored = parse(&def, input).expect("parses");
        assert_eq!(
            def.render(&stored),
            json!([{"city": "Москва", "street": "Тверская, 1"}, {"city": "Тула"}])
        );
        let errors = parse(&def, json!([{"town": "x"}])).expect_err("unknown key");
        assert_eq!(errors[0].path, "[0].town");
    }

    #[test]
    fn references_are_collected_for_the_database_to_check() {
        let def = FieldDef::column(
            "status",
            "",
            "",
            FieldKind::Enumeration(Options::Dictionary("lead_status".into())),
        );
        let mut refs = Vec::new();
        def.parse(&json!("NEW"), &cx(), &mut refs).expect("parses");
        assert_eq!(
            refs,
            vec![Reference::Dictionary("lead_status".into(), vec!["NEW".into()])]
        );
    }
}
