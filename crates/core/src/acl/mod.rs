//! Access control, in layers (as EspoCRM's `Core/Acl`): a role's **scope** level per entity
//! and action, then the **record** (owner, department, the `opened` flag), then the
//! **stage/status** a lead or deal is in or is moved into.
//!
//! A role's matrix lives as JSON in `roles.permissions` (see `sql/0002_auth.sql`) and is
//! parsed into [`Permissions`]; a user's effective permissions are the union of the roles
//! assigned to them and to their department ([`Caller::load`]). Every component calls this
//! module, never its own checks: lists are filtered in SQL ([`Caller::list_filter`]) and
//! single records are checked with [`Caller::check_record`].

mod filter;
mod permissions;

pub use filter::{AclColumns, SqlFilter};

/// What [`Caller::from_row`] reads about user `u`, in one statement (a request pays per
/// statement where the database is remote): the schema's fingerprint and the connection's
/// settings ([`crate::migrate::accept_state`]), the user, their department's subtree as a comma
/// list, their roles' codes and matrices (their own and their department's) as JSON, and the
/// firm's [`Workspace`](crate::records::workspace::Workspace).
/// Why loading a caller failed on a database another build migrated (or none yet).
pub const SCHEMA_OUTDATED: &str = "the database is not on this build's schema";

pub(crate) const CALLER_COLUMNS: &str = concat!(
    crate::migrate::state_columns!(),
    ", u.department_id, u.active, u.credentials_epoch, \
     (WITH RECURSIVE sub(id) AS (SELECT u.department_id WHERE u.department_id IS NOT NULL \
        UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) \
      SELECT group_concat(id) FROM sub) AS subtree, \
     (SELECT json_group_array(json_array(code, permissions)) FROM (SELECT code, permissions FROM roles \
        WHERE id IN (SELECT role_id FROM user_roles WHERE user_id = u.id \
                     UNION SELECT role_id FROM department_roles WHERE department_id = u.department_id) \
        ORDER BY code)) AS roles, ",
    crate::records::workspace::workspace_columns!()
);
pub use permissions::{Action, Entity, Level, Permissions, StageRule};

use crate::db::Db;
use crate::error::CoreError;

/// Who is asking: the authenticated user and what they may do.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The user's id.
    pub user_id: i64,
    /// The user's department, if any.
    pub department_id: Option<i64>,
    /// The user's department and every department below it (empty without a department).
    pub subtree: Vec<i64>,
    /// The union of the user's roles.
    pub permissions: Permissions,
    /// Codes of the user's roles (direct and through the department), sorted.
    pub roles: Vec<String>,
    /// The user's credentials epoch (`users.credentials_epoch`): deactivation bumps it, and a
    /// session minted under an older epoch is refused.
    pub credentials_epoch: i64,
    /// The firm's configuration as the request found it (read with the caller); `None` for a
    /// caller made without a query ([`Caller::system`]).
    pub workspace: Option<crate::records::workspace::Workspace>,
}

/// The ACL facts of one stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAcl {
    /// The responsible user.
    pub responsible_id: Option<i64>,
    /// The responsible user's department.
    pub responsible_department_id: Option<i64>,
    /// "Available to everyone".
    pub opened: bool,
    /// Status (leads) or stage (deals) code, for entities that have one.
    pub stage: Option<String>,
}

impl Caller {
    /// Loads an active user's department subtree and effective permissions.
    /// An unknown or inactive user is [`CoreError::Unauthorized`].
    pub fn load(db: &dyn Db, user_id: i64) -> Result<Caller, CoreError> {
        let rows = db.query(
            &format!("SELECT {CALLER_COLUMNS} FROM users u WHERE u.id = ?"),
            &[user_id.into()],
        )?;
        let row = rows.first().ok_or(CoreError::Unauthorized)?;
        Caller::from_row(db, &row, user_id)
    }

    /// The caller of a row of [`CALLER_COLUMNS`] for user `user_id`: inactive users are
    /// [`CoreError::Unauthorized`]; a database not on this build's schema is
    /// [`CoreError::Unavailable`] (migrate, then ask again).
    pub(crate) fn from_row(db: &dyn Db, row: &crate::db::Row<'_>, user_id: i64) -> Result<Caller, CoreError> {
        if !crate::migrate::accept_state(db, row) {
            return Err(CoreError::Unavailable(SCHEMA_OUTDATED.into()));
        }
        if row.i64("active") != Some(1) {
            return Err(CoreError::Unauthorized);
        }
        let mut subtree: Vec<i64> = row
            .str("subtree")
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect();
        subtree.sort_unstable();
        let roles: Vec<(String, String)> = serde_json::from_str(row.str("roles").unwrap_or("[]"))
            .map_err(|e| CoreError::Internal(format!("the roles of user {user_id} do not read: {e}")))?;
        let mut permissions = Permissions::none();
        let mut codes = Vec::new();
        for (code, matrix) in roles {
            let parsed = Permissions::from_json(&matrix)
                .map_err(|e| CoreError::Internal(format!("role {code:?} has an invalid matrix: {e}")))?;
            permissions = permissions.union(&parsed);
            codes.push(code);
        }
        Ok(Caller {
            user_id,
            department_id: row.i64("department_id"),
            subtree,
            permissions,
            roles: codes,
            credentials_epoch: row.i64("credentials_epoch").unwrap_or_default(),
            workspace: Some(crate::records::workspace::Workspace::from_row(row)?),
        })
    }

