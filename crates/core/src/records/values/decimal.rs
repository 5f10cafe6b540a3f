//! Fixed-point decimals (money, quantities, percents) stored as `i64` scaled by `10^scale`, each
//! with explicit bounds ([`Numeric`]): parsing from JSON strings and from query-string text,
//! checked against the bounds, and formatting back to text (of `i64` values and of `i128` sums).
//!
//! Money is a decimal string (API.md), never a JSON number: a float cannot hold most amounts
//! exactly, so `12.5` is refused with `invalid_type` rather than guessed at. The one maximum for
//! money is [`MONEY_MAX`], 9 999 999 999 999.99 (10^15 − 1 minor units): below 2^53, so a
//! browser's `Number` still holds any amount exactly in minor units, and far enough below
//! `i64::MAX` that a line's price times its quantity, or thousands of amounts, add up in `i128`
//! without overflow. A value out of its field's bounds is refused (`out_of_range`), never
//! wrapped or clamped.

use serde_json::Value;

use super::Invalid;

/// The largest amount of money, in minor units: 9 999 999 999 999.99.
pub const MONEY_MAX: i64 = 999_999_999_999_999;

/// The largest quantity of a line item, in thousandths: 999 999 999.999.
pub const QUANTITY_MAX: i64 = 999_999_999_999;

/// 100 % in hundredths of a percent.
pub const PERCENT_MAX: i64 = 10_000;

/// A decimal field's form: `scale` fractional digits, stored as an integer scaled by
/// `10^scale`, within `min..=max` (in that scaled form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric {
    /// Fractional digits.
    pub scale: u32,
    /// The smallest value allowed, scaled.
    pub min: i64,
    /// The largest value allowed, scaled.
    pub max: i64,
}

impl Numeric {
    /// Amounts, prices, revenue, and custom decimal and money fields unless signed:
    /// 0 ..= 9 999 999 999 999.99.
    pub const MONEY: Numeric = Numeric {
        scale: 2,
        min: 0,
        max: MONEY_MAX,
    };
    /// Custom decimal and money fields defined with `"signed": true`: ± 9 999 999 999 999.99.
    pub const SIGNED_MONEY: Numeric = Numeric {
        scale: 2,
        min: -MONEY_MAX,
        max: MONEY_MAX,
    };
    /// Quantities of line items: 0.001 ..= 999 999 999.999.
    pub const QUANTITY: Numeric = Numeric {
        scale: 3,
        min: 1,
        max: QUANTITY_MAX,
    };
    /// Percents (discounts, tax and VAT rates): 0 ..= 100.00.
    pub const PERCENT: Numeric = Numeric {
        scale: 2,
        min: 0,
        max: PERCENT_MAX,
    };

    /// Parses a JSON decimal string (`"1250.00"`) within the bounds. A JSON number is
    /// `invalid_type`; other errors as for [`Numeric::parse_text`].
    pub fn parse(self, value: &Value) -> Result<i64, Invalid> {
        match value {
            Value::String(text) => self.parse_text(text),
            Value::Number(_) => Err(Invalid::new(
                "invalid_type",
                "money and decimals are decimal strings such as \"1250.00\", never JSON numbers",
            )),
            _ => Err(not_a_decimal()),
        }
    }

    /// Parses decimal text (see [`parse_decimal_text`]) within the bounds. Errors:
    /// `invalid_decimal`, `too_precise`, `out_of_range` (the message says which bound).
    pub fn parse_text(self, text: &str) -> Result<i64, Invalid> {
        self.check(scaled(text, self.scale)?)
    }

    /// The scaled value if it lies within the bounds, else `out_of_range` saying which bound.
    pub fn check(self, scaled: i128) -> Result<i64, Invalid> {
        if scaled < i128::from(self.min) {
            let message = if self.min == 0 {
                "may not be negative".to_string()
            } else if self.min > 0 && scaled <= 0 {
                format!("must be more than zero (at least {})", self.format(self.min))
            } else {
                format!("at least {}", self.format(self.min))
            };
            return Err(Invalid::new("out_of_range", message));
        }
        if scaled > i128::from(self.max) {
            return Err(Invalid::new(
                "out_of_range",
                format!("at most {}", self.format(self.max)),
            ));
        }
        i64::try_from(scaled).map_err(|_| Invalid::new("out_of_range", "the number is too large"))
    }

    /// The text of a scaled value of this form.
    pub fn format(self, scaled: i64) -> String {
        format_decimal(scaled, self.scale)
    }
}

/// Parses decimal text (optional `-`, digits, optional `.` and digits; surrounding whitespace
/// ignored) into an `i64` scaled by `10^scale`, bounded only by `i64` (list filters compare
/// with it). Fractional digits beyond `scale` are accepted only when they are zeros. Errors:
/// `invalid_decimal`, `too_precise`, `out_of_range`.
pub fn parse_decimal_text(text: &str, scale: u32) -> Result<i64, Invalid> {
    i64::try_from(scaled(text, scale)?).map_err(|_| Invalid::new("out_of_range", "the number is too large"))
}

