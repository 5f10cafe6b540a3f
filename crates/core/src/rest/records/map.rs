//! Bitrix24's field names of each record entity as data: which engine field each one is and
//! how its value is converted ([`Conv`]). One table per entity, built from shared groups
//! (a person's names, the address parts, the contact lists, ownership, bookkeeping); what
//! differs between entities is only which groups and lines their table has.
//!
//! A name not in an entity's table is ignored on write and absent on read, as Bitrix24 does
//! with fields it does not know. Custom fields are `UF_CRM_<CODE>` ([`custom_name`]).

/// How a Bitrix24 field's value becomes an engine value and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// By the engine field's type: text, integer, decimal (`"1500.00"`), `Y`/`N`, dates and
    /// times with the firm's offset, codes, ids as strings, the contact lists as
    /// `[{ID, VALUE, VALUE_TYPE, TYPE_ID}]`.
    Auto,
    /// A code translated through `(Bitrix24, ours)` pairs (the first pair that matches wins
    /// each way; `""` on our side is no value); a code in no pair passes as it is.
    Codes(&'static [(&'static str, &'static str)]),
    /// One part (`street`, `city`...) of the address field (of its first address when the
    /// field holds several).
    AddressPart(&'static str),
    /// The first id of the list field (a deal's `CONTACT_ID`); setting it puts the id first.
    FirstOf,
    /// The deal's pipeline: Bitrix24's category `0` is our default pipeline, others their id.
    Category,
    /// Bookkeeping every record has, read-only: `id`, `created_at`/`updated_at` (times),
    /// `created_by`/`updated_by` (users).
    Meta,
    /// Whether the list field has any item (`Y`/`N`), read-only.
    Has,
    /// The entity type id (1 lead, 2 deal, 3 contact, 4 company) of the first binding.
    OwnerType,
    /// The record id of the first binding.
    OwnerId,
}

/// One Bitrix24 field: its name, the engine field (or bookkeeping column) and the conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    /// Bitrix24's name (`TITLE`).
    pub name: &'static str,
    /// Our field (`title`).
    pub ours: &'static str,
    /// How values convert.
    pub conv: Conv,
}

/// An entity's REST face: the engine entity and its Bitrix24 fields, in the order `get` and
/// `fields` show them.
#[derive(Debug)]
pub struct EntityMap {
    /// The record engine's entity (`lead`), also the method prefix's noun (`crm.lead.*`).
    pub entity: &'static str,
    /// Groups of fields, in order.
    pub groups: &'static [&'static [Mapped]],
    /// The `crm.status` entity id of the engine's stage field when it is no dictionary (a
    /// deal's stages are its pipeline's): `fields` shows it as that status type.
    pub stage_status: Option<&'static str>,
}

impl EntityMap {
    /// Every mapped field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static Mapped> {
        self.groups.iter().flat_map(|group| group.iter())
    }

    /// The field named `name` (Bitrix24's names are upper case; any case is accepted).
    pub fn field(&self, name: &str) -> Option<&'static Mapped> {
        self.fields().find(|m| m.name.eq_ignore_ascii_case(name))
    }
}

const fn auto(name: &'static str, ours: &'static str) -> Mapped {
    Mapped {
        name,
        ours,
        conv: Conv::Auto,
    }
}

const fn conv(name: &'static str, ours: &'static str, conv: Conv) -> Mapped {
    Mapped { name, ours, conv }
}

/// The entity type ids of Bitrix24's CRM (`OWNER_TYPE_ID`, `ENTITY_TYPE_ID`) and our entities.
pub const ENTITY_TYPES: &[(i64, &str)] = &[(1, "lead"), (2, "deal"), (3, "contact"), (4, "company")];

/// Bitrix24's `VALUE_TYPE` words ours lack, and what we keep them as (a word in neither is
/// lower-cased, and `other` when the list kind does not know it).
pub const VALUE_TYPE_ALIASES: &[(&str, &str)] = &[("MAILING", "newsletter")];

const META: &[Mapped] = &[
    conv("DATE_CREATE", "created_at", Conv::Meta),
    conv("DATE_MODIFY", "updated_at", Conv::Meta),
    conv("CREATED_BY_ID", "created_by", Conv::Meta),
    conv("MODIFY_BY_ID", "updated_by", Conv::Meta),
];

const ID: &[Mapped] = &[conv("ID", "id", Conv::Meta)];

const OWNERSHIP: &[Mapped] = &[auto("ASSIGNED_BY_ID", "responsible_id"), auto("OPENED", "opened")];

const PERSON: &[Mapped] = &[
    auto("HONORIFIC", "honorific"),
    auto("NAME", "first_name"),
    auto("SECOND_NAME", "middle_name"),
    auto("LAST_NAME", "last_name"),
    auto("BIRTHDATE", "birthdate"),
    auto("POST", "post"),
];

const SOURCE: &[Mapped] = &[
    auto("SOURCE_ID", "source"),
    auto("SOURCE_DESCRIPTION", "source_description"),
];

const COMMENTS: &[Mapped] = &[auto("COMMENTS", "comments")];

