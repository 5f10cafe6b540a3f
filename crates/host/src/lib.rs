//! `crm-host`: a local runtime for Spin HTTP applications, on wasmtime.
//!
//! It reads any app's `spin.toml` (manifest v2), checks all of it up front, makes sure each
//! component (or core module, adapted as Spin adapts it) is compiled and links (a look-up per component when the compile cache is
//! warm), loads each component on its first request, and serves HTTP with Spin's semantics: Spin
//! routing and `spin-*` headers, a fresh instance per request, the Spin SQLite,
//! key-value and variables interfaces, read-only file mounts, outbound HTTP and
//! `wasi:sockets` limited to `allowed_outbound_hosts`, and storage where `spin up` keeps it. One module per
//! capability, as Spin splits its factors:
//!
//! - [`manifest`] reads and checks `spin.toml`; [`runtime_config`] places storage;
//! - [`router`] maps paths to components; [`server`] runs HTTP and the instances, and the
//!   [`schedule`]d requests (a request sent into the app every interval);
//! - [`limits`] bounds what a client may hold, enforced by [`connection`] (timeouts, the
//!   connection cap) and [`body`] (request bodies read whole, within a size and time);
//! - [`sqlite`], [`key_value`] (and [`wasi_keyvalue`] over the same stores), [`variables`],
//!   [`outbound`] (HTTP), [`sockets`] (TCP and UDP), [`files`] are the capabilities; [`allowed_hosts`] is what outbound HTTP and sockets may
//!   reach;
//! - [`outbound_services`] (Redis, MQTT, PostgreSQL, MySQL) and [`llm`] are linked as Spin
//!   links them and answer as Spin does without a backend, or refuse what is not allowed;
//! - [`engine`] holds the wasmtime engine; [`compile_cache`] the compiled components on disk,
//!   core modules among them once [`componentize`] has adapted them;
//!   [`components`] checks them at start and loads each on its first request.

pub mod allowed_hosts;
pub mod body;
pub mod checkpoint;
pub mod compile_cache;
pub mod componentize;
pub mod components;
pub mod connection;
pub mod engine;
pub mod files;
pub mod key_value;
pub mod limits;
pub mod llm;
pub mod manifest;
pub mod outbound;
pub mod outbound_services;
pub mod router;
pub mod runtime_config;
pub mod schedule;
pub mod server;
pub mod sockets;
pub mod sqlite;
pub mod state;
pub mod variables;
pub mod wasi_keyvalue;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::Engine;

use crate::allowed_hosts::AllowedHosts;
use crate::compile_cache::CompileCache;
use crate::components::{AppComponent, Loader};
use crate::manifest::{ComponentSpec, Manifest, Problems};
use crate::outbound::OutboundPolicy;
use crate::router::Router;
use crate::runtime_config::Storage;
use crate::state::{ComponentCaps, Services};

/// Host bindings of the Spin interfaces in `wit/`.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "host",
        imports: { default: trappable },
        with: {
            "fermyon:spin/sqlite.connection": crate::sqlite::SqliteConnection,
            "spin:sqlite/sqlite.connection": crate::sqlite::SqliteConnection,
            "fermyon:spin/key-value.store": crate::key_value::KvHandle,
            "wasi:keyvalue/store.bucket": crate::key_value::KvHandle,
            "wasi:keyvalue/atomics.cas": crate::wasi_keyvalue::CasHandle,
        },
    });
}

