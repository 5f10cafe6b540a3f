//! Web addresses: `http(s)://host[:port][/path]` or a bare `host[/path]`, kept as typed.

use super::{Invalid, MAX_TEXT, is_domain, required, too_long};

/// Parses a web address and returns it trimmed. Errors: `required`, `too_long`, `invalid_url`.
pub fn parse_website(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(required());
    }
    if text.chars().count() > MAX_TEXT {
        return Err(too_long(MAX_TEXT));
    }
    if is_web_address(text) {
        Ok(text.to_string())
    } else {
        Err(Invalid::new("invalid_url", "not a web address"))
    }
}

fn is_web_address(text: &str) -> bool {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let rest = ["http://", "https://"]
        .into_iter()
        .find_map(|scheme| {
            let head = text.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme).then(|| &text[scheme.len()..])
        })
        .unwrap_or(text);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n))
    });
    port_ok && is_domain(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_web_addresses() {
        let cases = [
            ("example.com", "bare host"),
            ("www.example.ru/shop", "bare host with path"),
            ("https://example.com", "https"),
            ("http://example.com/", "http with slash"),
            (
                "HTTPS://Example.com/a/b?x=1#top",
                "uppercase scheme, query and fragment",
            ),
            ("https://shop.example.com:8443/cart", "port"),
            ("https://пример.рф/каталог", "cyrillic host and path"),
            ("example.com?ref=crm", "bare host with query"),
        ];
        for (text, why) in cases {
            assert_eq!(parse_website(text).as_deref(), Ok(text), "{why}");
        }
        assert_eq!(
            parse_website("  example.com  ").as_deref(),
            Ok("example.com"),
            "trimmed"
        );
    }

    #[test]
    fn rejects_web_addresses() {
        let long = format!("https://example.com/{}", "a".repeat(240));
        let cases = [
            ("", "required", "empty"),
            ("  ", "required", "blank"),
            (long.as_str(), "too_long", "over 255 characters"),
            ("localhost", "invalid_url", "single label"),
            ("http://", "invalid_url", "scheme only"),
            ("ftp://example.com", "invalid_url", "other scheme"),
            ("https//example.com", "invalid_url", "broken scheme"),
            ("example .com", "invalid_url", "inner space"),
            ("https://exa mple.com/a", "invalid_url", "space in host"),
            ("https://example.com/a b", "invalid_url", "space in path"),
            ("https://user@example.com", "invalid_url", "user info"),
            ("https://example.com:0", "invalid_url", "port 0"),
            ("https://example.com:65536", "invalid_url", "port too large"),
            ("https://example.com:", "invalid_url", "empty port"),
            ("https://192.168.0.1/", "invalid_url", "ip address"),
            ("/shop", "invalid_url", "path only"),
            ("not a site", "invalid_url", "words"),
        ];
        for (text, code, why) in cases {
            let err = parse_website(text).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), (code, ""), "{why}: {text}");
        }
    }
}
