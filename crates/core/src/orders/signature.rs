//! Webhook signatures, checked over the raw body bytes before anything parses them.
//!
//! - Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`): the base64
//!   of HMAC-SHA256 of the raw body, keyed with the shared secret.
//! - Generic (`X-Signature: sha256=<hex>`): HMAC-SHA256 of `<timestamp>.<body>`, the timestamp
//!   (unix seconds, `X-Timestamp`) inside the signed text and within [`WINDOW_SECONDS`] of now,
//!   so a captured delivery cannot be replayed later.
//!
//! The comparison is constant-time (`hmac`'s `verify_slice`). A secret that was rotated out
//! still verifies until its grace period ends (the caller passes both).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a generic delivery's timestamp may be from now, either way.
pub const WINDOW_SECONDS: i64 = 300;

/// The store kinds, by how they sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shopify.
    Shopify,
    /// WooCommerce.
    WooCommerce,
    /// The documented generic JSON format.
    Generic,
}

impl Kind {
    /// The kind named `text` (`shopify`, `woocommerce`, `generic`).
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "shopify" => Some(Kind::Shopify),
            "woocommerce" => Some(Kind::WooCommerce),
            "generic" => Some(Kind::Generic),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Shopify => "shopify",
            Kind::WooCommerce => "woocommerce",
            Kind::Generic => "generic",
        }
    }
}

/// The signature headers of one delivery, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signed<'a> {
    /// `X-Shopify-Hmac-Sha256`, `X-WC-Webhook-Signature` or `X-Signature`, by kind.
    pub signature: Option<&'a str>,
    /// `X-Timestamp` (generic only).
    pub timestamp: Option<&'a str>,
}

/// Whether `signed` is a valid signature of `body` under any of `secrets` for `kind`, at `now`.
pub fn verify(kind: Kind, secrets: &[&str], body: &[u8], signed: &Signed, now: i64) -> bool {
    let Some(signature) = signed.signature.map(str::trim) else {
        return false;
    };
    match kind {
        Kind::Shopify | Kind::WooCommerce => {
            let Ok(expected) = STANDARD.decode(signature) else {
                return false;
            };
            secrets.iter().any(|secret| check(secret, &[body], &expected))
        }
        Kind::Generic => {
            let Some(hex_text) = signature.strip_prefix("sha256=") else {
                return false;
            };
            let Ok(expected) = hex::decode(hex_text) else {
                return false;
            };
            let Some(timestamp) = signed.timestamp.map(str::trim) else {
                return false;
            };
            let Ok(at) = timestamp.parse::<i64>() else {
                return false;
            };
            if (now - at).abs() > WINDOW_SECONDS {
                return false;
            }
            let prefix = format!("{timestamp}.");
            secrets
                .iter()
                .any(|secret| check(secret, &[prefix.as_bytes(), body], &expected))
        }
    }
}

/// Constant-time: the HMAC of `parts` under `secret` equals `expected`.
fn check(secret: &str, parts: &[&[u8]], expected: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(expected).is_ok()
}

/// The base64 HMAC-SHA256 of `body` (what Shopify and WooCommerce send; for tests and tools).
pub fn sign_base64(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, &[body]))
}

/// The generic `X-Signature` value for `body` sent at `timestamp`.
pub fn sign_generic(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let prefix = format!("{timestamp}.");
    format!("sha256={}", hex::encode(mac(secret, &[prefix.as_bytes(), body])))
}

fn mac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length; this never fails.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOPIFY: &[u8] = include_bytes!("../../tests/data/shopify-order.json");
    const WOO: &[u8] = include_bytes!("../../tests/data/woocommerce-order.json");

    fn signed(signature: &str) -> Signed<'_> {
        Signed {
            signature: Some(signature),
            timestamp: None,
        }
    }

    #[test]
    fn the_reference_signatures_of_the_samples_verify() {
        // The check values of ../shared/reference/store-webhooks.md, secret `test_secret`.
        let shopify = "/8eqZ9Wn8U+5L5zvT90wDh39jiICug+P0WXE22QhzXY=";
        let woo = "xUAO8oX7kKMpxWDA5E+8u6o9/NQajEgLW651S1X2010=";
        assert_eq!(sign_base64("test_secret", SHOPIFY), shopify);
        assert_eq!(sign_base64("test_secret", WOO), woo);
        assert!(verify(Kind::Shopify, &["test_secret"], SHOPIFY, &signed(shopify), 0));
        assert!(verify(Kind::WooCommerce, &["test_secret"], WOO, &signed(woo), 0));
    }

    #[test]
    fn forged_tampered_or_missing_signatures_fail() {
        let good = sign_base64("test_secret", SHOPIFY);
        let mut tampered = SHOPIFY.to_vec();
        tampered[10] ^= 1;
        let cases: [(&[&str], &[u8], Signed, &str); 6] = [
            (&["other"], SHOPIFY, signed(&good), "another secret"),
            (&["test_secret"], &tampered, signed(&good), "a changed body"),
            (&["test_secret"], SHOPIFY, Signed::default(), "no header"),
            (&["test_secret"], SHOPIFY, signed("not base64!"), "not base64"),
            (&["test_secret"], SHOPIFY, signed(""), "empty"),
            (&["test_secret"], SHOPIFY, signed(&good[..20]), "cut short"),
        ];
        for (secrets, body, signature, why) in cases {
            assert!(!verify(Kind::Shopify, secrets, body, &signature, 0), "{why}");
        }
    }

    #[test]
    fn a_rotated_out_secret_still_verifies_while_given() {
        let old = sign_base64("old", WOO);
        assert!(verify(Kind::WooCommerce, &["new", "old"], WOO, &signed(&old), 0));
        assert!(!verify(Kind::WooCommerce, &["new"], WOO, &signed(&old), 0));
    }

    #[test]
    fn generic_signatures_bind_the_timestamp_and_expire() {
        let body = br#"{"id":"A-1"}"#;
        let now = 1_800_000_000;
        let signature = sign_generic("s3cret", now, body);
        let at = now.to_string();
        let ok = |signature: &str, timestamp: &str, now: i64, body: &[u8]| {
            verify(
                Kind::Generic,
                &["s3cret"],
                body,
                &Signed {
                    signature: Some(signature),
                    timestamp: Some(timestamp),
                },
                now,
            )
        };
        assert!(ok(&signature, &at, now, body));
        assert!(ok(&signature, &at, now + WINDOW_SECONDS, body), "at the window's end");
        assert!(!ok(&signature, &at, now + WINDOW_SECONDS + 1, body), "too late");
        assert!(!ok(&signature, &at, now - WINDOW_SECONDS - 1, body), "from the future");
        assert!(!ok(&signature, &(now + 1).to_string(), now, body), "another timestamp");
        assert!(!ok(&signature, &at, now, br#"{"id":"A-2"}"#), "another body");
        assert!(
            !ok(signature.trim_start_matches("sha256="), &at, now, body),
            "no scheme"
        );
        assert!(!ok("sha256=zz", &at, now, body), "not hex");
        assert!(!ok(&signature, "soon", now, body), "not a number");
    }
}
