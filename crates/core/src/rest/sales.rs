//! Links and sales (issue 19): `crm.deal.contact.*` (a deal's contacts, the first the primary
//! one) and `crm.contact.company.*` (a contact's companies), `crm.deal.productrows.get|set`
//! (and the same for leads), `crm.productrow.fields|list|get` over our line items, and
//! `crm.duplicate.findbycomm` over the normalised channels.
//!
//! Links are the records' own link fields (`contact_ids`, `company_ids`), changed through the
//! record engine as the caller (`records::service::update`: update access to the record, read
//! access to each record linked, timeline entries on both sides), so the order of the list is
//! the links' order and its first id is the primary one: Bitrix24's `SORT` and `IS_PRIMARY`
//! become that order (primary first, then by `SORT`), and read back as `SORT` 10, 20, 30...
//!
//! Product rows are our line items, replaced whole by `records::line_items::replace` (checked
//! integer money, the record's amount recomputed). Bitrix24's `PRICE` is the unit price after
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
use crate::db::transaction;
use crate::error::CoreError;
use crate::records::values::{Numeric, format_decimal, parse_decimal_text};
use crate::records::{EntityDef, duplicates, line_items, money, service};

/// This family's methods.
pub const METHODS: &[Method] = &[
    ("crm.deal.contact.fields", "crm", deal_contact_fields),
    ("crm.deal.contact.add", "crm", deal_contact_add),
    ("crm.deal.contact.delete", "crm", deal_contact_delete),
    ("crm.deal.contact.items.get", "crm", deal_contact_items_get),
    ("crm.deal.contact.items.set", "crm", deal_contact_items_set),
    ("crm.deal.contact.items.delete", "crm", deal_contact_items_delete),
    ("crm.contact.company.fields", "crm", contact_company_fields),
    ("crm.contact.company.add", "crm", contact_company_add),
    ("crm.contact.company.delete", "crm", contact_company_delete),
    ("crm.contact.company.items.get", "crm", contact_company_items_get),
    ("crm.contact.company.items.set", "crm", contact_company_items_set),
    ("crm.contact.company.items.delete", "crm", contact_company_items_delete),
    ("crm.deal.productrows.get", "crm", deal_productrows_get),
    ("crm.deal.productrows.set", "crm", deal_productrows_set),
    ("crm.lead.productrows.get", "crm", lead_productrows_get),
    ("crm.lead.productrows.set", "crm", lead_productrows_set),
    ("crm.productrow.fields", "crm", productrow_fields),
    ("crm.productrow.list", "crm", productrow_list),
    ("crm.productrow.get", "crm", productrow_get),
    ("crm.duplicate.findbycomm", "crm", duplicate_findbycomm),
];

// Links

/// One kind of link as Bitrix24 names it: the record entity, its link field, and the key
/// naming the linked record in an item (`CONTACT_ID`).
struct Links {
    entity: &'static str,
    field: &'static str,
    key: &'static str,
    kind: &'static str,
}

const DEAL_CONTACTS: Links = Links {
    entity: "deal",
    field: "contact_ids",
    key: "CONTACT_ID",
    kind: "crm_contact",
};

const CONTACT_COMPANIES: Links = Links {
    entity: "contact",
    field: "company_ids",
    key: "COMPANY_ID",
    kind: "crm_company",
};

/// One link as a client gives it.
#[derive(Debug, Clone, Copy)]
struct Link {
    id: i64,
    sort: i64,
    primary: bool,
}

/// The ids in link order: the first primary one first, then by `SORT` (stable), each once.
fn ordered(mut links: Vec<Link>) -> Vec<i64> {
    links.sort_by_key(|link| link.sort);
    if let Some(at) = links.iter().position(|link| link.primary) {
        let primary = links.remove(at);
        links.insert(0, primary);
    }
    let mut ids: Vec<i64> = Vec::with_capacity(links.len());
    for link in links {
        if !ids.contains(&link.id) {
            ids.push(link.id);
        }
    }
    ids
}

/// The stored links as [`Link`]s (sort 10, 20...; the first primary).
fn as_links(ids: &[i64]) -> Vec<Link> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Link {
            id: *id,
            sort: (i as i64 + 1) * 10,
            primary: i == 0,
        })
        .collect()
}

