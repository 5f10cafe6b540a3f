//! Dictionaries (lead statuses, sources, contact and company types, industries, employee
//! ranges, deal types, honorifics) and currencies, as `/api/dictionaries/<kind>` and
//! `/api/currencies` see them, plus the look-ups the record engine validates values with
//! ([`missing_codes`], [`semantic_of`], [`currency_exists`], [`base_currency`]).
//!
//! A dictionary entry is `{code, name: {en, ru}, sort, color, system, version, created_at,
//! updated_at}`; lead statuses also carry a `semantic` (`open`, `success`, `failure`). Entries
//! seeded by `sql/0005_dictionaries.sql` are `system`: they may be renamed, reordered and
//! recoloured, but keep their semantic and cannot be deleted. A currency is `{code, name, rate,
//! base, sort, ...}`; `rate` is how many units of the base currency one unit is worth, as a
//! decimal string (never a float) with at least 4 and at most 6 fractional digits (`"92.5000"`),
//! from 0.000001 to 999 999 999 999.999999 ([`Rate`]). Making another currency the base
//! rescales every rate in the same transaction, so amounts keep their meaning; a rescale that
//! would put a rate past those bounds is refused (409). Money is converted through [`Rate`]s
//! as exact integers ([`currency_rates`], [`rate_of`]), never through floats.
//!
//! Reading needs only an authenticated caller; writing needs the `settings` add, update or
//! delete permission. Each write is ONE [`transaction`] together with its audit row, and
//! request bodies are JSON merge-patches whose invalid fields are 422 errors naming them
//! (`name.en`, `color`, `rate`, ...).

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json, json};

use crate::acl::{Action, Caller, Entity};
use crate::audit::{AuditEvent, ClientInfo};
use crate::db::{Db, DbError, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};
use crate::records::usage::{Used, first_use};
use crate::resource::{Body, Changes, Patch, check_version, placeholders, time};

/// The dictionaries: `(URL segment, stored kind code)`, e.g. `("lead-statuses", "lead_status")`.
pub const KINDS: &[(&str, &str)] = &[
    ("lead-statuses", "lead_status"),
    ("sources", "source"),
    ("contact-types", "contact_type"),
    ("company-types", "company_type"),
    ("industries", "industry"),
    ("employee-ranges", "employee_range"),
    ("deal-types", "deal_type"),
    ("honorifics", "honorific"),
];

/// The stored kind whose entries carry a `semantic`.
pub const LEAD_STATUS: &str = "lead_status";

/// The semantics a lead status may have: still being worked on, converted, or lost.
pub const SEMANTICS: &[&str] = &["open", "success", "failure"];

/// English and Russian names of each stored kind, in [`KINDS`] order.
const KIND_NAMES: &[(&str, &str, &str)] = &[
    ("lead_status", "Lead statuses", "Статусы лидов"),
    ("source", "Sources", "Источники"),
    ("contact_type", "Contact types", "Типы контактов"),
    ("company_type", "Company types", "Типы компаний"),
    ("industry", "Industries", "Сферы деятельности"),
    ("employee_range", "Employee ranges", "Количество сотрудников"),
    ("deal_type", "Deal types", "Типы сделок"),
    ("honorific", "Honorifics", "Обращения"),
];

const NAME_MAX: usize = 200;
const SORT_MAX: i64 = 1_000_000_000;

const ENTRY_COLUMNS: &str =
    "kind, code, name_en, name_ru, sort, semantic, color, system, version, created_at, updated_at";
const CURRENCY_COLUMNS: &str = "code, name_en, name_ru, rate, base, sort, version, created_at, updated_at";

const DUPLICATE_ENTRY: &str = "an entry with this code exists";
const DUPLICATE_CURRENCY: &str = "a currency with this code exists";

/// The stored kind of a URL segment (`lead-statuses` -> `lead_status`), if it names one.
pub fn stored_kind(url_kind: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(url, _)| *url == url_kind)
        .map(|(_, stored)| *stored)
}

/// The dictionaries themselves, for `GET /api/dictionaries` (any authenticated caller):
/// `[{"kind": "lead-statuses", "stored_kind": "lead_status", "name": {"en", "ru"},
/// "has_semantic": true}, ...]`, in [`KINDS`] order.
pub fn kinds(_caller: &Caller) -> Vec<Json> {
    KINDS
        .iter()
        .map(|(url, stored)| {
            let (en, ru) = KIND_NAMES
                .iter()
                .find(|(kind, _, _)| kind == stored)
                .map_or((*stored, *stored), |(_, en, ru)| (*en, *ru));
            json!({
                "kind": url,
                "stored_kind": stored,
                "name": {"en": en, "ru": ru},
                "has_semantic": *stored == LEAD_STATUS,
            })
        })
        .collect()
}

