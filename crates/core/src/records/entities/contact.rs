//! A contact: a person the firm deals with, linked to companies (the first one is the primary).

use super::{channels, comments, dictionary, ownership, person};
use crate::acl::Entity;
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::entity::CONTACT_COMPANIES;
use crate::records::entity::Traits;
use crate::records::fields::{FieldDef, FieldKind, Storage};
use crate::records::hooks::{Hook, HookContext, HookPoint, text};

/// A contact: a person the firm deals with.
pub fn def() -> EntityDef {
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
        owned: true,
        search_fields: &["first_name", "middle_name", "last_name", "phones", "emails"],
        title_fields: &["first_name", "last_name"],
        default_sort: "-id",
        hooks: HOOKS,
        parse: Default::default(),
        traits: Traits {
            link_alias: Some(("company_id", "company_ids")),
            duplicate_search: true,
            ..Traits::NONE
        },
    }
}

/// Contact hooks: a contact needs a first or last name.
static HOOKS: &[Hook] = &[
    Hook {
        point: HookPoint::BeforeCreate,
        run: contact_name,
    },
    Hook {
        point: HookPoint::BeforeUpdate,
        run: contact_name,
    },
];

fn contact_name(cx: &mut HookContext) -> Result<(), CoreError> {
    if text(cx.values, "first_name").is_some() || text(cx.values, "last_name").is_some() {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    errors.push("last_name", "required", "a contact needs a first or a last name");
    errors.into_result()
}