/// One item `{KEY, SORT?, IS_PRIMARY?}`; `path` names it in errors.
fn read_link(links: &Links, value: &Json, path: &str) -> Result<(i64, Option<i64>, Option<bool>), RestError> {
    let Some(map) = value.as_object() else {
        return Err(RestError::invalid_arg(format!("{path} must be an object")));
    };
    let id = field(map, links.key)
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg(format!("{path}{} is not defined or invalid", links.key)))?;
    let sort = match field(map, "SORT") {
        None | Some(Json::Null) => None,
        Some(value) => Some(
            integer_of(value)
                .filter(|sort| *sort >= 0)
                .ok_or_else(|| RestError::invalid_arg(format!("{path}SORT must be a whole number")))?,
        ),
    };
    let primary = match field(map, "IS_PRIMARY") {
        None | Some(Json::Null) => None,
        Some(value) => {
            Some(flag_of(value).ok_or_else(|| RestError::invalid_arg(format!("{path}IS_PRIMARY must be Y or N")))?)
        }
    };
    Ok((id, sort, primary))
}

/// The record's linked ids, as the caller may read the record.
fn linked(call: &Call, def: &EntityDef, links: &Links, id: i64) -> Result<Vec<i64>, CoreError> {
    let record = service::get(call.db, call.caller, def, id)?;
    Ok(record[links.field]
        .as_array()
        .map(|ids| ids.iter().filter_map(Json::as_i64).collect())
        .unwrap_or_default())
}

/// Rewrites the record's links from the current ones by `change`, in one transaction through
/// the record engine.
fn relink(
    call: &Call,
    links: &Links,
    id: i64,
    change: impl FnOnce(Vec<i64>) -> Option<Vec<i64>>,
) -> Result<Reply, RestError> {
    let def = EntityDef::load_for(call.db, call.caller, links.entity)?;
    transaction(call.db, |db| {
        let inner = Call {
            db,
            caller: call.caller,
            params: call.params,
        };
        let current = linked(&inner, &def, links, id)?;
        if let Some(ids) = change(current.clone()).filter(|ids| *ids != current) {
            service::update(db, call.caller, &def, id, &json!({ links.field: ids }), None)?;
        }
        Ok(())
    })
    .map_err(|e| values::named_error(e, &[(links.field, links.key)]))?;
    Ok(Reply::of(Json::Bool(true)))
}

fn link_fields(links: &Links) -> Result<Reply, RestError> {
    Ok(Reply::of(describe(&[
        (links.key, links.kind, "R", links.key),
        ("SORT", "integer", "", "Sort"),
        ("ROLE_ID", "crm_enum", "O", "Role"),
        ("IS_PRIMARY", "char", "", "Primary"),
    ])))
}

fn link_items_get(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let def = EntityDef::load_for(call.db, call.caller, links.entity)?;
    let items: Vec<Json> = as_links(&linked(call, &def, links, id)?)
        .iter()
        .map(|link| {
            json!({
                links.key: link.id,
                "SORT": link.sort,
                "ROLE_ID": 0,
                "IS_PRIMARY": yes_no(link.primary),
            })
        })
        .collect();
    Ok(Reply::of(Json::Array(items)))
}

fn link_fields_param<'a>(call: &'a Call) -> Result<&'a Map<String, Json>, RestError> {
    object_param(call, "fields")?.ok_or_else(|| RestError::invalid_arg("fields are required"))
}

fn link_add(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let (other, sort, primary) = read_link(links, &Json::Object(link_fields_param(call)?.clone()), "fields.")?;
    relink(call, links, id, |current| {
        let mut items: Vec<Link> = as_links(&current).into_iter().filter(|l| l.id != other).collect();
        let last = items.iter().map(|l| l.sort).max().unwrap_or(0);
        let primary = primary.unwrap_or(items.is_empty()) || items.is_empty();
        if primary {
            items.iter_mut().for_each(|l| l.primary = false);
        } else if let Some(first) = items.first_mut() {
            first.primary = true;
        }
        items.push(Link {
            id: other,
            sort: sort.unwrap_or(last + 10),
            primary,
        });
        Some(ordered(items))
    })
}

