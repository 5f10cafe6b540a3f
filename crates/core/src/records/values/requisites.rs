//! A company's legal and bank requisites: a list of objects of optional text fields, the
//! identifier fields restricted to digits, spaces and capital Latin letters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Invalid, optional_text, unknown_field};

/// One set of requisites (a legal entity with one bank account); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requisite {
    /// The legal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Taxpayer identification number (INN, VAT number...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// State registration number (OGRN, company number...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// Tax registration reason code (KPP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_reason_code: Option<String>,
    /// The legal address, as one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_address: Option<String>,
    /// The bank's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// The bank's code (BIC, SWIFT, sort code...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// The account number (or IBAN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The bank's correspondent account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correspondent_account: Option<String>,
}

/// Fields that hold codes and numbers: digits, spaces and letters A-Z only.
const CODE_FIELDS: &[&str] = &[
    "tax_id",
    "registration_number",
    "bank_code",
    "account",
    "correspondent_account",
];

/// Parses a list of requisites: `null` is empty; otherwise an array of at most `max_items`
/// objects. Reports every problem at `[i].<key>` (`unknown_field`, `invalid_type`, `too_long`,
/// `invalid_format`), and `required` at `[i]` for an item with every field empty.
pub fn parse_requisites(value: &Value, max_items: usize) -> Result<Vec<Requisite>, Vec<Invalid>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(vec![Invalid::new("invalid_type", "expected a list of requisites")]),
    };
    if items.len() > max_items {
        return Err(vec![Invalid::new("too_many", format!("at most {max_items} items"))]);
    }
    let mut parsed = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("[{i}]");
        let result = match item {
            Value::Object(object) => parse_requisite(object),
            _ => Err(vec![Invalid::new("invalid_type", "expected a requisites object")]),
        };
        match result {
            Ok(requisite) => parsed.push(requisite),
            Err(item_errors) => errors.extend(item_errors.into_iter().map(|e| e.at(&prefix))),
        }
    }
    if errors.is_empty() { Ok(parsed) } else { Err(errors) }
}

fn parse_requisite(object: &Map<String, Value>) -> Result<Requisite, Vec<Invalid>> {
    let mut requisite = Requisite::default();
    let mut errors = Vec::new();
    for (key, field) in object {
        let slot = match key.as_str() {
            "name" => &mut requisite.name,
            "tax_id" => &mut requisite.tax_id,
            "registration_number" => &mut requisite.registration_number,
            "tax_reason_code" => &mut requisite.tax_reason_code,
            "legal_address" => &mut requisite.legal_address,
            "bank_name" => &mut requisite.bank_name,
            "bank_code" => &mut requisite.bank_code,
            "account" => &mut requisite.account,
            "correspondent_account" => &mut requisite.correspondent_account,
            _ => {
                errors.push(unknown_field(key));
                continue;
            }
        };
        let text = optional_text(field).and_then(|text| match text {
            Some(code) if CODE_FIELDS.contains(&key.as_str()) && !is_code(&code) => Err(Invalid::new(
                "invalid_format",
                "only digits, spaces and capital letters A-Z",
            )),
            text => Ok(text),
        });
        match text {
            Ok(text) => *slot = text,
            Err(e) => errors.push(e.at(&format!(".{key}"))),
        }
    }
    if errors.is_empty() && requisite == Requisite::default() {
        errors.push(Invalid::new("required", "fill in at least one field"));
    }
    if errors.is_empty() { Ok(requisite) } else { Err(errors) }
}

fn is_code(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == ' ')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Expected problems: (path, code), in order.
    type Problems = &'static [(&'static str, &'static str)];

    #[test]
    fn parses_requisites() {
        let russian = Requisite {
            name: Some("ООО «Ромашка»".into()),
            tax_id: Some("7701234567".into()),
            registration_number: Some("1027700132195".into()),
            tax_reason_code: Some("770101001".into()),
            legal_address: Some("Москва, ул. Ленина, 1".into()),
            bank_name: Some("ПАО Сбербанк".into()),
            bank_code: Some("044525225".into()),
            account: Some("40702810938000012345".into()),
            correspondent_account: Some("30101810400000000225".into()),
        };
        let iban = Requisite {
            account: Some("GB29 NWBK 6016 1331 9268 19".into()),
            ..Requisite::default()
        };
        let cases = [
            (json!(null), vec![], "null"),
            (json!([]), vec![], "empty list"),
            (
                json!([{"name": "ООО «Ромашка»", "tax_id": "7701234567", "registration_number": "1027700132195",
                        "tax_reason_code": "770101001", "legal_address": "Москва, ул. Ленина, 1",
                        "bank_name": "ПАО Сбербанк", "bank_code": "044525225", "account": "40702810938000012345",
                        "correspondent_account": "30101810400000000225"}]),
                vec![russian],
                "every field",
            ),
            (
                json!([{"account": " GB29 NWBK 6016 1331 9268 19 ", "name": ""}]),
                vec![iban],
                "iban, blanks as none",
            ),
        ];
        for (value, expected, why) in cases {
            assert_eq!(parse_requisites(&value, 3), Ok(expected), "{why}");
        }
    }

    #[test]
    fn rejects_requisites() {
        let cases: [(Value, Problems, &str); 6] = [
            (json!({"name": "x"}), &[("", "invalid_type")], "not a list"),
            (json!([{}, {}, {}, {}]), &[("", "too_many")], "over max items"),
            (
                json!([{"name": "A"}, "B", null]),
                &[("[1]", "invalid_type"), ("[2]", "invalid_type")],
                "non-object items",
            ),
            (
                json!([{"name": "A"}, {"name": " ", "bank_code": null}]),
                &[("[1]", "required")],
                "all fields empty",
            ),
            (
                json!([{"tax_id": "77-01", "account": "gb29", "bank_name": 5, "inn": "1"}]),
                &[
                    ("[0].account", "invalid_format"),
                    ("[0].bank_name", "invalid_type"),
                    ("[0].inn", "unknown_field"),
                    ("[0].tax_id", "invalid_format"),
                ],
                "every bad field",
            ),
            (
                json!([{"name": "A"}, {"legal_address": "x".repeat(256), "tax_reason_code": "77-01"}]),
                &[("[1].legal_address", "too_long")],
                "too long; tax reason code is free text",
            ),
        ];
        for (value, expected, why) in cases {
            let errors = parse_requisites(&value, 3).expect_err(why);
            let mut got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
            got.sort_unstable();
            assert_eq!(got, expected, "{why}");
        }
    }

    #[test]
    fn serializes_without_empty_fields() {
        let requisite = Requisite {
            tax_id: Some("7701234567".into()),
            ..Requisite::default()
        };
        let json = serde_json::to_value(&requisite).expect("serializes");
        assert_eq!(json, json!({"tax_id": "7701234567"}), "None fields skipped");
        let back: Requisite = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, requisite, "round trip");
    }
}
