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

/// A workbook with two sheets: typed cells on the first, text on the second.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let date = CellFormat::new().set_num_format("dd.mm.yyyy");
    let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
    let sheet = book.add_worksheet().set_name("Сделки").unwrap();
    for (col, title) in [
        "Название",
        "Сумма",
        "Количество",
        "Оплачено",
        "Дата",
        "Создано",
        "Телефон",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    sheet.write_string(1, 0, "Поставка кофе").unwrap();
    sheet.write_number(1, 1, 1250.4999999999998).unwrap();
    sheet.write_number(1, 2, 3.0).unwrap();
    sheet.write_boolean(1, 3, true).unwrap();
    let day = ExcelDateTime::from_ymd(2026, 1, 2).unwrap();
    sheet.write_datetime_with_format(1, 4, &day, &date).unwrap();
    let at = ExcelDateTime::from_ymd(2026, 3, 4).unwrap().and_hms(14, 30, 0).unwrap();
    sheet.write_datetime_with_format(1, 5, &at, &datetime).unwrap();
    sheet.write_string(1, 6, "+79991234567").unwrap();
    // Row 3 is blank; row 4 has a small and a large number and a false.
    sheet.write_string(3, 0, "Чай").unwrap();
    sheet.write_number(3, 1, 0.1 + 0.2).unwrap();
    sheet.write_number(3, 2, 12_345_678_901_234.0).unwrap();
    sheet.write_boolean(3, 3, false).unwrap();
    let second = book.add_worksheet().set_name("Notes").unwrap();
    second.write_string(0, 0, "Note").unwrap();
    second.write_string(1, 0, "Hello").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_sheet_is_read_with_typed_cells_rendered_as_text() {
    let bytes = workbook();
    let table = read(&bytes, Some("deals.xlsx"), &ReadOptions::default()).unwrap();
    assert_eq!(table.format, Format::Xlsx);
    assert_eq!(table.encoding, None);
    assert_eq!(table.sheets, ["Сделки", "Notes"]);
    assert_eq!(table.sheet.as_deref(), Some("Сделки"));
    assert!(table.header);
    assert_eq!(table.columns[1], "Сумма");
    assert_eq!(table.rows.len(), 2);
    let row = &table.rows[0];
    assert_eq!(row.line, 2);
    assert_eq!(
        row.cells,
        [
            "Поставка кофе",
            "1250.5",
            "3",
            "yes",
            "2026-01-02",
            "2026-03-04T14:30:00Z",
            "+79991234567"
        ]
    );
    let row = &table.rows[1];
    assert_eq!(row.line, 4, "the blank row 3 is skipped, numbering kept");
    assert_eq!(&row.cells[..4], ["Чай", "0.3", "12345678901234", "no"]);
    assert_eq!(row.cells[4], "");
    assert!(row.error.is_none());
}

#[test]
fn a_workbook_opening_on_a_sheet_without_data_is_read_from_its_first_sheet_with_data() {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Cover")
        .unwrap()
        .write_string(0, 0, "Contacts, 2026")
        .unwrap();
    book.add_worksheet().set_name("Blank").unwrap();
    let data = book.add_worksheet().set_name("Data").unwrap();
    data.write_string(0, 0, "Name").unwrap();
    data.write_string(1, 0, "Ivan").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let table = read(&bytes, None, &ReadOptions::default()).unwrap();
    assert_eq!(table.sheets, ["Cover", "Blank", "Data"]);
    assert_eq!(table.sheet.as_deref(), Some("Data"));
    assert_eq!(table.rows[0].cells, ["Ivan"]);
    // A sheet chosen by name is read as chosen; one without data rows is a 422 naming it.
    let chosen = |name: &str| ReadOptions {
        sheet: Some(name.into()),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(&bytes, None, &chosen("Cover"))),
        [("sheet".into(), "empty".into())]
    );
    assert_eq!(
        invalid(read(&bytes, None, &chosen("Blank"))),
        [("sheet".into(), "empty".into())]
    );
}

#[test]
fn an_xlsx_sheet_is_chosen_by_name_and_bad_workbooks_are_refused() {
    let bytes = workbook();
    let options = ReadOptions {
        sheet: Some("notes".into()),
        ..Default::default()
    };
    let table = read(&bytes, None, &options).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("Notes"));
    assert_eq!(table.rows[0].cells, ["Hello"]);
    let options = ReadOptions {
        sheet: Some("Missing".into()),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(&bytes, None, &options)),
        [("sheet".into(), "unknown".into())]
    );
    let xlsx = ReadOptions {
        format: Some(Format::Xlsx),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(b"Name,Phone\n", None, &xlsx)),
        [("file".into(), "unreadable".into())]
    );
    let truncated = &bytes[..bytes.len() / 2];
    assert_eq!(
        invalid(read(truncated, None, &ReadOptions::default())),
        [("file".into(), "unreadable".into())]
    );
}

