//! `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch), as Spin provides it: a bucket is a
//! key-value store of the component's `key_value_stores`, the same stores
//! `fermyon:spin/key-value` opens ([`crate::key_value`]).
//!
//! Opening a label the manifest does not list is `access-denied`, one nobody configured
//! `no-such-store`. `list-keys` answers every key at once (no cursor). `increment` keeps a
//! counter as an `i64` in 8 little-endian bytes, absent counting as 0; `cas` remembers the
//! value it saw, and `swap` writes only if the key still holds it, else `cas-failed` hands
//! the `cas` back. Each atomic operation is one SQLite transaction.

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::bindings::wasi::keyvalue::atomics::{self, CasError};
use crate::bindings::wasi::keyvalue::batch;
use crate::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};
use crate::key_value::{KvHandle, KvStore};
use crate::state::RequestState;

/// A compare-and-swap in progress: the key and the value it held when the `cas` was made.
pub struct CasHandle {
    store: Arc<KvStore>,
    key: String,
    current: Option<Vec<u8>>,
}

fn from_spin(e: crate::bindings::fermyon::spin::key_value::Error) -> Error {
    use crate::bindings::fermyon::spin::key_value::Error as Spin;
    match e {
        Spin::AccessDenied => Error::AccessDenied,
        Spin::NoSuchStore => Error::NoSuchStore,
        Spin::StoreTableFull => Error::Other("the store is full".into()),
        Spin::Other(m) => Error::Other(m),
    }
}

impl RequestState {
    fn bucket(&self, bucket: &Resource<KvHandle>) -> wasmtime::Result<Arc<KvStore>> {
        Ok(self.table.get(bucket)?.0.clone())
    }
}

impl store::Host for RequestState {
    fn open(&mut self, identifier: String) -> wasmtime::Result<Result<Resource<KvHandle>, Error>> {
        if !self.caps.key_value_stores.contains(&identifier) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(store) = self.services.key_value_stores.get(&identifier).cloned() else {
            return Ok(Err(Error::NoSuchStore));
        };
        Ok(Ok(self.table.push(KvHandle(store))?))
    }
}

impl store::HostBucket for RequestState {
    fn get(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(self.bucket(&this)?.get(&key).map_err(from_spin))
    }

    fn set(&mut self, this: Resource<KvHandle>, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.bucket(&this)?.set(&key, &value).map_err(from_spin))
    }

    fn delete(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.bucket(&this)?.delete(&key).map_err(from_spin))
    }

    fn exists(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<bool, Error>> {
        Ok(self.bucket(&this)?.exists(&key).map_err(from_spin))
    }

    fn list_keys(
        &mut self,
        this: Resource<KvHandle>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<KeyResponse, Error>> {
        let keys = self.bucket(&this)?.keys().map_err(from_spin);
        Ok(keys.map(|keys| KeyResponse { keys, cursor: None }))
    }

    fn drop(&mut self, this: Resource<KvHandle>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl atomics::Host for RequestState {
    fn increment(
        &mut self,
        bucket: Resource<KvHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, Error>> {
        Ok(self.bucket(&bucket)?.increment(&key, delta).map_err(from_spin))
    }

    fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> wasmtime::Result<Result<(), CasError>> {
        let swapped = {
            let c = self.table.get(&cas)?;
            c.store.swap_if(&c.key, c.current.as_deref(), &value)
        };
        Ok(match swapped {
            Ok(true) => {
                self.table.delete(cas)?;
                Ok(())
            }
            Ok(false) => Err(CasError::CasFailed(cas)),
            Err(e) => {
                self.table.delete(cas)?;
                Err(CasError::StoreError(from_spin(e)))
            }
        })
    }
}

impl atomics::HostCas for RequestState {
    fn new(&mut self, bucket: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<Resource<CasHandle>, Error>> {
        let store = self.bucket(&bucket)?;
        let current = match store.get(&key) {
            Ok(current) => current,
            Err(e) => return Ok(Err(from_spin(e))),
        };
        Ok(Ok(self.table.push(CasHandle { store, key, current })?))
    }

    fn current(&mut self, this: Resource<CasHandle>) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(Ok(self.table.get(&this)?.current.clone()))
    }

    fn drop(&mut self, this: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl batch::Host for RequestState {
    fn get_many(
        &mut self,
        bucket: Resource<KvHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, Error>> {
        let store = self.bucket(&bucket)?;
        Ok(keys
            .into_iter()
            .map(|key| store.get(&key).map(|value| (key, value)).map_err(from_spin))
            .collect())
    }

    fn set_many(
        &mut self,
        bucket: Resource<KvHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let store = self.bucket(&bucket)?;
        Ok(key_values
            .iter()
            .try_for_each(|(key, value)| store.set(key, value))
            .map_err(from_spin))
    }

    fn delete_many(&mut self, bucket: Resource<KvHandle>, keys: Vec<String>) -> wasmtime::Result<Result<(), Error>> {
        let store = self.bucket(&bucket)?;
        Ok(keys.iter().try_for_each(|key| store.delete(key)).map_err(from_spin))
    }
}
