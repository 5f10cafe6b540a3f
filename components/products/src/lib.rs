//! The `/api/products` component: the product catalog.
//!
//! Everything but the picker is the generic record engine (`crm_core::records`, entity
//! `product`) behind the shared HTTP shape of a record entity (`crm_spin_adapter::records`):
//! list, create, read, change, delete, field definitions, bulk actions, timeline and merge.
//! The entity's own action is `GET /api/products/picker?q=&limit=`: the active products a form
//! offers as line items (`crm_core::catalog::picker`).

use crm_spin_adapter::json_response;
use crm_spin_adapter::records::{self, Record};
use crm_spin_adapter::routes::{Answer, Cx};

crm_spin_adapter::component!(records::routes("product").get("/picker", picker));

/// `GET /api/products/picker?q=&limit=`.
fn picker(cx: &Cx, products: &Record) -> Answer {
    let page = crm_core::catalog::picker(&products.db, &products.caller, &products.def, &cx.query())?;
    Ok(json_response(200, &page))
}