/// The cell of `column` (a contact column key) in a vCard row.
fn cell<'a>(table: &'a Table, row: usize, column: &str) -> &'a str {
    let index = table
        .columns
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    &table.rows[row].cells[index]
}

#[test]
fn the_sample_vcard_file_reads_all_five_cards() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/contacts.vcf")).unwrap();
    let table = read(&bytes, Some("contacts.vcf"), &ReadOptions::default()).unwrap();
    assert_eq!(table.format, Format::Vcard);
    assert!(table.header);
    assert_eq!(table.columns[..3], ["first_name", "middle_name", "last_name"]);
    assert_eq!(table.rows.len(), 5);
    assert!(table.rows.iter().all(|r| r.error.is_none()), "{:?}", table.rows);
    assert_eq!(table.rows[0].line, 1);
    // 1: vCard 2.1, quoted-printable UTF-8 with soft line breaks, bare type parameters.
    assert_eq!(cell(&table, 0, "last_name"), "Петров");
    assert_eq!(cell(&table, 0, "first_name"), "Иван");
    assert_eq!(cell(&table, 0, "middle_name"), "Сергеевич");
    assert_eq!(cell(&table, 0, "company_id"), "ООО «Ромашка»");
    assert_eq!(cell(&table, 0, "post"), "Директор");
    assert_eq!(
        cell(&table, 0, "phones"),
        "+79161234567 (mobile) ::: +74957654321 (work)"
    );
    assert_eq!(cell(&table, 0, "emails"), "i.petrov@romashka.example (work)");
    assert_eq!(
        cell(&table, 0, "comments"),
        "Позвонить после обеда.\nОбсудить договор поставки №17 и график отгрузок на следующий квартал."
    );
    // 2: vCard 3.0, escapes and a folded note.
    assert_eq!(cell(&table, 1, "first_name"), "Anna-Maria");
    assert_eq!(cell(&table, 1, "last_name"), "O'Neil");
    assert_eq!(cell(&table, 1, "company_id"), "Acme Widgets Ltd");
    assert_eq!(cell(&table, 1, "post"), "Head of Procurement");
    assert_eq!(cell(&table, 1, "emails"), "anna.oneil@acme.example (work)");
    assert_eq!(cell(&table, 1, "phones"), "+44 20 7946 0958 (work)");
    assert_eq!(cell(&table, 1, "address.street"), "221B Baker Street");
    assert_eq!(cell(&table, 1, "address.city"), "London");
    assert_eq!(cell(&table, 1, "address.postal_code"), "NW1 6XE");
    assert_eq!(cell(&table, 1, "address.country"), "United Kingdom");
    assert_eq!(cell(&table, 1, "birthdate"), "1975-11-02");
    assert_eq!(cell(&table, 1, "websites"), "https://acme.example (work)");
    assert_eq!(
        cell(&table, 1, "comments"),
        "Prefers email, no calls before 10am; met at Expo 2024.\nFollow up in May."
    );
    // 3: vCard 4.0, tel: URIs, PREF, quoted TYPE lists, an escaped comma in ORG, no birth year.
    assert_eq!(cell(&table, 2, "company_id"), "Café Dupont & Fils, SARL");
    assert_eq!(cell(&table, 2, "post"), "Gérant");
    assert_eq!(
        cell(&table, 2, "phones"),
        "+33-6-12-34-56-78 (mobile) ::: +33-1-42-00-00-00 ext. 12 (work)"
    );
    assert_eq!(
        cell(&table, 2, "emails"),
        "jl.dupont@example.fr (home) ::: jean-luc@cafe-dupont.example (work)"
    );
    assert_eq!(cell(&table, 2, "address.street"), "12 rue de Rivoli");
    assert_eq!(cell(&table, 2, "address.region"), "Île-de-France");
    assert_eq!(cell(&table, 2, "birthdate"), "");
    // 4: vCard 3.0 folded in the middle of UTF-8 text, escaped commas in the street.
    assert_eq!(cell(&table, 3, "first_name"), "Ольга");
    assert_eq!(cell(&table, 3, "last_name"), "Кузнецова");
    assert_eq!(cell(&table, 3, "company_id"), "Кофейня «Зерно»");
    assert_eq!(cell(&table, 3, "phones"), "+7 921 555-12-34 (mobile)");
    assert_eq!(
        cell(&table, 3, "address.street"),
        "Большая Морская ул., д. 38, литера А, помещение 12-Н"
    );
    assert_eq!(cell(&table, 3, "address.city"), "Санкт-Петербург");
    assert_eq!(cell(&table, 3, "address.country"), "Россия");
    assert_eq!(
        cell(&table, 3, "comments"),
        "Клиент с 2019 года. Заказывает кофе и чай ежемесячно, оплата по счёту в течение 5 банковских дней; \
         просит присылать закрывающие документы через ЭДО и дублировать на почту бухгалтерии."
    );
    // 5: Apple, itemN groups and labels, several TEL/EMAIL types, a social profile.
    assert_eq!(cell(&table, 4, "last_name"), "Müller");
    assert_eq!(cell(&table, 4, "company_id"), "Müller & Söhne GmbH");
    assert_eq!(
        cell(&table, 4, "phones"),
        "+49 171 2345678 (mobile) ::: +49 30 1234567 (work) ::: +49 30 1234568 (fax) ::: +49 30 7654321 (home) ::: +49 30 1234500 (work)"
    );
    assert_eq!(
        cell(&table, 4, "emails"),
        "k.mueller@example.de (work) ::: klaus.mueller@mail.example (home) ::: einkauf@mueller-soehne.example (work)"
    );
    assert_eq!(
        cell(&table, 4, "websites"),
        "https://www.linkedin.com/in/klaus-mueller-example (other)"
    );
    assert_eq!(cell(&table, 4, "address.street"), "Friedrichstraße 100");
}

