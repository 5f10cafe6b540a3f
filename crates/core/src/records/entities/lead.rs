//! A lead: the first contact with a prospect (`/api/leads`); its status follows the role's per-status rules.

use serde_json::json;

use super::{channels, comments, dictionary, ownership, person};
use crate::acl::Entity;
use crate::db::Value;
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::entity::{BoardColumns, BoardTotals, Traits};
use crate::records::fields::{FieldDef, FieldKind};
use crate::records::hooks::{Hook, HookContext, HookPoint, text};
use crate::records::list::TotalsSource;
use crate::records::values::Numeric;

/// A lead: the first contact with a prospect.
pub fn def() -> EntityDef {
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
        FieldDef::column("amount", "Amount", "Сумма", FieldKind::Decimal(Numeric::MONEY)),
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
        stage_field: Some(("status", "t.status")),
        owned: true,
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
        hooks: HOOKS,
        parse: Default::default(),
        traits: Traits {
            duplicate_search: true,
            board_columns: Some(BoardColumns::Dictionary("lead_status")),
            board_totals: &[BOARD_TOTALS],
            ..Traits::NONE
        },
    }
}

/// The running totals of leads (sql/0014) per status, responsible, `opened` and currency: a
/// board filtered only by those reads a few rows per status instead of every lead.
const BOARD_TOTALS: BoardTotals = BoardTotals {
    source: TotalsSource {
        table: "lead_board_totals",
        count: "SUM(t.n)",
        split: Some(("amount_hi", "amount_lo")),
    },
    filters: &["responsible_id", "opened", "currency"],
    whole_only: false,
};

/// Lead hooks: a lead without a title is named after the person or company.
static HOOKS: &[Hook] = &[
    Hook {
        point: HookPoint::BeforeCreate,
        run: lead_title,
    },
    Hook {
        point: HookPoint::BeforeUpdate,
        run: lead_title,
    },
];

fn lead_title(cx: &mut HookContext) -> Result<(), CoreError> {
    if text(cx.values, "title").is_some() {
        return Ok(());
    }
    let person: Vec<&str> = ["first_name", "last_name"]
        .iter()
        .filter_map(|f| text(cx.values, f))
        .collect();
    let title = if !person.is_empty() {
        person.join(" ")
    } else if let Some(company) = text(cx.values, "company_title") {
        company.to_string()
    } else {
        let mut errors = FieldErrors::new();
        errors.push("title", "required", "a lead needs a title, a name or a company name");
        return errors.into_result();
    };
    cx.values.insert("title".into(), Value::Text(title));
    Ok(())
}
