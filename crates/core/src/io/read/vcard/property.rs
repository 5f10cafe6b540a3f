//! vCard content lines: unfolding (CRLF or LF + one space/tab; vCard 2.1 quoted-printable soft
//! breaks `=`), `[group.]NAME;params:value` with quoted and bare (2.1) parameters, quoted-
//! printable with `CHARSET=` (its `=0D=0A` line breaks read as `\n`), and the text escapes of 3.0/4.0 (`\, \; \n \\`, unknown `\x` as
//! `x`) for plain and structured (`;`-separated, `,`-listed) values.

use encoding_rs::Encoding;

use super::super::decode;

/// One physical-lines-joined content line and where it started (1-based).
pub struct Line {
    /// The line number of its first physical line.
    pub number: usize,
    /// The unfolded text.
    pub text: String,
}

/// Join folded lines: a line starting with a space or tab continues the previous one (the
/// marker dropped); a quoted-printable line ending with `=` continues on the next line as is.
pub fn unfold(text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match lines.last_mut() {
            Some(last) if soft_break => last.text.push_str(raw),
            Some(last) if raw.starts_with([' ', '\t']) => last.text.push_str(&raw[1..]),
            _ if raw.is_empty() => continue,
            _ => lines.push(Line {
                number: i + 1,
                text: raw.to_owned(),
            }),
        }
        let last = lines
            .last_mut()
            .filter(|l| is_quoted_printable(&l.text) && l.text.ends_with('='));
        soft_break = last.is_some();
        if let Some(last) = last {
            last.text.pop();
        }
    }
    lines
}

/// Whether a content line's parameters say quoted-printable.
fn is_quoted_printable(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or_default().to_ascii_uppercase();
    head.contains("QUOTED-PRINTABLE")
}

/// A parsed content line.
#[derive(Debug, Clone)]
pub struct Property {
    /// The group (`item1` of `item1.TEL`), lowercase; empty without one.
    pub group: String,
    /// The property name, uppercase (`TEL`, `X-ABLABEL`).
    pub name: String,
    /// Type parameters, lowercase (`TYPE=work,voice`, bare `WORK`, `PREF` and `PREF=n` as `pref`).
    pub types: Vec<String>,
    /// The `PREF=n` rank (1 first), 0 without one.
    pub pref: u32,
    /// The raw value, quoted-printable already decoded (and its charset applied).
    pub value: String,
}

/// Parse `[group.]NAME;params:value`; `None` when there is no `:` (not a content line).
pub fn parse(line: &str, fallback: &'static Encoding) -> Option<Property> {
    let colon = split_outside_quotes(line, ':').into_iter().next()?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = split_at(head, &split_outside_quotes(head, ';'));
    let full_name = parts.remove(0);
    let (group, name) = match full_name.rsplit_once('.') {
        Some((group, name)) => (group.to_ascii_lowercase(), name.trim().to_ascii_uppercase()),
        None => (String::new(), full_name.trim().to_ascii_uppercase()),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut property = Property {
        group,
        name,
        types: Vec::new(),
        pref: 0,
        value: String::new(),
    };
    let (mut charset, mut quoted_printable) = (None, false);
    for param in parts {
        let (key, val) = match param.split_once('=') {
            Some((key, val)) => (key.trim().to_ascii_uppercase(), val.trim().trim_matches('"').to_owned()),
            None => (String::from("TYPE"), param.trim().to_owned()),
        };
        match key.as_str() {
            "ENCODING" => quoted_printable |= val.eq_ignore_ascii_case("quoted-printable"),
            "CHARSET" => charset = Some(val),
            "PREF" => {
                property.pref = val.parse().unwrap_or(1);
                property.types.push("pref".into());
            }
            "TYPE" if val.eq_ignore_ascii_case("quoted-printable") => quoted_printable = true,
            "TYPE" => property
                .types
                .extend(val.split(',').map(|t| t.trim().to_ascii_lowercase())),
            _ => {}
        }
    }
    property.value = if quoted_printable {
        decode::bytes_in(&quoted_printable_bytes(value), charset.as_deref(), fallback).replace("\r\n", "\n")
    } else {
        value.to_owned()
    };
    Some(property)
}

/// Byte offsets of `separator` outside double quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<usize> {
    let mut quoted = false;
    let mut at = Vec::new();
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            at.push(i);
        }
    }
    at
}

fn split_at<'a>(text: &'a str, at: &[usize]) -> Vec<&'a str> {
    let mut parts = Vec::with_capacity(at.len() + 1);
    let mut start = 0;
    for &i in at {
        parts.push(&text[start..i]);
        start = i + 1;
    }
    parts.push(&text[start.min(text.len())..]);
    parts
}

/// Quoted-printable `=XX` sequences to bytes (a malformed `=` is kept as is).
fn quoted_printable_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// A text value with its escapes resolved (`escaped` is false for vCard 2.1, which has none).
pub fn text(value: &str, escaped: bool) -> String {
    if !escaped || !value.contains('\\') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A structured value (`N`, `ADR`, `ORG`): components split on unescaped `;`, each a list split
/// on unescaped `,`, escapes resolved.
pub fn structured(value: &str, escaped: bool) -> Vec<Vec<String>> {
    let mut components = vec![vec![String::new()]];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let component = components.last_mut().expect("never empty");
        let item = component.last_mut().expect("never empty");
        match c {
            '\\' if escaped => match chars.next() {
                Some('n' | 'N') => item.push('\n'),
                Some(other) => item.push(other),
                None => {}
            },
            ';' => components.push(vec![String::new()]),
            ',' if escaped => component.push(String::new()),
            _ => item.push(c),
        }
    }
    components
}
