//! The app's components: checked at start, loaded on their first request.
//!
//! Start-up must not grow with the number of components, yet a broken component must still
//! stop the start with a clear problem. So at start ([`Loader::prepare_all`]) every routed
//! component is only *ensured*: a component already compiled and checked, whose file has not
//! changed, costs a stamp look-up ([`CompileCache::checked`]); any other is compiled (or found
//! in the cache by content), linked against the runtime's interfaces as a check, and stamped,
//! several at once on threads. A compile or link error is reported then, as before; a cold
//! cache makes a slow start, a warm one a fast start however large the app.
//!
//! A stamped component's machine code is loaded (deserialised from the cache and
//! pre-instantiated into a [`ProxyPre`]) when a route first reaches it
//! ([`AppComponent::pre`]), once, on a blocking thread; requests arriving meanwhile wait for
//! that one load. A component compiled at start keeps the template it was checked with.
//! Every request still gets a fresh instance from the template, as on Spin. An artifact
//! removed or damaged since start is compiled again by that first request; should loading
//! fail all the same, the request is a 500 with the cause in the log, and the next one tries
//! again.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::OnceCell;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::compile_cache::{Artifact, CompileCache};
use crate::state::{ComponentCaps, RequestState};

/// The runtime's interfaces, and the cache components are compiled into: what turns a
/// component's source into an instance template.
pub struct Loader {
    engine: Engine,
    linker: wasmtime::component::Linker<RequestState>,
    cache: CompileCache,
}

/// A component ensured at start: its artifact, and its template when it was built then.
pub struct Prepared {
    /// Where its machine code is cached.
    pub artifact: Artifact,
    /// Its instance template, when it was compiled or checked at start.
    pub pre: Option<ProxyPre<RequestState>>,
}

impl Loader {
    /// WASI 0.2, `wasi:http` and Spin's interfaces on `engine`, compiling into `cache`.
    pub fn new(engine: Engine, cache: CompileCache) -> anyhow::Result<Loader> {
        let mut linker = wasmtime::component::Linker::<RequestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::bindings::Host_::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
        Ok(Loader { engine, linker, cache })
    }

    /// Ensures each source has a checked artifact; the results are in the order of `sources`.
    /// Stamped components cost a look-up each; the others are compiled and checked in parallel.
    pub fn prepare_all(&self, sources: &[&Path]) -> Vec<anyhow::Result<Prepared>> {
        /// A component found stamped, or being compiled on its own thread.
        enum Pending<'scope> {
            Stamped(Prepared),
            Compiling(std::thread::ScopedJoinHandle<'scope, anyhow::Result<Prepared>>),
        }
        std::thread::scope(|scope| {
            let pending: Vec<Pending> = sources
                .iter()
                .map(|source| match self.cache.checked(source) {
                    Some(artifact) => Pending::Stamped(Prepared { artifact, pre: None }),
                    None => Pending::Compiling(scope.spawn(|| self.prepare(source))),
                })
                .collect();
            pending
                .into_iter()
                .map(|p| match p {
                    Pending::Stamped(prepared) => Ok(prepared),
                    Pending::Compiling(thread) => thread
                        .join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("compiling panicked"))),
                })
                .collect()
        })
    }

    /// Compiles (or finds by content) and checks one component, and stamps it.
    fn prepare(&self, source: &Path) -> anyhow::Result<Prepared> {
        let (artifact, pre) = self.cache.compile_checked(&self.engine, source, |c| self.link(c))?;
        Ok(Prepared {
            artifact,
            pre: Some(pre),
        })
    }

    /// Loads an artifact and pre-instantiates it.
    fn load(&self, artifact: &Artifact) -> anyhow::Result<ProxyPre<RequestState>> {
        let component = self.cache.load(&self.engine, artifact)?;
        self.link(&component)
    }

    /// Links a component against the runtime's interfaces: fails when it imports anything
    /// else or is not a `wasi:http` proxy.
    fn link(&self, component: &Component) -> anyhow::Result<ProxyPre<RequestState>> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ProxyPre::new(pre).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// A routed component: its grants, and its template once loaded.
pub struct AppComponent {
    /// What its instances may reach.
    pub caps: Arc<ComponentCaps>,
    artifact: Artifact,
    pre: OnceCell<ProxyPre<RequestState>>,
}

impl AppComponent {
    /// A component ensured at start, not loaded yet unless it was built then.
    pub fn new(caps: Arc<ComponentCaps>, prepared: Prepared) -> AppComponent {
        AppComponent {
            caps,
            artifact: prepared.artifact,
            pre: OnceCell::new_with(prepared.pre),
        }
    }

    /// Whether its template is in memory (it served a request, or was compiled at start).
    pub fn is_loaded(&self) -> bool {
        self.pre.initialized()
    }

    /// Its instance template, loading it on the first call (on a blocking thread: loading
    /// maps machine code and links, a millisecond or two). A failed load is tried again by
    /// the next request.
    pub async fn pre(&self, loader: &Arc<Loader>) -> anyhow::Result<ProxyPre<RequestState>> {
        let pre = self
            .pre
            .get_or_try_init(|| {
                let (loader, artifact) = (loader.clone(), self.artifact.clone());
                async move { tokio::task::spawn_blocking(move || loader.load(&artifact)).await? }
            })
            .await?;
        Ok(pre.clone())
    }
}
