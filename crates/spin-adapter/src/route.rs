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

/// The version an `If-Match` header names (`"3"`; `W/"3"` is accepted); `*` or none is `None`.
pub fn parse_if_match(value: Option<&str>) -> Result<Option<i64>, RequestError> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value == "*" {
        return Ok(None);
    }
    let bare = value.strip_prefix("W/").unwrap_or(value);
    bare.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| RequestError::Malformed(format!("If-Match must be a quoted version such as \"3\", not {value}")))
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
        assert_eq!(parse_if_match(Some("W/\"4\"")), Ok(Some(4)));
        assert_eq!(parse_if_match(Some("*")), Ok(None));
        assert!(parse_if_match(Some("3")).is_err());
        assert!(parse_if_match(Some("\"x\"")).is_err());
    }
}
