//! Where the app's data lives: `--state-dir` defaults and the runtime-config file.
//!
//! As with `spin up`, the `default` SQLite database is `<state-dir>/sqlite_db.db` and
//! the `default` key-value store `<state-dir>/sqlite_key_value.db`. Other labels, or
//! other paths, come from a runtime-config file in Spin's syntax:
//!
//! ```toml
//! [sqlite_database.reports]
//! type = "spin"
//! path = "data/reports.db"      # relative to this file
//!
//! [key_value_store.default]
//! type = "spin"
//! path = "data/kv.db"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::manifest::Problems;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntimeConfig {
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawStore>,
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
}

#[derive(Debug, Deserialize)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    path: Option<PathBuf>,
}

/// Resolved storage locations, by label.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// SQLite database files.
    pub databases: BTreeMap<String, PathBuf>,
    /// Key-value store files (one SQLite file may hold several stores).
    pub key_value_stores: BTreeMap<String, PathBuf>,
}

impl Storage {
    /// The defaults under `state_dir`, overridden by `config_file` if given.
    pub fn resolve(state_dir: &Path, config_file: Option<&Path>, problems: &mut Problems) -> Storage {
        let mut storage = Storage::default();
        storage
            .databases
            .insert("default".into(), state_dir.join("sqlite_db.db"));
        storage
            .key_value_stores
            .insert("default".into(), state_dir.join("sqlite_key_value.db"));
        let Some(file) = config_file else { return storage };
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                problems.push(
                    format!("cannot read runtime config {}: {e}", file.display()),
                    "check --runtime-config-file",
                );
                return storage;
            }
        };
        let raw: RawRuntimeConfig = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                problems.push(
                    format!("runtime config {} is invalid: {}", file.display(), e.to_string().trim()),
                    "it takes [sqlite_database.<label>] and [key_value_store.<label>] tables with type = \"spin\" and path",
                );
                return storage;
            }
        };
        let base = file.parent().unwrap_or(Path::new("."));
        let kinds = [
            ("sqlite_database", raw.sqlite_database),
            ("key_value_store", raw.key_value_store),
        ];
        for (table, entries) in kinds {
            for (label, store) in entries {
                if store.kind != "spin" {
                    problems.push(
                        format!(
                            "[{table}.{label}] has type `{}`, which this runtime does not provide",
                            store.kind
                        ),
                        "use type = \"spin\" (a local SQLite file)",
                    );
                    continue;
                }
                let path = match store.path {
                    Some(p) if p.is_absolute() => p,
                    Some(p) => base.join(p),
                    None => state_dir.join(format!("{label}.db")),
                };
                let target = if table == "sqlite_database" {
                    &mut storage.databases
                } else {
                    &mut storage.key_value_stores
                };
                target.insert(label, path);
            }
        }
        storage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_live_in_the_state_dir_and_the_file_overrides_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut problems = Problems(Vec::new());
        let s = Storage::resolve(Path::new("/state"), None, &mut problems);
        assert_eq!(s.databases["default"], Path::new("/state/sqlite_db.db"));
        assert_eq!(s.key_value_stores["default"], Path::new("/state/sqlite_key_value.db"));

        let file = dir.path().join("rc.toml");
        std::fs::write(&file, "[sqlite_database.default]\ntype='spin'\npath='data/x.db'\n[key_value_store.cache]\ntype='spin'\npath='/abs/kv.db'\n").unwrap();
        let s = Storage::resolve(Path::new("/state"), Some(&file), &mut problems);
        assert!(problems.0.is_empty(), "{problems}");
        assert_eq!(s.databases["default"], dir.path().join("data/x.db"));
        assert_eq!(s.key_value_stores["cache"], Path::new("/abs/kv.db"));
    }

    #[test]
    fn unsupported_types_and_bad_syntax_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rc.toml");
        std::fs::write(
            &file,
            "[sqlite_database.default]\ntype='libsql'\nurl='x'\n[key_value_store.a]\ntype='redis'\n",
        )
        .unwrap();
        let mut problems = Problems(Vec::new());
        Storage::resolve(Path::new("/s"), Some(&file), &mut problems);
        assert_eq!(problems.0.len(), 2, "{problems}");
        std::fs::write(&file, "[oops").unwrap();
        let mut problems = Problems(Vec::new());
        Storage::resolve(Path::new("/s"), Some(&file), &mut problems);
        assert_eq!(problems.0.len(), 1);
    }
}
