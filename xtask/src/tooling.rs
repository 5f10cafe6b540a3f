//! What the browser tests need beyond cargo, installed when missing so that `cargo xtask test`
//! alone passes on a fresh machine of this kind (Debian with Node.js), saying what it installs:
//! Debian's `chromium` through `apt-get` (as root, or with `sudo`), and `playwright-core` by
//! `npm ci` in `tests/browser` (pinned by its lock file; it never downloads a browser).
//! `.ci/run` does the same before calling `cargo xtask test`, so there this finds all in place.
//! The REST API's SDK test (`tests/e2e/b24pysdk.rs`) needs the official Bitrix24 Python SDK:
//! a venv under the target dir (`<target>/b24pysdk`) with `tests/python/requirements.txt`
//! installed by pip from the Python package registry (`python3` and its `venv` module through
//! `apt-get` when missing).

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

/// Makes `<target>/b24pysdk`, a Python venv holding `tests/python/requirements.txt` (the pinned
/// `b24pysdk`), unless it already holds exactly that file's packages.
pub fn ensure_python_sdk(root: &Path, target: &Path) -> anyhow::Result<()> {
    let requirements = root.join("tests/python/requirements.txt");
    let wanted = std::fs::read(&requirements).context("reading tests/python/requirements.txt")?;
    let sum = hex::encode(Sha256::digest(&wanted));
    let venv = target.join("b24pysdk");
    let marker = venv.join(".requirements-sha256");
    let python = venv.join("bin/python");
    if python.is_file() && std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == sum) {
        return Ok(());
    }
    let venv_works = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !venv_works {
        eprintln!("The SDK test needs python3 with its venv module, which is missing: installing it with apt-get.");
        apt_install(&["python3", "python3-venv"])?;
    }
    eprintln!(
        "Installing the Bitrix24 Python SDK for the REST API test into {}.",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    let status = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
        .context("running python3 -m venv")?;
    if !status.success() {
        bail!("`python3 -m venv {}` failed", venv.display());
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .context("running pip install")?;
    if !status.success() {
        bail!("`pip install -r tests/python/requirements.txt` failed");
    }
    std::fs::write(&marker, format!("{sum}\n"))?;
    Ok(())
}
