//! Dictionaries and pipelines: `crm.status.*`, `crm.status.entity.types`, `crm.category.*`, `crm.dealcategory.stage.list`, `crm.currency.list` (issue 19).

use super::methods::Method;

/// This family's methods.
pub const METHODS: &[Method] = &[];
