//! Parsing a request's JSON into a field's stored form, each type by its own rules, collecting
//! the references (dictionary codes, users, records, currencies) the database must confirm.

use super::render::json_text_or_null;
use super::*;

impl FieldDef {
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

    pub(super) fn parse_one(
        &self,
        value: &Json,
        cx: &ParseContext,
        refs: &mut Vec<Reference>,
    ) -> Result<Value, Vec<Invalid>> {
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

    pub(super) fn text(&self, value: &Json) -> Result<Value, Invalid> {
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
}

pub(super) fn string(value: &Json) -> Result<&str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid::new("invalid_type", "expected a string"))
}

pub(super) fn reference_id(value: &Json) -> Result<i64, Invalid> {
    value
        .as_i64()
        .filter(|id| *id > 0)
        .ok_or_else(|| Invalid::new("invalid_type", "expected a positive integer id"))
}

pub(super) fn code(value: &Json) -> Result<String, Invalid> {
    let text = string(value)?.trim();
    if text.is_empty() || text.len() > 50 {
        return Err(Invalid::new("invalid_choice", "expected a code"));
    }
    Ok(text.to_string())
}

pub(super) fn enumeration(value: &Json, options: &Options, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
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
pub(super) fn bindings(value: &Json, max: usize, refs: &mut Vec<Reference>) -> Result<Value, Vec<Invalid>> {
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
            .and_then(crate::records::entity::static_name);
        let id = item.get("id").and_then(Json::as_i64).filter(|id| *id > 0);
        let unknown = item
            .as_object()
            .and_then(|m| m.keys().find(|k| *k != "entity" && *k != "id").cloned());
        match (entity, id, unknown) {
            (_, _, Some(key)) => {
                errors.push(Invalid::new("unknown_field", "not a binding key").at(&format!("[{i}].{key}")))
            }
            (None, _, _) => errors.push(
                Invalid::new(
                    "invalid_choice",
                    format!("must be {}", crate::records::entity::names_text()),
                )
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

pub(super) fn currency(value: &Json, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
    let code = string(value)?.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new("invalid_currency", "expected a currency code such as RUB"));
    }
    refs.push(Reference::Currency(code.clone()));
    Ok(Value::Text(code))
}

pub(super) fn money(value: &Json, numeric: Numeric, refs: &mut Vec<Reference>) -> Result<Value, Invalid> {
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
