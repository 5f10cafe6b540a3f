//! The one table of REST methods: every family's `METHODS` joined, looked up by the
//! lower-cased method name. `methods` and `scope` (in [`super::meta`]) list it.

use super::Call;
use super::{Reply, RestError};

/// A method's implementation.
pub type Handler = fn(&Call) -> Result<Reply, RestError>;

/// A method: its lower-cased name, its scope (`crm`, `user`, ...) and its implementation.
pub type Method = (&'static str, &'static str, Handler);

/// Every family's table, in the order `methods` lists them.
const FAMILIES: &[&[Method]] = &[
    super::meta::METHODS,
    super::records::METHODS,
    super::sales::METHODS,
    super::productrows::METHODS,
    super::dictionaries::METHODS,
    super::activities::METHODS,
];

/// Every method.
pub fn all() -> impl Iterator<Item = &'static Method> {
    FAMILIES.iter().flat_map(|family| family.iter())
}

/// The implementation of `name` (lower-case, without a `.json` suffix).
pub fn find(name: &str) -> Option<Handler> {
    all()
        .find(|(method, _, _)| *method == name)
        .map(|(_, _, handler)| *handler)
}
