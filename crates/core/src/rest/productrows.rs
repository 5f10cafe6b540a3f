//! Product rows (issue 19): `crm.deal.productrows.get|set` (and the same for leads) and
//! `crm.productrow.fields|list|get|add|update|delete` over our line items.
//!
//! `productrows.set` replaces a record's items whole (`records::line_items::replace`);
//! `crm.productrow.add|update|delete` change one item (`records::line_items::change_one`),
//! the others and their ids untouched. Either way money is checked integer arithmetic and the
//! record's amount is recomputed in the same transaction. An update is the stored row with
//! the given fields over it, so a client may send only `QUANTITY`.
//!
//! Bitrix24's `PRICE` is the unit price after
//! discount and with tax; our item keeps the entered price before discount (tax-inclusive when
//! `TAX_INCLUDED` is `Y` or there is no tax) and the discount per unit, so a row is read as
//! `PRICE_NETTO`/`PRICE_BRUTTO` (before discount, without/with tax), `PRICE_EXCLUSIVE` (after
//! discount, without tax) and `PRICE` (after discount, with tax), each exact in minor units or
//! rounded half away from zero where a tax is taken out of or put into a price.

use serde_json::{Map, Value as Json, json};

use super::dictionaries::describe;
use super::methods::Method;
use super::values::{self, field, flag_of, id_of, id_param, integer_of, object_param, yes_no};
use super::{Call, Reply, RestError};
use crate::error::CoreError;
use crate::records::line_items::{self, ItemChange};
use crate::records::values::{Numeric, format_decimal, parse_decimal_text};
use crate::records::{EntityDef, money};

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.deal.productrows.get", "crm", deal_productrows_get),
    ("crm.deal.productrows.set", "crm", deal_productrows_set),
    ("crm.lead.productrows.get", "crm", lead_productrows_get),
    ("crm.lead.productrows.set", "crm", lead_productrows_set),
    ("crm.productrow.fields", "crm", productrow_fields),
    ("crm.productrow.list", "crm", productrow_list),
    ("crm.productrow.get", "crm", productrow_get),
    ("crm.productrow.add", "crm", productrow_add),
    ("crm.productrow.update", "crm", productrow_update),
    ("crm.productrow.delete", "crm", productrow_delete),
];

/// Bitrix24's `OWNER_TYPE` letters of the entities with line items.
const OWNERS: &[(&str, &str)] = &[("D", "deal"), ("L", "lead")];

fn owner_letter(entity: &str) -> &'static str {
    OWNERS
        .iter()
        .find(|(_, name)| *name == entity)
        .map_or("", |(letter, _)| *letter)
}

/// Integer text of a stored decimal string (`"1000.00"` at scale 2 -> 100000).
fn scaled(value: &Json, scale: u32) -> i128 {
    value
        .as_str()
        .and_then(|text| parse_decimal_text(text, scale).ok())
        .map_or(0, i128::from)
}

fn money_text(minor: i128) -> Json {
    Json::from(crate::records::values::format_wide_decimal(minor, 2))
}

/// One of our items (as `line_items::get` renders it) as a Bitrix24 product row.
fn row_json(entity: &str, owner: i64, sort: usize, item: &Json) -> Json {
    let price = scaled(&item["price"], 2);
    let discount = scaled(&item["discount_sum"], 2);
    let rate = item["tax_rate"].as_str().map(|_| scaled(&item["tax_rate"], 2));
    let included = item["tax_included"] == true;
    let tax = rate.unwrap_or(0);
    let with_tax = |amount: i128| money::mul_div(amount, 10_000 + tax, 10_000).unwrap_or(amount);
    let without_tax = |amount: i128| money::mul_div(amount, 10_000, 10_000 + tax).unwrap_or(amount);
    let (netto, brutto, exclusive, final_price) = if included {
        (
            without_tax(price),
            price,
            without_tax(price - discount),
            price - discount,
        )
    } else {
        (price, with_tax(price), price - discount, with_tax(price - discount))
    };
    let percent = item["discount_type"] == "percent";
    json!({
        "ID": item["id"].as_i64().map(|id| id.to_string()),
        "OWNER_ID": owner.to_string(),
        "OWNER_TYPE": owner_letter(entity),
        "PRODUCT_ID": item["product_id"].as_i64().unwrap_or(0).to_string(),
        "PRODUCT_NAME": item["name"],
        "ORIGINAL_PRODUCT_NAME": item["name"],
        "PRODUCT_DESCRIPTION": null,
        "PRICE": money_text(final_price),
        "PRICE_EXCLUSIVE": money_text(exclusive),
        "PRICE_NETTO": money_text(netto),
        "PRICE_BRUTTO": money_text(brutto),
        "PRICE_ACCOUNT": money_text(final_price),
        "QUANTITY": item["quantity"],
        "DISCOUNT_TYPE_ID": if percent { "2" } else { "1" },
        "DISCOUNT_RATE": item["discount_rate"],
        "DISCOUNT_SUM": item["discount_sum"],
        "TAX_RATE": item["tax_rate"],
        "TAX_INCLUDED": yes_no(included),
        "CUSTOMIZED": "Y",
        "MEASURE_CODE": null,
        "MEASURE_NAME": item["unit"],
        "SORT": ((sort + 1) * 10).to_string(),
        "TYPE": "1",
    })
}

