//! Shopify's order payload (REST `Order` resource, `orders/*` topics) into an [`Order`].
//!
//! The state is derived the way a merchant reads the order: cancelled (`cancelled_at`), then a
//! refund or void (`financial_status`), then fulfilled (`fulfillment_status`), else the
//! financial status (`pending`, `authorized`, `partially_paid`, `paid`, `partially_refunded`).
//! Item prices are the presentment prices; shipping lines and the order's discounts become
//! lines of their own; taxes on top of prices (`taxes_included: false`) become one line, so the
//! lines add up to `total_price`.

use serde_json::Value as Json;

use super::order::{self, Customer, Extra, Line, Order, OrderError, array, cut, money, money_or_zero, text};

/// Reads a Shopify order.
pub fn parse(body: &Json) -> Result<Order, OrderError> {
    let id = order::order_id(body.get("id"), "id")?;
    let updated_at = order::time(body.get("updated_at"), "updated_at")?;
    let currency = order::currency(body.get("currency"), "currency")?;
    let total = money(body.get("total_price"), "total_price")?;
    let financial = text(body.get("financial_status")).unwrap_or_else(|| "pending".into());
    let fulfillment = text(body.get("fulfillment_status"));
    let state = if text(body.get("cancelled_at")).is_some() {
        "cancelled".to_string()
    } else if financial == "refunded" || financial == "voided" {
        financial.clone()
    } else if fulfillment.as_deref() == Some("fulfilled") {
        "fulfilled".to_string()
    } else if fulfillment.as_deref() == Some("partial") {
        "partially_fulfilled".to_string()
    } else {
        financial.clone()
    };
    let mut items = Vec::new();
    for (i, line) in array(body, "line_items").iter().enumerate() {
        let path = format!("line_items[{i}]");
        let name = text(line.get("name"))
            .or_else(|| text(line.get("title")))
            .unwrap_or_else(|| "Item".into());
        items.push(Line {
            sku: text(line.get("sku")).map(|s| cut(&s, 64)),
            name: cut(&name, 255),
            price: money(line.get("price"), &format!("{path}.price"))?,
            quantity: order::quantity(line.get("quantity"), &format!("{path}.quantity"))?,
        });
    }
    let mut extras = Vec::new();
    for (i, line) in array(body, "shipping_lines").iter().enumerate() {
        let amount = money_or_zero(line.get("price"), &format!("shipping_lines[{i}].price"))?;
        let title = text(line.get("title")).unwrap_or_else(|| "Shipping".into());
        extras.push(Extra {
            name: cut(&format!("Shipping: {title}"), 255),
            amount,
        });
    }
    let discounts = money_or_zero(body.get("total_discounts"), "total_discounts")?;
    if discounts != 0 {
        let codes: Vec<String> = array(body, "discount_codes")
            .iter()
            .filter_map(|d| text(d.get("code")))
            .collect();
        let name = if codes.is_empty() {
            "Discount".to_string()
        } else {
            format!("Discount {}", codes.join(", "))
        };
        extras.push(Extra {
            name: cut(&name, 255),
            amount: -discounts.abs(),
        });
    }
    let taxes_included = body.get("taxes_included").and_then(Json::as_bool).unwrap_or(false);
    let tax = money_or_zero(body.get("total_tax"), "total_tax")?;
    let rates: Vec<i64> = array(body, "tax_lines")
        .iter()
        .filter_map(|t| t.get("rate").and_then(Json::as_f64))
        .map(|r| (r * 10_000.0).round() as i64)
        .collect();
    let one_rate = match rates.as_slice() {
        [rate] => Some(*rate),
        _ => None,
    };
    let tax_included = if taxes_included { one_rate } else { None };
    if !taxes_included && tax != 0 {
        let titles: Vec<String> = array(body, "tax_lines")
            .iter()
            .filter_map(|t| text(t.get("title")))
            .collect();
        extras.push(Extra {
            name: cut(format!("Tax: {}", titles.join(", ")).trim_end_matches(": "), 255),
            amount: tax,
        });
    }
    let customer_json = body.get("customer").cloned().unwrap_or(Json::Null);
    let billing = body.get("billing_address").cloned().unwrap_or(Json::Null);
    let customer = Customer {
        first_name: text(customer_json.get("first_name")).or_else(|| text(billing.get("first_name"))),
        last_name: text(customer_json.get("last_name")).or_else(|| text(billing.get("last_name"))),
        email: text(body.get("email"))
            .or_else(|| text(body.get("contact_email")))
            .or_else(|| text(customer_json.get("email"))),
        phone: text(body.get("phone"))
            .or_else(|| text(customer_json.get("phone")))
            .or_else(|| text(billing.get("phone"))),
    };
    let number = text(body.get("name"))
        .or_else(|| text(body.get("order_number")))
        .unwrap_or_else(|| id.clone());
    Ok(Order {
        admin_url: None,
        number,
        updated_at,
        state,
        currency,
        total,
        customer,
        company: text(billing.get("company")).map(|c| cut(&c, 255)),
        items,
        extras,
        tax_included,
        utm: text(body.get("landing_site"))
            .map(|l| order::utm_of(&l))
            .unwrap_or_default(),
        note: text(body.get("note")).map(|n| cut(&n, 2000)),
        id,
    })
}

/// The admin link of an order of the shop at `domain` (`cool-store.myshopify.com`).
pub fn admin_url(domain: &str, order_id: &str) -> Option<String> {
    let valid = !domain.is_empty()
        && domain.len() <= 255
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then(|| format!("https://{domain}/admin/orders/{order_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../../tests/data/shopify-order.json");

    #[test]
    fn the_sample_reads_into_an_order_whose_lines_add_up_to_its_total() {
        let order = parse(&order::json(SAMPLE).expect("json")).expect("order");
        assert_eq!(order.id, "5790124523811");
        assert_eq!(order.number, "#1042");
        assert_eq!(order.state, "paid");
        assert_eq!(order.currency, "EUR");
        assert_eq!(order.total, 12_480);
        assert_eq!(order.company.as_deref(), Some("ООО «Ромашка»"));
        assert_eq!(order.customer.email.as_deref(), Some("anna.smirnova@example.com"));
        assert_eq!(order.items.len(), 2);
        assert_eq!(order.items[0].sku.as_deref(), Some("COF-ETH-500"));
        assert_eq!((order.items[0].price, order.items[0].quantity), (2_490, 2_000));
        assert_eq!(order.tax_included, Some(2_000));
        let lines: i64 = order.items.iter().map(|l| l.price * l.quantity / 1000).sum::<i64>()
            + order.extras.iter().map(|e| e.amount).sum::<i64>();
        assert_eq!(lines, order.total);
        assert_eq!(order.utm[0], ("utm_source".to_string(), "google".to_string()));
    }

    #[test]
    fn the_state_follows_cancellation_refunds_and_fulfilment() {
        let base = order::json(SAMPLE).expect("json");
        let state = |changes: serde_json::Value| {
            let mut body = base.clone();
            for (k, v) in changes.as_object().expect("object") {
                body[k] = v.clone();
            }
            parse(&body).expect("order").state
        };
        use serde_json::json;
        assert_eq!(state(json!({"financial_status": "pending"})), "pending");
        assert_eq!(state(json!({"fulfillment_status": "fulfilled"})), "fulfilled");
        assert_eq!(state(json!({"financial_status": "refunded"})), "refunded");
        assert_eq!(state(json!({"cancelled_at": "2025-03-15T10:00:00+03:00"})), "cancelled");
    }
}