/// The entries of the dictionary `kind` (a URL segment such as `lead-statuses`), by `sort`
/// then `code` (any authenticated caller); an unknown kind is [`CoreError::NotFound`].
pub fn list(db: &dyn Db, _caller: &Caller, kind: &str) -> Result<Vec<Json>, CoreError> {
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    let rows = db.query(
        &format!("SELECT {ENTRY_COLUMNS} FROM dictionary_entries WHERE kind = ? ORDER BY sort, code"),
        &[kind.into()],
    )?;
    Ok(rows.iter().map(|row| entry_record(&row)).collect())
}

/// One entry of the dictionary `kind` (a URL segment); 404 for an unknown kind or code.
pub fn get(db: &dyn Db, _caller: &Caller, kind: &str, code: &str) -> Result<Json, CoreError> {
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    load_entry(db, kind, code)?
        .map(|(_, record)| record)
        .ok_or(CoreError::NotFound)
}

/// Adds an entry to the dictionary `kind` (settings add) from `{code, name: {en, ru?},
/// sort?, color?, semantic}` (`semantic` for lead statuses only, and required there); `name.ru`
/// defaults to `name.en`, `sort` to the largest one plus 10. A taken code is 409.
pub fn create(db: &dyn Db, caller: &Caller, kind: &str, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    let input = EntryInput::parse(body, kind, true)?;
    let (Some(code), Patch::Set(name_en)) = (&input.code, &input.name.en) else {
        return Err(CoreError::Internal("entry input lacks a required field".into()));
    };
    let name_ru = match &input.name.ru {
        Patch::Set(ru) => ru.clone(),
        _ => name_en.clone(),
    };
    transaction(db, |db| {
        if load_entry(db, kind, code)?.is_some() {
            return Err(CoreError::Conflict(DUPLICATE_ENTRY.into()));
        }
        let sort = match input.sort {
            Patch::Set(sort) => sort,
            _ => next_sort(
                db,
                "SELECT coalesce(max(sort), 0) FROM dictionary_entries WHERE kind = ?",
                &[kind.into()],
            )?,
        };
        let semantic = input.semantic.change().flatten();
        let color = input.color.change().flatten();
        let now = crate::clock::now();
        let inserted = db.execute(
            "INSERT INTO dictionary_entries \
             (kind, code, name_en, name_ru, sort, semantic, color, system, version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?)",
            &[
                kind.into(),
                code.as_str().into(),
                name_en.as_str().into(),
                name_ru.as_str().into(),
                sort.into(),
                semantic.clone().into(),
                color.into(),
                now.into(),
                now.into(),
            ],
        );
        map_unique(inserted, DUPLICATE_ENTRY)?;
        audit(
            db,
            caller,
            "dictionary_entry.created",
            json!({ "kind": kind, "code": code, "semantic": semantic }),
            client,
        )?;
        load_entry(db, kind, code)?
            .map(|(_, record)| record)
            .ok_or(CoreError::NotFound)
    })
}

/// Changes an entry (settings update) with a JSON merge-patch of `name`, `sort`, `color` and
/// (lead statuses) `semantic`. The code never changes (422 `code`); a system entry keeps its
/// semantic (422 `semantic`); a stale `if_match` is 412.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    kind: &str,
    code: &str,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    let input = EntryInput::parse(body, kind, false)?;
    transaction(db, |db| {
        let (current, _) = load_entry(db, kind, code)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        let mut errors = FieldErrors::new();
        check_same_code(input.code.as_deref(), code, &mut errors);
        let mut changes = Changes::default();
        input.name.apply(&current.name_en, &current.name_ru, &mut changes);
        if let Patch::Set(sort) = input.sort {
            changes.set_if(sort != current.sort, "sort", "sort", sort);
        }
        if let Some(color) = input.color.change() {
            changes.set_if(color != current.color, "color", "color", color);
        }
        if let Patch::Set(semantic) = &input.semantic
            && current.semantic.as_deref() != Some(semantic.as_str())
        {
            if current.system {
                errors.push(
                    "semantic",
                    "system_entry",
                    "the semantic of a system entry cannot change",
                );
            } else {
                changes.set_if(true, "semantic", "semantic", semantic.as_str());
            }
        }
        errors.into_result()?;
        if !changes.is_empty() {
            let fields = changes.fields.clone();
            changes.write_keyed(
                db,
                "dictionary_entries",
                &[("kind", kind.into()), ("code", code.into())],
                None,
            )?;
            audit(
                db,
                caller,
                "dictionary_entry.updated",
                json!({ "kind": kind, "code": code, "fields": fields }),
                client,
            )?;
        }
        load_entry(db, kind, code)?
            .map(|(_, record)| record)
            .ok_or(CoreError::NotFound)
    })
}

/// Deletes an entry (settings delete); a system entry is 409, a stale `if_match` 412.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    kind: &str,
    code: &str,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Settings, Action::Delete)?;
    let kind = stored_kind(kind).ok_or(CoreError::NotFound)?;
    transaction(db, |db| {
        let (current, _) = load_entry(db, kind, code)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        if current.system {
            return Err(CoreError::Conflict("system entries cannot be deleted".into()));
        }
        if let Some(place) = first_use(db, Used::Dictionary(kind), code)? {
            return Err(CoreError::Conflict(format!("{code} is still used in {place}")));
        }
        db.execute(
            "DELETE FROM dictionary_entries WHERE kind = ? AND code = ?",
            &[kind.into(), code.into()],
        )?;
        audit(
            db,
            caller,
            "dictionary_entry.deleted",
            json!({ "kind": kind, "code": code, "name": {"en": current.name_en, "ru": current.name_ru} }),
            client,
        )
    })
}

