//! The events a subscription may ask for, in two spellings: native (`lead.created`,
//! `deal.stage_changed`) and Bitrix24's (`ONCRMLEADADD`). Both name the same change; a
//! subscription keeps its events in its style's spelling (`bitrix24` subscriptions the
//! `ONCRM*` codes, `json` ones the native names), and the triggers of `sql/0029_webhooks.sql`
//! know them by the native name. `deal.stage_changed` has no Bitrix24 code (Bitrix24 sends
//! `ONCRMDEALUPDATE` for a stage change, which a `bitrix24` subscription gets anyway);
//! `deal.pipeline_changed` is Bitrix24's `ONCRMDEALMOVETOCATEGORY`.

use crate::error::FieldErrors;

/// What emits created, updated and deleted events, with Bitrix24's name for each: the record
/// entities, and the timeline's comments (`ONCRMTIMELINECOMMENTADD`...).
pub const ENTITIES: &[(&str, &str)] = &[
    ("lead", "LEAD"),
    ("contact", "CONTACT"),
    ("company", "COMPANY"),
    ("deal", "DEAL"),
    ("activity", "ACTIVITY"),
    ("product", "PRODUCT"),
    (COMMENT, "TIMELINECOMMENT"),
];

/// The one entity of [`ENTITIES`] that is no record: a timeline comment (its delivery's
/// details name the record it is on).
pub const COMMENT: &str = "comment";

/// The changes, native suffix and Bitrix24 suffix.
const CHANGES: &[(&str, &str)] = &[("created", "ADD"), ("updated", "UPDATE"), ("deleted", "DELETE")];

/// A deal moved to another stage: no Bitrix24 code of its own.
pub const STAGE_CHANGED: &str = "deal.stage_changed";
/// A deal moved to another pipeline: Bitrix24's `ONCRMDEALMOVETOCATEGORY`.
pub const PIPELINE_CHANGED: &str = "deal.pipeline_changed";

/// The events that are not a create, update or delete, with Bitrix24's code where it has one.
const MOVES: &[(&str, Option<&str>)] = &[
    (STAGE_CHANGED, None),
    (PIPELINE_CHANGED, Some("ONCRMDEALMOVETOCATEGORY")),
];

/// The delivery styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bitrix24's outbound webhook: a form-encoded POST carrying the id.
    Bitrix24,
    /// A JSON POST with the record, signed.
    Json,
}

impl Style {
    /// The style named `text`.
    pub fn parse(text: &str) -> Option<Style> {
        match text {
            "bitrix24" => Some(Style::Bitrix24),
            "json" => Some(Style::Json),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Style::Bitrix24 => "bitrix24",
            Style::Json => "json",
        }
    }
}

/// Every native event name, in a stable order.
pub fn native_names() -> Vec<String> {
    let mut names = Vec::new();
    for (entity, _) in ENTITIES {
        for (change, _) in CHANGES {
            names.push(format!("{entity}.{change}"));
        }
    }
    names.extend(MOVES.iter().map(|(name, _)| name.to_string()));
    names
}

/// The native name of an event written either way (`ONCRMLEADADD` -> `lead.created`; a
/// native name is returned as it is); `None` for an unknown event.
pub fn native(event: &str) -> Option<String> {
    if let Some((name, _)) = MOVES
        .iter()
        .find(|(name, code)| *name == event || code.is_some_and(|c| c.eq_ignore_ascii_case(event)))
    {
        return Some(name.to_string());
    }
    for (entity, bitrix) in ENTITIES {
        for (change, suffix) in CHANGES {
            if event == format!("{entity}.{change}") || event.eq_ignore_ascii_case(&format!("ONCRM{bitrix}{suffix}")) {
                return Some(format!("{entity}.{change}"));
            }
        }
    }
    None
}

