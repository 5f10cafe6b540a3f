//! E-mail addresses: a pragmatic `local@domain` check (Unicode domains allowed) and the lowercase
//! form used for matching and deduplication.
//!
//! Ours rather than a crate's: full RFC 5322 acceptance (quoted local parts, comments) is what a
//! CRM must *not* accept from a form, and the check is twenty lines with no dependency.

use super::{Invalid, is_domain, required};

/// The longest address accepted, in characters (RFC 5321 path limit).
const MAX_LEN: usize = 254;
/// The longest local part (before the `@`), in characters.
const MAX_LOCAL: usize = 64;
/// Characters that only appear in quoted local parts; unquoted they signal a pasting mistake.
const SPECIALS: &str = "\"(),:;<>[\\]";

/// A valid e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The address as typed, trimmed.
    pub value: String,
    /// The address in lowercase, for matching and deduplication.
    pub normalized: String,
}

impl Email {
    /// Parses an e-mail address: `required`, `too_long` or `invalid_email`.
    pub fn parse(text: &str) -> Result<Email, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Err(required());
        }
        if text.chars().count() > MAX_LEN {
            return Err(Invalid::new("too_long", format!("at most {MAX_LEN} characters")));
        }
        let valid = match text.split_once('@') {
            Some((local, domain)) => is_local_part(local) && is_domain(domain),
            None => false,
        };
        if !valid {
            return Err(Invalid::new("invalid_email", "not an email address"));
        }
        Ok(Email {
            value: text.to_string(),
            normalized: text.to_lowercase(),
        })
    }
}

/// The part before the `@`: 1..=64 characters, no whitespace, control characters, specials or a
/// second `@`, and dots only between other characters.
fn is_local_part(local: &str) -> bool {
    (1..=MAX_LOCAL).contains(&local.chars().count())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '@' && !SPECIALS.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses() {
        let cases = [
            ("ivan@example.com", "ivan@example.com", "plain"),
            (
                "  Ivan.Petrov@Example.COM ",
                "ivan.petrov@example.com",
                "trimmed and lowercased",
            ),
            (
                "first+tag@mail.example.co.uk",
                "first+tag@mail.example.co.uk",
                "plus tag, deep domain",
            ),
            (
                "o'brien_1-x@ex-ample.io",
                "o'brien_1-x@ex-ample.io",
                "apostrophe, underscore, hyphen",
            ),
            ("Иван@Почта.РФ", "иван@почта.рф", "cyrillic local and domain"),
            (
                "user@xn--80a1acny.xn--p1ai",
                "user@xn--80a1acny.xn--p1ai",
                "punycode domain",
            ),
            ("a@b.c1", "a@b.c1", "tld with a digit"),
        ];
        for (text, normalized, why) in cases {
            let email = Email::parse(text).unwrap_or_else(|e| panic!("{why}: {text}: {e}"));
            assert_eq!(email.value, text.trim(), "{why}: value");
            assert_eq!(email.normalized, normalized, "{why}: normalized");
        }
        let local = "a".repeat(64);
        assert!(
            Email::parse(&format!("{local}@example.com")).is_ok(),
            "64-char local part"
        );
    }

    #[test]
    fn rejects_addresses() {
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        let long_local = format!("{}@example.com", "a".repeat(65));
        let cases = [
            ("", "required", "empty"),
            ("   ", "required", "blank"),
            (long.as_str(), "too_long", "over 254 characters"),
            (long_local.as_str(), "invalid_email", "local part over 64"),
            ("ivan", "invalid_email", "no at"),
            ("ivan@", "invalid_email", "no domain"),
            ("@example.com", "invalid_email", "no local part"),
            ("a@b@example.com", "invalid_email", "two at signs"),
            ("iv an@example.com", "invalid_email", "space in local part"),
            ("ivan\u{7}@example.com", "invalid_email", "control character"),
            (".ivan@example.com", "invalid_email", "leading dot"),
            ("ivan.@example.com", "invalid_email", "trailing dot"),
            ("iv..an@example.com", "invalid_email", "double dot"),
            ("ivan,petr@example.com", "invalid_email", "comma"),
            ("<ivan@example.com>", "invalid_email", "angle brackets"),
            ("ivan@localhost", "invalid_email", "single-label domain"),
            ("ivan@example..com", "invalid_email", "empty label"),
            ("ivan@-example.com", "invalid_email", "label with leading hyphen"),
            ("ivan@example.com.", "invalid_email", "trailing dot in domain"),
            ("ivan@10.0.0.1", "invalid_email", "numeric tld"),
            ("ivan@exa_mple.com", "invalid_email", "underscore in domain"),
        ];
        for (text, code, why) in cases {
            let err = Email::parse(text).expect_err(why);
            assert_eq!(err.code, code, "{why}: {text}");
            assert_eq!(err.path, "", "{why}: path");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(email.normalized.clone(), email.value.to_lowercase());
                prop_assert!(!email.value.chars().any(char::is_control));
                prop_assert_eq!(Email::parse(&email.value), Ok(email));
            }
        }

        #[test]
        fn plain_addresses_are_accepted(local in "[a-z0-9][a-z0-9._-]{0,20}[a-z0-9]", domain in "[a-z][a-z0-9-]{0,10}[a-z0-9]\\.(ru|com|example)") {
            prop_assume!(!local.contains(".."));
            let address = format!("{local}@{domain}");
            prop_assert_eq!(Email::parse(&address).map(|e| e.normalized), Ok(address));
        }
    }
}
