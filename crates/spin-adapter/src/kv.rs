//! [`SpinKv`]: crm-core's `Kv` over Spin's key-value store (`key_value_stores = ["default"]`).

use crm_core::kv::{Kv, KvError};
use spin_sdk::key_value::Store;

/// The `default` key-value store.
pub struct SpinKv(Store);

impl SpinKv {
    /// Opens the `default` store (the component must declare it in `spin.toml`).
    pub fn open_default() -> Result<SpinKv, KvError> {
        Store::open_default().map(SpinKv).map_err(|e| KvError(format!("{e:?}")))
    }
}

impl Kv for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.0.get(key).map_err(|e| KvError(format!("{e:?}")))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.0.set(key, value).map_err(|e| KvError(format!("{e:?}")))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).map_err(|e| KvError(format!("{e:?}")))
    }
}
