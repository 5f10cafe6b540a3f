//! The `crm-host` command: `crm-host up --from spin.toml --listen 127.0.0.1:3000`.
//!
//! Flags follow `spin up` where Spin has them (`--from`, `--listen`, `--state-dir`,
//! `--runtime-config-file`, `--tls-cert`, `--tls-key`). Prints `Serving http://ADDR`
//! once ready, then one access-log line per request; stops gracefully on SIGINT/SIGTERM.
//! The limits clients are held to ([`crm_host::Limits`]) have their own flags:
//! `--header-timeout-secs`, `--idle-timeout-secs`, `--body-timeout-secs`,
//! `--max-body-bytes`, `--max-connections`. What SQLite costs can be set to a deployment's, to
//! measure it: `--sqlite-connections fresh` (Spin's connection per open),
//! `--sqlite-statement-delay-ms N` (a remote database's round trip), and
//! `--report-sql-statements` adds each response's statement count and a `Server-Timing` header.
//! `--schedule "60s POST /internal/tick"` sends that request into the app every interval
//! (repeatable), with each `--schedule-header "Name: {{ variable }}"` filled from the app's
//! variables ([`crm_host::schedule`]).

use crm_host::sqlite::{ConnectionMode, SqliteCost};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use crm_host::{HostOptions, manifest::Problems};

#[derive(Parser)]
#[command(name = "crm-host", version, about = "Run a Spin HTTP app locally on wasmtime")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app.
    Up {
        /// The app manifest.
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        from: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Where data lives (default: `.spin` beside the manifest).
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// A Spin runtime-config file.
        #[arg(long)]
        runtime_config_file: Option<PathBuf>,
        /// Where compiled components are cached.
        #[arg(long)]
        cache_dir: Option<PathBuf>,
        /// PEM certificate chain for HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for HTTPS.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Do not print a line per request.
        #[arg(long)]
        quiet: bool,
        /// Seconds a new connection has for its TLS handshake and first request head, and
        /// any request for its head once it started arriving [default: 10].
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout_secs: Option<u64>,
        /// Seconds a keep-alive connection may sit idle between requests [default: 60].
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        idle_timeout_secs: Option<u64>,
        /// Seconds a request body has to arrive in full; slower is 408 [default: 30].
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout_secs: Option<u64>,
        /// Largest request body in bytes; larger is 413 [default: 67108864, 64 MiB].
        #[arg(long, value_name = "BYTES")]
        max_body_bytes: Option<u64>,
        /// Open connections at most; more are answered 503 [default: 1024, or less when
        /// the open-file limit (`ulimit -n`) leaves less room].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        max_connections: Option<u64>,
        /// SQLite connections: `pooled` (reused, background checkpoints) or `fresh` (one per
        /// guest `open`, as Spin makes them: to measure what a Spin deployment pays).
        #[arg(long, value_name = "MODE", default_value = "pooled", value_parser = ["pooled", "fresh"])]
        sqlite_connections: String,
        /// Milliseconds added to every SQLite statement, standing in for a remote database's
        /// round trip (a Spin cloud's libSQL) [default: 0].
        #[arg(long, value_name = "MS")]
        sqlite_statement_delay_ms: Option<u64>,
        /// Add `crm-host-sql-statements: N` and `Server-Timing` (instantiation, SQL, total) to
        /// component responses (for benchmarks).
        #[arg(long)]
        report_sql_statements: bool,
        /// A request sent into the app every interval: "<interval> <METHOD> <path>", e.g.
        /// "60s POST /internal/tick" (repeatable; intervals 500ms, 30s, 5m, 1h).
        #[arg(long, value_name = "SPEC", value_parser = crm_host::schedule::Schedule::parse)]
        schedule: Vec<crm_host::schedule::Schedule>,
        /// A header every scheduled request carries, "Name: value"; the value may name the
        /// app's variables ("X-Tick-Secret: {{ tick_secret }}") (repeatable).
        #[arg(long, value_name = "HEADER", value_parser = crm_host::schedule::parse_header, requires = "schedule")]
        schedule_header: Vec<(String, String)>,
    },
}

fn main() -> ExitCode {
    let Command::Up {
        from,
        listen,
        state_dir,
        runtime_config_file,
        cache_dir,
        tls_cert,
        tls_key,
        quiet,
        header_timeout_secs,
        idle_timeout_secs,
        body_timeout_secs,
        max_body_bytes,
        max_connections,
        sqlite_connections,
        sqlite_statement_delay_ms,
        report_sql_statements,
        schedule,
        schedule_header,
    } = Cli::parse().command;
    let mut opts = HostOptions::new(from, listen);
    if let Some(dir) = state_dir {
        opts.state_dir = dir;
    }
    if let Some(dir) = cache_dir {
        opts.cache_dir = dir;
    }
    opts.runtime_config = runtime_config_file;
    opts.tls = tls_cert.zip(tls_key);
    opts.access_log = !quiet;
    let limits = &mut opts.limits;
    if let Some(secs) = header_timeout_secs {
        limits.header_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = idle_timeout_secs {
        limits.idle_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = body_timeout_secs {
        limits.body_timeout = Duration::from_secs(secs);
    }
    if let Some(bytes) = max_body_bytes {
        limits.max_body_bytes = bytes;
    }
    if let Some(n) = max_connections {
        limits.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    opts.sqlite_cost = SqliteCost {
        mode: if sqlite_connections == "fresh" {
            ConnectionMode::Fresh
        } else {
            ConnectionMode::Pooled
        },
        statement_delay: Duration::from_millis(sqlite_statement_delay_ms.unwrap_or(0)),
    };
    opts.report_sql_statements = report_sql_statements;
    opts.schedules = schedule
        .into_iter()
        .map(|mut s| {
            s.headers = schedule_header.clone();
            s
        })
        .collect();
    let host = match crm_host::start(&opts) {
        Ok(host) => host,
        Err(e) => {
            match e.downcast_ref::<Problems>() {
                Some(problems) => eprint!("{problems}"),
                None => eprintln!("error: {e:#}"),
            }
            return ExitCode::FAILURE;
        }
    };
    println!("Serving {}://{}", host.scheme, host.addr);
    wait_for_signal();
    eprintln!("shutting down: finishing in-flight requests");
    host.stop();
    ExitCode::SUCCESS
}

fn wait_for_signal() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("signal runtime");
    runtime.block_on(async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
}
