//! The `/api/users` component: user accounts. `DELETE` deactivates (users stay as the owners of their records); an inactive user cannot log in and their tokens stop working at once.
//!
//! A plain collection: [`crm_spin_adapter::crud`] gives it the HTTP shape every resource
//! shares, and `crm_core::directory::users` holds the rules. Needs the `settings` permission
//! (read to list and read, add, update, delete).

use crm_core::directory::users;
use crm_spin_adapter::crud::Crud;
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx};

const COLLECTION: Crud = Crud {
    resource: "/api/users",
    filters: &["active", "department_id", "email"],
    list: users::list,
    get: users::get,
    create: users::create,
    update: users::update,
    delete: users::deactivate,
};

crm_spin_adapter::component!(COLLECTION.routes().get("/directory", directory));

/// `GET /api/users/directory`: the active users' `id`, `name` and `department_id`, for anyone
/// signed in (so people can pick an assignee by name without the `settings` permission).
fn directory(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(200, &users::directory(&me.db, &me.caller)?))
}
