//! Project automation, so a fresh machine needs only `cargo`:
//!
//! - `cargo xtask up [--listen ADDR] [--state-dir DIR]` (with the webhook tick every minute, its
//!   secret generated into `<state dir>/tick_secret`): build the components and the
//!   runtime (incrementally) and serve the app;
//! - `cargo xtask test`: format check, the architecture invariants (`invariants`), the
//!   components' size budget (`wasm_size`), clippy (native and wasm), then every test (installing
//!   the browser tests' chromium and npm packages first when they are missing);
//! - `cargo xtask bench`: load figures for the closing notes (needs `wrk`);
//!   `cargo xtask bench acl`: only the native ACL list figures;
//!   `cargo xtask bench records`: only the record engine over a million leads and contacts;
//!   `cargo xtask bench deals`: only deals and the kanban board over a million deals.
//!   `cargo xtask bench reports`: only the funnel and the reports over a year of a million deals.
//!   `cargo xtask bench exports`: only 100,000 contacts exported as XLSX and CSV through the
//!   streaming exports component (time, size, the guest's peak memory) beside the native list.
//!   `cargo xtask bench intake`: only web-form submissions against their native floor.
//!   `cargo xtask bench orders`: only store orders (20-item deliveries) against their native floor.
//!   `cargo xtask bench imports`: only a 100,000-row contact CSV through the import steps.
//!   `cargo xtask bench deploy`: each endpoint's cost pooled, on Spin's fresh connections and
//!   with a remote database's round trip per statement, with its statements per request.
//!   `cargo xtask bench startup`: a restart's first answer, with the app and with more
//!   components, and what each component's first request adds (`--host PATH` measures another
//!   build of the runtime, to compare).
//!   `cargo xtask bench ui`: only the web UI's screen times in chromium over a million leads
//!   (needs node and chromium, installed as for `cargo xtask test`).
//! - `cargo xtask sizes`: every component's size, as built and stripped of custom sections.
//! - `cargo xtask reliability`: 10,000 form submissions with a SIGKILL of the runtime midway;
//!   every acknowledged one must be stored exactly once.
//!
//! The components build for `wasm32-wasip2` into `target/wasm32-wasip2/release/`,
//! exactly where `spin.toml` points, so `spin build && spin up` sees the same files. For the
//! runtime's tests two fixtures are also built as core modules (the probe for
//! `wasm32-wasip1`, `fixture-bindgen-module` for `wasm32-unknown-unknown`), the targets added
//! with rustup when missing.

mod acl_bench;
mod bench;
mod deals_bench;
mod deploy_bench;
mod export_bench;
mod intake_bench;
mod invariants;
mod io_bench;
mod orders_bench;
mod records_bench;
mod reliability;
mod reports_bench;
mod startup_bench;
mod tooling;
mod ui_bench;
mod wasm_size;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

/// The fixtures also built as core modules, and for which target (see `build_all`).
const MODULE_FIXTURES: [(&str, &str); 2] = [
    ("wasm32-wasip1", "fixture-probe"),
    ("wasm32-unknown-unknown", "fixture-bindgen-module"),
];

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("up") => up(&args[1..]),
        Some("test") => test(),
        Some("bench") if args.get(1).map(String::as_str) == Some("acl") => acl_bench::run(&root.join("target")),
        Some("bench") if args.get(1).map(String::as_str) == Some("records") => records_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("deals") => deals_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("exports") => export_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("intake") => intake_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("orders") => orders_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("imports") => io_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("ui") => ui_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("reports") => match args.get(2).map(String::as_str) {
            Some("plans") => reports_bench::plans(&root),
            _ => reports_bench::run(&root),
        },
        Some("bench") if args.get(1).map(String::as_str) == Some("deploy") => deploy_bench::run(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("startup") => startup_bench::run(&root, &args[2..]),
        Some("reliability") => reliability::run(&root),
        Some("sizes") => {
            build_all(false)?;
            wasm_size::print(&wasm_packages(false)?)
        }
        Some("bench") => bench::run(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask up [--listen 127.0.0.1:3000] [--state-dir .spin] | test | bench [acl | records | deals | reports | exports | imports | intake | orders | ui | deploy | startup [--host PATH]] | reliability | sizes"
            );
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn up(args: &[String]) -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:3000".to_string();
    let mut state_dir = ".spin".to_string();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--listen" => listen = it.next().context("--listen needs an address")?.clone(),
            "--state-dir" => state_dir = it.next().context("--state-dir needs a directory")?.clone(),
            other => bail!("unknown option {other}"),
        }
    }
    build_all(false)?;
    // Outbound webhooks are delivered by `POST /internal/tick`, which the runtime sends every
    // minute with the app's tick secret: generated once and kept under the state dir.
    let tick_secret = match std::env::var("SPIN_VARIABLE_TICK_SECRET") {
        Ok(secret) if !secret.is_empty() => secret,
        _ => tick_secret(Path::new(&state_dir))?,
    };
    let status = Command::new(host_binary())
        .args([
            "up",
            "--from",
            "spin.toml",
            "--listen",
            &listen,
            "--state-dir",
            &state_dir,
            "--schedule",
            "60s POST /internal/tick",
            "--schedule-header",
            "X-Tick-Secret: {{ tick_secret }}",
        ])
        .env("SPIN_VARIABLE_TICK_SECRET", tick_secret)
        .status()
        .context("starting crm-host")?;
    if !status.success() {
        bail!("crm-host exited with {status}");
    }
    Ok(())
}