/// The codes among `codes` that are not entries of the stored kind `kind` (e.g.
/// `"lead_status"`, not the URL segment), in input order (a repeated missing code is repeated).
/// A kind outside [`KINDS`] is a bug of the caller: [`CoreError::Internal`].
pub fn missing_codes(db: &dyn Db, kind: &str, codes: &[&str]) -> Result<Vec<String>, CoreError> {
    let kind = known_stored_kind(kind)?;
    let mut unique: Vec<&str> = codes.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = BTreeSet::new();
    for chunk in unique.chunks(500) {
        let mut params = vec![Value::from(kind)];
        params.extend(chunk.iter().map(|code| Value::from(*code)));
        let rows = db.query(
            &format!(
                "SELECT code FROM dictionary_entries WHERE kind = ? AND code IN ({})",
                placeholders(chunk.len())
            ),
            &params,
        )?;
        found.extend(rows.iter().filter_map(|row| row.str("code").map(str::to_owned)));
    }
    Ok(codes
        .iter()
        .filter(|code| !found.contains(**code))
        .map(|code| (*code).to_owned())
        .collect())
}

/// The semantic (`open`, `success`, `failure`) of the entry `code` of the stored kind `kind`;
/// `None` if there is no such entry or its kind has no semantics. A kind outside [`KINDS`] is
/// [`CoreError::Internal`].
pub fn semantic_of(db: &dyn Db, kind: &str, code: &str) -> Result<Option<String>, CoreError> {
    let kind = known_stored_kind(kind)?;
    Ok(db
        .query(
            "SELECT semantic FROM dictionary_entries WHERE kind = ? AND code = ?",
            &[kind.into(), code.into()],
        )?
        .first_str()
        .map(str::to_owned))
}

/// The currencies by `sort` then `code` (any authenticated caller).
pub fn list_currencies(db: &dyn Db, _caller: &Caller) -> Result<Vec<Json>, CoreError> {
    let rows = db.query(
        &format!("SELECT {CURRENCY_COLUMNS} FROM currencies ORDER BY sort, code"),
        &[],
    )?;
    rows.iter().map(|row| currency_record(&row)).collect()
}

/// One currency; 404 if there is none.
pub fn get_currency(db: &dyn Db, _caller: &Caller, code: &str) -> Result<Json, CoreError> {
    load_currency(db, code)?
        .map(|(_, record)| record)
        .ok_or(CoreError::NotFound)
}

/// Adds a currency (settings add) from `{code, name: {en, ru?}, rate, sort?, base?}`: `code`
/// is three capital letters, `rate` the value of one unit in the current base currency. With
/// `base: true` it becomes the base at once (every other rate is rescaled). A taken code is 409.
pub fn create_currency(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Add)?;
    let input = CurrencyInput::parse(body, true)?;
    let (Some(code), Patch::Set(name_en), Some(rate)) = (&input.code, &input.name.en, input.rate) else {
        return Err(CoreError::Internal("currency input lacks a required field".into()));
    };
    let name_ru = match &input.name.ru {
        Patch::Set(ru) => ru.clone(),
        _ => name_en.clone(),
    };
    let becomes_base = input.base == Some(true);
    transaction(db, |db| {
        if load_currency(db, code)?.is_some() {
            return Err(CoreError::Conflict(DUPLICATE_CURRENCY.into()));
        }
        let sort = match input.sort {
            Patch::Set(sort) => sort,
            _ => next_sort(db, "SELECT coalesce(max(sort), 0) FROM currencies", &[])?,
        };
        let mut details = json!({ "code": code, "rate": rate.to_text(), "base": becomes_base });
        let stored_rate = if becomes_base {
            details["old_base"] = json!(base_currency(db)?);
            details["rescaled"] = rescale_others(db, code, rate)?;
            Rate::ONE
        } else {
            rate
        };
        let now = crate::clock::now();
        let inserted = db.execute(
            "INSERT INTO currencies (code, name_en, name_ru, rate, base, sort, version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            &[
                code.as_str().into(),
                name_en.as_str().into(),
                name_ru.as_str().into(),
                stored_rate.to_text().into(),
                becomes_base.into(),
                sort.into(),
                now.into(),
                now.into(),
            ],
        );
        map_unique(inserted, DUPLICATE_CURRENCY)?;
        audit(db, caller, "currency.created", details, client)?;
        load_currency(db, code)?
            .map(|(_, record)| record)
            .ok_or(CoreError::NotFound)
    })
}

