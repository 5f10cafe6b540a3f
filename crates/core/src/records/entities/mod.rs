//! The built-in entity definitions, one file each, and the field groups they share. An
//! entity is data: its table, fields, links, search and title fields, stage field and hooks.

pub mod activity;
pub mod company;
pub mod contact;
pub mod deal;
pub mod lead;
pub mod product;

use serde_json::json;

use super::fields::{FieldDef, FieldKind, Options};

/// The fields every record has: responsible user and the "available to everyone" flag.
pub(super) fn ownership() -> Vec<FieldDef> {
    vec![
        FieldDef::column("responsible_id", "Responsible", "Ответственный", FieldKind::User).listed(),
        FieldDef::column(
            "opened",
            "Available to everyone",
            "Доступен для всех",
            FieldKind::Boolean,
        )
        .default_value(json!(false)),
    ]
}

pub(super) fn dictionary(kind: &str) -> FieldKind {
    FieldKind::Enumeration(Options::Dictionary(kind.to_string()))
}

pub(super) fn person() -> Vec<FieldDef> {
    vec![
        FieldDef::column("honorific", "Salutation", "Обращение", dictionary("honorific")),
        FieldDef::column("first_name", "First name", "Имя", FieldKind::String).listed(),
        FieldDef::column("middle_name", "Middle name", "Отчество", FieldKind::String),
        FieldDef::column("last_name", "Last name", "Фамилия", FieldKind::String).listed(),
        FieldDef::column("birthdate", "Date of birth", "Дата рождения", FieldKind::Date),
        FieldDef::column("post", "Position", "Должность", FieldKind::String),
    ]
}

pub(super) fn channels() -> Vec<FieldDef> {
    vec![
        FieldDef::column("phones", "Phones", "Телефоны", FieldKind::Phones).listed(),
        FieldDef::column("emails", "E-mails", "E-mail", FieldKind::Emails).listed(),
        FieldDef::column("websites", "Websites", "Сайты", FieldKind::Websites),
        FieldDef::column("messengers", "Messengers", "Мессенджеры", FieldKind::Messengers),
    ]
}

pub(super) fn comments() -> FieldDef {
    FieldDef::column("comments", "Comments", "Комментарий", FieldKind::Text)
}