/// The rows of record `id` of `entity` (read access needed).
fn rows_of(call: &Call, entity: &str, id: i64) -> Result<Vec<Json>, RestError> {
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    let items = line_items::get(call.db, call.caller, &def, id)?;
    Ok(items["items"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, item)| row_json(entity, id, i, item))
        .collect())
}

/// A decimal of a row at `path`, within `form`.
fn row_decimal(map: &Map<String, Json>, key: &str, form: Numeric, path: &str) -> Result<Option<i128>, RestError> {
    let Some(value) = field(map, key).filter(|v| !v.is_null() && v.as_str() != Some("")) else {
        return Ok(None);
    };
    let text = values::decimal_text_of(value)
        .ok_or_else(|| RestError::invalid_arg(format!("{path}.{key} must be a number")))?;
    form.parse_text(&text)
        .map(|v| Some(i128::from(v)))
        .map_err(|e| RestError::invalid_arg(format!("{path}.{key}: {}", e.message)))
}

/// A Bitrix24 product row as one of our items (see the module's note on prices).
fn item_of(value: &Json, path: &str) -> Result<Json, RestError> {
    let Some(map) = value.as_object() else {
        return Err(RestError::invalid_arg(format!("{path} must be an object")));
    };
    let mut item = Map::new();
    match field(map, "PRODUCT_ID") {
        None | Some(Json::Null) => {}
        Some(value) if integer_of(value) == Some(0) || value.as_str() == Some("") => {}
        Some(value) => {
            let id = id_of(value)
                .ok_or_else(|| RestError::invalid_arg(format!("{path}.PRODUCT_ID must be a product id")))?;
            item.insert("product_id".into(), Json::from(id));
        }
    }
    if let Some(name) = field(map, "PRODUCT_NAME").filter(|v| !v.is_null()) {
        let name = name
            .as_str()
            .ok_or_else(|| RestError::invalid_arg(format!("{path}.PRODUCT_NAME must be text")))?;
        item.insert("name".into(), Json::from(name));
    }
    if let Some(unit) = field(map, "MEASURE_NAME").and_then(Json::as_str) {
        item.insert("unit".into(), Json::from(unit));
    }
    if let Some(quantity) = row_decimal(map, "QUANTITY", Numeric::QUANTITY, path)? {
        item.insert("quantity".into(), Json::from(format_decimal(quantity as i64, 3)));
    }
    let tax = row_decimal(map, "TAX_RATE", Numeric::PERCENT, path)?;
    let included = match field(map, "TAX_INCLUDED") {
        None | Some(Json::Null) => false,
        Some(value) => {
            flag_of(value).ok_or_else(|| RestError::invalid_arg(format!("{path}.TAX_INCLUDED must be Y or N")))?
        }
    };
    if let Some(tax) = tax {
        item.insert("tax_rate".into(), Json::from(format_decimal(tax as i64, 2)));
    }
    let percent = match field(map, "DISCOUNT_TYPE_ID").filter(|v| !v.is_null()) {
        None => true,
        Some(value) => match integer_of(value) {
            Some(1) => false,
            Some(2) => true,
            _ => {
                return Err(RestError::invalid_arg(format!(
                    "{path}.DISCOUNT_TYPE_ID must be 1 (amount) or 2 (percent)"
                )));
            }
        },
    };
    let rate = row_decimal(map, "DISCOUNT_RATE", Numeric::PERCENT, path)?;
    let discount = row_decimal(map, "DISCOUNT_SUM", Numeric::MONEY, path)?;
    let taxed_apart = !included && tax.is_some_and(|t| t > 0);
    // A given PRICE already holds any tax (a catalog product's VAT included), so the row's total
    // is PRICE x QUANTITY; without PRICE the product's own price and VAT stand.
    if tax.is_some() || field(map, "PRICE").is_some_and(|p| !p.is_null()) {
        item.insert("tax_included".into(), Json::Bool(!taxed_apart));
    }
    // The final price in the terms the item keeps (tax-inclusive unless taxed apart).
    let entered = match row_decimal(map, "PRICE", Numeric::MONEY, path)? {
        Some(price) if taxed_apart => match row_decimal(map, "PRICE_EXCLUSIVE", Numeric::MONEY, path)? {
            Some(exclusive) => Some(exclusive),
            None => money::mul_div(price, 10_000, 10_000 + tax.unwrap_or(0)),
        },
        price => price,
    };
    let before_discount = match (percent, rate.unwrap_or(0), discount) {
        (false, _, discount) => entered.map(|p| p + discount.unwrap_or(0)),
        (true, 0, Some(discount)) if rate.is_none() => entered.map(|p| p + discount),
        (true, 0, _) => entered,
        (true, _, Some(discount)) => entered.map(|p| p + discount),
        (true, rate, None) if rate >= 10_000 => entered,
        (true, rate, None) => entered.and_then(|p| money::mul_div(p, 10_000, 10_000 - rate)),
    };
    // A percent discount given only as a sum per unit: its rate of the price before it.
    let rate = match (rate, discount, before_discount) {
        (None, Some(discount), Some(price)) if percent && price > 0 => money::mul_div(discount, 10_000, price),
        _ => rate,
    };
    if let Some(price) = before_discount {
        let price = i64::try_from(price).map_err(|_| RestError::invalid_arg(format!("{path}.PRICE is too large")))?;
        item.insert("price".into(), Json::from(format_decimal(price, 2)));
    }
    if percent {
        item.insert("discount_type".into(), Json::from("percent"));
        item.insert(
            "discount_rate".into(),
            Json::from(format_decimal(rate.unwrap_or(0) as i64, 2)),
        );
    } else {
        item.insert("discount_type".into(), Json::from("amount"));
        item.insert(
            "discount_sum".into(),
            Json::from(format_decimal(discount.unwrap_or(0) as i64, 2)),
        );
    }
    Ok(Json::Object(item))
}

