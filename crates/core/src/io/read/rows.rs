//! Rows of text cells into a table's columns and [`Row`]s, for the CSV and XLSX readers alike:
//! whether row 1 is a header (it looks like labels, or the caller says so), `Column N` names
//! without one, and ragged rows marked as row errors rather than failing the file.

use super::invalid;
use crate::error::CoreError;
use crate::io::Row;

/// Collects a file's rows in order; the first decides the header.
pub struct Rows {
    header: Option<bool>,
    columns: Option<Vec<String>>,
    rows: Vec<Row>,
}

/// What [`Rows::finish`] hands back.
pub struct Collected {
    /// Whether row 1 was taken as the header.
    pub header: bool,
    /// The header's cells (blank ones as `Column N`), or `Column 1`... without a header.
    pub columns: Vec<String>,
    /// The data rows.
    pub rows: Vec<Row>,
}

impl Rows {
    /// Rows with the header given (`Some`) or guessed from row 1 (`None`).
    pub fn new(header: Option<bool>) -> Rows {
        Rows {
            header,
            columns: None,
            rows: Vec::new(),
        }
    }

    /// Add the next non-blank row, numbered `line` (1-based) in the file.
    pub fn push(&mut self, line: usize, cells: Vec<String>, error: Option<String>) {
        let Some(columns) = &self.columns else {
            let header = *self.header.get_or_insert_with(|| looks_like_header(&cells));
            if header {
                self.columns = Some(header_columns(cells));
                return;
            }
            self.columns = Some(numbered(cells.len()));
            return self.push(line, cells, error);
        };
        self.rows.push(shape(line, cells, columns.len(), error));
    }

    /// Mark the last data row with `error` when its cells match `condition`.
    pub fn flag_last(&mut self, condition: impl Fn(&[String]) -> bool, error: &str) {
        if let Some(last) = self.rows.last_mut().filter(|row| condition(&row.cells)) {
            last.error = Some(error.to_owned());
        }
    }

    /// The header and rows; a 422 naming `file` when there is no data row at all.
    pub fn finish(self) -> Result<Collected, CoreError> {
        if self.rows.is_empty() {
            let message = if self.columns.is_some() {
                "the file has a header but no data rows"
            } else {
                "the file is empty"
            };
            return Err(invalid("file", "empty", message));
        }
        Ok(Collected {
            header: self.header.unwrap_or(false),
            columns: self.columns.unwrap_or_default(),
            rows: self.rows,
        })
    }
}

/// `Column 1`, `Column 2`... for a file without a header.
pub fn numbered(width: usize) -> Vec<String> {
    (1..=width).map(column_name).collect()
}

fn column_name(number: usize) -> String {
    format!("Column {number}")
}

/// The header row's cells, trimmed; blank ones named by their position.
fn header_columns(cells: Vec<String>) -> Vec<String> {
    let width = cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1)
        .max(1);
    cells
        .into_iter()
        .take(width)
        .enumerate()
        .map(|(i, cell)| {
            if cell.trim().is_empty() {
                column_name(i + 1)
            } else {
                cell.trim().to_owned()
            }
        })
        .collect()
}

/// A row of at least `width` cells: a short one is padded with empty cells; a long one whose
/// extra cells are not all blank keeps them (for the rejected-rows file). Either is a ragged
/// row error unless the extras are blank (trailing delimiters).
fn shape(line: usize, mut cells: Vec<String>, width: usize, error: Option<String>) -> Row {
    let mut ragged = None;
    if cells.len() > width {
        if cells[width..].iter().all(|c| c.trim().is_empty()) {
            cells.truncate(width);
        } else {
            ragged = Some(format!("{} cells where the header has {width}", cells.len()));
        }
    } else if cells.len() < width {
        ragged = Some(format!("{} cells where the header has {width}", cells.len()));
        cells.resize(width, String::new());
    }
    Row {
        line,
        cells,
        error: error.or(ragged),
    }
}

/// Whether a row reads as column labels: at least half of its cells filled, the filled ones
/// distinct, and none a number, date, e-mail address, phone number or web address.
pub fn looks_like_header(cells: &[String]) -> bool {
    let filled: Vec<&str> = cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
    if filled.is_empty() || filled.len() * 2 < cells.len() {
        return false;
    }
    let mut seen: Vec<String> = Vec::with_capacity(filled.len());
    for cell in &filled {
        let lower = cell.to_lowercase();
        if seen.contains(&lower) || looks_like_data(cell) {
            return false;
        }
        seen.push(lower);
    }
    true
}

/// Whether a cell is a value rather than a label: numeric (numbers, dates, times, phones, with
/// `+ - . , / : ( )` and spaces), an e-mail address or a web address.
fn looks_like_data(cell: &str) -> bool {
    let digits = cell.chars().filter(char::is_ascii_digit).count();
    let numeric = digits > 0 && cell.chars().all(|c| c.is_ascii_digit() || " +-.,/:()".contains(c));
    let email = cell
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
    let lower = cell.to_ascii_lowercase();
    let url = lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.");
    numeric || email || url || cell.len() > 200
}
