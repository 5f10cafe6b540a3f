//! `{"en": ..., "ru": ...}` names, stored in two columns ([`Store::Names`](super::Store)),
//! read in one of two ways the API has always had:
//!
//! - [`patch`] (dictionary entries, currencies): a merge-patch of its own — `en` may not be
//!   cleared, clearing `ru` makes it `en` again, and problems are named `name.en`, `name.ru`;
//! - [`whole`] (pipelines, stages): the whole name each time, `en` of 1 to 100 characters
//!   and `ru` defaulting to it; a problem is `name.en`/`required`.

use serde_json::{Map, Value as Json, json};

use super::{Body, Patch};

/// The longest name [`patch`] takes.
pub const NAME_MAX: usize = 200;

/// The longest name [`whole`] takes.
pub const WHOLE_MAX: usize = 100;

/// Reads `key` as a merge-patch of `{en, ru}`: `{"en": ...}` with only the parts given
/// (`"ru": null` when `ru` is cleared). Problems go to the body's errors as `key`,
/// `key.en`, `key.ru`; `null` for the whole is `required`. A create must give `en` (a missing
/// whole name is the field's `required`).
pub fn patch(b: &mut Body, key: &'static str, creating: bool) -> Patch<Json> {
    let value = match b.get(key) {
        None => return Patch::Absent,
        Some(Json::Null) => {
            b.errors.push(key, "required", "may not be empty");
            return Patch::Invalid;
        }
        Some(value) if !value.is_object() => {
            b.errors.push(
                key,
                "invalid_type",
                "expected an object such as {\"en\": \"...\", \"ru\": \"...\"}",
            );
            return Patch::Invalid;
        }
        Some(value) => value,
    };
    let Ok(mut names) = Body::new(value, &["en", "ru"]) else {
        return Patch::Invalid;
    };
    let en = names.text("en", NAME_MAX, true);
    let ru = names.text("ru", NAME_MAX, false);
    if creating && matches!(en, Patch::Absent) {
        names.errors.push("en", "required", "is required");
    }
    if !names.errors.is_empty() {
        for e in names.errors.iter() {
            b.errors
                .push(format!("{key}.{}", e.field), e.code.clone(), e.message.clone());
        }
        return Patch::Invalid;
    }
    let mut out = Map::new();
    if let Patch::Set(en) = en {
        out.insert("en".into(), Json::from(en));
    }
    match ru {
        Patch::Set(ru) => {
            out.insert("ru".into(), Json::from(ru));
        }
        Patch::Null => {
            out.insert("ru".into(), Json::Null);
        }
        Patch::Absent | Patch::Invalid => {}
    }
    Patch::Set(Json::Object(out))
}

/// Reads `key` as a whole `{en, ru}` name (`ru` defaults to `en`); on create a missing one is
/// read as empty, so it is `key.en`/`required` too.
pub fn whole(b: &mut Body, key: &'static str, creating: bool) -> Patch<Json> {
    let value = b.get(key);
    if value.is_none() && !creating {
        return Patch::Absent;
    }
    let part = |name: &str| value.and_then(|n| n.get(name)).and_then(Json::as_str).map(str::trim);
    let en = part("en").unwrap_or_default();
    let ru = part("ru").unwrap_or(en);
    if en.is_empty() || en.chars().count() > WHOLE_MAX || ru.chars().count() > WHOLE_MAX {
        b.errors.push(
            format!("{key}.en"),
            "required",
            "a name of 1 to 100 characters is required",
        );
        return Patch::Invalid;
    }
    Patch::Set(json!({"en": en, "ru": ru}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reader: super::super::field::Reader, body: Json, creating: bool) -> (Patch<Json>, Vec<String>) {
        let mut b = Body::new(&body, &["name"]).expect("object");
        let patch = reader(&mut b, "name", creating);
        (
            patch,
            b.errors.iter().map(|e| format!("{}/{}", e.field, e.code)).collect(),
        )
    }

    #[test]
    fn a_name_patch_keeps_only_what_is_given() {
        let cases = [
            (
                json!({"name": {"en": " New "}}),
                Patch::Set(json!({"en": "New"})),
                vec![],
            ),
            (json!({"name": {"ru": null}}), Patch::Set(json!({"ru": null})), vec![]),
            (json!({"name": {}}), Patch::Set(json!({})), vec![]),
            (json!({}), Patch::Absent, vec![]),
            (json!({"name": null}), Patch::Invalid, vec!["name/required"]),
            (json!({"name": "New"}), Patch::Invalid, vec!["name/invalid_type"]),
            (
                json!({"name": {"en": "", "xx": 1}}),
                Patch::Invalid,
                vec!["name.xx/unknown_field", "name.en/required"],
            ),
        ];
        for (body, patch, errors) in cases {
            assert_eq!(
                read(patch_reader, body.clone(), false),
                (patch, strings(&errors)),
                "{body}"
            );
        }
        assert_eq!(
            read(patch_reader, json!({"name": {"ru": "Б"}}), true).1,
            strings(&["name.en/required"])
        );
    }

    #[test]
    fn a_whole_name_defaults_ru_to_en() {
        assert_eq!(
            read(whole, json!({"name": {"en": " Sales "}}), false).0,
            Patch::Set(json!({"en": "Sales", "ru": "Sales"}))
        );
        assert_eq!(read(whole, json!({}), false), (Patch::Absent, vec![]));
        for (body, creating) in [
            (json!({}), true),
            (json!({"name": null}), false),
            (json!({"name": {"en": "x".repeat(101)}}), false),
        ] {
            assert_eq!(
                read(whole, body.clone(), creating).1,
                strings(&["name.en/required"]),
                "{body}"
            );
        }
    }

    fn patch_reader(b: &mut Body, key: &'static str, creating: bool) -> Patch<Json> {
        patch(b, key, creating)
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }
}
