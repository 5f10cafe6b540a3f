//! CSV files: delimiter, header and ragged rows, over text decoded by [`super::decode`].

use super::{decode, invalid};
use crate::error::CoreError;
use crate::io::{Format, ReadOptions, Row, Table};

/// Read a CSV file into a [`Table`].
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Table, CoreError> {
    let decoded = decode::utf8(bytes).ok_or_else(|| invalid("file", "bad_encoding", "the file is not UTF-8 text"))?;
    let delimiter = options.delimiter.unwrap_or(',');
    if !delimiter.is_ascii() || delimiter == '"' || delimiter == '\n' || delimiter == '\r' {
        return Err(invalid(
            "delimiter",
            "invalid",
            "the delimiter must be one ASCII character other than a quote or a line break",
        ));
    }
    let header = options.header.unwrap_or(true);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(decoded.text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(decoded.text.as_bytes());
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(invalid(
                    "file",
                    "unreadable",
                    format!("the file cannot be read as CSV: {e}"),
                ));
            }
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte() as usize));
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if columns.is_none() && header {
            columns = Some(cells);
            continue;
        }
        let width = columns.get_or_insert_with(|| numbered(cells.len())).len();
        rows.push(shape(line, cells, width));
    }
    let Some(columns) = columns else {
        return Err(invalid("file", "empty", "the file has no rows"));
    };
    Ok(Table {
        format: Format::Csv,
        encoding: Some(decoded.encoding),
        delimiter: Some(delimiter),
        header,
        sheets: Vec::new(),
        sheet: None,
        columns,
        rows,
    })
}

/// `Column 1`, `Column 2`... for a file without a header.
pub fn numbered(width: usize) -> Vec<String> {
    (1..=width).map(|i| format!("Column {i}")).collect()
}

/// A row of at least `width` cells: a ragged row is marked with an error, a short one padded
/// with empty cells (a long one keeps its extra cells, for the rejected-rows file).
fn shape(line: usize, mut cells: Vec<String>, width: usize) -> Row {
    let error = (cells.len() != width).then(|| format!("{} cells where the header has {width}", cells.len()));
    if cells.len() < width {
        cells.resize(width, String::new());
    }
    Row { line, cells, error }
}

/// 1-based line numbers of byte offsets met in increasing order (counted once, in one pass).
struct LineCounter<'a> {
    text: &'a [u8],
    counted: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `offset` that is not a line break (the CSV
    /// reader puts a record's start before the previous record's line break and blank lines).
    fn line_at(&mut self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or_default();
        let start = offset
            + rest
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(rest.len());
        if start > self.counted {
            self.line += self.text[self.counted..start].iter().filter(|&&b| b == b'\n').count();
            self.counted = start;
        }
        self.line
    }
}
