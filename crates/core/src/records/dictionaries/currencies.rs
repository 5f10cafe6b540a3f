//! Currencies (`/api/currencies`), declared on the resource kit: `{code, name: {en, ru}, rate,
//! base, sort, version, created_at, updated_at}`. `code` is three capital letters; `rate` is
//! how many units of the base currency one unit is worth ([`Rate`]). Making another currency
//! the base rescales every rate in the same transaction, so amounts keep their meaning; a
//! rescale that would put a rate past [`Rate`]'s bounds is refused (409). The base currency's
//! rate stays 1, it is not deleted, and it stops being the base only when another one becomes
//! it. A currency still used by a record cannot be deleted.
//!
//! Reading needs only an authenticated caller; writing the `settings` add, update or delete
//! permission.

use serde_json::{Map, Value as Json, json};

use super::{Rate, base_currency, next_sort, read_sort, stored_rate};
use crate::acl::{Caller, Entity};
use crate::audit::ClientInfo;
use crate::db::{Db, Row, Value};
use crate::error::CoreError;
use crate::records::usage::{Used, first_use};
use crate::resource::{
    Access, Audit, Body, Cx, Default, Detail, Field, Hooks, Key, Patch, Resource, Stamps, Store, Unique, names,
};

/// Currencies, declared.
pub const CURRENCIES: Resource = Resource {
    key: &["code"],
    fields: &[
        Field::code("code", valid_currency_code, "three capital letters (ISO 4217)")
            .required()
            .immutable("the code cannot change; create a new record instead"),
        Field::custom("name", Store::Names("name_en", "name_ru"), names::patch).required(),
        Field::custom("rate", Store::Text("rate"), read_rate).required(),
        Field::bool("base").default(Default::Bool(false)),
        Field::custom("sort", Store::Int("sort"), read_sort).default(Default::Computed(last)),
    ],
    stamps: Stamps::Times,
    order: "sort, code",
    unique: Some(Unique {
        columns: &["code"],
        nocase: false,
        message: "a currency with this code exists",
    }),
    audit: Audit {
        created: &[Detail::Key],
        updated: &[Detail::Key, Detail::Changed],
        deleted: &[Detail::Key, Detail::Field("rate")],
    },
    hooks: Hooks {
        before: Some(rebase),
        deleting: Some(refuse_base_or_used),
        finish: Some(show_rate),
        ..Hooks::NONE
    },
    ..Resource::new("currencies", "currency", Access::open_read(Entity::Settings))
};

/// The currencies by `sort` then `code` (any authenticated caller).
pub fn list(db: &dyn Db, caller: &Caller) -> Result<Vec<Json>, CoreError> {
    CURRENCIES.all(db, caller, &[])
}

/// One currency; 404 if there is none.
pub fn get(db: &dyn Db, caller: &Caller, code: &str) -> Result<Json, CoreError> {
    CURRENCIES.get(db, caller, &key(code))
}

/// Adds a currency (settings add) from `{code, name: {en, ru?}, rate, sort?, base?}`: `rate`
/// is the value of one unit in the current base currency. With `base: true` it becomes the
/// base at once (every other rate is rescaled). A taken code is 409.
pub fn create(db: &dyn Db, caller: &Caller, body: &Json, client: &ClientInfo) -> Result<Json, CoreError> {
    CURRENCIES.create(db, caller, &[], body, client)
}

