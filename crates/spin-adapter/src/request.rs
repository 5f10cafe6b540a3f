//! Reading requests the same way in every component: JSON bodies with a size limit and a
//! content-type check, the query string, `If-Match`, and method checks that answer 405 with
//! `Allow` (for a component that is no route table; tables check methods themselves, see
//! [`crate::routes`]).
//!
//! The checks are pure functions over header values and bytes (tested natively); [`json_body`],
//! [`query_pairs`], [`if_match`] and [`allow_methods`] apply them to a Spin request.

use serde::de::DeserializeOwned;
use spin_sdk::http::Request;

/// Largest JSON body accepted (1 MiB); larger bodies get 413.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Why a request was refused before reaching the domain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// 400: malformed JSON, query or header; the text says what is wrong.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 413: the body is over the limit (in bytes).
    #[error("body over {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body is not in a media type this endpoint reads.
    #[error("unsupported content type; expected {expected}")]
    UnsupportedMediaType {
        /// The media type to send instead.
        expected: &'static str,
    },
    /// 405: the route exists but not for this method.
    #[error("method not allowed; allowed: {}", allow.join(", "))]
    MethodNotAllowed {
        /// The methods the route does answer (sent as `Allow`).
        allow: Vec<&'static str>,
    },
}

/// Accept `application/json` and any `application/*+json` (e.g. `merge-patch+json`), with any
/// parameters such as `charset`; refuse a missing or different `Content-Type` with 415.
pub fn check_json_content_type(content_type: Option<&str>) -> Result<(), RequestError> {
    let media_type = content_type
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_json =
        media_type == "application/json" || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(RequestError::UnsupportedMediaType {
            expected: "application/json",
        })
    }
}

/// Check content type (415), size (413) and syntax (400), then deserialize `body`.
pub fn parse_json<T: DeserializeOwned>(content_type: Option<&str>, body: &[u8]) -> Result<T, RequestError> {
    check_json_content_type(content_type)?;
    if body.len() > JSON_BODY_LIMIT {
        return Err(RequestError::TooLarge { limit: JSON_BODY_LIMIT });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::Malformed(
            "the body is empty; expected a JSON document".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() {
            "the JSON has the wrong shape"
        } else {
            "the body is not valid JSON"
        };
        RequestError::Malformed(format!("{what}: {e}"))
    })
}

/// Refuse `method` with 405 unless it is one of `allow` (upper-case names, e.g. `["GET"]`).
pub fn check_method(method: &str, allow: &[&'static str]) -> Result<(), RequestError> {
    if allow.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        Ok(())
    } else {
        Err(RequestError::MethodNotAllowed { allow: allow.to_vec() })
    }
}

/// [`check_method`] for a Spin request.
pub fn allow_methods(request: &Request, allow: &[&'static str]) -> Result<(), RequestError> {
    check_method(&request.method().to_string(), allow)
}

/// [`parse_json`] for a Spin request's `Content-Type` and body.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, RequestError> {
    let content_type = request.header("content-type").and_then(|v| v.as_str());
    parse_json(content_type, request.body())
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
    use serde_json::Value;

    #[test]
    fn content_types_are_checked() {
        let cases = [
            (Some("application/json"), true),
            (Some("Application/JSON; charset=utf-8"), true),
            (Some("application/merge-patch+json"), true),
            (Some("text/plain"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some(""), false),
            (None, false),
        ];
        for (content_type, ok) in cases {
            assert_eq!(
                check_json_content_type(content_type).is_ok(),
                ok,
                "content type {content_type:?}"
            );
        }
    }

    /// Name, `Content-Type`, body, and whether the error is the expected one.
    type Case<'a> = (&'a str, Option<&'a str>, &'a [u8], fn(&RequestError) -> bool);

    #[test]
    fn bad_bodies_are_refused_with_the_right_error() {
        let big = vec![b' '; JSON_BODY_LIMIT + 1];
        let cases: [Case; 5] = [
            ("wrong content type", Some("text/plain"), b"{}", |e| {
                matches!(e, RequestError::UnsupportedMediaType { .. })
            }),
            ("over the limit", Some("application/json"), &big, |e| {
                matches!(e, RequestError::TooLarge { .. })
            }),
            (
                "empty",
                Some("application/json"),
                b"  ",
                |e| matches!(e, RequestError::Malformed(m) if m.contains("empty")),
            ),
            (
                "syntax error",
                Some("application/json"),
                b"{\"a\":",
                |e| matches!(e, RequestError::Malformed(m) if m.contains("not valid JSON")),
            ),
            ("trailing garbage", Some("application/json"), b"{} x", |e| {
                matches!(e, RequestError::Malformed(_))
            }),
        ];
        for (name, content_type, body, expected) in cases {
            let error = parse_json::<Value>(content_type, body).expect_err(name);
            assert!(expected(&error), "case {name}: got {error:?}");
        }
    }

    #[test]
    fn a_body_at_the_limit_is_read() {
        let mut body = vec![b' '; JSON_BODY_LIMIT - 2];
        body.extend_from_slice(b"{}");
        assert_eq!(
            parse_json::<Value>(Some("application/json"), &body),
            Ok(serde_json::json!({}))
        );
    }

    #[test]
    fn the_wrong_shape_is_a_bad_request_naming_the_problem() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Login {
            email: String,
        }
        let error =
            parse_json::<Login>(Some("application/json"), br#"{"email": 5}"#).expect_err("a number is not a string");
        assert!(
            matches!(&error, RequestError::Malformed(m) if m.contains("wrong shape") && m.contains("invalid type")),
            "{error:?}"
        );
    }

    #[test]
    fn methods_outside_the_list_are_not_allowed() {
        assert_eq!(check_method("GET", &["GET"]), Ok(()));
        assert_eq!(
            check_method("POST", &["GET", "HEAD"]),
            Err(RequestError::MethodNotAllowed {
                allow: vec!["GET", "HEAD"]
            })
        );
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
