//! vCard files (2.1, 3.0, 4.0; several cards per file): one row per card in the contact's own
//! column keys ([`COLUMNS`]), so the mapping is the identity. Typed lists are written by the
//! cell conventions (`+79161234567 (mobile) ::: +74957654321 (work)`, preferred first); `ORG`'s
//! organisation name is the `company_id` cell; `N` gives the name parts (else `FN` is split);
//! one address (the preferred, else the work one, else the first). `PHOTO`, `CATEGORIES` and
//! other properties are ignored. A card with a line that is no property (broken folding) or
//! without `END:VCARD` is a row error, never a failed file.

mod property;

use super::rows::Rows;
use super::{decode, invalid};
use crate::error::CoreError;
use crate::io::{Format, ReadOptions, Table};
use crate::records::values::ListKind;
use property::Property;

/// The columns of a vCard table, in order.
pub const COLUMNS: [&str; 16] = [
    "first_name",
    "middle_name",
    "last_name",
    "post",
    "company_id",
    "phones",
    "emails",
    "websites",
    "messengers",
    "address.street",
    "address.city",
    "address.region",
    "address.postal_code",
    "address.country",
    "birthdate",
    "comments",
];

/// Read a vCard file into a [`Table`].
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Table, CoreError> {
    let decoded = decode::text(bytes, options.encoding.as_deref())?;
    // QP values without a CHARSET that are not UTF-8 are in the file's legacy code page.
    let fallback = match decode::named(&decoded.encoding.replace("-bom", "")) {
        Ok(encoding) if encoding.is_single_byte() => encoding,
        _ => decode::legacy_guess(bytes),
    };
    let mut rows = Rows::new(Some(true));
    rows.push(0, COLUMNS.iter().map(|c| (*c).to_owned()).collect(), None);
    let mut card: Option<Card> = None;
    for line in property::unfold(&decoded.text) {
        let text = line.text.trim();
        if text.eq_ignore_ascii_case("BEGIN:VCARD") {
            if let Some(mut open) = card.take() {
                open.errors.push("the card has no END:VCARD".into());
                open.push_into(&mut rows);
            }
            card = Some(Card {
                line: line.number,
                properties: Vec::new(),
                errors: Vec::new(),
            });
        } else if text.eq_ignore_ascii_case("END:VCARD") {
            if let Some(done) = card.take() {
                done.push_into(&mut rows);
            }
        } else if let Some(open) = &mut card {
            match property::parse(&line.text, fallback) {
                Some(property) => open.properties.push(property),
                None => open.errors.push(format!(
                    "line {} is not a vCard property (broken folding?)",
                    line.number
                )),
            }
        }
    }
    if let Some(mut open) = card.take() {
        open.errors.push("the card has no END:VCARD".into());
        open.push_into(&mut rows);
    }
    let collected = rows
        .finish()
        .map_err(|_| invalid("file", "empty", "the file has no vCard (BEGIN:VCARD)"))?;
    Ok(Table {
        format: Format::Vcard,
        encoding: Some(decoded.encoding),
        delimiter: None,
        header: true,
        sheets: Vec::new(),
        sheet: None,
        columns: collected.columns,
        rows: collected.rows,
    })
}

/// One card's properties as read.
struct Card {
    line: usize,
    properties: Vec<Property>,
    errors: Vec<String>,
}

impl Card {
    fn push_into(self, rows: &mut Rows) {
        let error = (!self.errors.is_empty()).then(|| self.errors.join("; "));
        rows.push(self.line, self.cells(), error);
    }

