//! Custom fields (`/api/custom-fields`): rows of `custom_fields` that become [`FieldDef`]s of
//! the same shape as built-in ones, so their values parse, validate, filter, sort and render
//! through the same field types. A field's entity, code, type and multiplicity are fixed once
//! created (changing them would reinterpret stored values: 422); deleting a field removes its
//! values from every record in the same transaction.
//!
//! Decimal and money fields hold 0 to 9 999 999 999 999.99 ([`Numeric::MONEY`]); defined with
//! `"signed": true` they also take negatives down to −9 999 999 999 999.99
//! ([`Numeric::SIGNED_MONEY`]). A field may become signed later, never unsigned again (values
//! already stored keep meeting their field's bounds). Defaults stored as JSON numbers before
//! decimals had to be strings are read as strings.

use serde_json::{Map, Value as Json, json};

use super::entity::EntityDef;
use super::fields::{FieldDef, FieldKind, Options, ParseContext, Storage};
use super::values::Numeric;
use crate::acl::Entity;
use crate::db::{Db, Row, Value};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{Access, Audit, Cx, Detail, Field, Hooks, ID, Key, Resource, Store, Unique, service_functions};

/// Filters `GET /api/custom-fields` accepts.
pub const FILTERS: &[&str] = &["entity"];

const TYPES: &[&str] = &[
    "string",
    "text",
    "integer",
    "decimal",
    "money",
    "boolean",
    "date",
    "datetime",
    "enumeration",
    "currency",
    "emails",
    "phones",
    "websites",
    "messengers",
    "address",
    "user",
    "record",
];

/// Custom fields, declared. Anyone signed in reads them; writing needs the `settings`
/// permission. A definition is read whole (the body over the stored definition) by the
/// `before` hook, which also folds `options`, `dictionary`, `record_entity` and `signed` into
/// the one `options` column the record shows them from; it is rewritten whole. A code the
/// entity already has is 409; deleting a field removes its values from every record.
pub const CUSTOM_FIELDS: Resource = Resource {
    fields: &[
        ID,
        Field::any("entity", Store::Text("entity")),
        Field::any("code", Store::Text("code")),
        Field::any("label", Store::Names("label_en", "label_ru")),
        Field::any("type", Store::Text("type")),
        Field::any("multiple", Store::Bool("multiple")),
        Field::any("required", Store::Bool("required")),
        Field::any("default", Store::Json("default_value")),
        Field::any("sort", Store::Int("sort")),
        Field::any("show_in_list", Store::Bool("show_in_list")),
        Field::any("options", Store::Virtual),
        Field::any("dictionary", Store::Virtual),
        Field::any("record_entity", Store::Virtual),
        Field::any("signed", Store::Virtual),
        Field::read_only("options_column", Store::Secret("options")),
    ],
    filters: FILTERS,
    unique: Some(Unique {
        columns: &["entity", "code"],
        nocase: false,
        message: "{entity} already has a field {code}",
    }),
    parse_after_load: true,
    always_write: true,
    audit: Audit {
        created: &[Detail::Field("code")],
        updated: &[Detail::Field("code")],
        deleted: &[Detail::Field("code")],
    },
    hooks: Hooks {
        before: Some(read_definition),
        deleting: Some(remove_values),
        finish: Some(show_options),
        ..Hooks::NONE
    },
    ..Resource::new("custom_fields", "custom_field", Access::open_read(Entity::Settings))
};

/// The columns of a custom field that make its [`FieldDef`] (with its entity), as a literal
/// for queries built with `concat!` ([`super::workspace`]).
macro_rules! definition_columns {
    () => {
        "entity, code, label_en, label_ru, type, multiple, required, default_value, options, show_in_list, sort, id"
    };
}
pub(crate) use definition_columns;

/// The names of [`definition_columns`], in order.
pub(crate) fn definition_column_names() -> Vec<String> {
    definition_columns!().split(", ").map(str::to_owned).collect()
}

