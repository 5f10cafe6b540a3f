//! URLs and origins that end up in HTTP headers (a form's redirect `Location`, its CORS
//! `allowed_origins`), parsed strictly: an absolute `http(s)` URL of visible ASCII only (no
//! control characters, spaces or backslashes, so nothing can split a header), with a host that
//! is a domain, `localhost` or an IPv4 address, and an optional port. Non-ASCII addresses must
//! be given in their ASCII form (punycode host, percent-encoded path).
//!
//! Ours rather than the `url` crate: WHATWG parsing is lenient by design (it repairs spaces,
//! backslashes and missing slashes, and maps Unicode hosts through IDNA tables that would add
//! hundreds of kilobytes to each component), while a value bound for a header must be refused,
//! not repaired.

use super::Invalid;

/// Longest URL accepted, in bytes.
pub const MAX_URL: usize = 2_000;

/// An `http(s)` scheme, host and port: the parts an origin compares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority<'a> {
    scheme: &'static str,
    host: &'a str,
    port: Option<u16>,
}

/// Splits `scheme://host[:port]` off `text`; the rest (path, query, fragment) is returned too.
fn authority(text: &str) -> Option<(Authority<'_>, &str)> {
    let (scheme, rest) = ["https", "http"].into_iter().find_map(|scheme| {
        let head = text.get(..scheme.len() + 3)?;
        head.eq_ignore_ascii_case(&format!("{scheme}://"))
            .then(|| (scheme, &text[scheme.len() + 3..]))
    })?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (hostport, tail) = rest.split_at(end);
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => {
            let valid = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
            let port = port.parse::<u16>().ok().filter(|p| valid && *p > 0)?;
            (host, Some(port))
        }
        None => (hostport, None),
    };
    Some((Authority { scheme, host, port }, tail))
}

/// `localhost`, a dotted IPv4 address, or an ASCII domain of two or more labels.
fn is_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    host.is_ascii() && super::is_domain(host)
}

fn visible_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\')
}

fn invalid_url() -> Invalid {
    Invalid::new(
        "invalid_url",
        "an absolute http(s) URL such as https://example.com/thanks, without spaces or control characters (non-ASCII addresses in their punycode / percent-encoded form)",
    )
}

/// Parses an absolute `http(s)` URL safe to send in a header; returns it trimmed.
/// Errors: `invalid_url`, `too_long`.
pub fn parse_http_url(text: &str) -> Result<String, Invalid> {
    let text = text.trim_matches(|c| c == ' ');
    if text.len() > MAX_URL {
        return Err(super::too_long(MAX_URL));
    }
    if !visible_ascii(text) {
        return Err(invalid_url());
    }
    match authority(text) {
        Some((authority, _)) if is_host(authority.host) => Ok(text.to_string()),
        _ => Err(invalid_url()),
    }
}

/// Parses an allowed-origin pattern and returns it in lowercase: `*` (any web origin, never
/// the opaque `null` one), `https://example.com[:port]`, or `https://*.example.com[:port]` (any
/// subdomain, at any depth, not the domain itself). Errors: `invalid_origin`.
pub fn parse_origin_pattern(text: &str) -> Result<String, Invalid> {
    let text = text.trim().to_ascii_lowercase();
    if text == "*" {
        return Ok(text);
    }
    let invalid = || {
        Invalid::new(
            "invalid_origin",
            "an origin such as https://example.com, a pattern such as https://*.example.com, or *",
        )
    };
    if !visible_ascii(&text) {
        return Err(invalid());
    }
    let (authority, tail) = authority(&text).ok_or_else(invalid)?;
    let host = authority.host.strip_prefix("*.").unwrap_or(authority.host);
    if !tail.is_empty() || !is_host(host) {
        return Err(invalid());
    }
    Ok(text)
}

