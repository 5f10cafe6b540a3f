//! Entities as data: an [`EntityDef`] names the table, the fields (built-in, then the custom
//! ones loaded from `custom_fields`), the links to other entities, the fields full-text search
//! indexes, the stage field the ACL checks, the default order and the entity's own hooks.
//! Adding a field of an existing type to an entity is one line here (and a column in a
//! migration); adding a custom field is a row.

use serde_json::json;

use super::fields::{FieldDef, FieldKind, Options, Storage};
use super::hooks::Hook;
use crate::acl::{AclColumns, Entity};
use crate::db::Db;
use crate::error::CoreError;

/// A many-to-many link kept in a link table (`contact_companies`).
#[derive(Debug, PartialEq, Eq)]
pub struct LinkDef {
    /// The link table.
    pub table: &'static str,
    /// Its column holding this entity's id.
    pub this: &'static str,
    /// Its column holding the other entity's id.
    pub other: &'static str,
    /// The other entity's name.
    pub other_entity: &'static str,
    /// The column flagging the primary link (the first id of the list), if any.
    pub primary: Option<&'static str>,
}

/// A contact's companies (the first is the primary one).
pub static CONTACT_COMPANIES: LinkDef = LinkDef {
    table: "contact_companies",
    this: "contact_id",
    other: "company_id",
    other_entity: "company",
    primary: Some("is_primary"),
};

/// A company's contacts (the same rows, seen from the company).
pub static COMPANY_CONTACTS: LinkDef = LinkDef {
    table: "contact_companies",
    this: "company_id",
    other: "contact_id",
    other_entity: "contact",
    primary: None,
};

/// One entity: its table, fields and behaviour.
#[derive(Debug, Clone)]
pub struct EntityDef {
    /// The entity's name (`lead`), as in the timeline and custom fields.
    pub name: &'static str,
    /// The ACL entity.
    pub acl: Entity,
    /// The table (`leads`); its search table is `<table>_search`.
    pub table: &'static str,
    /// The collection path (`/api/leads`).
    pub resource: &'static str,
    /// Built-in fields, then custom fields.
    pub fields: Vec<FieldDef>,
    /// The status/stage field the ACL's stage rules apply to.
    pub stage_field: Option<&'static str>,
    /// Fields whose values feed full-text search.
    pub search_fields: &'static [&'static str],
    /// Fields that make the record's display title, joined by spaces.
    pub title_fields: &'static [&'static str],
    /// The default `sort`.
    pub default_sort: &'static str,
    /// The entity's own hooks (besides the engine-wide ones).
    pub hooks: &'static [Hook],
}

impl EntityDef {
    /// The built-in definition of entity `name` (`lead`, `contact`, `company`).
    pub fn builtin(name: &str) -> Option<EntityDef> {
        match name {
            "lead" => Some(lead()),
            "contact" => Some(contact()),
            "company" => Some(company()),
            _ => None,
        }
    }

    /// The built-in definition plus the entity's custom fields, as stored now.
    pub fn load(db: &dyn Db, name: &str) -> Result<EntityDef, CoreError> {
        let mut def = EntityDef::builtin(name).ok_or(CoreError::NotFound)?;
        def.fields.extend(super::custom::field_defs(db, name)?);
        Ok(def)
    }

    /// The field named `name` (custom fields by code).
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The ACL columns of the table under alias `t`.
    pub fn acl_columns(&self) -> AclColumns {
        AclColumns {
            responsible: "t.responsible_id",
            opened: Some("t.opened"),
            stage: self.stage_field.map(|_| "t.status"),
        }
    }
}