    /// Whether this is [`Caller::system`], work no person asked for directly.
    pub fn is_system(&self) -> bool {
        self.roles.len() == 1 && self.roles[0] == "system"
    }

    /// The system acting on behalf of user `user_id`, who is in department `department_id`
    /// (whoever makes it knows; the user is recorded as the author): every permission. Only for
    /// work no person asked for directly, such as a public form's submission, which is then
    /// owned by the form's responsible user.
    pub fn system(user_id: i64, department_id: Option<i64>) -> Caller {
        Caller {
            user_id,
            department_id,
            subtree: Vec::new(),
            permissions: Permissions::all(),
            roles: vec!["system".into()],
            credentials_epoch: 0,
            workspace: None,
        }
    }

    /// The caller's level for `entity` x `action`.
    pub fn level(&self, entity: Entity, action: Action) -> Level {
        self.permissions.level(entity, action)
    }

    /// Scope check: 403 unless the caller has at least `own` for `entity` x `action`.
    pub fn require(&self, entity: Entity, action: Action) -> Result<(), CoreError> {
        if self.level(entity, action) == Level::None {
            Err(CoreError::Forbidden)
        } else {
            Ok(())
        }
    }

    /// Whether the level `level` reaches a record owned as `record` says.
    fn level_reaches(&self, level: Level, record: &RecordAcl) -> bool {
        match level {
            Level::None => false,
            Level::Own => record.responsible_id == Some(self.user_id),
            Level::Department => {
                record.responsible_id == Some(self.user_id)
                    || (self.department_id.is_some() && record.responsible_department_id == self.department_id)
            }
            Level::Subdepartments => {
                record.responsible_id == Some(self.user_id)
                    || record
                        .responsible_department_id
                        .is_some_and(|d| self.subtree.contains(&d))
            }
            Level::All => true,
        }
    }

    /// Whether the caller may read the record (level, `opened`, and the stage read rule).
    pub fn can_read(&self, entity: Entity, record: &RecordAcl) -> bool {
        let level = self.level(entity, Action::Read);
        let reached = self.level_reaches(level, record) || (record.opened && level >= Level::Own);
        reached
            && self
                .permissions
                .stage_allows(entity, StageRule::Read, record.stage.as_deref())
    }

    /// Record check for `action` on a stored record: 404 if the caller may not even read it,
    /// 403 if they may read it but not do `action`.
    pub fn check_record(&self, entity: Entity, action: Action, record: &RecordAcl) -> Result<(), CoreError> {
        if !self.can_read(entity, record) {
            return Err(CoreError::NotFound);
        }
        if action == Action::Read || self.level_reaches(self.level(entity, action), record) {
            Ok(())
        } else {
            Err(CoreError::Forbidden)
        }
    }

    /// Stage check for moving a record of `entity` into `stage`: 403 naming the stage if the
    /// role may not (the person can then ask someone who may).
    pub fn check_move(&self, entity: Entity, stage: &str) -> Result<(), CoreError> {
        if self.permissions.stage_allows(entity, StageRule::Move, Some(stage)) {
            Ok(())
        } else {
            Err(CoreError::ForbiddenBecause(format!(
                "your role may not put a {} into {stage}",
                entity.code()
            )))
        }
    }

    /// Check for creating a record that will be owned by `responsible_id` (in
    /// `responsible_department_id`): the add level must reach the new owner.
    pub fn check_add(&self, entity: Entity, record: &RecordAcl) -> Result<(), CoreError> {
        if self.level_reaches(self.level(entity, Action::Add), record) {
            Ok(())
        } else {
            Err(CoreError::Forbidden)
        }
    }

    /// The SQL condition that keeps only rows of `entity` the caller may read.
    pub fn list_filter(&self, entity: Entity, columns: &AclColumns) -> SqlFilter {
        filter::read_filter(self, entity, columns)
    }

    /// [`Caller::list_filter`] as two disjoint conditions with the same union: the caller's own
    /// (or their departments') rows, and opened rows that are not. `None` when the caller reads
    /// all rows or none, or the table has no `opened` column. Each arm is one index range in a
    /// list's sort order where `owner OR opened` is not.
    pub fn list_arms(&self, entity: Entity, columns: &AclColumns) -> Option<[SqlFilter; 2]> {
        filter::read_arms(self, entity, columns)
    }
}