/// How to run an app.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The app's `spin.toml`.
    pub manifest: PathBuf,
    /// Where to listen (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Where the default database, key-value store and copied files live.
    pub state_dir: PathBuf,
    /// A Spin runtime-config file placing other storage.
    pub runtime_config: Option<PathBuf>,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// PEM certificate chain and key, to serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The environment variables are read from (`SPIN_VARIABLE_*`).
    pub env: HashMap<String, String>,
    /// Print one access-log line per request.
    pub access_log: bool,
    /// Timeouts, sizes and the connection cap clients are held to.
    pub limits: Limits,
    /// How SQLite connections are made and what a statement costs (pooled, no delay: the
    /// default; Spin's fresh connection per open, or a delay per statement, to measure a
    /// deployment's cost).
    pub sqlite_cost: sqlite::SqliteCost,
    /// Adds `crm-host-sql-statements: N` and a `Server-Timing` header (instantiation, SQL and total
    /// time) to every component response (for benchmarks).
    pub report_sql_statements: bool,
    /// Requests sent into the app every interval (`--schedule`).
    pub schedules: Vec<schedule::Schedule>,
}

impl HostOptions {
    /// Options with Spin's defaults: `.spin` beside the manifest, the process environment.
    pub fn new(manifest: PathBuf, listen: SocketAddr) -> HostOptions {
        let state_dir = manifest
            .parent()
            .map(|d| d.join(".spin"))
            .unwrap_or_else(|| PathBuf::from(".spin"));
        HostOptions {
            manifest,
            listen,
            state_dir,
            runtime_config: None,
            cache_dir: engine::default_cache_dir(),
            tls: None,
            env: std::env::vars().collect(),
            access_log: true,
            limits: Limits::default(),
            sqlite_cost: sqlite::SqliteCost::default(),
            report_sql_statements: false,
            schedules: Vec::new(),
        }
    }
}

/// A checked, compiled app.
pub struct App {
    /// The engine all components share.
    pub engine: Engine,
    /// Path -> component.
    pub router: Router,
    /// Components that some route reaches, by id; each loaded on its first request.
    pub components: HashMap<String, AppComponent>,
    /// Loads a component's machine code and links it.
    pub loader: Arc<Loader>,
    /// Shared storage.
    pub services: Arc<Services>,
    /// The application name.
    pub name: String,
    /// The application version.
    pub version: String,
    /// Whether responses say how many SQLite statements they took.
    pub report_sql_statements: bool,
    /// The scheduled requests, their headers filled in.
    pub schedules: Vec<schedule::Ready>,
}

