//! Core wasm modules made components, as Spin does when it loads one.
//!
//! Spin runs modules built before the component model reached their toolchain: `wasm32-wasip1`
//! modules of older Spin SDKs and other languages, and `wit-bindgen` modules built for
//! `wasm32-unknown-unknown`. Both carry the world they implement in `component-type` custom
//! sections (what `wit-bindgen` embeds), so [`componentize`] wraps the module into a component
//! with `wit-component`. A module importing WASI preview 1 (`wasi_snapshot_preview1`) gets
//! wasmtime's preview 1 adapter, of the same release as the engine: the *command* adapter
//! when it exports `_start` (a program: `wasi:cli/run` calls it), the *reactor* adapter
//! otherwise (a library whose exports are called, such as an HTTP handler). A module importing
//! no WASI needs no adapter. Components pass through untouched.
//!
//! The result is compiled and cached like any component ([`crate::compile_cache`], keyed by
//! the module's own content), so a module is adapted only when it is first compiled.

use std::borrow::Cow;

use anyhow::Context;
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wasmparser::{Parser, Payload};

/// `bytes` as a component: unchanged when it is one, adapted when it is a core module.
pub fn componentize(bytes: &[u8]) -> anyhow::Result<Cow<'_, [u8]>> {
    if !Parser::is_core_wasm(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    let shape = Shape::of(bytes).context("reading the core module")?;
    if !shape.has_world {
        anyhow::bail!(
            "it is a core wasm module with no component-type metadata, so there is no world to adapt it to (build it with a Spin SDK or wit-bindgen)"
        );
    }
    let mut encoder = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(bytes)
        .context("reading the core module's component-type metadata")?;
    if shape.imports_wasi_p1 {
        let adapter = if shape.exports_start {
            WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER
        } else {
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER
        };
        encoder = encoder.adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter)?;
    }
    let component = encoder.encode().context("adapting the core module into a component")?;
    Ok(Cow::Owned(component))
}

/// What decides how a core module is adapted.
struct Shape {
    /// It carries `component-type` custom sections (the world `wit-bindgen` embeds).
    has_world: bool,
    imports_wasi_p1: bool,
    exports_start: bool,
}

impl Shape {
    fn of(bytes: &[u8]) -> anyhow::Result<Shape> {
        let mut shape = Shape {
            has_world: false,
            imports_wasi_p1: false,
            exports_start: false,
        };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        shape.imports_wasi_p1 |= import?.module == WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME;
                    }
                }
                Payload::ExportSection(exports) => {
                    for export in exports {
                        shape.exports_start |= export?.name == "_start";
                    }
                }
                Payload::CustomSection(section) => {
                    shape.has_world |= section.name().starts_with("component-type");
                }
                _ => {}
            }
        }
        Ok(shape)
    }
}
