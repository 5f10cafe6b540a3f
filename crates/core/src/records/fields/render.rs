//! Rendering a field's stored value back as API JSON, and the stored form of JSON values kept in
//! a record's `custom` object.

use super::*;

impl FieldDef {
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
}

pub(super) fn render_one(kind: &FieldKind, stored: &Value) -> Json {
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

pub(super) fn json_text_or_null(items: Vec<Json>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Text(Json::Array(items).to_string())
    }
}
