//! Fixed-point decimals (money, quantities) stored as `i64` scaled by `10^scale`: parsing from
//! JSON strings or numbers and from query-string text, and formatting back to text.

use serde_json::Value;

use super::Invalid;

/// Parses a decimal from JSON (a string like `"1250.00"`, or a number without exponent) into an
/// `i64` scaled by `10^scale`. Errors: `invalid_decimal`, `too_precise`, `out_of_range`.
pub fn parse_decimal(value: &Value, scale: u32) -> Result<i64, Invalid> {
    match value {
        Value::String(text) => parse_decimal_text(text, scale),
        Value::Number(number) => parse_decimal_text(&number.to_string(), scale),
        _ => Err(not_a_decimal()),
    }
}

/// Parses decimal text (optional `-`, digits, optional `.` and digits; surrounding whitespace
/// ignored) into an `i64` scaled by `10^scale`. Fractional digits beyond `scale` are accepted only
/// when they are zeros. Errors as for [`parse_decimal`].
pub fn parse_decimal_text(text: &str, scale: u32) -> Result<i64, Invalid> {
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || (unsigned.contains('.') && frac.is_empty()) {
        return Err(not_a_decimal());
    }
    let scale_len = usize::try_from(scale).unwrap_or(usize::MAX);
    let (kept, dropped) = frac.split_at(frac.len().min(scale_len));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(Invalid::new("too_precise", format!("at most {scale} decimal places")));
    }
    let mut magnitude: i128 = 0;
    for digit in int.bytes().chain(kept.bytes()) {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(digit - b'0')))
            .ok_or_else(out_of_range)?;
    }
    if magnitude != 0 {
        let padding = u32::try_from(scale_len - kept.len()).map_err(|_| out_of_range())?;
        let factor = 10_i128.checked_pow(padding).ok_or_else(out_of_range)?;
        magnitude = magnitude.checked_mul(factor).ok_or_else(out_of_range)?;
    }
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| out_of_range())
}

/// Formats a scaled decimal with exactly `scale` fractional digits: `(125000, 2)` -> `"1250.00"`,
/// `(-5, 2)` -> `"-0.05"`, scale 0 -> no dot.
pub fn format_decimal(scaled: i64, scale: u32) -> String {
    let sign = if scaled < 0 { "-" } else { "" };
    let digits = scaled.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(usize::MAX);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale.saturating_add(1));
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn not_a_decimal() -> Invalid {
    Invalid::new(
        "invalid_decimal",
        "expected a decimal number as a string, e.g. \"1250.00\"",
    )
}

fn out_of_range() -> Invalid {
    Invalid::new("out_of_range", "the number is too large")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_decimals() {
        let cases = [
            (json!("1250.00"), 2, 125_000, "string with cents"),
            (json!("1250"), 2, 125_000, "integer string"),
            (json!("-3.5"), 2, -350, "negative, fewer places"),
            (json!("-0.05"), 2, -5, "negative below one"),
            (json!("0"), 2, 0, "zero"),
            (json!("-0"), 2, 0, "negative zero"),
            (json!("  42.1 "), 1, 421, "whitespace trimmed"),
            (json!("007.50"), 2, 750, "leading zeros"),
            (json!("1.500"), 2, 150, "extra trailing zero"),
            (json!("12"), 0, 12, "scale 0"),
            (json!(1250), 2, 125_000, "json integer"),
            (json!(-3.25), 2, -325, "json float"),
            (json!(5.0), 0, 5, "json float with .0 at scale 0"),
            (json!("92233720368547758.07"), 2, i64::MAX, "i64::MAX"),
            (json!("-92233720368547758.08"), 2, i64::MIN, "i64::MIN"),
            (json!("0.0"), 40, 0, "zero at a scale beyond i64"),
        ];
        for (value, scale, expected, why) in cases {
            assert_eq!(parse_decimal(&value, scale), Ok(expected), "{why}: {value}");
        }
    }

    #[test]
    fn rejects_decimals() {
        let cases = [
            (json!("1.005"), 2, "too_precise", "three places at scale 2"),
            (json!(0.125), 2, "too_precise", "json number too precise"),
            (json!("1.5"), 0, "too_precise", "fraction at scale 0"),
            (json!("92233720368547758.08"), 2, "out_of_range", "above i64::MAX"),
            (json!("-92233720368547758.09"), 2, "out_of_range", "below i64::MIN"),
            (json!("1".repeat(60)), 2, "out_of_range", "sixty digits"),
            (json!("1"), 19, "out_of_range", "one at a scale beyond i64"),
            (json!(1e300), 2, "invalid_decimal", "exponent form"),
            (json!("1e5"), 2, "invalid_decimal", "exponent in string"),
            (json!("1 250,50"), 2, "invalid_decimal", "grouping and comma"),
            (json!("1,5"), 2, "invalid_decimal", "comma"),
            (json!("+1"), 2, "invalid_decimal", "plus sign"),
            (json!(".5"), 2, "invalid_decimal", "no integer part"),
            (json!("5."), 2, "invalid_decimal", "no fraction after dot"),
            (json!("1.2.3"), 2, "invalid_decimal", "two dots"),
            (json!("--1"), 2, "invalid_decimal", "double minus"),
            (json!("- 1"), 2, "invalid_decimal", "space after minus"),
            (json!(""), 2, "invalid_decimal", "empty"),
            (json!("abc"), 2, "invalid_decimal", "letters"),
            (json!(null), 2, "invalid_decimal", "null"),
            (json!(true), 2, "invalid_decimal", "bool"),
            (json!(["1"]), 2, "invalid_decimal", "array"),
        ];
        for (value, scale, code, why) in cases {
            let err = parse_decimal(&value, scale).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), (code, ""), "{why}: {value}");
        }
        let err = parse_decimal_text("1.005", 2).expect_err("message");
        assert_eq!(err.message, "at most 2 decimal places");
    }

    #[test]
    fn formats_decimals() {
        let cases = [
            (125_000, 2, "1250.00", "cents"),
            (-5, 2, "-0.05", "negative below one"),
            (0, 2, "0.00", "zero"),
            (7, 3, "0.007", "padding"),
            (-125_000, 2, "-1250.00", "negative"),
            (42, 0, "42", "scale 0"),
            (-42, 0, "-42", "negative scale 0"),
            (i64::MIN, 2, "-92233720368547758.08", "i64::MIN"),
            (i64::MAX, 4, "922337203685477.5807", "i64::MAX"),
            (1, 20, "0.00000000000000000001", "scale beyond i64 digits"),
        ];
        for (scaled, scale, text, why) in cases {
            assert_eq!(format_decimal(scaled, scale), text, "{why}");
        }
    }

    #[test]
    fn round_trips() {
        let cases = [
            ("1250.00", 2),
            ("-3.50", 2),
            ("0.00", 2),
            ("-0.05", 2),
            ("12", 0),
            ("0.001", 3),
            ("92233720368547758.07", 2),
            ("-92233720368547758.08", 2),
        ];
        for (text, scale) in cases {
            let scaled = parse_decimal(&Value::from(text), scale).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(format_decimal(scaled, scale), text, "round trip of {text}");
            assert_eq!(parse_decimal_text(text, scale), Ok(scaled), "text form of {text}");
        }
    }
}
