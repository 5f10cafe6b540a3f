//! WooCommerce's order payload (REST `wc/v3` order, `order.*` topics) into an [`Order`].
//!
//! The body is PHP's `json_encode` (`/` as `\/`, non-ASCII as `\uXXXX`): it is verified as the
//! raw bytes and read by a JSON parser, never compared as text, so the escaping changes
//! nothing. Line amounts (`subtotal`, `total`) are before tax; the unit price is the
//! subtotal over the quantity when that is exact to the cent, else the line is one unit of its
//! subtotal (`name × 3`). The discount, shipping lines, fees and the order's tax become lines
//! of their own, so the lines add up to `total`. UTM tags come from WooCommerce's order
//! attribution (`_wc_order_attribution_utm_*` in `meta_data`).

use serde_json::Value as Json;

use super::order::{self, Customer, Extra, Line, Order, OrderError, array, cut, money, money_or_zero, text};

/// Reads a WooCommerce order.
pub fn parse(body: &Json) -> Result<Order, OrderError> {
    let id = order::order_id(body.get("id"), "id")?;
    let updated_at = match body.get("date_modified_gmt").filter(|v| !v.is_null()) {
        Some(value) => order::time(Some(value), "date_modified_gmt")?,
        None => order::time(body.get("date_modified"), "date_modified")?,
    };
    let currency = order::currency(body.get("currency"), "currency")?;
    let total = money(body.get("total"), "total")?;
    let state = text(body.get("status")).unwrap_or_else(|| "pending".into());
    let mut items = Vec::new();
    for (i, line) in array(body, "line_items").iter().enumerate() {
        let path = format!("line_items[{i}]");
        let quantity = order::quantity(line.get("quantity"), &format!("{path}.quantity"))?;
        let subtotal = money(line.get("subtotal"), &format!("{path}.subtotal"))?;
        if subtotal < 0 {
            return Err(OrderError::new(format!("{path}.subtotal"), "a negative line amount"));
        }
        let name = text(line.get("name")).unwrap_or_else(|| "Item".into());
        let exact = (i128::from(subtotal) * 1000) % i128::from(quantity) == 0;
        let (price, quantity, name) = if exact {
            let price = i64::try_from(i128::from(subtotal) * 1000 / i128::from(quantity)).unwrap_or(i64::MAX);
            (price, quantity, name)
        } else {
            let shown = crate::records::values::format_decimal(quantity, 3);
            let shown = shown.trim_end_matches('0').trim_end_matches('.');
            (subtotal, 1000, format!("{name} × {shown}"))
        };
        items.push(Line {
            sku: text(line.get("sku")).map(|s| cut(&s, 64)),
            name: cut(&name, 255),
            price,
            quantity,
        });
    }
    let mut extras = Vec::new();
    let discount = money_or_zero(body.get("discount_total"), "discount_total")?;
    if discount != 0 {
        let codes: Vec<String> = array(body, "coupon_lines")
            .iter()
            .filter_map(|c| text(c.get("code")))
            .collect();
        let name = if codes.is_empty() {
            "Discount".to_string()
        } else {
            format!("Discount {}", codes.join(", "))
        };
        extras.push(Extra {
            name: cut(&name, 255),
            amount: -discount.abs(),
        });
    }
    for (i, line) in array(body, "shipping_lines").iter().enumerate() {
        let amount = money_or_zero(line.get("total"), &format!("shipping_lines[{i}].total"))?;
        let title = text(line.get("method_title")).unwrap_or_else(|| "Shipping".into());
        extras.push(Extra {
            name: cut(&format!("Shipping: {title}"), 255),
            amount,
        });
    }
    for (i, line) in array(body, "fee_lines").iter().enumerate() {
        let amount = money_or_zero(line.get("total"), &format!("fee_lines[{i}].total"))?;
        let title = text(line.get("name")).unwrap_or_else(|| "Fee".into());
        extras.push(Extra {
            name: cut(&format!("Fee: {title}"), 255),
            amount,
        });
    }
    let tax = money_or_zero(body.get("total_tax"), "total_tax")?;
    if tax != 0 {
        extras.push(Extra {
            name: "Tax".into(),
            amount: tax,
        });
    }
    let billing = body.get("billing").cloned().unwrap_or(Json::Null);
    let customer = Customer {
        first_name: text(billing.get("first_name")),
        last_name: text(billing.get("last_name")),
        email: text(billing.get("email")),
        phone: text(billing.get("phone")),
    };
    let utm = array(body, "meta_data")
        .iter()
        .filter_map(|m| {
            let key = text(m.get("key"))?;
            let tag = key.strip_prefix("_wc_order_attribution_")?;
            let value = text(m.get("value"))?;
            order::UTM_TAGS
                .contains(&tag)
                .then(|| (tag.to_string(), cut(&value, 255)))
        })
        .collect();
    Ok(Order {
        number: text(body.get("number")).unwrap_or_else(|| id.clone()),
        admin_url: None,
        updated_at,
        state,
        currency,
        total,
        customer,
        company: text(billing.get("company")).map(|c| cut(&c, 255)),
        items,
        extras,
        tax_included: None,
        utm,
        note: text(body.get("customer_note")).map(|n| cut(&n, 2000)),
        id,
    })
}