fn link_delete(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let fields = link_fields_param(call)?;
    let other = field(fields, links.key)
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg(format!("fields.{} is not defined or invalid", links.key)))?;
    relink(call, links, id, |current| {
        Some(current.into_iter().filter(|linked| *linked != other).collect())
    })
}

fn link_items_set(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let given = match call.param("items") {
        None | Some(Json::Null) => Vec::new(),
        Some(value) => values::strict_list_of(value).ok_or_else(|| RestError::invalid_arg("items must be a list"))?,
    };
    let mut items = Vec::with_capacity(given.len());
    for (i, value) in given.into_iter().enumerate() {
        let (other, sort, primary) = read_link(links, value, &format!("items[{i}]."))?;
        items.push(Link {
            id: other,
            sort: sort.unwrap_or((i as i64 + 1) * 10),
            primary: primary.unwrap_or(false),
        });
    }
    let ids = ordered(items);
    relink(call, links, id, move |_| Some(ids))
}

fn link_items_delete(call: &Call, links: &Links) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    relink(call, links, id, |_| Some(Vec::new()))
}

fn deal_contact_fields(_call: &Call) -> Result<Reply, RestError> {
    link_fields(&DEAL_CONTACTS)
}
fn deal_contact_add(call: &Call) -> Result<Reply, RestError> {
    link_add(call, &DEAL_CONTACTS)
}
fn deal_contact_delete(call: &Call) -> Result<Reply, RestError> {
    link_delete(call, &DEAL_CONTACTS)
}
fn deal_contact_items_get(call: &Call) -> Result<Reply, RestError> {
    link_items_get(call, &DEAL_CONTACTS)
}
fn deal_contact_items_set(call: &Call) -> Result<Reply, RestError> {
    link_items_set(call, &DEAL_CONTACTS)
}
fn deal_contact_items_delete(call: &Call) -> Result<Reply, RestError> {
    link_items_delete(call, &DEAL_CONTACTS)
}
fn contact_company_fields(_call: &Call) -> Result<Reply, RestError> {
    link_fields(&CONTACT_COMPANIES)
}
fn contact_company_add(call: &Call) -> Result<Reply, RestError> {
    link_add(call, &CONTACT_COMPANIES)
}
fn contact_company_delete(call: &Call) -> Result<Reply, RestError> {
    link_delete(call, &CONTACT_COMPANIES)
}
fn contact_company_items_get(call: &Call) -> Result<Reply, RestError> {
    link_items_get(call, &CONTACT_COMPANIES)
}
fn contact_company_items_set(call: &Call) -> Result<Reply, RestError> {
    link_items_set(call, &CONTACT_COMPANIES)
}
fn contact_company_items_delete(call: &Call) -> Result<Reply, RestError> {
    link_items_delete(call, &CONTACT_COMPANIES)
}

// Product rows

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
        (true, 0, _) => entered,
        (true, _, Some(discount)) => entered.map(|p| p + discount),
        (true, rate, None) if rate >= 10_000 => entered,
        (true, rate, None) => entered.and_then(|p| money::mul_div(p, 10_000, 10_000 - rate)),
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

/// Our line-item field names in Bitrix24's words, for a 422 of `replace`.
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