/// Our line-item field names in Bitrix24's words, for an engine 422.
const ROW_FIELDS: &[(&str, &str)] = &[
    ("product_id", "PRODUCT_ID"),
    ("name", "PRODUCT_NAME"),
    ("price", "PRICE"),
    ("quantity", "QUANTITY"),
    ("discount_rate", "DISCOUNT_RATE"),
    ("discount_sum", "DISCOUNT_SUM"),
    ("discount", "DISCOUNT_SUM"),
    ("tax_rate", "TAX_RATE"),
    ("tax_included", "TAX_INCLUDED"),
    ("unit", "MEASURE_NAME"),
    ("total", "PRICE"),
];

/// An engine 422 in Bitrix24's words: our path `ours` (`items`, `item`) becomes `theirs`
/// (`rows`, `fields`) and our field names theirs: `items[2].price` -> `rows[2].PRICE`,
/// `item.tax_rate` -> `fields.TAX_RATE`.
fn row_error(error: CoreError, ours: &str, theirs: &str) -> RestError {
    let CoreError::Validation(mut errors) = error else {
        return error.into();
    };
    for problem in errors.0.iter_mut() {
        let Some(rest) = problem.field.strip_prefix(ours) else {
            continue;
        };
        let renamed = match rest.rsplit_once('.') {
            Some((place, key)) => {
                let key = ROW_FIELDS
                    .iter()
                    .find(|(ours, _)| *ours == key)
                    .map_or(key, |(_, theirs)| *theirs);
                format!("{theirs}{place}.{key}")
            }
            None if rest.is_empty() || rest.starts_with('[') => format!("{theirs}{rest}"),
            None => continue,
        };
        problem.field = renamed;
    }
    CoreError::Validation(errors).into()
}

fn productrows_get(call: &Call, entity: &str) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    Ok(Reply::of(Json::Array(rows_of(call, entity, id)?)))
}

fn productrows_set(call: &Call, entity: &str) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let given = match call.param("rows") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(text)) if text.is_empty() => Vec::new(),
        Some(value) => values::strict_list_of(value).ok_or_else(|| RestError::invalid_arg("rows must be a list"))?,
    };
    let mut rows: Vec<(i64, Json)> = Vec::with_capacity(given.len());
    for (i, row) in given.into_iter().enumerate() {
        let sort = row
            .as_object()
            .and_then(|map| field(map, "SORT"))
            .and_then(integer_of)
            .unwrap_or((i as i64 + 1) * 10);
        rows.push((sort, item_of(row, &format!("rows[{i}]"))?));
    }
    rows.sort_by_key(|(sort, _)| *sort);
    let items: Vec<Json> = rows.into_iter().map(|(_, item)| item).collect();
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    line_items::replace(call.db, call.caller, &def, id, &json!({ "items": items }))
        .map_err(|e| row_error(e, "items", "rows"))?;
    Ok(Reply::of(Json::Bool(true)))
}

