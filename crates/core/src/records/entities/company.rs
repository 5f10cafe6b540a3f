//! A company: an organisation the firm deals with, with addresses, requisites and contacts.

use super::{channels, comments, dictionary, ownership};
use crate::acl::Entity;
use crate::records::EntityDef;
use crate::records::entity::COMPANY_CONTACTS;
use crate::records::entity::Traits;
use crate::records::fields::{FieldDef, FieldKind, Storage};
use crate::records::values::Numeric;

/// A company: an organisation the firm deals with.
pub fn def() -> EntityDef {
    let mut fields = vec![
        FieldDef::column("title", "Company name", "Название компании", FieldKind::String)
            .required()
            .listed(),
        FieldDef::column("type", "Company type", "Тип компании", dictionary("company_type")),
        FieldDef::column("industry", "Industry", "Сфера деятельности", dictionary("industry")),
        FieldDef::column(
            "employees",
            "Employees",
            "Кол-во сотрудников",
            dictionary("employee_range"),
        ),
        FieldDef::column(
            "revenue",
            "Annual revenue",
            "Годовой оборот",
            FieldKind::Decimal(Numeric::MONEY),
        ),
        FieldDef::column("currency", "Currency", "Валюта", FieldKind::Currency),
    ];
    fields.extend(channels());
    fields.push(FieldDef::column("addresses", "Addresses", "Адреса", FieldKind::Address).multiple());
    fields.push(FieldDef::column(
        "requisites",
        "Requisites",
        "Реквизиты",
        FieldKind::Requisites,
    ));
    fields.push(comments());
    fields.extend(ownership());
    let mut contacts = FieldDef::column("contact_ids", "Contacts", "Контакты", FieldKind::Record("contact")).multiple();
    contacts.storage = Storage::Link(&COMPANY_CONTACTS);
    contacts.max = 500;
    fields.push(contacts);
    fields.push(FieldDef::column(
        "origin_lead_id",
        "Created from lead",
        "Создана из лида",
        FieldKind::Record("lead"),
    ));
    EntityDef {
        name: "company",
        acl: Entity::Company,
        table: "companies",
        resource: "/api/companies",
        fields,
        stage_field: None,
        owned: true,
        search_fields: &["title", "phones", "emails", "websites"],
        title_fields: &["title"],
        default_sort: "-id",
        hooks: &[],
        parse: Default::default(),
        traits: Traits {
            title_channel: true,
            duplicate_search: true,
            ..Traits::NONE
        },
    }
}