#[test]
fn vcard_21_in_windows_1251_and_lf_folding_are_read() {
    let card = "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=WINDOWS-1251:Смирнов;Пётр\nTEL;HOME:8 812 123-45-67\n\
TEL;FAX:+7 812 000-00-00\nTEL;PAGER:12345\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=windows-1251:=CF=F0=E8=E2=E5=F2=\n=21\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Long\n Name\nEMAIL;TYPE=HOME:a@b.example\nX-SKYPE:long.name\nIMPP:tg:longname\nEND:VCARD\n";
    let bytes = WINDOWS_1251.encode(card).0;
    let table = read(&bytes, Some("old-phone.vcf"), &ReadOptions::default()).unwrap();
    assert_eq!(table.encoding.as_deref(), Some("windows-1251"));
    assert_eq!(table.rows.len(), 2);
    assert_eq!(cell(&table, 0, "last_name"), "Смирнов");
    assert_eq!(cell(&table, 0, "first_name"), "Пётр");
    assert_eq!(
        cell(&table, 0, "phones"),
        "8 812 123-45-67 (home) ::: +7 812 000-00-00 (fax) ::: 12345 (pager)"
    );
    assert_eq!(cell(&table, 0, "comments"), "Привет!");
    assert_eq!(cell(&table, 1, "first_name"), "LongName");
    assert_eq!(cell(&table, 1, "emails"), "a@b.example (home)");
    assert_eq!(
        cell(&table, 1, "messengers"),
        "long.name (skype) ::: longname (telegram)"
    );
}

#[test]
fn broken_vcards_are_row_errors_and_a_file_without_cards_is_refused() {
    let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Good;One\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nN:Broken;Fold\r\nNOTE:a long note that was folded\r\nwithout the leading space\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nN:Never;Ended\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nN:Last;Card\r\n";
    let table = read(text.as_bytes(), None, &ReadOptions::default()).unwrap();
    assert_eq!(table.format, Format::Vcard);
    assert_eq!(table.rows.len(), 4);
    assert!(table.rows[0].error.is_none());
    assert_eq!(cell(&table, 0, "last_name"), "Good");
    assert!(
        table.rows[1].error.as_deref().unwrap().contains("line 9"),
        "{:?}",
        table.rows[1].error
    );
    assert_eq!(cell(&table, 1, "last_name"), "Broken");
    assert!(table.rows[2].error.as_deref().unwrap().contains("END:VCARD"));
    assert_eq!(table.rows[2].line, 11);
    assert!(table.rows[3].error.as_deref().unwrap().contains("END:VCARD"));
    let vcard = ReadOptions {
        format: Some(Format::Vcard),
        ..Default::default()
    };
    assert_eq!(
        invalid(read(b"just some text\n", None, &vcard)),
        [("file".into(), "empty".into())]
    );
}

mod mapping {
    use crm_core::CoreError;
    use crm_core::io::mapping::{Target, check, guess};
    use crm_core::io::{ReadOptions, read};
    use crm_core::records::entities::{company, contact, deal, lead};

    fn columns(header: &str) -> Vec<String> {
        header.split(',').map(str::to_owned).collect()
    }

