//! Per-request state: what one fresh instance of a component may reach.
//!
//! A [`RequestState`] is the data of one wasmtime `Store`, built for one request and
//! dropped with it. It holds the WASI context (environment, read-only file mounts, the
//! sockets `allowed_outbound_hosts` allows), the `wasi:http` context with the component's outbound hooks, and the
//! component's capabilities: which SQLite databases and key-value stores it may open
//! and its resolved variables. Shared, long-lived things ([`Services`]) are behind `Arc`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::key_value::KvStore;
use crate::outbound::{OutboundHooks, OutboundPolicy};
use crate::sqlite::DbPool;

/// Storage shared by every component, by label.
#[derive(Default)]
pub struct Services {
    /// SQLite databases.
    pub databases: HashMap<String, Arc<DbPool>>,
    /// Key-value stores.
    pub key_value_stores: HashMap<String, Arc<KvStore>>,
    /// Checkpoints their logs in the background (pooled connections only); dropped last, when
    /// it runs the final checkpoint.
    pub checkpointer: Option<crate::checkpoint::Checkpointer>,
}

/// What the manifest grants one component.
#[derive(Debug)]
pub struct ComponentCaps {
    /// The component id.
    pub id: String,
    /// Database labels it may open.
    pub sqlite_databases: Vec<String>,
    /// Store labels it may open.
    pub key_value_stores: Vec<String>,
    /// Its resolved variables.
    pub variables: HashMap<String, String>,
    /// The LLM models it may use (`ai_models`).
    pub ai_models: Vec<String>,
    /// Its guest environment.
    pub environment: Vec<(String, String)>,
    /// Read-only mounts: host directory -> guest path.
    pub mounts: Vec<(PathBuf, String)>,
    /// Its outbound HTTP and sockets policy.
    pub outbound: Arc<OutboundPolicy>,
}

/// The data of one request's store.
pub struct RequestState {
    /// Guest resources (connections, stores, HTTP bodies ...).
    pub table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    /// The component's grants.
    pub caps: Arc<ComponentCaps>,
    /// Shared storage.
    pub services: Arc<Services>,
    /// What this request has cost so far (reported with `--report-sql-statements`); shared
    /// with the server, which reads it when the response head arrives.
    pub cost: Arc<RequestCost>,
}

/// Where a request's time went, counted as it runs.
#[derive(Debug, Default)]
pub struct RequestCost {
    /// SQLite statements run.
    pub sql_statements: AtomicU32,
    /// Nanoseconds spent running them (in SQLite, parameters and rows converted).
    pub sql_nanos: AtomicU64,
    /// Nanoseconds spent instantiating the component.
    pub instantiate_nanos: AtomicU64,
}

impl RequestCost {
    /// Adds one statement that took `spent`.
    pub fn statement(&self, spent: std::time::Duration) {
        self.sql_statements.fetch_add(1, Ordering::Relaxed);
        self.sql_nanos.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
    }

    /// A `Server-Timing` header value: instantiation, SQL (with its statement count) and the
    /// whole time to the response head, `total`, in milliseconds.
    pub fn server_timing(&self, total: std::time::Duration) -> String {
        let ms = |nanos: u64| nanos as f64 / 1e6;
        format!(
            "instantiate;dur={:.3}, sql;dur={:.3};desc=\"{} statements\", total;dur={:.3}",
            ms(self.instantiate_nanos.load(Ordering::Relaxed)),
            ms(self.sql_nanos.load(Ordering::Relaxed)),
            self.sql_statements.load(Ordering::Relaxed),
            ms(total.as_nanos() as u64)
        )
    }
}

impl RequestState {
    /// Fresh state for one request to the component `caps` describes.
    pub fn new(caps: Arc<ComponentCaps>, services: Arc<Services>) -> wasmtime::Result<RequestState> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout().inherit_stderr().envs(&caps.environment);
        crate::sockets::configure(&mut wasi, &caps.outbound);
        // Mounted files are small local reads: doing them on this thread beats a round
        // trip through tokio's blocking pool for every open, stat and read.
        wasi.allow_blocking_current_thread(true);
        for (host, guest) in &caps.mounts {
            wasi.preopened_dir(host, guest, FsPerms::ReadOnly)?;
        }
        Ok(RequestState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks(caps.outbound.clone()),
            caps,
            services,
            cost: Arc::default(),
        })
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
