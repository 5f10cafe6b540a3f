//! The SQL of a list: each filter's condition (lists and link tables included) and the keyset
//! condition that continues after a cursor in the sort's order, NULLs placed as SQLite sorts them.

use super::*;

/// One filter as SQL over alias `t`, with its parameters.
pub(super) fn condition(
    def: &EntityDef,
    target: &Target,
    op: Op,
    text: &str,
    cx: &ParseContext,
) -> Result<(String, Vec<Value>), String> {
    let expr = expression(target);
    let kind = comparable(target);
    let parse = |t: &str| -> Result<Value, String> {
        match target {
            Target::Meta(name) if name.ends_with("_at") => super::super::values::parse_datetime(t)
                .map(Value::Integer)
                .map_err(|e| e.message),
            Target::Meta(_) => t
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| "expected an integer".into()),
            Target::Field(f) => f.parse_filter_value(t, cx).map_err(|e| e.message),
            Target::Derived(_) => Ok(Value::from(t.trim())),
        }
    };
    if op == Op::Null {
        let empty = match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err("expected true or false".into()),
        };
        let sql = match target {
            Target::Field(f) if matches!(f.storage, Storage::Link(_)) => {
                let Storage::Link(link) = f.storage else { unreachable!() };
                format!(
                    "{}EXISTS (SELECT 1 FROM {} WHERE {} = t.id)",
                    if empty { "NOT " } else { "" },
                    link.table,
                    link.this
                )
            }
            _ => format!("{expr} IS {}NULL", if empty { "" } else { "NOT " }),
        };
        return Ok((sql, Vec::new()));
    }
    let values: Vec<Value> = if matches!(op, Op::In | Op::Primary) {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.is_empty() || items.len() > 100 {
            return Err("expected a comma list of 1 to 100 values".into());
        }
        items.into_iter().map(parse).collect::<Result<_, _>>()?
    } else if op == Op::Like {
        Vec::new()
    } else {
        vec![parse(text)?]
    };
    if op == Op::Primary {
        return primary_condition(target, values);
    }
    match kind {
        Comparable::No => Err("this field cannot be filtered".into()),
        Comparable::Members => members_condition(def, target, &expr, op, text, values),
        _ => {
            let sql = match op {
                Op::Eq => format!("{expr} = ?"),
                Op::Ne => format!("{expr} IS NOT ?"),
                Op::Gt | Op::Gte | Op::Lt | Op::Lte if kind == Comparable::Equality => {
                    return Err("only eq, ne, in and null apply to this field".into());
                }
                Op::Gt => format!("{expr} > ?"),
                Op::Gte => format!("{expr} >= ?"),
                Op::Lt => format!("{expr} < ?"),
                Op::Lte => format!("{expr} <= ?"),
                Op::In => format!("{expr} IN ({})", crate::resource::placeholders(values.len())),
                Op::Like if kind == Comparable::Text => {
                    let variants = case_variants(text.trim());
                    let sql = vec![format!("{expr} LIKE ? ESCAPE '\\'"); variants.len()].join(" OR ");
                    return Ok((
                        format!("({sql})"),
                        variants.iter().map(|v| Value::from(like_pattern(v))).collect(),
                    ));
                }
                Op::Like => return Err("like applies only to text fields".into()),
                Op::Null | Op::Primary => unreachable!("handled above"),
            };
            Ok((sql, values))
        }
    }
}

/// `primary`: the records whose link's primary record is one of `values`, read from the
/// column that keeps it where there is one (a deal's `primary_contact_id`).
fn primary_condition(target: &Target, values: Vec<Value>) -> Result<(String, Vec<Value>), String> {
    let link = match target {
        Target::Field(field) => match &field.storage {
            Storage::Link(link) if link.primary.is_some() => *link,
            _ => return Err("primary applies only to links with a primary record".into()),
        },
        Target::Meta(_) | Target::Derived(_) => {
            return Err("primary applies only to links with a primary record".into());
        }
    };
    let list = crate::resource::placeholders(values.len());
    let sql = match (link.kept, link.primary) {
        (Some(column), _) => format!("t.{column} IN ({list})"),
        (None, Some(primary)) => format!(
            "t.id IN (SELECT {} FROM {} WHERE {} IN ({list}) AND {primary} = 1)",
            link.this, link.table, link.other
        ),
        (None, None) => unreachable!("checked above"),
    };
    Ok((sql, values))
}

