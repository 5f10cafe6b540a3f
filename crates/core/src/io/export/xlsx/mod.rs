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

/// Cell styles by index: 0 general, 1 bold (header), 2 money `#,##0.00`, 3 date, 4 date-time.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd\ hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

const SHEET_END: &str = "</sheetData></worksheet>";

/// A list as an XLSX workbook of one sheet.
pub(super) struct Xlsx {
    zip: ZipStream,
    sheet: String,
    rows: usize,
}

impl Xlsx {
    /// A workbook named `sheet` (the entity's plural), dated `unix`.
    pub(super) fn new(sheet: &str, unix: i64) -> Xlsx {
        Xlsx {
            zip: ZipStream::new(unix),
            sheet: sheet.to_string(),
            rows: 0,
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

/// Days since 1899-12-30 (Excel's date serial) of `YYYY-MM-DD`.
fn date_serial(date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.get(..10)?.parse().ok()?;
    let epoch = jiff::civil::date(1899, 12, 30);
    Some(i64::from(date.since(epoch).ok()?.get_days()))
}

/// The serial of an RFC 3339 UTC time as a decimal text (days and a fraction, to the second).
fn datetime_serial(time: &str) -> Option<String> {
    let timestamp: jiff::Timestamp = time.parse().ok()?;
    let seconds = timestamp.as_second() + 25_569 * 86_400; // 1970-01-01 is serial 25569
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

fn cell_xml(reference: &str, cell: &Cell, out: &mut String) {
    match cell {
        Cell::Empty => {}
        Cell::Integer(n) => value_cell(reference, 0, "", &n.to_string(), out),
        Cell::Decimal(text, scale) => value_cell(reference, if *scale == 2 { 2 } else { 0 }, "", text, out),
        Cell::Boolean(b) => value_cell(reference, 0, "b", if *b { "1" } else { "0" }, out),
        Cell::Date(text) => match date_serial(text) {
            Some(serial) => value_cell(reference, 3, "", &serial.to_string(), out),
            None => text_cell(reference, 0, text, out),
        },
        Cell::Datetime(text) => match datetime_serial(text) {
            Some(serial) => value_cell(reference, 4, "", &serial, out),
            None => text_cell(reference, 0, text, out),
        },
        Cell::Text(_) | Cell::Id(_) => text_cell(reference, 0, &cell.text(), out),
    }
}

impl Writer for Xlsx {
    fn start(&mut self, columns: &[Column]) -> Vec<u8> {
        let mut out = self.zip.file("[Content_Types].xml", CONTENT_TYPES.as_bytes());
        out.extend(self.zip.file("_rels/.rels", RELS.as_bytes()));
        let mut name = String::new();
        escape(&self.sheet, &mut name);
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        out.extend(self.zip.file("xl/workbook.xml", workbook.as_bytes()));
        out.extend(self.zip.file("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()));
        out.extend(self.zip.file("xl/styles.xml", STYLES.as_bytes()));
        out.extend(self.zip.begin("xl/worksheets/sheet1.xml"));
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>"#,
        );
        for (i, column) in columns.iter().enumerate() {
            let width = column.label.chars().count().clamp(10, 40) + 2;
            sheet.push_str(&format!(
                r#"<col min="{n}" max="{n}" width="{width}" customWidth="1"/>"#,
                n = i + 1
            ));
        }
        sheet.push_str("</cols><sheetData><row r=\"1\">");
        for (i, column) in columns.iter().enumerate() {
            text_cell(&format!("{}1", column_name(i)), 1, &column.label, &mut sheet);
        }
        sheet.push_str("</row>");
        self.rows = 1;
        out.extend(self.zip.write(sheet.as_bytes()));
        out
    }

    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8> {
        let letters: Vec<String> = (0..columns.len()).map(column_name).collect();
        let mut sheet = String::new();
        for record in records {
            self.rows += 1;
            let number = self.rows.to_string();
            sheet.push_str("<row r=\"");
            sheet.push_str(&number);
            sheet.push_str("\">");
            for (cell, letter) in row(columns, record, names).iter().zip(&letters) {
                cell_xml(&format!("{letter}{number}"), cell, &mut sheet);
            }
            sheet.push_str("</row>");
        }
        self.zip.write(sheet.as_bytes())
    }

    fn finish(&mut self) -> Vec<u8> {
        let mut out = self.zip.write(SHEET_END.as_bytes());
        out.extend(self.zip.finish());
        out
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
