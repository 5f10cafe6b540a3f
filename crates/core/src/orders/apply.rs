//! What a verified order writes, inside the delivery's transaction, through the record engine:
//! the customer as a contact (matched by normalised e-mail or phone in `record_channels`, else
//! created), the billing company (matched by title, else created), and the deal — `Order
//! #1042`, the order's total to the cent, its currency, the stage the source maps the store's
//! state to, the source code, the order's number, admin link and UTM tags — with its line
//! items: products matched by SKU (created when the source allows), shipping, discounts and
//! taxes on top as items of their own, and an `Adjustment` item for whatever the store's
//! total differs from the lines by, so the items always add up to the amount.
//!
//! `deal_orders` links the deal to (source, order id), so a later delivery updates the same
//! deal (its fields and items, and its stage when the store's state changed; each
//! change on the timeline) — unless it is older than
//! the last one applied (by the order's update time), or the same version again (same time and
//! same body): then it is skipped and nothing changes. Concurrent deliveries queue on the
//! write lock (`BEGIN IMMEDIATE`), so the second one finds the first one's link.

use serde_json::{Value as Json, json};

use super::order::Order;
use super::source::OrderSource;
use crate::acl::Caller;
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};
use crate::records::line_items::{self, Item};
use crate::records::values::{self, format_decimal};
use crate::records::{EntityDef, index, service, timeline};

/// What processing did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The deal was made or brought up to date.
    Processed {
        /// The deal.
        deal_id: i64,
    },
    /// Older than (or the same as) what the deal already reflects: nothing changed.
    Skipped {
        /// The deal.
        deal_id: i64,
    },
    /// Not an order change (a delete, another topic): nothing to do.
    Ignored,
}