/// Filters on list-valued fields: `eq`/`in` mean "contains", `ne` "does not contain".
pub(super) fn members_condition(
    def: &EntityDef,
    target: &Target,
    expr: &str,
    op: Op,
    text: &str,
    values: Vec<Value>,
) -> Result<(String, Vec<Value>), String> {
    let Target::Field(field) = target else {
        return Err("this field cannot be filtered".into());
    };
    let typed = matches!(
        field.kind,
        FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers
    );
    let (membership, params): (String, Vec<Value>) = match op {
        Op::Like if typed => {
            let variants = case_variants(text.trim());
            let any = vec!["json_extract(j.value, '$.value') LIKE ? ESCAPE '\\'"; variants.len()].join(" OR ");
            (
                format!("EXISTS (SELECT 1 FROM json_each({expr}) j WHERE {any})"),
                variants.iter().map(|v| Value::from(like_pattern(v))).collect(),
            )
        }
        Op::Eq | Op::Ne | Op::In => {
            let list = crate::resource::placeholders(values.len());
            let sql = match (&field.storage, &field.kind) {
                // From the other side's index (`deal_contacts_contact`...): the records linked
                // to these ids, not a probe per record of the table.
                (Storage::Link(link), _) => format!(
                    "t.id IN (SELECT {} FROM {} WHERE {} IN ({list}))",
                    link.this, link.table, link.other
                ),
                (Storage::Column, FieldKind::Emails | FieldKind::Phones) => {
                    let kind = if field.kind == FieldKind::Emails {
                        "email"
                    } else {
                        "phone"
                    };
                    format!(
                        "t.id IN (SELECT record_id FROM record_channels WHERE kind = '{kind}' AND entity = '{}' AND value IN ({list}))",
                        def.name
                    )
                }
                _ if typed => format!(
                    "EXISTS (SELECT 1 FROM json_each({expr}) j WHERE json_extract(j.value, '$.normalized') IN ({list}))"
                ),
                (_, FieldKind::Bindings) => format!(
                    "EXISTS (SELECT 1 FROM json_each({expr}) j \
                     WHERE json_extract(j.value, '$.entity') || ':' || json_extract(j.value, '$.id') IN ({list}))"
                ),
                _ => format!("EXISTS (SELECT 1 FROM json_each({expr}) j WHERE j.value IN ({list}))"),
            };
            (sql, values)
        }
        _ => return Err("only eq, ne, in, like and null apply to this field".into()),
    };
    if op == Op::Ne {
        Ok((format!("NOT {membership}"), params))
    } else {
        Ok((membership, params))
    }
}

/// `WHERE` part that continues after the row whose sort keys were `after`. Keys that cannot
/// be NULL going one way compare as one row value, `(a, id) > (?, ?)`, which SQLite answers by
/// seeking the index; otherwise each key's turn is spelt out, placing NULLs as SQLite sorts
/// them (first ascending, last descending).
pub(super) fn keyset(sort: &[SortKey], after: &[Value]) -> (String, Vec<Value>) {
    let same_way = sort.iter().all(|k| k.descending == sort[0].descending);
    if same_way && sort.iter().zip(after).all(|(k, v)| !k.nullable && !v.is_null()) {
        let exprs: Vec<&str> = sort.iter().map(|k| k.expr.as_str()).collect();
        let op = if sort[0].descending { "<" } else { ">" };
        let sql = if sort.len() == 1 {
            format!("{} {op} ?", exprs[0])
        } else {
            format!(
                "({}) {op} ({})",
                exprs.join(", "),
                crate::resource::placeholders(sort.len())
            )
        };
        return (sql, after.to_vec());
    }
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    for i in 0..sort.len() {
        let mut parts = Vec::new();
        for (j, key) in sort.iter().enumerate().take(i) {
            if after[j].is_null() {
                parts.push(format!("{} IS NULL", key.expr));
            } else {
                parts.push(format!("{} = ?", key.expr));
                params.push(after[j].clone());
            }
        }
        let SortKey {
            expr,
            descending,
            nullable,
        } = &sort[i];
        let strictly_after = match (descending, after[i].is_null()) {
            (false, true) => format!("{expr} IS NOT NULL"),
            (false, false) => {
                params.push(after[i].clone());
                format!("{expr} > ?")
            }
            (true, true) => "0".to_string(),
            (true, false) if *nullable => {
                params.push(after[i].clone());
                format!("({expr} < ? OR {expr} IS NULL)")
            }
            (true, false) => {
                params.push(after[i].clone());
                format!("{expr} < ?")
            }
        };
        parts.push(strictly_after);
        alternatives.push(format!("({})", parts.join(" AND ")));
    }
    (format!("({})", alternatives.join(" OR ")), params)
}