    /// (header, field, type, type column header) of each guessed target.
    fn described(header: &str, targets: &[Target]) -> Vec<(String, String, Option<String>, Option<String>)> {
        let columns = columns(header);
        targets
            .iter()
            .map(|t| {
                (
                    columns[t.column].clone(),
                    t.field.clone(),
                    t.r#type.clone(),
                    t.type_column.map(|c| columns[c].clone()),
                )
            })
            .collect()
    }

    fn has(
        list: &[(String, String, Option<String>, Option<String>)],
        header: &str,
        field: &str,
        kind: Option<&str>,
    ) -> bool {
        list.iter()
            .any(|(h, f, k, _)| h == header && f == field && k.as_deref() == kind)
    }

    #[test]
    fn our_keys_and_labels_map_back_in_both_languages() {
        let header = "first_name,Last name,Отчество,Телефоны,Адрес: город,address.country,Комментарий,Something else";
        let list = described(header, &guess(&contact::def(), &columns(header)));
        assert!(has(&list, "first_name", "first_name", None));
        assert!(has(&list, "Last name", "last_name", None));
        assert!(has(&list, "Отчество", "middle_name", None));
        assert!(has(&list, "Телефоны", "phones", None));
        assert!(has(&list, "Адрес: город", "address.city", None));
        assert!(has(&list, "address.country", "address.country", None));
        assert!(has(&list, "Комментарий", "comments", None));
        assert_eq!(list.len(), 7, "{list:?}");
    }

    #[test]
    fn bitrix24_headers_map_with_phone_and_email_types() {
        let header = "ID,Имя,Фамилия,Должность,Компания,Рабочий телефон,Мобильный телефон,Рабочий e-mail,Частный e-mail,Ответственный,Дата создания";
        let list = described(header, &guess(&contact::def(), &columns(header)));
        assert!(has(&list, "Имя", "first_name", None));
        assert!(has(&list, "Компания", "company_id", None));
        assert!(has(&list, "Должность", "post", None));
        assert!(has(&list, "Рабочий телефон", "phones", Some("work")));
        assert!(has(&list, "Мобильный телефон", "phones", Some("mobile")));
        assert!(has(&list, "Частный e-mail", "emails", Some("home")));
        assert!(has(&list, "Ответственный", "responsible_id", None));
        assert!(
            !list.iter().any(|(h, ..)| h == "ID" || h == "Дата создания"),
            "{list:?}"
        );
        let header = "Название лида,Сумма,Валюта,Название компании,Статус";
        let list = described(header, &guess(&lead::def(), &columns(header)));
        assert!(has(&list, "Название лида", "title", None));
        assert!(has(&list, "Сумма", "amount", None));
        assert!(has(&list, "Название компании", "company_title", None));
        assert_eq!(list.len(), 5);
    }

    #[test]
    fn google_csv_pairs_take_their_label_column() {
        let header = "First Name,Last Name,Organization Name,Organization Title,Birthday,Notes,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Address 1 - Formatted,Address 1 - City,Address 1 - Postal Code";
        let list = described(header, &guess(&contact::def(), &columns(header)));
        assert!(has(&list, "Organization Name", "company_id", None));
        assert!(has(&list, "Organization Title", "post", None));
        assert!(has(&list, "Birthday", "birthdate", None));
        let phones: Vec<_> = list.iter().filter(|(_, f, ..)| f == "phones").collect();
        assert_eq!(phones.len(), 2);
        assert_eq!(phones[1].3.as_deref(), Some("Phone 2 - Label"));
        assert!(
            list.iter().any(|(h, f, _, t)| h == "E-mail 1 - Value"
                && f == "emails"
                && t.as_deref() == Some("E-mail 1 - Label"))
        );
        assert!(has(&list, "Address 1 - City", "address.city", None));
        assert!(has(&list, "Address 1 - Postal Code", "address.postal_code", None));
        assert!(!list.iter().any(|(h, ..)| h == "Labels" || h == "Phone 1 - Label"));
        let legacy = "Name,Given Name,Additional Name,Family Name,Phone 1 - Type,Phone 1 - Value,Organization 1 - Name";
        let list = described(legacy, &guess(&contact::def(), &columns(legacy)));
        assert!(has(&list, "Given Name", "first_name", None));
        assert!(has(&list, "Family Name", "last_name", None));
        assert!(has(&list, "Organization 1 - Name", "company_id", None));
        assert!(
            list.iter()
                .any(|(h, _, _, t)| h == "Phone 1 - Value" && t.as_deref() == Some("Phone 1 - Type"))
        );
    }

