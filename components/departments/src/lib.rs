//! The `/api/departments` component: the firm's structure, a tree of departments with heads and department roles.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::departments` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::departments;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/departments",
    filters: &["parent_id"],
    list: departments::list,
    get: departments::get,
    create: departments::create,
    update: departments::update,
    delete: departments::delete,
};

crm_spin_adapter::component!(COLLECTION);
