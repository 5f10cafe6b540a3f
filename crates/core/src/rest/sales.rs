//! Links and sales: `crm.contact.company.*`, `crm.deal.contact.*`, `crm.deal.productrows.get|set`, `crm.productrow.*`, `crm.duplicate.findbycomm` (issue 19).

use super::methods::Method;

/// This family's methods.
pub const METHODS: &[Method] = &[];