/// Whether the request's `Origin` header value matches a pattern of [`parse_origin_pattern`].
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    let Some((given, "")) = authority(&origin) else {
        // `null` (sandboxed frames, file: pages) and anything else that is not a web origin.
        return false;
    };
    if !is_host(given.host) {
        return false;
    }
    if pattern == "*" {
        return true;
    }
    let pattern = pattern.to_ascii_lowercase();
    let Some((wanted, "")) = authority(&pattern) else {
        return false;
    };
    if wanted.scheme != given.scheme || wanted.port != given.port {
        return false;
    }
    match wanted.host.strip_prefix("*.") {
        Some(domain) => given
            .host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => wanted.host == given.host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_are_absolute_and_header_safe() {
        for good in [
            "https://example.com",
            "https://example.com/thanks?x=1#top",
            "http://127.0.0.1:8080/ok",
            "http://localhost:3000/",
            "HTTPS://Example.com/a%20b",
            "https://xn--80ak6aa92e.xn--p1ai/",
        ] {
            assert_eq!(parse_http_url(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "https://x/\r\nSet-Cookie: x=1",
            "https://example.com/\0",
            "http://a b",
            "//evil.example",
            "/thanks",
            "javascript:alert(1)",
            "ftp://example.com",
            "https://",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://example.com\\@evil.example",
            "https://сайт.рф/",
            "https://example.com/\u{7f}",
        ] {
            assert!(parse_http_url(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_http_url(&format!("https://example.com/{}", "a".repeat(MAX_URL)))
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn origin_patterns_parse_and_match() {
        let cases = [
            ("*", "https://shop.example", true),
            ("*", "null", false),
            ("*", "file://", false),
            ("https://example.com", "https://example.com", true),
            ("https://example.com", "HTTPS://EXAMPLE.COM", true),
            ("https://example.com", "http://example.com", false),
            ("https://example.com", "https://example.com:8443", false),
            ("https://example.com", "https://evil-example.com", false),
            ("https://*.example.com", "https://shop.example.com", true),
            ("https://*.example.com", "https://a.b.example.com", true),
            ("https://*.example.com", "https://example.com", false),
            ("https://*.example.com", "https://evilexample.com", false),
            ("https://*.example.com", "https://x.example.com.evil.io", false),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080", true),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8081", false),
            ("https://example.com", "https://example.com/path", false),
        ];
        for (pattern, origin, expected) in cases {
            let parsed = parse_origin_pattern(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"));
            assert_eq!(origin_matches(&parsed, origin), expected, "{pattern} vs {origin}");
        }
        for bad in [
            "example.com",
            "https://example.com/",
            "https://*example.com",
            "https://ex ample.com",
            "https://*.*.example.com",
            "*.example.com",
            "null",
        ] {
            assert!(parse_origin_pattern(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn an_accepted_url_can_never_split_a_header(text in "\\PC{0,60}|https?://[ -~\\r\\n\\t]{0,40}") {
            if let Ok(url) = parse_http_url(&text) {
                prop_assert!(url.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{url:?}");
                prop_assert!(url.to_ascii_lowercase().starts_with("http"));
            }
        }

        #[test]
        fn origins_match_themselves_and_wildcards_only_match_subdomains(
            sub in "[a-z][a-z0-9]{0,8}",
            domain in "[a-z][a-z0-9]{0,8}\\.(com|ru|example)",
            https in any::<bool>(),
        ) {
            let scheme = if https { "https" } else { "http" };
            let exact = parse_origin_pattern(&format!("{scheme}://{domain}")).expect("origin");
            let wildcard = parse_origin_pattern(&format!("{scheme}://*.{domain}")).expect("pattern");
            let origin = format!("{scheme}://{sub}.{domain}");
            let bare = format!("{scheme}://{domain}");
            let glued = format!("{scheme}://{sub}{domain}");
            prop_assert!(origin_matches(&exact, &bare));
            prop_assert!(!origin_matches(&exact, &origin));
            prop_assert!(origin_matches(&wildcard, &origin));
            prop_assert!(!origin_matches(&wildcard, &bare));
            prop_assert!(!origin_matches(&wildcard, &glued));
            prop_assert!(!origin_matches("*", "null"));
        }
    }
}
