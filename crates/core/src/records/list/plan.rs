//! A list's `WHERE` and how it is read: the caller's ACL, the filters and `q`.
//!
//! A caller who reads only some records (own, or their departments') and the opened ones has
//! the ACL `owner OR opened`. Under a sort, SQLite answers that by walking the sort's index and
//! testing every row, which for a manager (a few per cent of the rows) reads thousands of rows
//! for one page. So such a list reads two disjoint arms instead, each in the sort's order with
//! its own limit (own rows through `(responsible_id, key, id)`, opened rows through a partial
//! index `(key, id) WHERE opened = 1`, sql/0006 and sql/0016), and keeps the first rows of the
//! two: the same rows in the same order as the single condition, since the arms are disjoint and
//! every sort ends in `id`. The count is the sum of the arms' counts.
//!
//! With `q` the single condition is kept, and a page in id order (every list's default) is read
//! from the full-text index itself, which yields its matches in rowid order: each match is kept
//! if the caller may read it, tested on the narrow `{table}_acl` index (id and the ACL columns,
//! sql/0033) rather than on its row, and if the filters hold on its row, until the page is
//! full. A manager's search then reads an index entry per match, and a row per match they
//! may read; an administrator's stops after a page.

use super::*;

/// Conditions to `AND`, with their parameters in order.
#[derive(Debug, Clone, Default)]
pub(super) struct Clauses {
    pub(super) sql: Vec<String>,
    pub(super) params: Vec<Value>,
}

impl Clauses {
    pub(super) fn push(&mut self, sql: String, params: impl IntoIterator<Item = Value>) {
        self.sql.push(sql);
        self.params.extend(params);
    }

    /// These conditions and `other`'s.
    pub(super) fn and(&self, other: &Clauses) -> Clauses {
        let mut both = self.clone();
        both.sql.extend(other.sql.iter().cloned());
        both.params.extend(other.params.iter().cloned());
        both
    }

    /// Whether nothing is tested (every row passes).
    pub(super) fn reads_all(&self) -> bool {
        self.sql.iter().all(|sql| sql == "1")
    }

    /// The `WHERE` text (`1` when there is nothing to test).
    pub(super) fn text(&self) -> String {
        if self.sql.is_empty() {
            "1".into()
        } else {
            self.sql.join(" AND ")
        }
    }
}

/// A list's conditions: the ACL as one condition or as disjoint arms, and the rest.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// The ACL as one condition (`owner OR opened`, `1`, `0`...).
    pub(super) acl: Clauses,
    /// The same rows as `acl` in two disjoint parts, when reading them apart is cheaper.
    pub(super) arms: Option<[Clauses; 2]>,
    /// The filters and `q`.
    pub(super) rest: Clauses,
    /// The filters alone.
    pub(super) filters: Clauses,
    /// `q` as a full-text query, when it has searchable words.
    pub(super) matching: Option<Value>,
}

impl Plan {
    /// The plan of `query` for `caller` (403 if the caller may not read the entity at all).
    pub(super) fn new(caller: &Caller, def: &EntityDef, query: &RecordQuery) -> Result<Plan, CoreError> {
        caller.require(def.acl, Action::Read)?;
        let mut acl = Clauses::default();
        let mut arms = None;
        if def.owned {
            let columns = def.acl_columns();
            let filter = caller.list_filter(def.acl, &columns);
            acl.push(filter.sql, filter.params);
            if query.q.is_none() {
                arms = caller.list_arms(def.acl, &columns).map(|pair| {
                    pair.map(|arm| {
                        let mut clauses = Clauses::default();
                        clauses.push(arm.sql, arm.params);
                        clauses
                    })
                });
            }
        }
        let mut filters = Clauses::default();
        for (sql, values) in &query.conditions {
            filters.push(sql.clone(), values.iter().cloned());
        }
        let mut rest = filters.clone();
        let mut matching = None;
        if let Some(q) = &query.q {
            match index::match_query(q, &query.default_country) {
                Some(fts) => {
                    let fts = Value::from(fts);
                    rest.push(
                        format!(
                            "t.id IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH ?)",
                            table = def.table
                        ),
                        [fts.clone()],
                    );
                    matching = Some(fts);
                }
                None => rest.push("0".into(), Vec::new()),
            }
        }
        Ok(Plan {
            acl,
            arms,
            rest,
            filters,
            matching,
        })
    }

    /// `t.id IN (...)`: the ids of the first `limit` rows in id order (`descending` or not,
    /// after the id `after`) that match `q`, the caller may read and the filters keep, read by
    /// walking the full-text matches in that order. `None` without a full-text query.
    pub(super) fn search_in_id_order(
        &self,
        def: &EntityDef,
        descending: bool,
        after: Option<&Value>,
        limit: Value,
    ) -> Option<(String, Vec<Value>)> {
        let fts = self.matching.as_ref()?;
        let table = def.table;
        // The ACL's columns are read from `{table}_acl`; the row is sought only for the
        // filters of a match the caller may read (SQLite defers the seek to the first column
        // the index lacks).
        let probe = !self.acl.reads_all();
        let mut sql = format!(
            "SELECT t.id FROM {table}_search f CROSS JOIN {table} t{} ON t.id = f.rowid WHERE {table}_search MATCH ?",
            if probe {
                format!(" INDEXED BY {table}_acl")
            } else {
                String::new()
            }
        );
        let mut params = vec![fts.clone()];
        if let Some(after) = after {
            sql.push_str(if descending {
                " AND f.rowid < ?"
            } else {
                " AND f.rowid > ?"
            });
            params.push(after.clone());
        }
        let conditions = self.acl.and(&self.filters);
        if !conditions.sql.is_empty() {
            sql.push_str(&format!(" AND {}", conditions.text()));
            params.extend(conditions.params);
        }
        sql.push_str(&format!(
            " ORDER BY f.rowid {} LIMIT ?",
            if descending { "DESC" } else { "ASC" }
        ));
        params.push(limit);
        Some((format!("t.id IN ({sql})"), params))
    }

    /// Every condition as one `WHERE` (the ACL as one condition).
    pub(super) fn whole(&self) -> Clauses {
        self.acl.and(&self.rest)
    }

    /// `SELECT COUNT(*)` of the rows, per arm when there are arms (each counted by its index).
    pub(super) fn count_sql(&self, table: &str) -> (String, Vec<Value>) {
        let count = |clauses: &Clauses| format!("(SELECT COUNT(*) FROM {table} t WHERE {})", clauses.text());
        match &self.arms {
            None => {
                let whole = self.whole();
                (format!("SELECT {} AS n", count(&whole)), whole.params)
            }
            Some([own, opened]) => {
                let (own, opened) = (own.and(&self.rest), opened.and(&self.rest));
                let params = own.params.iter().chain(&opened.params).cloned().collect();
                (format!("SELECT {} + {} AS n", count(&own), count(&opened)), params)
            }
        }
    }
}
