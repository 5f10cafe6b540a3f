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
use crate::acl::{Action, Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::resource::{ListQuery, Page, Where, audit, check_version};

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

const WRITABLE: &[&str] = &[
    "entity",
    "code",
    "label",
    "type",
    "multiple",
    "required",
    "default",
    "sort",
    "show_in_list",
    "options",
    "dictionary",
    "record_entity",
    "signed",
];

const COLUMNS: &str = "id, entity, code, label_en, label_ru, type, multiple, required, default_value, options, \
                       sort, show_in_list, version, created_at, updated_at, created_by, updated_by";

/// The custom fields of `entity` as field definitions, in their order.
pub fn field_defs(db: &dyn Db, entity: &str) -> Result<Vec<FieldDef>, CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM custom_fields WHERE entity = ? ORDER BY sort, id"),
        &[entity.into()],
    )?;
    Ok(rows.iter().filter_map(|r| field_def(&r)).collect())
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

fn field_def(row: &Row) -> Option<FieldDef> {
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

fn record(row: &Row) -> Json {
    let options: Json = row
        .str("options")
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(json!({}));
    let mut out = json!({
        "id": row.i64("id"),
        "entity": row.str("entity"),
        "code": row.str("code"),
        "label": {"en": row.str("label_en"), "ru": row.str("label_ru")},
        "type": row.str("type"),
        "multiple": row.i64("multiple") == Some(1),
        "required": row.i64("required") == Some(1),
        "default": row.str("default_value").and_then(|d| serde_json::from_str::<Json>(d).ok()),
        "sort": row.i64("sort"),
        "show_in_list": row.i64("show_in_list") == Some(1),
        "version": row.i64("version"),
        "created_at": row.i64("created_at").map(crate::clock::rfc3339),
        "updated_at": row.i64("updated_at").map(crate::clock::rfc3339),
        "created_by": row.i64("created_by"),
        "updated_by": row.i64("updated_by"),
    });
    if let (Json::Object(target), Json::Object(extra)) = (&mut out, options) {
        target.extend(extra);
    }
    out
}

/// Lists custom fields (any authenticated user; `filter[entity]=lead`), by entity, sort, id.
pub fn list(db: &dyn Db, _caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
    let mut filter = Where::default();
    if let Some(entity) = query.filter("entity") {
        filter.and("entity = ?", [entity.into()]);
    }
    filter.page(db, &format!("SELECT {COLUMNS} FROM custom_fields"), query, |row| {
        Ok(record(row))
    })
}

/// One custom field definition.
pub fn get(db: &dyn Db, _caller: &Caller, id: i64) -> Result<Json, CoreError> {
    load(db, id)?.map(|r| r.1).ok_or(CoreError::NotFound)
}

fn load(db: &dyn Db, id: i64) -> Result<Option<(Stored, Json)>, CoreError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM custom_fields WHERE id = ?"),
        &[id.into()],
    )?;
    Ok(rows.first().map(|r| {
        (
            Stored {
                entity: r.str("entity").unwrap_or_default().to_string(),
                code: r.str("code").unwrap_or_default().to_string(),
                type_code: r.str("type").unwrap_or_default().to_string(),
                multiple: r.i64("multiple") == Some(1),
                options: r
                    .str("options")
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or(json!({})),
                version: r.i64("version").unwrap_or_default(),
            },
            record(&r),
        )
    }))
}

struct Stored {
    entity: String,
    code: String,
    type_code: String,
    multiple: bool,
    options: Json,
    version: i64,
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
        for key in map.keys().filter(|k| !WRITABLE.contains(&k.as_str())) {
            errors.push(key.clone(), "unknown_field", "not a writable field");
        }
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
                let known = kind
                    .as_str()
                    .is_some_and(|k| crate::dictionaries::KINDS.iter().any(|(_, stored)| *stored == k));
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

fn require_settings(caller: &Caller, action: Action) -> Result<(), CoreError> {
    caller.require(Entity::Settings, action)
}

/// Creates a custom field (settings add); 409 if the entity already has the code.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    require_settings(caller, Action::Add)?;
    let draft = Draft::read(body, None)?;
    transaction(db, |db| {
        let taken = db.query(
            "SELECT 1 FROM custom_fields WHERE entity = ? AND code = ?",
            &[draft.entity.as_str().into(), draft.code.as_str().into()],
        )?;
        if !taken.is_empty() {
            return Err(CoreError::Conflict(format!(
                "{} already has a field {}",
                draft.entity, draft.code
            )));
        }
        let now = crate::clock::now();
        db.execute(
            "INSERT INTO custom_fields (entity, code, label_en, label_ru, type, multiple, required, default_value, \
             options, sort, show_in_list, version, created_at, updated_at, created_by, updated_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            &[
                draft.entity.as_str().into(),
                draft.code.as_str().into(),
                draft.label.0.as_str().into(),
                draft.label.1.as_str().into(),
                draft.type_code.as_str().into(),
                draft.multiple.into(),
                draft.required.into(),
                draft.default.as_ref().map(Json::to_string).into(),
                draft.options.to_string().into(),
                draft.sort.into(),
                draft.show_in_list.into(),
                now.into(),
                now.into(),
                caller.user_id.into(),
                caller.user_id.into(),
            ],
        )?;
        let id = db.last_insert_id()?;
        audit(
            db,
            caller,
            "custom_field.created",
            ("custom_field", id),
            json!({"code": draft.code}),
            client,
        )?;
        get(db, caller, id)
    })
}

/// Changes a custom field's label, required flag, default, order, list flag or options
/// (settings update); entity, code, type and multiplicity are fixed (422).
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    require_settings(caller, Action::Update)?;
    transaction(db, |db| {
        let (stored, current) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(stored.version, if_match)?;
        let draft = Draft::read(body, Some((&stored, &current)))?;
        db.execute(
            "UPDATE custom_fields SET label_en = ?, label_ru = ?, required = ?, default_value = ?, options = ?, \
             sort = ?, show_in_list = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            &[
                draft.label.0.as_str().into(),
                draft.label.1.as_str().into(),
                draft.required.into(),
                draft.default.as_ref().map(Json::to_string).into(),
                draft.options.to_string().into(),
                draft.sort.into(),
                draft.show_in_list.into(),
                crate::clock::now().into(),
                caller.user_id.into(),
                id.into(),
            ],
        )?;
        audit(
            db,
            caller,
            "custom_field.updated",
            ("custom_field", id),
            json!({"code": stored.code}),
            client,
        )?;
        get(db, caller, id)
    })
}

/// Deletes a custom field and its values in every record of the entity (settings delete).
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    id: i64,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    require_settings(caller, Action::Delete)?;
    transaction(db, |db| {
        let (stored, _) = load(db, id)?.ok_or(CoreError::NotFound)?;
        check_version(stored.version, if_match)?;
        let def = EntityDef::builtin(&stored.entity).ok_or(CoreError::NotFound)?;
        db.execute("DELETE FROM custom_fields WHERE id = ?", &[id.into()])?;
        let path = format!("$.{}", stored.code);
        db.execute(
            &format!(
                "UPDATE {} SET custom = json_remove(custom, ?) WHERE json_extract(custom, ?) IS NOT NULL",
                def.table
            ),
            &[path.as_str().into(), Value::from(path.as_str())],
        )?;
        audit(
            db,
            caller,
            "custom_field.deleted",
            ("custom_field", id),
            json!({"code": stored.code}),
            client,
        )
    })
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
