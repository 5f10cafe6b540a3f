//! A form post of any content type, read into name/value pairs: `application/x-www-form-urlencoded`
//! (plain HTML forms, Tilda, Elementor), `multipart/form-data` (text parts only; files are
//! ignored), and JSON (scripts, WPForms/Gravity Forms webhooks: nested objects flatten to
//! `a[b]`, lists repeat their name). Form-tool dialects are normalised: Elementor's advanced
//! `fields[<id>][value]` becomes `<id>`, its `meta[page_url][value]` the page URL, PHP-style
//! `name[]` becomes `name`, Contact Form 7's internal `_wpcf7*` fields are dropped.
//!
//! The multipart reader is ours: the body is already whole in memory (the runtime buffers it
//! within its limits), only text parts matter, and the well-kept parsers (`multer`) are async
//! stream machinery that a synchronous component would only wrap.

use serde_json::Value as Json;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// 415: not a content type forms send.
    Unsupported(String),
    /// 400: the body does not match its content type.
    Malformed(String),
}

/// The media type of a `Content-Type` header, lowercase, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Reads a body into pairs, in order.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Vec<(String, String)>, PayloadError> {
    let content_type = content_type.unwrap_or("application/x-www-form-urlencoded");
    let pairs = match media_type(content_type).as_str() {
        "application/x-www-form-urlencoded" | "text/plain" => form_urlencoded::parse(body).into_owned().collect(),
        "multipart/form-data" => multipart(content_type, body)?,
        "application/json" => {
            let json: Json = serde_json::from_slice(body)
                .map_err(|e| PayloadError::Malformed(format!("the body is not valid JSON: {e}")))?;
            if !json.is_object() {
                return Err(PayloadError::Malformed("the JSON body must be an object".into()));
            }
            let mut pairs = Vec::new();
            flatten("", &json, &mut pairs);
            pairs
        }
        other => {
            return Err(PayloadError::Unsupported(format!(
                "{other} is not a form content type (urlencoded, multipart/form-data or JSON)"
            )));
        }
    };
    Ok(normalise(pairs))
}

fn flatten(prefix: &str, value: &Json, out: &mut Vec<(String, String)>) {
    match value {
        Json::Object(map) => {
            for (key, v) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}[{key}]")
                };
                flatten(&name, v, out);
            }
        }
        Json::Array(items) => {
            for item in items {
                flatten(prefix, item, out);
            }
        }
        Json::Null => {}
        Json::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The text parts of a multipart body (also read by `rest::form`).
pub(crate) fn multipart(content_type: &str, body: &[u8]) -> Result<Vec<(String, String)>, PayloadError> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| PayloadError::Malformed("multipart/form-data without a boundary".into()))?;
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut pairs = Vec::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            return Err(PayloadError::Malformed("a multipart part has no header end".into()));
        };
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or_default();
        if disposition.contains("filename=") {
            continue;
        }
        let Some(name) = disposition
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("name="))
            .next()
            .map(|n| n.trim_matches('"').to_string())
        else {
            continue;
        };
        pairs.push((name, value.strip_suffix("\r\n").unwrap_or(value).to_string()));
    }
    Ok(pairs)
}

/// Applies the dialect rules (see the module doc).
fn normalise(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if name.starts_with("_wpcf7") || name.starts_with("form[") {
            continue;
        }
        if let Some(rest) = name.strip_prefix("fields[") {
            if let Some(id) = rest.strip_suffix("][value]") {
                out.push((id.to_string(), value));
            }
            continue;
        }
        if let Some(rest) = name.strip_prefix("meta[") {
            match rest {
                "page_url][value]" => out.push(("_page_url".into(), value)),
                "user_agent][value]" | "remote_ip][value]" => {}
                _ => {}
            }
            continue;
        }
        let name = name.strip_suffix("[]").map(str::to_owned).unwrap_or(name);
        out.push((name, value));
    }
    out
}

