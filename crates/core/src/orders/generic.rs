//! The generic order format any store plugin can emit (documented with an example in
//! `components/orders/README.md`):
//!
//! ```text
//! {"id": "A-1001", "number": "1001", "status": "paid", "updated_at": "2026-11-22T08:30:00Z",
//!  "currency": "EUR", "total": "124.80", "taxes_included": true,
//!  "customer": {"first_name", "last_name", "email", "phone", "company"},
//!  "items": [{"sku", "name", "price": "24.90", "quantity": 2}],
//!  "shipping": [{"name", "amount"}], "discounts": [{"name", "amount"}], "taxes": [{"name", "amount"}],
//!  "admin_url": "https://...", "landing_url": "https://shop/?utm_source=...", "utm": {"utm_source": "..."},
//!  "note": "..."}
//! ```
//!
//! `id`, `updated_at`, `currency` and `total` are required; money is decimal text. Discounts
//! are positive and subtracted; taxes are added unless `taxes_included`.

use serde_json::Value as Json;

use super::order::{self, Customer, Extra, Line, Order, OrderError, array, cut, money, text};

/// Reads a generic order.
pub fn parse(body: &Json) -> Result<Order, OrderError> {
    let id = order::order_id(body.get("id"), "id")?;
    let updated_at = order::time(body.get("updated_at"), "updated_at")?;
    let currency = order::currency(body.get("currency"), "currency")?;
    let total = money(body.get("total"), "total")?;
    if total < 0 {
        return Err(OrderError::new("total", "a negative total"));
    }
    let mut items = Vec::new();
    for (i, line) in array(body, "items").iter().enumerate() {
        let path = format!("items[{i}]");
        let price = money(line.get("price"), &format!("{path}.price"))?;
        if price < 0 {
            return Err(OrderError::new(format!("{path}.price"), "a negative price"));
        }
        items.push(Line {
            sku: text(line.get("sku")).map(|s| cut(&s, 64)),
            name: cut(&text(line.get("name")).unwrap_or_else(|| "Item".into()), 255),
            price,
            quantity: order::quantity(line.get("quantity"), &format!("{path}.quantity"))?,
        });
    }
    let taxes_included = body.get("taxes_included").and_then(Json::as_bool).unwrap_or(false);
    let mut extras = Vec::new();
    for (key, label, sign) in [
        ("shipping", "Shipping", 1),
        ("discounts", "Discount", -1),
        ("taxes", "Tax", 1),
    ] {
        if key == "taxes" && taxes_included {
            continue;
        }
        for (i, line) in array(body, key).iter().enumerate() {
            let amount = money(line.get("amount"), &format!("{key}[{i}].amount"))?;
            let name = text(line.get("name")).map_or_else(|| label.to_string(), |n| format!("{label}: {n}"));
            extras.push(Extra {
                name: cut(&name, 255),
                amount: sign * amount.abs(),
            });
        }
    }
    let customer_json = body.get("customer").cloned().unwrap_or(Json::Null);
    let customer = Customer {
        first_name: text(customer_json.get("first_name")),
        last_name: text(customer_json.get("last_name")),
        email: text(customer_json.get("email")),
        phone: text(customer_json.get("phone")),
    };
    let mut utm = text(body.get("landing_url"))
        .map(|l| order::utm_of(&l))
        .unwrap_or_default();
    if let Some(tags) = body.get("utm").and_then(Json::as_object) {
        for tag in order::UTM_TAGS {
            if let Some(value) = text(tags.get(*tag)) {
                utm.retain(|(k, _)| k != tag);
                utm.push((tag.to_string(), cut(&value, 255)));
            }
        }
    }
    Ok(Order {
        number: text(body.get("number")).unwrap_or_else(|| id.clone()),
        updated_at,
        state: text(body.get("status")).unwrap_or_else(|| "pending".into()),
        currency,
        total,
        customer,
        company: text(customer_json.get("company")).map(|c| cut(&c, 255)),
        items,
        extras,
        tax_included: None,
        admin_url: text(body.get("admin_url")).filter(|u| crate::records::values::parse_http_url(u).is_ok()),
        utm,
        note: text(body.get("note")).map(|n| cut(&n, 2000)),
        id,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_generic_order_reads_with_its_extras() {
        let body = json!({"id": "A-1", "status": "paid", "updated_at": "2026-11-22T08:30:00Z", "currency": "eur",
            "total": "25.00", "customer": {"email": "a@example.com", "company": "Acme"},
            "items": [{"sku": "X", "name": "Thing", "price": "10.00", "quantity": 2}],
            "shipping": [{"amount": "7.00"}], "discounts": [{"name": "SALE", "amount": "2.00"}],
            "utm": {"utm_source": "news"}});
        let order = parse(&body).expect("order");
        assert_eq!(order.currency, "EUR");
        assert_eq!(order.extras.iter().map(|e| e.amount).sum::<i64>(), 500);
        assert_eq!(order.extras[1].name, "Discount: SALE");
        assert_eq!(order.company.as_deref(), Some("Acme"));
        assert_eq!(order.utm, vec![("utm_source".to_string(), "news".to_string())]);
    }

    #[test]
    fn bad_orders_name_their_field() {
        let cases = [
            (
                json!({"updated_at": "2026-11-22T08:30:00Z", "currency": "EUR", "total": "1"}),
                "id",
            ),
            (json!({"id": "A", "currency": "EUR", "total": "1"}), "updated_at"),
            (
                json!({"id": "A", "updated_at": "2026-11-22T08:30:00Z", "currency": "EUR", "total": "1",
                       "items": [{"name": "x", "price": "1", "quantity": -2}]}),
                "items[0].quantity",
            ),
            (
                json!({"id": "A", "updated_at": "2026-11-22T08:30:00Z", "currency": "EUR", "total": "12,50"}),
                "total",
            ),
        ];
        for (body, field) in cases {
            let error = parse(&body).expect_err(field);
            assert_eq!(error.field, field, "{body}");
        }
    }
}
