//! What a report can filter, group and measure per entity, built from the record engine's
//! [`EntityDef`] (custom fields included) plus a few derived fields the designer needs (the
//! responsible user's department, a stage's semantic, a deal's primary contact, the
//! probability-weighted amount). Line items and stage history are read through their deal:
//! their own fields plus the deal's as `deal.<field>`, under the deal's ACL.
//!
//! Every SQL expression here comes from definitions (aliases: `t` the record or the deal, `li`
//! a line item, `h` a stage-history row), never from input.

use serde_json::{Value as Json, json};

use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;
use crate::records::EntityDef;
use crate::records::entity::BoardColumns;
use crate::records::fields::{FieldDef, FieldKind, Options, Storage};
use crate::records::values::Numeric;

/// The report entities, as the designer names them.
pub const ENTITIES: &[&str] = &[
    "leads",
    "contacts",
    "companies",
    "deals",
    "activities",
    "line_items",
    "stage_history",
];

/// The date buckets.
pub const BUCKETS: &[&str] = &["day", "week", "month", "quarter", "year"];

/// What a field holds, as reports treat it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Text (groups by value).
    Text,
    /// A number scaled by `10^scale`.
    Number(u32),
    /// Money scaled by `10^scale`, in the currency the SQL expression `currency` gives.
    Money(u32, String),
    /// A `YYYY-MM-DD` text column.
    Date,
    /// Unix seconds.
    Datetime,
    /// 0 / 1.
    Boolean,
    /// A user id.
    User,
    /// A department id.
    Department,
    /// A pipeline id.
    Pipeline,
    /// A pipeline stage code.
    Stage,
    /// A stage or status semantic, from this source of columns.
    Semantic(BoardColumns),
    /// A dictionary entry code of this kind.
    Dictionary(String),
    /// A code of a field's own options.
    Options,
    /// A currency code.
    Currency,
    /// The id of a record of this entity.
    Record(&'static str),
}

impl Kind {
    /// The type the designer and the result's columns name.
    pub fn code(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number(_) => "number",
            Kind::Money(..) => "money",
            Kind::Date => "date",
            Kind::Datetime => "datetime",
            Kind::Boolean => "boolean",
            Kind::User => "user",
            Kind::Department => "department",
            Kind::Pipeline => "pipeline",
            Kind::Stage => "stage",
            Kind::Semantic(_) => "semantic",
            Kind::Dictionary(_) | Kind::Options => "enumeration",
            Kind::Currency => "currency",
            Kind::Record(_) => "record",
        }
    }

    /// Whether sum, avg, min and max apply.
    pub fn numeric(&self) -> bool {
        matches!(self, Kind::Number(_) | Kind::Money(..))
    }

    /// Whether the field is a date or time (bucketed when grouped).
    pub fn dated(&self) -> bool {
        matches!(self, Kind::Date | Kind::Datetime)
    }
}

/// How a field is filtered.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterBy {
    /// By the record list's own parser, as `filter[<name>]` on the entity `t` is (the name the
    /// list knows).
    List(String),
    /// By the report's own equality/order conditions on the expression.
    Own,
    /// By the report's own conditions on the primary record of the link the list knows by this
    /// name, which the list filters as `filter[<name>][primary]` (a deal's primary contact).
    Primary(String),
    /// Not at all.
    No,
}

/// One field of a report entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name definitions use (`amount`, `custom.uf_region`, `deal.stage`).
    pub name: String,
    /// English and Russian labels.
    pub label: (String, String),
    /// What it holds.
    pub kind: Kind,
    /// Its SQL expression.
    pub expr: String,
    /// How it is filtered.
    pub filter: FilterBy,
    /// Whether it may be a group.
    pub group: bool,
}

impl Field {
    /// The label in `lang` (`en` / `ru`).
    pub fn label(&self, lang: &str) -> &str {
        if lang == "ru" { &self.label.1 } else { &self.label.0 }
    }
}

