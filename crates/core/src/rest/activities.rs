//! Timeline comments: `crm.timeline.comment.*` (issue 19).

use super::methods::Method;

/// This family's methods.
pub const METHODS: &[Method] = &[];
