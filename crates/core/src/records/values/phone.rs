//! Phone numbers: typed forms (international or national for a default country) to E.164, the
//! digit forms a search should match, and the recognition of a search query that is a number.
//!
//! National numbers are understood through a small table of countries (calling code, trunk
//! prefix, national significant number lengths); anything else must carry a `+country` code.
//!
//! Why not the `phonenumber` crate (libphonenumber's metadata): it embeds the whole metadata and
//! `regex`, well past a component's size budget, and deserialises the metadata and compiles its
//! patterns on first use — in every request, since Spin starts a fresh instance per request. A
//! CRM needs E.164 for matching and search, not carrier or number-type detection; numbers of
//! countries outside the table are accepted in international form.

use super::{Invalid, required};

/// How a country writes its national numbers.
struct Country {
    /// ISO 3166 alpha-2 code, uppercase.
    iso: &'static str,
    /// Calling code digits, without `+`.
    code: &'static str,
    /// National trunk prefix dropped before the national significant number ("" if none).
    trunk: &'static str,
    /// Allowed lengths of the national significant number.
    nsn: (usize, usize),
}

const fn country(iso: &'static str, code: &'static str, trunk: &'static str, nsn: (usize, usize)) -> Country {
    Country { iso, code, trunk, nsn }
}

/// The countries whose national numbers are understood.
const COUNTRIES: &[Country] = &[
    country("RU", "7", "8", (10, 10)),
    country("KZ", "7", "8", (10, 10)),
    country("BY", "375", "80", (9, 9)),
    country("UA", "380", "0", (9, 9)),
    country("US", "1", "1", (10, 10)),
    country("CA", "1", "1", (10, 10)),
    country("GB", "44", "0", (9, 10)),
    country("DE", "49", "0", (6, 13)),
    country("FR", "33", "0", (9, 9)),
    country("IT", "39", "", (6, 11)),
    country("ES", "34", "", (9, 9)),
    country("PL", "48", "", (9, 9)),
    country("TR", "90", "0", (10, 10)),
    country("CN", "86", "0", (10, 11)),
    country("IN", "91", "0", (10, 10)),
    country("UZ", "998", "8", (9, 9)),
    country("AM", "374", "0", (8, 8)),
    country("GE", "995", "0", (9, 9)),
];

/// Digits of an international number (calling code included), per E.164.
const INTERNATIONAL_DIGITS: (usize, usize) = (8, 15);
/// The longest extension kept, in digits.
const MAX_EXTENSION: usize = 10;

/// A valid phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// The number as typed, trimmed (an extension stays here).
    pub value: String,
    /// The number in E.164: `+` and digits, without the extension.
    pub e164: String,
}

impl Phone {
    /// Parses a typed phone number; national numbers are read for `default_country` (ISO alpha-2,
    /// any case). Errors: `required`, `invalid_phone`.
    pub fn parse(text: &str, default_country: &str) -> Result<Phone, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Err(required());
        }
        let number = strip_extension(text).ok_or_else(not_a_phone)?;
        if !is_phone_text(number) || number[1..].contains('+') {
            return Err(not_a_phone());
        }
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let international = if number.starts_with('+') {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        let e164_digits = match international {
            Some(digits) => digits.to_string(),
            None => national(&digits, default_country)?,
        };
        let (min, max) = INTERNATIONAL_DIGITS;
        if !(min..=max).contains(&e164_digits.len()) || e164_digits.starts_with('0') {
            return Err(not_a_phone());
        }
        Ok(Phone {
            value: text.to_string(),
            e164: format!("+{e164_digits}"),
        })
    }
}

/// Whether `code` (ISO alpha-2, any case) is a country whose national numbers are understood.
pub fn is_known_country(code: &str) -> bool {
    find_country(code).is_some()
}

/// The digit strings a search should match for a stored E.164 number: all digits without `+`,
/// and the national significant number when the calling code is in the table.
pub fn search_forms(e164: &str) -> Vec<String> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Vec::new();
    }
    let code = COUNTRIES
        .iter()
        .map(|c| c.code)
        .filter(|code| digits.starts_with(code))
        .max_by_key(|c| c.len());
    let nsn = code.map(|code| digits[code.len()..].to_string());
    let mut forms = vec![digits];
    if let Some(nsn) = nsn.filter(|nsn| !nsn.is_empty() && !forms.contains(nsn)) {
        forms.push(nsn);
    }
    forms
}

/// If the search query looks like a phone number (only phone characters, at least 5 digits),
/// its digits.
pub fn phone_query(q: &str) -> Option<String> {
    let q = q.trim();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    (q.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c)) && digits.len() >= 5).then_some(digits)
}

