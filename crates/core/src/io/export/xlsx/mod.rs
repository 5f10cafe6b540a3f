//! XLSX written as a stream: the workbook's small parts first, then the one worksheet's rows
//! deflated page by page into the zip as they come ([`zip::ZipStream`]), so an export of any
//! length holds one page at a time.
//!
//! The sheet has a bold, frozen header row and typed cells: whole numbers and decimals as
//! numbers (2-decimal amounts with a `#,##0.00` format), dates as date serials with a
//! `yyyy-mm-dd` format (date-times `yyyy-mm-dd hh:mm:ss`, UTC), yes/no as booleans, and text
//! (phones, ids, codes, names) as inline strings, so a spreadsheet keeps every digit.

pub mod zip;

use serde_json::Value as Json;

use super::Writer;
use crate::io::cells::write::{Cell, Column, Names, row};
use zip::ZipStream;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Cell styles by index (the `s` attribute), as [`styles`] writes them.
pub mod style {
    /// General.
    pub const GENERAL: u8 = 0;
    /// Bold: the header row.
    pub const BOLD: u8 = 1;
    /// `#,##0.00`: 2-decimal amounts.
    pub const AMOUNT: u8 = 2;
    /// `yyyy-mm-dd`.
    pub const DATE: u8 = 3;
    /// `yyyy-mm-dd hh:mm:ss`.
    pub const DATETIME: u8 = 4;
    /// `0.00%`: shares.
    pub const PERCENT: u8 = 5;
    /// `#,##0.00 "RUB"`: money in the workbook's currency.
    pub const MONEY: u8 = 6;
}

/// The styles part: the formats of [`style`], money labelled with `currency`.
fn styles(currency: &str) -> String {
    let mut label = String::new();
    escape(&currency.replace('"', ""), &mut label);
    format!(
        r##"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd\ hh:mm:ss"/><numFmt numFmtId="166" formatCode="#,##0.00\ &quot;{label}&quot;"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"##
    )
}

const SHEET_END: &str = "</sheetData></worksheet>";

/// One cell of a [`Sheet`] row.
pub enum SheetCell<'a> {
    /// Nothing written.
    Empty,
    /// An inline string (kept as text whatever it looks like).
    Text(std::borrow::Cow<'a, str>),
    /// A number (or, with `kind` `"b"`, a boolean) in its XML text, with a [`style`].
    Value {
        /// The [`style`] index.
        style: u8,
        /// The cell type: empty for a number, `"b"` for a boolean.
        kind: &'static str,
        /// The value as the XML holds it.
        value: String,
    },
}

impl SheetCell<'_> {
    /// A number with a [`style`].
    pub fn number(style: u8, value: impl ToString) -> SheetCell<'static> {
        SheetCell::Value {
            style,
            kind: "",
            value: value.to_string(),
        }
    }

    /// A date (`YYYY-MM-DD`) as a date serial; `None` for a text that is no date.
    pub fn date(text: &str) -> Option<SheetCell<'static>> {
        date_serial(text).map(|serial| SheetCell::number(style::DATE, serial))
    }
}

/// A workbook of one sheet written as a stream: [`Sheet::start`] (the parts and the bold,
/// frozen header row), [`Sheet::rows`] as many times as there are pages, [`Sheet::finish`];
/// each returns the bytes to send next.
pub struct Sheet {
    zip: ZipStream,
    rows: usize,
    letters: Vec<String>,
}

impl Sheet {
    /// A workbook dated `unix`.
    pub fn new(unix: i64) -> Sheet {
        Sheet {
            zip: ZipStream::new(unix),
            rows: 0,
            letters: Vec::new(),
        }
    }

    /// The workbook's parts and the sheet `name` up to its header row of `labels`, each
    /// column `label`-wide (10 to 40 characters); money in [`style::MONEY`] reads `currency`.
    pub fn start(&mut self, name: &str, labels: &[&str], currency: &str) -> Vec<u8> {
        let mut out = self.zip.file("[Content_Types].xml", CONTENT_TYPES.as_bytes());
        out.extend(self.zip.file("_rels/.rels", RELS.as_bytes()));
        let mut escaped = String::new();
        escape(name, &mut escaped);
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{escaped}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        out.extend(self.zip.file("xl/workbook.xml", workbook.as_bytes()));
        out.extend(self.zip.file("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()));
        out.extend(self.zip.file("xl/styles.xml", styles(currency).as_bytes()));
        out.extend(self.zip.begin("xl/worksheets/sheet1.xml"));
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>"#,
        );
        for (i, label) in labels.iter().enumerate() {
            let width = label.chars().count().clamp(10, 40) + 2;
            sheet.push_str(&format!(
                r#"<col min="{n}" max="{n}" width="{width}" customWidth="1"/>"#,
                n = i + 1
            ));
        }
        self.letters = (0..labels.len()).map(column_name).collect();
        sheet.push_str("</cols><sheetData><row r=\"1\">");
        for (label, letter) in labels.iter().zip(&self.letters) {
            text_cell(&format!("{letter}1"), style::BOLD, label, &mut sheet);
        }
        sheet.push_str("</row>");
        self.rows = 1;
        out.extend(self.zip.write(sheet.as_bytes()));
        out
    }

    /// More rows, a row's cells in the header's column order (cells past the header's last
    /// column are dropped).
    pub fn rows<'c>(&mut self, rows: impl IntoIterator<Item = Vec<SheetCell<'c>>>) -> Vec<u8> {
        let mut sheet = String::new();
        for cells in rows {
            self.rows += 1;
            let number = self.rows.to_string();
            sheet.push_str("<row r=\"");
            sheet.push_str(&number);
            sheet.push_str("\">");
            for (cell, letter) in cells.iter().zip(&self.letters) {
                let reference = format!("{letter}{number}");
                match cell {
                    SheetCell::Empty => {}
                    SheetCell::Text(text) => text_cell(&reference, style::GENERAL, text, &mut sheet),
                    SheetCell::Value { style, kind, value } => value_cell(&reference, *style, kind, value, &mut sheet),
                }
            }
            sheet.push_str("</row>");
        }
        self.zip.write(sheet.as_bytes())
    }