/// A report entity: where its rows come from and what they offer.
#[derive(Debug, Clone)]
pub struct Source {
    /// The designer's name (`deals`).
    pub entity: &'static str,
    /// The record entity whose ACL (and list filters) apply, as alias `t`.
    pub def: EntityDef,
    /// The `FROM` clause.
    pub from: String,
    /// The fields.
    pub fields: Vec<Field>,
    /// Whether the records list can show the rows behind a group (`/api/<entity>?<drill>`).
    pub drill: bool,
}

impl Source {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The record entity behind a report entity name.
fn record_entity(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "leads" => "lead",
        "contacts" => "contact",
        "companies" => "company",
        "deals" | "line_items" | "stage_history" => "deal",
        "activities" => "activity",
        _ => return None,
    })
}

/// The source of report entity `entity` as the caller's request found the definitions; `None`
/// for an unknown entity.
pub fn source(db: &dyn Db, caller: &Caller, entity: &str) -> Result<Option<Source>, CoreError> {
    let (Some(name), Some(entity)) = (record_entity(entity), ENTITIES.iter().find(|e| **e == entity)) else {
        return Ok(None);
    };
    let def = EntityDef::load_for(db, caller, name)?;
    let record_fields = record_fields(&def);
    let (from, fields, drill) = match *entity {
        "line_items" => {
            let mut fields = line_item_fields();
            fields.extend(record_fields.into_iter().map(|f| prefixed(f, "deal")));
            (
                "record_products li JOIN deals t ON t.id = li.record_id AND li.entity = 'deal'".to_string(),
                fields,
                false,
            )
        }
        "stage_history" => {
            let mut fields = stage_history_fields();
            fields.extend(record_fields.into_iter().map(|f| prefixed(f, "deal")));
            (
                "deal_stage_history h JOIN deals t ON t.id = h.deal_id".to_string(),
                fields,
                false,
            )
        }
        _ => (format!("{} t", def.table), record_fields, true),
    };
    Ok(Some(Source {
        entity,
        def,
        from,
        fields,
        drill,
    }))
}

/// A deal's field as a line item's or stage-history row's `deal.<name>`.
fn prefixed(mut field: Field, prefix: &str) -> Field {
    field.name = format!("{prefix}.{}", field.name);
    field.label = (format!("Deal: {}", field.label.0), format!("Сделка: {}", field.label.1));
    field
}

fn label(en: &str, ru: &str) -> (String, String) {
    (en.to_string(), ru.to_string())
}

fn own(name: &str, en: &str, ru: &str, kind: Kind, expr: &str, group: bool) -> Field {
    Field {
        name: name.to_string(),
        label: label(en, ru),
        kind,
        expr: expr.to_string(),
        filter: FilterBy::Own,
        group,
    }
}

/// The income of a line item: price after discount times quantity (x1000), rounded half up
/// per item, in the deal's currency: `q div 1000 * p + (q mod 1000 * p + 500) div 1000`, so no
/// product passes `i64` for values within the bounds.
pub const LINE_INCOME: &str = "(li.quantity / 1000 * (li.price - li.discount_sum) \
     + (li.quantity % 1000 * (li.price - li.discount_sum) + 500) / 1000)";

fn line_item_fields() -> Vec<Field> {
    vec![
        own(
            "product_id",
            "Product",
            "Товар",
            Kind::Record("product"),
            "li.product_id",
            true,
        ),
        own("name", "Item name", "Название позиции", Kind::Text, "li.name", true),
        own(
            "quantity",
            "Quantity",
            "Количество",
            Kind::Number(3),
            "li.quantity",
            false,
        ),
        own(
            "price",
            "Price",
            "Цена",
            Kind::Money(2, "t.currency".into()),
            "li.price",
            false,
        ),
        own(
            "income",
            "Income",
            "Доход",
            Kind::Money(2, "t.currency".into()),
            LINE_INCOME,
            false,
        ),
    ]
}

