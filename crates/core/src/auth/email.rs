//! Email addresses as accounts use them: trimmed, lowercased, and checked pragmatically (one
//! `@`, a non-empty local part, a dotted domain, no spaces, at most 254 characters). Delivery is
//! the only real test of an address; this check only catches typos and junk.

/// Longest address accepted (RFC 5321's path limit less the angle brackets).
const MAX_LEN: usize = 254;

/// The account form of `email` (trimmed, lowercased), or `("invalid_email", message)`.
pub fn normalize_email(email: &str) -> Result<String, (&'static str, String)> {
    let email = email.trim().to_lowercase();
    let invalid = |message: &str| Err(("invalid_email", message.to_string()));
    if email.is_empty() {
        return invalid("must not be empty");
    }
    if email.chars().count() > MAX_LEN {
        return invalid("must be at most 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("must not contain spaces");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid("not an email address");
    };
    if local.is_empty() || domain.contains('@') {
        return invalid("not an email address");
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return invalid("the domain is not valid");
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Ivan@Example.COM \n"),
            Ok("ivan@example.com".to_string())
        );
        assert_eq!(
            normalize_email("a.b+tag@mail.example.ru"),
            Ok("a.b+tag@mail.example.ru".to_string())
        );
    }

    #[test]
    fn malformed_addresses_are_invalid_email() {
        let long = format!("{}@example.com", "a".repeat(250));
        let cases = [
            ("", "empty"),
            ("   ", "blank"),
            ("ivan", "no @"),
            ("@example.com", "empty local part"),
            ("ivan@", "empty domain"),
            ("ivan@localhost", "undotted domain"),
            ("ivan@example.", "trailing dot"),
            ("ivan@.example.com", "leading dot"),
            ("ivan@exa..mple.com", "empty label"),
            ("iv an@example.com", "a space"),
            ("a@b@example.com", "two @"),
            (long.as_str(), "over 254 characters"),
        ];
        for (email, why) in cases {
            assert_eq!(
                normalize_email(email).map_err(|e| e.0),
                Err("invalid_email"),
                "{why}: {email:?}"
            );
        }
    }
}
