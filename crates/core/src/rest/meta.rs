//! Methods about the API itself and the caller: `methods`, `scope`, `user.current`, `profile` (issue 19, transport helper).

use super::methods::Method;

/// This family's methods.
pub const METHODS: &[Method] = &[];