/// Bitrix24's code of a native event (`lead.created` -> `ONCRMLEADADD`); `None` for an event
/// Bitrix24 does not have.
pub fn bitrix24(native: &str) -> Option<String> {
    if let Some((_, code)) = MOVES.iter().find(|(name, _)| *name == native) {
        return code.map(str::to_string);
    }
    let (entity, change) = native.split_once('.')?;
    let bitrix = ENTITIES.iter().find(|(e, _)| *e == entity)?.1;
    let suffix = CHANGES.iter().find(|(c, _)| *c == change)?.1;
    Some(format!("ONCRM{bitrix}{suffix}"))
}

/// The name a delivery of `native` carries in `style`.
pub fn spelled(style: Style, native: &str) -> String {
    match style {
        Style::Bitrix24 => bitrix24(native).unwrap_or_else(|| native.to_string()),
        Style::Json => native.to_string(),
    }
}

/// Reads a subscription's `events` for `style`: a non-empty list of known events, each once,
/// in either spelling. Returns `(as the style spells them, native names)`; problems go to
/// `errors` as `events` / `events[i]`.
pub fn read(
    value: Option<&serde_json::Value>,
    style: Option<Style>,
    errors: &mut FieldErrors,
) -> (Vec<String>, Vec<String>) {
    let Some(list) = value.and_then(serde_json::Value::as_array) else {
        errors.push(
            "events",
            "required",
            "a list of events, e.g. [\"ONCRMLEADADD\"] or [\"lead.created\"]",
        );
        return (Vec::new(), Vec::new());
    };
    if list.is_empty() || list.len() > 64 {
        errors.push("events", "required", "1 to 64 events");
    }
    let mut spelled_list = Vec::new();
    let mut natives: Vec<String> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let field = format!("events[{i}]");
        let Some(name) = item.as_str().and_then(native) else {
            errors.push(
                field,
                "invalid_choice",
                format!("unknown event {item}; known: {}", native_names().join(", ")),
            );
            continue;
        };
        if style == Some(Style::Bitrix24) && bitrix24(&name).is_none() {
            errors.push(
                field,
                "invalid_choice",
                format!("{name} has no Bitrix24 event; use the json style"),
            );
            continue;
        }
        if natives.contains(&name) {
            errors.push(field, "duplicate", format!("{name} is listed twice"));
            continue;
        }
        spelled_list.push(style.map_or_else(|| name.clone(), |s| spelled(s, &name)));
        natives.push(name);
    }
    (spelled_list, natives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_name_the_same_event() {
        assert_eq!(native("ONCRMLEADADD").as_deref(), Some("lead.created"));
        assert_eq!(native("onCrmDealUpdate").as_deref(), Some("deal.updated"));
        assert_eq!(native("company.deleted").as_deref(), Some("company.deleted"));
        assert_eq!(native("deal.stage_changed").as_deref(), Some("deal.stage_changed"));
        assert_eq!(native("ONCRMLEADMERGE"), None);
        assert_eq!(bitrix24("activity.deleted").as_deref(), Some("ONCRMACTIVITYDELETE"));
        assert_eq!(bitrix24(STAGE_CHANGED), None);
        assert_eq!(native("onCrmDealMoveToCategory").as_deref(), Some(PIPELINE_CHANGED));
        assert_eq!(bitrix24(PIPELINE_CHANGED).as_deref(), Some("ONCRMDEALMOVETOCATEGORY"));
        assert_eq!(native("ONCRMTIMELINECOMMENTADD").as_deref(), Some("comment.created"));
        assert_eq!(native_names().len(), 23);
    }

    #[test]
    fn a_list_is_read_in_the_styles_spelling_with_each_problem_named() {
        let mut errors = FieldErrors::new();
        let (spelled, natives) = read(
            Some(&serde_json::json!(["lead.created", "ONCRMDEALUPDATE"])),
            Some(Style::Bitrix24),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(spelled, ["ONCRMLEADADD", "ONCRMDEALUPDATE"]);
        assert_eq!(natives, ["lead.created", "deal.updated"]);

        let mut errors = FieldErrors::new();
        read(
            Some(&serde_json::json!([
                "x",
                "deal.stage_changed",
                "ONCRMLEADADD",
                "lead.created",
                5
            ])),
            Some(Style::Bitrix24),
            &mut errors,
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["events[0]", "events[1]", "events[3]", "events[4]"]);
    }
}
