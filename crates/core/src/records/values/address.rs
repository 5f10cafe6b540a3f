//! Postal addresses: an object of five optional text parts, `None` when all are empty.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Invalid, optional_text, unknown_field};

/// A postal address; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street, building, apartment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// City or settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Region, state or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal or ZIP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Parses an address object: `null` or all parts empty -> `None`. Reports every bad part at
/// `.<key>` (`unknown_field`, `invalid_type`, `too_long`); a non-object is `invalid_type`.
pub fn parse_address(value: &Value) -> Result<Option<Address>, Vec<Invalid>> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(object) => object,
        _ => return Err(vec![Invalid::new("invalid_type", "expected an address object")]),
    };
    let mut address = Address::default();
    let mut errors = Vec::new();
    for (key, part) in object {
        let slot = match key.as_str() {
            "street" => &mut address.street,
            "city" => &mut address.city,
            "region" => &mut address.region,
            "postal_code" => &mut address.postal_code,
            "country" => &mut address.country,
            _ => {
                errors.push(unknown_field(key));
                continue;
            }
        };
        match optional_text(part) {
            Ok(text) => *slot = text,
            Err(e) => errors.push(e.at(&format!(".{key}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((address != Address::default()).then_some(address))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Expected problems: (path, code), in order.
    type Problems = &'static [(&'static str, &'static str)];

    #[test]
    fn parses_addresses() {
        let full = Address {
            street: Some("ул. Ленина, 1".into()),
            city: Some("Москва".into()),
            region: Some("Московская область".into()),
            postal_code: Some("101000".into()),
            country: Some("RU".into()),
        };
        let city_only = Address {
            city: Some("Berlin".into()),
            ..Address::default()
        };
        let cases = [
            (json!(null), None, "null"),
            (json!({}), None, "empty object"),
            (
                json!({"street": " ", "city": null, "country": ""}),
                None,
                "all parts empty",
            ),
            (
                json!({"city": " Berlin ", "street": ""}),
                Some(city_only),
                "one part, trimmed",
            ),
            (
                json!({"street": "ул. Ленина, 1", "city": "Москва", "region": "Московская область",
                       "postal_code": "101000", "country": "RU"}),
                Some(full),
                "every part",
            ),
        ];
        for (value, expected, why) in cases {
            assert_eq!(parse_address(&value), Ok(expected), "{why}");
        }
    }

    #[test]
    fn rejects_addresses() {
        let cases: [(Value, Problems, &str); 4] = [
            (json!("Moscow"), &[("", "invalid_type")], "a string"),
            (json!([]), &[("", "invalid_type")], "an array"),
            (
                json!({"city": 5, "house": "1", "street": "x".repeat(256)}),
                &[
                    (".city", "invalid_type"),
                    (".house", "unknown_field"),
                    (".street", "too_long"),
                ],
                "every bad part",
            ),
            (
                json!({"postal_code": ["101000"]}),
                &[(".postal_code", "invalid_type")],
                "array part",
            ),
        ];
        for (value, expected, why) in cases {
            let errors = parse_address(&value).expect_err(why);
            let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
            assert_eq!(got, expected, "{why}");
        }
    }

    #[test]
    fn serializes_without_empty_parts() {
        let address = Address {
            city: Some("Berlin".into()),
            ..Address::default()
        };
        let json = serde_json::to_value(&address).expect("serializes");
        assert_eq!(json, json!({"city": "Berlin"}), "None parts skipped");
        let back: Address = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, address, "round trip");
    }
}
