//! The flat form of a record shared by every file format: a column per field (a column per
//! part of a compound field), keyed by the field's API name and labelled in the caller's
//! language, and the cell conventions of the import/export contract (decimals `1250.00`, dates
//! `YYYY-MM-DD`, booleans `yes`/`no`, enumerations by code, typed lists `value (type)` joined
//! with ` ::: `, users by name, references by title). `write` renders records into it
//! (exports); `read` turns a mapped row of text cells into the record engine's JSON (imports).

pub mod read;
pub mod write;

/// What joins several values in one cell (Google's separator).
pub const SEPARATOR: &str = " ::: ";

/// The parts of an address, each its own column (`address.city`), with their en/ru labels
/// (headers `Address: city` / `Адрес: город`): what exports write and imports recognise.
pub const ADDRESS_PARTS: &[(&str, &str, &str)] = &[
    ("street", "street", "улица"),
    ("city", "city", "город"),
    ("region", "region", "регион"),
    ("postal_code", "postal code", "индекс"),
    ("country", "country", "страна"),
];

/// Whether a spreadsheet would read `text` as a formula: it starts with `=`, `@`, a tab or a
/// carriage return, or with `+` or `-` and is not plain numbers or phones (each ` ::: ` item a
/// number, optionally with a ` (type)` of letters: `+7 (999) 123-45-67 (work)`, `-1.00`);
/// `+SUM(A1)`, `-2+3` and `+1 (cmd|'/c calc'!A0)` are formulas.
fn formula_like(text: &str) -> bool {
    match text.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !text.split(SEPARATOR).all(plain_number),
        _ => false,
    }
}

/// A number or phone, optionally followed by ` (type)` in letters.
fn plain_number(item: &str) -> bool {
    let (number, kind) = match item.rfind(" (") {
        Some(at) if item.ends_with(')') => (&item[..at], &item[at + 2..item.len() - 1]),
        _ => (item, ""),
    };
    let signed = number.strip_prefix(['+', '-']).unwrap_or(number);
    signed.chars().any(|c| c.is_ascii_digit())
        && signed.chars().all(|c| c.is_ascii_digit() || " ().-".contains(c))
        && kind.chars().all(|c| c.is_alphabetic() || c == ' ')
}

/// A cell's text as a CSV file carries it: a formula-like value gets a leading `'`, so a
/// spreadsheet opening the file shows it as text instead of running it (lead names come from
/// public web forms). [`unguarded`] takes the mark off again on import.
pub fn guarded(text: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A cell's text without the `'` [`guarded`] put before a formula-like value.
pub fn unguarded(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_guarded_and_values_are_not() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "@SUM(A1)",
            "+SUM(A1)",
            "-2+3",
            "\tx",
            "-",
            "+",
            "+1 (cmd|'/c calc'!A0)",
        ] {
            assert_eq!(guarded(formula), format!("'{formula}"), "{formula}");
            assert_eq!(unguarded(&guarded(formula)), formula);
        }
        for value in [
            "+7 (999) 123-45-67",
            "-1.00",
            "+79991234567 (work) ::: +74951112233 (mobile)",
            "+7 999 (рабочий)",
            "Иван",
            "a=b",
            "",
            "'quoted",
        ] {
            assert_eq!(guarded(value), value, "{value}");
            assert_eq!(unguarded(value), value, "{value}");
        }
    }
}
