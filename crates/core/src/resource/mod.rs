//! The resource kit: what every settings resource (product sections, departments, users,
//! roles, pipelines, custom fields, forms, dictionaries, currencies...) is built from.
//!
//! - [`patch`]: reading a JSON merge-patch body key by key ([`Patch`], [`Body`]);
//! - [`changes`]: writing what really changed as one `UPDATE` ([`Changes`]), the `If-Match`
//!   rule ([`check_version`]) and the audit row ([`audit`]);
//! - [`list`]: strict list queries, keyset pages and `WHERE` building ([`ListQuery`],
//!   [`Page`], [`Where`]);
//! - [`checks`]: references, trees and column conversions.

pub mod changes;
pub mod checks;
pub mod list;
pub mod patch;

pub(crate) use changes::{Changes, audit, check_version};
pub(crate) use checks::{check_ids_exist, check_parent, exists, opt_i64, placeholders, time};
pub(crate) use list::Where;
pub use list::{ListQuery, Page};
pub(crate) use patch::{Body, Patch};