/// Writes `order` of `source` (its raw body hashes to `hash`) into the CRM.
pub fn apply(db: &dyn Db, source: &OrderSource, order: &Order, hash: &str, now: i64) -> Result<Applied, CoreError> {
    if !crate::records::dictionaries::currency_exists(db, &order.currency)? {
        return Err(invalid(
            "currency",
            format!("unknown currency {}: add it under /api/currencies", order.currency),
        ));
    }
    let link = db.query(
        "SELECT o.deal_id, o.order_updated_at, o.body_sha256, o.status, d.id AS live, d.responsible_id FROM deal_orders o \
         LEFT JOIN deals d ON d.id = o.deal_id WHERE o.source_id = ? AND o.order_id = ?",
        &[source.id.into(), order.id.as_str().into()],
    )?;
    let link = link.first().map(|r| {
        (
            r.i64("deal_id").unwrap_or_default(),
            r.i64("order_updated_at").unwrap_or_default(),
            r.str("body_sha256").unwrap_or_default().to_string(),
            r.i64("live").map(|_| r.i64("responsible_id")),
            r.str("status").map(str::to_owned),
        )
    });
    let definition = |name: &str| EntityDef::load_in(db, source.workspace.as_ref(), name);
    let deal_def = definition("deal")?;
    let existing = match &link {
        Some((deal_id, updated_at, stored_hash, Some(responsible), state)) => {
            if order.updated_at < *updated_at || (order.updated_at == *updated_at && stored_hash == hash) {
                return Ok(Applied::Skipped { deal_id: *deal_id });
            }
            Some((*deal_id, *responsible, state.clone()))
        }
        // No deal (a deleted deal's link goes with it, sql/0019): the order makes a new one.
        _ => None,
    };
    let responsible = match &existing {
        Some((_, Some(responsible), _)) => *responsible,
        _ => take_turn(db, source)?,
    };
    let department = db
        .query("SELECT department_id FROM users WHERE id = ?", &[responsible.into()])?
        .first()
        .and_then(|r| r.i64("department_id"));
    let system = Caller::system(responsible, department);
    let stage = source.stage_map.get(&order.state).and_then(Json::as_str);
    let mut deal = json!({
        "title": title(order),
        "amount": format_decimal(order.total, 2),
        "currency": order.currency,
        "source_description": source_description(source, order),
    });
    // The stage follows the store's state when the state changes (or on create), so a stage a
    // manager set by hand stays while the store only edits the order.
    let state_changed = existing
        .as_ref()
        .is_none_or(|(_, _, state)| state.as_deref() != Some(order.state.as_str()));
    if let Some(stage) = stage.filter(|_| state_changed) {
        deal["stage"] = json!(stage);
    }
    let deal_id = match existing {
        Some((deal_id, _, _)) => {
            service::update(db, &system, &deal_def, deal_id, &deal, None)?;
            deal_id
        }
        None => {
            let company = match &order.company {
                Some(title) => Some(company(db, &system, title, &definition("company")?)?),
                None => None,
            };
            let contact = contact(db, &system, source, order, company, &definition("contact")?)?;
            deal["comments"] = comments(order);
            deal["pipeline_id"] = json!(source.pipeline_id);
            deal["source"] = json!(source.source);
            deal["responsible_id"] = json!(responsible);
            deal["contact_ids"] = json!(contact.into_iter().collect::<Vec<_>>());
            deal["company_id"] = json!(company);
            let created = service::create(db, &system, &deal_def, &deal)?;
            created["id"]
                .as_i64()
                .ok_or_else(|| CoreError::Internal("a created deal has no id".into()))?
        }
    };
    let items = items(db, &system, source, order)?;
    // A new deal has no items yet; an existing one's are replaced only when they differ.
    let stored = match existing {
        Some(_) => line_items::items_of(db, "deal", deal_id)?,
        None => Vec::new(),
    };
    if stored != items {
        if !stored.is_empty() {
            line_items::remove(db, "deal", deal_id)?;
        }
        line_items::insert_all(db, "deal", deal_id, &items)?;
        timeline::append(db, "deal", deal_id, "products", None, &json!({ "count": items.len() }))?;
    }
    let utm: serde_json::Map<String, Json> = order.utm.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    db.execute(
        "INSERT INTO deal_orders (source_id, order_id, deal_id, order_number, admin_url, utm, status, order_updated_at, \
         body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, order_id) DO UPDATE SET \
         deal_id = excluded.deal_id, order_number = excluded.order_number, admin_url = excluded.admin_url, \
         utm = excluded.utm, status = excluded.status, order_updated_at = excluded.order_updated_at, \
         body_sha256 = excluded.body_sha256",
        &[
            source.id.into(),
            order.id.as_str().into(),
            deal_id.into(),
            order.number.as_str().into(),
            order.admin_url.as_deref().into(),
            Json::Object(utm).to_string().into(),
            order.state.as_str().into(),
            order.updated_at.into(),
            hash.into(),
        ],
    )?;
    timeline::append(
        db,
        "deal",
        deal_id,
        "store_order",
        None,
        &json!({"source_id": source.id, "order_id": order.id, "number": order.number, "state": order.state,
                "total": format_decimal(order.total, 2), "currency": order.currency,
                "updated_at": crate::clock::rfc3339(order.updated_at), "received_at": crate::clock::rfc3339(now)}),
    )?;
    Ok(Applied::Processed { deal_id })
}

/// `Order #1042`.
fn title(order: &Order) -> String {
    let number = order.number.trim_start_matches('#');
    format!("Order #{number}")
}

fn source_description(source: &OrderSource, order: &Order) -> String {
    let mut text = format!("{} order {}", source.name, order.number);
    if let Some(url) = &order.admin_url {
        text.push_str(&format!(" — {url}"));
    }
    text
}

fn comments(order: &Order) -> Json {
    let mut parts = Vec::new();
    if let Some(note) = &order.note {
        parts.push(note.clone());
    }
    if !order.utm.is_empty() {
        let tags: Vec<String> = order.utm.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("UTM: {}", tags.join(", ")));
    }
    if parts.is_empty() {
        Json::Null
    } else {
        json!(parts.join("\n"))
    }
}