/// Decimal text scaled by `10^scale` in `i128`; a magnitude beyond `i128` saturates (every
/// bound refuses it then).
fn scaled(text: &str, scale: u32) -> Result<i128, Invalid> {
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
    let saturated = if negative { i128::MIN } else { i128::MAX };
    let mut magnitude: i128 = 0;
    for digit in int.bytes().chain(kept.bytes()) {
        match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(digit - b'0')))
        {
            Some(m) => magnitude = m,
            None => return Ok(saturated),
        }
    }
    if magnitude != 0 {
        let padded = u32::try_from(scale_len - kept.len())
            .ok()
            .and_then(|padding| 10_i128.checked_pow(padding))
            .and_then(|factor| magnitude.checked_mul(factor));
        match padded {
            Some(m) => magnitude = m,
            None => return Ok(saturated),
        }
    }
    Ok(if negative { -magnitude } else { magnitude })
}

/// Formats a scaled decimal with exactly `scale` fractional digits: `(125000, 2)` -> `"1250.00"`,
/// `(-5, 2)` -> `"-0.05"`, scale 0 -> no dot.
pub fn format_decimal(scaled: i64, scale: u32) -> String {
    format_wide_decimal(i128::from(scaled), scale)
}

/// [`format_decimal`] of an `i128` (sums of many amounts, such as a board column's total).
pub fn format_wide_decimal(scaled: i128, scale: u32) -> String {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// Unbounded but for `i64`, as list filters parse.
    const ANY: Numeric = Numeric {
        scale: 2,
        min: i64::MIN,
        max: i64::MAX,
    };

    fn unbounded(scale: u32) -> Numeric {
        Numeric { scale, ..ANY }
    }

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
            (json!("92233720368547758.07"), 2, i64::MAX, "i64::MAX"),
            (json!("-92233720368547758.08"), 2, i64::MIN, "i64::MIN"),
            (json!("0.0"), 40, 0, "zero at a scale beyond i64"),
        ];
        for (value, scale, expected, why) in cases {
            assert_eq!(unbounded(scale).parse(&value), Ok(expected), "{why}: {value}");
        }
    }

    #[test]
    fn rejects_decimals() {
        let cases = [
            (json!("1.005"), 2, "too_precise", "three places at scale 2"),
            (json!("1.5"), 0, "too_precise", "fraction at scale 0"),
            (json!("92233720368547758.08"), 2, "out_of_range", "above i64::MAX"),
            (json!("-92233720368547758.09"), 2, "out_of_range", "below i64::MIN"),
            (json!("1".repeat(60)), 2, "out_of_range", "sixty digits"),
            (json!("1"), 19, "out_of_range", "one at a scale beyond i64"),
            (json!("1"), 40, "out_of_range", "one at a scale beyond i128"),
            (json!(1250), 2, "invalid_type", "json integer"),
            (json!(12.5), 2, "invalid_type", "json float"),
            (json!(1e300), 2, "invalid_type", "exponent form"),
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
            let err = unbounded(scale).parse(&value).expect_err(why);
            assert_eq!((err.code, err.path.as_str()), (code, ""), "{why}: {value}");
        }
        let err = parse_decimal_text("1.005", 2).expect_err("message");
        assert_eq!(err.message, "at most 2 decimal places");
        let err = Numeric::MONEY.parse(&json!(12.5)).expect_err("a float");
        assert!(err.message.contains("decimal strings"), "{}", err.message);
    }

    /// The bounds of each form, at and just past each edge.
    #[test]
    fn bounds_accept_their_edges_and_refuse_past_them() {
        let cases: &[(Numeric, &str, Result<i64, &str>, &str)] = &[
            (Numeric::MONEY, "9999999999999.99", Ok(MONEY_MAX), "the maximum"),
            (
                Numeric::MONEY,
                "10000000000000.00",
                Err("at most 9999999999999.99"),
                "max + 0.01",
            ),
            (
                Numeric::MONEY,
                "92233720368547758.07",
                Err("at most 9999999999999.99"),
                "i64::MAX",
            ),
            (
                Numeric::MONEY,
                &"9".repeat(50),
                Err("at most 9999999999999.99"),
                "fifty digits",
            ),
            (Numeric::MONEY, "0", Ok(0), "zero"),
            (Numeric::MONEY, "-1.00", Err("may not be negative"), "negative"),
            (Numeric::MONEY, "-0.01", Err("may not be negative"), "a cent below zero"),
            (Numeric::MONEY, "-0", Ok(0), "negative zero is zero"),
            (Numeric::SIGNED_MONEY, "-1.00", Ok(-100), "signed negative"),
            (
                Numeric::SIGNED_MONEY,
                "-9999999999999.99",
                Ok(-MONEY_MAX),
                "signed minimum",
            ),
            (
                Numeric::SIGNED_MONEY,
                "-10000000000000.00",
                Err("at least -9999999999999.99"),
                "below the signed minimum",
            ),
            (
                Numeric::SIGNED_MONEY,
                "10000000000000",
                Err("at most 9999999999999.99"),
                "signed max + 0.01",
            ),
            (Numeric::QUANTITY, "0.001", Ok(1), "the smallest quantity"),
            (
                Numeric::QUANTITY,
                "999999999.999",
                Ok(QUANTITY_MAX),
                "the largest quantity",
            ),
            (
                Numeric::QUANTITY,
                "1000000000",
                Err("at most 999999999.999"),
                "past the largest",
            ),
            (
                Numeric::QUANTITY,
                "0",
                Err("must be more than zero (at least 0.001)"),
                "zero quantity",
            ),
            (
                Numeric::QUANTITY,
                "-1",
                Err("must be more than zero (at least 0.001)"),
                "negative quantity",
            ),
            (Numeric::PERCENT, "100", Ok(10_000), "100 %"),
            (Numeric::PERCENT, "100.01", Err("at most 100.00"), "past 100 %"),
            (
                Numeric::PERCENT,
                "-0.01",
                Err("may not be negative"),
                "negative percent",
            ),
        ];
        for (form, text, expected, why) in cases {
            let got = form.parse(&json!(text));
            match expected {
                Ok(v) => assert_eq!(got, Ok(*v), "{why}: {text}"),
                Err(message) => {
                    let err = got.expect_err(why);
                    assert_eq!(
                        (err.code, err.message.as_str()),
                        ("out_of_range", *message),
                        "{why}: {text}"
                    );
                }
            }
        }
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
        assert_eq!(
            format_wide_decimal(i128::MIN, 2),
            "-1701411834604692317316873037158841057.28"
        );
        assert_eq!(
            format_wide_decimal(i128::from(i64::MAX) * 3, 2),
            "276701161105643274.21"
        );
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
            let scaled = unbounded(scale)
                .parse(&Value::from(text))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(format_decimal(scaled, scale), text, "round trip of {text}");
            assert_eq!(parse_decimal_text(text, scale), Ok(scaled), "text form of {text}");
        }
    }

    fn forms() -> impl Strategy<Value = Numeric> {
        prop_oneof![
            Just(Numeric::MONEY),
            Just(Numeric::SIGNED_MONEY),
            Just(Numeric::QUANTITY),
            Just(Numeric::PERCENT),
        ]
    }

    /// Decimal text of any shape: a sign, up to 45 integer digits, up to 6 fractional ones.
    fn decimal_texts() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            proptest::collection::vec(0u8..10, 1..45),
            proptest::collection::vec(0u8..10, 0..6),
        )
            .prop_map(|(negative, int, frac)| {
                let digits = |d: &[u8]| d.iter().map(|d| char::from(b'0' + d)).collect::<String>();
                let sign = if negative { "-" } else { "" };
                if frac.is_empty() {
                    format!("{sign}{}", digits(&int))
                } else {
                    format!("{sign}{}.{}", digits(&int), digits(&frac))
                }
            })
    }

    proptest! {
        /// Any value within a form's bounds formats to text that parses back to it.
        #[test]
        fn any_in_range_value_round_trips(form in forms(), seed in any::<i64>()) {
            let span = i128::from(form.max) - i128::from(form.min) + 1;
            let value = i64::try_from(i128::from(form.min) + i128::from(seed).rem_euclid(span)).expect("in range");
            let text = form.format(value);
            prop_assert_eq!(form.parse(&json!(text)), Ok(value));
        }

        /// Any `i64` outside a form's bounds is refused as out of range, never wrapped.
        #[test]
        fn any_out_of_range_value_is_refused(form in forms(), value in any::<i64>()) {
            prop_assume!(value < form.min || value > form.max);
            let err = form.parse(&json!(form.format(value))).expect_err("out of range");
            prop_assert_eq!(err.code, "out_of_range");
        }

        /// Text of any length and sign is either a value within the bounds that formats back
        /// to the same number, or refused; a number beyond `i64` is never wrapped into range.
        #[test]
        fn any_text_parses_within_bounds_or_is_refused(form in forms(), text in decimal_texts()) {
            match form.parse(&json!(text)) {
                Ok(value) => {
                    prop_assert!(form.min <= value && value <= form.max);
                    let exact = scaled(&text, form.scale).expect("parsed once");
                    prop_assert_eq!(i128::from(value), exact);
                }
                Err(err) => prop_assert!(["out_of_range", "too_precise"].contains(&err.code), "{}", err.code),
            }
        }

        /// `i128` text formats and parses back exactly (wide sums print correctly).
        #[test]
        fn wide_values_format_exactly(value in any::<i128>(), scale in 0u32..6) {
            prop_assume!(value > i128::MIN);
            prop_assert_eq!(scaled(&format_wide_decimal(value, scale), scale), Ok(value));
        }
    }
}