/// Tilda's connection check (`test=test`) and similar pings: answered 200, nothing stored.
pub fn is_ping(pairs: &[(String, String)]) -> bool {
    matches!(pairs, [(k, v)] if k == "test" && v == "test")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_every_content_type_forms_send() {
        let urlencoded = parse(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            "your-name=%D0%98%D0%B2%D0%B0%D0%BD&interest[]=a&interest[]=b".as_bytes(),
        );
        assert_eq!(
            urlencoded,
            Ok(p(&[("your-name", "Иван"), ("interest", "a"), ("interest", "b")]))
        );
        let json = parse(
            Some("application/json"),
            br#"{"name": "Ann", "tags": ["x", "y"], "info": {"a": 1}, "gone": null}"#,
        );
        assert_eq!(
            json,
            Ok(p(&[("name", "Ann"), ("tags", "x"), ("tags", "y"), ("info[a]", "1")]))
        );
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nann@example.com\r\n--XyZ\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n";
        assert_eq!(
            parse(Some("multipart/form-data; boundary=XyZ"), body.as_bytes()),
            Ok(p(&[("Email", "ann@example.com")]))
        );
        assert!(matches!(
            parse(Some("application/xml"), b"<a/>"),
            Err(PayloadError::Unsupported(_))
        ));
        assert!(matches!(
            parse(Some("application/json"), b"[1]"),
            Err(PayloadError::Malformed(_))
        ));
        assert!(matches!(
            parse(Some("multipart/form-data"), b"x"),
            Err(PayloadError::Malformed(_))
        ));
    }

    #[test]
    fn form_tool_dialects_become_plain_names() {
        let elementor = "form%5Bid%5D=abc&fields%5Bname%5D%5Bvalue%5D=Ann&fields%5Bname%5D%5Btitle%5D=Name&meta%5Bpage_url%5D%5Bvalue%5D=https%3A%2F%2Fsite.example%2F";
        assert_eq!(
            parse(None, elementor.as_bytes()),
            Ok(p(&[("name", "Ann"), ("_page_url", "https://site.example/")]))
        );
        let cf7 = "_wpcf7=12&_wpcf7_version=5.9&your-email=a%40b.example";
        assert_eq!(parse(None, cf7.as_bytes()), Ok(p(&[("your-email", "a@b.example")])));
        assert!(is_ping(&p(&[("test", "test")])));
        assert!(!is_ping(&p(&[("test", "test"), ("Name", "x")])));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Field names a form tool would send (none of the dialect prefixes).
    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9-]{0,15}"
    }

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec((name(), "[ -~а-яё]{0,40}"), 0..8)
    }

    proptest! {
        #[test]
        fn any_body_of_any_type_parses_or_is_refused_without_panicking(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            content_type in prop::sample::select(vec![
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=xyz",
                "multipart/form-data",
                "application/json",
                "text/plain",
                "image/png",
            ]),
        ) {
            let _ = parse(Some(content_type), &body);
        }

        #[test]
        fn urlencoded_bodies_round_trip(pairs in pairs()) {
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
            prop_assert_eq!(parse(None, body.as_bytes()), Ok(pairs));
        }

        #[test]
        fn multipart_text_parts_round_trip(pairs in pairs(), boundary in "[A-Za-z0-9]{8,30}") {
            prop_assume!(pairs.iter().all(|(_, v)| !v.contains(&format!("--{boundary}"))));
            let mut body = String::new();
            for (name, value) in &pairs {
                body.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ));
            }
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nskipped\r\n--{boundary}--\r\n"
            ));
            let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");
            prop_assert_eq!(parse(Some(&content_type), body.as_bytes()), Ok(pairs));
        }

        #[test]
        fn json_objects_flatten_to_their_string_leaves(pairs in pairs()) {
            let mut object = serde_json::Map::new();
            for (name, value) in &pairs {
                object.insert(name.clone(), Json::String(value.clone()));
            }
            let expected: Vec<(String, String)> =
                object.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
            let body = Json::Object(object).to_string();
            prop_assert_eq!(parse(Some("application/json"), body.as_bytes()), Ok(expected));
        }
    }
}
