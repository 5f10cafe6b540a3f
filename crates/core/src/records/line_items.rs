//! Line items of deals and leads (`GET`/`PUT /api/<entity>/<id>/products`): a product from the
//! catalog or a free-text name, with price, quantity, discount (percent or an amount per unit),
//! tax (included in the price or added to it) and unit. `PUT` replaces the whole set in ONE
//! transaction and recomputes the record's amount from it (an empty set leaves the amount as
//! it was, so a manual amount stays possible).
//!
//! Arithmetic is integer: money in minor units (x100), quantities x1000, rates x100, each
//! product rounded half away from zero. A product's price in another currency is converted
//! through the currencies' rates to the record's currency.

use serde_json::{Map, Value as Json, json};

use super::values::{format_decimal, parse_decimal};
use super::{EntityDef, access, service, timeline};
use crate::acl::{Action, Caller};
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};

/// The most items one record holds.
pub const MAX_ITEMS: usize = 500;

/// `a * b / c`, rounded half away from zero (in i128, so no step overflows).
fn mul_div(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    let q = (n.abs() * 2 + c.abs()) / (c.abs() * 2);
    let negative = (n < 0) != (c < 0);
    (if negative { -q } else { q }) as i64
}

/// One item, parsed and computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The catalog product, if any.
    pub product_id: Option<i64>,
    /// Name (the product's by default).
    pub name: String,
    /// Unit price before discount, minor units.
    pub price: i64,
    /// Quantity x1000.
    pub quantity: i64,
    /// `percent` or `amount`.
    pub discount_type: String,
    /// Discount percent x100 (for `percent`).
    pub discount_rate: i64,
    /// Discount per unit, minor units.
    pub discount_sum: i64,
    /// Tax percent x100, if taxed.
    pub tax_rate: Option<i64>,
    /// Whether the price includes the tax.
    pub tax_included: bool,
    /// Unit of measure.
    pub unit: Option<String>,
}

/// What an item adds up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Price after discount times quantity.
    pub sum: i64,
    /// The tax in it (included) or on top of it.
    pub tax: i64,
    /// What the customer pays for the item.
    pub total: i64,
}

impl Item {
    /// The item's sums.
    pub fn totals(&self) -> Totals {
        let unit_price = self.price - self.discount_sum;
        let sum = mul_div(unit_price, self.quantity, 1000);
        let (tax, total) = match self.tax_rate {
            None => (0, sum),
            Some(rate) if self.tax_included => (mul_div(sum, rate, 10_000 + rate), sum),
            Some(rate) => {
                let tax = mul_div(sum, rate, 10_000);
                (tax, sum + tax)
            }
        };
        Totals { sum, tax, total }
    }

    fn to_json(&self, id: Option<i64>) -> Json {
        let totals = self.totals();
        json!({
            "id": id,
            "product_id": self.product_id,
            "name": self.name,
            "price": format_decimal(self.price, 2),
            "quantity": format_decimal(self.quantity, 3),
            "discount_type": self.discount_type,
            "discount_rate": format_decimal(self.discount_rate, 2),
            "discount_sum": format_decimal(self.discount_sum, 2),
            "tax_rate": self.tax_rate.map(|r| format_decimal(r, 2)),
            "tax_included": self.tax_included,
            "unit": self.unit,
            "sum": format_decimal(totals.sum, 2),
            "tax": format_decimal(totals.tax, 2),
            "total": format_decimal(totals.total, 2),
        })
    }

    fn from_row(row: &Row) -> Item {
        Item {
            product_id: row.i64("product_id"),
            name: row.str("name").unwrap_or_default().to_string(),
            price: row.i64("price").unwrap_or_default(),
            quantity: row.i64("quantity").unwrap_or_default(),
            discount_type: row.str("discount_type").unwrap_or("percent").to_string(),
            discount_rate: row.i64("discount_rate").unwrap_or_default(),
            discount_sum: row.i64("discount_sum").unwrap_or_default(),
            tax_rate: row.i64("tax_rate"),
            tax_included: row.i64("tax_included") == Some(1),
            unit: row.str("unit").map(str::to_owned),
        }
    }
}

