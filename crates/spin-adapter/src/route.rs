//! Reading what a request addresses: the path below the component's route, the query
//! string, and `If-Match`.

use spin_sdk::http::Request;

use crate::request::RequestError;

/// What a path below a collection route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The collection itself (`/api/users`).
    Collection,
    /// One record (`/api/users/7`).
    Item(i64),
}

/// The path below the component's route (Spin's `spin-path-info`), or the URI path.
pub fn path_info(request: &Request) -> &str {
    request
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| request.path())
}

/// `""` or `"/"` is the collection, `"/<positive id>"` an item; anything else is `None` (404).
pub fn target(path_info: &str) -> Option<Target> {
    match path_info.trim_end_matches('/') {
        "" => Some(Target::Collection),
        rest => {
            let id = rest.strip_prefix('/')?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 18 {
                return None;
            }
            id.parse().ok().filter(|id| *id > 0).map(Target::Item)
        }
    }
}

/// The decoded `name=value` pairs of the query string, in order.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(request.query().as_bytes())
        .into_owned()
        .collect()
}

/// A version no record has (versions start at 1): what an `If-Match` that can never match
/// stands for, so the write answers 412 and changes nothing.
pub const NO_VERSION: i64 = 0;

/// The version an `If-Match` header names: `"3"` is version 3; `*` or no header is `None`.
/// RFC 9110 compares `If-Match` strongly, so a weak tag (`W/"3"`) never matches, nor does a
/// quoted tag that is not one of ours (`"03"`, `"x"`): both are [`NO_VERSION`] (412). A value
/// that is not an entity-tag at all is 400.
pub fn parse_if_match(value: Option<&str>) -> Result<Option<i64>, RequestError> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value == "*" {
        return Ok(None);
    }
    let (weak, tag) = match value.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let opaque = tag
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| v.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b)))
        .ok_or_else(|| {
            RequestError::Malformed(format!("If-Match must be a quoted version such as \"3\", not {value}"))
        })?;
    let canonical = !opaque.is_empty() && !opaque.starts_with('0') && opaque.bytes().all(|b| b.is_ascii_digit());
    match opaque.parse::<i64>() {
        Ok(version) if canonical && !weak => Ok(Some(version)),
        _ => Ok(Some(NO_VERSION)),
    }
}

/// [`parse_if_match`] for a Spin request.
pub fn if_match(request: &Request) -> Result<Option<i64>, RequestError> {
    parse_if_match(request.header("if-match").and_then(|v| v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_collections_or_positive_ids() {
        assert_eq!(target(""), Some(Target::Collection));
        assert_eq!(target("/"), Some(Target::Collection));
        assert_eq!(target("/7"), Some(Target::Item(7)));
        assert_eq!(target("/7/"), Some(Target::Item(7)));
        for bad in ["/0", "/-1", "/abc", "/7/x", "/1e3", "/99999999999999999999", "x"] {
            assert_eq!(target(bad), None, "{bad}");
        }
    }

    #[test]
    fn if_match_takes_quoted_versions() {
        assert_eq!(parse_if_match(None), Ok(None));
        assert_eq!(parse_if_match(Some("\"3\"")), Ok(Some(3)));
        assert_eq!(parse_if_match(Some("*")), Ok(None));
        for never in [
            "W/\"4\"",
            "\"x\"",
            "\"03\"",
            "\"\"",
            "\"-1\"",
            "\"99999999999999999999\"",
        ] {
            assert_eq!(parse_if_match(Some(never)), Ok(Some(NO_VERSION)), "{never}");
        }
        for malformed in ["3", "\"3", "W/3", "\"a b\"", "\"3\", \"4\""] {
            assert!(parse_if_match(Some(malformed)).is_err(), "{malformed}");
        }
    }
}
