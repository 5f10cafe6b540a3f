//! `cargo xtask bench startup`: how long a restart takes to answer, and what a component's
//! first request adds.
//!
//! - **first 200**: process start to the first `200` from `/api/health` on an existing
//!   database with a warm compile cache, over [`RUNS`] starts (median, min, max); the same
//!   for the app with [`EXTRA_COPIES`] more copies of every component under other routes, to
//!   show whether start-up grows with the app;
//! - **first hit**: on each start, every other component's first request (its first route,
//!   unauthenticated: most answer 401) against the same request again; the difference is
//!   what loading a component on its first request costs.
//!
//! A benchmark, never a test: it prints figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::bench::{request, start_host_full, stop};

/// Starts measured per app.
const RUNS: usize = 15;
/// How many copies of every component the larger app adds.
const EXTRA_COPIES: usize = 3;

/// `args`: `--host PATH` measures another `crm-host` binary (an older build, to compare).
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    crate::build_all(false)?;
    let binary = match args {
        [flag, path] if flag == "--host" => PathBuf::from(path),
        [] => crate::host_binary(),
        _ => anyhow::bail!("usage: cargo xtask bench startup [--host PATH]"),
    };
    let state = root.join("target").join("bench-startup");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)?;
    let manifest = root.join("spin.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let routes = first_route_per_component(&text);
    let larger = larger_app(root, &text, &state)?;

    println!(
        "\n## start-up of {} ({RUNS} starts each, existing database, warm compile cache)\n",
        binary.display()
    );
    println!("| app | components | first 200 median | min | max |");
    println!("|---|---|---|---|---|");
    let mut first_hits = Vec::new();
    for (name, manifest, copies) in [
        ("spin.toml", manifest.as_path(), 1),
        ("spin.toml with copies", larger.as_path(), 1 + EXTRA_COPIES),
    ] {
        // The first start creates the database and fills the compile cache.
        let (host, _) = start_host_full(&binary, manifest, &state.join("data"), "/api/health", &[])?;
        stop(host);
        let mut starts = Vec::new();
        for _ in 0..RUNS {
            let (host, took) = start_host_full(&binary, manifest, &state.join("data"), "/api/health", &[])?;
            starts.push(took);
            // First hits are measured on the app as it ships.
            if copies == 1 {
                first_hits.push(first_hits_of(&host.1, &routes)?);
            }
            stop(host);
        }
        starts.sort();
        println!(
            "| {name} | {} | {:?} | {:?} | {:?} |",
            routes.len() * copies,
            starts[starts.len() / 2],
            starts[0],
            starts[starts.len() - 1]
        );
    }

    println!("\n| component | path | first request p50 | next request p50 | load cost |");
    println!("|---|---|---|---|---|");
    let mut costs = Vec::new();
    for (i, (component, path)) in routes.iter().enumerate().filter(|(_, (c, _))| c != "health") {
        let mut first: Vec<Duration> = first_hits.iter().map(|run| run[i].0).collect();
        let mut next: Vec<Duration> = first_hits.iter().map(|run| run[i].1).collect();
        first.sort();
        next.sort();
        let (first, next) = (first[first.len() / 2], next[next.len() / 2]);
        let cost = first.saturating_sub(next);
        costs.push(cost);
        println!("| {component} | {path} | {first:?} | {next:?} | {cost:?} |");
    }
    costs.sort();
    if let (Some(median), Some(max)) = (costs.get(costs.len() / 2), costs.last()) {
        println!("\nloading a component on its first request: median {median:?}, max {max:?}");
    }
    Ok(())
}

/// Each component's first route in the manifest, as a path to request (`/...` and `/x/...`
/// become `/` and `/x`).
fn first_route_per_component(manifest: &str) -> Vec<(String, String)> {
    let mut routes: Vec<(String, String)> = Vec::new();
    let mut route = None;
    for line in manifest.lines() {
        let value = |key: &str| {
            line.strip_prefix(key)
                .map(|v| v.trim().trim_start_matches('=').trim().trim_matches('"').to_string())
        };
        if let Some(r) = value("route") {
            route = Some(r);
        } else if let (Some(c), Some(r)) = (value("component"), route.take())
            && !routes.iter().any(|(known, _)| *known == c)
        {
            let path = r.trim_end_matches("...").trim_end_matches('/');
            routes.push((c, if path.is_empty() { "/".into() } else { path.into() }));
        }
    }
    routes
}

/// `spin.toml` with [`EXTRA_COPIES`] more copies of every component, each under its own
/// route prefix and with its own copy of the `.wasm` file; written into `state`.
fn larger_app(root: &Path, manifest: &str, state: &Path) -> anyhow::Result<PathBuf> {
    let absolute = manifest.replace("source = \"", &format!("source = \"{}/", root.display()));
    let mut text = absolute.clone();
    for copy in 1..=EXTRA_COPIES {
        for block in tables(&absolute) {
            let header = block[0];
            let kept = if header == "[[trigger.http]]" {
                true
            } else if let Some(id) = header.strip_prefix("[component.").and_then(|h| h.strip_suffix(']')) {
                !id.contains('.') // a `.build` table is not needed
            } else {
                false
            };
            if !kept {
                continue;
            }
            for line in block {
                text.push_str(&copied_line(line, copy, state)?);
                text.push('\n');
            }
        }
    }
    let path = state.join("spin-larger.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The manifest's tables, each as its lines from its header on.
fn tables(manifest: &str) -> Vec<Vec<&str>> {
    let mut tables: Vec<Vec<&str>> = Vec::new();
    for line in manifest.lines() {
        if line.starts_with('[') {
            tables.push(vec![line]);
        } else if let Some(table) = tables.last_mut() {
            table.push(line);
        }
    }
    tables
}

/// One line of a trigger or component table, renamed for copy number `copy`.
fn copied_line(line: &str, copy: usize, state: &Path) -> anyhow::Result<String> {
    let suffix = format!("-copy{copy}");
    Ok(if let Some(id) = line.strip_prefix("[component.") {
        format!("[component.{}{suffix}]", id.trim_end_matches(']'))
    } else if let Some(id) = line.strip_prefix("component = \"") {
        format!("component = \"{}{suffix}\"", id.trim_end_matches('"'))
    } else if let Some(route) = line.strip_prefix("route = \"") {
        format!("route = \"/copy{copy}{route}")
    } else if let Some(wasm) = line.strip_prefix("source = \"").and_then(|s| s.strip_suffix(".wasm\"")) {
        let from = PathBuf::from(format!("{wasm}.wasm"));
        let name = from.file_name().context("a .wasm file name")?.to_string_lossy();
        let to = state.join(format!("copy{copy}-{name}"));
        std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
        format!("source = {:?}", to.to_string_lossy())
    } else {
        line.to_string()
    })
}

/// Each route's first and second request, timed.
fn first_hits_of(addr: &str, routes: &[(String, String)]) -> anyhow::Result<Vec<(Duration, Duration)>> {
    let timed = |path: &str| -> anyhow::Result<Duration> {
        let started = Instant::now();
        request(addr, "GET", path, &[], None)?;
        Ok(started.elapsed())
    };
    routes
        .iter()
        .map(|(_, path)| Ok((timed(path)?, timed(path)?)))
        .collect()
}