fn stage_history_fields() -> Vec<Field> {
    vec![
        own(
            "to_stage",
            "Stage moved to",
            "Новая стадия",
            Kind::Stage,
            "h.to_stage",
            true,
        ),
        own(
            "from_stage",
            "Stage moved from",
            "Прежняя стадия",
            Kind::Stage,
            "h.from_stage",
            true,
        ),
        own(
            "pipeline_id",
            "Pipeline",
            "Воронка",
            Kind::Pipeline,
            "h.pipeline_id",
            true,
        ),
        own("actor_id", "Moved by", "Кто перевёл", Kind::User, "h.actor_id", true),
        own("at", "Moved at", "Когда", Kind::Datetime, "h.at", true),
    ]
}

/// The record's own fields (alias `t`), its bookkeeping columns and the derived ones.
fn record_fields(def: &EntityDef) -> Vec<Field> {
    let alias = "t";
    let has_currency = def.field("currency").is_some_and(|f| f.kind == FieldKind::Currency);
    let pipeline_board = def.traits.board_columns == Some(BoardColumns::PipelineStages);
    let mut out = Vec::new();
    for f in &def.fields {
        let Some(kind) = kind_of(def, f, has_currency, pipeline_board) else {
            continue;
        };
        let single = !f.multiple && !matches!(f.storage, Storage::Link(_));
        let group = single
            && !matches!(f.kind, FieldKind::Text)
            && matches!(
                kind,
                Kind::Text
                    | Kind::Number(0)
                    | Kind::Date
                    | Kind::Datetime
                    | Kind::Boolean
                    | Kind::User
                    | Kind::Pipeline
                    | Kind::Stage
                    | Kind::Dictionary(_)
                    | Kind::Options
                    | Kind::Currency
                    | Kind::Record(_)
            );
        out.push(Field {
            name: f.path(),
            label: f.label.clone(),
            kind: if single { kind } else { Kind::Text },
            expr: f.sql_expression(),
            filter: FilterBy::List(f.path()),
            group,
        });
    }
    for (name, en, ru, kind) in [
        ("created_at", "Created", "Создан", Kind::Datetime),
        ("updated_at", "Changed", "Изменён", Kind::Datetime),
        ("created_by", "Created by", "Кем создан", Kind::User),
        ("updated_by", "Changed by", "Кем изменён", Kind::User),
    ] {
        out.push(Field {
            name: name.into(),
            label: label(en, ru),
            kind,
            expr: format!("{alias}.{name}"),
            filter: FilterBy::List(name.into()),
            group: true,
        });
    }
    if def.owned {
        out.push(own(
            "department_id",
            "Department",
            "Подразделение",
            Kind::Department,
            &format!("(SELECT department_id FROM users WHERE id = {alias}.responsible_id)"),
            true,
        ));
    }
    if let (Some(columns), Some((_, column))) = (def.traits.board_columns, def.stage_field) {
        let expr = match columns {
            BoardColumns::PipelineStages => format!("(SELECT semantic FROM pipeline_stages WHERE code = {column})"),
            BoardColumns::Dictionary(kind) => {
                format!("(SELECT semantic FROM dictionary_entries WHERE kind = '{kind}' AND code = {column})")
            }
        };
        out.push(own(
            "stage_semantic",
            "Stage group (in progress, won, lost)",
            "Группа стадий (в работе, успех, провал)",
            Kind::Semantic(columns),
            &expr,
            true,
        ));
    }
    for f in &def.fields {
        if let (Storage::Link(link), FieldKind::Record(entity)) = (&f.storage, &f.kind)
            && let Some(primary) = link.primary
        {
            let name = f
                .name
                .strip_suffix("_ids")
                .map(|n| format!("{n}_id"))
                .unwrap_or_default();
            if name.is_empty() || def.field(&name).is_some() {
                continue;
            }
            out.push(Field {
                name,
                label: (format!("{} (primary)", f.label.0), format!("{} (основной)", f.label.1)),
                kind: Kind::Record(entity),
                expr: match link.kept {
                    Some(column) => format!("{alias}.{column}"),
                    None => format!(
                        "(SELECT {} FROM {} WHERE {} = {alias}.id AND {primary} = 1)",
                        link.other, link.table, link.this
                    ),
                },
                filter: FilterBy::Primary(f.name.to_string()),
                group: true,
            });
        }
    }
    if has_currency
        && def
            .field("amount")
            .is_some_and(|f| matches!(f.kind, FieldKind::Decimal(n) if n == Numeric::MONEY))
        && def.field("probability").is_some_and(|f| f.kind == FieldKind::Integer)
    {
        out.push(Field {
            name: "weighted_amount".into(),
            label: label("Amount weighted by probability", "Сумма с учётом вероятности"),
            kind: Kind::Money(2, format!("{alias}.currency")),
            expr: format!("(({alias}.amount * COALESCE({alias}.probability, 0) + 50) / 100)"),
            filter: FilterBy::No,
            group: false,
        });
    }
    out
}

