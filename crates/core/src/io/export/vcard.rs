//! vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) for contacts and leads: one card per record,
//! CRLF line ends, lines folded at 75 octets without splitting a UTF-8 character and TEXT
//! values escaped — the content-line rules iCalendar shares, so `records::ical`'s
//! [`fold`](crate::records::ical::fold) and [`escape_text`](crate::records::ical::escape_text)
//! write them.
//!
//! `N` from the last, first and middle names, `FN` the full name (a lead without one: its
//! title), `ORG` the company (a contact's primary company, a lead's company name), `TITLE`
//! the position, `TEL`/`EMAIL`/`URL`/`IMPP` with their types, `ADR` the address, `BDAY`,
//! `NOTE` the comments, and `UID` the record (`urn:crm:contact:7`).

use serde_json::Value as Json;

use super::Writer;
use crate::io::cells::write::{Column, Names, row};
use crate::records::ical::{escape_text, fold};

/// Which vCard version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 2426.
    V3,
    /// RFC 6350.
    V4,
}

/// A list as vCards.
pub(super) struct Vcard {
    pub(super) version: Version,
    pub(super) entity: &'static str,
}

fn text<'a>(record: &'a Json, key: &str) -> &'a str {
    record[key].as_str().unwrap_or_default().trim()
}

/// A phone type as vCard's `TYPE` values.
fn phone_type(kind: &str, version: Version) -> &'static str {
    match (kind, version) {
        ("mobile", Version::V3) => "CELL",
        ("mobile", Version::V4) => "cell",
        ("work", Version::V3) => "WORK,VOICE",
        ("work", Version::V4) => "work,voice",
        ("home", Version::V3) => "HOME,VOICE",
        ("home", Version::V4) => "home,voice",
        ("fax", Version::V3) => "WORK,FAX",
        ("fax", Version::V4) => "work,fax",
        ("pager", Version::V3) => "PAGER",
        ("pager", Version::V4) => "pager",
        (_, Version::V3) => "VOICE",
        (_, Version::V4) => "voice",
    }
}

/// `TYPE=` with a 4.0 list quoted (it holds a comma).
fn type_param(types: &str, version: Version) -> String {
    if version == Version::V4 && types.contains(',') {
        format!("TYPE=\"{types}\"")
    } else {
        format!("TYPE={types}")
    }
}