    /// A Bitrix24 export column: its caption and the (field, fixed item type) we expect it to map
    /// to, `None` for a column left out.
    type Caption<'a> = (&'a str, Option<(&'a str, Option<&'a str>)>);

    /// The typed multi-field columns a Bitrix24 contact or lead export writes in place of
    /// "Телефон", "E-mail", "Сайт", "Мессенджер": one per value type, in Bitrix24's order.
    const MULTI_RU: &[Caption] = &[
        ("Рабочий телефон", Some(("phones", Some("work")))),
        ("Мобильный телефон", Some(("phones", Some("mobile")))),
        ("Номер факса", Some(("phones", Some("fax")))),
        ("Домашний телефон", Some(("phones", Some("home")))),
        ("Номер пейджера", Some(("phones", Some("pager")))),
        ("Телефон для рассылок", Some(("phones", Some("other")))),
        ("Другой телефон", Some(("phones", Some("other")))),
        ("Корпоративный сайт", Some(("websites", Some("work")))),
        ("Личная страница", Some(("websites", Some("home")))),
        ("Страница Facebook", Some(("websites", Some("facebook")))),
        ("Страница ВКонтакте", Some(("websites", Some("vk")))),
        ("Страница LiveJournal", Some(("websites", Some("other")))),
        ("Микроблог Twitter", Some(("websites", Some("other")))),
        ("Другой сайт", Some(("websites", Some("other")))),
        ("Рабочий e-mail", Some(("emails", Some("work")))),
        ("Частный e-mail", Some(("emails", Some("home")))),
        ("E-mail для рассылок", Some(("emails", Some("newsletter")))),
        ("Другой e-mail", Some(("emails", Some("other")))),
        ("Контакт Facebook", Some(("messengers", Some("facebook")))),
        ("Контакт Telegram", Some(("messengers", Some("telegram")))),
        ("Контакт ВКонтакте", Some(("messengers", Some("vk")))),
        ("Контакт Skype", Some(("messengers", Some("skype")))),
        ("Контакт Viber", Some(("messengers", Some("viber")))),
        ("Комментарии Instagram", Some(("messengers", Some("instagram")))),
        ("Контакт Битрикс24.Network", None),
        ("Онлайн-чат", None),
        ("Контакт Открытая линия", None),
        ("Контакт ICQ", Some(("messengers", Some("other")))),
        ("Контакт MSN/Live!", Some(("messengers", Some("other")))),
        ("Контакт Jabber", Some(("messengers", Some("other")))),
        ("Другой контакт", Some(("messengers", Some("other")))),
    ];

    const MULTI_EN: &[Caption] = &[
        ("Work Phone", Some(("phones", Some("work")))),
        ("Mobile", Some(("phones", Some("mobile")))),
        ("Fax", Some(("phones", Some("fax")))),
        ("Home Phone", Some(("phones", Some("home")))),
        ("Pager Number", Some(("phones", Some("pager")))),
        ("SMS marketing phone", Some(("phones", Some("other")))),
        ("Other Phone Number", Some(("phones", Some("other")))),
        ("Corporate Website", Some(("websites", Some("work")))),
        ("Personal Page", Some(("websites", Some("home")))),
        ("Facebook Page", Some(("websites", Some("facebook")))),
        ("VK Page", Some(("websites", Some("vk")))),
        ("LiveJournal", Some(("websites", Some("other")))),
        ("Twitter", Some(("websites", Some("other")))),
        ("Other Website", Some(("websites", Some("other")))),
        ("Work E-mail", Some(("emails", Some("work")))),
        ("Home E-mail", Some(("emails", Some("home")))),
        ("Newsletters email", Some(("emails", Some("newsletter")))),
        ("Other E-mail", Some(("emails", Some("other")))),
        ("Facebook account", Some(("messengers", Some("facebook")))),
        ("Telegram account", Some(("messengers", Some("telegram")))),
        ("VK account", Some(("messengers", Some("vk")))),
        ("Skype ID", Some(("messengers", Some("skype")))),
        ("Viber contact", Some(("messengers", Some("viber")))),
        ("Instagram comments", Some(("messengers", Some("instagram")))),
        ("Bitrix24.Network account", None),
        ("Live Chat", None),
        ("Open Channel account", None),
        ("ICQ Number", Some(("messengers", Some("other")))),
        ("MSN/Live!", Some(("messengers", Some("other")))),
        ("Jabber", Some(("messengers", Some("other")))),
        ("Other Contact", Some(("messengers", Some("other")))),
    ];

    /// The address parts (street, apartment, city, district, province, zip, country) after the
    /// whole address: the street column wins over the whole one, the province over the district.
    const ADDRESS_RU: &[Caption] = &[
        ("Адрес", None),
        ("Улица", Some(("address.street", None))),
        ("Квартира", None),
        ("Город", Some(("address.city", None))),
        ("Район", None),
        ("Область", Some(("address.region", None))),
        ("Индекс", Some(("address.postal_code", None))),
        ("Страна", Some(("address.country", None))),
    ];

    const ADDRESS_EN: &[Caption] = &[
        ("Address", None),
        ("Street", Some(("address.street", None))),
        ("Apartment / Suite", None),
        ("City", Some(("address.city", None))),
        ("Region", None),
        ("State / Province", Some(("address.region", None))),
        ("Zip", Some(("address.postal_code", None))),
        ("Country", Some(("address.country", None))),
    ];

    /// The file a Bitrix24 list export writes for `captions`: every cell quoted and followed by
    /// a semicolon, `\n` line ends.
    fn bitrix24_csv(captions: &[&[Caption]]) -> Vec<u8> {
        let captions: Vec<&str> = captions.iter().flat_map(|part| part.iter().map(|(c, _)| *c)).collect();
        let mut text: String = captions
            .iter()
            .map(|c| format!("\"{}\";", c.replace('"', "\"\"")))
            .collect();
        text.push('\n');
        text.extend((0..captions.len()).map(|i| format!("\"{i}\";")));
        text.push('\n');
        text.into_bytes()
    }

    /// Reads the export of `captions` and checks the guessed mapping column by column.
    fn assert_bitrix24_export(def: &crm_core::records::EntityDef, captions: &[&[Caption]]) {
        let table = read(&bitrix24_csv(captions), Some("export.csv"), &ReadOptions::default()).unwrap();
        assert_eq!(table.delimiter, Some(';'));
        let expected: Vec<Caption> = captions.iter().flat_map(|part| part.iter().copied()).collect();
        assert_eq!(
            table.columns[..expected.len()]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            expected.iter().map(|(c, _)| *c).collect::<Vec<_>>()
        );
        assert!(
            table.columns[expected.len()..].iter().all(String::is_empty),
            "{:?}",
            table.columns
        );
        let targets = guess(def, &table.columns);
        assert!(targets.iter().all(|t| t.type_column.is_none()), "{targets:?}");
        let guessed: Vec<Caption> = expected
            .iter()
            .enumerate()
            .map(|(column, (caption, _))| {
                let target = targets.iter().find(|t| t.column == column);
                (*caption, target.map(|t| (t.field.as_str(), t.r#type.as_deref())))
            })
            .collect();
        assert_eq!(guessed, expected);
    }

    /// A contact export with all fields (and the address columns of portals that still keep
    /// them on the contact), as Bitrix24 writes it in Russian and in English.
    #[test]
    fn a_bitrix24_contact_export_maps_field_by_field() {
        let head_ru: &[Caption] = &[
            ("ID", None),
            ("Фотография", None),
            ("Обращение", Some(("honorific", None))),
            ("Имя", Some(("first_name", None))),
            ("Фамилия", Some(("last_name", None))),
            ("Отчество", Some(("middle_name", None))),
            ("Дата рождения", Some(("birthdate", None))),
            ("Должность", Some(("post", None))),
            ("Компания", Some(("company_id", None))),
            ("Тип контакта", Some(("type", None))),
            ("Ответственный", Some(("responsible_id", None))),
        ];
        let tail_ru: &[Caption] = &[
            ("Комментарий", Some(("comments", None))),
            ("Источник", Some(("source", None))),
            ("Дополнительно об источнике", Some(("source_description", None))),
            ("Экспорт", None),
            ("Кем создан", None),
            ("Дата создания", None),
            ("Кем изменен", None),
            ("Дата изменения", None),
            ("Создан CRM-формой", None),
        ];
        assert_bitrix24_export(&contact::def(), &[head_ru, MULTI_RU, ADDRESS_RU, tail_ru]);
        let head_en: &[Caption] = &[
            ("ID", None),
            ("Photo", None),
            ("Salutation", Some(("honorific", None))),
            ("First Name", Some(("first_name", None))),
            ("Last Name", Some(("last_name", None))),
            ("Middle Name", Some(("middle_name", None))),
            ("Birthday", Some(("birthdate", None))),
            ("Position", Some(("post", None))),
            ("Company", Some(("company_id", None))),
            ("Contact Type", Some(("type", None))),
            ("Responsible", Some(("responsible_id", None))),
        ];
        let tail_en: &[Caption] = &[
            ("Comment", Some(("comments", None))),
            ("Source", Some(("source", None))),
            ("Source information", Some(("source_description", None))),
            ("Included in export", None),
            ("Created by", None),
            ("Created", None),
            ("Modified by", None),
            ("Modified", None),
            ("Created by CRM form", None),
        ];
        assert_bitrix24_export(&contact::def(), &[head_en, MULTI_EN, ADDRESS_EN, tail_en]);
    }

    /// A lead export with all fields, in Russian and in English.
    #[test]
    fn a_bitrix24_lead_export_maps_field_by_field() {
        let head_ru: &[Caption] = &[
            ("ID", None),
            ("Стадия", Some(("status", None))),
            ("Название лида", Some(("title", None))),
            ("Обращение", Some(("honorific", None))),
            ("Имя", Some(("first_name", None))),
            ("Отчество", Some(("middle_name", None))),
            ("Фамилия", Some(("last_name", None))),
            ("Дата рождения", Some(("birthdate", None))),
            ("Дата создания", None),
            ("Источник", Some(("source", None))),
            ("Наблюдатели", None),
        ];
        let middle_ru: &[Caption] = &[
            ("Ответственный", Some(("responsible_id", None))),
            ("Дополнительно о стадии", None),
            ("Дополнительно об источнике", Some(("source_description", None))),
            ("Кем создан", None),
            ("Дата изменения", None),
            ("Кем изменен", None),
            ("Название компании", Some(("company_title", None))),
            ("Должность", Some(("post", None))),
        ];
        let tail_ru: &[Caption] = &[
            ("Комментарий", Some(("comments", None))),
            ("Сумма", Some(("amount", None))),
            ("Валюта", Some(("currency", None))),
            ("Товар", None),
            ("Создан CRM-формой", None),
            ("Повторный лид", None),
            ("Клиент", None),
        ];
        assert_bitrix24_export(&lead::def(), &[head_ru, MULTI_RU, middle_ru, ADDRESS_RU, tail_ru]);
        let head_en: &[Caption] = &[
            ("ID", None),
            ("Status", Some(("status", None))),
            ("Lead Name", Some(("title", None))),
            ("Salutation", Some(("honorific", None))),
            ("First Name", Some(("first_name", None))),
            ("Middle Name", Some(("middle_name", None))),
            ("Last Name", Some(("last_name", None))),
            ("Date of birth", Some(("birthdate", None))),
            ("Created", None),
            ("Source", Some(("source", None))),
            ("Observers", None),
        ];
        let middle_en: &[Caption] = &[
            ("Responsible", Some(("responsible_id", None))),
            ("Status information", None),
            ("Source information", Some(("source_description", None))),
            ("Created by", None),
            ("Modified", None),
            ("Modified by", None),
            ("Company Name", Some(("company_title", None))),
            ("Position", Some(("post", None))),
        ];
        let tail_en: &[Caption] = &[
            ("Comment", Some(("comments", None))),
            ("Total", Some(("amount", None))),
            ("Currency", Some(("currency", None))),
            ("Product", None),
            ("Created by CRM form", None),
            ("Repeat lead", None),
            ("Client", None),
        ];
        assert_bitrix24_export(&lead::def(), &[head_en, MULTI_EN, middle_en, ADDRESS_EN, tail_en]);
    }

    /// Deal captions: the stage, the amount ("Income" in English) and the expected close date.
    #[test]
    fn bitrix24_deal_captions_map() {
        let header = "Название сделки,Стадия сделки,Сумма,Валюта,Компания,Контакт,Предполагаемая дата закрытия";
        let list = described(header, &guess(&deal::def(), &columns(header)));
        assert!(has(&list, "Стадия сделки", "stage", None));
        assert!(has(&list, "Контакт", "contact_ids", None));
        assert!(has(&list, "Компания", "company_id", None));
        assert_eq!(list.len(), 7, "{list:?}");
        let header = "Deal Name,Stage,Income,Currency,Company,Contact,Assumed close date";
        let list = described(header, &guess(&deal::def(), &columns(header)));
        assert!(has(&list, "Stage", "stage", None));
        assert!(has(&list, "Income", "amount", None));
        assert!(has(&list, "Assumed close date", "close_date", None));
        assert_eq!(list.len(), 7, "{list:?}");
    }

    #[test]
    fn outlook_headers_map_business_before_home() {
        // Google's Outlook export puts the home address first; the business one still wins.
        let header = "First Name,Last Name,Title,E-mail Address,Mobile Phone,Home Street,Home City,Business Phone,Company,Job Title,Business Street,Business City,Business Fax,Notes";
        let list = described(header, &guess(&contact::def(), &columns(header)));
        assert!(has(&list, "E-mail Address", "emails", Some("work")));
        assert!(has(&list, "Mobile Phone", "phones", Some("mobile")));
        assert!(has(&list, "Business Phone", "phones", Some("work")));
        assert!(has(&list, "Business Fax", "phones", Some("fax")));
        assert!(has(&list, "Company", "company_id", None));
        assert!(has(&list, "Job Title", "post", None));
        assert!(has(&list, "Business Street", "address.street", None));
        assert!(has(&list, "Business City", "address.city", None));
        assert!(
            !list.iter().any(|(h, ..)| h.starts_with("Home ") || h == "Title"),
            "{list:?}"
        );
        // Company addresses are `addresses.*`.
        let list = described("Company,City", &guess(&company::def(), &columns("Company,City")));
        assert!(has(&list, "City", "addresses.city", None), "{list:?}");
    }

    #[test]
    fn check_refuses_unknown_and_read_only_fields_and_bad_columns() {
        let target = |column, field: &str, kind: Option<&str>| Target {
            column,
            field: field.into(),
            r#type: kind.map(str::to_owned),
            type_column: None,
        };
        let def = contact::def();
        assert!(
            check(
                &def,
                &[
                    target(0, "phones", Some("mobile")),
                    target(1, "address.city", None),
                    target(2, "company_id", None)
                ],
                3
            )
            .is_ok()
        );
        let bad = [
            target(0, "shoe_size", None),
            target(1, "created_at", None),
            target(7, "first_name", None),
            target(2, "phones", Some("carrier pigeon")),
            Target {
                type_column: Some(9),
                ..target(2, "emails", None)
            },
        ];
        let Err(CoreError::Validation(errors)) = check(&def, &bad, 3) else {
            panic!("expected a 422")
        };
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("mapping[0].field", "unknown_field"),
                ("mapping[1].field", "read_only"),
                ("mapping[2].column", "out_of_range"),
                ("mapping[3].type", "invalid"),
                ("mapping[4].type_column", "out_of_range"),
            ]
        );
    }
}