const CHANNELS: &[Mapped] = &[
    conv("HAS_PHONE", "phones", Conv::Has),
    conv("HAS_EMAIL", "emails", Conv::Has),
    auto("PHONE", "phones"),
    auto("EMAIL", "emails"),
    auto("WEB", "websites"),
    auto("IM", "messengers"),
];

const ADDRESS: &[Mapped] = &[
    conv("ADDRESS", "address", Conv::AddressPart("street")),
    conv("ADDRESS_CITY", "address", Conv::AddressPart("city")),
    conv("ADDRESS_POSTAL_CODE", "address", Conv::AddressPart("postal_code")),
    conv("ADDRESS_PROVINCE", "address", Conv::AddressPart("region")),
    conv("ADDRESS_COUNTRY", "address", Conv::AddressPart("country")),
];

const COMPANY_ADDRESS: &[Mapped] = &[
    conv("ADDRESS", "addresses", Conv::AddressPart("street")),
    conv("ADDRESS_CITY", "addresses", Conv::AddressPart("city")),
    conv("ADDRESS_POSTAL_CODE", "addresses", Conv::AddressPart("postal_code")),
    conv("ADDRESS_PROVINCE", "addresses", Conv::AddressPart("region")),
    conv("ADDRESS_COUNTRY", "addresses", Conv::AddressPart("country")),
];

const UTM: &[Mapped] = &[
    auto("UTM_SOURCE", "utm_source"),
    auto("UTM_MEDIUM", "utm_medium"),
    auto("UTM_CAMPAIGN", "utm_campaign"),
    auto("UTM_CONTENT", "utm_content"),
    auto("UTM_TERM", "utm_term"),
];

const ORIGIN_LEAD: &[Mapped] = &[auto("LEAD_ID", "origin_lead_id")];

const LEAD_OWN: &[Mapped] = &[
    auto("TITLE", "title"),
    auto("COMPANY_TITLE", "company_title"),
    auto("STATUS_ID", "status"),
    auto("OPPORTUNITY", "amount"),
    auto("CURRENCY_ID", "currency"),
];

/// `crm.lead.*`.
pub static LEAD: EntityMap = EntityMap {
    entity: "lead",
    groups: &[
        ID, LEAD_OWN, PERSON, SOURCE, OWNERSHIP, COMMENTS, ADDRESS, UTM, META, CHANNELS,
    ],
    stage_status: None,
};

const CONTACT_OWN: &[Mapped] = &[
    auto("TYPE_ID", "type"),
    conv("COMPANY_ID", "company_ids", Conv::FirstOf),
    auto("COMPANY_IDS", "company_ids"),
];

/// `crm.contact.*`.
pub static CONTACT: EntityMap = EntityMap {
    entity: "contact",
    groups: &[
        ID,
        PERSON,
        CONTACT_OWN,
        SOURCE,
        OWNERSHIP,
        COMMENTS,
        ADDRESS,
        ORIGIN_LEAD,
        META,
        CHANNELS,
    ],
    stage_status: None,
};

const COMPANY_OWN: &[Mapped] = &[
    auto("TITLE", "title"),
    auto("COMPANY_TYPE", "type"),
    auto("INDUSTRY", "industry"),
    auto("EMPLOYEES", "employees"),
    auto("REVENUE", "revenue"),
    auto("CURRENCY_ID", "currency"),
];

/// `crm.company.*`.
pub static COMPANY: EntityMap = EntityMap {
    entity: "company",
    groups: &[
        ID,
        COMPANY_OWN,
        OWNERSHIP,
        COMMENTS,
        COMPANY_ADDRESS,
        ORIGIN_LEAD,
        META,
        CHANNELS,
    ],
    stage_status: None,
};

const DEAL_OWN: &[Mapped] = &[
    auto("TITLE", "title"),
    auto("TYPE_ID", "type"),
    conv("CATEGORY_ID", "pipeline_id", Conv::Category),
    auto("STAGE_ID", "stage"),
    auto("PROBABILITY", "probability"),
    auto("OPPORTUNITY", "amount"),
    auto("CURRENCY_ID", "currency"),
    auto("COMPANY_ID", "company_id"),
    conv("CONTACT_ID", "contact_ids", Conv::FirstOf),
    auto("CONTACT_IDS", "contact_ids"),
    auto("BEGINDATE", "begin_date"),
    auto("CLOSEDATE", "close_date"),
    auto("CLOSED", "closed"),
];

/// `crm.deal.*`.
pub static DEAL: EntityMap = EntityMap {
    entity: "deal",
    groups: &[ID, DEAL_OWN, SOURCE, OWNERSHIP, COMMENTS, ORIGIN_LEAD, META],
    stage_status: Some("DEAL_STAGE"),
};

/// Bitrix24's catalog measure ids (a default portal's `catalog_measure` rows) and our units.
const MEASURES: &[(&str, &str)] = &[("5", "PCS"), ("1", "M"), ("2", "L"), ("3", "G"), ("4", "KG")];

