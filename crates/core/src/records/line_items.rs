//! Line items of deals and leads (`GET`/`PUT /api/<entity>/<id>/products`): a product from the
//! catalog or a free-text name, with price, quantity, discount (percent or an amount per unit),
//! tax (included in the price or added to it) and unit. `PUT` replaces the whole set in ONE
//! transaction and recomputes the record's amount from it (an empty set leaves the amount as
//! it was, so a manual amount stays possible). [`change_one`] adds, replaces or deletes a single
//! item the same way, the other items and their ids untouched (Bitrix24's `crm.productrow.*`).
//!
//! Arithmetic is integer and checked: money in minor units (x100) within 0 ..=
//! 9 999 999 999 999.99 ([`Numeric::MONEY`]), quantities x1000 within 0.001 ..= 999 999 999.999
//! ([`Numeric::QUANTITY`]), discount and tax rates x100 within 0 ..= 100 %
//! ([`Numeric::PERCENT`]), each product computed exactly in `i128` and rounded half away from
//! zero ([`money::mul_div`]). Prices and rates are decimal strings, never JSON numbers. A
//! product's price in another currency is converted through the currencies' exact rates to the
//! record's currency. Whatever passes the money maximum is a 422 naming it — the converted
//! price (`items[i].price`), an item's total (`items[i].total`), the items' sum (`items`) —
//! and nothing is written.

use serde_json::{Map, Value as Json, json};

use super::values::{Invalid, MONEY_MAX, Numeric, format_decimal, format_wide_decimal};
use super::{EntityDef, Values, access, money, service, timeline};
use crate::acl::{Action, Caller};
use crate::db::{Db, Row, Value, transaction};
use crate::error::{CoreError, FieldErrors};

/// The most items one record holds.
pub const MAX_ITEMS: usize = 500;

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

/// What an item adds up to, exactly (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Price after discount times quantity.
    pub sum: i128,
    /// The tax in it (included) or on top of it.
    pub tax: i128,
    /// What the customer pays for the item.
    pub total: i128,
}

impl Item {
    /// The item's sums; `None` only when they do not fit `i128`, which values within today's
    /// bounds never reach (rows stored before them might).
    pub fn totals(&self) -> Option<Totals> {
        let unit_price = i128::from(self.price) - i128::from(self.discount_sum);
        let sum = money::mul_div(unit_price, self.quantity.into(), 1000)?;
        let (tax, total) = match self.tax_rate {
            None => (0, sum),
            Some(rate) if self.tax_included => (money::mul_div(sum, rate.into(), 10_000 + i128::from(rate))?, sum),
            Some(rate) => {
                let tax = money::mul_div(sum, rate.into(), 10_000)?;
                (tax, sum.checked_add(tax)?)
            }
        };
        Some(Totals { sum, tax, total })
    }

