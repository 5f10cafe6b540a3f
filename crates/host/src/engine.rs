//! The wasmtime engine every component runs on, and where compiled components are cached.
//!
//! Instances come from a pooling allocator (cheap per-request instantiation, bounded
//! memory). The cache itself is [`crate::compile_cache`].

use std::path::PathBuf;

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
    // `CRM_HOST_PERFMAP=1`: a perf map of the compiled guests, so `perf` names their functions.
    if std::env::var_os("CRM_HOST_PERFMAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
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