/// `items[2].price` -> `rows[2].PRICE`, `items` -> `rows`.
fn row_error(error: CoreError) -> RestError {
    let CoreError::Validation(mut errors) = error else {
        return error.into();
    };
    for problem in errors.0.iter_mut() {
        let Some(rest) = problem.field.strip_prefix("items") else {
            continue;
        };
        let renamed = match rest.split_once("].") {
            Some((index, key)) => {
                let key = ROW_FIELDS
                    .iter()
                    .find(|(ours, _)| *ours == key)
                    .map_or(key, |(_, theirs)| *theirs);
                format!("rows{index}].{key}")
            }
            None => format!("rows{rest}"),
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
    line_items::replace(call.db, call.caller, &def, id, &json!({ "items": items })).map_err(row_error)?;
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

/// `OWNER_TYPE` (`D`, `L`) as our entity name, or 400.
fn owner_entity(value: Option<&Json>) -> Result<&'static str, RestError> {
    let letter = value
        .and_then(Json::as_str)
        .map(|t| t.trim().to_ascii_uppercase())
        .unwrap_or_default();
    OWNERS
        .iter()
        .find(|(l, _)| *l == letter)
        .map(|(_, entity)| *entity)
        .ok_or_else(|| RestError::invalid_arg("filter: OWNER_TYPE must be D (deal) or L (lead)"))
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
    let entity = owner_entity(owner_type)?;
    let id = owner_id
        .and_then(id_of)
        .ok_or_else(|| RestError::invalid_arg("filter: OWNER_ID must be a record id"))?;
    let start = values::start_param(call)?;
    let rows = rows_of(call, entity, id)?;
    Ok(values::page_of_all(rows, start))
}

fn productrow_get(call: &Call) -> Result<Reply, RestError> {
    let id = id_param(call, "id")?;
    let rows = call
        .db
        .query(
            "SELECT entity, record_id FROM record_products WHERE id = ?",
            &[id.into()],
        )
        .map_err(CoreError::from)?;
    let Some(row) = rows.first() else {
        return Err(CoreError::NotFound.into());
    };
    let entity = row.str("entity").unwrap_or_default();
    let entity = OWNERS
        .iter()
        .find(|(_, name)| *name == entity)
        .map(|(_, name)| *name)
        .ok_or(CoreError::NotFound)?;
    let owner = row.i64("record_id").unwrap_or_default();
    rows_of(call, entity, owner)?
        .into_iter()
        .find(|row| row["ID"].as_str().and_then(|text| text.parse::<i64>().ok()) == Some(id))
        .map(Reply::of)
        .ok_or_else(|| CoreError::NotFound.into())
}

// Duplicates

/// Bitrix24's entity types searched for duplicates, and ours.
const DUPLICATE_TYPES: &[(&str, &str)] = &[("LEAD", "lead"), ("CONTACT", "contact"), ("COMPANY", "company")];

/// The most values one call may give, as Bitrix24's.
const DUPLICATE_VALUES: usize = 20;

fn duplicate_findbycomm(call: &Call) -> Result<Reply, RestError> {
    let kind = match call
        .param("type")
        .and_then(Json::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("EMAIL") => "email",
        Some("PHONE") => "phone",
        _ => return Err(RestError::invalid_arg("type must be EMAIL or PHONE")),
    };
    let given = call
        .param("values")
        .and_then(values::strict_list_of)
        .ok_or_else(|| RestError::invalid_arg("values must be a list of up to 20 strings"))?;
    if given.is_empty() || given.len() > DUPLICATE_VALUES {
        return Err(RestError::invalid_arg("values must be a list of up to 20 strings"));
    }
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(given.len() + 1);
    let entity = match call
        .param("entity_type")
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
    {
        None => None,
        Some(value) => {
            let name = value.as_str().map(str::to_ascii_uppercase).unwrap_or_default();
            let (_, ours) = DUPLICATE_TYPES
                .iter()
                .find(|(theirs, _)| *theirs == name)
                .ok_or_else(|| RestError::invalid_arg("entity_type must be LEAD, CONTACT or COMPANY"))?;
            pairs.push(("entity".into(), (*ours).into()));
            Some(*ours)
        }
    };
    for value in given {
        let text = values::decimal_text_of(value)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RestError::invalid_arg("values must be non-empty strings"))?;
        pairs.push((kind.into(), text));
    }
    let cx = service::parse_context_for(call.db, call.caller)?;
    let found =
        duplicates::find(call.db, call.caller, &pairs, &cx).map_err(|e| values::named_error(e, &[(kind, "values")]))?;
    let mut out = Map::new();
    for (theirs, ours) in DUPLICATE_TYPES {
        if entity.is_some_and(|e| e != *ours) {
            continue;
        }
        let ids: Vec<Json> = found["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| item["entity"] == *ours)
            .filter_map(|item| item["id"].as_i64())
            .map(Json::from)
            .collect();
        if !ids.is_empty() {
            out.insert((*theirs).into(), Json::Array(ids));
        }
    }
    Ok(Reply::of(if out.is_empty() {
        Json::Array(Vec::new())
    } else {
        Json::Object(out)
    }))
}