/// The custom fields of `entity` as field definitions, in their order, and the firm's
/// [`ParseContext`], in one statement (a request pays per statement where the database is
/// remote): the settings row joined to the fields, so there is a row even without fields.
pub fn field_defs_and_parse_context(db: &dyn Db, entity: &str) -> Result<(Vec<FieldDef>, ParseContext), CoreError> {
    let rows = db.query(
        &format!(
            "SELECT s.value AS default_country, c.* FROM (SELECT 1) \
             LEFT JOIN app_settings s ON s.key = 'default_country' \
             LEFT JOIN (SELECT {} FROM custom_fields WHERE entity = ?) c \
             ORDER BY c.sort, c.id",
            definition_columns!()
        ),
        &[entity.into()],
    )?;
    let parse = match rows.first().and_then(|r| r.str("default_country")) {
        Some(country) => ParseContext {
            default_country: country.to_string(),
        },
        None => ParseContext::default(),
    };
    Ok((rows.iter().filter_map(|r| field_def(&r)).collect(), parse))
}

fn kind_of(type_code: &str, options: &Json) -> Option<FieldKind> {
    let numeric = if options["signed"] == Json::Bool(true) {
        Numeric::SIGNED_MONEY
    } else {
        Numeric::MONEY
    };
    Some(match type_code {
        "string" => FieldKind::String,
        "text" => FieldKind::Text,
        "integer" => FieldKind::Integer,
        "decimal" => FieldKind::Decimal(numeric),
        "money" => FieldKind::Money(numeric),
        "boolean" => FieldKind::Boolean,
        "date" => FieldKind::Date,
        "datetime" => FieldKind::Datetime,
        "currency" => FieldKind::Currency,
        "emails" => FieldKind::Emails,
        "phones" => FieldKind::Phones,
        "websites" => FieldKind::Websites,
        "messengers" => FieldKind::Messengers,
        "address" => FieldKind::Address,
        "user" => FieldKind::User,
        "record" => FieldKind::Record(super::entity::static_name(options["record_entity"].as_str()?)?),
        "enumeration" => FieldKind::Enumeration(match options["dictionary"].as_str() {
            Some(kind) => Options::Dictionary(kind.to_string()),
            None => Options::Own(
                options["options"]
                    .as_array()?
                    .iter()
                    .filter_map(|o| o.as_str().map(str::to_owned))
                    .collect(),
            ),
        }),
        _ => return None,
    })
}

/// The definition of a stored custom field ([`definition_columns`]); `None` for a type this
/// build does not know.
pub(crate) fn field_def(row: &Row) -> Option<FieldDef> {
    let options: Json = row
        .str("options")
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Json::Null);
    let kind = kind_of(row.str("type")?, &options)?;
    let mut def = FieldDef::column(row.str("code")?, row.str("label_en")?, row.str("label_ru")?, kind);
    def.storage = Storage::Custom;
    def.multiple = row.i64("multiple") == Some(1);
    def.required = row.i64("required") == Some(1);
    def.show_in_list = row.i64("show_in_list") == Some(1);
    if def.multiple {
        def.max = 50;
    }
    def.default = row
        .str("default_value")
        .and_then(|d| serde_json::from_str(d).ok())
        .map(|d| numbers_as_strings(&def.kind, d));
    Some(def)
}

/// A decimal or money default as decimal strings: `5` -> `"5"`, `{"amount": 5, ...}` ->
/// `{"amount": "5", ...}`, in lists too (defaults stored before JSON numbers were refused).
fn numbers_as_strings(kind: &FieldKind, default: Json) -> Json {
    match (kind, default) {
        (_, Json::Array(items)) => Json::Array(items.into_iter().map(|d| numbers_as_strings(kind, d)).collect()),
        (FieldKind::Decimal(_), Json::Number(n)) => Json::String(n.to_string()),
        (FieldKind::Money(_), Json::Object(mut money)) => {
            if let Some(Json::Number(n)) = money.get("amount") {
                let text = n.to_string();
                money.insert("amount".into(), Json::String(text));
            }
            Json::Object(money)
        }
        (_, other) => other,
    }
}