    /// The row's cells in [`COLUMNS`] order.
    fn cells(&self) -> Vec<String> {
        let escaped = self.first("VERSION").is_none_or(|v| v.value.trim() != "2.1");
        let text = |name: &str| {
            self.first(name)
                .map(|p| property::text(&p.value, escaped))
                .unwrap_or_default()
        };
        let structured = |name: &str| self.first(name).map(|p| property::structured(&p.value, escaped));
        let (first, middle, last) = self.name(escaped);
        let post = Some(text("TITLE"))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| text("ROLE"));
        let company = structured("ORG").map(|org| part(&org, 0, " ")).unwrap_or_default();
        let address = self
            .address()
            .map(|p| property::structured(&p.value, escaped))
            .unwrap_or_default();
        let street = [2, 1, 0]
            .iter()
            .map(|&i| part(&address, i, ", "))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>();
        let notes: Vec<String> = self.all("NOTE").map(|p| property::text(&p.value, escaped)).collect();
        vec![
            first,
            middle,
            last,
            post,
            company,
            self.list(&["TEL"], escaped, phone),
            self.list(&["EMAIL"], escaped, email),
            self.list(&["URL", "X-SOCIALPROFILE"], escaped, website),
            self.list(
                &[
                    "IMPP",
                    "X-SKYPE",
                    "X-TELEGRAM",
                    "X-WHATSAPP",
                    "X-VIBER",
                    "X-JABBER",
                    "X-ICQ",
                ],
                escaped,
                messenger,
            ),
            street.join(", "),
            part(&address, 3, ", "),
            part(&address, 4, ", "),
            part(&address, 5, ", "),
            part(&address, 6, ", "),
            birthdate(&text("BDAY")),
            notes.join("\n"),
        ]
    }

    fn first<'a>(&'a self, name: &'a str) -> Option<&'a Property> {
        self.all(name).next()
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |p| p.name == name)
    }

    /// First, middle and last name from `N`, else `FN` split (last word as the last name).
    fn name(&self, escaped: bool) -> (String, String, String) {
        if let Some(n) = self.first("N").map(|p| property::structured(&p.value, escaped)) {
            let (last, first, middle) = (part(&n, 0, " "), part(&n, 1, " "), part(&n, 2, " "));
            if !first.is_empty() || !last.is_empty() {
                return (first, middle, last);
            }
        }
        let full = self
            .first("FN")
            .map(|p| property::text(&p.value, escaped))
            .unwrap_or_default();
        let full = full.trim();
        match full.rsplit_once(' ') {
            Some((first, last)) => (first.trim().to_owned(), String::new(), last.to_owned()),
            None => (full.to_owned(), String::new(), String::new()),
        }
    }

    /// The address kept: the preferred one, else the work one, else the first.
    fn address(&self) -> Option<&Property> {
        let all: Vec<&Property> = self.all("ADR").collect();
        let with = |kind: &str| all.iter().find(|p| has(p, kind)).copied();
        with("pref").or_else(|| with("work")).or(all.first().copied())
    }

    /// A typed list cell from the properties named `names`: `value (type)` items, preferred
    /// first, joined with ` ::: `; `classify` gives an item's value and type (or drops it).
    fn list(
        &self,
        names: &[&str],
        escaped: bool,
        classify: fn(&Property, &str, &str) -> Option<(String, String)>,
    ) -> String {
        let mut items: Vec<(u32, String)> = Vec::new();
        for p in self.properties.iter().filter(|p| names.contains(&p.name.as_str())) {
            let label = self.label(&p.group);
            let value = property::text(p.value.trim(), escaped);
            let Some((value, kind)) = classify(p, value.trim(), &label) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let rank = match p.pref {
                0 if p.types.iter().any(|t| t == "pref") => 1,
                0 => u32::MAX,
                rank => rank,
            };
            items.push((rank, format!("{value} ({kind})")));
        }
        items.sort_by_key(|(rank, _)| *rank);
        items
            .into_iter()
            .map(|(_, item)| item)
            .collect::<Vec<_>>()
            .join(" ::: ")
    }

    /// Apple's `itemN.X-ABLabel` for a group, lowercase, `_$!<Main>!$_` read as `main`.
    fn label(&self, group: &str) -> String {
        if group.is_empty() {
            return String::new();
        }
        self.properties
            .iter()
            .find(|p| p.group == group && p.name == "X-ABLABEL")
            .map(|p| {
                p.value
                    .trim()
                    .trim_start_matches("_$!<")
                    .trim_end_matches(">!$_")
                    .to_lowercase()
            })
            .unwrap_or_default()
    }
}

