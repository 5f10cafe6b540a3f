//! Core wasm modules, loaded as Spin loads them: the probe built for `wasm32-wasip1` (a module
//! importing WASI preview 1, adapted with the reactor adapter) runs unchanged, as does
//! `fixture-bindgen-module` built for `wasm32-unknown-unknown` (a `wit-bindgen` module
//! importing no WASI); a module is compiled once into the cache like a component.

use super::{TestApp, cached_artifacts, get, json};

const BOTH: &str = "[component.wasip1]\nsource = \"PROBE_WASIP1\"\nkey_value_stores = [\"default\"]\n\
    environment = { GREETING = \"hi\" }\nvariables = { message = \"from a module\" }\n\
    files = [{ source = \"assets\", destination = \"/assets\" }]\n\
    [component.bindgen]\nsource = \"PROBE_BINDGEN\"\n";

#[test]
fn a_wasip1_module_and_a_wit_bindgen_module_run_as_components() {
    let app = TestApp::new(&[("/p1/...", "wasip1"), ("/bg/...", "bindgen")], BOTH);
    std::fs::create_dir_all(app.dir.path().join("assets")).unwrap();
    std::fs::write(app.dir.path().join("assets/a.txt"), "mounted").unwrap();
    let host = app.start();
    let h = json(&host, "/p1/x/headers");
    assert_eq!(h["spin-matched-route"], "/p1/...");
    assert_eq!(h["spin-path-info"], "/x/headers");
    assert_eq!(json(&host, "/p1/kv?label=default")["visits"], 1);
    assert_eq!(json(&host, "/p1/kv?label=default")["visits"], 2);
    assert_eq!(json(&host, "/p1/env?name=GREETING")["value"], "hi");
    assert_eq!(json(&host, "/p1/var?name=message")["value"], "from a module");
    assert_eq!(json(&host, "/p1/file?path=/assets/a.txt")["content"], "mounted");

    let (status, _, body) = get(&host, "/bg/x/headers");
    assert_eq!(status, 200, "{body}");
    for line in [
        "spin-matched-route: /bg/...\n",
        "spin-path-info: /x/headers\n",
        "spin-component-route: /bg\n",
    ] {
        assert!(body.contains(line), "missing {line:?} in {body}");
    }
    let (status, _, _) = get(&host, "/bg/trap");
    assert_eq!(status, 500, "a trap in a module is a 500 as in a component");
    assert_eq!(get(&host, "/bg/again").0, 200, "and the runtime keeps serving");
}

#[test]
fn an_adapted_module_is_cached_by_its_own_content() {
    let mut app = TestApp::new(&[("/...", "wasip1")], "[component.wasip1]\nsource = \"PROBE_WASIP1\"\n");
    app.opts.cache_dir = app.dir.path().join("cache");
    app.start().stop();
    let artifacts = cached_artifacts(&app);
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    let host = app.start();
    assert_eq!(cached_artifacts(&app), artifacts, "the second start compiles nothing");
    assert_eq!(json(&host, "/headers")["spin-path-info"], "/headers");
}

#[test]
fn a_core_module_without_component_metadata_is_refused_at_start() {
    let app = TestApp::new(&[("/...", "bare")], "[component.bare]\nsource = \"bare.wasm\"\n");
    // A valid core module with nothing in it: no world to adapt it to.
    std::fs::write(app.dir.path().join("bare.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let problems = app.start_err().to_string();
    assert!(problems.contains("[component.bare] cannot be loaded"), "{problems}");
    assert!(problems.contains("component-type metadata"), "{problems}");
}
