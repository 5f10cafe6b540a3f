//! CSV as Excel opens it: UTF-8 with a BOM (so Cyrillic reads right), CRLF line ends, RFC 4180
//! quoting (a cell with the delimiter, a quote or a line break is quoted, quotes doubled), `,`
//! or `;` between cells (Excel in Russian locales expects `;`).

use serde_json::Value as Json;

use super::Writer;
use crate::io::cells::write::{Column, Names, row};

/// The byte order mark that tells Excel the file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// One CSV line (with its CRLF) of `cells`, formula-like values guarded
/// ([`crate::io::cells::guarded`]).
pub fn line<S: AsRef<str>>(cells: &[S], delimiter: char, out: &mut String) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let cell = crate::io::cells::guarded(cell.as_ref());
        if cell.contains([delimiter, '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// A list as CSV: the header labels, then a line per record.
pub(super) struct Csv {
    pub(super) delimiter: char,
}

impl Writer for Csv {
    fn start(&mut self, columns: &[Column]) -> Vec<u8> {
        let mut out = String::from(BOM);
        let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
        line(&labels, self.delimiter, &mut out);
        out.into_bytes()
    }

    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8> {
        let mut out = String::new();
        for record in records {
            let cells = row(columns, record, names);
            let texts: Vec<_> = cells.iter().map(|c| c.text()).collect();
            line(&texts, self.delimiter, &mut out);
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut out = String::new();
        line(&["a", "b,c", "say \"hi\"", "two\nlines", "x;y"], ',', &mut out);
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",x;y\r\n");
        let mut out = String::new();
        line(&["b,c", "x;y"], ';', &mut out);
        assert_eq!(out, "b,c;\"x;y\"\r\n");
    }
}
