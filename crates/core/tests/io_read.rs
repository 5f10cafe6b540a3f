//! The import file readers (`crm_core::io::read`) and the column mapping (`crm_core::io::mapping`)
//! on files built here byte by byte: encodings, delimiters, headers, quoting, XLSX and vCard.

use crm_core::CoreError;
use crm_core::io::{Format, ReadOptions, Table, read};
use encoding_rs::{KOI8_R, UTF_16BE, UTF_16LE, WINDOWS_1251};

/// A Russian contact list as Excel in a Russian locale saves it (semicolons).
const RUSSIAN: &str = "Имя;Фамилия;Должность;Телефон;Комментарий\r\n\
Иван;Петров;Директор;+7 916 123-45-67;Позвонить после обеда, обсудить договор поставки\r\n\
Ольга;Кузнецова;Бухгалтер;+7 921 555-12-34;Клиент с 2019 года, закупает кофе и чай\r\n\
Сергей;Смирнов;Менеджер по закупкам;+7 495 765-43-21;Просит присылать счета заранее\r\n";

fn read_default(bytes: &[u8]) -> Table {
    read(bytes, Some("contacts.csv"), &ReadOptions::default()).unwrap()
}

/// The 422's (field, code) pairs.
fn invalid(result: Result<Table, CoreError>) -> Vec<(String, String)> {
    match result {
        Err(CoreError::Validation(errors)) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        other => panic!("expected a 422, got {other:?}"),
    }
}