impl App {
    /// Reads and checks the app and makes sure every routed component is compiled and links
    /// (cheap when the compile cache is warm); every problem is reported at once as
    /// [`Problems`]. Components are loaded later, on their first request.
    pub fn load(opts: &HostOptions, self_addr: SocketAddr) -> anyhow::Result<App> {
        let manifest = Manifest::load(&opts.manifest)?;
        let mut problems = Problems(Vec::new());
        let router = Router::build(&manifest.http_triggers, &mut problems);
        let storage = Storage::resolve(&opts.state_dir, opts.runtime_config.as_deref(), &mut problems);
        let variables = variables::ResolvedVariables::resolve(&manifest, &opts.env, &mut problems);
        check_labels(&manifest, &storage, &mut problems);
        let mut schedules = Vec::new();
        for schedule in &opts.schedules {
            match schedule::Ready::new(schedule, |t| variables.render(t)) {
                Ok(ready) => schedules.push(ready),
                Err(e) => problems.push(
                    format!("--schedule {} {}: {e}", schedule.method, schedule.path),
                    "give the variable a default in [variables] or set SPIN_VARIABLE_<NAME>",
                ),
            }
        }
        let engine = engine::new_engine()?;
        let cache = CompileCache::new(&engine, opts.cache_dir.clone());
        let loader = Arc::new(Loader::new(engine.clone(), cache)?);

        let mut components = HashMap::new();
        let used: std::collections::BTreeSet<&str> = router.components().collect();
        let specs: Vec<&ComponentSpec> = used.iter().filter_map(|id| manifest.components.get(*id)).collect();
        let sources: Vec<&std::path::Path> = specs.iter().map(|spec| spec.source.as_path()).collect();
        for (spec, prepared) in specs.iter().zip(loader.prepare_all(&sources)) {
            let id = spec.id.as_str();
            let mounts = files::prepare_mounts(spec, &manifest.dir, &opts.state_dir, &mut problems);
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(e) => {
                    problems.push(
                        format!("[component.{id}] cannot be loaded: {e:#}"),
                        "build it as a wasi:http component or module (spin-sdk #[http_component]); it may import only WASI 0.2, wasi:http and Spin's interfaces (fermyon:spin@2.0.0, spin:sqlite@3.0.0, spin:postgres@3.0.0 and @4.0.0, wasi:config, wasi:keyvalue)",
                    );
                    continue;
                }
            };
            let allowed = match AllowedHosts::resolve(&spec.allowed_outbound_hosts, |t| variables.render(t)) {
                Ok(allowed) => allowed,
                Err(errors) => {
                    for (entry, e) in errors {
                        problems.push(
                            format!("[component.{id}] allowed_outbound_hosts entry `{entry}`: {e}"),
                            manifest::ALLOWED_HOSTS_HINT,
                        );
                    }
                    continue;
                }
            };
            let caps = ComponentCaps {
                id: id.to_string(),
                sqlite_databases: spec.sqlite_databases.clone(),
                key_value_stores: spec.key_value_stores.clone(),
                variables: variables.for_component(id),
                ai_models: spec.ai_models.clone(),
                environment: spec.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                mounts,
                outbound: Arc::new(OutboundPolicy::new(id, allowed, Some(self_addr))),
            };
            components.insert(id.to_string(), AppComponent::new(Arc::new(caps), prepared));
        }
        problems.into_result()?;
        let mut services = Services {
            databases: storage
                .databases
                .iter()
                .map(|(l, p)| (l.clone(), Arc::new(sqlite::DbPool::new(p, opts.sqlite_cost))))
                .collect(),
            key_value_stores: storage
                .key_value_stores
                .iter()
                .map(|(l, p)| (l.clone(), Arc::new(key_value::KvStore::new(l, p))))
                .collect(),
            checkpointer: None,
        };
        services.checkpointer = Some(checkpoint::Checkpointer::start(checkpointed_files(
            &services,
            opts.sqlite_cost,
        ))?);
        Ok(App {
            engine,
            router,
            components,
            loader,
            services: Arc::new(services),
            name: manifest.name,
            version: manifest.version,
            report_sql_statements: opts.report_sql_statements,
            schedules,
        })
    }
}

/// The files the checkpointer looks after: every key-value file, and the databases when their
/// connections are pooled (with fresh connections SQLite's own automatic checkpoint runs, as on
/// Spin).
fn checkpointed_files(services: &Services, cost: sqlite::SqliteCost) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = services
        .key_value_stores
        .values()
        .map(|s| s.path().to_path_buf())
        .collect();
    if cost.mode == sqlite::ConnectionMode::Pooled {
        files.extend(services.databases.values().map(|d| d.path().to_path_buf()));
    }
    files.sort();
    files.dedup();
    files
}

/// Spin refuses to start when a component names storage nobody configured.
fn check_labels(manifest: &Manifest, storage: &Storage, problems: &mut Problems) {
    for (id, spec) in &manifest.components {
        for label in &spec.sqlite_databases {
            if !storage.databases.contains_key(label) {
                problems.push(
                    format!("[component.{id}] uses SQLite database `{label}`, which is not configured"),
                    format!("add [sqlite_database.{label}] type = \"spin\" to a runtime-config file (--runtime-config-file), or use `default`"),
                );
            }
        }
        for label in &spec.key_value_stores {
            if !storage.key_value_stores.contains_key(label) {
                problems.push(
                    format!("[component.{id}] uses key-value store `{label}`, which is not configured"),
                    format!("add [key_value_store.{label}] type = \"spin\" to a runtime-config file (--runtime-config-file), or use `default`"),
                );
            }
        }
    }
}

pub use limits::Limits;
pub use server::{RunningHost, start};
