//! The permission matrix: entity x action -> level, plus per-stage rules, as stored in
//! `roles.permissions` and as merged over a user's roles.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code used in JSON and URLs.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code.
            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

code_enum! {
    /// What a permission is about. Later issues add entities here.
    Entity {
        /// Leads.
        Lead = "lead",
        /// Contacts.
        Contact = "contact",
        /// Companies.
        Company = "company",
        /// Deals.
        Deal = "deal",
        /// Activities.
        Activity = "activity",
        /// The product catalog.
        Product = "product",
        /// Reports.
        Report = "report",
        /// Users, departments, roles, forms and every other setting.
        Settings = "settings",
    }
}

code_enum! {
    /// What the caller wants to do.
    Action {
        /// See records.
        Read = "read",
        /// Create records.
        Add = "add",
        /// Change records.
        Update = "update",
        /// Delete records.
        Delete = "delete",
        /// Export records.
        Export = "export",
        /// Import records.
        Import = "import",
    }
}

code_enum! {
    /// How far a permission reaches, from nothing to everything (ordered).
    Level {
        /// Nothing.
        None = "none",
        /// Records the caller is responsible for.
        Own = "own",
        /// ... and those of the caller's department.
        Department = "department",
        /// ... and those of the departments below it.
        Subdepartments = "subdepartments",
        /// Every record.
        All = "all",
    }
}

/// Which stage list a check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageRule {
    /// The stages whose records the role may see.
    Read,
    /// The stages the role may move records into.
    Move,
}

/// Stage lists of one entity; `None` means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLimits {
    /// Visible stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<BTreeSet<String>>,
    /// Stages records may be moved into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#move: Option<BTreeSet<String>>,
}

/// A role's (or a user's merged) permissions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions {
    levels: BTreeMap<(Entity, Action), Level>,
    stages: BTreeMap<Entity, StageLimits>,
}

#[derive(Deserialize, Serialize)]
struct RawPermissions {
    #[serde(default)]
    entities: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    stages: BTreeMap<String, StageLimits>,
}

impl Permissions {
    /// No permission at all.
    pub fn none() -> Permissions {
        Permissions::default()
    }

    /// Every permission on every entity (the system acting for a public form).
    pub fn all() -> Permissions {
        let mut all = Permissions::default();
        for entity in Entity::ALL {
            for action in Action::ALL {
                all.set(*entity, *action, Level::All);
            }
        }
        all
    }

    /// The level for `entity` x `action` (`none` if unset).
    pub fn level(&self, entity: Entity, action: Action) -> Level {
        self.levels.get(&(entity, action)).copied().unwrap_or(Level::None)
    }

    /// Sets one level.
    pub fn set(&mut self, entity: Entity, action: Action, level: Level) {
        if level == Level::None {
            self.levels.remove(&(entity, action));
        } else {
            self.levels.insert((entity, action), level);
        }
    }

    /// The stage limits of `entity`.
    pub fn stages(&self, entity: Entity) -> Option<&StageLimits> {
        self.stages.get(&entity)
    }

    /// Whether `stage` passes the `rule` list of `entity` (records without a stage always do).
    pub fn stage_allows(&self, entity: Entity, rule: StageRule, stage: Option<&str>) -> bool {
        let Some(stage) = stage else { return true };
        let list = self.stages.get(&entity).and_then(|l| match rule {
            StageRule::Read => l.read.as_ref(),
            StageRule::Move => l.r#move.as_ref(),
        });
        list.is_none_or(|l| l.contains(stage))
    }

    /// The union of two roles: the higher level wins; a stage list limits only if both limit.
    pub fn union(&self, other: &Permissions) -> Permissions {
        let mut out = self.clone();
        for (key, level) in &other.levels {
            let slot = out.levels.entry(*key).or_insert(Level::None);
            *slot = (*slot).max(*level);
        }
        let entities: BTreeSet<Entity> = self.stages.keys().chain(other.stages.keys()).copied().collect();
        out.stages.clear();
        for entity in entities {
            let merge = |a: Option<&BTreeSet<String>>, b: Option<&BTreeSet<String>>| match (a, b) {
                (Some(a), Some(b)) => Some(a.union(b).cloned().collect()),
                _ => None,
            };
            let (a, b) = (self.stages.get(&entity), other.stages.get(&entity));
            let has_a = a.is_some();
            let has_b = b.is_some();
            let limits = match (a, b) {
                (Some(a), Some(b)) => StageLimits {
                    read: merge(a.read.as_ref(), b.read.as_ref()),
                    r#move: merge(a.r#move.as_ref(), b.r#move.as_ref()),
                },
                // A role without limits for the entity lifts them, if it grants the entity at all.
                _ if has_a && self.grants(entity) && !other.grants(entity) => a.cloned().unwrap_or_default(),
                _ if has_b && other.grants(entity) && !self.grants(entity) => b.cloned().unwrap_or_default(),
                _ => StageLimits::default(),
            };
            if limits != StageLimits::default() {
                out.stages.insert(entity, limits);
            }
        }
        out
    }

    fn grants(&self, entity: Entity) -> bool {
        Action::ALL.iter().any(|a| self.level(entity, *a) > Level::None)
    }

