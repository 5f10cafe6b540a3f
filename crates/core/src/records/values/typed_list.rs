//! The multi-value contact fields (`phones`, `emails`, `websites`, `messengers`): lists of
//! `{"value", "type"}` parsed and normalized, their API form and their storage form.

use serde_json::{Map, Value, json};

use super::{Email, Invalid, MAX_TEXT, Phone, parse_website, required, too_long, unknown_field};

/// Which contact list a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// `phones`: values are phone numbers, normalized to E.164.
    Phone,
    /// `emails`: values are e-mail addresses, normalized to lowercase.
    Email,
    /// `websites`: values are web addresses.
    Website,
    /// `messengers`: values are handles or numbers in a messenger, free text.
    Messenger,
}

impl ListKind {
    /// The allowed `type`s of an item.
    pub fn types(self) -> &'static [&'static str] {
        match self {
            ListKind::Phone => &["work", "mobile", "home", "fax", "pager", "other"],
            ListKind::Email => &["work", "home", "newsletter", "other"],
            ListKind::Website => &["work", "home", "facebook", "vk", "telegram", "instagram", "other"],
            ListKind::Messenger => &[
                "telegram",
                "whatsapp",
                "viber",
                "skype",
                "vk",
                "facebook",
                "instagram",
                "imessage",
                "other",
            ],
        }
    }

    /// The `type` of an item that does not say.
    pub fn default_type(self) -> &'static str {
        match self {
            ListKind::Phone | ListKind::Email | ListKind::Website => "work",
            ListKind::Messenger => "telegram",
        }
    }
}

/// One item of a contact list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedValue {
    /// The value as typed, trimmed.
    pub value: String,
    /// The item's type, one of [`ListKind::types`].
    pub kind: String,
    /// The form used for matching and deduplication: E.164 for phones, lowercase otherwise.
    pub normalized: String,
}

/// Parses a contact list: `null` is empty; otherwise an array (at most `max_items`) of
/// `{"value", "type"}` objects or bare strings. Phones are read for `default_country`. Items
/// with the same normalized value after the first are dropped. Reports every bad item.
pub fn parse_typed_list(
    value: &Value,
    kind: ListKind,
    default_country: &str,
    max_items: usize,
) -> Result<Vec<TypedValue>, Vec<Invalid>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(vec![Invalid::new(
                "invalid_type",
                "expected a list of {\"value\", \"type\"}",
            )]);
        }
    };
    if items.len() > max_items {
        return Err(vec![Invalid::new("too_many", format!("at most {max_items} items"))]);
    }
    let mut parsed: Vec<TypedValue> = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("[{i}]");
        match parse_item(item, kind, default_country) {
            Ok(typed) if parsed.iter().any(|p| p.normalized == typed.normalized) => {}
            Ok(typed) => parsed.push(typed),
            Err(item_errors) => errors.extend(item_errors.into_iter().map(|e| e.at(&prefix))),
        }
    }
    if errors.is_empty() { Ok(parsed) } else { Err(errors) }
}

/// The API form of a list: `[{"value", "type"}]`, plus `"e164"` for phones. A list does not
/// record its kind, so an item counts as a phone when its type is a phone type and its
/// normalized form is E.164 (`+` and 8..=15 digits): e-mails and websites never are.
pub fn typed_list_json(items: &[TypedValue]) -> Value {
    let items = items.iter().map(|item| {
        let mut object = json!({ "value": item.value, "type": item.kind });
        if ListKind::Phone.types().contains(&item.kind.as_str()) && is_e164(&item.normalized) {
            object["e164"] = Value::from(item.normalized.as_str());
        }
        object
    });
    Value::Array(items.collect())
}

/// The storage form of a list: `[{"value", "type", "normalized"}]`.
pub fn typed_list_storage(items: &[TypedValue]) -> Value {
    let items = items
        .iter()
        .map(|item| json!({ "value": item.value, "type": item.kind, "normalized": item.normalized }));
    Value::Array(items.collect())
}

/// Reads back what [`typed_list_storage`] wrote; items without a `value` are skipped, a missing
/// `type` reads as `other`, a missing `normalized` as `e164` or else the value.
pub fn typed_list_from_json(stored: &Value) -> Vec<TypedValue> {
    let Some(items) = stored.as_array() else {
        return Vec::new();
    };
    let text = |object: &Map<String, Value>, key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|object| {
            let value = text(object, "value")?;
            let kind = text(object, "type").unwrap_or_else(|| "other".to_string());
            let normalized = text(object, "normalized")
                .or_else(|| text(object, "e164"))
                .unwrap_or_else(|| value.clone());
            Some(TypedValue {
                value,
                kind,
                normalized,
            })
        })
        .collect()
}

