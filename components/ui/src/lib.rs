//! The UI component: serves the static UI shell (`static/` in the repository, mounted at `/`
//! inside the component by `spin.toml`) for every path no other component owns.
//!
//! There is no build step, so file names are not content-hashed: every response says
//! `Cache-Control: no-cache` and carries an `ETag`, and the browser revalidates with
//! `If-None-Match` (a 304 costs no body). Unknown extensionless paths get `index.html`, so the
//! UI's client-side routes survive a reload; anything else unknown is a problem+json 404. The
//! rules themselves live in [`files`], as pure functions with native tests.

pub mod files;

use std::path::{Path, PathBuf};

use crm_core::CoreError;
use crm_spin_adapter::ApiError;
use crm_spin_adapter::request::allow_methods;
use spin_sdk::http::{Method, Request, Response};

/// Where `spin.toml` mounts `static/` inside the component.
const ROOT: &str = "/";

/// Sent with HTML: scripts, styles and everything else only from this origin.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

crm_spin_adapter::component!(serve);

/// Serves `GET`/`HEAD` of any path: the file, the UI page for a client-side route, or 404.
fn serve(request: &Request) -> Result<Response, ApiError> {
    allow_methods(request, &["GET", "HEAD"])?;
    // Spin passes the path below the route in `spin-path-info`; the route is `/...`, so it is the
    // whole path. Fall back to the URI's path if a runtime does not set it.
    let path = request
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| request.path());
    let file = files::resolve(path).ok_or(CoreError::NotFound)?;

    let (file, bytes) = match read(&file)? {
        Some(bytes) => (file, bytes),
        None if files::spa_fallback(path) => (files::INDEX.to_owned(), read(files::INDEX)?.ok_or(CoreError::NotFound)?),
        None => return Err(CoreError::NotFound.into()),
    };

    let etag = files::etag(&bytes);
    let not_modified = request
        .header("if-none-match")
        .and_then(|v| v.as_str())
        .is_some_and(|h| files::if_none_match(h, &etag));
    let content_type = files::content_type(&file);

    let mut builder = Response::builder();
    builder
        .status(if not_modified { 304 } else { 200 })
        .header("etag", etag.as_str())
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff");
    if content_type.starts_with("text/html") {
        builder.header("content-security-policy", CONTENT_SECURITY_POLICY);
    }
    if not_modified {
        return Ok(builder.build());
    }
    builder.header("content-type", content_type);
    let head = *request.method() == Method::Head;
    Ok(builder.body(if head { Vec::new() } else { bytes }).build())
}

/// The file's bytes, or `None` if there is no regular file at that path (the UI page may be
/// served instead); [`CoreError::NotFound`] if the path can never name one.
fn read(file: &str) -> Result<Option<Vec<u8>>, CoreError> {
    let path: PathBuf = Path::new(ROOT).join(file);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => std::fs::read(&path)
            .map(Some)
            .map_err(|e| CoreError::Internal(format!("reading {}: {e}", path.display()))),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // `/app.css/x` or `/index.html/` (a file used as a directory) and over-long names can
        // never name a file: 404, not the UI page.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotADirectory | std::io::ErrorKind::InvalidFilename
            ) =>
        {
            Err(CoreError::NotFound)
        }
        Err(e) => Err(CoreError::Internal(format!("inspecting {}: {e}", path.display()))),
    }
}