    /// Parses the stored JSON (as written by [`Permissions::to_json`] or the seed migration).
    pub fn from_json(text: &str) -> Result<Permissions, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Permissions::from_value(&value, "permissions").map_err(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Parses API input, naming every invalid field (`permissions.entities.lead.read`).
    pub fn from_value(value: &serde_json::Value, field: &str) -> Result<Permissions, FieldErrors> {
        let mut errors = FieldErrors::new();
        let raw: RawPermissions = match serde_json::from_value(value.clone()) {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(
                    field,
                    "invalid_permissions",
                    format!("expected {{\"entities\": {{...}}, \"stages\": {{...}}}}: {e}"),
                );
                return Err(errors);
            }
        };
        let mut out = Permissions::none();
        for (entity_code, actions) in &raw.entities {
            let Some(entity) = Entity::parse(entity_code) else {
                errors.push(
                    format!("{field}.entities.{entity_code}"),
                    "unknown_entity",
                    "not a known entity",
                );
                continue;
            };
            for (action_code, level_code) in actions {
                let at = format!("{field}.entities.{entity_code}.{action_code}");
                match (Action::parse(action_code), Level::parse(level_code)) {
                    (None, _) => errors.push(
                        at,
                        "unknown_action",
                        "not one of read, add, update, delete, export, import",
                    ),
                    (_, None) => errors.push(
                        at,
                        "unknown_level",
                        "not one of none, own, department, subdepartments, all",
                    ),
                    (Some(action), Some(level)) => out.set(entity, action, level),
                }
            }
        }
        for (entity_code, limits) in raw.stages {
            match Entity::parse(&entity_code) {
                Some(entity @ (Entity::Lead | Entity::Deal)) => {
                    out.stages.insert(entity, limits);
                }
                _ => errors.push(
                    format!("{field}.stages.{entity_code}"),
                    "unknown_entity",
                    "stage rules exist for lead and deal only",
                ),
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    /// The JSON form stored in `roles.permissions` and shown by the API: every entity and
    /// action, explicitly.
    pub fn to_value(&self) -> serde_json::Value {
        let mut entities = serde_json::Map::new();
        for entity in Entity::ALL {
            let mut actions = serde_json::Map::new();
            for action in Action::ALL {
                actions.insert(action.code().into(), self.level(*entity, *action).code().into());
            }
            entities.insert(entity.code().into(), actions.into());
        }
        let stages: serde_json::Map<String, serde_json::Value> = self
            .stages
            .iter()
            .map(|(e, l)| (e.code().to_string(), serde_json::to_value(l).unwrap_or_default()))
            .collect();
        serde_json::json!({ "entities": entities, "stages": stages })
    }

    /// [`Permissions::to_value`] as text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_codes_round_trip() {
        assert!(Level::None < Level::Own && Level::Own < Level::Department);
        assert!(Level::Department < Level::Subdepartments && Level::Subdepartments < Level::All);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(*l));
        }
    }

    #[test]
    fn the_union_takes_the_higher_level_and_the_looser_stage_list() {
        let a = Permissions::from_json(
            r#"{"entities":{"deal":{"read":"own","update":"own"}},"stages":{"deal":{"move":["NEW"]}}}"#,
        )
        .unwrap();
        let b = Permissions::from_json(
            r#"{"entities":{"deal":{"read":"all"},"lead":{"add":"own"}},"stages":{"deal":{"move":["WON"]}}}"#,
        )
        .unwrap();
        let u = a.union(&b);
        assert_eq!(u.level(Entity::Deal, Action::Read), Level::All);
        assert_eq!(u.level(Entity::Deal, Action::Update), Level::Own);
        assert_eq!(u.level(Entity::Lead, Action::Add), Level::Own);
        assert!(u.stage_allows(Entity::Deal, StageRule::Move, Some("WON")));
        assert!(u.stage_allows(Entity::Deal, StageRule::Move, Some("NEW")));
        assert!(!u.stage_allows(Entity::Deal, StageRule::Move, Some("LOSE")));

        let unlimited = Permissions::from_json(r#"{"entities":{"deal":{"read":"all"}}}"#).unwrap();
        assert!(
            a.union(&unlimited)
                .stage_allows(Entity::Deal, StageRule::Move, Some("LOSE"))
        );
    }

    #[test]
    fn bad_matrices_name_every_field() {
        let value = serde_json::json!({"entities": {"lead": {"read": "most", "fly": "all"}, "unicorn": {"read": "all"}}, "stages": {"contact": {}}});
        let errors = Permissions::from_value(&value, "permissions").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "permissions.entities.lead.fly",
                "permissions.entities.lead.read",
                "permissions.entities.unicorn",
                "permissions.stages.contact"
            ]
        );
        assert!(Permissions::from_value(&serde_json::json!([1]), "p").is_err());
    }

    #[test]
    fn the_stored_form_round_trips() {
        let p =
            Permissions::from_json(r#"{"entities":{"lead":{"read":"department"}},"stages":{"lead":{"read":["NEW"]}}}"#)
                .unwrap();
        assert_eq!(Permissions::from_json(&p.to_json()).unwrap(), p);
    }
}
