//! Record lists exactly as API.md's "Lists" says: `q` full-text search, `filter[field][op]`,
//! `sort`, `limit`, a keyset `cursor`, `fields` and `count`, parsed strictly against the
//! entity's definition (an unknown field, operator or sort key is a 400 naming it) and run as
//! ONE parameterised query with the caller's ACL condition (for a caller who reads own and
//! opened records, that query reads the two apart, each in the sort's order: `plan.rs`).
//!
//! The cursor holds the last row's sort-key values (and a fingerprint of the sort it belongs
//! to), so the next page is `WHERE (keys) > (last keys)` in the sort's order: page 1000 costs
//! what page 1 costs.
//!
//! The same conditions group records for boards ([`group_totals`]): a count and the exact sum
//! of `amount` per group in the base currency, summed in SQL in two parts that cannot overflow
//! and combined and converted in `i128` ([`super::money`]).

mod cursor;
mod plan;
mod query;
mod sql;
mod totals;

use serde_json::{Map, Value as Json, json};

pub use query::{Op, RecordQuery};
pub use totals::{TotalsSource, group_totals, group_totals_from};

use super::entity::DerivedFilter;
use super::fields::{Comparable, FieldDef, FieldKind, ParseContext, Storage};
use super::{EntityDef, index, money, store};
use crate::acl::{Action, Caller};
use crate::db::{Db, Value};
use crate::error::CoreError;
use cursor::*;
use plan::*;
use query::*;
use sql::*;

/// One page of records the caller may read.
pub fn list(db: &dyn Db, caller: &Caller, def: &EntityDef, query: &RecordQuery) -> Result<Json, CoreError> {
    let mut plan = Plan::new(caller, def, query)?;
    let total = if query.count {
        let (sql, params) = plan.count_sql(def.table);
        Some(db.query(&sql, &params)?.first_i64().unwrap_or_default())
    } else {
        None
    };
    let keys: Vec<String> = query
        .sort
        .iter()
        .enumerate()
        .map(|(i, key)| format!("{} AS _k{i}", key.expr))
        .collect();
    let order: Vec<String> = query
        .sort
        .iter()
        .map(|key| format!("{} {}", key.expr, if key.descending { "DESC" } else { "ASC" }))
        .collect();
    let order = order.join(", ");
    let limit = Value::from(query.limit + 1);
    // Each arm must reach past the skipped rows as well.
    let arm_limit = Value::from(i64::from(query.limit) + 1 + query.offset as i64);
    // A search in id order reads the full-text matches in that order (`plan.rs`).
    let by_id = matches!(query.sort.as_slice(), [key] if key.expr == "t.id");
    let search = by_id
        .then(|| {
            let after = query.after.as_ref().and_then(|keys| keys.first());
            plan.search_in_id_order(def, query.sort[0].descending, after, arm_limit.clone())
        })
        .flatten();
    if search.is_none()
        && let Some(after) = &query.after
    {
        let (sql, values) = keyset(&query.sort, after);
        plan.rest.push(sql, values);
    }
    let (condition, mut params) = match (search, &plan.arms) {
        (Some(search), _) => search,
        (None, None) => {
            let whole = plan.whole();
            (whole.text(), whole.params)
        }
        // Each arm's first page in the sort's order, then the first rows of the two.
        (None, Some(arms)) => {
            let mut params = Vec::new();
            let pages: Vec<String> = arms
                .iter()
                .map(|arm| {
                    let clauses = arm.and(&plan.rest);
                    params.extend(clauses.params.iter().cloned());
                    params.push(arm_limit.clone());
                    format!(
                        "SELECT id FROM (SELECT t.id FROM {} t WHERE {} ORDER BY {order} LIMIT ?)",
                        def.table,
                        clauses.text()
                    )
                })
                .collect();
            (format!("t.id IN ({})", pages.join(" UNION ALL ")), params)
        }
    };
    params.push(limit);
    params.push(Value::from(query.offset as i64));
    let sql = format!(
        "{} WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
        store::select_with(def, &keys),
    );
    let rows = db.query(&sql, &params)?;
    let mut records: Vec<super::Values> = rows.iter().map(|r| store::row_values(def, &r)).collect();
    let more = records.len() > query.limit as usize;
    records.truncate(query.limit as usize);
    let next_cursor = if more {
        rows.iter().nth(query.limit as usize - 1).map(|row| {
            let keys: Vec<Value> = (0..query.sort.len())
                .map(|i| row.get(&format!("_k{i}")).cloned().unwrap_or(Value::Null))
                .collect();
            encode_cursor(&query.sort_spec, &keys)
        })
    } else {
        None
    };
    store::load_links(db, def, &mut records)?;
    let items: Vec<Json> = records
        .iter()
        .map(|values| project(store::render(def, values), query.fields.as_deref()))
        .collect();
    let mut page = json!({ "items": items, "next_cursor": next_cursor });
    if let Some(total) = total {
        page["total"] = json!(total);
    }
    Ok(page)
}

