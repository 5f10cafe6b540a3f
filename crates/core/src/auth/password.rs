//! Passwords: argon2id hashing (PHC strings in `users.password_hash`), verification, and the
//! password policy new passwords must pass.
//!
//! The cost is OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): one hash must stay well
//! under a second inside a wasm component, which runs it 2-3x slower than native code. A
//! stored hash carries its own parameters, so raising them later only affects new hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::CoreError;

/// Memory cost in KiB (OWASP: 19 MiB).
const MEMORY_KIB: u32 = 19_456;
/// Number of passes.
const PASSES: u32 = 2;
/// Degree of parallelism (a component has one thread).
const LANES: u32 = 1;

/// Shortest accepted password, in characters.
pub(crate) const MIN_LEN: usize = 10;
/// Longest accepted password, in characters.
pub(crate) const MAX_LEN: usize = 128;

/// The hash checked when a login names no account, so that an unknown email costs as long as
/// a wrong password. Made with the parameters above from a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$mnu7uY+qNiY1k0f14xl0Jg$TL/8YZmZx3CdwqcUJ6GgrNRFziIQzNPsgAKN780Zy/Y";

/// The most common passwords that pass the length rule (compared case-insensitively).
const COMMON: &[&str] = &[
    "password123",
    "password1234",
    "password12",
    "passw0rd123",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "1234567890",
    "0123456789",
    "12345678910",
    "0987654321",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "123456789a",
    "abc1234567",
    "iloveyou123",
    "admin12345",
    "administrator",
    "welcome123",
    "letmein123",
    "football123",
    "princess123",
];

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with argon2id and a fresh random salt; returns the PHC string to store.
pub fn hash_password(password: &str) -> Result<String, CoreError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| CoreError::Internal(format!("no randomness for a salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Internal(format!("salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the stored PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification without an account, so timing does not tell whether
/// an email is registered.
pub(crate) fn verify_dummy(password: &str) {
    let _ = verify_password(password, DUMMY_HASH);
}

/// The password policy for a new password of the account `email`: 10..=128 characters, not one
/// character or short run repeated, not containing the email's local part (when it has at least
/// three characters), not one of the most common passwords. The error is `(code, message)`,
/// with code `password_too_short`, `password_too_long` or `weak_password`.
pub fn check_password(password: &str, email: &str) -> Result<(), (&'static str, String)> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(("password_too_short", format!("must be at least {MIN_LEN} characters")));
    }
    if len > MAX_LEN {
        return Err(("password_too_long", format!("must be at most {MAX_LEN} characters")));
    }
    let lower = password.to_lowercase();
    if is_repetition(&lower) {
        return Err(("weak_password", "must not be one character or pattern repeated".into()));
    }
    let local = email.trim().split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 3 && lower.contains(&local) {
        return Err(("weak_password", "must not contain the email address".into()));
    }
    if COMMON.contains(&lower.as_str()) {
        return Err(("weak_password", "is one of the most common passwords".into()));
    }
    Ok(())
}

/// Whether `text` is a run of at most three characters repeated (`aaaa…`, `abab…`, `123123…`).
fn is_repetition(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (1..=3).any(|period| chars.len() > period && chars.iter().enumerate().all(|(i, c)| *c == chars[i % period]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_the_owasp_cost() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert_ne!(hash, hash_password("correct horse battery").expect("hash"), "salted");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash_password("anything at all").expect("hash");
        let prefix = |h: &str| h.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(prefix(DUMMY_HASH), prefix(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the dummy hash parses");
    }

    #[test]
    fn malformed_hashes_never_verify() {
        for hash in ["", "plain", "$argon2id$v=19$m=19456,t=2,p=1$", "$md5$x"] {
            assert!(!verify_password("password", hash), "hash {hash:?}");
        }
    }

    #[test]
    fn the_policy_rejects_weak_passwords_with_a_code() {
        let cases = [
            ("short", "password_too_short", "under ten characters"),
            ("", "password_too_short", "empty"),
            ("ab€defghi", "password_too_short", "nine characters though more bytes"),
            (&"x1".repeat(65), "password_too_long", "over 128 characters"),
            ("aaaaaaaaaaaa", "weak_password", "one character repeated"),
            ("abababababab", "weak_password", "a pair repeated"),
            ("123123123123", "weak_password", "a triple repeated"),
            ("PASSWORD123", "weak_password", "a common password in another case"),
            ("1234567890", "weak_password", "a common password"),
            ("ivan.petrov-2026", "weak_password", "contains the email's local part"),
        ];
        for (password, code, why) in cases {
            let result = check_password(password, "Ivan.Petrov@example.com");
            assert_eq!(result.map_err(|e| e.0), Err(code), "{why}: {password:?}");
        }
    }

    #[test]
    fn the_policy_accepts_reasonable_passwords() {
        let cases = [
            "correct horse battery staple",
            "Tr0ub4dor&3x",
            "ёжик в тумане 2026",
            "jo-jo-and-friends",
        ];
        for password in cases {
            assert_eq!(check_password(password, "jo@example.com"), Ok(()), "{password:?}");
        }
        assert_eq!(
            check_password(&"x1y".repeat(42).chars().take(128).collect::<String>(), "a@b.co").map_err(|e| e.0),
            Err("weak_password"),
            "a triple repeated at the limit"
        );
    }
}
