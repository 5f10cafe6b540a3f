//! The key-value capability: `fermyon:spin/key-value@2.0.0` over SQLite files (and the stores
//! `wasi:keyvalue` opens, [`crate::wasi_keyvalue`]).
//!
//! Every label maps to a file (the `default` store to `<state-dir>/sqlite_key_value.db`);
//! a file holds one table keyed by (store, key), so several labels may share a file.
//! Each operation is one autocommitted statement on a pooled connection (WAL, `synchronous=NORMAL`,
//! checkpointed in the background by [`crate::checkpoint`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::OptionalExtension;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::key_value::{self as kv, Error};
use crate::state::RequestState;

/// One key-value store: a label inside a SQLite file.
#[derive(Debug)]
pub struct KvStore {
    label: String,
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl KvStore {
    /// The store `label` kept in the file at `path`.
    pub fn new(label: &str, path: &Path) -> KvStore {
        KvStore {
            label: label.to_string(),
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_conn<T>(&self, f: impl FnOnce(&rusqlite::Connection, &str) -> rusqlite::Result<T>) -> Result<T, Error> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => self.connect().map_err(|e| Error::Other(e.to_string()))?,
        };
        let result = f(&conn, &self.label).map_err(|e| Error::Other(e.to_string()));
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 16 {
            idle.push(conn);
        }
        result
    }

    fn connect(&self) -> rusqlite::Result<rusqlite::Connection> {
        if let Some(parent) = self.path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = rusqlite::Connection::open(&self.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;
             CREATE TABLE IF NOT EXISTS spin_key_value (
                 store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                 PRIMARY KEY (store, key)) WITHOUT ROWID;",
        )?;
        Ok(conn)
    }

    /// The value of `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.with_conn(|c, s| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row((s, key), |r| r.get(0))
                .optional()
        })
    }

    /// Sets `key`, replacing any value.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.with_conn(|c, s| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute((s, key, value))
            .map(|_| ())
        })
    }

    /// Removes `key` (no error if absent).
    pub fn delete(&self, key: &str) -> Result<(), Error> {
        self.with_conn(|c, s| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute((s, key))
                .map(|_| ())
        })
    }

    /// Whether `key` is set.
    pub fn exists(&self, key: &str) -> Result<bool, Error> {
        self.with_conn(|c, s| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .exists((s, key))
        })
    }

    /// Every key of the store.
    pub fn keys(&self) -> Result<Vec<String>, Error> {
        self.with_conn(|c, s| {
            let mut stmt = c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?;
            stmt.query_map([s], |r| r.get(0))?.collect()
        })
    }

    /// Adds `delta` to the counter at `key` (absent is 0) and returns the sum, in one
    /// transaction. A counter is an `i64` stored as its 8 little-endian bytes, as Spin stores
    /// it; any other value is an error.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64, Error> {
        self.with_conn(|c, s| {
            let tx = rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Immediate)?;
            let current = stored_value(&tx, s, key)?;
            let base = match current.as_deref().map(<[u8; 8]>::try_from) {
                None => 0,
                Some(Ok(bytes)) => i64::from_le_bytes(bytes),
                Some(Err(_)) => return Ok(Err(format!("the value of `{key}` is not a counter (an i64)"))),
            };
            let Some(sum) = base.checked_add(delta) else {
                return Ok(Err(format!("incrementing `{key}` by {delta} overflows")));
            };
            tx.prepare_cached(UPSERT)?
                .execute((s, key, sum.to_le_bytes().as_slice()))?;
            tx.commit()?;
            Ok(Ok(sum))
        })?
        .map_err(Error::Other)
    }

    /// Sets `key` to `value` only if its value is still `expected` (`None`: absent), in one
    /// transaction; whether it did.
    pub fn swap_if(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool, Error> {
        self.with_conn(|c, s| {
            let tx = rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Immediate)?;
            let current = stored_value(&tx, s, key)?;
            if current.as_deref() != expected {
                return Ok(false);
            }
            tx.prepare_cached(UPSERT)?.execute((s, key, value))?;
            tx.commit()?;
            Ok(true)
        })
    }
}

/// Sets a key, replacing any value.
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value";

/// A guest's open store (the `store` resource, and `wasi:keyvalue`'s `bucket`).
pub struct KvHandle(pub(crate) Arc<KvStore>);

impl kv::Host for RequestState {}

impl kv::HostStore for RequestState {
    fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<KvHandle>, Error>> {
        if !self.caps.key_value_stores.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(store) = self.services.key_value_stores.get(&label).cloned() else {
            return Ok(Err(Error::NoSuchStore));
        };
        Ok(Ok(self.table.push(KvHandle(store))?))
    }

    fn get(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(self.table.get(&this)?.0.get(&key))
    }

    fn set(&mut self, this: Resource<KvHandle>, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.table.get(&this)?.0.set(&key, &value))
    }

    fn delete(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.table.get(&this)?.0.delete(&key))
    }

    fn exists(&mut self, this: Resource<KvHandle>, key: String) -> wasmtime::Result<Result<bool, Error>> {
        Ok(self.table.get(&this)?.0.exists(&key))
    }

    fn get_keys(&mut self, this: Resource<KvHandle>) -> wasmtime::Result<Result<Vec<String>, Error>> {
        Ok(self.table.get(&this)?.0.keys())
    }

    fn drop(&mut self, this: Resource<KvHandle>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

/// The value of `key` in `store` as the transaction sees it.
fn stored_value(tx: &rusqlite::Transaction<'_>, store: &str, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    tx.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
        .query_row((store, key), |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_sharing_a_file_keep_their_keys_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kv.db");
        let a = KvStore::new("a", &file);
        let b = KvStore::new("b", &file);
        a.set("k", b"1").unwrap();
        b.set("k", b"2").unwrap();
        a.set("k", b"3").unwrap();
        assert_eq!(a.get("k").unwrap().as_deref(), Some(&b"3"[..]));
        assert_eq!(b.get("k").unwrap().as_deref(), Some(&b"2"[..]));
        assert!(a.exists("k").unwrap());
        a.delete("k").unwrap();
        a.delete("k").unwrap();
        assert!(!a.exists("k").unwrap());
        assert_eq!(b.keys().unwrap(), vec!["k".to_string()]);
    }
}
