//! The `/api/contacts` component: contacts (people the firm deals with).
//!
//! Everything is the generic record engine (`crm_core::records`) behind the shared HTTP shape
//! of a record entity (`crm_spin_adapter::records`): list, create, read, change, delete,
//! field definitions, bulk actions, timeline and merge. What is special about the entity is
//! data in its definition (`crm_core::records::entity`), not code here.

/// The Spin entry point. `#[http_component]` expands to wit-bindgen's export glue, which needs
/// `unsafe`; the allowance is scoped to this module.
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{Request, Response};

    /// Entry point for `/api/contacts/...`.
    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        crm_spin_adapter::records::serve(&request, "contact")
    }
}
