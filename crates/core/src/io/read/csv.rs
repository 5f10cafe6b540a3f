//! CSV files over text decoded by [`super::decode`]: the delimiter sniffed (`,` `;` tab) from
//! the first records, RFC 4180 quoting (`""` escapes, quoted cells spanning lines, CRLF or LF),
//! the header guessed by [`super::rows`], and per-row errors for ragged rows and an unclosed
//! quote. Cell text is kept as written: Google's ` ::: ` multi-values and `* ` primary markers
//! are left for the import's cell reader to split and strip (it knows the target field).

use super::rows::Rows;
use super::{decode, invalid};
use crate::error::CoreError;
use crate::io::{Format, ReadOptions, Table};

/// The delimiters sniffed, in order of preference on a tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// How many records the delimiter sniffer reads.
const SNIFF_RECORDS: usize = 50;

/// Read a CSV file into a [`Table`].
pub fn read(bytes: &[u8], file_name: Option<&str>, options: &ReadOptions) -> Result<Table, CoreError> {
    let decoded = decode::text(bytes, options.encoding.as_deref())?;
    let text = decoded.text.as_ref();
    let delimiter = match options.delimiter {
        Some(delimiter) => given_delimiter(delimiter)?,
        None => sniff(text, file_name),
    };
    let collected = parse(text, delimiter, options.header)?;
    Ok(Table {
        format: Format::Csv,
        encoding: Some(decoded.encoding),
        delimiter: Some(char::from(delimiter)),
        header: collected.header,
        sheets: Vec::new(),
        sheet: None,
        columns: collected.columns,
        rows: collected.rows,
    })
}

/// The caller's delimiter as a byte; a 422 naming `delimiter` unless it is one ASCII character
/// other than a quote or a line break.
fn given_delimiter(delimiter: char) -> Result<u8, CoreError> {
    match u8::try_from(delimiter) {
        Ok(byte) if byte.is_ascii() && !matches!(byte, b'"' | b'\n' | b'\r') => Ok(byte),
        _ => Err(invalid(
            "delimiter",
            "invalid",
            "the delimiter must be one ASCII character other than a quote or a line break",
        )),
    }
}

/// Parse the whole text with `delimiter` into header and rows.
fn parse(text: &str, delimiter: u8, header: Option<bool>) -> Result<super::rows::Collected, CoreError> {
    let mut reader = reader(text, delimiter);
    let mut record = ::csv::StringRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());
    let mut rows = Rows::new(header);
    let unclosed_quote = text.bytes().filter(|&b| b == b'"').count() % 2 == 1;
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
        let cells: Vec<String> = record.iter().map(cell).collect();
        rows.push(line, cells, None);
    }
    if unclosed_quote {
        rows.flag_last(
            |cells| cells.iter().any(|c| c.contains('\n')),
            "a quoted cell is not closed: it runs to the end of the file",
        );
    }
    rows.finish()
}

/// A cell's text; a line break inside a quoted cell reads as `\n` whatever the file used.
fn cell(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    }
}

fn reader(text: &str, delimiter: u8) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// The delimiter that splits the first records most consistently into the most cells: for each
/// candidate, the share of records whose cell count is the most common count (above one), then
/// that count. A `.tsv` file name, or no candidate splitting anything, decides on its own.
pub fn sniff(text: &str, file_name: Option<&str>) -> u8 {
    if file_name.is_some_and(|name| name.to_ascii_lowercase().ends_with(".tsv")) {
        return b'\t';
    }
    let mut best = (b',', 0usize, 0usize);
    for delimiter in DELIMITERS {
        let counts = record_widths(text, delimiter);
        let Some(mode) = most_common(&counts) else { continue };
        if mode < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == mode).count() * 1000 / counts.len();
        if (consistent, mode) > (best.1, best.2) {
            best = (delimiter, consistent, mode);
        }
    }
    best.0
}

/// Cell counts of the first records when split by `delimiter` (quotes respected); the last
/// one is left out when the sample stops in the middle of the text.
fn record_widths(text: &str, delimiter: u8) -> Vec<usize> {
    let mut reader = reader(text, delimiter);
    let mut record = ::csv::ByteRecord::new();
    let mut widths = Vec::new();
    while widths.len() < SNIFF_RECORDS && matches!(reader.read_byte_record(&mut record), Ok(true)) {
        widths.push(record.len());
    }
    widths
}

/// The most common value (the larger one on a tie).
fn most_common(values: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &value in values {
        let count = values.iter().filter(|&&v| v == value).count();
        if best.is_none_or(|(c, v)| (count, value) > (c, v)) {
            best = Some((count, value));
        }
    }
    best.map(|(_, value)| value)
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
