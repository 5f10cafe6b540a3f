//! XLSX workbooks (calamine, from bytes): the chosen sheet, else the first with data rows, typed cells rendered
//! by the cell conventions: dates `YYYY-MM-DD` (RFC 3339 UTC when a time is present), numbers
//! as plain decimals without exponent or float noise, booleans `yes`/`no`, errors as Excel
//! shows them. Blank rows are skipped; row numbers are the sheet's own.

use std::io::Cursor;

use calamine::{Data, ExcelDateTime, Reader, Xlsx};

use super::invalid;
use super::rows::{Collected, Rows};
use crate::error::CoreError;
use crate::io::{Format, ReadOptions, Table};

/// Read a workbook into a [`Table`].
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Table, CoreError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        invalid(
            "file",
            "unreadable",
            format!("the file is not a readable XLSX workbook: {e}"),
        )
    })?;
    let sheets = workbook.sheet_names();
    let (sheet, collected) = match &options.sheet {
        Some(wanted) => {
            let sheet = sheets
                .iter()
                .find(|name| name.as_str() == wanted.as_str())
                .or_else(|| sheets.iter().find(|name| name.eq_ignore_ascii_case(wanted)))
                .cloned()
                .ok_or_else(|| invalid("sheet", "unknown", format!("the workbook has no sheet {wanted:?}")))?;
            let collected = read_sheet(&mut workbook, &sheet, options).map_err(|error| match error {
                CoreError::Validation(_) => invalid("sheet", "empty", format!("the sheet {sheet:?} has no data rows")),
                other => other,
            })?;
            (sheet, collected)
        }
        // The first sheet with data: a workbook often opens on a cover or notes sheet.
        None => {
            let mut first_error = None;
            let mut found = None;
            for sheet in &sheets {
                match read_sheet(&mut workbook, sheet, options) {
                    Ok(collected) => {
                        found = Some((sheet.clone(), collected));
                        break;
                    }
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
            match found {
                Some(found) => found,
                None => {
                    return Err(first_error.unwrap_or_else(|| invalid("file", "empty", "the workbook has no sheets")));
                }
            }
        }
    };
    Ok(Table {
        format: Format::Xlsx,
        encoding: None,
        delimiter: None,
        header: collected.header,
        sheets,
        sheet: Some(sheet),
        columns: collected.columns,
        rows: collected.rows,
    })
}

/// The rows of one sheet; a 422 naming `file` when it has no data row.
fn read_sheet(workbook: &mut Xlsx<Cursor<&[u8]>>, sheet: &str, options: &ReadOptions) -> Result<Collected, CoreError> {
    let range = workbook
        .worksheet_range(sheet)
        .map_err(|e| invalid("file", "unreadable", format!("the sheet {sheet:?} cannot be read: {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    let mut rows = Rows::new(options.header);
    for (i, cells) in range.rows().enumerate() {
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        // Cells left of the used range's first column are blank: keep column positions.
        let mut text = vec![String::new(); first_column];
        text.extend(cells.iter().map(cell_text));
        rows.push(first_row + i + 1, text, None);
    }
    rows.finish()
}

/// One cell as text by the cell conventions.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => decimal(*number),
        Data::Bool(value) => if *value { "yes" } else { "no" }.to_owned(),
        Data::DateTime(when) if when.is_datetime() => date_time(when),
        Data::DateTime(duration) => decimal(duration.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

/// A float as a plain decimal: rounded to the 15 significant digits a spreadsheet keeps (so
/// `1250.4999999999998` is `1250.5`), no exponent, no `.0` on whole numbers.
pub fn decimal(number: f64) -> String {
    if !number.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{number:.14e}").parse().unwrap_or(number);
    let text = rounded.to_string();
    if text == "-0" { "0".to_owned() } else { text }
}

/// An Excel date: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SSZ` when it has a time of day (Excel
/// keeps no time zone: the time is taken as UTC); a time alone is `HH:MM:SS`.
fn date_time(when: &ExcelDateTime) -> String {
    let (year, month, day, hour, minute, second, milli) = when.to_ymd_hms_milli();
    let second = if milli >= 500 { second + 1 } else { second }; // Excel's own display rounding
    let (minute, second) = if second == 60 {
        (minute + 1, 0)
    } else {
        (minute, second)
    };
    let (hour, minute) = if minute == 60 { (hour + 1, 0) } else { (hour, minute) };
    let has_time = hour != 0 || minute != 0 || second != 0;
    if when.as_f64() < 1.0 && hour < 24 {
        return format!("{hour:02}:{minute:02}:{second:02}");
    }
    if !has_time || hour == 24 {
        return format!("{year:04}-{month:02}-{day:02}");
    }
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}
