//! Reading a resource: a keyset page with the declared filters, every record of a scope in
//! the declared order, one record, and rows rendered as the API shows them (declared fields,
//! values kept outside the row, stamps, last touches).

use serde_json::{Map, Value as Json};

use super::{Key, ListQuery, Page, Resource, Store, Where};
use crate::acl::Caller;
use crate::db::{Db, Rows, Value};
use crate::error::CoreError;

impl Resource {
    /// One keyset page by id ascending, filtered by the declared filters (read permission).
    pub fn list(&self, db: &dyn Db, caller: &Caller, query: &ListQuery) -> Result<Page, CoreError> {
        self.access.require_read(caller)?;
        let mut filter = Where::default();
        for name in self.filters {
            let field = self.field(name)?;
            match field.store {
                Store::Int(column) => {
                    if let Some(value) = query.filter_i64(name)? {
                        filter.and(format!("{column} = ?"), [value.into()]);
                    }
                }
                Store::Bool(column) => {
                    if let Some(value) = query.filter_bool(name)? {
                        filter.and(format!("{column} = ?"), [value.into()]);
                    }
                }
                Store::Text(column) => {
                    if let Some(value) = query.filter(name) {
                        filter.and(format!("{column} = ?"), [value.trim().into()]);
                    }
                }
                _ => return Err(CoreError::Internal(format!("{name} cannot be a filter"))),
            }
        }
        if let Some(cursor) = query.cursor {
            filter.and("id > ?", [cursor.into()]);
        }
        let mut params = filter.params.clone();
        params.push((query.limit + 1).into());
        let sql = format!("SELECT * FROM {}{} ORDER BY id LIMIT ?", self.table, filter.sql());
        let rows = db.query(&sql, &params)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.i64("id").unwrap_or_default()).collect();
        let records = self.render(db, &rows)?;
        Ok(Page::from_fetched(ids.into_iter().zip(records).collect(), query.limit))
    }

    /// Every record whose `scope` columns hold the given values, in the declared order
    /// (read permission).
    pub fn all(&self, db: &dyn Db, caller: &Caller, scope: &[(&'static str, Value)]) -> Result<Vec<Json>, CoreError> {
        self.access.require_read(caller)?;
        let mut filter = Where::default();
        for (column, value) in scope {
            filter.and(format!("{column} = ?"), [value.clone()]);
        }
        let sql = format!("SELECT * FROM {}{} ORDER BY {}", self.table, filter.sql(), self.order);
        self.render(db, &db.query(&sql, &filter.params)?)
    }

    /// One record (read permission); 404 if there is none.
    pub fn get(&self, db: &dyn Db, caller: &Caller, key: &Key) -> Result<Json, CoreError> {
        self.access.require_read(caller)?;
        self.load(db, key)?.ok_or(CoreError::NotFound)
    }

    /// The record `key` addresses, if any, as the API shows it.
    pub fn load(&self, db: &dyn Db, key: &Key) -> Result<Option<Json>, CoreError> {
        let sql = format!("SELECT * FROM {} WHERE {}", self.table, key.sql());
        Ok(self.render(db, &db.query(&sql, &key.params())?)?.pop())
    }

    /// The records of `rows` as the API shows them.
    pub fn render(&self, db: &dyn Db, rows: &Rows) -> Result<Vec<Json>, CoreError> {
        let mut outside = match self.hooks.outside {
            Some(outside) => outside(db, &rows.iter().filter_map(|r| r.i64("id")).collect::<Vec<_>>())?,
            None => Default::default(),
        };
        let mut records = Vec::with_capacity(rows.len());
        for row in rows.iter() {
            let mut extra = outside.remove(&row.i64("id").unwrap_or_default()).unwrap_or_default();
            let mut record = Map::new();
            for field in self.fields {
                let value = match field.store {
                    Store::Outside => Some(extra.remove(field.name).unwrap_or(Json::Null)),
                    _ => field.render(&row),
                };
                if let Some(value) = value {
                    record.insert(field.name.to_string(), value);
                }
            }
            for field in self.stamps.fields() {
                if !record.contains_key(field.name)
                    && let Some(value) = field.render(&row)
                {
                    record.insert(field.name.to_string(), value);
                }
            }
            if let Some(finish) = self.hooks.finish {
                finish(&row, &mut record)?;
            }
            records.push(Json::Object(record));
        }
        Ok(records)
    }
}
