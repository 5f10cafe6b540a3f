//! One mapped row of text cells -> the record engine's create/update JSON, by the contract's
//! cell conventions: numbers with comma decimals and spaces (`1 250,00`), dates `YYYY-MM-DD`,
//! `DD.MM.YYYY` and US `M/D/YYYY`, booleans `yes/no/true/false/1/0/да/нет/y/n`,
//! enumerations by code or en/ru name, users by id, e-mail or exact name, typed lists as
//! `value (type)` items split on ` ::: ` (phones and e-mails also on `,` and `;`), compound
//! parts (`address.city`), and record references by id or exact title (a missing company is
//! returned as [`Pending`], for the import to create: [`created_when_missing`]). Google's leading `* ` primary marker is
//! dropped from values and labels.
//!
//! A cell that fits no convention is passed through as text, so the engine refuses it with its
//! own message; only what the engine cannot see (an unknown user or record) is reported here.

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};

use crate::acl::Caller;
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};
use crate::io::mapping::Target;
use crate::records::fields::{FieldDef, FieldKind, Options};
use crate::records::values::ListKind;
use crate::records::{EntityDef, access, index};

/// What a mapping key names.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'d> {
    /// The field.
    pub field: &'d FieldDef,
    /// The compound part (`city` of `address.city`).
    pub part: Option<&'static str>,
}

/// The field a mapping key names, if it is one a row may set: a writable field (a contact's
/// `company_id` is its first company), an address part; not requisites or bindings.
pub fn resolve<'d>(def: &'d EntityDef, key: &str) -> Option<Resolved<'d>> {
    let key = match def.traits.link_alias {
        Some((alias, field)) if alias == key => field,
        _ => key,
    };
    let (name, part) = match key.split_once('.') {
        Some((name, part)) => (
            name,
            Some(super::ADDRESS_PARTS.iter().map(|(p, _, _)| *p).find(|p| *p == part)?),
        ),
        None => (key, None),
    };
    let field = def.field(name)?;
    if field.access == crate::records::fields::Access::ReadOnly
        || matches!(field.kind, FieldKind::Requisites | FieldKind::Bindings)
    {
        return None;
    }
    match (&field.kind, part) {
        (FieldKind::Address, Some(_)) if !field.multiple => Some(Resolved { field, part }),
        (FieldKind::Address, _) => None,
        (_, Some(_)) => None,
        _ => Some(Resolved { field, part: None }),
    }
}

/// A record a row names that does not exist yet and the import creates (a company by title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The body field that takes its id.
    pub field: String,
    /// Its entity.
    pub entity: &'static str,
    /// The title it gets.
    pub title: String,
}

/// A row read: the body for the engine and the records to create first.
#[derive(Debug, Clone, Default)]
pub struct ReadRow {
    /// The create/update body (only the fields whose cells are not empty).
    pub body: Map<String, Json>,
    /// Records to create before the row, their ids to be put into `body`.
    pub pending: Vec<Pending>,
}

/// Reads rows for one caller and entity, caching the look-ups (users, dictionaries, records)
/// across the rows of one step.
pub struct Reader<'a> {
    db: &'a dyn Db,
    caller: &'a Caller,
    def: &'a EntityDef,
    users: Option<Vec<(i64, String, String)>>,
    dictionaries: HashMap<String, Vec<(String, String, String)>>,
    records: HashMap<(&'static str, String), i64>,
}

