//! `GET /api/imports/<id>/rejected`: the rows an import rejected as CSV (UTF-8 with BOM, CRLF,
//! RFC 4180 quoting), the original columns plus `Row` (the line in the file) and `Error` (each
//! reason as `field: message`), so the caller can fix them and import that file again.

use super::job;
use crate::acl::Caller;
use crate::db::Db;
use crate::error::CoreError;
use crate::io::export::csv::{BOM, line};

/// The CSV and its download name.
pub fn csv(db: &dyn Db, caller: &Caller, id: i64) -> Result<(Vec<u8>, String), CoreError> {
    let (import, _) = job::load(db, caller, id)?;
    let mut columns = import.columns();
    columns.extend(["Row".to_string(), "Error".to_string()]);
    let width = columns.len() - 2;
    let mut out = String::from(BOM);
    line(&columns, ',', &mut out);
    let rows = db.query(
        "SELECT line, cells, reason FROM import_rejected WHERE import_id = ? ORDER BY row",
        &[id.into()],
    )?;
    for row in rows.iter() {
        let mut cells: Vec<String> = serde_json::from_str(row.str("cells").unwrap_or("[]")).unwrap_or_default();
        cells.resize(width.max(cells.len()), String::new());
        cells.truncate(width.max(cells.len()));
        let reason: serde_json::Value = serde_json::from_str(row.str("reason").unwrap_or("[]")).unwrap_or_default();
        let text = reason
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let field = e["field"].as_str().unwrap_or_default();
                let message = e["message"].as_str().unwrap_or_default();
                if field.is_empty() {
                    message.to_string()
                } else {
                    format!("{field}: {message}")
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut record: Vec<String> = cells.into_iter().take(width).collect();
        record.push(row.i64("line").unwrap_or_default().to_string());
        record.push(text);
        line(&record, ',', &mut out);
    }
    let stem = import
        .file_name
        .rsplit_once('.')
        .map_or(import.file_name.as_str(), |(s, _)| s);
    let stem: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .collect();
    let stem = if stem.trim().is_empty() {
        format!("import-{id}")
    } else {
        stem
    };
    Ok((out.into_bytes(), format!("{stem}-rejected.csv")))
}
