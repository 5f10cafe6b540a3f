//! The `/api/roles` component: roles and their permission matrices (entity x action -> level, plus stage rules).
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::roles` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::roles;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/roles",
    filters: &["code"],
    list: roles::list,
    get: roles::get,
    create: roles::create,
    update: roles::update,
    delete: roles::delete,
};

crm_spin_adapter::component!(COLLECTION);
