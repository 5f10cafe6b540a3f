//! What an import keeps of its file: the bytes as uploaded, in parts of at most 1 MiB (read
//! again when a read setting changes), and the rows read from them, in chunks of consecutive
//! rows, so a step loads only the chunks that hold its rows: a step costs O(its rows), never
//! O(the file).

use serde_json::{Value as Json, json};

use crate::db::Db;
use crate::error::CoreError;
use crate::io::Row;

/// Largest stored part of the file.
pub const PART_BYTES: usize = 1024 * 1024;

/// Most rows in one stored chunk.
pub const CHUNK_ROWS: usize = 500;

/// Largest JSON text of one chunk (a chunk closes at whichever limit comes first).
pub const CHUNK_BYTES: usize = 512 * 1024;

/// One stored data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// 0-based index among the data rows.
    pub index: i64,
    /// 1-based line (row) number in the file.
    pub line: i64,
    /// The cells.
    pub cells: Vec<String>,
    /// Why the reader could not take the row, if so.
    pub error: Option<String>,
}

/// Stores the uploaded bytes.
pub fn save_file(db: &dyn Db, import_id: i64, bytes: &[u8]) -> Result<(), CoreError> {
    for (part, chunk) in bytes.chunks(PART_BYTES).enumerate() {
        db.execute(
            "INSERT INTO import_file_parts (import_id, part, bytes) VALUES (?, ?, ?)",
            &[import_id.into(), (part as i64).into(), chunk.to_vec().into()],
        )?;
    }
    Ok(())
}

/// The uploaded bytes, whole (for reading the file again with other settings).
pub fn load_file(db: &dyn Db, import_id: i64) -> Result<Vec<u8>, CoreError> {
    let rows = db.query(
        "SELECT bytes FROM import_file_parts WHERE import_id = ? ORDER BY part",
        &[import_id.into()],
    )?;
    let mut bytes = Vec::new();
    for row in rows.iter() {
        if let Some(part) = row.get("bytes").and_then(|v| v.as_blob()) {
            bytes.extend_from_slice(part);
        }
    }
    Ok(bytes)
}

/// Replaces the stored rows with `rows`, in chunks.
pub fn save_rows(db: &dyn Db, import_id: i64, rows: &[Row]) -> Result<(), CoreError> {
    db.execute("DELETE FROM import_row_chunks WHERE import_id = ?", &[import_id.into()])?;
    let mut first = 0usize;
    let mut chunk: Vec<Json> = Vec::new();
    let mut size = 0usize;
    let flush = |first: usize, chunk: &mut Vec<Json>| -> Result<(), CoreError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let count = chunk.len() as i64;
        let text = Json::Array(std::mem::take(chunk)).to_string();
        Ok(db.execute(
            "INSERT INTO import_row_chunks (import_id, first_row, row_count, rows) VALUES (?, ?, ?, ?)",
            &[import_id.into(), (first as i64).into(), count.into(), text.into()],
        )?)
    };
    for (index, row) in rows.iter().enumerate() {
        let item = json!([row.line, row.cells, row.error]);
        size += row.cells.iter().map(|c| c.len() + 4).sum::<usize>() + 16;
        chunk.push(item);
        if chunk.len() >= CHUNK_ROWS || size >= CHUNK_BYTES {
            flush(first, &mut chunk)?;
            first = index + 1;
            size = 0;
        }
    }
    flush(first, &mut chunk)
}

/// The stored rows `from..from + count` (fewer at the end of the file).
pub fn load_rows(db: &dyn Db, import_id: i64, from: i64, count: i64) -> Result<Vec<StoredRow>, CoreError> {
    let end = from + count;
    let chunks = db.query(
        "SELECT first_row, rows FROM import_row_chunks WHERE import_id = ? AND first_row < ? \
         AND first_row + row_count > ? ORDER BY first_row",
        &[import_id.into(), end.into(), from.into()],
    )?;
    let mut out = Vec::new();
    for chunk in chunks.iter() {
        let first = chunk.i64("first_row").unwrap_or_default();
        let items: Json = serde_json::from_str(chunk.str("rows").unwrap_or("[]"))
            .map_err(|e| CoreError::Internal(format!("stored rows of import {import_id}: {e}")))?;
        for (offset, item) in items.as_array().into_iter().flatten().enumerate() {
            let index = first + offset as i64;
            if index < from || index >= end {
                continue;
            }
            out.push(StoredRow {
                index,
                line: item[0].as_i64().unwrap_or_default(),
                cells: item[1]
                    .as_array()
                    .map(|cells| {
                        cells
                            .iter()
                            .map(|c| c.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                error: item[2].as_str().map(str::to_string),
            });
        }
    }
    Ok(out)
}