/// 100,000 contact rows (~20 MB): read natively well under a second in release builds (the
/// bound here is loose for a busy machine; the time is printed).
#[test]
fn a_100k_row_csv_reads_fast() {
    let mut text = String::from(
        "\u{feff}First Name,Last Name,Company,Job Title,E-mail Address,Mobile Phone,Business Phone,Business Street,Business City,Notes\r\n",
    );
    for i in 0..100_000 {
        text.push_str(&format!(
            "Иван{i},Петров{i},ООО «Ромашка {i}»,Директор по развитию,ivan.petrov{i}@romashka.example,+7 916 {i:07},+7 495 {i:07},\
\"ул. Ленина, д. {i}, офис 12\",Москва,\"Позвонить после обеда, обсудить поставку; клиент с 2019 года, платит вовремя, \"\"важный\"\" {i}\"\r\n"
        ));
    }
    assert!(text.len() > 20_000_000, "{} bytes", text.len());
    let started = std::time::Instant::now();
    let table = read(text.as_bytes(), Some("big.csv"), &ReadOptions::default()).unwrap();
    let elapsed = started.elapsed();
    println!("100,000 rows, {} MB read in {elapsed:?}", text.len() / 1_000_000);
    assert_eq!(table.rows.len(), 100_000);
    assert_eq!(table.rows[99_999].cells[1], "Петров99999");
    assert_eq!(table.rows[99_999].line, 100_001);
    assert!(table.rows.iter().all(|r| r.error.is_none()));
    assert!(elapsed.as_secs_f64() < 3.0, "{elapsed:?}");
}