impl<'a> Reader<'a> {
    /// A reader of `def`'s rows for `caller`.
    pub fn new(db: &'a dyn Db, caller: &'a Caller, def: &'a EntityDef) -> Reader<'a> {
        Reader {
            db,
            caller,
            def,
            users: None,
            dictionaries: HashMap::new(),
            records: HashMap::new(),
        }
    }

    /// Remembers a record created meanwhile under its title, for the rows that follow.
    pub fn remember(&mut self, entity: &'static str, title: &str, id: i64) {
        self.records.insert((entity, title.trim().to_lowercase()), id);
    }

    /// The id of a record remembered under `title` (created by an earlier row), if any.
    pub fn remembered(&self, entity: &'static str, title: &str) -> Option<i64> {
        self.records.get(&(entity, title.trim().to_lowercase())).copied()
    }

    /// Reads one row's cells through the mapping. Field errors name the mapped field.
    pub fn read(&mut self, targets: &[Target], cells: &[String]) -> Result<ReadRow, CoreError> {
        let mut out = ReadRow::default();
        let mut errors = FieldErrors::new();
        let def = self.def;
        for target in targets {
            let Some(resolved) = resolve(def, &target.field) else {
                continue;
            };
            let text = clean(cells.get(target.column).map(String::as_str).unwrap_or_default());
            if text.is_empty() {
                continue;
            }
            let field = resolved.field;
            let slot: &mut Map<String, Json> = if field.is_custom() {
                out.body
                    .entry("custom")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .expect("custom is an object")
            } else {
                &mut out.body
            };
            if let Some(part) = resolved.part {
                let address = slot.entry(field.name.clone()).or_insert_with(|| json!({}));
                if let Some(address) = address.as_object_mut() {
                    address.insert(part.into(), Json::String(text.to_string()));
                }
                continue;
            }
            if let Some(kind) = list_kind(&field.kind) {
                let given_type = target
                    .r#type
                    .clone()
                    .or_else(|| {
                        target
                            .type_column
                            .and_then(|c| cells.get(c))
                            .and_then(|label| type_code(kind, clean(label)))
                            .map(str::to_string)
                    })
                    .filter(|t| kind.types().contains(&t.as_str()));
                let items = slot.entry(field.name.clone()).or_insert_with(|| json!([]));
                if let Some(items) = items.as_array_mut() {
                    items.extend(typed_items(kind, text, given_type.as_deref()));
                }
                continue;
            }
            let value = match &field.kind {
                FieldKind::User => match self.user(text)? {
                    Some(id) => json!(id),
                    None => {
                        errors.push(
                            field.path(),
                            "not_found",
                            format!("no active user has the id, e-mail or name {text:?}"),
                        );
                        continue;
                    }
                },
                FieldKind::Record(entity) => {
                    let mut ids = Vec::new();
                    let parts: Vec<&str> = if field.multiple {
                        text.split(super::SEPARATOR)
                            .map(clean)
                            .filter(|p| !p.is_empty())
                            .collect()
                    } else {
                        vec![text]
                    };
                    for part in parts {
                        match self.record(entity, part)? {
                            Some(id) => ids.push(json!(id)),
                            None if created_when_missing(entity) => out.pending.push(Pending {
                                field: field.name.clone(),
                                entity,
                                title: part.to_string(),
                            }),
                            None => errors.push(
                                field.path(),
                                "not_found",
                                format!("no {entity} you can read has the id or title {part:?}"),
                            ),
                        }
                    }
                    if field.multiple {
                        json!(ids)
                    } else if let Some(id) = ids.pop() {
                        id
                    } else {
                        continue;
                    }
                }
                FieldKind::Enumeration(options) => {
                    if field.multiple {
                        let mut codes = Vec::new();
                        for part in text.split(super::SEPARATOR).map(clean).filter(|p| !p.is_empty()) {
                            codes.push(Json::String(self.option(options, part)?));
                        }
                        Json::Array(codes)
                    } else {
                        Json::String(self.option(options, text)?)
                    }
                }
                kind => scalar(kind, text),
            };
            slot.insert(field.name.clone(), value);
        }
        if let Some(pending) = out.pending.first()
            && out.body.get(&pending.field).is_none()
            && def.field(&pending.field).is_some_and(|f| f.multiple)
        {
            out.body.insert(pending.field.clone(), json!([]));
        }
        errors.into_result()?;
        Ok(out)
    }

    /// A user by id, e-mail or exact (case-insensitive) name, among active users.
    fn user(&mut self, text: &str) -> Result<Option<i64>, CoreError> {
        if self.users.is_none() {
            let rows = self
                .db
                .query("SELECT id, email, name FROM users WHERE active = 1 ORDER BY id", &[])?;
            self.users = Some(
                rows.iter()
                    .map(|r| {
                        (
                            r.i64("id").unwrap_or_default(),
                            r.str("email").unwrap_or_default().to_lowercase(),
                            r.str("name").unwrap_or_default().to_lowercase(),
                        )
                    })
                    .collect(),
            );
        }
        let users = self.users.as_deref().unwrap_or_default();
        let wanted = text.to_lowercase();
        if let Ok(id) = text.parse::<i64>() {
            return Ok(users.iter().find(|u| u.0 == id).map(|u| u.0));
        }
        Ok(users
            .iter()
            .find(|u| u.1 == wanted)
            .or_else(|| users.iter().find(|u| u.2 == wanted))
            .map(|u| u.0))
    }

    /// An enumeration's code: the code itself, or the entry whose code or en/ru name matches
    /// case-insensitively; otherwise the text, for the engine to refuse.
    fn option(&mut self, options: &Options, text: &str) -> Result<String, CoreError> {
        let wanted = text.to_lowercase();
        match options {
            Options::Own(codes) => Ok(codes
                .iter()
                .find(|c| c.to_lowercase() == wanted)
                .cloned()
                .unwrap_or_else(|| text.to_string())),
            Options::Dictionary(kind) => {
                if !self.dictionaries.contains_key(kind) {
                    let rows = self.db.query(
                        "SELECT code, name_en, name_ru FROM dictionary_entries WHERE kind = ? ORDER BY sort, code",
                        &[kind.as_str().into()],
                    )?;
                    let entries = rows
                        .iter()
                        .map(|r| {
                            (
                                r.str("code").unwrap_or_default().to_string(),
                                r.str("name_en").unwrap_or_default().to_lowercase(),
                                r.str("name_ru").unwrap_or_default().to_lowercase(),
                            )
                        })
                        .collect();
                    self.dictionaries.insert(kind.clone(), entries);
                }
                let entries = &self.dictionaries[kind];
                Ok(entries
                    .iter()
                    .find(|e| e.0.to_lowercase() == wanted)
                    .or_else(|| entries.iter().find(|e| e.1 == wanted || e.2 == wanted))
                    .map(|e| e.0.clone())
                    .unwrap_or_else(|| text.to_string()))
            }
        }
    }

    /// A readable record by id, or by exact (case-insensitive) title: companies through their
    /// normalised title channel, entities with a `title` field by it.
    fn record(&mut self, entity: &'static str, text: &str) -> Result<Option<i64>, CoreError> {
        if let Ok(id) = text.parse::<i64>() {
            return Ok(Some(id));
        }
        let key = (entity, text.to_lowercase());
        if let Some(id) = self.records.get(&key) {
            return Ok(Some(*id));
        }
        let Some(target) = EntityDef::builtin(entity) else {
            return Ok(None);
        };
        let candidates: Vec<i64> = if target.traits.title_channel {
            let normalized = index::normalize_title(text);
            self.db
                .query(
                    "SELECT record_id FROM record_channels WHERE entity = ? AND kind = 'title' AND value = ? ORDER BY record_id LIMIT 20",
                    &[entity.into(), normalized.into()],
                )?
                .iter()
                .filter_map(|r| r.i64("record_id"))
                .collect()
        } else if target.field("title").is_some() {
            // Table names come from definitions only.
            self.db
                .query(
                    &format!("SELECT id FROM {} WHERE title = ? ORDER BY id LIMIT 20", target.table),
                    &[text.into()],
                )?
                .iter()
                .filter_map(|r| r.i64("id"))
                .collect()
        } else {
            Vec::new()
        };
        for id in candidates {
            if access::readable(self.db, self.caller, &target, id)? {
                self.records.insert(key, id);
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

/// Whether a reference by a title no readable record has creates the record (companies: the
/// entities whose title is a duplicate channel, so the next row naming it finds it).
pub fn created_when_missing(entity: &str) -> bool {
    EntityDef::builtin(entity).is_some_and(|def| def.traits.title_channel)
}

/// A cell's text trimmed, without Google's leading `* ` primary marker or the `'` an export
/// put before a formula-like value.
pub fn clean(text: &str) -> &str {
    let text = super::unguarded(text.trim());
    text.strip_prefix("* ").map(str::trim).unwrap_or(text)
}

fn list_kind(kind: &FieldKind) -> Option<ListKind> {
    match kind {
        FieldKind::Phones => Some(ListKind::Phone),
        FieldKind::Emails => Some(ListKind::Email),
        FieldKind::Websites => Some(ListKind::Website),
        FieldKind::Messengers => Some(ListKind::Messenger),
        _ => None,
    }
}

/// The type code a label names (a code, an en/ru label or a common synonym), if any.
pub fn type_code(kind: ListKind, label: &str) -> Option<&'static str> {
    let label = label.trim().to_lowercase();
    if label.is_empty() {
        return None;
    }
    if let Some(code) = kind.types().iter().find(|t| **t == label) {
        return Some(code);
    }
    const SYNONYMS: &[(&str, &str)] = &[
        ("рабоч", "work"),
        ("business", "work"),
        ("office", "work"),
        ("корпорат", "work"),
        ("mobile", "mobile"),
        ("cell", "mobile"),
        ("мобил", "mobile"),
        ("сотов", "mobile"),
        ("fax", "fax"),
        ("факс", "fax"),
        ("pager", "pager"),
        ("пейдж", "pager"),
        ("home", "home"),
        ("домаш", "home"),
        ("personal", "home"),
        ("private", "home"),
        ("личн", "home"),
        ("newsletter", "newsletter"),
        ("рассыл", "newsletter"),
        ("вконтакте", "vk"),
        ("телеграм", "telegram"),
        ("other", "other"),
        ("друг", "other"),
        ("main", "work"),
    ];
    SYNONYMS
        .iter()
        .find(|(needle, code)| label.contains(needle) && kind.types().contains(code))
        .map(|(_, code)| *code)
}

/// A typed-list cell as `{"value", "type"}` items.
fn typed_items(kind: ListKind, text: &str, given_type: Option<&str>) -> Vec<Json> {
    let splits_more = matches!(kind, ListKind::Phone | ListKind::Email);
    let mut parts: Vec<&str> = text.split(super::SEPARATOR).collect();
    if splits_more {
        parts = parts.into_iter().flat_map(|p| p.split([',', ';'])).collect();
    }
    parts
        .into_iter()
        .map(clean)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (value, typed) = match part.strip_suffix(')').and_then(|p| p.rsplit_once('(')) {
                Some((value, label)) if type_code(kind, label).is_some() => (value.trim(), type_code(kind, label)),
                _ => (part, None),
            };
            let kind_code = typed.or(given_type).unwrap_or(kind.default_type());
            json!({ "value": value, "type": kind_code })
        })
        .collect()
}

/// A scalar cell in the engine's JSON form, or the text as is when it fits no convention.
fn scalar(kind: &FieldKind, text: &str) -> Json {
    let fallback = || Json::String(text.to_string());
    match kind {
        FieldKind::Integer => compact_number(text)
            .and_then(|n| n.parse::<i64>().ok())
            .map_or_else(fallback, Json::from),
        FieldKind::Decimal(_) => compact_number(text).map_or_else(fallback, Json::String),
        FieldKind::Money(_) => {
            let (amount, currency) = match text.rsplit_once(' ') {
                Some((amount, code)) if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
                    (amount, Some(code.to_ascii_uppercase()))
                }
                _ => (text, None),
            };
            let amount = compact_number(amount).unwrap_or_else(|| amount.to_string());
            json!({ "amount": amount, "currency": currency })
        }
        FieldKind::Boolean => boolean(text).map_or_else(fallback, Json::Bool),
        FieldKind::Date => date(text).map_or_else(fallback, Json::String),
        FieldKind::Datetime => datetime(text).map_or_else(fallback, Json::String),
        FieldKind::Currency => Json::String(text.to_ascii_uppercase()),
        _ => fallback(),
    }
}

/// `1 250,00`, `1250,5`, `1,250.00`, `1.250,00` -> `1250.00`-style text; `None` if not a number.
pub fn compact_number(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '\'')
        .collect();
    let decimal = compact.rfind([',', '.']);
    let mut out = String::with_capacity(compact.len());
    for (i, c) in compact.char_indices() {
        match c {
            ',' | '.' if Some(i) == decimal => out.push('.'),
            ',' | '.' => {}
            _ => out.push(c),
        }
    }
    let digits = out.strip_prefix('-').unwrap_or(&out);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit());
    ok.then_some(out)
}