fn assert_russian(table: &Table, encoding: &str) {
    assert_eq!(table.encoding.as_deref(), Some(encoding));
    assert_eq!(table.delimiter, Some(';'));
    assert!(table.header);
    assert_eq!(table.columns, ["Имя", "Фамилия", "Должность", "Телефон", "Комментарий"]);
    assert_eq!(table.rows.len(), 3);
    assert_eq!(table.rows[1].cells[1], "Кузнецова");
    assert_eq!(table.rows[2].cells[4], "Просит присылать счета заранее");
    assert_eq!(table.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(table.rows.iter().all(|r| r.error.is_none()));
}

#[test]
fn a_utf8_comma_csv_reads_into_header_and_rows() {
    let table = read_default(b"Name,Phone\r\nAnna,\"+7 999, ext 1\"\r\nBoris,\r\n");
    assert_eq!(table.format, Format::Csv);
    assert_eq!(table.encoding.as_deref(), Some("utf-8"));
    assert_eq!(table.delimiter, Some(','));
    assert_eq!(table.columns, ["Name", "Phone"]);
    assert_eq!(table.rows[0].cells, ["Anna", "+7 999, ext 1"]);
    assert_eq!(table.rows[1].cells, ["Boris", ""]);
    assert_eq!(table.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn russian_text_is_read_in_every_encoding() {
    assert_russian(&read_default(RUSSIAN.as_bytes()), "utf-8");
    let bom = [b"\xEF\xBB\xBF".as_slice(), RUSSIAN.as_bytes()].concat();
    assert_russian(&read_default(&bom), "utf-8-bom");
    assert_russian(&read_default(&WINDOWS_1251.encode(RUSSIAN).0), "windows-1251");
    assert_russian(&read_default(&KOI8_R.encode(RUSSIAN).0), "koi8-r");
    for (encoding, bom, name) in [
        (UTF_16LE, [0xFF, 0xFE], "utf-16le"),
        (UTF_16BE, [0xFE, 0xFF], "utf-16be"),
    ] {
        let units: Vec<u16> = RUSSIAN.encode_utf16().collect();
        let mut bytes = bom.to_vec();
        for unit in units {
            let pair = if encoding == UTF_16LE {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            };
            bytes.extend(pair);
        }
        assert_russian(&read_default(&bytes), name);
    }
}

#[test]
fn short_cyrillic_headers_are_told_apart_between_code_pages() {
    for text in [
        "Имя;Фамилия;Телефон\nАнна;Иванова;1\n",
        "ФИО,Компания\nПётр Сергеевич Смирнов,ООО Ромашка\n",
    ] {
        let cp1251 = read_default(&WINDOWS_1251.encode(text).0);
        assert_eq!(cp1251.encoding.as_deref(), Some("windows-1251"), "{text}");
        assert!(text.starts_with(&cp1251.columns[0]), "{:?}", cp1251.columns);
        let koi8 = read_default(&KOI8_R.encode(text).0);
        assert_eq!(koi8.encoding.as_deref(), Some("koi8-r"), "{text}");
        assert!(text.starts_with(&koi8.columns[0]), "{:?}", koi8.columns);
    }
}

#[test]
fn an_explicit_encoding_overrides_the_guess_and_an_unknown_one_is_refused() {
    let bytes = WINDOWS_1251.encode(RUSSIAN).0;
    let options = ReadOptions {
        encoding: Some("koi8-r".into()),
        ..Default::default()
    };
    let table = read(&bytes, None, &options).unwrap();
    assert_eq!(table.encoding.as_deref(), Some("koi8-r"));
    assert_ne!(table.columns[0], "Имя");
    let options = ReadOptions {
        encoding: Some("klingon-8".into()),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(&bytes, None, &options)),
        [("encoding".into(), "unknown".into())]
    );
}

#[test]
fn tabs_and_semicolons_are_sniffed_and_a_given_delimiter_wins() {
    let tsv = read_default(b"a\tb\tc\n1\t2,5\t3\n4\t5,5\t6\n");
    assert_eq!(tsv.delimiter, Some('\t'));
    assert_eq!(tsv.rows[0].cells, ["1", "2,5", "3"]);
    // Commas inside the decimal numbers must not win over the consistent semicolons.
    let semicolons = read_default(b"Title;Amount;Currency\nA;1,5;RUB\nB;2;USD\nC;3,25;EUR\n");
    assert_eq!(semicolons.delimiter, Some(';'));
    assert_eq!(semicolons.rows[2].cells, ["C", "3,25", "EUR"]);
    let given = ReadOptions {
        delimiter: Some(','),
        ..Default::default()
    };
    let forced = read(b"Title;Amount\nA;1,5\n", None, &given).unwrap();
    assert_eq!(forced.columns, ["Title;Amount"]);
    assert_eq!(forced.rows[0].cells, ["A;1", "5"]);
    let bad = ReadOptions {
        delimiter: Some('"'),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(b"a,b\n1,2\n", None, &bad)),
        [("delimiter".into(), "invalid".into())]
    );
}

#[test]
fn a_first_row_of_values_is_data_and_the_header_option_wins() {
    let table = read_default(b"Anna,anna@example.com,+79991234567\nBoris,boris@example.com,+79990000000\n");
    assert!(!table.header);
    assert_eq!(table.columns, ["Column 1", "Column 2", "Column 3"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].line, 1);
    let dated = read_default(b"Title,Date\nDeal,2026-01-02\n");
    assert!(dated.header);
    let numbers = read_default(b"1,2026-01-02\n2,2026-01-03\n");
    assert!(!numbers.header);
    let forced = ReadOptions {
        header: Some(true),
        ..Default::default()
    };
    let table = read(b"1,2026-01-02\n2,2026-01-03\n", None, &forced).unwrap();
    assert!(table.header);
    assert_eq!(table.columns, ["1", "2026-01-02"]);
    assert_eq!(table.rows.len(), 1);
    let no_header = ReadOptions {
        header: Some(false),
        ..Default::default()
    };
    let table = read(b"Name,Phone\nAnna,1\n", None, &no_header).unwrap();
    assert_eq!(table.rows[0].cells, ["Name", "Phone"]);
}

/// A Google Contacts export: BOM, CRLF, multi-line quoted cells, ` ::: ` and `* ` markers.
const GOOGLE: &str = "\u{feff}First Name,Last Name,Notes,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\r\n\
Anna,Smith,\"Met at the fair.\r\nCall in May, \"\"after\"\" 10am\",* myContacts ::: Clients,* Work,anna@example.com,Mobile,+44 7700 900123 ::: +44 20 7946 0000\r\n\
Пётр,Смирнов,,* myContacts,Home,petr@example.ru,Work,+7 495 111-22-33\r\n";

#[test]
fn a_google_csv_keeps_multi_line_cells_quotes_and_markers() {
    let table = read_default(GOOGLE.as_bytes());
    assert_eq!(table.encoding.as_deref(), Some("utf-8-bom"));
    assert_eq!(table.columns[0], "First Name");
    assert_eq!(table.columns.len(), 8);
    assert_eq!(table.rows.len(), 2);
    let anna = &table.rows[0];
    assert_eq!(anna.cells[2], "Met at the fair.\nCall in May, \"after\" 10am");
    assert_eq!(anna.cells[3], "* myContacts ::: Clients");
    assert_eq!(anna.cells[4], "* Work");
    assert_eq!(anna.cells[7], "+44 7700 900123 ::: +44 20 7946 0000");
    // The second record starts on line 4: the first one spans lines 2 and 3.
    assert_eq!(table.rows[1].line, 4);
    assert_eq!(table.rows[1].cells[1], "Смирнов");
}

#[test]
fn ragged_rows_are_row_errors_not_file_errors() {
    let table = read_default(b"Name,Phone,City\nAnna,1,Moscow\nBoris,2\nCyril,3,Kazan,extra\nDasha,4,Tver,\n");
    assert_eq!(table.rows.len(), 4);
    assert!(table.rows[0].error.is_none());
    assert_eq!(table.rows[1].cells, ["Boris", "2", ""]);
    assert!(table.rows[1].error.as_deref().unwrap().contains("2 cells"));
    assert_eq!(table.rows[2].cells.len(), 4);
    assert!(table.rows[2].error.is_some());
    // A trailing delimiter is not a ragged row.
    assert_eq!(table.rows[3].cells, ["Dasha", "4", "Tver"]);
    assert!(table.rows[3].error.is_none());
}

#[test]
fn an_unclosed_quote_is_an_error_on_its_row() {
    let table = read_default(b"Name,Note\nAnna,fine\nBoris,\"never closed\nCyril,lost\n");
    assert_eq!(table.rows.len(), 2);
    assert!(table.rows[0].error.is_none());
    assert!(table.rows[1].error.as_deref().unwrap().contains("not closed"));
}

#[test]
fn binary_files_and_empty_ones_are_refused_naming_file() {
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of an archive";
    let csv = ReadOptions {
        format: Some(Format::Csv),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(zip, Some("a.csv"), &csv)),
        [("file".into(), "binary".into())]
    );
    assert_eq!(
        invalid(read(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", Some("a.csv"), &csv)),
        [("file".into(), "binary".into())]
    );
    assert_eq!(
        invalid(read(b"Name\0,\0Phone\0\n\x01\x02", None, &csv)),
        [("file".into(), "binary".into())]
    );
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
        .collect();
    assert_eq!(invalid(read(&noise, None, &csv)), [("file".into(), "binary".into())]);
    assert_eq!(invalid(read(b"", None, &csv)), [("file".into(), "empty".into())]);
    assert_eq!(
        invalid(read(b"Name,Phone\r\n", None, &csv)),
        [("file".into(), "empty".into())]
    );
}