/// Whose turn a new order is (round-robin over the source's active users), moving the round on.
fn take_turn(db: &dyn Db, source: &OrderSource) -> Result<i64, CoreError> {
    let rows = db.query(
        "SELECT s.next_responsible, (SELECT json_group_array(u.id) FROM users u \
         WHERE u.id IN (SELECT value FROM json_each(?)) AND u.active = 1) AS active FROM order_sources s WHERE s.id = ?",
        &[Json::from(source.responsible_ids.clone()).to_string().into(), source.id.into()],
    )?;
    let row = rows.first().ok_or(CoreError::NotFound)?;
    let start = row.i64("next_responsible").unwrap_or(0);
    let active: Vec<i64> = serde_json::from_str(row.str("active").unwrap_or("[]")).unwrap_or_default();
    let n = source.responsible_ids.len().max(1) as i64;
    for step in 0..n {
        let candidate = source
            .responsible_ids
            .get(((start + step) % n) as usize)
            .copied()
            .unwrap_or(0);
        if active.contains(&candidate) {
            db.execute(
                "UPDATE order_sources SET next_responsible = ? WHERE id = ?",
                &[((start + step + 1) % n).into(), source.id.into()],
            )?;
            return Ok(candidate);
        }
    }
    // Kept on the inbox row (not a 5xx the store would retry into disabling the hook): give
    // the source an active user, then replay.
    Err(invalid(
        "responsible_ids",
        format!("order source {} has no active responsible user", source.id),
    ))
}

/// The customer's contact: the first whose normalised e-mail or phone matches, else a new one
/// (at the billing company, if any).
/// Values the record engine would refuse (a malformed e-mail) are left out, not fatal.
fn contact(
    db: &dyn Db,
    system: &Caller,
    source: &OrderSource,
    order: &Order,
    company: Option<i64>,
    def: &EntityDef,
) -> Result<Option<i64>, CoreError> {
    let customer = &order.customer;
    let email = customer.email.as_deref().and_then(|e| values::Email::parse(e).ok());
    let phone = customer
        .phone
        .as_deref()
        .and_then(|p| values::Phone::parse(p, &def.parse.default_country).ok());
    for (kind, value) in [
        ("email", email.as_ref().map(|e| e.normalized.clone())),
        ("phone", phone.as_ref().map(|p| p.e164.clone())),
    ] {
        let Some(value) = value else { continue };
        if let Some(id) = db
            .query(
                "SELECT record_id FROM record_channels WHERE kind = ? AND value = ? AND entity = 'contact' \
                 ORDER BY record_id LIMIT 1",
                &[kind.into(), value.into()],
            )?
            .first_i64()
        {
            return Ok(Some(id));
        }
    }
    let first = customer.first_name.clone();
    let last = customer.last_name.clone();
    if first.is_none() && last.is_none() && email.is_none() && phone.is_none() {
        return Ok(None);
    }
    let mut body = json!({
        "first_name": first.or_else(|| customer.email.clone()).unwrap_or_else(|| "Customer".into()),
        "source": source.source,
        "source_description": format!("{} order {}", source.name, order.number),
    });
    if let Some(last) = last {
        body["last_name"] = json!(last);
    }
    if let Some(company) = company {
        body["company_ids"] = json!([company]);
    }
    if email.is_some() {
        body["emails"] = json!([customer.email]);
    }
    if phone.is_some() {
        body["phones"] = json!([customer.phone]);
    }
    let created = service::create(db, system, def, &body)?;
    Ok(created["id"].as_i64())
}

/// The billing company: the first with the same normalised title, else a new one.
fn company(db: &dyn Db, system: &Caller, title: &str, def: &EntityDef) -> Result<i64, CoreError> {
    let normalized = index::normalize_title(title);
    if let Some(id) = db
        .query(
            "SELECT record_id FROM record_channels WHERE kind = 'title' AND value = ? AND entity = 'company' \
             ORDER BY record_id LIMIT 1",
            &[normalized.into()],
        )?
        .first_i64()
    {
        return Ok(id);
    }
    let created = service::create(db, system, def, &json!({ "title": title }))?;
    created["id"]
        .as_i64()
        .ok_or_else(|| CoreError::Internal("a created company has no id".into()))
}

