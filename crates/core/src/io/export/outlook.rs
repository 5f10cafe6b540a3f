//! Contacts as Outlook CSV: the 61-column header Outlook.com and the new Outlook for Windows
//! write and read (`../shared/reference/vcard-csv.md` §4a), UTF-8 with a BOM, CRLF. Phones go
//! to the column of their type (the second of a type to `... 2` where Outlook has one, the
//! rest to `Other Phone`), the first three e-mails to `E-mail Address`, `E-mail 2 Address`,
//! `E-mail 3 Address`, the address to the `Business ...` columns.

use serde_json::Value as Json;

use super::Writer;
use super::csv::{BOM, line};
use crate::io::cells::SEPARATOR;
use crate::io::cells::write::{Column, Names, row};

/// Outlook.com's contact CSV header.
pub const HEADER: [&str; 61] = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Title",
    "Suffix",
    "Nickname",
    "Given Yomi",
    "Surname Yomi",
    "E-mail Address",
    "E-mail 2 Address",
    "E-mail 3 Address",
    "Home Phone",
    "Home Phone 2",
    "Business Phone",
    "Business Phone 2",
    "Mobile Phone",
    "Car Phone",
    "Other Phone",
    "Primary Phone",
    "Pager",
    "Business Fax",
    "Home Fax",
    "Other Fax",
    "Company Main Phone",
    "Callback",
    "Radio Phone",
    "Telex",
    "TTY/TDD Phone",
    "IMAddress",
    "Job Title",
    "Department",
    "Company",
    "Office Location",
    "Manager's Name",
    "Assistant's Name",
    "Assistant's Phone",
    "Company Yomi",
    "Business Street",
    "Business City",
    "Business State",
    "Business Postal Code",
    "Business Country/Region",
    "Home Street",
    "Home City",
    "Home State",
    "Home Postal Code",
    "Home Country/Region",
    "Other Street",
    "Other City",
    "Other State",
    "Other Postal Code",
    "Other Country/Region",
    "Personal Web Page",
    "Spouse",
    "Schools",
    "Hobby",
    "Location",
    "Web Page",
    "Birthday",
    "Anniversary",
    "Notes",
];

/// A list of contacts as Outlook CSV.
pub(super) struct Outlook;

fn at(name: &str) -> usize {
    HEADER.iter().position(|h| *h == name).unwrap_or_default()
}

/// The 61 cells of one contact, `company` its primary company's name.
pub(super) fn cells(record: &Json, company: &str) -> Vec<String> {
    let mut out = vec![String::new(); HEADER.len()];
    let text = |key: &str| record[key].as_str().unwrap_or_default().to_string();
    out[at("First Name")] = text("first_name");
    out[at("Middle Name")] = text("middle_name");
    out[at("Last Name")] = text("last_name");
    out[at("Job Title")] = text("post");
    out[at("Company")] = company.to_string();
    out[at("Birthday")] = text("birthdate");
    out[at("Notes")] = text("comments");
    let list = |key: &str| -> Vec<(String, String)> {
        record[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i["value"].as_str()?.to_string(),
                            i["type"].as_str().unwrap_or("").to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, (email, _)) in list("emails").into_iter().take(3).enumerate() {
        out[at(["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"][i])] = email;
    }
    let mut other: Vec<String> = Vec::new();
    for (phone, kind) in list("phones") {
        let slots: &[&str] = match kind.as_str() {
            "mobile" => &["Mobile Phone"],
            "work" => &["Business Phone", "Business Phone 2"],
            "home" => &["Home Phone", "Home Phone 2"],
            "fax" => &["Business Fax"],
            "pager" => &["Pager"],
            _ => &[],
        };
        match slots.iter().map(|s| at(s)).find(|i| out[*i].is_empty()) {
            Some(i) => out[i] = phone,
            None => other.push(phone),
        }
    }
    out[at("Other Phone")] = other.join(SEPARATOR);
    if let Some((site, _)) = list("websites").into_iter().next() {
        out[at("Web Page")] = site;
    }
    if let Some((handle, _)) = list("messengers").into_iter().next() {
        out[at("IMAddress")] = handle;
    }
    let address = &record["address"];
    for (part, column) in [
        ("street", "Business Street"),
        ("city", "Business City"),
        ("region", "Business State"),
        ("postal_code", "Business Postal Code"),
        ("country", "Business Country/Region"),
    ] {
        out[at(column)] = address[part].as_str().unwrap_or_default().to_string();
    }
    out
}

impl Writer for Outlook {
    fn start(&mut self, _columns: &[Column]) -> Vec<u8> {
        let mut out = String::from(BOM);
        line(&HEADER, ',', &mut out);
        out.into_bytes()
    }

    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8> {
        let mut out = String::new();
        let company_at = columns.iter().position(|c| c.key == "company_id");
        for record in records {
            let company = company_at
                .map(|i| row(columns, record, names)[i].text().into_owned())
                .unwrap_or_default();
            line(&cells(record, &company), ',', &mut out);
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phones_go_to_the_columns_of_their_types() {
        let record = json!({"first_name": "Anna", "phones": [
            {"value": "+1", "type": "mobile"}, {"value": "+2", "type": "work"},
            {"value": "+3", "type": "work"}, {"value": "+4", "type": "work"}, {"value": "+5", "type": "other"}
        ], "emails": [{"value": "a@x.io", "type": "work"}]});
        let cells = cells(&record, "Acme");
        assert_eq!(cells[at("Mobile Phone")], "+1");
        assert_eq!(cells[at("Business Phone")], "+2");
        assert_eq!(cells[at("Business Phone 2")], "+3");
        assert_eq!(cells[at("Other Phone")], "+4 ::: +5");
        assert_eq!(cells[at("E-mail Address")], "a@x.io");
        assert_eq!(cells[at("Company")], "Acme");
        assert_eq!(HEADER.len(), 61);
    }
}
