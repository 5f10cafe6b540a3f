//! Dictionaries (lead statuses, sources, contact and company types, industries, employee
//! ranges, deal types, honorifics) and currencies: what they are, and the look-ups the record
//! engine validates values with ([`missing_codes`], [`semantic_of`], [`currency_exists`],
//! [`base_currency`]) and converts money through ([`Rate`], [`currency_rates`], [`rate_of`]).
//! The two settings resources, `/api/dictionaries/<kind>` and `/api/currencies`, are
//! [`entries`] and [`currencies`], declared on the resource kit.
//!
//! A rate is how many units of the base currency one unit is worth, as a decimal string (never
//! a float) with at least 4 and at most 6 fractional digits (`"92.5000"`), from 0.000001 to
//! 999 999 999 999.999999 ([`Rate`]). Money is converted through [`Rate`]s as exact integers,
//! never through floats.

pub mod currencies;
pub mod entries;

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::acl::Caller;
use crate::db::{Db, Row, Value};
use crate::error::CoreError;
use crate::resource::{Body, Patch, placeholders};

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

/// The largest `sort` a client may give.
const SORT_MAX: i64 = 1_000_000_000;

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

/// An SQL expression (and its parameters) that yields the codes of `codes` that are not entries
/// of the stored kind `kind`, as a JSON array in the order given: [`missing_codes`] as a column,
/// for a query that checks several references at once.
pub(crate) fn missing_codes_expression(kind: &str, codes: &[&str]) -> Result<(String, Vec<Value>), CoreError> {
    let kind = known_stored_kind(kind)?;
    Ok((
        "(SELECT json_group_array(value) FROM json_each(?) \
          WHERE value NOT IN (SELECT code FROM dictionary_entries WHERE kind = ?))"
            .into(),
        vec![Json::from(codes.to_vec()).to_string().into(), kind.into()],
    ))
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

/// The largest `sort` (by `sql`) plus 10: a new entry or currency goes last.
fn next_sort(db: &dyn Db, sql: &str, params: &[Value]) -> Result<Json, CoreError> {
    let max = db.query(sql, params)?.first_i64().unwrap_or_default();
    Ok(Json::from(max.saturating_add(10).min(SORT_MAX)))
}

/// `sort` from a body: an integer from 0 to [`SORT_MAX`]; `null` means the default when
/// creating and is refused when patching.
fn read_sort(b: &mut Body, key: &'static str, creating: bool) -> Patch<Json> {
    match b.int(key) {
        Patch::Set(sort) if !(0..=SORT_MAX).contains(&sort) => {
            b.errors.push(key, "out_of_range", format!("from 0 to {SORT_MAX}"));
            Patch::Invalid
        }
        Patch::Null if !creating => {
            b.errors.push(key, "required", "may not be empty");
            Patch::Invalid
        }
        Patch::Null => Patch::Absent,
        other => other.map(Json::from),
    }
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
}