/// `yes/no/true/false/1/0/да/нет/y/n` (any case).
pub fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "true" | "1" | "да" | "y" | "д" => Some(true),
        "no" | "false" | "0" | "нет" | "n" | "н" => Some(false),
        _ => None,
    }
}

/// A date as `YYYY-MM-DD` from `YYYY-MM-DD[T...]`, `DD.MM.YYYY` or US `M/D/YYYY`
/// (`D/M/YYYY` when the first number is over 12).
pub fn date(text: &str) -> Option<String> {
    let text = text.trim();
    let numbers = |sep: char| -> Option<(u32, u32, i32)> {
        let mut it = text.split(sep).map(|p| p.trim().parse::<i64>().ok());
        let (a, b, c) = (it.next()??, it.next()??, it.next()??);
        it.next().is_none().then_some((a as u32, b as u32, c as i32))
    };
    let (year, month, day) = if text.len() >= 10 && text.as_bytes()[4] == b'-' {
        return Some(text[..10].to_string());
    } else if let Some((d, m, y)) = numbers('.') {
        (y, m, d)
    } else if let Some((a, b, y)) = numbers('/') {
        if a > 12 { (y, b, a) } else { (y, a, b) }
    } else {
        return None;
    };
    let year = if year < 100 {
        year + if year < 50 { 2000 } else { 1900 }
    } else {
        year
    };
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// A time as RFC 3339: as given, or `YYYY-MM-DD[ HH:MM[:SS]]` taken as UTC.
pub fn datetime(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 10 && crate::records::values::parse_datetime(text).is_ok() {
        return Some(text.to_string());
    }
    let (day, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
    let day = date(day)?;
    let time = if time.len() == 5 {
        format!("{time}:00")
    } else {
        time.to_string()
    };
    Some(format!("{day}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_spaces_and_comma_decimals() {
        assert_eq!(compact_number("1 250,00").as_deref(), Some("1250.00"));
        assert_eq!(compact_number("1250,5").as_deref(), Some("1250.5"));
        assert_eq!(compact_number("1,250.00").as_deref(), Some("1250.00"));
        assert_eq!(compact_number("1.250,00").as_deref(), Some("1250.00"));
        assert_eq!(compact_number("-3").as_deref(), Some("-3"));
        assert_eq!(compact_number("abc"), None);
    }

    #[test]
    fn dates_take_the_usual_forms() {
        assert_eq!(date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(date("29.02.2024").as_deref(), Some("2024-02-29"));
        assert_eq!(date("2/29/2024").as_deref(), Some("2024-02-29"));
        assert_eq!(date("29/2/2024").as_deref(), Some("2024-02-29"));
        assert_eq!(date("soon"), None);
        assert_eq!(datetime("2024-02-29").as_deref(), Some("2024-02-29T00:00:00Z"));
        assert_eq!(datetime("2024-02-29 10:30").as_deref(), Some("2024-02-29T10:30:00Z"));
    }

    #[test]
    fn typed_items_take_their_type_labels() {
        let items = typed_items(
            ListKind::Phone,
            "+79991234567 (work) ::: +74951112233 (Мобильный), 8 800 100-00-00",
            Some("home"),
        );
        assert_eq!(
            items,
            vec![
                json!({"value": "+79991234567", "type": "work"}),
                json!({"value": "+74951112233", "type": "mobile"}),
                json!({"value": "8 800 100-00-00", "type": "home"}),
            ]
        );
        assert_eq!(type_code(ListKind::Phone, "Work Fax"), Some("fax"));
        assert_eq!(type_code(ListKind::Email, "Рабочий"), Some("work"));
        assert_eq!(boolean("Да"), Some(true));
        assert_eq!(clean("* Mobile "), "Mobile");
    }
}
