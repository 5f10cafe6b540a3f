//! A product: an item of the firm's catalog (`/api/products`), with a price in a currency, a
//! VAT rate and a unit, filed in a section of the catalog tree (`crate::catalog`). Products
//! are not owned (no responsible user): the `product` permission decides at the scope level.
//!
//! The price is money (0 to 9 999 999 999 999.99) and the VAT rate a percent (0 to 100): the
//! bounds are the fields' own ([`Numeric`]), refused while parsing. The entity's hooks (before
//! create and update): a price without a currency is in the base currency; the section must
//! exist (422 naming the field); a SKU names one product, whatever its case (409).

use serde_json::json;

use crate::acl::Entity;
use crate::db::Value;
use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::entity::Traits;
use crate::records::fields::{FieldDef, FieldKind, Options};
use crate::records::hooks::{Hook, HookContext, HookPoint};
use crate::records::values::Numeric;

/// The units a product is measured in (Bitrix24's catalog units, as codes).
pub const UNITS: &[&str] = &["PCS", "KG", "G", "L", "M", "M2", "M3", "H", "DAY", "SERVICE", "SET"];

/// A product of the catalog.
pub fn def() -> EntityDef {
    let units = FieldKind::Enumeration(Options::Own(UNITS.iter().map(|u| u.to_string()).collect()));
    let mut sku = FieldDef::column("sku", "SKU", "Артикул", FieldKind::String).listed();
    sku.max = 64;
    let fields = vec![
        FieldDef::column("name", "Product name", "Название товара", FieldKind::String)
            .required()
            .listed(),
        sku,
        FieldDef::column("description", "Description", "Описание", FieldKind::Text),
        FieldDef::column("active", "Active", "Активен", FieldKind::Boolean)
            .required()
            .default_value(json!(true))
            .listed(),
        FieldDef::column("price", "Price", "Цена", FieldKind::Decimal(Numeric::MONEY)).listed(),
        FieldDef::column("currency", "Currency", "Валюта", FieldKind::Currency).listed(),
        FieldDef::column(
            "vat_rate",
            "VAT rate, %",
            "Ставка НДС, %",
            FieldKind::Decimal(Numeric::PERCENT),
        ),
        FieldDef::column("vat_included", "VAT included", "НДС включён в цену", FieldKind::Boolean)
            .required()
            .default_value(json!(false)),
        FieldDef::column("unit", "Unit", "Единица измерения", units).default_value(json!("PCS")),
        FieldDef::column("section_id", "Section", "Раздел", FieldKind::Integer),
        FieldDef::column("sort", "Sort", "Сортировка", FieldKind::Integer)
            .required()
            .default_value(json!(100)),
    ];
    EntityDef {
        name: "product",
        acl: Entity::Product,
        table: "products",
        resource: "/api/products",
        fields,
        stage_field: None,
        owned: false,
        search_fields: &["name", "sku"],
        title_fields: &["name"],
        default_sort: "sort,name",
        hooks: HOOKS,
        parse: Default::default(),
        traits: Traits::NONE,
    }
}

/// Product hooks: the same rules before a create and before an update.
pub static HOOKS: &[Hook] = &[
    Hook {
        point: HookPoint::BeforeCreate,
        run: product_rules,
    },
    Hook {
        point: HookPoint::BeforeUpdate,
        run: product_rules,
    },
];

fn int(cx: &HookContext, field: &str) -> Option<i64> {
    cx.values.get(field).and_then(Value::as_i64)
}

/// Currency default, the section reference (422), then SKU uniqueness (409).
fn product_rules(cx: &mut HookContext) -> Result<(), CoreError> {
    let has_price = int(cx, "price").is_some();
    let no_currency = cx.values.get("currency").is_none_or(Value::is_null);
    if has_price && no_currency {
        let base = crate::records::dictionaries::base_currency(cx.db)?;
        cx.values.insert("currency".into(), Value::Text(base));
    }
    let mut errors = FieldErrors::new();
    if let Some(section) = int(cx, "section_id") {
        let found = cx
            .db
            .query("SELECT 1 FROM product_sections WHERE id = ?", &[section.into()])?;
        if found.is_empty() {
            errors.push(
                "section_id",
                "not_found",
                format!("no product section with id {section}"),
            );
        }
    }
    errors.into_result()?;
    let sku = cx.values.get("sku").and_then(Value::as_str).map(str::to_owned);
    if let Some(sku) = sku
        && let Some(other) = sku_owner(cx, &sku)?
    {
        return Err(CoreError::Conflict(format!(
            "SKU {sku:?} already belongs to product {other}"
        )));
    }
    Ok(())
}

/// The id of another product whose SKU equals `sku` regardless of case. SQLite's `NOCASE`
/// folds ASCII only (as the unique index does), so the lower, upper and capitalised forms
/// are tried too, which covers Cyrillic SKUs typed in another case.
fn sku_owner(cx: &HookContext, sku: &str) -> Result<Option<i64>, CoreError> {
    let mut capitalised = String::new();
    for (i, c) in sku.chars().enumerate() {
        if i == 0 {
            capitalised.extend(c.to_uppercase());
        } else {
            capitalised.extend(c.to_lowercase());
        }
    }
    let mut forms = vec![sku.to_string(), sku.to_lowercase(), sku.to_uppercase(), capitalised];
    forms.sort();
    forms.dedup();
    let mut params: Vec<Value> = forms.into_iter().map(Value::from).collect();
    let any = vec!["sku = ? COLLATE NOCASE"; params.len()].join(" OR ");
    params.push(cx.id.into());
    let rows = cx.db.query(
        &format!("SELECT id FROM products WHERE ({any}) AND id <> ? LIMIT 1"),
        &params,
    )?;
    Ok(rows.first_i64())
}