/// The fields every record has: responsible user and the "available to everyone" flag.
fn ownership() -> Vec<FieldDef> {
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

fn dictionary(kind: &str) -> FieldKind {
    FieldKind::Enumeration(Options::Dictionary(kind.to_string()))
}

fn person() -> Vec<FieldDef> {
    vec![
        FieldDef::column("honorific", "Salutation", "Обращение", dictionary("honorific")),
        FieldDef::column("first_name", "First name", "Имя", FieldKind::String).listed(),
        FieldDef::column("middle_name", "Middle name", "Отчество", FieldKind::String),
        FieldDef::column("last_name", "Last name", "Фамилия", FieldKind::String).listed(),
        FieldDef::column("birthdate", "Date of birth", "Дата рождения", FieldKind::Date),
        FieldDef::column("post", "Position", "Должность", FieldKind::String),
    ]
}

fn channels() -> Vec<FieldDef> {
    vec![
        FieldDef::column("phones", "Phones", "Телефоны", FieldKind::Phones).listed(),
        FieldDef::column("emails", "E-mails", "E-mail", FieldKind::Emails).listed(),
        FieldDef::column("websites", "Websites", "Сайты", FieldKind::Websites),
        FieldDef::column("messengers", "Messengers", "Мессенджеры", FieldKind::Messengers),
    ]
}

fn comments() -> FieldDef {
    FieldDef::column("comments", "Comments", "Комментарий", FieldKind::Text)
}

/// A lead: the first contact with a prospect.
pub fn lead() -> EntityDef {
    let mut fields = vec![FieldDef::column("title", "Lead name", "Название лида", FieldKind::String).listed()];
    fields.extend(person());
    fields.extend([
        FieldDef::column("company_title", "Company name", "Название компании", FieldKind::String).listed(),
        FieldDef::column("status", "Status", "Статус", dictionary("lead_status"))
            .required()
            .default_value(json!("NEW"))
            .listed(),
        FieldDef::column("source", "Source", "Источник", dictionary("source")),
        FieldDef::column(
            "source_description",
            "Source details",
            "Дополнительно об источнике",
            FieldKind::Text,
        ),
        FieldDef::column("amount", "Amount", "Сумма", FieldKind::Decimal(2)),
        FieldDef::column("currency", "Currency", "Валюта", FieldKind::Currency),
    ]);
    fields.extend(channels());
    fields.push(FieldDef::column("address", "Address", "Адрес", FieldKind::Address));
    fields.push(comments());
    fields.extend(ownership());
    for (name, label) in [
        ("utm_source", "UTM source"),
        ("utm_medium", "UTM medium"),
        ("utm_campaign", "UTM campaign"),
        ("utm_content", "UTM content"),
        ("utm_term", "UTM term"),
    ] {
        fields.push(FieldDef::column(name, label, label, FieldKind::String));
    }
    EntityDef {
        name: "lead",
        acl: Entity::Lead,
        table: "leads",
        resource: "/api/leads",
        fields,
        stage_field: Some("status"),
        search_fields: &[
            "title",
            "first_name",
            "middle_name",
            "last_name",
            "company_title",
            "phones",
            "emails",
        ],
        title_fields: &["title"],
        default_sort: "-id",
        hooks: super::hooks::LEAD,
    }
}

/// A contact: a person the firm deals with.
pub fn contact() -> EntityDef {
    let mut fields = person();
    fields.extend([
        FieldDef::column("type", "Contact type", "Тип контакта", dictionary("contact_type")),
        FieldDef::column("source", "Source", "Источник", dictionary("source")),
        FieldDef::column(
            "source_description",
            "Source details",
            "Дополнительно об источнике",
            FieldKind::Text,
        ),
    ]);
    fields.extend(channels());
    fields.push(FieldDef::column("address", "Address", "Адрес", FieldKind::Address));
    fields.push(comments());
    fields.extend(ownership());
    let mut companies =
        FieldDef::column("company_ids", "Companies", "Компании", FieldKind::Record("company")).multiple();
    companies.storage = Storage::Link(&CONTACT_COMPANIES);
    companies.max = 50;
    fields.push(companies);
    fields.push(FieldDef::column(
        "origin_lead_id",
        "Created from lead",
        "Создан из лида",
        FieldKind::Record("lead"),
    ));
    EntityDef {
        name: "contact",
        acl: Entity::Contact,
        table: "contacts",
        resource: "/api/contacts",
        fields,
        stage_field: None,
        search_fields: &["first_name", "middle_name", "last_name", "phones", "emails"],
        title_fields: &["first_name", "last_name"],
        default_sort: "-id",
        hooks: super::hooks::CONTACT,
    }
}

/// A company: an organisation the firm deals with.
pub fn company() -> EntityDef {
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
        FieldDef::column("revenue", "Annual revenue", "Годовой оборот", FieldKind::Decimal(2)),
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
        search_fields: &["title", "phones", "emails", "websites"],
        title_fields: &["title"],
        default_sort: "-id",
        hooks: &[],
    }
}

/// The table of entity `name` (for references), if it is a record entity.
pub fn table_of(name: &str) -> Option<&'static str> {
    match name {
        "lead" => Some("leads"),
        "contact" => Some("contacts"),
        "company" => Some("companies"),
        _ => None,
    }
}

/// The entity's field definitions as API JSON (`GET /api/<entity>/fields`), for forms, list
/// columns and filter builders.
pub fn describe(def: &EntityDef) -> serde_json::Value {
    use super::fields::Comparable;
    let fields: Vec<serde_json::Value> = def
        .fields
        .iter()
        .map(|f| {
            let mut out = json!({
                "name": f.name,
                "path": f.path(),
                "label": {"en": f.label.0, "ru": f.label.1},
                "type": f.kind.code(),
                "required": f.required,
                "multiple": f.multiple,
                "custom": f.is_custom(),
                "show_in_list": f.show_in_list,
                "filterable": f.comparable() != Comparable::No,
                "sortable": matches!(f.comparable(), Comparable::Text | Comparable::Ordered | Comparable::Equality),
            });
            match &f.kind {
                FieldKind::Enumeration(Options::Dictionary(kind)) => out["dictionary"] = json!(kind),
                FieldKind::Enumeration(Options::Own(options)) => out["options"] = json!(options),
                FieldKind::Record(entity) => out["record_entity"] = json!(entity),
                _ => {}
            }
            out
        })
        .collect();
    json!({ "entity": def.name, "stage_field": def.stage_field, "default_sort": def.default_sort, "fields": fields })
}
