//! Text encodings of imported files: byte order marks, strict UTF-8, and the legacy Cyrillic
//! code pages Russian spreadsheets and address books are saved in (windows-1251, KOI8-R).

use std::borrow::Cow;

/// Decoded text and the name of the encoding it was read in.
pub struct Decoded<'a> {
    /// The text, without a byte order mark.
    pub text: Cow<'a, str>,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`, `windows-1251`, `koi8-r`...
    pub encoding: String,
}

/// Decode `bytes` as UTF-8 (a BOM is dropped); `None` when they are not valid UTF-8.
pub fn utf8(bytes: &[u8]) -> Option<Decoded<'_>> {
    let (body, encoding) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(body) => (body, "utf-8-bom"),
        None => (bytes, "utf-8"),
    };
    let text = std::str::from_utf8(body).ok()?;
    Some(Decoded {
        text: Cow::Borrowed(text),
        encoding: encoding.to_owned(),
    })
}

/// Whether the text starts (after a BOM and blank lines) with `BEGIN:VCARD`.
pub fn starts_with_vcard(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    body[start..].len() >= 11 && body[start..start + 11].eq_ignore_ascii_case(b"BEGIN:VCARD")
}