/// Changes a currency (settings update) with a JSON merge-patch of `name`, `rate`, `sort` and
/// `base`. `base: true` makes it the base: its rate becomes 1 and every other rate is divided by
/// its old rate, in the same transaction. The base currency's rate stays 1 (422 `rate`), and it
/// stops being the base only by making another one the base (422 `base`). 412 on a stale
/// `if_match`.
pub fn update_currency(
    db: &dyn Db,
    caller: &Caller,
    code: &str,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    caller.require(Entity::Settings, Action::Update)?;
    let input = CurrencyInput::parse(body, false)?;
    transaction(db, |db| {
        let (current, _) = load_currency(db, code)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        let mut errors = FieldErrors::new();
        check_same_code(input.code.as_deref(), code, &mut errors);
        let becomes_base = input.base == Some(true) && !current.base;
        if input.base == Some(false) && current.base {
            errors.push(
                "base",
                "base_required",
                "there is always a base currency: make another currency the base instead",
            );
        }
        let mut changes = Changes::default();
        input.name.apply(&current.name_en, &current.name_ru, &mut changes);
        if let Patch::Set(sort) = input.sort {
            changes.set_if(sort != current.sort, "sort", "sort", sort);
        }
        if let Some(rate) = input.rate {
            if current.base || becomes_base {
                if rate != Rate::ONE {
                    errors.push("rate", "base_rate", "the base currency's rate is always 1");
                }
            } else {
                changes.set_if(rate != current.rate, "rate", "rate", rate.to_text());
            }
        }
        errors.into_result()?;
        let mut details = json!({ "code": code });
        if becomes_base {
            let old_base = base_currency(db)?;
            details["rescaled"] = rescale_others(db, code, current.rate)?;
            details["old_base"] = json!(old_base);
            changes.set_if(true, "base", "base", true);
            changes.set_if(true, "rate", "rate", Rate::ONE.to_text());
        }
        if !changes.is_empty() {
            details["fields"] = json!(changes.fields.clone());
            changes.write_keyed(db, "currencies", &[("code", code.into())], None)?;
            audit(db, caller, "currency.updated", details, client)?;
        }
        load_currency(db, code)?
            .map(|(_, record)| record)
            .ok_or(CoreError::NotFound)
    })
}

/// Deletes a currency (settings delete); the base currency is 409, a stale `if_match` 412.
pub fn delete_currency(
    db: &dyn Db,
    caller: &Caller,
    code: &str,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    caller.require(Entity::Settings, Action::Delete)?;
    transaction(db, |db| {
        let (current, _) = load_currency(db, code)?.ok_or(CoreError::NotFound)?;
        check_version(current.version, if_match)?;
        if current.base {
            return Err(CoreError::Conflict("the base currency cannot be deleted".into()));
        }
        if let Some(place) = first_use(db, Used::Currency, code)? {
            return Err(CoreError::Conflict(format!("{code} is still used in {place}")));
        }
        db.execute("DELETE FROM currencies WHERE code = ?", &[code.into()])?;
        audit(
            db,
            caller,
            "currency.deleted",
            json!({ "code": code, "rate": current.rate.to_text() }),
            client,
        )
    })
}

/// Whether `code` is a currency.
pub fn currency_exists(db: &dyn Db, code: &str) -> Result<bool, CoreError> {
    Ok(!db
        .query("SELECT 1 FROM currencies WHERE code = ?", &[code.into()])?
        .is_empty())
}

/// Every currency's rate, by code (board totals convert each currency's sum once).
pub fn currency_rates(db: &dyn Db) -> Result<std::collections::HashMap<String, Rate>, CoreError> {
    let rows = db.query("SELECT code, rate FROM currencies", &[])?;
    rows.iter()
        .map(|row| Ok((row.str("code").unwrap_or_default().to_owned(), stored_rate(&row)?)))
        .collect()
}

/// The rate of currency `code`, if it exists.
pub fn rate_of(db: &dyn Db, code: &str) -> Result<Option<Rate>, CoreError> {
    let rows = db.query("SELECT code, rate FROM currencies WHERE code = ?", &[code.into()])?;
    rows.first().map(|row| stored_rate(&row)).transpose()
}

/// The code of the base currency (there is always exactly one).
pub fn base_currency(db: &dyn Db) -> Result<String, CoreError> {
    db.query("SELECT code FROM currencies WHERE base = 1", &[])?
        .first_str()
        .map(str::to_owned)
        .ok_or_else(|| CoreError::Internal("there is no base currency".into()))
}

/// A stored kind code checked against [`KINDS`] (a bad one is the calling code's bug).
fn known_stored_kind(kind: &str) -> Result<&'static str, CoreError> {
    KINDS
        .iter()
        .find(|(_, stored)| *stored == kind)
        .map(|(_, stored)| *stored)
        .ok_or_else(|| CoreError::Internal(format!("unknown dictionary kind {kind:?}")))
}

/// The largest `sort` (by `sql`) plus 10.
fn next_sort(db: &dyn Db, sql: &str, params: &[Value]) -> Result<i64, CoreError> {
    let max = db.query(sql, params)?.first_i64().unwrap_or_default();
    Ok(max.saturating_add(10).min(SORT_MAX))
}

