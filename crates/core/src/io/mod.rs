//! Import and export of records as files (issue 18): the one flat, text-cell form of a file
//! whatever its format ([`Table`] of [`Row`]s), the readers that produce it ([`read()`], see
//! [`read`](mod@read)) and the column mapping onto an entity's fields ([`mapping`]).
//!
//! Pure: bytes in, rows out. No database, no HTTP; the `imports` and `exports` components and
//! the modules next to this one build on it.
//!
//! [`cells`] is the one flat form of a record every file format shares (column keys, en/ru
//! header labels, the cell conventions): `cells::write` renders records into it for exports.
//! [`export`] writes any list as CSV, Outlook CSV, vCard or XLSX, page by page; [`imports`]
//! runs an import job (upload, mapping, dry run, steps, rollback) through the record engine.

pub mod cells;
pub mod export;
pub mod imports;
pub mod mapping;
pub mod read;

use crate::error::CoreError;

/// The record lists a file can fill or take: the API's plural name (as in the routes) and the
/// engine's entity.
pub const ENTITIES: &[(&str, &str)] = &[
    ("leads", "lead"),
    ("contacts", "contact"),
    ("companies", "company"),
    ("deals", "deal"),
    ("products", "product"),
];

/// The file formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma/semicolon/tab separated values, any of the supported encodings.
    Csv,
    /// An Office Open XML workbook (one sheet is read).
    Xlsx,
    /// vCard 2.1, 3.0 or 4.0 (one row per card).
    Vcard,
}

impl Format {
    /// The format's API name: `csv`, `xlsx`, `vcard`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Vcard => "vcard",
        }
    }

    /// The format named by its API name (case-insensitive; `vcf` is `vcard`), if any.
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "vcard" | "vcf" => Some(Format::Vcard),
            _ => None,
        }
    }
}

/// What the caller may fix after detection (every `None` is detected).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The file's format; detected from the bytes and the file name when `None`.
    pub format: Option<Format>,
    /// The text encoding: `utf-8`, `utf-16le`, `utf-16be`, `windows-1251`, `koi8-r` (or any
    /// other WHATWG label); detected when `None`.
    pub encoding: Option<String>,
    /// The CSV delimiter; sniffed (`,` `;` tab) when `None`.
    pub delimiter: Option<char>,
    /// Whether row 1 is a header; guessed when `None`.
    pub header: Option<bool>,
    /// The XLSX sheet to read; the first when `None`.
    pub sheet: Option<String>,
}

/// A file read into rows of text cells, whatever its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The format read.
    pub format: Format,
    /// The encoding detected or given (`utf-8`, `utf-8-bom`, `utf-16le`, `windows-1251`...);
    /// `None` for XLSX.
    pub encoding: Option<String>,
    /// The delimiter used (CSV only).
    pub delimiter: Option<char>,
    /// Whether row 1 was taken as the header.
    pub header: bool,
    /// XLSX sheet names in workbook order (the one read is `sheet`).
    pub sheets: Vec<String>,
    /// The XLSX sheet read.
    pub sheet: Option<String>,
    /// The header cells, or `Column 1`, `Column 2`... without a header.
    pub columns: Vec<String>,
    /// The data rows in file order.
    pub rows: Vec<Row>,
}

/// One data row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based number of the row in the file (CSV: the record's first line), for messages.
    pub line: usize,
    /// The cells as text, one per column (a short row is padded with empty cells; a long,
    /// ragged row keeps its extra cells and has `error` set).
    pub cells: Vec<String>,
    /// Why the row cannot be imported as is (a ragged row, bad quoting, a broken card...).
    pub error: Option<String>,
}

/// Read a file into a [`Table`]: detect (or take from `options`) the format, encoding,
/// delimiter, header and sheet. A file that cannot be read as a whole is a 422 naming `file`
/// (or `encoding`, `delimiter`, `sheet`); a bad row is a [`Row`] with `error` set.
pub fn read(bytes: &[u8], file_name: Option<&str>, options: &ReadOptions) -> Result<Table, CoreError> {
    read::table(bytes, file_name, options)
}
