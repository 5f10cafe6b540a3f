//! The key-value seam: sessions and other short-lived state live in the runtime's key-value
//! store (Spin's `default` store), behind this trait so core stays free of Spin.
//!
//! Implementations: `crm_spin_adapter::SpinKv` in components, `crm_sqlite::MemoryKv` in tests.

use crate::error::CoreError;

/// A key-value store failure (the store is down or refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key-value store: {0}")]
pub struct KvError(pub String);

impl From<KvError> for CoreError {
    /// The store is a backing service: its failure is 503.
    fn from(e: KvError) -> Self {
        CoreError::Unavailable(e.to_string())
    }
}

/// A key-value store: bytes by string key.
pub trait Kv {
    /// The value of `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Sets `key`, replacing any value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Removes `key` (no error if absent).
    fn delete(&self, key: &str) -> Result<(), KvError>;
}