/// A merge-patch's `code`, if given, must be the record's own.
fn check_same_code(given: Option<&str>, code: &str, errors: &mut FieldErrors) {
    if given.is_some_and(|given| given != code) {
        errors.push(
            "code",
            "immutable",
            "the code cannot change; create a new record instead",
        );
    }
}

/// Appends the audit row of a change made by `caller` (dictionaries have text keys, so the
/// kind and code are in `details`, not in the integer target).
fn audit(db: &dyn Db, caller: &Caller, action: &str, details: Json, client: &ClientInfo) -> Result<(), CoreError> {
    crate::audit::record(
        db,
        &AuditEvent {
            actor: Some(caller.user_id),
            action,
            target: None,
            details,
        },
        client,
    )
}

fn map_unique(result: Result<(), DbError>, conflict: &str) -> Result<(), CoreError> {
    match result {
        Err(DbError::Constraint { message }) if message.contains("UNIQUE") => Err(CoreError::Conflict(conflict.into())),
        other => Ok(other?),
    }
}

/// Divides the rate of every currency except `new_base` by `new_base_rate` (its rate in the
/// old base), clearing the old base flag; returns `{code: {"old", "new"}}` for the audit log.
fn rescale_others(db: &dyn Db, new_base: &str, new_base_rate: Rate) -> Result<Json, CoreError> {
    let rows = db.query(
        "SELECT code, rate FROM currencies WHERE code <> ? ORDER BY code",
        &[new_base.into()],
    )?;
    let now = crate::clock::now();
    let mut rescaled = Map::new();
    for row in rows.iter() {
        let code = row.str("code").unwrap_or_default();
        let old = stored_rate(&row)?;
        let new = old.per(new_base_rate).ok_or_else(|| {
            CoreError::Conflict(format!(
                "the rate of {code} cannot be expressed in {new_base}: the rates are too far apart"
            ))
        })?;
        db.execute(
            "UPDATE currencies SET rate = ?, base = 0, version = version + 1, updated_at = ? WHERE code = ?",
            &[new.to_text().into(), now.into(), code.into()],
        )?;
        rescaled.insert(code.to_owned(), json!({ "old": old.to_text(), "new": new.to_text() }));
    }
    Ok(Json::Object(rescaled))
}

/// A merge-patch of `name: {en, ru}`.
struct NamePatch {
    en: Patch<String>,
    ru: Patch<String>,
}

impl NamePatch {
    /// Reads `name` from `body` into `errors` (as `name`, `name.en`, `name.ru`). `name.en` may
    /// not be cleared; clearing `name.ru` makes it `name.en` again.
    fn read(body: &Json, creating: bool, errors: &mut FieldErrors) -> Result<NamePatch, CoreError> {
        let mut patch = NamePatch {
            en: Patch::Absent,
            ru: Patch::Absent,
        };
        match body.get("name") {
            None if creating => errors.push("name", "required", "is required"),
            None => {}
            Some(Json::Null) => errors.push("name", "required", "may not be empty"),
            Some(name) if !name.is_object() => errors.push(
                "name",
                "invalid_type",
                "expected an object such as {\"en\": \"...\", \"ru\": \"...\"}",
            ),
            Some(name) => {
                let mut b = Body::new(name, &["en", "ru"])?;
                patch.en = b.text("en", NAME_MAX, true);
                patch.ru = b.text("ru", NAME_MAX, false);
                if creating && matches!(patch.en, Patch::Absent) {
                    b.errors.push("en", "required", "is required");
                }
                for e in b.errors.iter() {
                    errors.push(format!("name.{}", e.field), e.code.clone(), e.message.clone());
                }
            }
        }
        Ok(patch)
    }

    /// Records the changed names of a record named `en`/`ru` now.
    fn apply(&self, en: &str, ru: &str, changes: &mut Changes) {
        let new_en = match &self.en {
            Patch::Set(new) => new.as_str(),
            _ => en,
        };
        changes.set_if(new_en != en, "name.en", "name_en", new_en);
        match &self.ru {
            Patch::Set(new) => changes.set_if(new != ru, "name.ru", "name_ru", new.as_str()),
            Patch::Null => changes.set_if(new_en != ru, "name.ru", "name_ru", new_en),
            Patch::Absent | Patch::Invalid => {}
        }
    }
}

/// `code` from a body: `Some` if given and `valid`, else reported (`required` when creating).
fn read_code(b: &mut Body, creating: bool, valid: fn(&str) -> bool, message: &str) -> Option<String> {
    let code = match b.raw_string("code") {
        Some(code) if valid(&code) => Some(code),
        Some(_) => {
            b.errors.push("code", "invalid_code", message);
            None
        }
        None => None,
    };
    if creating && code.is_none() && !b.errors.iter().any(|e| e.field == "code") {
        b.errors.push("code", "required", "is required");
    }
    code
}

