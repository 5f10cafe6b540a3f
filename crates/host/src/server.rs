//! The HTTP server: accept, route, read the body, run a fresh instance, answer, log.
//!
//! Every request gets its own `Store` and instance from the component's pre-instantiated
//! template (loaded by the component's first request, see [`crate::components`]); nothing
//! survives a request but what the guest wrote to storage. A guest
//! trap is answered with an opaque 500 problem and the server keeps serving. Shutdown
//! (SIGINT/SIGTERM in the binary, [`RunningHost::stop`] in tests) stops accepting and
//! lets in-flight requests finish.
//!
//! Clients are held to the [`Limits`] of [`HostOptions::limits`], plain HTTP and TLS alike:
//!
//! - at most [`Limits::max_connections`] connections are open, each task holding a
//!   semaphore permit; over the cap a plain connection is answered `503` with
//!   `Retry-After: 1` and `Connection: close` (a few at a time; beyond that, and for TLS,
//!   it is closed), and logged once per burst;
//! - a connection that does not send its (TLS handshake and) request head in time, or sits
//!   idle between requests too long, is closed ([`crate::connection`]);
//! - `accept` failures such as running out of file descriptors back off (10 ms doubling to
//!   1 s) instead of spinning, and are logged when they start and end;
//! - a request routed to a component has its body read whole before an instance is made
//!   ([`crate::body`]): `Content-Length` with `Transfer-Encoding` and broken chunked framing
//!   are `400`, a body over the size limit `413`, one too slow `408`. Each refusal is one
//!   log line naming the client (`client 1.2.3.4: malformed chunked body (400)`), and the
//!   connection is closed after the answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Collected, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use wasmtime::Store;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::body::Refusal;
use crate::connection::{AcceptErrors, Conn, GuardedBody, HeadFraming, RefusalLog, TimedIo};
use crate::limits::Limits;
use crate::router::WELL_KNOWN_PREFIX;
use crate::state::RequestState;
use crate::{App, HostOptions};

/// How long in-flight requests may run after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How many connections over the cap may be answered 503 at once; past that they are
/// closed unanswered (each refusal holds a file descriptor for up to about 2 s).
const REFUSAL_SLOTS: usize = 64;

