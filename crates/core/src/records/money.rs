//! Integer money arithmetic that cannot overflow unnoticed: a rounding `a * b / c` ([`mul_div`]),
//! conversion to the base currency through an exact [`Rate`] ([`to_base`]), and sums of amounts
//! split in two ([`SPLIT`], [`split_sums`], [`combine`]) so that SQL adds them without
//! overflowing `i64`. Every operation is checked: a result that does not fit is `None`, never a
//! wrap, and the caller turns it into a 422 naming the field (or, for a read, an error).
//!
//! Why split: SQLite's `SUM` of integers stops with "integer overflow" past `i64` (and `+` in
//! a trigger silently turns REAL). An amount `a` is `a / SPLIT * SPLIT + a % SPLIT` with both
//! parts truncated toward zero (SQLite's integer `/` and `%` as Rust's), so each part's sum
//! stays within `i64` for up to ~10^9 rows whatever the amounts, and the two sums combine
//! exactly in `i128` here.

use crate::records::dictionaries::Rate;

/// Where amounts are split for summing: `hi = amount / SPLIT`, `lo = amount % SPLIT`.
pub const SPLIT: i64 = 1_000_000_000;

/// The SQL expressions of the two parts of `column` (a column name from a definition).
pub fn split_sums(column: &str) -> (String, String) {
    (format!("{column} / {SPLIT}"), format!("{column} % {SPLIT}"))
}

/// The exact total of amounts whose parts summed to `hi` and `lo` (cannot overflow: `hi`
/// times [`SPLIT`] stays below 2^93).
pub fn combine(hi: i64, lo: i64) -> i128 {
    i128::from(hi) * i128::from(SPLIT) + i128::from(lo)
}

/// `a * b / c`, rounded half away from zero, exactly; `None` when `c` is 0 or the result does
/// not fit `i128`. Computed as `(a / c) * b + (a % c) * b / c` on magnitudes, so no
/// intermediate is much larger than the result or than `c * b`.
pub fn mul_div(a: i128, b: i128, c: i128) -> Option<i128> {
    if c == 0 {
        return None;
    }
    let negative = (a < 0) ^ (b < 0) ^ (c < 0);
    let (a, b, c) = (a.unsigned_abs(), b.unsigned_abs(), c.unsigned_abs());
    let whole = (a / c).checked_mul(b)?;
    let fraction = (a % c).checked_mul(b)?;
    let (part, rest) = (fraction / c, fraction % c);
    // `rest < c <= 2^127`, so doubling it cannot overflow.
    let round = u128::from(rest * 2 >= c);
    let magnitude = whole.checked_add(part)?.checked_add(round)?;
    if negative {
        0_i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// An amount (minor units of a currency worth `rate` base units each) in minor units of the
/// base currency, rounded half away from zero; `None` if it does not fit `i128`.
pub fn to_base(amount: i128, rate: Rate) -> Option<i128> {
    let rate = i128::try_from(rate.millionths()).ok()?;
    mul_div(amount, rate, i128::try_from(Rate::SCALE).ok()?)
}

/// An amount in `from`'s minor units expressed in `to`'s, through both rates, rounded half away
/// from zero once; `None` if it does not fit `i128`.
pub fn convert(amount: i128, from: Rate, to: Rate) -> Option<i128> {
    mul_div(
        amount,
        i128::try_from(from.millionths()).ok()?,
        i128::try_from(to.millionths()).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The reference: exact rational rounding in wide integers, where nothing overflows.
    fn reference(a: i64, b: i64, c: i64) -> Option<i128> {
        if c == 0 {
            return None;
        }
        let n = i128::from(a) * i128::from(b);
        let c = i128::from(c);
        let (q, r) = (n / c, n % c);
        let round = if 2 * r.unsigned_abs() >= c.unsigned_abs() {
            if (n < 0) != (c < 0) { -1 } else { 1 }
        } else {
            0
        };
        Some(q + round)
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let cases = [
            ((5, 1, 2), Some(3), "2.5 up"),
            ((-5, 1, 2), Some(-3), "-2.5 down"),
            ((5, -1, 2), Some(-3), "negative factor"),
            ((5, 1, -2), Some(-3), "negative divisor"),
            ((4, 1, 2), Some(2), "exact"),
            ((7, 1, 3), Some(2), "2.33 down"),
            ((8, 1, 3), Some(3), "2.67 up"),
            ((1, 1, 0), None, "division by zero"),
            ((i128::MAX, 2, 1), None, "past i128"),
            ((i128::MIN, 1, 1), Some(i128::MIN), "i128::MIN itself"),
            ((i128::MIN, -1, 1), None, "-i128::MIN"),
            ((i128::MAX, 3, 3), Some(i128::MAX), "no overflow in between"),
        ];
        for ((a, b, c), expected, why) in cases {
            assert_eq!(mul_div(a, b, c), expected, "{why}");
        }
    }

    #[test]
    fn converts_through_exact_rates() {
        assert_eq!(to_base(12_345, Rate::ONE), Some(12_345));
        // 1.00 at 92.5 is 92.50; 0.01 at 0.333333 rounds to 0.00, 0.02 to 0.01.
        let rate = |millionths: u128| Rate::from_millionths(millionths).expect("a positive rate");
        assert_eq!(to_base(100, rate(92_500_000)), Some(9_250));
        assert_eq!(to_base(1, rate(333_333)), Some(0));
        assert_eq!(to_base(2, rate(333_333)), Some(1));
        assert_eq!(to_base(-2, rate(333_333)), Some(-1));
        assert_eq!(convert(1_000, rate(92_500_000), rate(100_200_000)), Some(923));
    }

    proptest! {
        /// Summing the split parts and combining equals the `i128` sum, for any amounts.
        #[test]
        fn split_sums_combine_to_the_exact_sum(amounts in proptest::collection::vec(any::<i64>(), 0..200)) {
            let hi: i64 = amounts.iter().map(|a| a / SPLIT).sum();
            let lo: i64 = amounts.iter().map(|a| a % SPLIT).sum();
            let exact: i128 = amounts.iter().map(|a| i128::from(*a)).sum();
            prop_assert_eq!(combine(hi, lo), exact);
        }

        /// `mul_div` equals exact rounding for any `i64` operands (where the product fits).
        #[test]
        fn mul_div_matches_the_reference(a in any::<i64>(), b in any::<i64>(), c in any::<i64>()) {
            prop_assert_eq!(mul_div(a.into(), b.into(), c.into()), reference(a, b, c));
        }

        /// Never panics, for any `i128` operands.
        #[test]
        fn mul_div_never_panics(a in any::<i128>(), b in any::<i128>(), c in any::<i128>()) {
            let _ = mul_div(a, b, c);
        }
    }
}
