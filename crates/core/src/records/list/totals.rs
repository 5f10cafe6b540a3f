//! Group totals for boards: per group, how many records a list's conditions select and the exact
//! sum of their `amount` in the base currency, from the records or a running-totals table.

use super::*;

/// Where [`group_totals_from`] reads: the record table itself or a table of running totals.
#[derive(Debug, Clone, Copy)]
pub struct TotalsSource {
    /// The table (from a definition or a constant, never from input).
    pub table: &'static str,
    /// What counts the records of a group (`COUNT(*)`, or `SUM(t.n)` over running totals).
    pub count: &'static str,
    /// The columns holding the amount split in two (see [`money::SPLIT`]): `None` splits
    /// `t.amount` on the fly, `Some((hi, lo))` reads parts summed already.
    pub split: Option<(&'static str, &'static str)>,
}

/// Per value of `group` (a column under alias `t`): how many records the list's conditions
/// select, and the sum of their `amount` in the base currency (minor units). The board's
/// column totals. Amounts are summed per group and currency in two parts (SQL's `SUM` never
/// sees more than ~10^9 per row), combined exactly in `i128` and converted once per
/// (group, currency) through the currency's exact rate, rounded half away from zero; a
/// currency with no rate (none given, or since deleted) counts at par, as before.
pub fn group_totals(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    query: &RecordQuery,
    group: &str,
) -> Result<Vec<(Value, i64, i128)>, CoreError> {
    let source = TotalsSource {
        table: def.table,
        count: "COUNT(*)",
        split: None,
    };
    group_totals_from(db, caller, def, query, group, source)
}

/// [`group_totals`] read from `source`, which has the record table's ACL and filter columns
/// (such as `deal_board_totals`, sql/0012). Only for queries whose conditions use those columns
/// alone.
pub fn group_totals_from(
    db: &dyn Db,
    caller: &Caller,
    def: &EntityDef,
    query: &RecordQuery,
    group: &str,
    source: TotalsSource,
) -> Result<Vec<(Value, i64, i128)>, CoreError> {
    let plan = Plan::new(caller, def, query)?;
    let (hi, lo) = match source.split {
        Some((hi, lo)) => (format!("t.{hi}"), format!("t.{lo}")),
        None => money::split_sums("t.amount"),
    };
    let totals = |clauses: &Clauses| {
        format!(
            "SELECT t.{group} AS g, COALESCE(t.currency, '') AS c, {count} AS n, \
             COALESCE(SUM({hi}), 0) AS hi, COALESCE(SUM({lo}), 0) AS lo \
             FROM {table} t WHERE {} GROUP BY t.{group}, COALESCE(t.currency, '')",
            clauses.text(),
            count = source.count,
            table = source.table,
        )
    };
    let (sql, params) = match &plan.arms {
        None => {
            let whole = plan.whole();
            (totals(&whole), whole.params)
        }
        // Each arm counted through its own index, then added up per group and currency (so
        // each currency's sum is still converted once).
        Some([own, opened]) => {
            let (own, opened) = (own.and(&plan.rest), opened.and(&plan.rest));
            let sql = format!(
                "SELECT g, c, SUM(n) AS n, SUM(hi) AS hi, SUM(lo) AS lo FROM ({} UNION ALL {}) GROUP BY g, c",
                totals(&own),
                totals(&opened)
            );
            (sql, own.params.into_iter().chain(opened.params).collect())
        }
    };
    let rows = db.query(&sql, &params)?;
    let rates = crate::records::dictionaries::currency_rates(db)?;
    let mut totals: Vec<(Value, i64, i128)> = Vec::new();
    for row in rows.iter() {
        let group = row.get("g").cloned().unwrap_or(Value::Null);
        let currency = row.str("c").unwrap_or_default();
        let sum = money::combine(row.i64("hi").unwrap_or_default(), row.i64("lo").unwrap_or_default());
        let rate = rates
            .get(currency)
            .copied()
            .unwrap_or(crate::records::dictionaries::Rate::ONE);
        let at = match totals.iter().position(|(g, _, _)| *g == group) {
            Some(at) => at,
            None => {
                totals.push((group.clone(), 0, 0));
                totals.len() - 1
            }
        };
        let entry = &mut totals[at];
        entry.1 += row.i64("n").unwrap_or_default();
        entry.2 = money::to_base(sum, rate)
            .and_then(|converted| entry.2.checked_add(converted))
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "the {} total of {group:?} does not fit i128 (amounts or rates far past their bounds)",
                    def.name
                ))
            })?;
    }
    Ok(totals)
}
