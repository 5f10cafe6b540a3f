//! The directory: users, departments, roles and the audit log, as the settings screens and the
//! `/api/users`, `/api/departments`, `/api/roles` endpoints see them.
//!
//! Every function takes the [`Caller`](crate::acl::Caller) and checks the `settings` scope
//! first (403), returns API-shaped JSON records (never a password or its hash), and makes each
//! write ONE [`transaction`](crate::db::transaction) together with its audit row, so a request
//! either commits whole or changes nothing. Request bodies are JSON merge-patches read by the
//! resource kit ([`crate::resource`]): unknown keys and wrong types are 422 errors naming the
//! field. [`RoleLinks`] are the role assignments users and departments share.

pub mod audit_log;
pub mod departments;
pub mod roles;
pub mod users;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::db::{Db, Value};
use crate::error::CoreError;
use crate::resource::{Cx, placeholders};

/// A link table from users or departments to their roles.
pub(crate) struct RoleLinks {
    /// `user_roles` or `department_roles`.
    table: &'static str,
    /// `user_id` or `department_id`.
    owner: &'static str,
}

/// Roles assigned to users.
pub(crate) const USER_ROLES: RoleLinks = RoleLinks {
    table: "user_roles",
    owner: "user_id",
};
/// Roles assigned to departments (every member gets them).
pub(crate) const DEPARTMENT_ROLES: RoleLinks = RoleLinks {
    table: "department_roles",
    owner: "department_id",
};

impl RoleLinks {
    /// Role ids per owner id, sorted, for the given owners.
    pub(crate) fn of(&self, db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Vec<i64>>, CoreError> {
        let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows = db.query(
            &format!(
                "SELECT {owner} AS owner, role_id FROM {table} WHERE {owner} IN ({}) ORDER BY {owner}, role_id",
                placeholders(ids.len()),
                owner = self.owner,
                table = self.table,
            ),
            &ids.iter().map(|id| Value::from(*id)).collect::<Vec<_>>(),
        )?;
        for row in rows.iter() {
            if let (Some(owner), Some(role)) = (row.i64("owner"), row.i64("role_id")) {
                out.entry(owner).or_default().push(role);
            }
        }
        Ok(out)
    }

    /// Replaces the roles of one owner.
    pub(crate) fn set(&self, db: &dyn Db, id: i64, role_ids: &[i64]) -> Result<(), CoreError> {
        db.execute(
            &format!("DELETE FROM {} WHERE {} = ?", self.table, self.owner),
            &[id.into()],
        )?;
        for role in role_ids {
            db.execute(
                &format!("INSERT INTO {} ({}, role_id) VALUES (?, ?)", self.table, self.owner),
                &[id.into(), (*role).into()],
            )?;
        }
        Ok(())
    }

    /// `role_ids` of each owner (`[]` for one without roles), as a resource's `outside` values.
    pub(crate) fn outside(&self, db: &dyn Db, ids: &[i64]) -> Result<BTreeMap<i64, Map<String, Json>>, CoreError> {
        let mut roles = self.of(db, ids)?;
        Ok(ids
            .iter()
            .map(|id| {
                let role_ids = roles.remove(id).unwrap_or_default();
                (*id, Map::from_iter([("role_ids".to_string(), Json::from(role_ids))]))
            })
            .collect())
    }

    /// After a write: stores the owner's `role_ids` when a create gives them (none: no roles)
    /// or an update changes them, and notes them in the audit details.
    pub(crate) fn written(&self, cx: &mut Cx) -> Result<(), CoreError> {
        if !cx.creating() && !cx.changed.iter().any(|f| f == "role_ids") {
            return Ok(());
        }
        let role_ids: Vec<i64> = cx
            .draft
            .get("role_ids")
            .and_then(Json::as_array)
            .map(|ids| ids.iter().filter_map(Json::as_i64).collect())
            .unwrap_or_default();
        self.set(cx.db, cx.id(), &role_ids)?;
        cx.details.insert("role_ids".into(), Json::from(role_ids));
        Ok(())
    }
}