/// Component `index` of a structured value, its list items joined with `joiner`, trimmed.
fn part(components: &[Vec<String>], index: usize, joiner: &str) -> String {
    components
        .get(index)
        .map(|items| {
            items
                .iter()
                .map(|i| i.trim())
                .filter(|i| !i.is_empty())
                .collect::<Vec<_>>()
                .join(joiner)
        })
        .unwrap_or_default()
}

fn has(p: &Property, kind: &str) -> bool {
    p.types.iter().any(|t| t == kind)
}

/// A phone: `tel:` URIs unwrapped (`;ext=12` as ` ext. 12`); its type from the label, else the
/// TYPE parameters (fax, pager, cell -> mobile, home, work), else the default.
fn phone(p: &Property, value: &str, label: &str) -> Option<(String, String)> {
    let number = value.strip_prefix("tel:").unwrap_or(value);
    let number = match number.split_once(";ext=") {
        Some((number, ext)) => format!("{number} ext. {ext}"),
        None => number.split(';').next().unwrap_or(number).to_owned(),
    };
    let from_label = [
        ("fax", "fax"),
        ("pager", "pager"),
        ("mobile", "mobile"),
        ("iphone", "mobile"),
        ("cell", "mobile"),
        ("home", "home"),
        ("work", "work"),
        ("main", "work"),
        ("other", "other"),
    ]
    .into_iter()
    .find(|(key, _)| label.contains(key))
    .map(|(_, kind)| kind);
    let from_types = [
        ("fax", "fax"),
        ("pager", "pager"),
        ("cell", "mobile"),
        ("home", "home"),
        ("work", "work"),
    ]
    .into_iter()
    .find(|(key, _)| has(p, key))
    .map(|(_, kind)| kind);
    let kind = from_label.or(from_types).unwrap_or(ListKind::Phone.default_type());
    Some((number, kind.to_owned()))
}

/// An e-mail address: home, work or other from the label or TYPE, else the default.
fn email(p: &Property, value: &str, label: &str) -> Option<(String, String)> {
    let value = value.strip_prefix("mailto:").unwrap_or(value);
    let kind = ["home", "work", "other"]
        .into_iter()
        .find(|kind| label.contains(kind))
        .or_else(|| ["home", "work"].into_iter().find(|kind| has(p, kind)))
        .unwrap_or(ListKind::Email.default_type());
    Some((value.to_owned(), kind.to_owned()))
}

/// A web address (`URL`, or an `X-SOCIALPROFILE` that is one): social networks we know by
/// their TYPE, home/work, else the default.
fn website(p: &Property, value: &str, _label: &str) -> Option<(String, String)> {
    let lower = value.to_ascii_lowercase();
    if p.name == "X-SOCIALPROFILE" && !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    let known = ListKind::Website.types();
    let kind = p.types.iter().find(|t| known.contains(&t.as_str())).map(String::as_str);
    let kind = match (kind, p.name.as_str()) {
        (Some(kind), _) => kind,
        (None, "X-SOCIALPROFILE") => "other",
        (None, _) => ListKind::Website.default_type(),
    };
    Some((value.to_owned(), kind.to_owned()))
}

/// A messenger handle: `IMPP:skype:name` by its scheme, `X-SKYPE:name` by the property.
fn messenger(p: &Property, value: &str, _label: &str) -> Option<(String, String)> {
    let (service, handle) = match p.name.as_str() {
        "IMPP" => value
            .split_once(':')
            .map_or(("", value), |(scheme, rest)| (scheme, rest)),
        name => (name.trim_start_matches("X-"), value),
    };
    let service = match service.to_ascii_lowercase().as_str() {
        "tg" | "telegram" => "telegram",
        "skype" => "skype",
        "whatsapp" => "whatsapp",
        "viber" => "viber",
        "facetime" | "imessage" => "imessage",
        _ => "other",
    };
    Some((handle.trim_start_matches("//").to_owned(), service.to_owned()))
}

/// `BDAY` as `YYYY-MM-DD` (from `1985-04-12`, `19850412` or a date-time); a date without a
/// year (`--0412`) or free text cannot be stored and is left out.
fn birthdate(value: &str) -> String {
    let date = value.trim().split('T').next().unwrap_or_default();
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    let plain = date.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !plain || date.starts_with("--") || digits.len() != 8 {
        return String::new();
    }
    format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..])
}
