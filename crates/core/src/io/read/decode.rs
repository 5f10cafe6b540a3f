//! Text encodings of imported files: byte order marks, strict UTF-8, and the legacy Cyrillic
//! code pages Russian spreadsheets and address books are saved in (windows-1251, KOI8-R; a
//! Latin windows-1252 file is told apart by its isolated accented letters). Binary files (an
//! archive, a PDF, an image, anything with NUL bytes) are refused as a whole.

use std::borrow::Cow;

use encoding_rs::{Encoding, KOI8_R, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

use super::invalid;
use crate::error::CoreError;

/// Decoded text and the name of the encoding it was read in.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text, without a byte order mark.
    pub text: Cow<'a, str>,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`, `windows-1251`, `koi8-r`...
    pub encoding: String,
}

/// How many bytes of a legacy-encoded file the code page guess looks at.
const SAMPLE: usize = 64 * 1024;

/// Decode a text file: in `encoding` when given (any WHATWG label; an unknown one is a 422
/// naming `encoding`), else by its BOM, as strict UTF-8, or as the likelier legacy code page.
/// Binary content is a 422 naming `file`.
pub fn text<'a>(bytes: &'a [u8], encoding: Option<&str>) -> Result<Decoded<'a>, CoreError> {
    if let Some(what) = magic(bytes) {
        return Err(binary(what));
    }
    let wide = |e: &'static Encoding| e == UTF_16LE || e == UTF_16BE;
    if let Some(label) = encoding {
        let encoding = named(label)?;
        if !wide(encoding) {
            not_binary(bytes)?;
        }
        return Ok(decode_as(bytes, encoding));
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        if !wide(encoding) {
            not_binary(&bytes[bom..])?;
        }
        let name = if encoding == UTF_8 {
            "utf-8-bom".to_owned()
        } else {
            name_of(encoding)
        };
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Ok(Decoded { text, encoding: name });
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Ok(Decoded {
            text,
            encoding: name_of(encoding),
        });
    }
    not_binary(bytes)?;
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            encoding: "utf-8".to_owned(),
        });
    }
    Ok(decode_as(bytes, legacy_guess(bytes)))
}

fn binary(what: &str) -> CoreError {
    invalid("file", "binary", format!("the file is {what}, not text"))
}

/// The encoding a label names; `encoding` 422 when none (or the `replacement` pseudo-encoding).
pub fn named(label: &str) -> Result<&'static Encoding, CoreError> {
    Encoding::for_label(label.trim().as_bytes())
        .filter(|e| e.name() != "replacement")
        .ok_or_else(|| invalid("encoding", "unknown", format!("unknown encoding {label:?}")))
}

/// Decode `bytes` in `encoding`, dropping that encoding's BOM; invalid sequences become U+FFFD.
pub fn decode_as<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Decoded<'a> {
    let bom = match Encoding::for_bom(bytes) {
        Some((found, length)) if found == encoding => length,
        _ => 0,
    };
    let name = if encoding == UTF_8 && bom > 0 {
        "utf-8-bom".to_owned()
    } else {
        name_of(encoding)
    };
    let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
    Decoded { text, encoding: name }
}

/// Bytes in `charset` (a vCard 2.1 `CHARSET=` or the file's own encoding) as text.
pub fn bytes_in(bytes: &[u8], charset: Option<&str>, fallback: &'static Encoding) -> String {
    let encoding = charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                UTF_8
            } else {
                fallback
            }
        });
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Our lowercase name of an encoding: `utf-8`, `utf-16le`, `windows-1251`, `koi8-r`...
pub fn name_of(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_lowercase()
}

/// What kind of binary file `bytes` are by their magic number, if they have a known one.
fn magic(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a zip archive (an XLSX workbook? choose the xlsx format)",
        ),
        (b"%PDF", "a PDF document"),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Office document (.xls/.doc): save it as .xlsx or CSV",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"\x7FELF", "a program"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
}

/// A 422 naming `file` when single-byte or UTF-8 text has NUL bytes or many control bytes.
fn not_binary(bytes: &[u8]) -> Result<(), CoreError> {
    if bytes.contains(&0) {
        return Err(binary("binary data (it contains NUL bytes)"));
    }
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls * 20 > sample.len() {
        return Err(binary("binary data"));
    }
    Ok(())
}

/// UTF-16 without a BOM: every other byte NUL over an ASCII-heavy sample.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(SAMPLE) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 9 && even_nul == 0 {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 9 && odd_nul == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The likelier single-byte code page of a file that is not UTF-8: windows-1251 or KOI8-R by
/// Russian letter frequencies and case patterns, windows-1252 when the high bytes are isolated
/// letters inside Latin words (`Müller`).
pub fn legacy_guess(bytes: &[u8]) -> &'static Encoding {
    let mut sample = &bytes[..bytes.len().min(SAMPLE)];
    while let Some((&last, rest)) = sample.split_last() {
        if last < 0x80 {
            break;
        }
        sample = rest; // a sample that ends mid-word is still fine; trimming keeps scores stable
    }
    let cp1251 = WINDOWS_1251.decode_without_bom_handling(sample).0;
    if latin_with_accents(&cp1251) {
        return WINDOWS_1252;
    }
    let koi8 = KOI8_R.decode_without_bom_handling(sample).0;
    if russian_score(&koi8) > russian_score(&cp1251) {
        KOI8_R
    } else {
        WINDOWS_1251
    }
}

/// Whether most non-ASCII letters of a windows-1251 reading sit between ASCII letters, as
/// accented Latin letters do (`MЯller` is `Müller` read in the wrong code page).
fn latin_with_accents(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let (mut inside_latin, mut high) = (0usize, 0usize);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii() || !c.is_alphabetic() {
            continue;
        }
        high += 1;
        let before = i
            .checked_sub(1)
            .and_then(|j| chars.get(j))
            .is_some_and(char::is_ascii_alphabetic);
        let after = chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
        if before || after {
            inside_latin += 1;
        }
    }
    high > 0 && inside_latin * 2 > high
}

/// How Russian a text reads: letter frequencies (per mille in Russian prose) summed, minus a
/// penalty for an uppercase letter right after a lowercase one (`пРИВЕТ` is KOI8-R misread).
fn russian_score(text: &str) -> i64 {
    let mut score = 0i64;
    let mut previous_lower = false;
    for c in text.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let is_cyrillic = ('а'..='я').contains(&lower) || lower == 'ё';
        if !is_cyrillic {
            previous_lower = false;
            continue;
        }
        score += frequency(lower);
        let is_upper = c != lower;
        if is_upper && previous_lower {
            score -= 200;
        }
        previous_lower = !is_upper;
    }
    score
}

/// Frequency of a Russian lowercase letter in prose, per mille.
fn frequency(letter: char) -> i64 {
    const LETTERS: &str = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя";
    const PER_MILLE: [i64; 33] = [
        80, 16, 45, 17, 30, 85, 1, 9, 16, 73, 12, 35, 44, 32, 67, 110, 28, 47, 55, 63, 26, 3, 10, 5, 14, 7, 4, 1, 19,
        17, 3, 6, 20,
    ];
    LETTERS.chars().position(|l| l == letter).map_or(0, |i| PER_MILLE[i])
}

/// Whether the text starts (after a BOM and blank lines) with `BEGIN:VCARD`.
pub fn starts_with_vcard(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    body.len() - start >= 11 && body[start..start + 11].eq_ignore_ascii_case(b"BEGIN:VCARD")
}
