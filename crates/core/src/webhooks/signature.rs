//! The signature every delivery carries, whatever its style: `X-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of `<timestamp>.<body>` keyed with the subscription's secret, and the timestamp
//! (unix seconds of the attempt) in `X-Webhook-Timestamp`. The timestamp is inside the signed
//! text, so a receiver that also checks it is recent refuses a replay. (The store-order
//! webhooks we receive are signed the same way: `crate::orders::signature`.)

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "X-Signature";
/// The header holding the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "X-Webhook-Timestamp";

/// `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature` is [`sign`]'s for these inputs (constant-time), as a receiver checks it.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex_part) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_part) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_secret_timestamp_and_body() {
        let signature = sign("k", 1_700_000_000, b"{\"a\":1}");
        assert!(signature.starts_with("sha256=") && signature.len() == 7 + 64);
        assert!(verify("k", 1_700_000_000, b"{\"a\":1}", &signature));
        assert!(!verify("other", 1_700_000_000, b"{\"a\":1}", &signature));
        assert!(!verify("k", 1_700_000_001, b"{\"a\":1}", &signature));
        assert!(!verify("k", 1_700_000_000, b"{\"a\":2}", &signature));
        assert!(!verify("k", 1_700_000_000, b"{\"a\":1}", "sha256=zz"));
    }

    #[test]
    fn the_signature_is_the_documented_hmac() {
        // HMAC-SHA256(key="key", "0.The quick brown fox jumps over the lazy dog"), computed
        // independently (python3 -c "import hmac,hashlib;print(hmac.new(b'key',
        // b'0.The quick brown fox jumps over the lazy dog',hashlib.sha256).hexdigest())").
        assert_eq!(
            sign("key", 0, b"The quick brown fox jumps over the lazy dog"),
            format!("sha256={}", KNOWN)
        );
    }

    const KNOWN: &str = "8511f28f7a1949f0c42772b447d68b2daf760f5f0439a20a17e3b4e7cd395763";
}
