//! Parameters from a query string, a form or multipart body with PHP-style bracketed keys
//! (`fields[PHONE][0][VALUE]`), or JSON, into one JSON object (issue 19, transport helper).
//!
//! Bitrix24 is PHP: a key `a[b][0][c]=v` builds nested arrays, `a[]=v` appends. Here every
//! form leaf is a JSON string; `a[]=x` appends to a JSON array, `a[0]=x` sets the key `"0"` of
//! an object (methods accept both through `values`). A later pair wins over an earlier one
//! with the same key, as in PHP, and the body's parameters win over the query string's. Keys
//! PHP would mangle silently are refused ([`FormError`], a 400): an unclosed or stray bracket,
//! text after a closing bracket, an empty name, nesting deeper than [`MAX_DEPTH`]. Top-level
//! telemetry parameters of the official SDKs (`bx24_*`) are dropped.

use crate::intake::payload::PayloadError;
use serde_json::{Map, Value as Json};

/// How deep brackets may nest (`a[1][2]...`), as PHP's `max_input_nesting_level` bounds it.
pub const MAX_DEPTH: usize = 32;

/// Why parameters could not be read: a 400 `INVALID_REQUEST` naming the key or the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

/// One step of a bracketed key: an object key, or `[]` (append).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Append,
}

/// The name and the bracket steps of a key, or why it is malformed.
fn split_key(key: &str) -> Result<(&str, Vec<Step<'_>>), FormError> {
    let malformed = |why: &str| FormError(format!("malformed parameter name {key:?}: {why}"));
    let (name, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    if name.is_empty() {
        return Err(malformed("no name before the brackets"));
    }
    if name.contains(']') {
        return Err(malformed("a closing bracket without an opening one"));
    }
    let mut steps = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(malformed("an unclosed bracket"));
        };
        let step = &inner[..close];
        if step.contains('[') {
            return Err(malformed("a bracket inside a bracket"));
        }
        steps.push(if step.is_empty() { Step::Append } else { Step::Key(step) });
        if steps.len() > MAX_DEPTH {
            return Err(malformed("brackets nested too deep"));
        }
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() {
        return Err(malformed("text after a closing bracket"));
    }
    Ok((name, steps))
}

/// Sets `value` at `steps` below `slot`, making containers as needed (a leaf in the way is
/// replaced, as PHP replaces it).
fn put(slot: &mut Json, steps: &[Step<'_>], value: Json) {
    let Some((step, rest)) = steps.split_first() else {
        *slot = value;
        return;
    };
    match step {
        Step::Append => {
            if let Json::Object(map) = slot {
                // PHP appends at one past the largest integer key.
                let next = map
                    .keys()
                    .filter_map(|k| k.parse::<u64>().ok())
                    .max()
                    .map_or(0, |m| m + 1);
                let child = map.entry(next.to_string()).or_insert(Json::Null);
                put(child, rest, value);
                return;
            }
            if !slot.is_array() {
                *slot = Json::Array(Vec::new());
            }
            if let Json::Array(items) = slot {
                items.push(Json::Null);
                if let Some(child) = items.last_mut() {
                    put(child, rest, value);
                }
            }
        }
        Step::Key(key) => {
            if let Json::Array(items) = slot {
                let map: Map<String, Json> = std::mem::take(items)
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect();
                *slot = Json::Object(map);
            }
            if !slot.is_object() {
                *slot = Json::Object(Map::new());
            }
            if let Json::Object(map) = slot {
                let child = map.entry((*key).to_owned()).or_insert(Json::Null);
                put(child, rest, value);
            }
        }
    }
}

/// Whether a top-level parameter is an SDK's telemetry (`bx24_request_id`...), ignored.
fn is_telemetry(name: &str) -> bool {
    name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("bx24_"))
}

