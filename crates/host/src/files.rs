//! File mounts (`files` in a component): read-only directories the guest sees.
//!
//! A `{ source, destination }` directory is mounted as it is, so edits show at once.
//! Glob patterns are resolved at start-up, like `spin up` does, by copying the matching
//! files (minus `exclude_files`) into `<state-dir>/files/<component>/`, mounted at `/`.

use std::path::{Path, PathBuf};

use crate::manifest::{ComponentSpec, FileMount, Problems};

/// Host directory -> guest path pairs for one component.
pub fn prepare_mounts(
    spec: &ComponentSpec,
    app_dir: &Path,
    state_dir: &Path,
    problems: &mut Problems,
) -> Vec<(PathBuf, String)> {
    let mut mounts = Vec::new();
    let patterns: Vec<&String> = spec
        .files
        .iter()
        .filter_map(|m| match m {
            FileMount::Pattern(p) => Some(p),
            FileMount::Mapping { .. } => None,
        })
        .collect();
    for m in &spec.files {
        if let FileMount::Mapping { source, destination } = m {
            mounts.push((PathBuf::from(source), destination.clone()));
        }
    }
    if patterns.is_empty() {
        return mounts;
    }
    let target = state_dir.join("files").join(&spec.id);
    let _ = std::fs::remove_dir_all(&target);
    let excluded: Vec<glob::Pattern> = spec
        .exclude_files
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    for pattern in patterns {
        let full = app_dir.join(pattern);
        let entries = match glob::glob(&full.to_string_lossy()) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(
                    format!("[component.{}] files pattern `{pattern}`: {e}", spec.id),
                    "write a glob such as \"static/**/*\"",
                );
                continue;
            }
        };
        for path in entries.flatten().filter(|p| p.is_file()) {
            let Ok(relative) = path.strip_prefix(app_dir) else {
                continue;
            };
            if excluded.iter().any(|x| x.matches_path(relative)) {
                continue;
            }
            let dest = target.join(relative);
            let copied = dest
                .parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::copy(&path, &dest));
            if let Err(e) = copied {
                problems.push(
                    format!("cannot copy {} for [component.{}]: {e}", path.display(), spec.id),
                    "check the state directory is writable",
                );
            }
        }
    }
    let _ = std::fs::create_dir_all(&target);
    mounts.push((target, "/".to_string()));
    mounts
}