    /// The end of the sheet and of the archive.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.zip.write(SHEET_END.as_bytes());
        out.extend(self.zip.finish());
        out
    }
}

/// A list as an XLSX workbook of one sheet.
pub(super) struct Xlsx {
    sheet: Sheet,
    name: String,
}

impl Xlsx {
    /// A workbook named `sheet` (the entity's plural), dated `unix`.
    pub(super) fn new(sheet: &str, unix: i64) -> Xlsx {
        Xlsx {
            sheet: Sheet::new(unix),
            name: sheet.to_string(),
        }
    }
}

/// `A`, `B`, ... `Z`, `AA`... for a 0-based column.
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Text escaped for XML, dropping characters XML 1.0 cannot hold.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Excel's serial of 1970-01-01 (its day 0 is 1899-12-30).
const UNIX_EPOCH_SERIAL: i64 = 25_569;

/// Days since 1899-12-30 (Excel's date serial) of `YYYY-MM-DD` (the date part of a longer text).
fn date_serial(date: &str) -> Option<i64> {
    let midnight = crate::records::values::parse_datetime(date.get(..10)?).ok()?;
    Some(midnight.div_euclid(86_400) + UNIX_EPOCH_SERIAL)
}

/// The serial of an RFC 3339 UTC time as a decimal text (days and a fraction, to the second).
fn datetime_serial(time: &str) -> Option<String> {
    let seconds = crate::records::values::parse_datetime(time).ok()? + UNIX_EPOCH_SERIAL * 86_400;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // 86400 = 2^7 * 675: an exact fraction needs a few more digits than a float prints; ten
    // decimals resolve a second exactly after rounding.
    let fraction = (rest as i128 * 10_000_000_000 + 43_200) / 86_400;
    Some(format!("{days}.{fraction:010}"))
}

fn text_cell(reference: &str, style: u8, text: &str, out: &mut String) {
    out.push_str("<c r=\"");
    out.push_str(reference);
    if style != 0 {
        out.push_str("\" s=\"");
        out.push_str(&style.to_string());
    }
    out.push_str("\" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
    escape(text, out);
    out.push_str("</t></is></c>");
}

fn value_cell(reference: &str, style: u8, kind: &str, value: &str, out: &mut String) {
    out.push_str("<c r=\"");
    out.push_str(reference);
    if style != 0 {
        out.push_str("\" s=\"");
        out.push_str(&style.to_string());
    }
    if !kind.is_empty() {
        out.push_str("\" t=\"");
        out.push_str(kind);
    }
    out.push_str("\"><v>");
    out.push_str(value);
    out.push_str("</v></c>");
}

/// An export's cell as a sheet's: dates as date serials (a text that is none as text),
/// 2-decimal amounts formatted, phones, ids and codes as text.
fn sheet_cell(cell: &Cell) -> SheetCell<'_> {
    match cell {
        Cell::Empty => SheetCell::Empty,
        Cell::Integer(n) => SheetCell::number(style::GENERAL, n),
        Cell::Decimal(text, scale) => SheetCell::number(if *scale == 2 { style::AMOUNT } else { style::GENERAL }, text),
        Cell::Boolean(b) => SheetCell::Value {
            style: style::GENERAL,
            kind: "b",
            value: if *b { "1" } else { "0" }.into(),
        },
        Cell::Date(text) => SheetCell::date(text).unwrap_or_else(|| SheetCell::Text(text.as_str().into())),
        Cell::Datetime(text) => match datetime_serial(text) {
            Some(serial) => SheetCell::number(style::DATETIME, serial),
            None => SheetCell::Text(text.as_str().into()),
        },
        Cell::Text(_) | Cell::Id(_) => SheetCell::Text(cell.text()),
    }
}

impl Writer for Xlsx {
    fn start(&mut self, columns: &[Column]) -> Vec<u8> {
        let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
        self.sheet.start(&self.name, &labels, "")
    }

    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8> {
        let rows: Vec<Vec<Cell>> = records.iter().map(|record| row(columns, record, names)).collect();
        self.sheet
            .rows(rows.iter().map(|cells| cells.iter().map(sheet_cell).collect()))
    }

    fn finish(&mut self) -> Vec<u8> {
        self.sheet.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_like_a_spreadsheet() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn dates_and_times_are_excel_serials() {
        assert_eq!(date_serial("1900-03-01"), Some(61));
        assert_eq!(date_serial("2026-11-30"), Some(46356));
        assert_eq!(
            datetime_serial("1970-01-01T12:00:00Z").as_deref(),
            Some("25569.5000000000")
        );
        assert_eq!(date_serial("nope"), None);
    }
}
