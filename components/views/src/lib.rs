//! The `/api/views` component: saved list views (a list query and columns per entity), the
//! caller's own and the shared ones. A plain collection over `crm_core::records::views`.

use crm_core::records::views;
use crm_spin_adapter::crud::Crud;

const COLLECTION: Crud = Crud {
    resource: "/api/views",
    filters: views::FILTERS,
    list: views::list,
    get: views::get,
    create: views::create,
    update: views::update,
    delete: views::delete,
};

crm_spin_adapter::component!(COLLECTION);