/// `sort` from a body: an integer from 0 to [`SORT_MAX`]; `null` means the default when
/// creating and is refused when patching.
fn read_sort(b: &mut Body, creating: bool) -> Patch<i64> {
    match b.int("sort") {
        Patch::Set(sort) if !(0..=SORT_MAX).contains(&sort) => {
            b.errors.push("sort", "out_of_range", format!("from 0 to {SORT_MAX}"));
            Patch::Invalid
        }
        Patch::Null if !creating => {
            b.errors.push("sort", "required", "may not be empty");
            Patch::Invalid
        }
        Patch::Null => Patch::Absent,
        other => other,
    }
}

/// A dictionary entry's create or merge-patch body.
struct EntryInput {
    code: Option<String>,
    name: NamePatch,
    sort: Patch<i64>,
    semantic: Patch<String>,
    color: Patch<String>,
}

impl EntryInput {
    fn parse(body: &Json, kind: &str, creating: bool) -> Result<EntryInput, CoreError> {
        let lead_status = kind == LEAD_STATUS;
        let allowed: &[&str] = if lead_status {
            &["code", "name", "sort", "color", "semantic"]
        } else {
            &["code", "name", "sort", "color"]
        };
        let mut b = Body::new(body, allowed)?;
        let code = read_code(
            &mut b,
            creating,
            valid_entry_code,
            "1 to 50 capital letters, digits or '_', starting with a letter",
        );
        let name = NamePatch::read(body, creating, &mut b.errors)?;
        let sort = read_sort(&mut b, creating);
        let color = match b.text("color", 100, false) {
            Patch::Set(color) if valid_color(&color) => Patch::Set(color.to_ascii_uppercase()),
            Patch::Set(_) => {
                b.errors.push("color", "invalid_color", "a colour such as #1A2B3C");
                Patch::Invalid
            }
            other => other,
        };
        let semantic = if lead_status {
            let semantic = match b.text("semantic", 100, true) {
                Patch::Set(s) if SEMANTICS.contains(&s.as_str()) => Patch::Set(s),
                Patch::Set(_) => {
                    b.errors
                        .push("semantic", "invalid_semantic", "one of open, success, failure");
                    Patch::Invalid
                }
                other => other,
            };
            if creating {
                b.require("semantic", &semantic);
            }
            semantic
        } else {
            Patch::Absent
        };
        b.errors.into_result()?;
        Ok(EntryInput {
            code,
            name,
            sort,
            semantic,
            color,
        })
    }
}

/// A currency's create or merge-patch body.
struct CurrencyInput {
    code: Option<String>,
    name: NamePatch,
    rate: Option<Rate>,
    sort: Patch<i64>,
    base: Option<bool>,
}

impl CurrencyInput {
    fn parse(body: &Json, creating: bool) -> Result<CurrencyInput, CoreError> {
        let mut b = Body::new(body, &["code", "name", "rate", "sort", "base"])?;
        let code = read_code(
            &mut b,
            creating,
            valid_currency_code,
            "three capital letters (ISO 4217)",
        );
        let name = NamePatch::read(body, creating, &mut b.errors)?;
        let rate = match b.raw_string("rate") {
            Some(text) => {
                let rate = Rate::parse(&text);
                if rate.is_none() {
                    b.errors.push(
                        "rate",
                        "invalid_rate",
                        "a decimal greater than 0 with at most 6 fractional digits, such as \"92.5\"",
                    );
                }
                rate
            }
            None => {
                if creating && !b.errors.iter().any(|e| e.field == "rate") {
                    b.errors.push("rate", "required", "is required");
                }
                None
            }
        };
        let sort = read_sort(&mut b, creating);
        let base = b.bool("base");
        b.errors.into_result()?;
        Ok(CurrencyInput {
            code,
            name,
            rate,
            sort,
            base,
        })
    }
}

/// `^[A-Z][A-Z0-9_]{0,49}$`.
fn valid_entry_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    (1..=50).contains(&bytes.len())
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

/// `^[A-Z]{3}$`.
fn valid_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// `#RRGGBB` (hex digits in either case).
fn valid_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A positive exchange rate in millionths (so `92.5` is `92_500_000`): exact decimal
/// arithmetic without floats. Clients give 0.000001 ..= 999 999 999 999.999999 ([`Rate::MAX`]),
/// and a rescale never stores a rate past that either; longer rates stored before these bounds
/// still read (conversions through them are checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(u128);

impl Rate {
    /// Millionths per unit.
    pub const SCALE: u128 = 1_000_000;
    /// The largest rate a client or a rescale may set: 999 999 999 999.999999.
    pub const MAX: Rate = Rate(999_999_999_999_999_999);
    /// Fractional digits kept.
    const DIGITS: usize = 6;
    /// Fractional digits always shown.
    const MIN_SHOWN: usize = 4;
    /// Integer digits accepted from a client.
    const MAX_INPUT_DIGITS: usize = 12;
    /// Integer digits accepted from the database (rescaling may grow rates past the input limit).
    const MAX_STORED_DIGITS: usize = 30;
    /// The base currency's rate.
    pub const ONE: Rate = Rate(Rate::SCALE);

