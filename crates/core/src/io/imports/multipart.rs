//! A `multipart/form-data` upload read from bytes: the `file` part (binary, kept as bytes, its
//! `filename`) and the text fields beside it. The body is whole in memory already (the runtime
//! buffers it within its limit); intake's reader takes text parts only, an import needs the
//! file's bytes untouched.

use crate::error::CoreError;

/// What a multipart upload holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form<'b> {
    /// The `file` part's bytes and file name, if there is one.
    pub file: Option<(&'b [u8], Option<String>)>,
    /// The other parts, as text.
    pub fields: Vec<(String, String)>,
}

/// Whether a `Content-Type` is multipart/form-data.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

fn malformed(message: &str) -> CoreError {
    CoreError::BadRequest(format!("multipart body: {message}"))
}

/// Reads a multipart body (400 naming what is wrong).
pub fn parse<'b>(content_type: &str, body: &'b [u8]) -> Result<Form<'b>, CoreError> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_string())
        })
        .next()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| malformed("no boundary in the Content-Type"))?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut form = Form::default();
    let mut at = find(body, delimiter, 0).ok_or_else(|| malformed("no part starts"))?;
    loop {
        let after = at + delimiter.len();
        if body[after..].starts_with(b"--") {
            break;
        }
        let start = after + if body[after..].starts_with(b"\r\n") { 2 } else { 0 };
        let next = find(body, delimiter, start).ok_or_else(|| malformed("a part does not end"))?;
        let mut part = &body[start..next];
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let head_end = find(part, b"\r\n\r\n", 0).ok_or_else(|| malformed("a part has no header end"))?;
        let head = String::from_utf8_lossy(&part[..head_end]);
        let content = &part[head_end + 4..];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or_default()
            .to_string();
        let param = |name: &str| -> Option<String> {
            disposition.split(';').skip(1).find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let name = param("name").unwrap_or_default();
        if name == "file" {
            if form.file.is_some() {
                return Err(malformed("more than one file part"));
            }
            form.file = Some((content, param("filename")));
        } else if !name.is_empty() {
            form.fields.push((name, String::from_utf8_lossy(content).into_owned()));
        }
        at = next;
    }
    Ok(form)
}

/// The first position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1].iter().position(|b| *b == first) {
            Some(p) => i += p,
            None => return None,
        }
        if &hay[i..i + needle.len()] == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_part_keeps_its_bytes_and_fields_are_text() {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"entity\"\r\n\r\ncontacts\r\n".to_vec();
        body.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n",
        );
        body.extend_from_slice(&[0xff, 0xfe, b'a', 0, b'\r', b'\n']);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        let form = parse("multipart/form-data; boundary=XyZ", &body).expect("form");
        assert_eq!(form.fields, vec![("entity".to_string(), "contacts".to_string())]);
        assert_eq!(
            form.file,
            Some((&[0xff, 0xfe, b'a', 0, b'\r', b'\n'][..], Some("a.csv".to_string())))
        );
        assert!(parse("multipart/form-data", &body).is_err());
        assert!(parse("multipart/form-data; boundary=Q", &body).is_err());
    }
}