fn deal_productrows_get(call: &Call) -> Result<Reply, RestError> {
    productrows_get(call, "deal")
}
fn deal_productrows_set(call: &Call) -> Result<Reply, RestError> {
    productrows_set(call, "deal")
}
fn lead_productrows_get(call: &Call) -> Result<Reply, RestError> {
    productrows_get(call, "lead")
}
fn lead_productrows_set(call: &Call) -> Result<Reply, RestError> {
    productrows_set(call, "lead")
}

fn productrow_fields(_call: &Call) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        ("ID", "integer", "O", "ID"),
        ("OWNER_ID", "integer", "RI", "Owner"),
        ("OWNER_TYPE", "char", "RI", "Owner type"),
        ("PRODUCT_ID", "integer", "", "Product"),
        ("PRODUCT_NAME", "string", "", "Product name"),
        ("ORIGINAL_PRODUCT_NAME", "string", "O", "Catalog name"),
        ("PRODUCT_DESCRIPTION", "string", "O", "Description"),
        ("PRICE", "double", "", "Price (after discount, with tax)"),
        ("PRICE_EXCLUSIVE", "double", "", "Price after discount, without tax"),
        ("PRICE_NETTO", "double", "O", "Price before discount, without tax"),
        ("PRICE_BRUTTO", "double", "O", "Price before discount, with tax"),
        ("PRICE_ACCOUNT", "double", "O", "Price in the record's currency"),
        ("QUANTITY", "double", "", "Quantity"),
        ("DISCOUNT_TYPE_ID", "integer", "", "Discount type (1 amount, 2 percent)"),
        ("DISCOUNT_RATE", "double", "", "Discount, %"),
        ("DISCOUNT_SUM", "double", "", "Discount per unit"),
        ("TAX_RATE", "double", "", "Tax, %"),
        ("TAX_INCLUDED", "char", "", "Tax included"),
        ("CUSTOMIZED", "char", "O", "Customized"),
        ("MEASURE_CODE", "integer", "O", "Unit code"),
        ("MEASURE_NAME", "string", "", "Unit"),
        ("SORT", "integer", "", "Sort"),
        ("TYPE", "integer", "O", "Type"),
    ])))
}

/// `OWNER_TYPE` (`D`, `L`) as our entity name, or a 400 naming it within `place`.
fn owner_entity(value: Option<&Json>, place: &str) -> Result<&'static str, RestError> {
    let letter = value
        .and_then(Json::as_str)
        .map(|t| t.trim().to_ascii_uppercase())
        .unwrap_or_default();
    OWNERS
        .iter()
        .find(|(l, _)| *l == letter)
        .map(|(_, entity)| *entity)
        .ok_or_else(|| RestError::invalid_arg(format!("{place}: OWNER_TYPE must be D (deal) or L (lead)")))
}

/// The entity and the record a stored row belongs to (404 if no row has the id).
fn row_owner(call: &Call, id: i64) -> Result<(&'static str, i64), RestError> {
    let (entity, owner) = line_items::owner_of(call.db, id)?.ok_or(CoreError::NotFound)?;
    let entity = OWNERS
        .iter()
        .find(|(_, name)| *name == entity)
        .map(|(_, name)| *name)
        .ok_or(CoreError::NotFound)?;
    Ok((entity, owner))
}

/// The row `id` of record `owner` of `entity` as the caller may read it.
fn row_by_id(call: &Call, (entity, owner): (&str, i64), id: i64) -> Result<Json, RestError> {
    rows_of(call, entity, owner)?
        .into_iter()
        .find(|row| row["ID"].as_str().and_then(|text| text.parse::<i64>().ok()) == Some(id))
        .ok_or_else(|| CoreError::NotFound.into())
}

fn productrow_list(call: &Call) -> Result<Reply, RestError> {
    let filter = object_param(call, "filter")?
        .ok_or_else(|| RestError::invalid_arg("filter with OWNER_TYPE and OWNER_ID is required"))?;
    let strip = |key: &str| key.trim_start_matches('=').to_ascii_uppercase();
    let mut owner_type = None;
    let mut owner_id = None;
    for (key, value) in filter {
        match strip(key).as_str() {
            "OWNER_TYPE" => owner_type = Some(value),
            "OWNER_ID" => owner_id = Some(value),
            _ => return Err(RestError::invalid_arg(format!("filter: unknown field {key:?}"))),
        }
    }
    let entity = owner_entity(owner_type, "filter")?;
    let id = owner_id
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg("filter: OWNER_ID must be a record id"))?;
    let start = values::start_param(call)?;
    let rows = rows_of(call, entity, id)?;
    Ok(values::page_of_all(rows, start))
}