/// Keeps only the requested keys (`custom.<code>` keeps one custom value).
fn project(record: Json, fields: Option<&[String]>) -> Json {
    let (Some(fields), Json::Object(mut map)) = (fields, record.clone()) else {
        return record;
    };
    let mut out = Map::new();
    let mut custom = Map::new();
    for name in fields {
        if let Some(code) = name.strip_prefix("custom.") {
            if let Some(v) = map["custom"].get(code) {
                custom.insert(code.to_string(), v.clone());
            }
        } else if let Some(v) = map.remove(name) {
            out.insert(name.clone(), v);
        }
    }
    if !custom.is_empty() {
        out.insert("custom".into(), Json::Object(custom));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> ParseContext {
        ParseContext {
            default_country: "RU".into(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A filter value each field type parses (the operator is what the test is about).
    fn sample_value(field: &FieldDef) -> &'static str {
        match &field.kind {
            FieldKind::Integer | FieldKind::User | FieldKind::Record(_) => "1",
            FieldKind::Decimal(_) | FieldKind::Money(_) => "1.5",
            FieldKind::Boolean => "true",
            FieldKind::Date => "2026-01-01",
            FieldKind::Datetime => "2026-01-01T00:00:00Z",
            FieldKind::Phones => "+79991234567",
            FieldKind::Emails => "a@example.com",
            FieldKind::Bindings => "lead:1",
            _ => "NEW",
        }
    }

    #[test]
    fn every_operator_fields_lists_is_accepted_and_no_other() {
        const ALL: &[&str] = &["eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "null"];
        for name in super::super::entity::NAMES {
            let def = EntityDef::builtin(name).expect("entity");
            for field in &def.fields {
                let listed = field.operators();
                for op in ALL {
                    let value = if *op == "null" { "true" } else { sample_value(field) };
                    let key = format!("filter[{}][{op}]", field.path());
                    let parsed = RecordQuery::parse(&def, &[(key.clone(), value.to_string())], &cx());
                    assert_eq!(
                        parsed.is_ok(),
                        listed.contains(op),
                        "{name}.{} {op}: listed {listed:?}, parse gave {:?}",
                        field.name,
                        parsed.err()
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_unknown_fields_operators_and_sort_keys_by_name() {
        let def = super::super::entities::lead::def();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("filter[nope]", "1")], "nope"),
            (&[("filter[title][between]", "1")], "between"),
            (&[("sort", "-nope")], "nope"),
            (&[("sort", "phones")], "phones"),
            (&[("fields", "id,secret")], "secret"),
            (&[("limit", "501")], "limit"),
            (&[("cursor", "abc")], "cursor"),
            (&[("filter[amount][like]", "1")], "like"),
            (&[("filter[address]", "x")], "address"),
            (&[("filter[created_at][gte]", "yesterday")], "created_at"),
            (&[("page", "2")], "page"),
            (&[("q", "a"), ("q", "b")], "q"),
        ];
        for (input, named) in cases {
            match RecordQuery::parse(&def, &pairs(input), &cx()) {
                Err(CoreError::BadRequest(text)) => assert!(text.contains(named), "{input:?}: {text}"),
                other => panic!("{input:?}: expected BadRequest, got {other:?}"),
            }
        }
    }

    #[test]
    fn cursors_belong_to_their_sort() {
        let cursor = encode_cursor("-updated_at", &[Value::Integer(5), Value::Integer(9)]);
        assert_eq!(
            decode_cursor(&cursor, "-updated_at", 2).expect("decodes"),
            vec![Value::Integer(5), Value::Integer(9)]
        );
        assert!(decode_cursor(&cursor, "title", 2).is_err());
    }

    fn key(expr: &str, descending: bool, nullable: bool) -> SortKey {
        SortKey {
            expr: expr.into(),
            descending,
            nullable,
        }
    }

    #[test]
    fn keyset_continues_after_nulls_in_both_directions() {
        let sort = vec![key("t.a", false, true), key("t.id", false, false)];
        let (sql, params) = keyset(&sort, &[Value::Null, Value::Integer(3)]);
        assert_eq!(sql, "((t.a IS NOT NULL) OR (t.a IS NULL AND t.id > ?))");
        assert_eq!(params, vec![Value::Integer(3)]);
        let sort = vec![key("t.a", true, true), key("t.id", true, false)];
        let (sql, _) = keyset(&sort, &[Value::Integer(1), Value::Integer(3)]);
        assert_eq!(sql, "(((t.a < ? OR t.a IS NULL)) OR (t.a = ? AND t.id < ?))");
    }

    #[test]
    fn keyset_over_keys_that_cannot_be_null_is_one_row_value_comparison() {
        let sort = vec![key("t.updated_at", true, false), key("t.id", true, false)];
        let (sql, params) = keyset(&sort, &[Value::Integer(7), Value::Integer(3)]);
        assert_eq!(sql, "(t.updated_at, t.id) < (?, ?)");
        assert_eq!(params.len(), 2);
        let (sql, _) = keyset(&[key("t.id", true, false)], &[Value::Integer(3)]);
        assert_eq!(sql, "t.id < ?");
    }

    #[test]
    fn like_tries_cyrillic_case_variants() {
        assert!(case_variants("иван").contains(&"Иван".to_string()));
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn cx() -> ParseContext {
        ParseContext {
            default_country: "RU".into(),
        }
    }

    /// Query keys and values built from the list language's own pieces and junk.
    fn pair() -> impl Strategy<Value = (String, String)> {
        let field = prop::sample::select(vec![
            "title",
            "status",
            "amount",
            "created_at",
            "phones",
            "custom.x",
            "nope",
            "id",
            "",
        ]);
        let op = prop::sample::select(vec![
            "", "[eq]", "[ne]", "[gt]", "[in]", "[like]", "[null]", "[zz]", "][", "[gt][lt]",
        ]);
        let key = prop_oneof![
            (field.clone(), op).prop_map(|(f, o)| format!("filter[{f}]{o}")),
            Just("sort".to_string()),
            Just("limit".to_string()),
            Just("cursor".to_string()),
            Just("fields".to_string()),
            Just("q".to_string()),
            Just("count".to_string()),
            "\\PC{0,12}",
        ];
        (key, "\\PC{0,30}")
    }

    proptest! {
        #[test]
        fn any_query_parses_or_is_a_bad_request_naming_it(pairs in proptest::collection::vec(pair(), 0..6)) {
            let def = super::super::entities::lead::def();
            match RecordQuery::parse(&def, &pairs, &cx()) {
                Ok(query) => prop_assert!((1..=500).contains(&query.limit)),
                Err(CoreError::BadRequest(message)) => prop_assert!(!message.is_empty()),
                Err(other) => prop_assert!(false, "{pairs:?} gave {other:?}"),
            }
        }

        #[test]
        fn cursors_round_trip_and_junk_cursors_are_refused(
            ints in proptest::collection::vec(any::<i64>(), 1..4),
            text in "\\PC{0,20}",
            junk in "\\PC{0,60}",
        ) {
            let mut keys: Vec<Value> = ints.into_iter().map(Value::Integer).collect();
            keys.push(Value::Text(text));
            keys.push(Value::Null);
            let cursor = encode_cursor("-updated_at,id", &keys);
            prop_assert_eq!(decode_cursor(&cursor, "-updated_at,id", keys.len()), Ok(keys.clone()));
            prop_assert!(decode_cursor(&cursor, "id", keys.len()).is_err(), "a cursor belongs to its sort");
            prop_assert!(decode_cursor(&cursor, "-updated_at,id", keys.len() + 1).is_err());
            let _ = decode_cursor(&junk, "-updated_at,id", keys.len());
        }
    }
}
