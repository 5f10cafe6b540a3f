//! The `/api/product-sections` component: the product catalog's tree of sections.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::catalog` holds the rules (the parent exists and is not below the
//! section, a section with products or sub-sections is not deleted). Needs the `product`
//! permission: read to list and read, add, update, delete to write.

use crm_core::catalog;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/product-sections",
    filters: catalog::FILTERS,
    list: catalog::list,
    get: catalog::get,
    create: catalog::create,
    update: catalog::update,
    delete: catalog::delete,
};

crm_spin_adapter::component!(COLLECTION);
