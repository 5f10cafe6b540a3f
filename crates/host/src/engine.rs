//! The wasmtime engine and the on-disk cache of compiled components.
//!
//! Instances come from a pooling allocator (cheap per-request instantiation, bounded
//! memory). Compiling a component is the slow part of start-up, so the machine code is
//! kept in a cache directory under a key made of the `.wasm` content hash and the
//! engine's compatibility hash: a restart with unchanged components compiles nothing.

#![allow(unsafe_code)] // Component::deserialize_file: see the SAFETY note below.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Concurrent instances the pool holds; a request beyond that waits for no one and gets 503.
pub const MAX_CONCURRENT_INSTANCES: u32 = 256;

/// The engine every component runs on.
pub fn new_engine() -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_CONCURRENT_INSTANCES)
        .total_core_instances(MAX_CONCURRENT_INSTANCES * 4)
        .total_memories(MAX_CONCURRENT_INSTANCES * 2)
        .total_tables(MAX_CONCURRENT_INSTANCES * 4)
        .total_stacks(MAX_CONCURRENT_INSTANCES)
        .max_memory_size(256 << 20)
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        // Reset a slot for reuse with memset on the pages the guest dirtied instead of
        // madvise: no page faults on the next request and no TLB-flush IPIs per request.
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(64 << 10)
        .pagemap_scan(wasmtime::Enabled::Auto)
        .decommit_batch_size(16);
    let mut config = base_config();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            // Some sandboxes cap virtual memory below what the pool reserves.
            eprintln!("pooling allocator unavailable ({e}); using on-demand allocation");
            Ok(Engine::new(&base_config())?)
        }
    }
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config
}

/// Where compiled components are kept when no `--cache-dir` is given.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("crm-host");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("crm-host"),
        None => std::env::temp_dir().join("crm-host-cache"),
    }
}

/// Loads the component at `path`, compiling it only if the cache lacks it.
pub fn load_component(engine: &Engine, path: &Path, cache_dir: &Path) -> anyhow::Result<Component> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut engine_hash = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    env!("CARGO_PKG_VERSION").hash(&mut engine_hash);
    let key = format!(
        "{}-{:016x}.cwasm",
        hex::encode(Sha256::digest(&bytes)),
        engine_hash.finish()
    );
    let cached = cache_dir.join(key);
    if cached.is_file() {
        // SAFETY: the file was written by `Component::serialize` of this same engine
        // configuration (the key includes its compatibility hash) into a cache
        // directory owned by the user running this process.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok(component),
            Err(e) => eprintln!("ignoring unusable cache entry {}: {e}", cached.display()),
        }
    }
    let component = Component::new(engine, &bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", path.display()))?;
    if let Err(e) = store_in_cache(&component, cache_dir, &cached) {
        eprintln!("could not cache the compiled component ({e:#}); it will be compiled again next start");
    }
    Ok(component)
}

fn store_in_cache(component: &Component, dir: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile_in(dir);
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, target)?;
    Ok(())
}

fn tempfile_in(dir: &Path) -> PathBuf {
    dir.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()))
}
