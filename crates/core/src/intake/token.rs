//! The time token of hosted and embedded forms: `<issued unix seconds>.<HMAC-SHA256>` over the
//! form key and the time, signed with the form's secret. A post that carries a token younger
//! than [`MIN_SECONDS`] (a bot filling the form at once), older than [`MAX_SECONDS`], or
//! forged, is quarantined. Posts without a token (a CMS webhook) are not judged by it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A human needs at least this long to fill a form.
pub const MIN_SECONDS: i64 = 2;
/// A rendered form stays usable this long (a day).
pub const MAX_SECONDS: i64 = 86_400;

/// What a token says about a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Issued by us between [`MIN_SECONDS`] and [`MAX_SECONDS`] ago.
    Human,
    /// Sent back faster than a person types.
    TooFast,
    /// Older than [`MAX_SECONDS`].
    Expired,
    /// Not one of ours.
    Forged,
}

fn signature(secret: &str, form_key: &str, issued: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(form_key.as_bytes());
    mac.update(b".");
    mac.update(issued.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A token for a form rendered at `now`.
pub fn issue(secret: &str, form_key: &str, now: i64) -> String {
    format!("{now}.{}", signature(secret, form_key, now))
}

/// Judges a token sent back at `now` (constant-time signature check).
pub fn verify(secret: &str, form_key: &str, token: &str, now: i64) -> Verdict {
    let Some((issued, sig)) = token.split_once('.') else {
        return Verdict::Forged;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return Verdict::Forged;
    };
    if !crate::auth::hashes_match(&signature(secret, form_key, issued), sig) {
        return Verdict::Forged;
    }
    match now - issued {
        age if age < MIN_SECONDS => Verdict::TooFast,
        age if age > MAX_SECONDS => Verdict::Expired,
        _ => Verdict::Human,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_tell_humans_from_bots_and_forgeries() {
        let token = issue("s3cret", "abc", 1_000);
        assert_eq!(verify("s3cret", "abc", &token, 1_005), Verdict::Human);
        assert_eq!(verify("s3cret", "abc", &token, 1_001), Verdict::TooFast);
        assert_eq!(
            verify("s3cret", "abc", &token, 1_000 + MAX_SECONDS + 1),
            Verdict::Expired
        );
        assert_eq!(verify("other", "abc", &token, 1_005), Verdict::Forged);
        assert_eq!(verify("s3cret", "xyz", &token, 1_005), Verdict::Forged);
        assert_eq!(verify("s3cret", "abc", "1000.deadbeef", 1_005), Verdict::Forged);
        assert_eq!(verify("s3cret", "abc", "garbage", 1_005), Verdict::Forged);
    }
}
