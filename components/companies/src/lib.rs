//! The `/api/companies` component: companies (organisations the firm deals with).
//!
//! Everything is the generic record engine (`crm_core::records`) behind the shared HTTP shape
//! of a record entity (`crm_spin_adapter::records`): list, create, read, change, delete,
//! field definitions, bulk actions, timeline and merge. What is special about the entity is
//! data in its definition (`crm_core::records::entity`), not code here.

crm_spin_adapter::component!(crm_spin_adapter::records::routes("company"));