service_functions!(CUSTOM_FIELDS: list, get, create, update, delete);

/// The `before` hook: the definition read whole and checked ([`Draft::read`]), then written
/// back as the columns hold it.
fn read_definition(cx: &mut Cx) -> Result<(), CoreError> {
    let stored = cx.draft.current().map(Stored::of);
    let base = stored.as_ref().zip(cx.draft.current());
    let draft = Draft::read(cx.draft.body(), base)?;
    if cx.creating() {
        cx.draft.set("entity", Json::from(draft.entity));
        cx.draft.set("code", Json::from(draft.code));
        cx.draft.set("type", Json::from(draft.type_code));
        cx.draft.set("multiple", Json::from(draft.multiple));
    }
    cx.draft.set("label", json!({"en": draft.label.0, "ru": draft.label.1}));
    cx.draft.set("required", Json::from(draft.required));
    cx.draft.set("default", draft.default.unwrap_or(Json::Null));
    cx.draft.set("sort", Json::from(draft.sort));
    cx.draft.set("show_in_list", Json::from(draft.show_in_list));
    cx.draft.set("options_column", Json::from(draft.options.to_string()));
    Ok(())
}

/// The field's values leave every record of its entity with it.
fn remove_values(db: &dyn Db, _: &Key, current: &Json) -> Result<(), CoreError> {
    let stored = Stored::of(current);
    let def = EntityDef::builtin(&stored.entity).ok_or(CoreError::NotFound)?;
    let path = format!("$.{}", stored.code);
    db.execute(
        &format!(
            "UPDATE {} SET custom = json_remove(custom, ?) WHERE json_extract(custom, ?) IS NOT NULL",
            def.table
        ),
        &[path.as_str().into(), Value::from(path.as_str())],
    )?;
    Ok(())
}

/// The options column's keys join the record.
fn show_options(row: &Row, record: &mut Map<String, Json>) -> Result<(), CoreError> {
    if let Some(Json::Object(options)) = row.str("options").and_then(|o| serde_json::from_str(o).ok()) {
        record.extend(options);
    }
    Ok(())
}

/// What a change is checked against: the stored definition's fixed parts and options.
struct Stored {
    entity: String,
    code: String,
    type_code: String,
    multiple: bool,
    options: Json,
}

impl Stored {
    /// From the record as the API shows it (its options' keys at the top level).
    fn of(record: &Json) -> Stored {
        let text = |key: &str| record[key].as_str().unwrap_or_default().to_string();
        let options: Map<String, Json> = ["options", "dictionary", "record_entity", "signed"]
            .iter()
            .filter_map(|key| record.get(*key).map(|v| ((*key).to_string(), v.clone())))
            .collect();
        Stored {
            entity: text("entity"),
            code: text("code"),
            type_code: text("type"),
            multiple: record["multiple"] == true,
            options: Json::Object(options),
        }
    }
}

/// The definition a body describes, checked field by field.
struct Draft {
    entity: String,
    code: String,
    label: (String, String),
    type_code: String,
    multiple: bool,
    required: bool,
    default: Option<Json>,
    sort: i64,
    show_in_list: bool,
    options: Json,
}