/// The items of a record and their totals, in the record's currency.
fn render(items: &[(Option<i64>, Item)], currency: Option<&str>) -> Json {
    let mut totals = Totals {
        sum: 0,
        tax: 0,
        total: 0,
    };
    for (_, item) in items {
        let t = item.totals();
        totals.sum += t.sum;
        totals.tax += t.tax;
        totals.total += t.total;
    }
    json!({
        "items": items.iter().map(|(id, item)| item.to_json(*id)).collect::<Vec<_>>(),
        "totals": {
            "sum": format_decimal(totals.sum, 2),
            "tax": format_decimal(totals.tax, 2),
            "total": format_decimal(totals.total, 2),
            "currency": currency,
        },
    })
}

fn stored(db: &dyn Db, def: &EntityDef, id: i64) -> Result<Vec<(Option<i64>, Item)>, CoreError> {
    let rows = db.query(
        "SELECT * FROM record_products WHERE entity = ? AND record_id = ? ORDER BY sort, id",
        &[def.name.into(), id.into()],
    )?;
    Ok(rows.iter().map(|r| (r.i64("id"), Item::from_row(&r))).collect())
}

/// A record's items (read access to the record needed).
pub fn get(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64) -> Result<Json, CoreError> {
    let values = access::load_checked(db, caller, def, id, Action::Read)?;
    let items = stored(db, def, id)?;
    Ok(render(&items, values.get("currency").and_then(Value::as_str)))
}

/// The rate of `code` (units of the base currency per unit) x1,000,000.
fn rate(db: &dyn Db, code: &str) -> Result<Option<i64>, CoreError> {
    let rows = db.query("SELECT rate FROM currencies WHERE code = ?", &[code.into()])?;
    Ok(rows
        .first_str()
        .and_then(|r| super::values::parse_decimal_text(r, 6).ok()))
}

/// A catalog product's defaults for an item, its price converted to `currency`.
fn product_defaults(db: &dyn Db, product_id: i64, currency: &str) -> Result<Option<Item>, CoreError> {
    let rows = db.query(
        "SELECT name, price, currency, vat_rate, vat_included, unit FROM products WHERE id = ?",
        &[product_id.into()],
    )?;
    let Some(row) = rows.first() else { return Ok(None) };
    let mut price = row.i64("price").unwrap_or_default();
    if let Some(from) = row.str("currency").filter(|c| *c != currency)
        && let (Some(from_rate), Some(to_rate)) = (rate(db, from)?, rate(db, currency)?)
    {
        price = mul_div(price, from_rate, to_rate);
    }
    Ok(Some(Item {
        product_id: Some(product_id),
        name: row.str("name").unwrap_or_default().to_string(),
        price,
        quantity: 1000,
        discount_type: "percent".into(),
        discount_rate: 0,
        discount_sum: 0,
        tax_rate: row.i64("vat_rate"),
        tax_included: row.i64("vat_included") == Some(1),
        unit: row.str("unit").map(str::to_owned),
    }))
}

const ITEM_KEYS: &[&str] = &[
    "product_id",
    "name",
    "price",
    "quantity",
    "discount_type",
    "discount_rate",
    "discount_sum",
    "tax_rate",
    "tax_included",
    "unit",
];