/// The admin link of an order of the site at `source` (`X-WC-Webhook-Source`,
/// `https://shop.example.com/`).
pub fn admin_url(source: &str, order_id: &str) -> Option<String> {
    let base = crate::records::values::parse_http_url(source).ok()?;
    let base = base.trim_end_matches('/');
    Some(format!(
        "{base}/wp-admin/admin.php?page=wc-orders&action=edit&id={order_id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../../tests/data/woocommerce-order.json");

    #[test]
    fn the_sample_reads_into_an_order_whose_lines_add_up_to_its_total() {
        let order = parse(&order::json(SAMPLE).expect("json")).expect("order");
        assert_eq!(order.id, "1583");
        assert_eq!(order.state, "processing");
        assert_eq!(order.currency, "RUB");
        assert_eq!(order.total, 524_000);
        assert_eq!(
            order.updated_at,
            order::time(Some(&"2025-03-14T07:35:19Z".into()), "t").expect("t")
        );
        assert_eq!(order.items[0].sku.as_deref(), Some("TEA-OOL-100"));
        assert_eq!((order.items[0].price, order.items[0].quantity), (79_000, 3_000));
        assert_eq!(order.company.as_deref(), Some("ИП Петров И. И."));
        let lines: i64 = order.items.iter().map(|l| l.price * l.quantity / 1000).sum::<i64>()
            + order.extras.iter().map(|e| e.amount).sum::<i64>();
        assert_eq!(lines, order.total);
        assert!(order.utm.contains(&("utm_source".to_string(), "yandex".to_string())));
    }

    #[test]
    fn php_escaping_reads_as_the_same_order() {
        // What wp_json_encode sends: `\/` and `\uXXXX`.
        let escaped = br#"{"id":7,"status":"pending","currency":"RUB","total":"10.00","date_modified_gmt":"2025-03-14T07:35:19","billing":{"first_name":"\u0418\u0432\u0430\u043d","email":"ivan@example.com"},"line_items":[{"name":"\u0427\u0430\u0439 1\/2","quantity":1,"subtotal":"10.00","sku":"A\/B"}]}"#;
        let order = parse(&order::json(escaped).expect("json")).expect("order");
        assert_eq!(order.customer.first_name.as_deref(), Some("Иван"));
        assert_eq!(order.items[0].name, "Чай 1/2");
        assert_eq!(order.items[0].sku.as_deref(), Some("A/B"));
    }

    #[test]
    fn an_inexact_unit_price_keeps_the_line_total() {
        let body = serde_json::json!({"id": 1, "currency": "RUB", "total": "10.00", "date_modified_gmt": "2025-03-14T07:35:19",
            "line_items": [{"name": "Tea", "quantity": 3, "subtotal": "10.00"}]});
        let order = parse(&body).expect("order");
        assert_eq!((order.items[0].price, order.items[0].quantity), (1_000, 1_000));
        assert_eq!(order.items[0].name, "Tea × 3");
    }
}
