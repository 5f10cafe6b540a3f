//! Typed values parsed from request JSON: each parser either builds the typed value or reports
//! why not, with a stable code. Pure: no database, no clock.
//!
//! This module owns the common error shape, [`Invalid`], and the small helpers the structured
//! parsers share; each value kind lives in its own file and is re-exported here:
//!
//! - e-mail ([`Email`]), phone in E.164 ([`Phone`], [`search_forms`], [`phone_query`]),
//!   web address ([`parse_website`]);
//! - fixed-point decimals with explicit bounds ([`Numeric`], [`MONEY_MAX`], [`format_decimal`]);
//! - dates and times ([`parse_date`], [`parse_datetime`]);
//! - the multi-value contact lists ([`parse_typed_list`]), postal addresses ([`parse_address`])
//!   and company requisites ([`parse_requisites`]).

mod address;
mod dates;
mod decimal;
mod email;
mod phone;
mod requisites;
mod typed_list;
mod url;
mod website;

pub use address::{Address, parse_address};
pub use dates::{parse_date, parse_datetime, parse_time_zone};
pub use decimal::{
    MONEY_MAX, Numeric, PERCENT_MAX, QUANTITY_MAX, format_decimal, format_wide_decimal, parse_decimal_text,
};
pub use email::Email;
pub use phone::{Phone, is_known_country, phone_query, search_forms};
pub use requisites::{Requisite, parse_requisites};
pub use typed_list::{
    ListKind, TypedValue, parse_typed_list, typed_list_from_json, typed_list_json, typed_list_storage,
};
pub use url::{origin_matches, parse_http_url, parse_origin_pattern};
pub use website::parse_website;

use serde_json::Value;

/// The longest free-text field (address parts, requisites, messenger handles), in characters.
pub const MAX_TEXT: usize = 255;

/// Why a value is invalid: `path` is a suffix to append to the field's name ("" for the value itself,
/// "[2].value", ".city"), `code` a stable snake_case code, `message` a short human text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Where inside the field the problem is: "" for the field itself, "[2].value", ".city".
    pub path: String,
    /// A stable snake_case code (`required`, `invalid_email`, `too_long`...).
    pub code: &'static str,
    /// A short human-readable explanation.
    pub message: String,
}

impl Invalid {
    /// A problem with the value itself (empty path).
    pub fn new(code: &'static str, message: impl Into<String>) -> Invalid {
        Invalid {
            path: String::new(),
            code,
            message: message.into(),
        }
    }

    /// The same problem, one level deeper: `prefix` goes in front of the current path.
    pub fn at(mut self, prefix: &str) -> Invalid {
        self.path.insert_str(0, prefix);
        self
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({})", self.message, self.code)
        } else {
            write!(f, "{}: {} ({})", self.path, self.message, self.code)
        }
    }
}

impl std::error::Error for Invalid {}

/// `required`: the value is missing or empty.
fn required() -> Invalid {
    Invalid::new("required", "a value is required")
}

/// `too_long`: over `max` characters.
fn too_long(max: usize) -> Invalid {
    Invalid::new("too_long", format!("at most {max} characters"))
}

/// `unknown_field` at `.<key>` / `[i].<key>` (the caller adds the item prefix).
fn unknown_field(key: &str) -> Invalid {
    Invalid::new("unknown_field", format!("unknown field \"{key}\"")).at(&format!(".{key}"))
}

/// An optional short text: `null`, missing or blank is `None`; otherwise a string of at most
/// [`MAX_TEXT`] characters, trimmed.
fn optional_text(value: &Value) -> Result<Option<String>, Invalid> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => {
            let text = text.trim();
            if text.is_empty() {
                Ok(None)
            } else if text.chars().count() > MAX_TEXT {
                Err(too_long(MAX_TEXT))
            } else {
                Ok(Some(text.to_string()))
            }
        }
        _ => Err(Invalid::new("invalid_type", "expected a string")),
    }
}

/// A domain name of at least two dot-separated labels, each 1..=63 characters of letters (any
/// script), ASCII digits and hyphens (not first or last), the last label not all digits.
fn is_domain(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &str| {
        let len = label.chars().count();
        (1..=63).contains(&len)
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2 && tld_ok && labels.iter().all(|label| label_ok(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_at_prepends_to_the_path() {
        let inv = Invalid::new("required", "a value is required").at(".value").at("[2]");
        assert_eq!(inv.path, "[2].value");
        assert_eq!(inv.code, "required");
        assert_eq!(inv.to_string(), "[2].value: a value is required (required)");
        assert_eq!(Invalid::new("x", "m").to_string(), "m (x)");
    }

    #[test]
    fn domains() {
        let cases = [
            ("example.com", true, "two ascii labels"),
            ("mail.example.co.uk", true, "four labels"),
            ("почта.рф", true, "cyrillic labels"),
            ("xn--80a1acny.xn--p1ai", true, "punycode"),
            ("a-b.c1", true, "inner hyphen, tld with digit"),
            ("localhost", false, "single label"),
            ("example..com", false, "empty label"),
            (".example.com", false, "leading dot"),
            ("example.com.", false, "trailing dot"),
            ("-ex.com", false, "leading hyphen"),
            ("ex-.com", false, "trailing hyphen"),
            ("ex_ample.com", false, "underscore"),
            ("10.0.0.1", false, "numeric tld"),
            ("ex ample.com", false, "space"),
        ];
        for (host, ok, why) in cases {
            assert_eq!(is_domain(host), ok, "{why}: {host}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(!is_domain(&long), "label over 63 characters");
        let max = format!("{}.com", "a".repeat(63));
        assert!(is_domain(&max), "label of 63 characters");
    }

    #[test]
    fn optional_texts() {
        assert_eq!(optional_text(&Value::Null), Ok(None), "null");
        assert_eq!(optional_text(&Value::from("  ")), Ok(None), "blank");
        assert_eq!(
            optional_text(&Value::from(" Moscow ")),
            Ok(Some("Moscow".into())),
            "trimmed"
        );
        assert_eq!(
            optional_text(&Value::from("я".repeat(255))).map(|t| t.is_some()),
            Ok(true),
            "255 chars"
        );
        assert_eq!(
            optional_text(&Value::from("я".repeat(256))).map_err(|e| e.code),
            Err("too_long"),
            "256 chars"
        );
        assert_eq!(
            optional_text(&Value::from(5)).map_err(|e| e.code),
            Err("invalid_type"),
            "number"
        );
    }
}