/// Reads one item over the product's defaults; problems go to `errors` under `path`.
fn read_item(
    db: &dyn Db,
    map: &Map<String, Json>,
    currency: &str,
    path: &str,
    errors: &mut FieldErrors,
) -> Result<Option<Item>, CoreError> {
    let before = errors.len();
    for key in map.keys().filter(|k| !ITEM_KEYS.contains(&k.as_str())) {
        errors.push(format!("{path}.{key}"), "unknown_field", "not a line item field");
    }
    let mut item = match map.get("product_id").filter(|v| !v.is_null()) {
        Some(id) => match id.as_i64() {
            Some(id) => match product_defaults(db, id, currency)? {
                Some(item) => item,
                None => {
                    errors.push(
                        format!("{path}.product_id"),
                        "not_found",
                        format!("no product with id {id}"),
                    );
                    return Ok(None);
                }
            },
            None => {
                errors.push(format!("{path}.product_id"), "invalid_type", "expected an integer id");
                return Ok(None);
            }
        },
        None => Item {
            product_id: None,
            name: String::new(),
            price: 0,
            quantity: 1000,
            discount_type: "percent".into(),
            discount_rate: 0,
            discount_sum: 0,
            tax_rate: None,
            tax_included: false,
            unit: None,
        },
    };
    let decimal = |key: &str, scale: u32, errors: &mut FieldErrors| -> Option<i64> {
        let value = map.get(key).filter(|v| !v.is_null())?;
        match parse_decimal(value, scale) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!("{path}.{key}"), e.code, e.message);
                None
            }
        }
    };
    if let Some(price) = decimal("price", 2, errors) {
        item.price = price;
    }
    if let Some(quantity) = decimal("quantity", 3, errors) {
        item.quantity = quantity;
    }
    let rate = decimal("discount_rate", 2, errors);
    let sum = decimal("discount_sum", 2, errors);
    if let Some(tax) = decimal("tax_rate", 2, errors) {
        item.tax_rate = Some(tax);
    }
    if let Some(name) = map
        .get("name")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        item.name = name.to_string();
    }
    if let Some(unit) = map.get("unit").and_then(Json::as_str) {
        item.unit = Some(unit.trim().to_string()).filter(|u| !u.is_empty());
    }
    match map.get("tax_included") {
        None | Some(Json::Null) => {}
        Some(Json::Bool(b)) => item.tax_included = *b,
        Some(_) => errors.push(format!("{path}.tax_included"), "invalid_type", "expected true or false"),
    }
    match map.get("discount_type").and_then(Json::as_str) {
        None => {}
        Some(t @ ("percent" | "amount")) => item.discount_type = t.to_string(),
        Some(_) => errors.push(
            format!("{path}.discount_type"),
            "invalid_choice",
            "must be percent or amount",
        ),
    }
    if item.discount_type == "percent" {
        item.discount_rate = rate.unwrap_or(0);
        item.discount_sum = mul_div(item.price, item.discount_rate, 10_000);
    } else {
        item.discount_sum = sum.unwrap_or(0);
        item.discount_rate = if item.price == 0 {
            0
        } else {
            mul_div(item.discount_sum, 10_000, item.price)
        };
    }
    if item.name.is_empty() {
        errors.push(format!("{path}.name"), "required", "a product or a name is required");
    }
    if item.name.chars().count() > 255 {
        errors.push(format!("{path}.name"), "too_long", "at most 255 characters");
    }
    if item.price < 0 {
        errors.push(format!("{path}.price"), "out_of_range", "may not be negative");
    }
    if item.quantity <= 0 {
        errors.push(format!("{path}.quantity"), "out_of_range", "must be more than zero");
    }
    if !(0..=10_000).contains(&item.discount_rate) || item.discount_sum < 0 || item.discount_sum > item.price {
        errors.push(
            format!("{path}.discount"),
            "out_of_range",
            "a discount from 0 to the price (0-100 %)",
        );
    }
    if item.tax_rate.is_some_and(|r| !(0..=10_000).contains(&r)) {
        errors.push(format!("{path}.tax_rate"), "out_of_range", "a rate from 0 to 100");
    }
    Ok((errors.len() == before).then_some(item))
}

/// Replaces the items of record `id` with `body` (`{"items": [...]}`) and recomputes its
/// amount; returns the new items and totals.
pub fn replace(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64, body: &Json) -> Result<Json, CoreError> {
    let Some(list) = body.get("items").and_then(Json::as_array) else {
        let mut errors = FieldErrors::new();
        errors.push("items", "invalid_type", "expected {\"items\": [...]}");
        return Err(CoreError::Validation(errors));
    };
    if list.len() > MAX_ITEMS {
        let mut errors = FieldErrors::new();
        errors.push("items", "too_many", format!("at most {MAX_ITEMS} items"));
        return Err(CoreError::Validation(errors));
    }
    caller.require(def.acl, Action::Update)?;
    transaction(db, |db| {
        let before = access::load_checked(db, caller, def, id, Action::Update)?;
        let currency = match before.get("currency").and_then(Value::as_str) {
            Some(c) => c.to_string(),
            None => crate::dictionaries::base_currency(db)?,
        };
        let mut errors = FieldErrors::new();
        let mut items = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let path = format!("items[{i}]");
            match entry.as_object() {
                Some(map) => items.extend(read_item(db, map, &currency, &path, &mut errors)?),
                None => errors.push(path, "invalid_type", "expected a line item object"),
            }
        }
        errors.into_result()?;
        db.execute(
            "DELETE FROM record_products WHERE entity = ? AND record_id = ?",
            &[def.name.into(), id.into()],
        )?;
        for (sort, item) in items.iter().enumerate() {
            insert(db, def.name, id, item, sort as i64)?;
        }
        if !items.is_empty() {
            let total: i64 = items.iter().map(|i| i.totals().total).sum();
            let mut after = before.clone();
            after.insert("amount".into(), total.into());
            after.insert("currency".into(), currency.as_str().into());
            service::write_update(db, caller, def, id, &before, after, &[])?;
        }
        timeline::append(
            db,
            def.name,
            id,
            "products",
            Some(caller.user_id),
            &json!({ "count": items.len() }),
        )?;
        get(db, caller, def, id)
    })
}

