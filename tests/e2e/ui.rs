//! The `ui` component: static files from `static/`, revalidation, SPA fallback.

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn the_root_serves_the_ui_shell() {
    let app = spawn_app();
    let r = app.get("/");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.headers().contains_key("content-security-policy"));
    let html = r.text().unwrap();
    assert!(html.contains(r#"<script type="module" src="/app.js">"#), "{html}");
    assert_eq!(
        html,
        std::fs::read_to_string(crate::helpers::root().join("static/index.html")).unwrap()
    );
}

#[test]
fn assets_have_their_content_types() {
    let app = spawn_app();
    for (path, expected) in [
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with(expected), "{path}: {ct}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

#[test]
fn a_matching_etag_gets_304_without_a_body() {
    let app = spawn_app();
    let first = app.get("/app.css");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = app.get_with("/app.css", &[("if-none-match", &etag)]);
    assert_eq!(again.status(), 304);
    assert!(again.text().unwrap().is_empty());
    let stale = app.get_with("/app.css", &[("if-none-match", "\"other\"")]);
    assert_eq!(stale.status(), 200);
}

#[test]
fn unknown_app_paths_fall_back_to_index_html() {
    let app = spawn_app();
    let r = app.get("/deals/42");
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("<title>CRM</title>"));
}

#[test]
fn unknown_files_api_paths_and_traversal_are_404_problems() {
    let app = spawn_app();
    for path in ["/missing.js", "/api/nothing-here"] {
        assert_problem(app.get(path), 404);
    }
    let dead_form_link = app.get("/f/unknown");
    assert_eq!(
        dead_form_link.status(),
        404,
        "a visitor following a dead form link gets a page"
    );
    assert!(
        dead_form_link.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    for path in [
        "/a/%2e%2e/%2e%2e/etc/passwd",
        "/../Cargo.toml",
        "/..%2fCargo.toml",
        "/%2e%2e/spin.toml",
    ] {
        let (status, response) = app.raw_get(path);
        assert_eq!(status, 404, "{path}: {response}");
        assert!(response.contains("application/problem+json"), "{path}: {response}");
    }
}

#[test]
fn the_runtime_answers_unsafe_methods_on_static_files_with_405() {
    let app = spawn_app();
    assert_problem(app.request(reqwest::Method::DELETE, "/app.js"), 405);
}