fn productrow_get(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    row_by_id(call, row_owner(call, id)?, id).map(Reply::of)
}

/// The required `fields` of `add` and `update`.
fn fields_param<'a>(call: &'a Call) -> Result<&'a Map<String, Json>, RestError> {
    object_param(call, "fields")?.ok_or_else(|| RestError::invalid_arg("fields are required"))
}

/// The item a row describes, as `change_one` takes it.
fn item_map(row: &Json) -> Result<Map<String, Json>, RestError> {
    match item_of(row, "fields")? {
        Json::Object(map) => Ok(map),
        _ => Err(RestError::invalid_arg("fields must be an object")),
    }
}

fn productrow_add(call: &Call) -> Result<Reply, RestError> {
    let fields = fields_param(call)?;
    let entity = owner_entity(field(fields, "OWNER_TYPE"), "fields")?;
    let owner = field(fields, "OWNER_ID")
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg("fields: OWNER_ID must be a record id"))?;
    let item = item_map(&Json::Object(fields.clone()))?;
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    let id = line_items::change_one(call.db, call.caller, &def, owner, ItemChange::Add(&item))
        .map_err(|e| row_error(e, "item", "fields"))?;
    Ok(Reply::of(Json::from(id)))
}

/// The fields of a row derived from its price, discount and tax (read-only in an update).
const DERIVED_PRICES: &[&str] = &["PRICE_EXCLUSIVE", "PRICE_NETTO", "PRICE_BRUTTO", "PRICE_ACCOUNT"];

/// The fields an update's price follows.
const PRICE_SOURCES: &[&str] = &[
    "PRICE",
    "PRICE_EXCLUSIVE",
    "DISCOUNT_TYPE_ID",
    "DISCOUNT_RATE",
    "DISCOUNT_SUM",
    "TAX_RATE",
    "TAX_INCLUDED",
];

/// A stored row with an update's fields over it. `PRICE` (the final price) leads: when any of
/// the price, discount or tax is given the derived prices are recomputed, not kept, as is a
/// percent discount's sum; a discount given as a sum replaces the rate. The row's id and owner
/// stay.
fn merged_row(stored: Json, given: &Map<String, Json>) -> Json {
    let mut row = stored.as_object().cloned().unwrap_or_default();
    let gives = |key: &str| field(given, key).is_some();
    if PRICE_SOURCES.iter().any(|key| gives(key)) {
        for key in DERIVED_PRICES.iter().filter(|key| !gives(key)) {
            row.remove(*key);
        }
    }
    let percent = field(given, "DISCOUNT_TYPE_ID")
        .or_else(|| field(&row, "DISCOUNT_TYPE_ID"))
        .and_then(integer_of)
        != Some(1);
    // A percent discount's sum follows its rate (and the price), unless it is the one given.
    if percent && !gives("DISCOUNT_SUM") && PRICE_SOURCES.iter().any(|key| gives(key)) {
        row.remove("DISCOUNT_SUM");
    }
    if gives("DISCOUNT_SUM") && !gives("DISCOUNT_RATE") {
        row.remove("DISCOUNT_RATE");
    }
    for (key, value) in given {
        let key = key.to_ascii_uppercase();
        if !matches!(key.as_str(), "ID" | "OWNER_ID" | "OWNER_TYPE") {
            row.insert(key, value.clone());
        }
    }
    Json::Object(row)
}

fn productrow_update(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let given = fields_param(call)?;
    let (entity, owner) = row_owner(call, id)?;
    let stored = row_by_id(call, (entity, owner), id)?;
    let item = item_map(&merged_row(stored, given))?;
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    line_items::change_one(call.db, call.caller, &def, owner, ItemChange::Update(id, &item))
        .map_err(|e| row_error(e, "item", "fields"))?;
    Ok(Reply::of(Json::Bool(true)))
}

fn productrow_delete(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let (entity, owner) = row_owner(call, id)?;
    let def = EntityDef::load_for(call.db, call.caller, entity)?;
    line_items::change_one(call.db, call.caller, &def, owner, ItemChange::Delete(id))?;
    Ok(Reply::of(Json::Bool(true)))
}
