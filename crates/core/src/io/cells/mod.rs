//! The flat form of a record shared by every file format: a column per field (a column per
//! part of a compound field), keyed by the field's API name and labelled in the caller's
//! language, and the cell conventions of the import/export contract (decimals `1250.00`, dates
//! `YYYY-MM-DD`, booleans `yes`/`no`, enumerations by code, typed lists `value (type)` joined
//! with ` ::: `, users by name, references by title). `write` renders records into it
//! (exports); `read` turns a mapped row of text cells into the record engine's JSON (imports).

pub mod read;
pub mod write;

/// What joins several values in one cell (Google's separator).
pub const SEPARATOR: &str = " ::: ";

/// The parts of an address, each its own column (`address.city`), with their en/ru labels
/// (headers `Address: city` / `Адрес: город`): what exports write and imports recognise.
pub const ADDRESS_PARTS: &[(&str, &str, &str)] = &[
    ("street", "street", "улица"),
    ("city", "city", "город"),
    ("region", "region", "регион"),
    ("postal_code", "postal code", "индекс"),
    ("country", "country", "страна"),
];