/// The report kind of a record field, `None` for what reports cannot use (addresses...).
fn kind_of(def: &EntityDef, f: &FieldDef, has_currency: bool, pipeline_board: bool) -> Option<Kind> {
    Some(match &f.kind {
        FieldKind::String | FieldKind::Text => {
            if pipeline_board && def.stage() == Some(f.name.as_str()) {
                Kind::Stage
            } else {
                Kind::Text
            }
        }
        FieldKind::Integer if pipeline_board && f.name == "pipeline_id" => Kind::Pipeline,
        FieldKind::Integer => Kind::Number(0),
        FieldKind::Decimal(n) if has_currency && *n == Numeric::MONEY && !f.is_custom() => {
            Kind::Money(n.scale, "t.currency".into())
        }
        FieldKind::Decimal(n) => Kind::Number(n.scale),
        FieldKind::Money(n) => Kind::Money(n.scale, format!("json_extract(t.custom, '$.{}.currency')", f.name)),
        FieldKind::Boolean => Kind::Boolean,
        FieldKind::Date => Kind::Date,
        FieldKind::Datetime => Kind::Datetime,
        FieldKind::Enumeration(Options::Dictionary(kind)) => Kind::Dictionary(kind.clone()),
        FieldKind::Enumeration(Options::Own(_)) => Kind::Options,
        FieldKind::Currency => Kind::Currency,
        FieldKind::User => Kind::User,
        FieldKind::Record(entity) => Kind::Record(entity),
        FieldKind::Emails | FieldKind::Phones | FieldKind::Websites | FieldKind::Messengers | FieldKind::Bindings => {
            Kind::Text
        }
        FieldKind::Address | FieldKind::Requisites => return None,
    })
}

/// `GET /api/reports/fields?entity=`: what the designer offers for the entity, in `lang`.
pub fn describe(db: &dyn Db, caller: &Caller, entity: &str, lang: &str) -> Result<Json, CoreError> {
    let Some(source) = source(db, caller, entity)? else {
        let mut errors = crate::error::FieldErrors::new();
        errors.push(
            "entity",
            "unknown_entity",
            format!("expected one of {}", ENTITIES.join(", ")),
        );
        return Err(CoreError::Validation(errors));
    };
    let fields: Vec<Json> = source
        .fields
        .iter()
        .map(|f| {
            let mut out = json!({
                "name": f.name,
                "label": f.label(lang),
                "type": f.kind.code(),
                "group": f.group,
                "measure": if f.kind.numeric() { json!(["sum", "avg", "min", "max"]) } else { json!([]) },
                "filter": f.filter != FilterBy::No,
            });
            if f.group && f.kind.dated() {
                out["buckets"] = json!(BUCKETS);
            }
            if let Kind::Money(_, _) = f.kind {
                out["currency"] = json!("base");
            }
            match &f.kind {
                Kind::Dictionary(kind) => out["dictionary"] = json!(kind),
                Kind::Record(entity) => out["record_entity"] = json!(entity),
                _ => {}
            }
            out
        })
        .collect();
    Ok(json!({"entity": source.entity, "fields": fields, "entities": ENTITIES}))
}