#[test]
fn a_classic_outlook_csv_in_the_ansi_code_page_reads_as_windows_1252() {
    let text = "\"Title\",\"First Name\",\"Last Name\",\"Company\",\"Business Phone\",\"Mobile Phone\",\"E-mail Address\",\"Birthday\"\r\n\
\"\",\"Klaus\",\"Müller\",\"Müller & Söhne GmbH\",\"+49 30 1234567\",\"+49 171 2345678\",\"k.mueller@example.de\",\"0/0/00\"\r\n\
\"Dr.\",\"Zoë\",\"Brontë\",\"Café Crème\",\"\",\"+44 7700 900123\",\"zoe@example.co.uk\",\"5/17/1980\"\r\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(text).0;
    let table = read(&bytes, Some("outlook.csv"), &ReadOptions::default()).unwrap();
    assert_eq!(table.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(table.delimiter, Some(','));
    assert_eq!(table.columns[2], "Last Name");
    assert_eq!(table.rows[0].cells[2], "Müller");
    assert_eq!(table.rows[1].cells[3], "Café Crème");
    let targets = crm_core::io::mapping::guess(&crm_core::records::entities::contact::def(), &table.columns);
    let fields: Vec<&str> = targets.iter().map(|t| t.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "first_name",
            "last_name",
            "company_id",
            "phones",
            "phones",
            "emails",
            "birthdate"
        ]
    );
}