/// The deal's items: products (matched by SKU), the extras, and an adjustment to the total.
fn items(db: &dyn Db, system: &Caller, source: &OrderSource, order: &Order) -> Result<Vec<Item>, CoreError> {
    // Every SKU's product in one query (a SKU names one product, whatever its case).
    let skus: Vec<&str> = order.items.iter().filter_map(|l| l.sku.as_deref()).collect();
    let mut known = std::collections::HashMap::new();
    if !skus.is_empty() {
        let rows = db.query(
            "SELECT id, sku FROM products WHERE sku COLLATE NOCASE IN (SELECT value FROM json_each(?))",
            &[Json::from(skus).to_string().into()],
        )?;
        for row in rows.iter() {
            if let (Some(id), Some(sku)) = (row.i64("id"), row.str("sku")) {
                known.insert(sku.to_ascii_lowercase(), id);
            }
        }
    }
    let mut items = Vec::new();
    for (i, line) in order.items.iter().enumerate() {
        let product_id = match &line.sku {
            Some(sku) => match known.get(&sku.to_ascii_lowercase()) {
                Some(id) => Some(*id),
                None if source.create_products => {
                    let id = product(db, system, source, order, line, sku, i)?;
                    if let Some(id) = id {
                        known.insert(sku.to_ascii_lowercase(), id);
                    }
                    id
                }
                None => None,
            },
            None => None,
        };
        items.push(Item {
            product_id,
            name: line.name.clone(),
            price: line.price,
            quantity: line.quantity,
            discount_type: "percent".into(),
            discount_rate: 0,
            discount_sum: 0,
            tax_rate: order.tax_included,
            tax_included: order.tax_included.is_some(),
            unit: None,
        });
    }
    for extra in &order.extras {
        items.push(extra_item(&extra.name, extra.amount));
    }
    let sum = items
        .iter()
        .try_fold(0_i128, |acc, item| Some(acc + item.totals()?.total));
    let Some(sum) = sum else {
        return Err(invalid(
            "items",
            "the lines do not add up within the money range".into(),
        ));
    };
    let difference = i128::from(order.total) - sum;
    if difference != 0 {
        let amount = i64::try_from(difference).map_err(|_| invalid("total", "out of range".into()))?;
        items.push(extra_item("Adjustment", amount));
    }
    if items.len() > line_items::MAX_ITEMS {
        return Err(invalid(
            "line_items",
            format!("at most {} lines", line_items::MAX_ITEMS),
        ));
    }
    Ok(items)
}

fn extra_item(name: &str, amount: i64) -> Item {
    Item {
        name: name.to_string(),
        price: amount,
        ..Item::blank()
    }
}

/// A new catalog product from the line (the source allows it; no product has the SKU).
fn product(
    db: &dyn Db,
    system: &Caller,
    source: &OrderSource,
    order: &Order,
    line: &super::order::Line,
    sku: &str,
    i: usize,
) -> Result<Option<i64>, CoreError> {
    let def = EntityDef::load_in(db, source.workspace.as_ref(), "product")?;
    let body = json!({"name": line.name, "sku": sku, "price": format_decimal(line.price.max(0), 2),
                      "currency": order.currency});
    match service::create(db, system, &def, &body) {
        Ok(created) => Ok(created["id"].as_i64()),
        Err(CoreError::Validation(errors)) => {
            let mut named = FieldErrors::new();
            for e in errors.iter() {
                named.push(
                    format!("line_items[{i}].{}", e.field),
                    e.code.clone(),
                    e.message.clone(),
                );
            }
            Err(CoreError::Validation(named))
        }
        Err(other) => Err(other),
    }
}

fn invalid(field: &str, message: String) -> CoreError {
    let mut errors = FieldErrors::new();
    errors.push(field, "invalid_order", message);
    CoreError::Validation(errors)
}
