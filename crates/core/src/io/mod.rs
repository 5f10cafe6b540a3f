//! Import and export (issue 18). TEMPORARY stand-in of the formats helper's module (the
//! contract's types, so the import engine builds before `io-formats` is merged; the merge takes
//! theirs).

pub mod cells;
pub mod imports;
pub mod mapping;

use crate::error::CoreError;

/// The file formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma/semicolon/tab separated text.
    Csv,
    /// Excel 2007+.
    Xlsx,
    /// vCard 2.1/3.0/4.0.
    Vcard,
}

/// What the caller may fix after detection.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format, else detected.
    pub format: Option<Format>,
    /// The encoding, else detected.
    pub encoding: Option<String>,
    /// The delimiter, else detected.
    pub delimiter: Option<char>,
    /// Whether row 1 is a header, else detected.
    pub header: Option<bool>,
    /// The XLSX sheet, else the first.
    pub sheet: Option<String>,
}

/// A file read into rows of text cells, whatever its format.
#[derive(Debug, Clone)]
pub struct Table {
    /// The format read.
    pub format: Format,
    /// The encoding, detected or given.
    pub encoding: Option<String>,
    /// The CSV delimiter.
    pub delimiter: Option<char>,
    /// Whether row 1 was taken as the header.
    pub header: bool,
    /// XLSX sheet names.
    pub sheets: Vec<String>,
    /// The sheet read.
    pub sheet: Option<String>,
    /// The header cells, or "Column 1"...
    pub columns: Vec<String>,
    /// Data rows in file order.
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based row number in the file.
    pub line: usize,
    /// The cells.
    pub cells: Vec<String>,
    /// A ragged row, bad quoting...
    pub error: Option<String>,
}

/// Reads a file (stand-in: UTF-8 CSV with commas, no quoting rules beyond the simplest).
pub fn read(bytes: &[u8], _file_name: Option<&str>, _options: &ReadOptions) -> Result<Table, CoreError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        let mut errors = crate::error::FieldErrors::new();
        errors.push("file", "unreadable", "not a readable file");
        CoreError::Validation(errors)
    })?;
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let columns: Vec<String> = lines.next().unwrap_or_default().split(',').map(str::to_string).collect();
    let rows = lines
        .enumerate()
        .map(|(i, l)| Row {
            line: i + 2,
            cells: l.split(',').map(str::to_string).collect(),
            error: None,
        })
        .collect();
    Ok(Table {
        format: Format::Csv,
        encoding: Some("utf-8".into()),
        delimiter: Some(','),
        header: true,
        sheets: Vec::new(),
        sheet: None,
        columns,
        rows,
    })
}
