//! One store order, normalised: whatever the store's format ([`super::shopify`],
//! [`super::woocommerce`], [`super::generic`]), processing sees an [`Order`] — customer, billing
//! company, currency, total, line items, shipping, discounts, taxes (as the store computed
//! them), the store's state, its update time, number, admin link and UTM tags.
//!
//! Money is integer minor units (x100), quantities x1000, as in the record engine. A format's
//! parser reports what makes an order unusable as an [`OrderError`] naming the field (missing
//! order id, a negative quantity, a malformed amount); the inbox keeps it as the row's error.

use serde_json::Value as Json;

use crate::records::values::{self, parse_decimal_text};

/// A normalised order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Order {
    /// The store's order id (its stable key).
    pub id: String,
    /// The number people see (`#1042`, `1583`).
    pub number: String,
    /// When the store last changed the order (unix seconds): newer wins.
    pub updated_at: i64,
    /// The store's state in the kind's vocabulary (see [`super::source::states`]).
    pub state: String,
    /// ISO currency code, upper case.
    pub currency: String,
    /// What the customer pays, minor units.
    pub total: i64,
    /// The customer.
    pub customer: Customer,
    /// The billing company, if any.
    pub company: Option<String>,
    /// The products.
    pub items: Vec<Line>,
    /// Shipping, discounts (negative), fees, and taxes added on top of the prices.
    pub extras: Vec<Extra>,
    /// Whether item prices include tax, and the tax rate (x100) if one rate applies to all.
    pub tax_included: Option<i64>,
    /// A link to the order in the store's admin.
    pub admin_url: Option<String>,
    /// UTM tags (`utm_source`...).
    pub utm: Vec<(String, String)>,
    /// The customer's note.
    pub note: Option<String>,
}

/// The customer of an order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Customer {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone as typed.
    pub phone: Option<String>,
}

/// One product line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// SKU, if the store has one.
    pub sku: Option<String>,
    /// Name.
    pub name: String,
    /// Unit price, minor units.
    pub price: i64,
    /// Quantity x1000.
    pub quantity: i64,
}

/// A line that is not a product: shipping, a discount (negative), a fee, a tax on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    /// Its name (`Shipping: Standard`, `Discount SPRING5`, `Tax: VAT`).
    pub name: String,
    /// Amount, minor units (negative for discounts).
    pub amount: i64,
}

/// Why an order cannot be processed: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderError {
    /// The field of the store's JSON (`line_items[1].quantity`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl OrderError {
    /// An error of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> OrderError {
        OrderError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Reads the JSON body (a malformed one names `body`).
