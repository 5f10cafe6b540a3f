//! The `/api/custom-fields` component: custom field definitions of leads, contacts and
//! companies. Any signed-in user may read them (forms and lists need them); changing them
//! needs the `settings` permission. A plain collection over `crm_core::records::custom`.

use crm_core::records::custom;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/custom-fields",
    filters: custom::FILTERS,
    list: custom::list,
    get: custom::get,
    create: custom::create,
    update: custom::update,
    delete: custom::delete,
};

crm_spin_adapter::component!(COLLECTION);