/// Stores one item of a record.
pub fn insert(db: &dyn Db, entity: &str, record_id: i64, item: &Item, sort: i64) -> Result<(), CoreError> {
    db.execute(
        "INSERT INTO record_products (entity, record_id, product_id, name, price, quantity, discount_type, \
         discount_rate, discount_sum, tax_rate, tax_included, unit, sort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            entity.into(),
            record_id.into(),
            item.product_id.into(),
            item.name.as_str().into(),
            item.price.into(),
            item.quantity.into(),
            item.discount_type.as_str().into(),
            item.discount_rate.into(),
            item.discount_sum.into(),
            item.tax_rate.into(),
            item.tax_included.into(),
            item.unit.as_deref().into(),
            sort.into(),
        ],
    )?;
    Ok(())
}

/// Copies the items of one record to another (lead conversion).
pub fn copy(db: &dyn Db, from: (&str, i64), to: (&str, i64)) -> Result<usize, CoreError> {
    let rows = db.query(
        "SELECT * FROM record_products WHERE entity = ? AND record_id = ? ORDER BY sort, id",
        &[from.0.into(), from.1.into()],
    )?;
    for (sort, row) in rows.iter().enumerate() {
        insert(db, to.0, to.1, &Item::from_row(&row), sort as i64)?;
    }
    Ok(rows.len())
}

/// Removes a record's items (when the record is deleted).
pub fn remove(db: &dyn Db, entity: &str, record_id: i64) -> Result<(), CoreError> {
    db.execute(
        "DELETE FROM record_products WHERE entity = ? AND record_id = ?",
        &[entity.into(), record_id.into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(price: i64, quantity: i64, discount_sum: i64, tax_rate: Option<i64>, tax_included: bool) -> Item {
        Item {
            product_id: None,
            name: "x".into(),
            price,
            quantity,
            discount_type: "amount".into(),
            discount_rate: 0,
            discount_sum,
            tax_rate,
            tax_included,
            unit: None,
        }
    }

    #[test]
    fn totals_apply_discount_quantity_and_tax() {
        // 100.00 x 3, no discount, no tax.
        assert_eq!(
            item(10_000, 3_000, 0, None, false).totals(),
            Totals {
                sum: 30_000,
                tax: 0,
                total: 30_000
            }
        );
        // 100.00 - 10.00 per unit, x 2, 20 % on top: 180.00 + 36.00.
        assert_eq!(
            item(10_000, 2_000, 1_000, Some(2_000), false).totals(),
            Totals {
                sum: 18_000,
                tax: 3_600,
                total: 21_600
            }
        );
        // 120.00 including 20 % VAT: the tax inside is 20.00.
        assert_eq!(
            item(12_000, 1_000, 0, Some(2_000), true).totals(),
            Totals {
                sum: 12_000,
                tax: 2_000,
                total: 12_000
            }
        );
        // 0.5 kg at 99.99: 49.995 rounds half away from zero to 50.00.
        assert_eq!(item(9_999, 500, 0, None, false).totals().sum, 5_000);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(mul_div(5, 1, 2), 3);
        assert_eq!(mul_div(-5, 1, 2), -3);
        assert_eq!(mul_div(4, 1, 2), 2);
    }
}