/// The tick secret kept in `<state_dir>/tick_secret` (made on first use: 32 random bytes as
/// hex, readable by the owner only).
fn tick_secret(state_dir: &Path) -> anyhow::Result<String> {
    let path = state_dir.join("tick_secret");
    if let Ok(secret) = std::fs::read_to_string(&path)
        && !secret.trim().is_empty()
    {
        return Ok(secret.trim().to_string());
    }
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes).context("reading /dev/urandom")?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(state_dir)?;
    std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret)
}

fn test() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--check"]).context("formatting differs: run `cargo fmt --all`")?;
    invariants::check(&project_root())?;
    tooling::ensure_browser_tooling(&project_root())?;
    tooling::ensure_python_sdk(&project_root(), &project_root().join(target_dir()))?;
    build_all(true)?;
    wasm_size::check(&wasm_packages(false)?)?;
    // Everything compiles natively too (spin-sdk has native stubs), so clippy and the unit
    // tests of the components' pure logic run on the host; the guests are also linted as wasm.
    cargo(&[
        "clippy",
        "--release",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    let wasm = wasm_packages(true)?;
    let mut wasm_clippy = vec!["clippy", "--release", "--target", WASM_TARGET];
    for p in &wasm {
        wasm_clippy.extend(["-p", p.as_str()]);
    }
    wasm_clippy.extend(["--", "-D", "warnings"]);
    cargo(&wasm_clippy)?;
    cargo(&["test", "--release", "--workspace"])?;
    Ok(())
}

/// Builds every wasm component (and the test fixtures if asked) and the runtime.
pub fn build_all(with_fixtures: bool) -> anyhow::Result<()> {
    ensure_target(WASM_TARGET)?;
    let packages = wasm_packages(with_fixtures)?;
    let mut args = vec!["build", "--release", "--target", WASM_TARGET];
    for p in &packages {
        args.extend(["-p", p.as_str()]);
    }
    cargo(&args)?;
    if with_fixtures {
        // The runtime's tests also load core modules, as Spin loads modules of older
        // toolchains: the probe for wasip1, and a wit-bindgen module importing no WASI.
        for (target, package) in MODULE_FIXTURES {
            ensure_target(target)?;
            cargo(&["build", "--release", "--target", target, "-p", package])?;
        }
    }
    cargo(&["build", "--release", "-p", "crm-host"])?;
    mirror_wasm_into_target(&packages)
}

/// Package names of `components/*` (and `tests/fixtures/*`).
fn wasm_packages(with_fixtures: bool) -> anyhow::Result<Vec<String>> {
    let mut dirs = vec!["components"];
    if with_fixtures {
        dirs.push("tests/fixtures");
    }
    let mut names = Vec::new();
    for dir in dirs {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
        entries.sort();
        for crate_dir in entries {
            let manifest = crate_dir.join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest) {
                let name = text
                    .lines()
                    .find_map(|l| l.strip_prefix("name = "))
                    .map(|n| n.trim_matches('"').to_string())
                    .with_context(|| format!("{} has no package name", manifest.display()))?;
                names.push(name);
            }
        }
    }
    Ok(names)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The runtime binary built by [`build_all`].
pub fn host_binary() -> PathBuf {
    target_dir().join("release").join("crm-host")
}

/// `spin.toml` names `target/wasm32-wasip2/release/*.wasm`; with another
/// `CARGO_TARGET_DIR` the files are copied there so the manifest stays true.
fn mirror_wasm_into_target(packages: &[String]) -> anyhow::Result<()> {
    let built = target_dir().join(WASM_TARGET).join("release");
    let expected = Path::new("target").join(WASM_TARGET).join("release");
    if built.canonicalize().ok() == expected.canonicalize().ok() {
        return Ok(());
    }
    std::fs::create_dir_all(&expected)?;
    for p in packages {
        let file = format!("{}.wasm", p.replace('-', "_"));
        std::fs::copy(built.join(&file), expected.join(&file)).with_context(|| format!("copying {file}"))?;
    }
    Ok(())
}

/// Installs the standard library of `target` with rustup when it is missing, saying so.
fn ensure_target(target: &str) -> anyhow::Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == target) => Ok(()),
        Ok(_) => {
            eprintln!("the {target} target is missing; adding it with `rustup target add {target}`");
            let status = Command::new("rustup").args(["target", "add", target]).status()?;
            if status.success() {
                Ok(())
            } else {
                bail!("rustup target add {target} failed")
            }
        }
        Err(_) => {
            eprintln!("rustup not found; assuming the {target} standard library is installed");
            Ok(())
        }
    }
}

/// A `cargo` command with the environment a shell would give it. `cargo xtask` runs under
/// `cargo run`, which sets `CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`... to xtask's; build scripts
/// that read them (ring's does) ask cargo to rebuild when they change, so a build started from
/// xtask and one started from a shell (or from a clone at another path) kept rebuilding ring,
/// rustls and wasmtime-wasi-http for each other.
pub fn cargo_command() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || matches!(
                &*name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(&*name);
        }
    }
    command
}

fn cargo(args: &[&str]) -> anyhow::Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = cargo_command().args(args).status().context("running cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
}
