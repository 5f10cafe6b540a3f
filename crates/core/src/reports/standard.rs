//! The eight standard reports (Bitrix24's set) as designer definitions, by the `code` of their
//! system row in `reports` (seeded by `sql/0020_reports.sql` with their names). They are plain
//! definitions: run, checked and copied exactly as a user's report is, so a copy is the
//! starting point of one's own. Periods default to the last 12 months; a run overrides them
//! with `from`/`to`.

use serde_json::{Value as Json, json};

/// The codes of the standard designer reports, in order.
pub const CODES: &[&str] = &[
    "deals_by_manager",
    "deals_by_contact",
    "deals_by_company",
    "company_profitability",
    "won_deals",
    "overdue_deals",
    "expected_sales",
    "open_deals_by_stage",
    "product_income",
];

/// The definition of standard report `code`.
pub fn definition(code: &str) -> Option<Json> {
    let count = json!({"fn": "count"});
    let amount = json!({"fn": "sum", "field": "amount"});
    let created = json!({"field": "created_at", "last": "12m"});
    let closed = json!({"field": "closed_at", "last": "12m"});
    Some(match code {
        "deals_by_manager" => json!({
            "entity": "deals", "period": created,
            "group_by": [{"field": "responsible_id"}],
            "measures": [count, amount, {"fn": "share", "filter": {"stage_semantic": "won"}}],
            "sort": "-sum_amount", "chart": "bar",
        }),
        "deals_by_contact" => json!({
            "entity": "deals", "period": created,
            "group_by": [{"field": "contact_id"}],
            "measures": [count, amount], "sort": "-sum_amount", "chart": "bar",
        }),
        "deals_by_company" => json!({
            "entity": "deals", "period": created,
            "group_by": [{"field": "company_id"}],
            "measures": [count, amount], "sort": "-sum_amount", "chart": "bar",
        }),
        "company_profitability" => json!({
            "entity": "deals", "filter": {"stage_semantic": "won"}, "period": closed,
            "group_by": [{"field": "company_id"}],
            "measures": [amount, count], "sort": "-sum_amount", "chart": "bar",
        }),
        "won_deals" => json!({
            "entity": "deals", "filter": {"stage_semantic": "won"}, "period": closed,
            "group_by": [{"field": "closed_at", "bucket": "month"}],
            "measures": [count, amount], "chart": "line",
        }),
        "overdue_deals" => json!({
            "entity": "deals", "filter": {"stage_semantic": "progress", "close_date": {"lt": "today"}},
            "group_by": [{"field": "responsible_id"}],
            "measures": [count, amount], "sort": "-count", "chart": "bar",
        }),
        "expected_sales" => json!({
            "entity": "deals", "filter": {"stage_semantic": "progress"},
            "group_by": [{"field": "close_date", "bucket": "month"}],
            "measures": [amount, {"fn": "sum", "field": "weighted_amount"}, count], "chart": "bar",
        }),
        "open_deals_by_stage" => json!({
            "entity": "deals", "filter": {"stage_semantic": "progress"},
            "group_by": [{"field": "stage"}],
            "measures": [count, amount], "chart": "funnel",
        }),
        "product_income" => json!({
            "entity": "line_items", "filter": {"deal.stage_semantic": "won"},
            "period": {"field": "deal.closed_at", "last": "12m"},
            "group_by": [{"field": "product_id"}],
            "measures": [{"fn": "sum", "field": "quantity"}, {"fn": "sum", "field": "income"}],
            "sort": "-sum_income", "chart": "bar",
        }),
        _ => return None,
    })
}