fn not_a_phone() -> Invalid {
    Invalid::new("invalid_phone", "not a phone number")
}

fn find_country(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso.eq_ignore_ascii_case(code.trim()))
}

/// Digits, spaces, `(`, `)`, `-`, `.`, `/`, and `+` (its position is checked by the caller).
fn is_phone_text(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit()) && text.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c))
}

/// The number without a trailing extension (`ext`, `ext.`, `x`, `#` then digits); `None` if
/// what follows the number is not an extension.
fn strip_extension(text: &str) -> Option<&str> {
    let Some(start) = text.find(|c: char| c.is_alphabetic() || c == '#') else {
        return Some(text);
    };
    let rest = text[start..].to_ascii_lowercase();
    let marker = ["ext.", "ext", "x", "#"].into_iter().find(|m| rest.starts_with(m))?;
    let ext = rest[marker.len()..].trim_start_matches([' ', ':']);
    let ext_ok = !ext.is_empty() && ext.len() <= MAX_EXTENSION && ext.chars().all(|c| c.is_ascii_digit());
    ext_ok.then(|| text[..start].trim_end())
}

/// A national number for `iso` to E.164 digits (calling code included).
fn national(digits: &str, iso: &str) -> Result<String, Invalid> {
    let country = find_country(iso).ok_or_else(|| {
        Invalid::new(
            "invalid_phone",
            "not a phone number: write it with the +country code, e.g. +44 20 7946 0958",
        )
    })?;
    let (min, max) = country.nsn;
    let fits = |nsn: &str| (min..=max).contains(&nsn.len());
    if country.code == "7" && digits.len() == 11 && digits.starts_with('7') {
        return Ok(digits.to_string());
    }
    let stripped = digits.strip_prefix(country.trunk).filter(|_| !country.trunk.is_empty());
    let nsn = match stripped {
        Some(nsn) if fits(nsn) => nsn,
        _ if fits(digits) => digits,
        _ => return Err(not_a_phone()),
    };
    Ok(format!("{}{nsn}", country.code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers() {
        let cases = [
            (
                "+7 (999) 123-45-67",
                "RU",
                "+79991234567",
                "international with punctuation",
            ),
            ("8 999 123 45 67", "RU", "+79991234567", "russian trunk 8"),
            ("89991234567", "ru", "+79991234567", "russian trunk, lowercase country"),
            ("79991234567", "RU", "+79991234567", "russian 11 digits starting with 7"),
            ("999-123-45-67", "RU", "+79991234567", "russian nsn"),
            ("8 800 555 35 35", "RU", "+78005553535", "russian toll-free with trunk"),
            (
                "8005553535",
                "RU",
                "+78005553535",
                "russian toll-free nsn starting with 8",
            ),
            ("8 (701) 123 45 67", "KZ", "+77011234567", "kazakh trunk"),
            (
                "+1-202-555-0143",
                "RU",
                "+12025550143",
                "us number with another default",
            ),
            ("(202) 555.0143", "US", "+12025550143", "us national"),
            ("1 202 555 0143", "CA", "+12025550143", "north american trunk 1"),
            ("00 44 20 7946 0958", "RU", "+442079460958", "00 international prefix"),
            ("(020) 7946 0958", "GB", "+442079460958", "british trunk 0"),
            ("07700 900123", "gb", "+447700900123", "british mobile"),
            ("8 029 123-45-67", "BY", "+375291234567", "belarus trunk 80"),
            ("067 123 4567", "UA", "+380671234567", "ukraine trunk 0"),
            ("030 123456", "DE", "+4930123456", "germany short"),
            ("01 23 45 67 89", "FR", "+33123456789", "france"),
            ("06 1234 5678", "IT", "+390612345678", "italy keeps leading 0"),
            ("612 345 678", "ES", "+34612345678", "spain"),
            ("512/345/678", "PL", "+48512345678", "poland with slashes"),
            ("0532 123 45 67", "TR", "+905321234567", "turkey"),
            ("138 0013 8000", "CN", "+8613800138000", "china mobile"),
            ("098765 43210", "IN", "+919876543210", "india trunk 0"),
            ("8 90 123 45 67", "UZ", "+998901234567", "uzbekistan trunk 8"),
            ("010 123456", "AM", "+37410123456", "armenia"),
            ("0 555 12 34 56", "GE", "+995555123456", "georgia"),
            (
                "+44 20 7946 0958",
                "XX",
                "+442079460958",
                "international ignores unknown default",
            ),
        ];
        for (text, country, e164, why) in cases {
            let phone = Phone::parse(text, country).unwrap_or_else(|e| panic!("{why}: {text}: {e}"));
            assert_eq!(phone.e164, e164, "{why}: {text}");
            assert_eq!(phone.value, text, "{why}: value");
        }
    }

    #[test]
    fn keeps_extensions_out_of_e164() {
        let cases = [
            ("+1 202 555 0143 ext. 12", "ext."),
            ("+1 202 555 0143 ext 12", "ext"),
            ("+1 202 555 0143 EXT:12", "upper EXT with colon"),
            ("+1 202 555 0143 x12", "x"),
            ("+1 202 555 0143#12", "hash"),
        ];
        for (text, why) in cases {
            let phone = Phone::parse(text, "US").unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(phone.e164, "+12025550143", "{why}");
            assert_eq!(phone.value, text, "{why}: value keeps the extension");
        }
    }

    #[test]
    fn rejects_numbers() {
        let cases = [
            ("", "RU", "required", "empty"),
            ("   ", "RU", "required", "blank"),
            ("+7 999 abc 45 67", "RU", "invalid_phone", "letters"),
            ("7+9991234567", "RU", "invalid_phone", "plus not first"),
            ("++79991234567", "RU", "invalid_phone", "two pluses"),
            ("+7_999_123", "RU", "invalid_phone", "underscore"),
            ("()-", "RU", "invalid_phone", "no digits"),
            ("+1234567", "RU", "invalid_phone", "international too short"),
            ("+1234567890123456", "RU", "invalid_phone", "international too long"),
            (
                "+0 999 123 45 67",
                "RU",
                "invalid_phone",
                "calling code starting with 0",
            ),
            ("999 123 45 6", "RU", "invalid_phone", "national too short"),
            ("8 999 123 45 67 8", "RU", "invalid_phone", "national too long"),
            ("(020) 7946 0958", "", "invalid_phone", "no default country"),
            ("(020) 7946 0958", "ZZ", "invalid_phone", "unknown default country"),
            ("+1 202 555 0143 ext", "US", "invalid_phone", "extension without digits"),
            ("+1 202 555 0143 call me", "US", "invalid_phone", "trailing words"),
        ];
        for (text, country, code, why) in cases {
            let err = Phone::parse(text, country).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), (code, ""), "{why}: {text}");
        }
        let err = Phone::parse("7946 0958", "ZZ").expect_err("unknown country");
        assert!(
            err.message.contains("+country code"),
            "unknown country message: {}",
            err.message
        );
    }

    #[test]
    fn search_forms_of_numbers() {
        let cases: [(&str, &[&str], &str); 6] = [
            ("+79991234567", &["79991234567", "9991234567"], "russia"),
            (
                "+375291234567",
                &["375291234567", "291234567"],
                "belarus, longest prefix",
            ),
            ("+442079460958", &["442079460958", "2079460958"], "britain"),
            (
                "+998901234567",
                &["998901234567", "901234567"],
                "uzbekistan three-digit code",
            ),
            ("+2349012345678", &["2349012345678"], "unknown calling code"),
            ("", &[], "empty"),
        ];
        for (e164, forms, why) in cases {
            assert_eq!(search_forms(e164), forms, "{why}");
        }
    }

    #[test]
    fn phone_queries() {
        let cases = [
            ("+7 (999) 123", Some("7999123"), "phone-looking"),
            ("  12345 ", Some("12345"), "five digits"),
            ("1234", None, "four digits"),
            ("ivan 12345", None, "letters"),
            ("12-34-5", Some("12345"), "hyphens"),
            ("", None, "empty"),
        ];
        for (q, digits, why) in cases {
            assert_eq!(phone_query(q).as_deref(), digits, "{why}");
        }
    }

    #[test]
    fn known_countries() {
        let cases = [
            ("RU", true),
            ("ru", true),
            ("gb", true),
            ("GE", true),
            ("ZZ", false),
            ("", false),
        ];
        for (code, known) in cases {
            assert_eq!(is_known_country(code), known, "{code}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,40}", country in "[A-Z]{2}") {
            if let Ok(phone) = Phone::parse(&text, &country) {
                let digits = &phone.e164[1..];
                prop_assert!(phone.e164.starts_with('+'));
                prop_assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()), "{}", phone.e164);
            }
        }

        #[test]
        fn a_parsed_number_reparses_to_itself(text in "[+]?[0-9 ()-]{6,20}", country in prop::sample::select(vec!["RU", "US", "DE", "GB", "KZ"])) {
            if let Ok(phone) = Phone::parse(&text, country) {
                let again = Phone::parse(&phone.e164, country).expect("E.164 parses");
                prop_assert_eq!(again.e164, phone.e164);
            }
        }
    }
}
