//! The schema fingerprint: one integer that names an exact set of migration files, kept in a
//! migrated database's `PRAGMA user_version` (see [`crate::migrate`]). Pure, with no crate
//! dependencies but `sha2`, so `build.rs` compiles the same file to embed the build's own
//! fingerprint as a constant: a request compares two integers and hashes nothing.

use sha2::{Digest, Sha256};

/// The fingerprint of the migrations `(version, checksum)`, in version order: the last version
/// in the low 12 bits and 19 bits of a SHA-256 over every version and checksum above them
/// (positive in 32 bits, as SQLite keeps `user_version`). 0 when there are none.
pub fn schema_fingerprint<'a>(migrations: impl IntoIterator<Item = (u32, &'a str)>) -> i64 {
    let mut hash = Sha256::new();
    let mut last = None;
    for (version, checksum) in migrations {
        hash.update(version.to_be_bytes());
        hash.update(checksum.as_bytes());
        last = last.max(Some(version));
    }
    let Some(last) = last else { return 0 };
    let digest = hash.finalize();
    let high = i64::from(u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) & 0x7_FFFF);
    (high << 12) | (i64::from(last) & 0xFFF)
}
