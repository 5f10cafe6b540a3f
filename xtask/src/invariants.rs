//! The architecture's invariants as checks, run first by `cargo xtask test` (ARCHITECTURE.md
//! states them; this makes them hold):
//!
//! - **components hold no SQL**: no SQL statement text in `components/*/src` (SQL lives in
//!   `crates/core`, behind its `Db` trait);
//! - **the record engine compares no entity name**: nothing in `crates/core/src/records` outside
//!   the entity registry (`entity.rs`) and the entities' own files (`entities/`) tests a value
//!   against `"lead"`, `"deal"`, ...; what differs between entities is data on `EntityDef`;
//! - **core stays portable**: `crm-core` depends (also transitively) on no Spin, wasmtime,
//!   SQLite driver, HTTP or async runtime crate.
//!
//! The scanners are plain functions over file texts, so their own tests show each check
//! failing on a planted violation.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The record entities' names, from core's own registry.
const ENTITY_NAMES: &[&str] = crm_core::records::entity::NAMES;

/// SQL statement openings that never belong in a component.
const SQL_WORDS: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "INSERT OR ",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "CREATE INDEX",
    "DROP TABLE",
    "ALTER TABLE",
    "PRAGMA ",
    "BEGIN",
    "COMMIT",
    "SAVEPOINT",
];

/// Crates `crm-core` must never reach.
const FORBIDDEN_IN_CORE: &[&str] = &[
    "spin-sdk",
    "spin-executor",
    "wit-bindgen",
    "wasmtime",
    "rusqlite",
    "libsqlite3-sys",
    "hyper",
    "http",
    "reqwest",
    "tokio",
    "crm-spin-adapter",
    "crm-sqlite",
    "crm-host",
];

/// One broken invariant: where and what.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding {
    pub place: String,
    pub what: String,
}

/// Runs every check over the project at `root`; fails listing every finding.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let mut findings = Vec::new();
    for file in rust_files(&root.join("components"))? {
        let text = std::fs::read_to_string(&file)?;
        findings.extend(sql_in(&display(root, &file), &text));
    }
    let records = root.join("crates/core/src/records");
    for file in rust_files(&records)? {
        let relative = file.strip_prefix(&records).unwrap_or(&file);
        if relative == Path::new("entity.rs") || relative.starts_with("entities") {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        findings.extend(entity_name_comparisons(&display(root, &file), &text));
    }
    findings.extend(forbidden_dependencies(&core_dependencies(root)?));
    if findings.is_empty() {
        return Ok(());
    }
    for f in &findings {
        eprintln!("invariant broken: {}: {}", f.place, f.what);
    }
    bail!(
        "{} architecture invariant(s) broken (see ARCHITECTURE.md)",
        findings.len()
    )
}

/// SQL statement text in string literals of `text` (comments skipped).
pub fn sql_in(place: &str, text: &str) -> Vec<Finding> {
    code_lines(text)
        .filter_map(|(n, code)| {
            let literal = string_parts(code);
            SQL_WORDS
                .iter()
                .find(|word| literal.iter().any(|part| starts_word(part, word)))
                .map(|word| Finding {
                    place: format!("{place}:{n}"),
                    what: format!("SQL ({}) in a component; move it into crates/core", word.trim()),
                })
        })
        .collect()
}

/// Comparisons of a value with an entity's name (`== "deal"`, `"lead" =>`, ...) in `text`.
pub fn entity_name_comparisons(place: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (n, code) in code_lines(text) {
        for name in ENTITY_NAMES {
            let quoted = format!("\"{name}\"");
            let compared = [
                format!("== {quoted}"),
                format!("!= {quoted}"),
                format!("{quoted} =>"),
                format!("{quoted} |"),
                format!("| {quoted}"),
            ];
            if compared.iter().any(|c| code.contains(c.as_str())) {
                out.push(Finding {
                    place: format!("{place}:{n}"),
                    what: format!("the record engine compares an entity name ({quoted}); say it as EntityDef data or an entity hook"),
                });
            }
        }
    }
    out
}

/// Forbidden crates among `dependencies` (package names).
pub fn forbidden_dependencies(dependencies: &[String]) -> Vec<Finding> {
    dependencies
        .iter()
        .filter(|d| FORBIDDEN_IN_CORE.contains(&d.as_str()))
        .map(|d| Finding {
            place: "crates/core/Cargo.toml".into(),
            what: format!("crm-core depends on {d}; core must not know Spin, wasmtime, SQLite drivers or HTTP"),
        })
        .collect()
}

/// Every package `crm-core` depends on, transitively (normal and build dependencies).
fn core_dependencies(root: &Path) -> anyhow::Result<Vec<String>> {
    let out = crate::cargo_command()
        .current_dir(root)
        .args([
            "tree",
            "-p",
            "crm-core",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .context("running cargo tree")?;
    if !out.status.success() {
        bail!("cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// `(line number, code)` for each line, with `//` comments (incl. doc comments) removed.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let trimmed = line.trim_start();
        (!trimmed.starts_with("//")).then_some((i + 1, line))
    })
}

/// The parts of `line` inside double quotes (a rough lexer: enough for a lint).
fn string_parts(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// Whether `word` occurs in `text` at a word start.
fn starts_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
            && text[i + word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() || word.ends_with(' '))
    })
}

fn rust_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            out.extend(rust_files(&path)?);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn display(root: &Path, file: &Path) -> String {
    file.strip_prefix(root).unwrap_or(file).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_planted_in_a_component_is_found_and_comments_are_not() {
        let text =
            "//! SELECT nothing here\nfn f(db: &Db) {\n    db.query(\"SELECT id FROM leads WHERE id = ?\", &[]);\n}\n";
        let found = sql_in("components/x/src/lib.rs", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].place, "components/x/src/lib.rs:3");
        assert!(sql_in("c.rs", "let s = \"Selected leads: UPDATED\";").is_empty());
        assert_eq!(sql_in("c.rs", "x(\"BEGIN\")").len(), 1);
    }

    #[test]
    fn an_entity_name_compared_in_the_engine_is_found() {
        assert_eq!(entity_name_comparisons("e.rs", "if def.name == \"deal\" {").len(), 1);
        assert_eq!(entity_name_comparisons("e.rs", "    \"lead\" => 1,").len(), 1);
        assert!(entity_name_comparisons("e.rs", "// if def.name == \"deal\"").is_empty());
        assert!(entity_name_comparisons("e.rs", "link(\"deal\", id)").is_empty());
    }

    #[test]
    fn a_forbidden_crate_under_core_is_found() {
        let deps = ["serde".to_string(), "rusqlite".to_string(), "sha2".to_string()];
        let found = forbidden_dependencies(&deps);
        assert_eq!(found.len(), 1);
        assert!(found[0].what.contains("rusqlite"));
    }

    /// The project as it is keeps every invariant (the same check `cargo xtask test` runs first).
    #[test]
    fn the_project_keeps_its_invariants() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
        check(root).expect("the invariants hold");
    }
}
