//! Reports (issue 17). This branch holds only the funnels; the report engine's `mod.rs`
//! (branch `reports-engine`) replaces this file at merge and keeps `pub mod funnel;`.

pub mod funnel;
