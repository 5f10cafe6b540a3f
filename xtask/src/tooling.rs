//! What the browser tests need beyond cargo, installed when missing so that `cargo xtask test`
//! alone passes on a fresh machine of this kind (Debian with Node.js), saying what it installs:
//! Debian's `chromium` through `apt-get` (as root, or with `sudo`), and `playwright-core` by
//! `npm ci` in `tests/browser` (pinned by its lock file; it never downloads a browser).
//! `.ci/run` does the same before calling `cargo xtask test`, so there this finds all in place.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// The browser the tests drive (overridable with `CHROMIUM`, as `tests/browser/run.mjs` reads).
fn chromium_present() -> bool {
    match std::env::var_os("CHROMIUM") {
        Some(path) => Path::new(&path).is_file(),
        None => Path::new("/usr/bin/chromium").is_file(),
    }
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `apt-get install -y <packages>` as root or through sudo.
fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let mut prefix: Vec<&str> = Vec::new();
    if !is_root() {
        if !found("sudo") {
            bail!(
                "installing {} needs root: run `sudo apt-get install -y {}` and try again",
                packages.join(" "),
                packages.join(" ")
            );
        }
        prefix.push("sudo");
    }
    for args in [
        vec!["update", "-q"],
        [vec!["install", "-y", "-q"], packages.to_vec()].concat(),
    ] {
        let mut command = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            command.arg("apt-get");
        }
        let status = command
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("`apt-get {}` failed", args.join(" "));
        }
    }
    Ok(())
}

/// Installs chromium and the npm packages of `tests/browser` if they are missing or stale.
pub fn ensure_browser_tooling(root: &Path) -> anyhow::Result<()> {
    if !chromium_present() {
        eprintln!("The browser tests need Debian's chromium, which is missing: installing it with apt-get.");
        apt_install(&["chromium"])?;
    }
    if !found("npm") || !found("node") {
        eprintln!("The browser tests need Node.js and npm, which are missing: installing them with apt-get.");
        apt_install(&["nodejs", "npm"])?;
    }
    let browser = root.join("tests/browser");
    let lock = std::fs::read(browser.join("package-lock.json")).context("reading tests/browser/package-lock.json")?;
    let lock_sum = hex::encode(Sha256::digest(&lock));
    let marker = browser.join("node_modules/.lock-sha256");
    let installed = browser.join("node_modules/playwright-core/package.json").is_file()
        && std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == lock_sum);
    if !installed {
        eprintln!("Installing the browser tests' npm packages (npm ci in tests/browser).");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser)
            .status()
            .context("running npm ci")?;
        if !status.success() {
            bail!("`npm ci` in tests/browser failed");
        }
        std::fs::write(&marker, format!("{lock_sum}\n"))?;
    }
    Ok(())
}