/// A host serving in the background.
pub struct RunningHost {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http` or `https`.
    pub scheme: &'static str,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHost {
    /// Stops accepting, lets in-flight requests finish, and waits for that.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Checks and loads the app, binds, and serves on a background runtime.
pub fn start(opts: &HostOptions) -> anyhow::Result<RunningHost> {
    opts.limits.check()?;
    if let Some(budget) = crate::limits::connection_budget()
        && opts.limits.max_connections > budget
    {
        eprintln!(
            "warning: max connections {} is more than the open-file limit leaves room for ({budget}); raise `ulimit -n`, or `accept` will fail with \"too many open files\" before the cap turns clients away",
            opts.limits.max_connections
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("crm-host")
        .build()?;
    let std_listener =
        std::net::TcpListener::bind(opts.listen).with_context(|| format!("cannot listen on {}", opts.listen))?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let tls = match &opts.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let app = Arc::new(App::load(opts, addr)?);
    let (stop_tx, stop_rx) = oneshot::channel();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let access_log = opts.access_log;
    let limits = Arc::new(opts.limits.clone());
    let thread = std::thread::Builder::new()
        .name("crm-host-main".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("cannot listen: {e}"),
                };
                serve(app, listener, tls, access_log, limits, stop_rx).await;
            });
        })?;
    Ok(RunningHost {
        addr,
        scheme,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    access_log: bool,
    limits: Arc<Limits>,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let scheme = if tls.is_some() { Scheme::Https } else { Scheme::Http };
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSAL_SLOTS));
    let mut accept_errors = AcceptErrors::default();
    let mut refusal_log = RefusalLog::default();
    let schedules: Vec<_> = match listener.local_addr() {
        Ok(addr) => app
            .schedules
            .iter()
            .map(|ready| {
                tokio::spawn(run_schedule(
                    app.clone(),
                    ready.clone(),
                    addr,
                    scheme.clone(),
                    access_log,
                ))
            })
            .collect(),
        Err(e) => {
            eprintln!("schedules are off: the listening address is unknown: {e}");
            Vec::new()
        }
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        let (stream, client) = match accepted {
            Ok(pair) => {
                accept_errors.succeeded();
                pair
            }
            Err(e) => {
                if let Some(delay) = accept_errors.failed(&e) {
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = &mut stop => break,
                    }
                }
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            refusal_log.refused(limits.max_connections);
            if tls.is_none()
                && let Ok(slot) = refusals.clone().try_acquire_owned()
            {
                tokio::spawn(async move {
                    crate::connection::refuse_over_capacity(stream).await;
                    drop(slot);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = Conn::new(&limits);
        let service = {
            let (app, scheme, limits, conn) = (app.clone(), scheme.clone(), limits.clone(), conn.clone());
            hyper::service::service_fn(move |req| {
                // Called as soon as the head is parsed: the connection's clock stops here.
                let (guard, framing) = conn.begin_request();
                let (app, scheme, limits) = (app.clone(), scheme.clone(), limits.clone());
                async move {
                    let response = handle(app, req, client, scheme, access_log, &limits, framing).await;
                    Ok::<_, Infallible>(response.map(|body| GuardedBody::new(body, guard).boxed_unsync()))
                }
            })
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        // The connection's deadlines are kept by `Conn` (see `crate::connection`).
        builder.header_read_timeout(None);
        let watcher = graceful.watcher();
        let acceptor = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let served = async {
                match acceptor {
                    None => {
                        let io = TokioIo::new(TimedIo::new(stream, conn.clone()));
                        let _ = watcher.watch(builder.serve_connection(io, service)).await;
                    }
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls_stream) => {
                            let io = TokioIo::new(TimedIo::new(tls_stream, conn.clone()));
                            let _ = watcher.watch(builder.serve_connection(io, service)).await;
                        }
                        Err(e) => eprintln!("TLS handshake with {client} failed: {e}"),
                    },
                }
            };
            tokio::select! {
                _ = served => {}
                // Too slow to send a head, or idle too long: dropping the connection closes it.
                _ = conn.expired() => {}
            }
        });
    }
    drop(listener);
    for schedule in schedules {
        schedule.abort();
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        eprintln!("shutdown: in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
}

async fn handle(
    app: Arc<App>,
    mut req: Request<Incoming>,
    client: SocketAddr,
    scheme: Scheme,
    access_log: bool,
    limits: &Limits,
    framing: HeadFraming,
) -> Response<HyperOutgoingBody> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (component, response) = if framing.content_length_and_transfer_encoding {
        (
            "-".to_string(),
            refuse(client, &Refusal::ContentLengthAndTransferEncoding),
        )
    } else if path.starts_with(WELL_KNOWN_PREFIX) {
        ("-".to_string(), well_known(&app, &path))
    } else {
        match app.router.route(&path) {
            None => ("-".to_string(), plain(StatusCode::NOT_FOUND, "text/plain", "Not Found")),
            Some(m) => {
                let host = req
                    .headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string)
                    .or_else(|| req.uri().authority().map(|a| a.to_string()));
                let response = match host {
                    None => plain(StatusCode::BAD_REQUEST, "text/plain", "Bad Request: no Host header"),
                    Some(host) => {
                        let scheme_str = if matches!(scheme, Scheme::Https) {
                            "https"
                        } else {
                            "http"
                        };
                        let path_and_query = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                        let full_url = format!("{scheme_str}://{host}{path_and_query}");
                        set_spin_headers(req.headers_mut(), &m, &full_url, client);
                        match crate::body::read_whole(req, limits).await {
                            Ok(req) => run_component(&app, &m.component, req, scheme).await,
                            Err(refusal) => refuse(client, &refusal),
                        }
                    }
                };
                (m.component, response)
            }
        }
    };
    if access_log {
        println!(
            "{method} {path} {component} {} {}us",
            response.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    response
}

/// Replaces any `spin-*` header a client sent with the runtime's own for route `m`.
fn set_spin_headers(headers: &mut http::HeaderMap, m: &crate::router::RouteMatch, full_url: &str, client: SocketAddr) {
    let spoofed: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in spoofed {
        headers.remove(name);
    }
    for (name, value) in m.spin_headers(full_url, &client.to_string()) {
        if let (Ok(n), Ok(v)) = (http::HeaderName::try_from(name), http::HeaderValue::try_from(value)) {
            headers.insert(n, v);
        }
    }
}

/// Runs one schedule until shutdown aborts it: every interval, its request goes through the
/// router, gets the `spin-*` headers and runs a fresh instance of the routed component, as a
/// client's request does (see [`crate::schedule`]). The request comes from, and is addressed
/// to, the runtime's own address.
async fn run_schedule(
    app: Arc<App>,
    ready: crate::schedule::Ready,
    addr: SocketAddr,
    scheme: Scheme,
    access_log: bool,
) {
    let own = if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let scheme_str = if matches!(scheme, Scheme::Https) {
        "https"
    } else {
        "http"
    };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + ready.every, ready.every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let started = Instant::now();
        let path_only = ready.path.split('?').next().unwrap_or("/");
        let (component, status) = match app.router.route(path_only) {
            None => ("-".to_string(), StatusCode::NOT_FOUND),
            Some(m) => {
                let Ok(body) = Full::new(Bytes::new()).collect().await;
                let mut req = Request::new(body);
                *req.method_mut() = ready.method.clone();
                *req.uri_mut() = match ready.path.parse() {
                    Ok(uri) => uri,
                    Err(_) => return eprintln!("schedule {} {}: not a path", ready.method, ready.path),
                };
                let headers = req.headers_mut();
                for (name, value) in &ready.headers {
                    headers.insert(name.clone(), value.clone());
                }
                if let Ok(host) = http::HeaderValue::from_str(&own.to_string()) {
                    headers.insert(http::header::HOST, host);
                }
                set_spin_headers(headers, &m, &format!("{scheme_str}://{own}{}", ready.path), own);
                let response = run_component(&app, &m.component, req, scheme.clone()).await;
                let status = response.status();
                // Read the answer to its end, so a guest streaming it finishes.
                let _ = response.into_body().collect().await;
                (m.component, status)
            }
        };
        if access_log {
            println!(
                "{} {} {component} {} {}us scheduled",
                ready.method,
                ready.path,
                status.as_u16(),
                started.elapsed().as_micros()
            );
        }
        if !status.is_success() {
            eprintln!(
                "schedule {} {}: {component} answered {status}",
                ready.method, ready.path
            );
        }
    }
}

async fn run_component(
    app: &App,
    id: &str,
    req: Request<Collected<Bytes>>,
    scheme: Scheme,
) -> Response<HyperOutgoingBody> {
    let Some(component) = app.components.get(id) else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "the route's component is not loaded");
    };
    let pre = match component.pre(&app.loader).await {
        Ok(pre) => pre,
        Err(e) => {
            eprintln!("[{id}] cannot be loaded: {e:#}");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "the component could not be started");
        }
    };
    let state = match RequestState::new(component.caps.clone(), app.services.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("[{id}] cannot prepare the instance: {e:#}");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "the component could not be started");
        }
    };
    let mut store = Store::new(&app.engine, state);
    let (sender, receiver) = oneshot::channel();
    let prepared = store
        .data_mut()
        .http()
        .new_incoming_request(
            scheme,
            req.map(|body| body.map_err(|e: Infallible| -> wasmtime_wasi_http::Error { match e {} })),
        )
        .and_then(|r| Ok((r, store.data_mut().http().new_response_outparam(sender)?)));
    let (incoming, outparam) = match prepared {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("[{id}] bad request: {e:#}");
            return plain(StatusCode::BAD_REQUEST, "text/plain", "Bad Request");
        }
    };
    let id_owned = id.to_string();
    let cost = store.data().cost.clone();
    let started = Instant::now();
    let task = tokio::spawn(async move {
        let instantiating = Instant::now();
        let proxy = match pre.instantiate_async(&mut store).await {
            Ok(p) => p,
            Err(e) => return Err((true, e)),
        };
        let instantiated = instantiating.elapsed().as_nanos() as u64;
        store
            .data()
            .cost
            .instantiate_nanos
            .store(instantiated, std::sync::atomic::Ordering::Relaxed);
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, outparam)
            .await
            .map_err(|e| (false, e))
    });
    match receiver.await {
        Ok(Ok(mut response)) => {
            if app.report_sql_statements {
                let count = cost.sql_statements.load(std::sync::atomic::Ordering::Relaxed);
                let headers = response.headers_mut();
                headers.insert("crm-host-sql-statements", http::HeaderValue::from(count));
                if let Ok(timing) = http::HeaderValue::from_str(&cost.server_timing(started.elapsed())) {
                    headers.insert("server-timing", timing);
                }
            }
            // The guest may still be streaming the body; the task finishes on its own.
            tokio::spawn(async move {
                if let Ok(Err((_, e))) = task.await {
                    eprintln!("[{id_owned}] failed after sending its response head: {e:?}");
                }
            });
            response
        }
        Ok(Err(code)) => {
            eprintln!("[{id}] answered with an error code: {code:?}");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the component failed to handle the request",
            )
        }
        Err(_) => match task.await {
            Ok(Err((true, e))) if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => {
                let mut r = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many requests in flight; retry shortly",
                );
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
                r
            }
            Ok(Err((_, e))) => {
                eprintln!("[{id}] trapped: {e:?}");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the component failed to handle the request",
                )
            }
            Ok(Ok(())) => {
                eprintln!("[{id}] returned without setting a response");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the component failed to handle the request",
                )
            }
            Err(e) => {
                eprintln!("[{id}] task failed: {e}");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the component failed to handle the request",
                )
            }
        },
    }
}

fn well_known(app: &App, path: &str) -> Response<HyperOutgoingBody> {
    match &path[WELL_KNOWN_PREFIX.len()..] {
        "health" => plain(StatusCode::OK, "text/plain", "OK"),
        "info" => {
            let body = serde_json::json!({
                "application": app.name,
                "version": app.version,
                "runtime": concat!("crm-host ", env!("CARGO_PKG_VERSION")),
            });
            plain(StatusCode::OK, "application/json", body.to_string())
        }
        _ => plain(StatusCode::NOT_FOUND, "text/plain", "Not Found"),
    }
}

fn plain(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<HyperOutgoingBody> {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|e: Infallible| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    r
}

/// A request refused as the client's fault: one log line, a problem, and the connection
/// closed after it (its body may be unread or its framing lost).
fn refuse(client: SocketAddr, refusal: &Refusal) -> Response<HyperOutgoingBody> {
    let status = refusal.status();
    eprintln!("client {}: {} ({})", client.ip(), refusal.log_reason(), status.as_u16());
    let mut r = problem(status, &refusal.detail());
    r.headers_mut()
        .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    r
}

/// The runtime's own RFC 9457 error: opaque, the cause is in the log.
fn problem(status: StatusCode, detail: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    plain(status, "application/problem+json", body.to_string())
}

fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use tokio_rustls::rustls;
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("reading --tls-cert {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .context("parsing --tls-cert")?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("reading --tls-key {}", key.display()))?,
    ))
    .context("parsing --tls-key")?
    .context("--tls-key holds no private key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not match")?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