    fn to_json(&self, id: Option<i64>) -> Json {
        let totals = self.totals();
        let money = |pick: fn(&Totals) -> i128| totals.as_ref().map(|t| format_wide_decimal(pick(t), 2));
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
            "sum": money(|t| t.sum),
            "tax": money(|t| t.tax),
            "total": money(|t| t.total),
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

    /// A free-text item before the request's values: no price, one unit, no discount or tax.
    pub(crate) fn blank() -> Item {
        Item {
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
        }
    }
}

/// The sums of several items, exactly; `None` if any item's do not fit.
fn sum_totals(items: &[(Option<i64>, Item)]) -> Option<Totals> {
    items.iter().try_fold(
        Totals {
            sum: 0,
            tax: 0,
            total: 0,
        },
        |acc, (_, item)| {
            let t = item.totals()?;
            Some(Totals {
                sum: acc.sum.checked_add(t.sum)?,
                tax: acc.tax.checked_add(t.tax)?,
                total: acc.total.checked_add(t.total)?,
            })
        },
    )
}

/// The items of a record and their totals, in the record's currency.
fn render(items: &[(Option<i64>, Item)], currency: Option<&str>) -> Json {
    let totals = sum_totals(items);
    let money = |pick: fn(&Totals) -> i128| totals.as_ref().map(|t| format_wide_decimal(pick(t), 2));
    json!({
        "items": items.iter().map(|(id, item)| item.to_json(*id)).collect::<Vec<_>>(),
        "totals": {
            "sum": money(|t| t.sum),
            "tax": money(|t| t.tax),
            "total": money(|t| t.total),
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

/// A record's stored items, in order (for a writer that compares before replacing them).
pub fn items_of(db: &dyn Db, entity: &str, id: i64) -> Result<Vec<Item>, CoreError> {
    let rows = db.query(
        "SELECT * FROM record_products WHERE entity = ? AND record_id = ? ORDER BY sort, id",
        &[entity.into(), id.into()],
    )?;
    Ok(rows.iter().map(|r| Item::from_row(&r)).collect())
}

/// A record's items (read access to the record needed).
pub fn get(db: &dyn Db, caller: &Caller, def: &EntityDef, id: i64) -> Result<Json, CoreError> {
    let values = access::load_checked(db, caller, def, id, Action::Read)?;
    let items = stored(db, def, id)?;
    Ok(render(&items, values.get("currency").and_then(Value::as_str)))
}

/// A catalog product's item defaults (price 0) and its price converted to the record's
/// currency, or why that price cannot be an item's (converted past the money maximum).
type ProductDefaults = (Item, Result<i64, Invalid>);

/// A catalog product's defaults for an item, its price converted to `currency`.
fn product_defaults(db: &dyn Db, product_id: i64, currency: &str) -> Result<Option<ProductDefaults>, CoreError> {
    let rows = db.query(
        "SELECT name, price, currency, vat_rate, vat_included, unit FROM products WHERE id = ?",
        &[product_id.into()],
    )?;
    let Some(row) = rows.first() else { return Ok(None) };
    let mut price = i128::from(row.i64("price").unwrap_or_default());
    if let Some(from) = row.str("currency").filter(|c| *c != currency)
        && let (Some(from_rate), Some(to_rate)) = (
            crate::records::dictionaries::rate_of(db, from)?,
            crate::records::dictionaries::rate_of(db, currency)?,
        )
    {
        price = money::convert(price, from_rate, to_rate).unwrap_or(i128::MAX);
    }
    let price = Numeric::MONEY
        .check(price)
        .map_err(|e| Invalid::new(e.code, format!("the product's price in {currency}: {}", e.message)));
    let item = Item {
        product_id: Some(product_id),
        name: row.str("name").unwrap_or_default().to_string(),
        price: 0,
        tax_rate: row.i64("vat_rate"),
        tax_included: row.i64("vat_included") == Some(1),
        unit: row.str("unit").map(str::to_owned),
        ..Item::blank()
    };
    Ok(Some((item, price)))
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
    let item = match map.get("product_id").filter(|v| !v.is_null()) {
        Some(id) => match id.as_i64() {
            Some(id) => match product_defaults(db, id, currency)? {
                Some((mut item, price)) => {
                    match price {
                        Ok(price) => item.price = price,
                        // A price of the request's own replaces the product's.
                        Err(_) if map.get("price").is_some_and(|p| !p.is_null()) => {}
                        Err(e) => errors.push(format!("{path}.price"), e.code, e.message),
                    }
                    item
                }
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
        None => Item::blank(),
    };
    let filled = fill_item(item, map, path, errors);
    Ok(filled.filter(|_| errors.len() == before))
}

/// The request's values of one item over `item` (the product's defaults or a blank item),
/// each within its bounds, and the item's total within the money maximum; pure, so property
/// tests can throw anything at it. Problems go to `errors` under `path`.
fn fill_item(mut item: Item, map: &Map<String, Json>, path: &str, errors: &mut FieldErrors) -> Option<Item> {
    let before = errors.len();
    let decimal = |key: &str, form: Numeric, errors: &mut FieldErrors| -> Option<i64> {
        let value = map.get(key).filter(|v| !v.is_null())?;
        match form.parse(value) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!("{path}.{key}"), e.code, e.message);
                None
            }
        }
    };
    if let Some(price) = decimal("price", Numeric::MONEY, errors) {
        item.price = price;
    }
    if let Some(quantity) = decimal("quantity", Numeric::QUANTITY, errors) {
        item.quantity = quantity;
    }
    let rate = decimal("discount_rate", Numeric::PERCENT, errors);
    let sum = decimal("discount_sum", Numeric::MONEY, errors);
    if let Some(tax) = decimal("tax_rate", Numeric::PERCENT, errors) {
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
    if item.name.is_empty() {
        errors.push(format!("{path}.name"), "required", "a product or a name is required");
    }
    if item.name.chars().count() > 255 {
        errors.push(format!("{path}.name"), "too_long", "at most 255 characters");
    }
    // The product's defaults (stored values) meet the same bounds as the request's.
    let within = |key: &str, value: i64, form: Numeric, errors: &mut FieldErrors| {
        let field = format!("{path}.{key}");
        if !errors.iter().any(|e| e.field == field)
            && let Err(e) = form.check(value.into())
        {
            errors.push(field, e.code, e.message);
        }
    };
    within("price", item.price, Numeric::MONEY, errors);
    within("quantity", item.quantity, Numeric::QUANTITY, errors);
    if let Some(tax) = item.tax_rate {
        within("tax_rate", tax, Numeric::PERCENT, errors);
    }
    if errors.len() != before {
        return None;
    }
    // Both discounts lie within 0 ..= price, so these products fit easily.
    if item.discount_type == "percent" {
        item.discount_rate = rate.unwrap_or(0);
        item.discount_sum = money::mul_div(item.price.into(), item.discount_rate.into(), 10_000)
            .and_then(|d| i64::try_from(d).ok())
            .unwrap_or(item.price);
    } else {
        item.discount_sum = sum.unwrap_or(0);
        if item.discount_sum > item.price {
            errors.push(
                format!("{path}.discount"),
                "out_of_range",
                "a discount from 0 to the price (0-100 %)",
            );
            return None;
        }
        item.discount_rate = if item.price == 0 {
            0
        } else {
            money::mul_div(item.discount_sum.into(), 10_000, item.price.into())
                .and_then(|r| i64::try_from(r).ok())
                .unwrap_or(10_000)
        };
    }
    match item.totals() {
        Some(t) if t.total <= i128::from(MONEY_MAX) => Some(item),
        _ => {
            errors.push(
                format!("{path}.total"),
                "out_of_range",
                format!(
                    "the item's total (price x quantity, plus tax) may be at most {}",
                    format_decimal(MONEY_MAX, 2)
                ),
            );
            None
        }
    }
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
        let currency = record_currency(db, &before)?;
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
        remove(db, def.name, id)?;
        insert_all(db, def.name, id, &items)?;
        items_written(db, caller, def, id, &before, &currency, &items)?;
        get(db, caller, def, id)
    })
}

/// One item's change for [`change_one`]; an item's values are those `PUT` takes for one item.
#[derive(Debug, Clone, Copy)]
pub enum ItemChange<'a> {
    /// A new item after the others.
    Add(&'a Map<String, Json>),
    /// The item with this id, replaced whole by these values.
    Update(i64, &'a Map<String, Json>),
    /// The item with this id, removed.
    Delete(i64),
}

/// Adds, replaces or deletes one item of record `id` in ONE transaction, the other items and
/// their ids untouched, and recomputes the record's amount as [`replace`] does; returns the
/// item's id. A bad value is a 422 naming `item.<field>`; an item of another record is a 404.
pub fn change_one(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    change: ItemChange,
) -> Result<i64, CoreError> {
    caller.require(def.acl, Action::Update)?;
    transaction(db, |db| {
        let before = access::load_checked(db, caller, def, id, Action::Update)?;
        let currency = record_currency(db, &before)?;
        let owner: [Value; 2] = [def.name.into(), id.into()];
        let item_id = match change {
            ItemChange::Add(map) => {
                let item = checked_item(db, map, &currency)?;
                // How many items there are and the place after the last, in one read.
                let rows = db.query(
                    "SELECT COUNT(*) AS n, COALESCE(MAX(sort) + 1, 0) AS next FROM record_products \
                     WHERE entity = ? AND record_id = ?",
                    &owner,
                )?;
                let row = rows.first();
                if row.and_then(|r| r.i64("n")).unwrap_or_default() >= MAX_ITEMS as i64 {
                    let mut errors = FieldErrors::new();
                    errors.push("item", "too_many", format!("a record holds at most {MAX_ITEMS} items"));
                    return Err(CoreError::Validation(errors));
                }
                let sort = row.and_then(|r| r.i64("next")).unwrap_or_default();
                db.write(
                    &format!("INSERT INTO record_products ({ITEM_COLUMNS}) VALUES ({ITEM_PLACEHOLDERS}) RETURNING id"),
                    &item_params(def.name, id, &item, sort),
                )?
                .first_i64()
                .ok_or(CoreError::NotFound)?
            }
            ItemChange::Update(item_id, map) => {
                let item = checked_item(db, map, &currency)?;
                // The item's own values: its owner (first) and place (last) stay.
                let mut params = item_params(def.name, id, &item, 0);
                params.pop();
                params.drain(..2);
                params.extend([item_id.into(), def.name.into(), id.into()]);
                db.write(
                    "UPDATE record_products SET product_id = ?, name = ?, price = ?, \
                     quantity = ?, discount_type = ?, discount_rate = ?, discount_sum = ?, tax_rate = ?, \
                     tax_included = ?, unit = ? WHERE id = ? AND entity = ? AND record_id = ? RETURNING id",
                    &params,
                )?
                .first_i64()
                .ok_or(CoreError::NotFound)?
            }
            ItemChange::Delete(item_id) => db
                .write(
                    "DELETE FROM record_products WHERE id = ? AND entity = ? AND record_id = ? RETURNING id",
                    &[item_id.into(), def.name.into(), id.into()],
                )?
                .first_i64()
                .ok_or(CoreError::NotFound)?,
        };
        let items = items_of(db, def.name, id)?;
        items_written(db, caller, def, id, &before, &currency, &items)?;
        Ok(item_id)
    })
}

/// One item's values read as `PUT` reads an item, or the 422 naming `item.<field>`.
fn checked_item(db: &dyn Db, map: &Map<String, Json>, currency: &str) -> Result<Item, CoreError> {
    let mut errors = FieldErrors::new();
    let item = read_item(db, map, currency, "item", &mut errors)?;
    errors.into_result()?;
    // `read_item` gives an item whenever it adds no error.
    item.ok_or_else(|| CoreError::Internal("a line item without errors was not read".into()))
}

/// The record and the id of the item `item_id`, if one is stored: who owns an item addressed
/// by its id alone.
pub fn owner_of(db: &dyn Db, item_id: i64) -> Result<Option<(String, i64)>, CoreError> {
    let rows = db.query(
        "SELECT entity, record_id FROM record_products WHERE id = ?",
        &[item_id.into()],
    )?;
    Ok(rows
        .first()
        .and_then(|row| Some((row.str("entity")?.to_string(), row.i64("record_id")?))))
}

/// The currency a record's items are priced in: its own, else the base currency.
fn record_currency(db: &dyn Db, record: &Values) -> Result<String, CoreError> {
    match record.get("currency").and_then(Value::as_str) {
        Some(c) => Ok(c.to_string()),
        None => crate::records::dictionaries::base_currency(db),
    }
}

/// After the items of a record changed: its amount becomes their total (unless there are
/// none, so a manual amount stays possible) and the timeline says how many there are.
fn items_written(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    id: i64,
    before: &Values,
    currency: &str,
    items: &[Item],
) -> Result<(), CoreError> {
    if !items.is_empty() {
        let total = items_total(items)?;
        let mut after = before.clone();
        after.insert("amount".into(), total.into());
        after.insert("currency".into(), currency.into());
        service::write_update(db, caller, def, id, before, after, &[])?;
    }
    timeline::append(
        db,
        def.name,
        id,
        "products",
        Some(caller.user_id),
        &json!({ "count": items.len() }),
    )
}

/// What the record's amount becomes: the items' totals added up, within the money maximum
/// (else a 422 naming `items`).
fn items_total(items: &[Item]) -> Result<i64, CoreError> {
    let total = items
        .iter()
        .try_fold(0_i128, |acc, item| acc.checked_add(item.totals()?.total));
    match total.map(|t| Numeric::MONEY.check(t)) {
        Some(Ok(total)) => Ok(total),
        _ => {
            let mut errors = FieldErrors::new();
            errors.push(
                "items",
                "out_of_range",
                format!(
                    "the items add up to more than {}, the most an amount may be",
                    format_decimal(MONEY_MAX, 2)
                ),
            );
            Err(CoreError::Validation(errors))
        }
    }
}

/// Stores a record's items in order, several rows per statement (a store order's 20 items are
/// one statement, not 20).
pub fn insert_all(db: &dyn Db, entity: &str, record_id: i64, items: &[Item]) -> Result<(), CoreError> {
    const ROWS: usize = 50;
    for (chunk_index, chunk) in items.chunks(ROWS).enumerate() {
        let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 13);
        for (i, item) in chunk.iter().enumerate() {
            params.extend(item_params(entity, record_id, item, (chunk_index * ROWS + i) as i64));
        }
        let rows = vec![format!("({ITEM_PLACEHOLDERS})"); chunk.len()].join(", ");
        db.execute(
            &format!("INSERT INTO record_products ({ITEM_COLUMNS}) VALUES {rows}"),
            &params,
        )?;
    }
    Ok(())
}

/// The stored columns of an item, in the order of [`item_params`].
const ITEM_COLUMNS: &str = "entity, record_id, product_id, name, price, quantity, discount_type, \
                            discount_rate, discount_sum, tax_rate, tax_included, unit, sort";
const ITEM_PLACEHOLDERS: &str = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

/// An item's values for [`ITEM_COLUMNS`], `sort` last.
fn item_params(entity: &str, record_id: i64, item: &Item, sort: i64) -> Vec<Value> {
    vec![
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
    ]
}

/// Copies the items of one record to another (lead conversion).
pub fn copy(db: &dyn Db, from: (&str, i64), to: (&str, i64)) -> Result<usize, CoreError> {
    let rows = db.query(
        "SELECT * FROM record_products WHERE entity = ? AND record_id = ? ORDER BY sort, id",
        &[from.0.into(), from.1.into()],
    )?;
    let items: Vec<Item> = rows.iter().map(|row| Item::from_row(&row)).collect();
    insert_all(db, to.0, to.1, &items)?;
    Ok(items.len())
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
    use proptest::prelude::*;

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

    fn totals(sum: i128, tax: i128, total: i128) -> Option<Totals> {
        Some(Totals { sum, tax, total })
    }

    #[test]
    fn totals_apply_discount_quantity_and_tax() {
        // 100.00 x 3, no discount, no tax.
        assert_eq!(item(10_000, 3_000, 0, None, false).totals(), totals(30_000, 0, 30_000));
        // 100.00 - 10.00 per unit, x 2, 20 % on top: 180.00 + 36.00.
        assert_eq!(
            item(10_000, 2_000, 1_000, Some(2_000), false).totals(),
            totals(18_000, 3_600, 21_600)
        );
        // 120.00 including 20 % VAT: the tax inside is 20.00.
        assert_eq!(
            item(12_000, 1_000, 0, Some(2_000), true).totals(),
            totals(12_000, 2_000, 12_000)
        );
        // 0.5 kg at 99.99: 49.995 rounds half away from zero to 50.00.
        assert_eq!(item(9_999, 500, 0, None, false).totals().map(|t| t.sum), Some(5_000));
        // The probe's item: the maximum price times the maximum quantity, exactly.
        assert_eq!(
            item(MONEY_MAX, crate::records::values::QUANTITY_MAX, 0, None, false)
                .totals()
                .map(|t| t.total),
            Some(999_999_999_998_999_000_000_000)
        );
    }

    fn fill(map: Json) -> Result<Item, Vec<(String, String)>> {
        let mut errors = FieldErrors::new();
        let map = map.as_object().expect("an object").clone();
        fill_item(Item::blank(), &map, "items[0]", &mut errors)
            .ok_or_else(|| errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect())
    }

    #[test]
    fn items_out_of_bounds_are_refused_by_field() {
        let cases = [
            (
                json!({"name": "x", "price": "999999999999999.99", "quantity": "999999999.999"}),
                ("items[0].price", "out_of_range"),
                "the probe's price, past the maximum",
            ),
            (
                json!({"name": "x", "price": "9999999999999.99", "quantity": "2"}),
                ("items[0].total", "out_of_range"),
                "the maximum price twice",
            ),
            (
                json!({"name": "x", "price": "9999999999999.99", "tax_rate": "0.01"}),
                ("items[0].total", "out_of_range"),
                "tax on top of the maximum",
            ),
            (
                json!({"name": "x", "price": 12.5}),
                ("items[0].price", "invalid_type"),
                "a JSON float",
            ),
            (
                json!({"name": "x", "price": "1", "quantity": 2}),
                ("items[0].quantity", "invalid_type"),
                "a JSON integer",
            ),
            (
                json!({"name": "x", "price": "-1.00"}),
                ("items[0].price", "out_of_range"),
                "a negative price",
            ),
            (
                json!({"name": "x", "price": "1", "quantity": "0"}),
                ("items[0].quantity", "out_of_range"),
                "zero quantity",
            ),
            (
                json!({"name": "x", "price": "1", "quantity": "1000000000"}),
                ("items[0].quantity", "out_of_range"),
                "past the largest quantity",
            ),
            (
                json!({"name": "x", "price": "1", "discount_rate": "100.01"}),
                ("items[0].discount_rate", "out_of_range"),
                "more than 100 % off",
            ),
            (
                json!({"name": "x", "price": "1", "discount_type": "amount", "discount_sum": "1.01"}),
                ("items[0].discount", "out_of_range"),
                "a discount past the price",
            ),
            (
                json!({"name": "x", "price": "1", "tax_rate": "-1"}),
                ("items[0].tax_rate", "out_of_range"),
                "a negative tax",
            ),
        ];
        for (input, (field, code), why) in cases {
            let errors = fill(input.clone()).expect_err(why);
            assert_eq!(errors, vec![(field.to_string(), code.to_string())], "{why}: {input}");
        }
        let max = fill(json!({"name": "x", "price": "9999999999999.99", "tax_rate": "20", "tax_included": true}))
            .expect("the maximum, tax included");
        assert_eq!(max.totals().map(|t| t.total), Some(i128::from(MONEY_MAX)));
    }

    #[test]
    fn items_adding_up_past_the_maximum_are_refused_as_items() {
        let half = fill(json!({"name": "x", "price": "5000000000000"})).expect("half the maximum");
        let one = fill(json!({"name": "x", "price": "0.01"})).expect("a cent");
        assert_eq!(items_total(&[half.clone(), half.clone()]), Err(too_much()));
        let mut under = half.clone();
        under.price -= 1;
        assert_eq!(items_total(&[under, half, one]), Err(too_much()));
        let full = fill(json!({"name": "x", "price": "9999999999999.99"})).expect("the maximum");
        assert_eq!(items_total(&[full]), Ok(MONEY_MAX));
    }

    fn too_much() -> CoreError {
        let mut errors = FieldErrors::new();
        errors.push(
            "items",
            "out_of_range",
            "the items add up to more than 9999999999999.99, the most an amount may be",
        );
        CoreError::Validation(errors)
    }

    /// Decimal text of any `i64` at a scale (often small, often up to `max`), or a JSON
    /// number, or nothing.
    fn value(scale: u32, max: i64) -> impl Strategy<Value = Option<Json>> {
        prop_oneof![
            2 => any::<i64>().prop_map(move |v| Some(json!(format_decimal(v, scale)))),
            3 => (0..=max).prop_map(move |v| Some(json!(format_decimal(v, scale)))),
            4 => (0..=1_000_000_i64).prop_map(move |v| Some(json!(format_decimal(v, scale)))),
            1 => any::<f64>().prop_map(|v| Some(json!(v))),
            2 => Just(None),
        ]
    }

    proptest! {
        /// Whatever the price, quantity, discount and tax, filling an item never panics, and an
        /// item it accepts has totals within the money bounds.
        #[test]
        fn item_totals_fit_the_bounds_or_are_refused(
            price in value(2, MONEY_MAX),
            quantity in value(3, crate::records::values::QUANTITY_MAX),
            discount_rate in value(2, 10_000),
            discount_sum in value(2, MONEY_MAX),
            tax_rate in value(2, 10_000),
            amount_discount in any::<bool>(),
            tax_included in any::<bool>(),
        ) {
            let mut map = json!({
                "name": "x",
                "discount_type": if amount_discount { "amount" } else { "percent" },
                "tax_included": tax_included,
            });
            for (key, value) in [
                ("price", price),
                ("quantity", quantity),
                ("discount_rate", discount_rate),
                ("discount_sum", discount_sum),
                ("tax_rate", tax_rate),
            ] {
                if let Some(value) = value {
                    map[key] = value;
                }
            }
            if let Ok(item) = fill(map) {
                let t = item.totals().expect("accepted items have totals");
                prop_assert!(0 <= t.total && t.total <= i128::from(MONEY_MAX));
                prop_assert!(0 <= t.sum && t.sum <= t.total && 0 <= t.tax && t.tax <= t.total);
                prop_assert!(0 <= item.discount_sum && item.discount_sum <= item.price);
                prop_assert!((0..=10_000).contains(&item.discount_rate));
            }
        }

        /// Stored items with any values (rows from before the bounds) never panic either.
        #[test]
        fn totals_of_any_stored_item_never_panic(
            price in any::<i64>(),
            quantity in any::<i64>(),
            discount_sum in any::<i64>(),
            tax_rate in any::<Option<i64>>(),
            tax_included in any::<bool>(),
        ) {
            let _ = item(price, quantity, discount_sum, tax_rate, tax_included).totals();
        }
    }
}
