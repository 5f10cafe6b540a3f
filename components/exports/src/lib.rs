//! The `/api/exports` component: `GET /api/exports/<entity>?format=csv|xlsx|vcard|outlook`
//! with the list's own `q`, `filter[...]`, `sort` and `fields` (and `delimiter=;`,
//! `version=3.0|4.0`, `lang=en|ru`). All the work is `crm_core::io::export`; this streams its
//! chunks, a keyset page of the list each, so the instance never holds the whole file.
//!
//! | path | methods |
//! |---|---|
//! | `/api/exports/<entity>` (`leads`, `contacts`, `companies`, `deals`, `products`) | `GET` |

use crm_core::io::export::Export;
use crm_spin_adapter::ApiError;
use crm_spin_adapter::routes::{Cx, Routes};
use crm_spin_adapter::stream::Streamed;

crm_spin_adapter::streaming_component!(Routes::new("/api/exports").get_streamed("/<entity>", export));

/// Checks the export (every 4xx before the head is sent), then streams it page by page.
fn export(cx: &Cx) -> Result<Streamed, ApiError> {
    let me = cx.signed_in()?;
    let query = cx.query();
    let mut export = Export::new(
        &me.db,
        &me.caller,
        cx.param("entity")?,
        &query,
        cx.language(),
        crm_core::clock::now(),
    )?;
    let headers = vec![
        ("content-type".to_string(), export.format().content_type().to_string()),
        (
            "content-disposition".to_string(),
            format!("attachment; filename=\"{}\"", export.file_name()),
        ),
        ("cache-control".to_string(), "no-store".to_string()),
    ];
    let db = me.db;
    Ok(Streamed {
        status: 200,
        headers,
        chunks: Box::new(move || {
            let chunk = export.next_chunk(&db)?;
            if chunk.is_none() {
                // Linear memory only grows: its size at the end is the instance's peak.
                eprintln!(
                    "export {}: {} rows, guest linear memory {} KiB",
                    export.file_name(),
                    export.rows(),
                    memory_kib()
                );
            }
            Ok(chunk)
        }),
    })
}

/// The instance's linear memory in KiB (0 off wasm).
fn memory_kib() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) * 64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
