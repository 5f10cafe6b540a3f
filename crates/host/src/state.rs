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
use std::sync::atomic::AtomicU32;

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
    /// SQLite statements this request has run (reported with `--report-sql-statements`); shared
    /// with the server, which reads it when the response head arrives.
    pub sql_statements: Arc<AtomicU32>,
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
            sql_statements: Arc::new(AtomicU32::new(0)),
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
