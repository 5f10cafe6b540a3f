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

mod parse;
mod render;

pub use render::{json_to_stored, stored_to_json};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseContext {
    /// ISO country code for phones typed without `+`.
    pub default_country: String,
}

impl ParseContext {
    /// The country of a firm that has not chosen one (`app_settings.default_country` unset).
    pub const FALLBACK_COUNTRY: &str = "RU";
}

impl Default for ParseContext {
    /// The context of a firm with no settings.
    fn default() -> ParseContext {
        ParseContext {
            default_country: ParseContext::FALLBACK_COUNTRY.into(),
        }
    }
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
    /// compared (an address) still takes `null` (empty or not); a link with a primary record
    /// also takes `primary` (its primary record is one of a list).
    pub fn operators(&self) -> &'static [&'static str] {
        match self.comparable() {
            Comparable::Text => &["eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "null"],
            Comparable::Ordered => &["eq", "ne", "gt", "gte", "lt", "lte", "in", "null"],
            Comparable::Equality => &["eq", "ne", "in", "null"],
            Comparable::Members if self.kind.list_kind().is_some() => &["eq", "ne", "in", "like", "null"],
            Comparable::Members if matches!(self.storage, Storage::Link(link) if link.primary.is_some()) => {
                &["eq", "ne", "in", "primary", "null"]
            }
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
