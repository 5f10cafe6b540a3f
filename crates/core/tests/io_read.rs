//! The import file readers (`crm_core::io::read`) and the column mapping (`crm_core::io::mapping`)
//! on files built here byte by byte: encodings, delimiters, headers, quoting, XLSX and vCard.

use crm_core::io::{Format, ReadOptions, read};

#[test]
fn a_utf8_comma_csv_reads_into_header_and_rows() {
    let table = read(
        b"Name,Phone\r\nAnna,\"+7 999, ext 1\"\r\nBoris,\r\n",
        Some("a.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(table.format, Format::Csv);
    assert_eq!(table.columns, ["Name", "Phone"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].cells, ["Anna", "+7 999, ext 1"]);
    assert_eq!(table.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(table.rows[1].cells, ["Boris", ""]);
}