/// `crm.product.*`.
pub static PRODUCT: EntityMap = EntityMap {
    entity: "product",
    groups: &[
        ID,
        &[
            auto("NAME", "name"),
            auto("PRICE", "price"),
            auto("CURRENCY_ID", "currency"),
            auto("ACTIVE", "active"),
            auto("SORT", "sort"),
            auto("DESCRIPTION", "description"),
            auto("SECTION_ID", "section_id"),
            conv("MEASURE", "unit", Conv::Codes(MEASURES)),
            auto("VAT_INCLUDED", "vat_included"),
            conv("DATE_CREATE", "created_at", Conv::Meta),
            conv("TIMESTAMP_X", "updated_at", Conv::Meta),
            conv("CREATED_BY", "created_by", Conv::Meta),
            conv("MODIFIED_BY", "updated_by", Conv::Meta),
        ],
    ],
    stage_status: None,
};

/// Activity types: 1 meeting, 2 call, 3 task, 4 e-mail; 6 (a provider's, such as a to-do) is
/// kept as a task.
const ACTIVITY_TYPES: &[(&str, &str)] = &[
    ("1", "MEETING"),
    ("2", "CALL"),
    ("3", "TASK"),
    ("4", "EMAIL"),
    ("6", "TASK"),
];

const DIRECTIONS: &[(&str, &str)] = &[("1", "INCOMING"), ("2", "OUTGOING"), ("0", "")];

const PRIORITIES: &[(&str, &str)] = &[("1", "LOW"), ("2", "NORMAL"), ("3", "HIGH")];

/// `crm.activity.*`.
pub static ACTIVITY: EntityMap = EntityMap {
    entity: "activity",
    groups: &[
        ID,
        &[
            conv("OWNER_TYPE_ID", "bindings", Conv::OwnerType),
            conv("OWNER_ID", "bindings", Conv::OwnerId),
            conv("TYPE_ID", "type", Conv::Codes(ACTIVITY_TYPES)),
            auto("SUBJECT", "subject"),
            auto("DESCRIPTION", "description"),
            conv("DIRECTION", "direction", Conv::Codes(DIRECTIONS)),
            conv("PRIORITY", "priority", Conv::Codes(PRIORITIES)),
            auto("START_TIME", "start_at"),
            auto("END_TIME", "end_at"),
            auto("DEADLINE", "deadline"),
            auto("COMPLETED", "completed"),
            auto("RESPONSIBLE_ID", "responsible_id"),
            conv("CREATED", "created_at", Conv::Meta),
            conv("LAST_UPDATED", "updated_at", Conv::Meta),
            conv("AUTHOR_ID", "created_by", Conv::Meta),
            conv("EDITOR_ID", "updated_by", Conv::Meta),
        ],
    ],
    stage_status: None,
};

/// Bitrix24's name of our custom field `code` (`uf_size` -> `UF_CRM_SIZE`; a code that
/// already says `crm` keeps it once: `uf_crm_size` -> `UF_CRM_SIZE`).
pub fn custom_name(code: &str) -> String {
    let rest = code.strip_prefix("uf_").unwrap_or(code);
    let rest = rest.strip_prefix("crm_").unwrap_or(rest);
    format!("UF_CRM_{}", rest.to_ascii_uppercase())
}

/// Record references as Bitrix24's field types, for `fields`' `type`.
pub const RECORD_TYPES: &[(&str, &str)] = &[
    ("lead", "crm_lead"),
    ("deal", "crm_deal"),
    ("contact", "crm_contact"),
    ("company", "crm_company"),
];

/// Dictionary kinds as Bitrix24's `crm.status` entity ids, for `fields`' `statusType`.
pub const STATUS_TYPES: &[(&str, &str)] = &[
    ("lead_status", "STATUS"),
    ("source", "SOURCE"),
    ("contact_type", "CONTACT_TYPE"),
    ("company_type", "COMPANY_TYPE"),
    ("industry", "INDUSTRY"),
    ("employee_range", "EMPLOYEES"),
    ("deal_type", "DEAL_TYPE"),
    ("honorific", "HONORIFIC"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::EntityDef;

    /// Every mapped field names an engine field of its entity (or a bookkeeping column), and
    /// no name appears twice in a table.
    #[test]
    fn every_mapped_field_exists_and_names_are_unique() {
        for map in [&LEAD, &CONTACT, &COMPANY, &DEAL, &PRODUCT, &ACTIVITY] {
            let def = EntityDef::builtin(map.entity).expect("an entity");
            let mut names = Vec::new();
            for mapped in map.fields() {
                assert!(!names.contains(&mapped.name), "{} twice in {}", mapped.name, map.entity);
                names.push(mapped.name);
                if mapped.conv != Conv::Meta {
                    assert!(
                        def.field(mapped.ours).is_some(),
                        "{}.{} has no field {}",
                        map.entity,
                        mapped.name,
                        mapped.ours
                    );
                }
            }
        }
    }

    #[test]
    fn custom_names_are_uf_crm_and_upper_case() {
        assert_eq!(custom_name("uf_size"), "UF_CRM_SIZE");
        assert_eq!(custom_name("uf_crm_budget_2"), "UF_CRM_BUDGET_2");
    }
}