fn is_e164(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|digits| (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// One item; errors have paths relative to the item (`.value`, `.type`, "").
fn parse_item(item: &Value, kind: ListKind, default_country: &str) -> Result<TypedValue, Vec<Invalid>> {
    let (text, item_type, mut errors, value_path) = match item {
        Value::String(text) => (
            Some(text.as_str()),
            Some(kind.default_type().to_string()),
            Vec::new(),
            "",
        ),
        Value::Object(object) => {
            let (text, item_type, errors) = item_fields(object, kind);
            (text, item_type, errors, ".value")
        }
        _ => {
            return Err(vec![Invalid::new(
                "invalid_type",
                "expected {\"value\", \"type\"} or a string",
            )]);
        }
    };
    let parsed = text.and_then(|text| {
        parse_value(text, kind, default_country)
            .map_err(|e| errors.push(e.at(value_path)))
            .ok()
    });
    match (parsed, item_type) {
        (Some((value, normalized)), Some(kind)) if errors.is_empty() => Ok(TypedValue {
            value,
            kind,
            normalized,
        }),
        _ => Err(errors),
    }
}

/// The `value` text and the `type` of an item object, with the problems found in its fields.
/// A phone's `e164` (as the API renders it) is accepted and recomputed, so a record read back
/// can be sent again unchanged.
fn item_fields(object: &Map<String, Value>, kind: ListKind) -> (Option<&str>, Option<String>, Vec<Invalid>) {
    let mut errors: Vec<Invalid> = object
        .keys()
        .filter(|key| {
            let known = matches!(key.as_str(), "value" | "type") || (kind == ListKind::Phone && key.as_str() == "e164");
            !known
        })
        .map(|key| unknown_field(key))
        .collect();
    let text = match object.get("value") {
        Some(Value::String(text)) => Some(text.as_str()),
        None | Some(Value::Null) => {
            errors.push(required().at(".value"));
            None
        }
        Some(_) => {
            errors.push(Invalid::new("invalid_type", "expected a string").at(".value"));
            None
        }
    };
    let item_type = match object.get("type") {
        None | Some(Value::Null) => Some(kind.default_type()),
        Some(Value::String(name)) => kind
            .types()
            .iter()
            .copied()
            .find(|t| t.eq_ignore_ascii_case(name.trim())),
        Some(_) => None,
    };
    if item_type.is_none() {
        let choices = kind.types().join(", ");
        errors.push(Invalid::new("invalid_choice", format!("expected one of: {choices}")).at(".type"));
    }
    (text, item_type.map(str::to_string), errors)
}

/// The value as kept and its normalized form, per kind.
fn parse_value(text: &str, kind: ListKind, default_country: &str) -> Result<(String, String), Invalid> {
    match kind {
        ListKind::Phone => Phone::parse(text, default_country).map(|phone| (phone.value, phone.e164)),
        ListKind::Email => Email::parse(text).map(|email| (email.value, email.normalized)),
        ListKind::Website => parse_website(text).map(|site| (site.clone(), site.to_lowercase())),
        ListKind::Messenger => {
            let text = text.trim();
            match text.chars().count() {
                0 => Err(required()),
                n if n > MAX_TEXT => Err(too_long(MAX_TEXT)),
                _ => Ok((text.to_string(), text.to_lowercase())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected problems: (path, code), in order.
    type Problems = &'static [(&'static str, &'static str)];

    fn typed(value: &str, kind: &str, normalized: &str) -> TypedValue {
        TypedValue {
            value: value.into(),
            kind: kind.into(),
            normalized: normalized.into(),
        }
    }

    #[test]
    fn parses_lists() {
        let cases = [
            (json!(null), ListKind::Phone, vec![], "null is empty"),
            (json!([]), ListKind::Email, vec![], "empty array"),
            (
                json!([{"value": "+79991234567", "type": "work"}, {"value": "8 999 765 43 21", "type": "Mobile"}]),
                ListKind::Phone,
                vec![
                    typed("+79991234567", "work", "+79991234567"),
                    typed("8 999 765 43 21", "mobile", "+79997654321"),
                ],
                "phones with types, national with default country",
            ),
            (
                json!(["+7 999 123-45-67", {"value": "89991234567", "type": "home"}]),
                ListKind::Phone,
                vec![typed("+7 999 123-45-67", "work", "+79991234567")],
                "bare string, duplicate by e164 dropped",
            ),
            (
                json!([{"value": " Ivan@Example.com "}, {"value": "ivan@example.com", "type": "home"}, "Иван@Почта.рф"]),
                ListKind::Email,
                vec![
                    typed("Ivan@Example.com", "work", "ivan@example.com"),
                    typed("Иван@Почта.рф", "work", "иван@почта.рф"),
                ],
                "emails: trimmed, default type, duplicate dropped, cyrillic",
            ),
            (
                json!([{"value": "Example.com/Shop", "type": "vk"}, {"value": "example.com/shop", "type": null}]),
                ListKind::Website,
                vec![typed("Example.com/Shop", "vk", "example.com/shop")],
                "websites: lowercase normalized, null type",
            ),
            (
                json!(["@IvanPetrov", {"value": "+79991234567", "type": "whatsapp"}]),
                ListKind::Messenger,
                vec![
                    typed("@IvanPetrov", "telegram", "@ivanpetrov"),
                    typed("+79991234567", "whatsapp", "+79991234567"),
                ],
                "messengers with default telegram",
            ),
        ];
        for (value, kind, expected, why) in cases {
            assert_eq!(parse_typed_list(&value, kind, "RU", 10), Ok(expected), "{why}");
        }
    }

    #[test]
    fn reports_every_bad_item() {
        let long = "я".repeat(256);
        let cases: [(Value, ListKind, Problems, &str); 10] = [
            (
                json!("+79991234567"),
                ListKind::Phone,
                &[("", "invalid_type")],
                "not an array",
            ),
            (
                json!({"value": "x"}),
                ListKind::Phone,
                &[("", "invalid_type")],
                "an object",
            ),
            (
                json!(["a", "b", "c", "d", "e"]),
                ListKind::Messenger,
                &[("", "too_many")],
                "over max items",
            ),
            (
                json!(["+79991234567", "nonsense", {"value": "123"}]),
                ListKind::Phone,
                &[("[1]", "invalid_phone"), ("[2].value", "invalid_phone")],
                "bad bare string and bad object value",
            ),
            (
                json!([{"value": "a@b.c", "type": "fax"}]),
                ListKind::Email,
                &[("[0].type", "invalid_choice")],
                "type not allowed for the kind",
            ),
            (
                json!([{"value": "bad", "type": 5, "label": "x"}]),
                ListKind::Email,
                &[
                    ("[0].label", "unknown_field"),
                    ("[0].type", "invalid_choice"),
                    ("[0].value", "invalid_email"),
                ],
                "every problem of one item",
            ),
            (
                json!([{"type": "work"}, {"value": null}, {"value": 5}, ""]),
                ListKind::Website,
                &[
                    ("[0].value", "required"),
                    ("[1].value", "required"),
                    ("[2].value", "invalid_type"),
                    ("[3]", "required"),
                ],
                "missing, null, non-string and empty values",
            ),
            (
                json!([5, null]),
                ListKind::Email,
                &[("[0]", "invalid_type"), ("[1]", "invalid_type")],
                "non-object items",
            ),
            (
                json!([long]),
                ListKind::Messenger,
                &[("[0]", "too_long")],
                "messenger over 255",
            ),
            (
                json!(["   "]),
                ListKind::Messenger,
                &[("[0]", "required")],
                "blank messenger",
            ),
        ];
        for (value, kind, expected, why) in cases {
            let errors = parse_typed_list(&value, kind, "RU", 4).expect_err(why);
            let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
            assert_eq!(got, expected, "{why}");
        }
    }

    #[test]
    fn kinds_have_defaults_among_types() {
        for kind in [ListKind::Phone, ListKind::Email, ListKind::Website, ListKind::Messenger] {
            assert!(kind.types().contains(&kind.default_type()), "{kind:?}");
            assert!(kind.types().contains(&"other"), "{kind:?} has other");
        }
    }

    #[test]
    fn json_forms_round_trip() {
        let phones = vec![
            typed("8 999 123 45 67", "mobile", "+79991234567"),
            typed("+442079460958", "work", "+442079460958"),
        ];
        assert_eq!(
            typed_list_json(&phones),
            json!([
                {"value": "8 999 123 45 67", "type": "mobile", "e164": "+79991234567"},
                {"value": "+442079460958", "type": "work", "e164": "+442079460958"},
            ]),
            "phones carry e164"
        );
        let emails = vec![typed("Ivan@Example.com", "work", "ivan@example.com")];
        assert_eq!(
            typed_list_json(&emails),
            json!([{"value": "Ivan@Example.com", "type": "work"}]),
            "emails without normalized"
        );
        let messengers = vec![typed("+79991234567", "whatsapp", "+79991234567")];
        assert_eq!(
            typed_list_json(&messengers),
            json!([{"value": "+79991234567", "type": "whatsapp"}]),
            "a messenger number is not a phone"
        );
        let stored = typed_list_storage(&phones);
        assert_eq!(
            stored[0],
            json!({"value": "8 999 123 45 67", "type": "mobile", "normalized": "+79991234567"})
        );
        assert_eq!(typed_list_from_json(&stored), phones, "storage round trip");
        assert_eq!(
            typed_list_from_json(&typed_list_json(&phones)),
            phones,
            "api form reads back"
        );
    }

    #[test]
    fn reads_back_leniently() {
        let cases = [
            (json!(null), vec![], "null"),
            (json!("x"), vec![], "not an array"),
            (
                json!([{"type": "work"}, 5, {"value": "Skype.Me"}]),
                vec![typed("Skype.Me", "other", "Skype.Me")],
                "partial items",
            ),
        ];
        for (stored, expected, why) in cases {
            assert_eq!(typed_list_from_json(&stored), expected, "{why}");
        }
    }
}