/// Adds bracketed pairs to `into` (a JSON object), later pairs winning.
pub fn add_pairs<K: AsRef<str>, V: Into<String>>(
    into: &mut Map<String, Json>,
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Result<(), FormError> {
    for (key, value) in pairs {
        let (name, steps) = split_key(key.as_ref())?;
        if is_telemetry(name) {
            continue;
        }
        let slot = into.entry(name.to_owned()).or_insert(Json::Null);
        put(slot, &steps, Json::String(value.into()));
    }
    Ok(())
}

/// A query string (or an urlencoded body) into one JSON object.
pub fn from_query(query: &[u8]) -> Result<Map<String, Json>, FormError> {
    let mut map = Map::new();
    add_pairs(&mut map, form_urlencoded::parse(query))?;
    Ok(map)
}

/// A request's parameters: the query string, then the body by its content type
/// (urlencoded — also when none is given —, multipart text parts, or a JSON object), the
/// body's top-level keys winning. An empty body adds nothing.
pub fn params(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Json, FormError> {
    let mut map = from_query(query.as_bytes())?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        let media = content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json" => {
                let json: Json =
                    serde_json::from_slice(body).map_err(|e| FormError(format!("the body is not valid JSON: {e}")))?;
                let Json::Object(body) = json else {
                    return Err(FormError("the JSON body must be an object".into()));
                };
                for (key, value) in body {
                    if !is_telemetry(&key) {
                        map.insert(key, value);
                    }
                }
            }
            "multipart/form-data" => {
                let content_type = content_type.unwrap_or_default();
                let pairs = crate::intake::payload::multipart(content_type, body).map_err(|e| match e {
                    PayloadError::Malformed(why) | PayloadError::Unsupported(why) => FormError(why),
                })?;
                add_pairs(&mut map, pairs)?;
            }
            _ => add_pairs(&mut map, form_urlencoded::parse(body))?,
        }
    }
    Ok(Json::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(text: &str) -> Json {
        Json::Object(from_query(text.as_bytes()).expect("reads"))
    }

    #[test]
    fn brackets_nest_as_php_nests_them() {
        assert_eq!(
            query("fields[TITLE]=John%26Martin&fields[PHONE][0][VALUE]=555&fields[PHONE][0][VALUE_TYPE]=WORK"),
            json!({"fields": {"TITLE": "John&Martin", "PHONE": {"0": {"VALUE": "555", "VALUE_TYPE": "WORK"}}}})
        );
        assert_eq!(query("select[]=ID&select[]=NAME"), json!({"select": ["ID", "NAME"]}));
        assert_eq!(
            query("filter[@ID][]=1&filter[@ID][]=2"),
            json!({"filter": {"@ID": ["1", "2"]}})
        );
        assert_eq!(query("a=1&a=2"), json!({"a": "2"}));
        assert_eq!(query("a=1&a[b]=2"), json!({"a": {"b": "2"}}));
        assert_eq!(query("a[]=x&a[k]=y"), json!({"a": {"0": "x", "k": "y"}}));
        assert_eq!(query("a[5]=x&a[]=y"), json!({"a": {"5": "x", "6": "y"}}));
        assert_eq!(query("a[][b]=1&a[][b]=2"), json!({"a": [{"b": "1"}, {"b": "2"}]}));
        assert_eq!(query("bx24_request_id=1&BX24_SDK_VER=2&id=3"), json!({"id": "3"}));
        assert_eq!(query(""), json!({}));
    }

    #[test]
    fn malformed_brackets_are_refused_with_the_key() {
        for key in [
            "a[b",
            "a]",
            "a[b]c",
            "[a]=1",
            "a[b[c]]",
            "a[b]]",
            &"a".chars().chain("[x]".repeat(33).chars()).collect::<String>(),
        ] {
            let error = from_query(format!("{key}=1").as_bytes()).expect_err(key);
            assert!(error.0.contains("malformed parameter name"), "{key}: {error:?}");
        }
        assert!(
            from_query(
                &"a".chars()
                    .chain("[x]".repeat(32).chars())
                    .collect::<String>()
                    .into_bytes()
            )
            .is_ok()
        );
    }

    #[test]
    fn the_body_wins_over_the_query() {
        assert_eq!(
            params(
                "id=1&start=0",
                Some("application/json"),
                br#"{"id": 5, "fields": {"TITLE": "x"}, "bx24_x": 1}"#
            )
            .unwrap(),
            json!({"id": 5, "start": "0", "fields": {"TITLE": "x"}})
        );
        assert_eq!(
            params("id=1", None, b"id=2&fields[NAME]=y").unwrap(),
            json!({"id": "2", "fields": {"NAME": "y"}})
        );
        assert_eq!(
            params("id=1", Some("application/json"), b"").unwrap(),
            json!({"id": "1"})
        );
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"fields[TITLE]\"\r\n\r\nДеньги\r\n--XyZ--\r\n";
        assert_eq!(
            params("", Some("multipart/form-data; boundary=XyZ"), body.as_bytes()).unwrap(),
            json!({"fields": {"TITLE": "Деньги"}})
        );
        for (content_type, body) in [
            ("application/json", "[1]"),
            ("application/json", "{"),
            ("multipart/form-data", "x"),
            ("application/x-www-form-urlencoded", "a[=1"),
        ] {
            assert!(
                params("", Some(content_type), body.as_bytes()).is_err(),
                "{content_type} {body}"
            );
        }
    }
}