fn items(record: &Json, key: &str) -> Vec<(String, String)> {
    record[key]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|item| {
                    let value = item["value"].as_str()?.trim();
                    (!value.is_empty()).then(|| (value.to_string(), item["type"].as_str().unwrap_or("").to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The card of one record (unfolded lines).
pub(super) fn card_lines(record: &Json, company: Option<&str>, version: Version, entity: &str) -> Vec<String> {
    let v3 = version == Version::V3;
    let mut lines = vec!["BEGIN:VCARD".to_string()];
    lines.push(if v3 { "VERSION:3.0" } else { "VERSION:4.0" }.into());
    let (first, middle, last) = (
        text(record, "first_name"),
        text(record, "middle_name"),
        text(record, "last_name"),
    );
    let full: Vec<&str> = [first, middle, last].into_iter().filter(|s| !s.is_empty()).collect();
    let full = if full.is_empty() {
        text(record, "title").to_string()
    } else {
        full.join(" ")
    };
    lines.push(format!("FN:{}", escape_text(&full)));
    lines.push(format!(
        "N:{};{};{};;",
        escape_text(last),
        escape_text(first),
        escape_text(middle)
    ));
    if let Some(company) = company.map(str::trim).filter(|c| !c.is_empty()) {
        lines.push(format!("ORG:{}", escape_text(company)));
    }
    let post = text(record, "post");
    if !post.is_empty() {
        lines.push(format!("TITLE:{}", escape_text(post)));
    }
    for (value, kind) in items(record, "phones") {
        lines.push(format!(
            "TEL;{}:{}",
            type_param(phone_type(&kind, version), version),
            escape_text(&value)
        ));
    }
    for (value, kind) in items(record, "emails") {
        let types = match (kind.as_str(), v3) {
            ("home", true) => "INTERNET,HOME",
            ("work", true) => "INTERNET,WORK",
            (_, true) => "INTERNET",
            ("home", false) => "home",
            _ => "work",
        };
        lines.push(format!("EMAIL;{}:{}", type_param(types, version), escape_text(&value)));
    }
    for (value, kind) in items(record, "websites") {
        let types = match kind.as_str() {
            "home" => "home",
            _ => "work",
        };
        let types = if v3 { types.to_uppercase() } else { types.to_string() };
        // A URI: only line breaks would break the line.
        lines.push(format!("URL;TYPE={types}:{}", value.replace(['\r', '\n'], "")));
    }
    for (value, kind) in items(record, "messengers") {
        lines.push(format!("IMPP;X-SERVICE-TYPE={kind}:{}", escape_text(&value)));
    }
    let address = &record["address"];
    if address.is_object() {
        let part = |key: &str| escape_text(address[key].as_str().unwrap_or_default());
        let adr = format!(
            ";;{};{};{};{};{}",
            part("street"),
            part("city"),
            part("region"),
            part("postal_code"),
            part("country")
        );
        if adr != ";;;;;;" {
            lines.push(format!(
                "ADR;{}:{adr}",
                type_param(if v3 { "WORK" } else { "work" }, version)
            ));
        }
    }
    let birthdate = text(record, "birthdate");
    if !birthdate.is_empty() {
        let value = if v3 {
            birthdate.to_string()
        } else {
            birthdate.replace('-', "")
        };
        lines.push(format!("BDAY:{value}"));
    }
    let comments = text(record, "comments");
    if !comments.is_empty() {
        lines.push(format!("NOTE:{}", escape_text(comments)));
    }
    if let Some(id) = record["id"].as_i64() {
        lines.push(format!("UID:urn:crm:{entity}:{id}"));
    }
    if let Some(updated) = record["updated_at"].as_str() {
        lines.push(format!("REV:{}", updated.replace(['-', ':'], "")));
    }
    lines.push("END:VCARD".into());
    lines
}

impl Writer for Vcard {
    fn start(&mut self, _columns: &[Column]) -> Vec<u8> {
        Vec::new()
    }

    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8> {
        let mut out = String::new();
        for record in records {
            // The company: a contact's primary one by its name, or a lead's typed name.
            let company = match columns.iter().position(|c| c.key == "company_id") {
                Some(at) => row(columns, record, names)[at].text().into_owned(),
                None => text(record, "company_title").to_string(),
            };
            for line in card_lines(record, Some(&company), self.version, self.entity) {
                out.push_str(&fold(&line));
            }
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_card_escapes_text_and_types_its_channels() {
        let record = json!({
            "id": 7, "first_name": "Иван", "last_name": "Петров", "post": "Директор; продажи",
            "phones": [{"value": "+79991234567", "type": "mobile"}],
            "emails": [{"value": "ivan@example.com", "type": "work"}],
            "address": {"street": "ул. Ленина, 1", "city": "Москва"},
            "birthdate": "1985-04-12", "comments": "line one\nline two"
        });
        let v3 = card_lines(&record, Some("ООО \"Ромашка\""), Version::V3, "contact");
        assert!(v3.contains(&"N:Петров;Иван;;;".to_string()), "{v3:?}");
        assert!(v3.contains(&"TITLE:Директор\\; продажи".to_string()));
        assert!(v3.contains(&"TEL;TYPE=CELL:+79991234567".to_string()));
        assert!(v3.contains(&"ADR;TYPE=WORK:;;ул. Ленина\\, 1;Москва;;;".to_string()));
        assert!(v3.contains(&"NOTE:line one\\nline two".to_string()));
        assert!(v3.contains(&"BDAY:1985-04-12".to_string()));
        let v4 = card_lines(&record, None, Version::V4, "contact");
        assert_eq!(v4[1], "VERSION:4.0");
        assert!(v4.contains(&"EMAIL;TYPE=work:ivan@example.com".to_string()));
        assert!(v4.contains(&"BDAY:19850412".to_string()));
        assert!(v4.contains(&"UID:urn:crm:contact:7".to_string()));
    }
}
