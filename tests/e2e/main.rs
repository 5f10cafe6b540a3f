//! End-to-end tests: the real app (`spin.toml`, the real wasm components) on the real
//! runtime binary, over real HTTP on 127.0.0.1, with a fresh state dir per test.
//! One test binary; each module covers one surface. `cargo xtask test` builds the
//! components and `crm-host` first. Set `TEST_LOG=1` to see the runtime's output.

mod acl_matrix;
mod activities;
mod admin;
mod auth;
mod b24pysdk;
mod browser;
mod deals;
mod dictionaries;
mod exports;
mod funnel;
mod fuzz;
mod hardening;
mod health;
mod helpers;
mod imports;
mod intake;
mod io_round_trip;
mod money;
mod orders;
mod products;
mod records;
mod reliability;
mod reports;
mod rest;
mod sabotage;
mod ui;
mod ui_browser;
mod ui_imports;
mod ui_reports;
mod webhooks;
