//! The pure rules of the static file server: which file a request path names, whether an
//! unknown path falls back to `index.html`, the content type, the ETag and `If-None-Match`.
//!
//! Kept free of Spin and of the file system so every rule has a native unit test; `lib.rs` only
//! reads the file and builds the response.

use sha2::{Digest, Sha256};

/// The page served for `/` and as the SPA fallback.
pub const INDEX: &str = "index.html";

/// The longest file name (in bytes) a file system takes.
const MAX_NAME: usize = 255;

/// Path prefixes owned by other components (or reserved for them): an unknown path under one of
/// these is a 404, never the SPA page, so API clients never receive HTML.
const NOT_UI_PREFIXES: &[&str] = &["/api", "/f", "/hooks", "/rest"];

/// The file a request path names, relative to the static root (`/` -> `index.html`,
/// `/docs/` -> `docs/index.html`, `/app.js` -> `app.js`).
///
/// `raw` is the URL path as received (percent-encoded). `None` means the path can never name a
/// file here (bad escape, not UTF-8, a `.`/`..` segment, NUL or backslash, a segment longer
/// than a file name may be) and must be a 404.
pub fn resolve(raw: &str) -> Option<String> {
    let decoded = percent_decode(raw)?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" => continue,
            "." | ".." => return None,
            _ if segment.len() > MAX_NAME => return None,
            _ => segments.push(segment),
        }
    }
    if decoded.is_empty() || decoded.ends_with('/') {
        segments.push(INDEX);
    }
    Some(segments.join("/"))
}

/// Whether an unknown path gets `index.html` (the UI's client-side routes, e.g. `/contacts/7`):
/// only paths outside the API prefixes whose last segment has no extension.
pub fn spa_fallback(path: &str) -> bool {
    let under_other_component = NOT_UI_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    !under_other_component && !last_segment.contains('.')
}

/// The `Content-Type` for a file, by extension (`application/octet-stream` if unknown).
pub fn content_type(file: &str) -> &'static str {
    let extension = file
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A strong ETag for the bytes: the first 16 hex digits of their SHA-256, quoted.
pub fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..8]))
}

/// Whether an `If-None-Match` header value matches `etag` (weak comparison, as RFC 9110 asks for
/// `If-None-Match`: a `W/` prefix is ignored; `*` matches any current file).
pub fn if_none_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

/// Decode `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let high = (hex[0] as char).to_digit(16)?;
            let low = (hex[1] as char).to_digit(16)?;
            out.push(u8::try_from(high * 16 + low).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_resolve_to_files_or_nothing() {
        let cases = [
            ("/", Some("index.html")),
            ("", Some("index.html")),
            ("/app.js", Some("app.js")),
            ("/docs/", Some("docs/index.html")),
            ("//img//logo.svg", Some("img/logo.svg")),
            ("/my%20file.txt", Some("my file.txt")),
            ("/%D1%84.txt", Some("ф.txt")),
            ("/../etc/passwd", None),
            ("/a/%2e%2e/b", None),
            ("/a/./b", None),
            ("/a%00.js", None),
            (&format!("/{}", "a".repeat(256)), None),
            ("/a%5cb", None),
            ("/a\\b", None),
            ("/bad%zz", None),
            ("/cut%4", None),
            ("/not-utf8%ff", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(resolve(raw).as_deref(), expected, "path {raw:?}");
        }
    }

    #[test]
    fn only_extensionless_ui_paths_fall_back_to_index() {
        let cases = [
            ("/contacts", true),
            ("/contacts/42", true),
            ("/settings/users/", true),
            ("/apis", true),
            ("/api", false),
            ("/api/leads", false),
            ("/f/contact-us", false),
            ("/hooks/orders/shop", false),
            ("/rest/1/token/crm.lead.add", false),
            ("/missing.js", false),
            ("/img/missing.png", false),
        ];
        for (path, expected) in cases {
            assert_eq!(spa_fallback(path), expected, "path {path:?}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("app.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.MJS", "text/javascript; charset=utf-8"),
            ("data.json", "application/json"),
            ("favicon.svg", "image/svg+xml"),
            ("logo.png", "image/png"),
            ("favicon.ico", "image/x-icon"),
            ("font.woff2", "font/woff2"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("site.webmanifest", "application/manifest+json"),
            ("LICENSE", "application/octet-stream"),
        ];
        for (file, expected) in cases {
            assert_eq!(content_type(file), expected, "file {file:?}");
        }
    }

    #[test]
    fn etags_are_short_quoted_hashes_that_if_none_match_compares() {
        let tag = etag(b"hello");
        assert_eq!(tag, "\"2cf24dba5fb0a30e\"");
        assert_ne!(tag, etag(b"hello!"));
        let cases = [
            (tag.clone(), true),
            (format!("W/{tag}"), true),
            (format!("\"other\", {tag}"), true),
            ("*".to_owned(), true),
            ("\"other\"".to_owned(), false),
            (String::new(), false),
        ];
        for (header, expected) in cases {
            assert_eq!(if_none_match(&header, &tag), expected, "If-None-Match {header:?}");
        }
    }
}