    /// The rate in millionths of a unit of the base currency (always at least 1).
    pub fn millionths(self) -> u128 {
        self.0
    }

    /// A rate of `millionths` (a stored or computed value); `None` for 0.
    pub fn from_millionths(millionths: u128) -> Option<Rate> {
        (millionths > 0).then_some(Rate(millionths))
    }

    /// A client's rate: digits, optionally `.` and 1 to 6 more digits, greater than 0.
    fn parse(text: &str) -> Option<Rate> {
        Rate::parse_with(text, Rate::MAX_INPUT_DIGITS)
    }

    fn parse_with(text: &str, max_integer_digits: usize) -> Option<Rate> {
        let (integer, fraction) = match text.split_once('.') {
            Some((integer, fraction)) => (integer, fraction),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if integer.is_empty() || !digits(integer) || !digits(fraction) || fraction.len() > Rate::DIGITS {
            return None;
        }
        if text.ends_with('.') {
            return None;
        }
        let integer = integer.trim_start_matches('0');
        if integer.len() > max_integer_digits {
            return None;
        }
        let whole: u128 = if integer.is_empty() { 0 } else { integer.parse().ok()? };
        let padded = format!("{fraction:0<width$}", width = Rate::DIGITS);
        let part: u128 = padded.parse().ok()?;
        let value = whole.checked_mul(Rate::SCALE)?.checked_add(part)?;
        (value > 0).then_some(Rate(value))
    }

    /// The canonical text: no leading zeros, 4 to 6 fractional digits (`92.5000`, `0.002054`).
    fn to_text(self) -> String {
        let mut fraction = format!("{:06}", self.0 % Rate::SCALE);
        while fraction.len() > Rate::MIN_SHOWN && fraction.ends_with('0') {
            fraction.pop();
        }
        format!("{}.{fraction}", self.0 / Rate::SCALE)
    }

    /// This rate expressed in a new base whose rate is `base` (`self / base`), rounded half up
    /// to millionths and never below 0.000001; `None` past [`Rate::MAX`] or on overflow.
    fn per(self, base: Rate) -> Option<Rate> {
        if base.0 == 0 {
            return None;
        }
        let scaled = self.0.checked_mul(Rate::SCALE)?.checked_add(base.0 / 2)? / base.0;
        Some(Rate(scaled.max(1))).filter(|rate| *rate <= Rate::MAX)
    }
}

fn stored_rate(row: &Row) -> Result<Rate, CoreError> {
    let text = row.str("rate").unwrap_or_default();
    Rate::parse_with(text, Rate::MAX_STORED_DIGITS)
        .ok_or_else(|| CoreError::Internal(format!("currency {:?} has an invalid rate {text:?}", row.str("code"))))
}

/// A dictionary entry as stored.
struct Entry {
    name_en: String,
    name_ru: String,
    sort: i64,
    semantic: Option<String>,
    color: Option<String>,
    system: bool,
    version: i64,
}

fn load_entry(db: &dyn Db, kind: &str, code: &str) -> Result<Option<(Entry, Json)>, CoreError> {
    let rows = db.query(
        &format!("SELECT {ENTRY_COLUMNS} FROM dictionary_entries WHERE kind = ? AND code = ?"),
        &[kind.into(), code.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let entry = Entry {
        name_en: row.str("name_en").unwrap_or_default().to_owned(),
        name_ru: row.str("name_ru").unwrap_or_default().to_owned(),
        sort: row.i64("sort").unwrap_or_default(),
        semantic: row.str("semantic").map(str::to_owned),
        color: row.str("color").map(str::to_owned),
        system: row.i64("system") == Some(1),
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((entry, entry_record(&row))))
}

fn entry_record(row: &Row) -> Json {
    let mut record = json!({
        "code": row.str("code"),
        "name": {"en": row.str("name_en"), "ru": row.str("name_ru")},
        "sort": row.i64("sort"),
        "color": row.str("color"),
        "system": row.i64("system") == Some(1),
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
    });
    if row.str("kind") == Some(LEAD_STATUS) {
        record["semantic"] = json!(row.str("semantic"));
    }
    record
}

/// A currency as stored.
struct Currency {
    name_en: String,
    name_ru: String,
    rate: Rate,
    base: bool,
    sort: i64,
    version: i64,
}

fn load_currency(db: &dyn Db, code: &str) -> Result<Option<(Currency, Json)>, CoreError> {
    let rows = db.query(
        &format!("SELECT {CURRENCY_COLUMNS} FROM currencies WHERE code = ?"),
        &[code.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let currency = Currency {
        name_en: row.str("name_en").unwrap_or_default().to_owned(),
        name_ru: row.str("name_ru").unwrap_or_default().to_owned(),
        rate: stored_rate(&row)?,
        base: row.i64("base") == Some(1),
        sort: row.i64("sort").unwrap_or_default(),
        version: row.i64("version").unwrap_or_default(),
    };
    Ok(Some((currency, currency_record(&row)?)))
}

fn currency_record(row: &Row) -> Result<Json, CoreError> {
    Ok(json!({
        "code": row.str("code"),
        "name": {"en": row.str("name_en"), "ru": row.str("name_ru")},
        "rate": stored_rate(row)?.to_text(),
        "base": row.i64("base") == Some(1),
        "sort": row.i64("sort"),
        "version": row.i64("version"),
        "created_at": time(row.i64("created_at")),
        "updated_at": time(row.i64("updated_at")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        Rate::parse(text).unwrap_or_else(|| panic!("{text} is a rate"))
    }

    #[test]
    fn rates_parse_to_canonical_text() {
        let cases = [
            ("1", "1.0000"),
            ("92.5", "92.5000"),
            ("92.50000", "92.5000"),
            ("0.19", "0.1900"),
            ("0.000001", "0.000001"),
            ("0.12345", "0.12345"),
            ("007.250000", "7.2500"),
            ("999999999999.999999", "999999999999.999999"),
        ];
        for (input, canonical) in cases {
            assert_eq!(rate(input).to_text(), canonical, "{input}");
        }
    }

    #[test]
    fn bad_rates_are_refused() {
        for bad in [
            "",
            "0",
            "0.0",
            "0.0000001",
            "1.2345678",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1,5",
            " 1",
            "1 ",
            "1.2.3",
            "NaN",
            "1000000000000",
            "١",
        ] {
            assert_eq!(Rate::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rescaling_divides_and_rounds_half_up() {
        let usd = rate("92.5");
        assert_eq!(Rate::ONE.per(usd).map(Rate::to_text).as_deref(), Some("0.010811"));
        assert_eq!(rate("100.2").per(usd).map(Rate::to_text).as_deref(), Some("1.083243"));
        assert_eq!(usd.per(usd), Some(Rate::ONE));
        assert_eq!(rate("0.19").per(usd).map(Rate::to_text).as_deref(), Some("0.002054"));
        assert_eq!(rate("2").per(rate("0.5")).map(Rate::to_text).as_deref(), Some("4.0000"));
        // Too small to show in millionths: the smallest positive rate, never 0.
        assert_eq!(rate("0.000001").per(rate("1000")), Some(Rate(1)));
        assert_eq!(Rate(u128::MAX).per(Rate::ONE), None);
        // The rescaled rate would pass the largest rate: refused rather than stored.
        assert_eq!(Rate::MAX.per(Rate::ONE), Some(Rate::MAX));
        assert_eq!(Rate::MAX.per(rate("0.5")), None);
        assert_eq!(rate("1000000000").per(rate("0.001")), None);
    }

    #[test]
    fn codes_and_colors_follow_their_patterns() {
        for good in ["A", "NEW", "IN_PROCESS", "EMPLOYEES_1", &format!("A{}", "B".repeat(49))] {
            assert!(valid_entry_code(good), "{good}");
        }
        for bad in [
            "",
            "new",
            "1A",
            "_A",
            "A-B",
            "A B",
            "Ä",
            &format!("A{}", "B".repeat(50)),
        ] {
            assert!(!valid_entry_code(bad), "{bad}");
        }
        assert!(valid_currency_code("USD"));
        for bad in ["US", "USDT", "usd", "US1", "UŞ"] {
            assert!(!valid_currency_code(bad), "{bad}");
        }
        for good in ["#1A2B3C", "#abcdef", "#000000"] {
            assert!(valid_color(good), "{good}");
        }
        for bad in ["1A2B3C", "#1A2B3", "#1A2B3C4", "#GGGGGG", "red", "#ééé"] {
            assert!(!valid_color(bad), "{bad}");
        }
    }

    #[test]
    fn every_kind_maps_both_ways_and_has_names() {
        for (url, stored) in KINDS {
            assert_eq!(stored_kind(url), Some(*stored));
            assert_eq!(known_stored_kind(stored), Ok(*stored));
            assert!(KIND_NAMES.iter().any(|(kind, _, _)| kind == stored), "{stored}");
        }
        assert_eq!(stored_kind("lead_status"), None);
        assert!(matches!(
            known_stored_kind("lead-statuses"),
            Err(CoreError::Internal(_))
        ));
    }

    #[test]
    fn entry_bodies_report_every_bad_field() {
        let body =
            json!({"code": "bad code", "name": {"en": "", "xx": 1}, "color": "red", "semantic": "won", "sort": -1});
        let Err(CoreError::Validation(errors)) = EntryInput::parse(&body, LEAD_STATUS, true) else {
            panic!("invalid");
        };
        let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["code", "color", "name.en", "name.xx", "semantic", "sort"]);
        let Err(CoreError::Validation(errors)) = EntryInput::parse(&json!({"semantic": "open"}), "source", false)
        else {
            panic!("semantic is for lead statuses only");
        };
        assert_eq!(
            errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            ["unknown_field"]
        );
        let Err(CoreError::Validation(errors)) = EntryInput::parse(&json!({}), LEAD_STATUS, true) else {
            panic!("empty create");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "semantic"]);
    }
}
