//! The `crm-host` command: `crm-host up --from spin.toml --listen 127.0.0.1:3000`.
//!
//! Flags follow `spin up` where Spin has them (`--from`, `--listen`, `--state-dir`,
//! `--runtime-config-file`, `--tls-cert`, `--tls-key`). Prints `Serving http://ADDR`
//! once ready, then one access-log line per request; stops gracefully on SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

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
