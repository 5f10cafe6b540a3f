//! `cargo xtask bench reports`: the funnel, the eight standard reports and a two-dimension
//! designer report over a whole year of a million deals (issue 17's closing figures).

mod data;

use std::path::Path;

/// Generates (or reuses) the database, then measures.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let state = root.join("target").join("bench-state").join("reports-v1");
    let _fixture = data::prepare(&state)?;
    Ok(())
}