fn valid_code(code: &str) -> bool {
    code.len() <= 50
        && code.starts_with("uf_")
        && code.len() > 3
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn valid_option(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 50
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Draft {
    /// Reads a create body (`base` = None) or a patch over the stored definition.
    fn read(body: &Json, base: Option<(&Stored, &Json)>) -> Result<Draft, CoreError> {
        let Some(map) = body.as_object() else {
            return Err(CoreError::BadRequest("the request body must be a JSON object".into()));
        };
        let mut errors = FieldErrors::new();
        let current = base.map(|(_, record)| record.clone()).unwrap_or(json!({}));
        let get = |key: &str| map.get(key).or_else(|| current.get(key)).filter(|v| !v.is_null());
        let text = |key: &str| get(key).and_then(Json::as_str).map(str::to_owned);
        let flag = |key: &str, errors: &mut FieldErrors| match get(key) {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => {
                errors.push(key, "invalid_type", "expected true or false");
                false
            }
        };
        let entity = text("entity").unwrap_or_default();
        if EntityDef::builtin(&entity).is_none() {
            errors.push(
                "entity",
                "invalid_choice",
                format!("must be {}", super::entity::names_text()),
            );
        }
        let code = text("code").unwrap_or_default();
        if !valid_code(&code) {
            errors.push(
                "code",
                "invalid_code",
                "uf_ followed by lowercase letters, digits or _ (at most 50)",
            );
        }
        let type_code = text("type").unwrap_or_default();
        if !TYPES.contains(&type_code.as_str()) {
            errors.push("type", "invalid_choice", format!("must be one of {}", TYPES.join(", ")));
        }
        let multiple = flag("multiple", &mut errors);
        if let Some((stored, _)) = base {
            for (key, same) in [
                ("entity", stored.entity == entity),
                ("code", stored.code == code),
                ("type", stored.type_code == type_code),
                ("multiple", stored.multiple == multiple),
            ] {
                if !same && map.contains_key(key) {
                    errors.push(key, "immutable", "cannot change after the field is created");
                }
            }
        }
        let label_json = get("label").cloned().unwrap_or(Json::Null);
        let en = label_json
            .get("en")
            .and_then(Json::as_str)
            .map(str::trim)
            .unwrap_or_default();
        let ru = label_json.get("ru").and_then(Json::as_str).map(str::trim).unwrap_or(en);
        if en.is_empty() || en.chars().count() > 100 || ru.chars().count() > 100 {
            errors.push("label.en", "required", "a label of 1 to 100 characters is required");
        }
        let options = draft_options(map, base.map(|(s, _)| &s.options), &type_code, &mut errors);
        if let Some((stored, _)) = base
            && stored.options.get("signed") == Some(&Json::Bool(true))
            && options.get("signed") == Some(&Json::Bool(false))
        {
            errors.push(
                "signed",
                "immutable",
                "a signed field stays signed (its values may be negative)",
            );
        }
        let sort = match get("sort") {
            None => 100,
            Some(v) => v.as_i64().unwrap_or_else(|| {
                errors.push("sort", "invalid_type", "expected an integer");
                0
            }),
        };
        let required = flag("required", &mut errors);
        let show_in_list = flag("show_in_list", &mut errors);
        let mut draft = Draft {
            entity,
            code,
            label: (en.to_string(), ru.to_string()),
            type_code,
            multiple,
            required,
            default: get("default").cloned(),
            sort,
            show_in_list,
            options,
        };
        errors.into_result()?;
        draft.check_default()?;
        Ok(draft)
    }

    /// The default must be a valid value of the field (checked by the field type itself).
    fn check_default(&mut self) -> Result<(), CoreError> {
        let Some(default) = &self.default else { return Ok(()) };
        let Some(kind) = kind_of(&self.type_code, &self.options) else {
            return Ok(());
        };
        let mut def = FieldDef::column(&self.code, "", "", kind);
        def.multiple = self.multiple;
        let cx = ParseContext {
            default_country: "RU".into(),
        };
        if let Err(problems) = def.parse(default, &cx, &mut Vec::new()) {
            let mut errors = FieldErrors::new();
            for p in problems {
                errors.push(format!("default{}", p.path), p.code, p.message);
            }
            return errors.into_result();
        }
        Ok(())
    }
}

/// 422 for each option key that only other field types take.
fn refuse_other_options(map: &Map<String, Json>, type_code: &str, errors: &mut FieldErrors) {
    for key in ["options", "dictionary", "record_entity"] {
        if map.contains_key(key) {
            errors.push(
                key,
                "not_applicable",
                format!("only for other field types than {type_code}"),
            );
        }
    }
}

fn draft_options(map: &Map<String, Json>, stored: Option<&Json>, type_code: &str, errors: &mut FieldErrors) -> Json {
    let pick = |key: &str| {
        map.get(key)
            .or_else(|| stored.and_then(|s| s.get(key)))
            .filter(|v| !v.is_null())
    };
    if !matches!(type_code, "decimal" | "money") && map.contains_key("signed") {
        errors.push("signed", "not_applicable", "only for decimal and money fields");
    }
    match type_code {
        "enumeration" => {
            if let Some(kind) = pick("dictionary") {
                let known = kind.as_str().is_some_and(|k| {
                    crate::records::dictionaries::KINDS
                        .iter()
                        .any(|(_, stored)| *stored == k)
                });
                if !known {
                    errors.push("dictionary", "invalid_choice", "not a dictionary kind");
                }
                return json!({ "dictionary": kind });
            }
            let options: Vec<String> = pick("options")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let count = pick("options").and_then(Json::as_array).map_or(0, Vec::len);
            if options.is_empty()
                || options.len() != count
                || options.len() > 200
                || !options.iter().all(|o| valid_option(o))
            {
                errors.push(
                    "options",
                    "invalid_options",
                    "an enumeration needs 1 to 200 option codes (letters, digits, _ or -), or a dictionary",
                );
            }
            json!({ "options": options })
        }
        "decimal" | "money" => {
            refuse_other_options(map, type_code, errors);
            match pick("signed") {
                None | Some(Json::Bool(false)) => json!({ "signed": false }),
                Some(Json::Bool(true)) => json!({ "signed": true }),
                Some(_) => {
                    errors.push("signed", "invalid_type", "expected true or false");
                    json!({ "signed": false })
                }
            }
        }
        "record" => {
            let entity = pick("record_entity").and_then(Json::as_str).unwrap_or_default();
            if EntityDef::builtin(entity).is_none() {
                errors.push(
                    "record_entity",
                    "invalid_choice",
                    format!("must be {}", super::entity::names_text()),
                );
            }
            json!({ "record_entity": entity })
        }
        _ => {
            refuse_other_options(map, type_code, errors);
            json!({})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_money_fields_are_unsigned_unless_defined_signed() {
        assert_eq!(kind_of("decimal", &json!({})), Some(FieldKind::Decimal(Numeric::MONEY)));
        assert_eq!(
            kind_of("decimal", &json!({"signed": true})),
            Some(FieldKind::Decimal(Numeric::SIGNED_MONEY))
        );
        assert_eq!(
            kind_of("money", &json!({"signed": false})),
            Some(FieldKind::Money(Numeric::MONEY))
        );
    }

    #[test]
    fn defaults_stored_as_json_numbers_read_as_decimal_strings() {
        let decimal = FieldKind::Decimal(Numeric::MONEY);
        let money = FieldKind::Money(Numeric::MONEY);
        let cases = [
            (&decimal, json!(5), json!("5")),
            (&decimal, json!(12.5), json!("12.5")),
            (&decimal, json!([1, "2.00"]), json!(["1", "2.00"])),
            (&decimal, json!("3.00"), json!("3.00")),
            (
                &money,
                json!({"amount": 7, "currency": "RUB"}),
                json!({"amount": "7", "currency": "RUB"}),
            ),
            (&FieldKind::Integer, json!(5), json!(5)),
        ];
        for (kind, stored, read) in cases {
            assert_eq!(numbers_as_strings(kind, stored.clone()), read, "{stored}");
        }
    }
}
