//! The file readers behind [`crate::io::read()`]: format detection, then [`decode`] (text
//! encodings), [`csv`], and the 422 helpers they share.

pub mod csv;
pub mod decode;
pub mod rows;

use super::{Format, ReadOptions, Table};
use crate::error::{CoreError, FieldErrors};

/// Read `bytes` as the format given or detected (see [`crate::io::read()`]).
pub fn table(bytes: &[u8], file_name: Option<&str>, options: &ReadOptions) -> Result<Table, CoreError> {
    match options.format.unwrap_or_else(|| detect(bytes, file_name)) {
        Format::Csv => csv::read(bytes, file_name, options),
        Format::Xlsx | Format::Vcard => Err(invalid(
            "file",
            "unsupported_format",
            "this file format is not read yet",
        )),
    }
}

/// The format of a file: by its magic bytes first (a zip is a workbook, `BEGIN:VCARD` a vCard
/// file), then by the file name's extension, else CSV.
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        return Format::Xlsx;
    }
    let extension = file_name.and_then(|name| name.rsplit_once('.')).map(|(_, ext)| ext);
    if let Some(format) = extension.and_then(Format::parse) {
        return format;
    }
    if decode::starts_with_vcard(bytes) {
        return Format::Vcard;
    }
    Format::Csv
}

/// A 422 naming one input `field` (`file`, `encoding`, `delimiter`, `sheet`).
pub(crate) fn invalid(field: &str, code: &str, message: impl Into<String>) -> CoreError {
    let mut errors = FieldErrors::new();
    errors.push(field, code, message);
    CoreError::Validation(errors)
}