pub fn json(body: &[u8]) -> Result<Json, OrderError> {
    let value: Json =
        serde_json::from_slice(body).map_err(|e| OrderError::new("body", format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(OrderError::new("body", "expected a JSON object"));
    }
    Ok(value)
}

/// Text of `value` (a string, or a number as written), trimmed, `None` if empty or absent.
pub fn text(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The order id at `field`: a non-empty string or an integer.
pub fn order_id(value: Option<&Json>, field: &str) -> Result<String, OrderError> {
    match value {
        Some(Json::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(Json::String(s)) if !s.trim().is_empty() && s.len() <= 200 => Ok(s.trim().to_string()),
        _ => Err(OrderError::new(field, "the order id is missing")),
    }
}

/// A money amount at `field` (a decimal string, or a JSON number as written), minor units.
pub fn money(value: Option<&Json>, field: &str) -> Result<i64, OrderError> {
    let text = match value {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        None | Some(Json::Null) => return Err(OrderError::new(field, "the amount is missing")),
        Some(_) => return Err(OrderError::new(field, "expected a decimal amount")),
    };
    let amount = parse_decimal_text(&text, 2).map_err(|e| OrderError::new(field, e.message))?;
    if amount.abs() > values::MONEY_MAX {
        return Err(OrderError::new(field, "the amount is out of range"));
    }
    Ok(amount)
}

/// An amount that may be absent (absent or `null`: 0).
pub fn money_or_zero(value: Option<&Json>, field: &str) -> Result<i64, OrderError> {
    match value {
        None | Some(Json::Null) => Ok(0),
        Some(Json::String(s)) if s.trim().is_empty() => Ok(0),
        some => money(some, field),
    }
}

/// A quantity at `field` (integer or decimal text), x1000; zero or negative is an error.
pub fn quantity(value: Option<&Json>, field: &str) -> Result<i64, OrderError> {
    let text = match value {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => return Err(OrderError::new(field, "the quantity is missing")),
    };
    let quantity = parse_decimal_text(&text, 3).map_err(|e| OrderError::new(field, e.message))?;
    if quantity <= 0 {
        return Err(OrderError::new(field, "the quantity must be positive"));
    }
    if quantity > values::QUANTITY_MAX {
        return Err(OrderError::new(field, "the quantity is out of range"));
    }
    Ok(quantity)
}

/// A time at `field`: RFC 3339, or a local date-time without offset taken as UTC (as
/// WooCommerce's `*_gmt` fields are written).
pub fn time(value: Option<&Json>, field: &str) -> Result<i64, OrderError> {
    let Some(text) = text(value) else {
        return Err(OrderError::new(field, "the update time is missing"));
    };
    let with_zone = if text.len() == 19 && text.as_bytes().get(10) == Some(&b'T') {
        format!("{text}Z")
    } else {
        text
    };
    values::parse_datetime(&with_zone).map_err(|e| OrderError::new(field, e.message))
}

/// A currency code at `field`: three ASCII letters, upper-cased.
pub fn currency(value: Option<&Json>, field: &str) -> Result<String, OrderError> {
    match text(value) {
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) => Ok(code.to_ascii_uppercase()),
        Some(code) => Err(OrderError::new(field, format!("{code:?} is not a currency code"))),
        None => Err(OrderError::new(field, "the currency is missing")),
    }
}

/// The UTM tags of a URL or path's query (`/?utm_source=google&...`).
pub fn utm_of(url: &str) -> Vec<(String, String)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| UTM_TAGS.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| (k, v.chars().take(255).collect()))
        .collect()
}

/// The UTM tags a deal keeps.
pub const UTM_TAGS: &[&str] = &["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

/// A name and text cut to `max` characters.
pub fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The array at `key` of a JSON object (empty when absent or not an array).
pub fn array<'a>(body: &'a Json, key: &str) -> &'a [Json] {
    body.get(key).and_then(Json::as_array).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn amounts_quantities_and_times_read_as_stores_write_them() {
        assert_eq!(money(Some(&json!("124.80")), "t"), Ok(12_480));
        assert_eq!(money(Some(&json!(790)), "t"), Ok(79_000));
        assert_eq!(money(Some(&json!("-5.00")), "t"), Ok(-500));
        assert!(money(Some(&json!("12.345")), "t").is_err());
        assert!(money(Some(&json!("abc")), "t").is_err());
        assert_eq!(quantity(Some(&json!(3)), "q"), Ok(3_000));
        assert_eq!(quantity(Some(&json!("0.5")), "q"), Ok(500));
        assert_eq!(
            quantity(Some(&json!(-1)), "q").map_err(|e| e.message),
            Err("the quantity must be positive".into())
        );
        assert_eq!(time(Some(&json!("2025-03-14T10:21:09+03:00")), "u"), Ok(1_741_936_869));
        assert_eq!(time(Some(&json!("2025-03-14T07:21:09")), "u"), Ok(1_741_936_869));
        assert_eq!(currency(Some(&json!("eur")), "c"), Ok("EUR".into()));
        assert!(currency(Some(&json!("EURO")), "c").is_err());
    }

    #[test]
    fn utm_tags_come_from_the_landing_query() {
        assert_eq!(
            utm_of("/?utm_source=google&utm_medium=cpc&x=1&utm_campaign=spring_sale#top"),
            vec![
                ("utm_source".to_string(), "google".to_string()),
                ("utm_medium".to_string(), "cpc".to_string()),
                ("utm_campaign".to_string(), "spring_sale".to_string()),
            ]
        );
        assert!(utm_of("/products/coffee").is_empty());
    }
}