/// Changes a currency (settings update) with a JSON merge-patch of `name`, `rate`, `sort` and
/// `base`. `base: true` makes it the base: its rate becomes 1 and every other rate is divided by
/// its old rate, in the same transaction. The base currency's rate stays 1 (422 `rate`), and it
/// stops being the base only by making another one the base (422 `base`). 412 on a stale
/// `if_match`.
pub fn update(
    db: &dyn Db,
    caller: &Caller,
    code: &str,
    body: &Json,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<Json, CoreError> {
    CURRENCIES.update(db, caller, &key(code), body, if_match, client)
}

/// Deletes a currency (settings delete); the base currency or one still in use is 409, a stale
/// `if_match` 412.
pub fn delete(
    db: &dyn Db,
    caller: &Caller,
    code: &str,
    if_match: Option<i64>,
    client: &ClientInfo,
) -> Result<(), CoreError> {
    CURRENCIES.delete(db, caller, &key(code), if_match, client)
}

fn key(code: &str) -> Key {
    Key(vec![("code", code.into())])
}

fn last(db: &dyn Db, _: &[(&'static str, Value)]) -> Result<Json, CoreError> {
    next_sort(db, "SELECT coalesce(max(sort), 0) FROM currencies", &[])
}

/// A client's rate ([`Rate`]), kept in its canonical text.
fn read_rate(b: &mut Body, key: &'static str, _creating: bool) -> Patch<Json> {
    match b.raw(key) {
        Patch::Set(text) => match Rate::parse(&text) {
            Some(rate) => Patch::Set(Json::from(rate.to_text())),
            None => {
                b.errors.push(
                    key,
                    "invalid_rate",
                    "a decimal greater than 0 with at most 6 fractional digits, such as \"92.5\"",
                );
                Patch::Invalid
            }
        },
        other => other.map(Json::from),
    }
}

/// The rules of the base currency: its rate stays 1 and it stays the base until another one
/// becomes it; a currency that becomes the base gets rate 1 and every other rate is rescaled
/// first (audited with the old base and each old and new rate).
fn rebase(cx: &mut Cx) -> Result<(), CoreError> {
    let given_rate = match cx.draft.patch("rate") {
        Patch::Set(rate) => rate.as_str().and_then(Rate::parse),
        _ => None,
    };
    let wants_base = cx.draft.patch("base").clone();
    let (is_base, rate) = match cx.draft.current() {
        Some(current) => (current["base"] == true, current["rate"].as_str().and_then(Rate::parse)),
        None => {
            let rate_text = given_rate.map(Rate::to_text);
            cx.details.insert("rate".into(), json!(rate_text));
            cx.details
                .insert("base".into(), json!(wants_base == Patch::Set(Json::Bool(true))));
            (false, given_rate)
        }
    };
    let becomes_base = wants_base == Patch::Set(Json::Bool(true)) && !is_base;
    if wants_base == Patch::Set(Json::Bool(false)) && is_base {
        cx.errors.push(
            "base",
            "base_required",
            "there is always a base currency: make another currency the base instead",
        );
    }
    if !cx.creating() && (is_base || becomes_base) && given_rate.is_some_and(|r| r != Rate::ONE) {
        cx.errors
            .push("rate", "base_rate", "the base currency's rate is always 1");
    }
    if !cx.errors.is_empty() || !becomes_base {
        return Ok(());
    }
    let code = cx
        .draft
        .get("code")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let rate = rate.ok_or_else(|| CoreError::Internal(format!("currency {code} has no rate")))?;
    cx.details.insert("old_base".into(), json!(base_currency(cx.db)?));
    cx.details
        .insert("rescaled".into(), rescale_others(cx.db, &code, rate)?);
    cx.draft.set("rate", Json::from(Rate::ONE.to_text()));
    cx.draft.set("base", Json::Bool(true));
    Ok(())
}

/// 409 for the base currency or one still in use.
fn refuse_base_or_used(db: &dyn Db, _: &Key, current: &Json) -> Result<(), CoreError> {
    let code = current["code"].as_str().unwrap_or_default();
    if current["base"] == true {
        return Err(CoreError::Conflict("the base currency cannot be deleted".into()));
    }
    if let Some(place) = first_use(db, Used::Currency, code)? {
        return Err(CoreError::Conflict(format!("{code} is still used in {place}")));
    }
    Ok(())
}

/// The stored rate in its canonical text; a broken one is a 500.
fn show_rate(row: &Row, record: &mut Map<String, Json>) -> Result<(), CoreError> {
    record.insert("rate".into(), Json::from(stored_rate(row)?.to_text()));
    Ok(())
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

/// `^[A-Z]{3}$`.
fn valid_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_capital_letters() {
        assert!(valid_currency_code("USD"));
        for bad in ["US", "USDT", "usd", "US1", "UŞ"] {
            assert!(!valid_currency_code(bad), "{bad}");
        }
    }
}
