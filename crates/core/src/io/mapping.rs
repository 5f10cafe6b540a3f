//! Which file column goes into which field: [`guess`] proposes a mapping from the header cells
//! (our own keys and en/ru labels, Bitrix24's CRM export headers, Google and Outlook contact
//! CSV), matching headers case-, space- and punctuation-insensitively; [`check`] validates a
//! mapping the caller edited (422 naming `mapping[i].field` / `mapping[i].column`).

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, FieldErrors};
use crate::records::EntityDef;
use crate::records::fields::{Access, FieldKind};
use crate::records::store::META;
use crate::records::values::ListKind;

/// One mapped column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// 0-based column index in the file.
    pub column: usize,
    /// The field key (`phones`, `address.city`, `company_id`...).
    pub field: String,
    /// A fixed item type for a typed list (`mobile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The column holding each row's item type (Google's `Phone 1 - Label`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_column: Option<usize>,
}

/// Other products' headers: (header, field, item type, rank). A single-valued field takes the
/// lowest-ranked column (Outlook's business address before the home one).
const SYNONYMS: &[(&str, &str, Option<&str>, u8)] = &[
    // Bitrix24 CRM list export (CSV/Excel, ru and en): a column per field caption, each typed
    // multi-field value type its own column (`Рабочий телефон`, `Частный e-mail`...), the
    // address in short-labelled parts. Captions as Bitrix24's own language files define them
    // (modules/crm/lang/*/classes/general/crm_field_multi.php, lang/*/lib/entityaddress.php,
    // components crm.{contact,lead,deal}.list lang/*/component.php); those our own en/ru
    // labels already match (`Имя`, `First Name`, `Должность`, `Сумма`...) are not repeated.
    ("Рабочий телефон", "phones", Some("work"), 0),
    ("Мобильный телефон", "phones", Some("mobile"), 0),
    ("Номер факса", "phones", Some("fax"), 0),
    ("Домашний телефон", "phones", Some("home"), 0),
    ("Номер пейджера", "phones", Some("pager"), 0),
    ("Телефон для рассылок", "phones", Some("other"), 0),
    ("Другой телефон", "phones", Some("other"), 0),
    ("Телефон", "phones", None, 0),
    ("Work Phone", "phones", Some("work"), 0),
    ("Mobile", "phones", Some("mobile"), 0),
    ("Fax", "phones", Some("fax"), 0),
    ("Home Phone", "phones", Some("home"), 0),
    ("Pager Number", "phones", Some("pager"), 0),
    ("SMS marketing phone", "phones", Some("other"), 0),
    ("Other Phone Number", "phones", Some("other"), 0),
    ("Phone", "phones", None, 0),
    ("Рабочий e-mail", "emails", Some("work"), 0),
    ("Частный e-mail", "emails", Some("home"), 0),
    ("E-mail для рассылок", "emails", Some("newsletter"), 0),
    ("Другой e-mail", "emails", Some("other"), 0),
    ("Work E-mail", "emails", Some("work"), 0),
    ("Home E-mail", "emails", Some("home"), 0),
    ("Newsletters email", "emails", Some("newsletter"), 0),
    ("Other E-mail", "emails", Some("other"), 0),
    ("E-mail", "emails", None, 0),
    ("Корпоративный сайт", "websites", Some("work"), 0),
    ("Личная страница", "websites", Some("home"), 0),
    ("Страница Facebook", "websites", Some("facebook"), 0),
    ("Страница ВКонтакте", "websites", Some("vk"), 0),
    ("Страница LiveJournal", "websites", Some("other"), 0),
    ("Микроблог Twitter", "websites", Some("other"), 0),
    ("Другой сайт", "websites", Some("other"), 0),
    ("Сайт", "websites", None, 0),
    ("Corporate Website", "websites", Some("work"), 0),
    ("Personal Page", "websites", Some("home"), 0),
    ("Facebook Page", "websites", Some("facebook"), 0),
    ("VK Page", "websites", Some("vk"), 0),
    ("LiveJournal", "websites", Some("other"), 0),
    ("Twitter", "websites", Some("other"), 0),
    ("Other Website", "websites", Some("other"), 0),
    ("Website", "websites", None, 0),
    ("Site", "websites", None, 0),
    // Messenger columns; the Bitrix24.Network, live chat and open channel ones hold Bitrix24's
    // internal connector ids and are left out.
    ("Контакт Facebook", "messengers", Some("facebook"), 0),
    ("Контакт Telegram", "messengers", Some("telegram"), 0),
    ("Контакт ВКонтакте", "messengers", Some("vk"), 0),
    ("Контакт Skype", "messengers", Some("skype"), 0),
    ("Контакт Viber", "messengers", Some("viber"), 0),
    ("Комментарии Instagram", "messengers", Some("instagram"), 0),
    ("Контакт ICQ", "messengers", Some("other"), 0),
    ("Контакт MSN/Live!", "messengers", Some("other"), 0),
    ("Контакт Jabber", "messengers", Some("other"), 0),
    ("Другой контакт", "messengers", Some("other"), 0),
    ("Мессенджер", "messengers", None, 0),
    ("Facebook account", "messengers", Some("facebook"), 0),
    ("Telegram account", "messengers", Some("telegram"), 0),
    ("VK account", "messengers", Some("vk"), 0),
    ("Skype ID", "messengers", Some("skype"), 0),
    ("Viber contact", "messengers", Some("viber"), 0),
    ("Instagram comments", "messengers", Some("instagram"), 0),
    ("ICQ Number", "messengers", Some("other"), 0),
    ("MSN/Live!", "messengers", Some("other"), 0),
    ("Jabber", "messengers", Some("other"), 0),
    ("Other Contact", "messengers", Some("other"), 0),
    ("Messenger", "messengers", None, 0),
    // Address parts (short labels; the long ones too). Bitrix24's `Район` / `Region` is a
    // district, below `Область` / `State / Province`: only a fallback for our region.
    ("Улица", "address.street", None, 0),
    ("Улица, дом, корпус, строение", "address.street", None, 0),
    ("Адрес", "address.street", None, 1),
    ("Город", "address.city", None, 0),
    ("Область", "address.region", None, 0),
    ("Индекс", "address.postal_code", None, 0),
    ("Почтовый индекс", "address.postal_code", None, 0),
    ("Страна", "address.country", None, 0),
    ("Street", "address.street", None, 0),
    ("Street, building", "address.street", None, 0),
    ("Address", "address.street", None, 1),
    ("City", "address.city", None, 0),
    ("State / Province", "address.region", None, 0),
    ("Region", "address.region", None, 1),
    ("Zip", "address.postal_code", None, 0),
    ("Country", "address.country", None, 0),
    // Single fields.
    ("Компания", "company_id", None, 0),
    ("Контакт", "contact_ids", None, 0),
    ("Contact", "contact_ids", None, 0),
    ("Comment", "comments", None, 0),
    ("Стадия сделки", "stage", None, 0),
    ("Стадия", "status", None, 0),
    ("Возможная сумма", "amount", None, 0),
    ("Opportunity", "amount", None, 0),
    ("Total", "amount", None, 0),
    ("Income", "amount", None, 0),
    ("Source information", "source_description", None, 0),
    ("Assumed close date", "close_date", None, 0),
    // Common headers of other files.
    ("Email", "emails", None, 0),
    ("Telegram", "messengers", Some("telegram"), 0),
    ("Skype", "messengers", Some("skype"), 0),
    ("WhatsApp", "messengers", Some("whatsapp"), 0),
    ("Viber", "messengers", Some("viber"), 0),
    ("Регион", "address.region", None, 0),
    ("Street address", "address.street", None, 0),
    ("Postal code", "address.postal_code", None, 0),
    ("Name", "title", None, 1),
    ("Название", "title", None, 1),
    // Google Contacts CSV (current and legacy).
    ("Given Name", "first_name", None, 0),
    ("Additional Name", "middle_name", None, 0),
    ("Family Name", "last_name", None, 0),
    ("Organization Name", "company_id", None, 0),
    ("Organization 1 - Name", "company_id", None, 0),
    ("Organization Title", "post", None, 0),
    ("Organization 1 - Title", "post", None, 0),
    ("Birthday", "birthdate", None, 0),
    ("Notes", "comments", None, 0),
    // Outlook CSV (Outlook.com, classic desktop, Google's Outlook export).
    ("Job Title", "post", None, 0),
    ("Company", "company_id", None, 0),
    ("E-mail Address", "emails", Some("work"), 0),
    ("E-mail 2 Address", "emails", Some("work"), 0),
    ("E-mail 3 Address", "emails", Some("work"), 0),
    ("Mobile Phone", "phones", Some("mobile"), 0),
    ("Other Phone", "phones", Some("other"), 0),
    ("Pager", "phones", Some("pager"), 0),
    ("Primary Phone", "phones", Some("work"), 0),
    ("Business Phone", "phones", Some("work"), 0),
    ("Business Phone 2", "phones", Some("work"), 0),
    ("Company Main Phone", "phones", Some("work"), 0),
    ("Home Phone 2", "phones", Some("home"), 0),
    ("Car Phone", "phones", Some("mobile"), 0),
    ("Business Fax", "phones", Some("fax"), 0),
    ("Home Fax", "phones", Some("fax"), 0),
    ("Other Fax", "phones", Some("fax"), 0),
    ("Web Page", "websites", Some("work"), 0),
    ("Personal Web Page", "websites", Some("home"), 0),
    ("IMAddress", "messengers", None, 0),
    ("Business Street", "address.street", None, 0),
    ("Business City", "address.city", None, 0),
    ("Business State", "address.region", None, 0),
    ("Business Postal Code", "address.postal_code", None, 0),
    ("Business Country/Region", "address.country", None, 0),
    ("Business Country", "address.country", None, 0),
    ("Home Street", "address.street", None, 1),
    ("Home City", "address.city", None, 1),
    ("Home State", "address.region", None, 1),
    ("Home Postal Code", "address.postal_code", None, 1),
    ("Home Country/Region", "address.country", None, 1),
    ("Home Country", "address.country", None, 1),
    ("Other Street", "address.street", None, 2),
    ("Other City", "address.city", None, 2),
    ("Other State", "address.region", None, 2),
    ("Other Postal Code", "address.postal_code", None, 2),
    ("Other Country/Region", "address.country", None, 2),
    ("Other Country", "address.country", None, 2),
];

/// A header reduced to lowercase letters and digits (`ё` as `е`): `E-mail 2 Address` is
/// `email2address`.
pub fn normalize(header: &str) -> String {
    header
        .trim()
        .trim_start_matches("* ")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The field keys a mapping may target on `def`, with their en/ru labels: every writable
/// field, address parts as `address.city`, and a link alias (`company_id` on contacts).
pub fn targets(def: &EntityDef) -> Vec<(String, String, String)> {
    let mut keys = Vec::new();
    for field in def.fields.iter().filter(|f| f.access != Access::ReadOnly) {
        match field.kind {
            FieldKind::Address => {
                for (part, en, ru) in crate::io::cells::ADDRESS_PARTS {
                    let (label_en, label_ru) = &field.label;
                    keys.push((
                        format!("{}.{part}", field.name),
                        format!("{label_en}: {en}"),
                        format!("{label_ru}: {ru}"),
                    ));
                }
            }
            FieldKind::Requisites | FieldKind::Bindings => {}
            _ => keys.push((field.name.clone(), field.label.0.clone(), field.label.1.clone())),
        }
    }
    if let Some((alias, field)) = def.traits.link_alias
        && let Some(linked) = def.fields.iter().find(|f| f.name == field)
    {
        keys.push((alias.to_owned(), linked.label.0.clone(), linked.label.1.clone()));
        // The header an export writes for it: the linked entity's title ("Company name").
        if let FieldKind::Record(entity) = linked.kind
            && let Some((en, ru)) = crate::io::cells::write::alias_labels(entity)
        {
            keys.push((alias.to_owned(), en, ru));
        }
    }
    keys
}

/// Propose a mapping for a file's header cells (columns nothing matches are left out).
pub fn guess(def: &EntityDef, columns: &[String]) -> Vec<Target> {
    let keys = targets(def);
    let address = keys
        .iter()
        .find_map(|(k, _, _)| k.strip_suffix(".street"))
        .map(str::to_owned);
    let known = |field: &str| -> Option<String> {
        let field = match (field.strip_prefix("address."), &address) {
            (Some(part), Some(address)) => format!("{address}.{part}"),
            _ => field.to_owned(),
        };
        keys.iter().any(|(k, _, _)| *k == field).then_some(field)
    };
    let normalized: Vec<String> = columns.iter().map(|c| normalize(c)).collect();
    // (rank, target) candidates; ours first (rank 0), then others' synonyms, then Google pairs.
    let mut candidates: Vec<(u8, Target)> = Vec::new();
    for (column, header) in normalized.iter().enumerate() {
        let own = keys
            .iter()
            .find(|(key, en, ru)| [normalize(key), normalize(en), normalize(ru)].contains(header));
        let found = own.map(|(key, _, _)| (key.clone(), None, 0)).or_else(|| {
            SYNONYMS
                .iter()
                .filter(|(h, ..)| normalize(h) == *header)
                .find_map(|(_, field, kind, rank)| known(field).map(|f| (f, kind.map(str::to_owned), *rank)))
        });
        if let Some((field, kind, rank)) = found {
            candidates.push((
                rank,
                Target {
                    column,
                    field,
                    r#type: kind,
                    type_column: None,
                },
            ));
        } else if let Some(target) = google_pair(columns, &normalized, column, &known) {
            candidates.push((0, target));
        }
    }
    pick(candidates, def)
}

/// Google's numbered groups: `Phone 2 - Value` with its `Phone 2 - Label` (or legacy `- Type`)
/// column as the type column; `E-mail N`, `Website N`, `IM N` (type in `- Service`); the first
/// `Address 1 - Street/City/Region/Postal Code/Country`.
fn google_pair(
    columns: &[String],
    normalized: &[String],
    column: usize,
    known: &dyn Fn(&str) -> Option<String>,
) -> Option<Target> {
    let (group, part) = columns[column].trim().rsplit_once(" - ")?;
    let (kind, number) = group.trim().rsplit_once(' ')?;
    number.parse::<u32>().ok()?;
    let kind = normalize(kind);
    let part = normalize(part);
    let field = match (kind.as_str(), part.as_str()) {
        ("phone", "value") => "phones",
        ("email", "value") => "emails",
        ("website", "value") => "websites",
        ("im", "value") => "messengers",
        ("address", "street" | "city" | "region" | "country") if number == "1" => {
            return known(&format!("address.{part}")).map(|field| Target {
                column,
                field,
                r#type: None,
                type_column: None,
            });
        }
        ("address", "postalcode") if number == "1" => {
            return known("address.postal_code").map(|field| Target {
                column,
                field,
                r#type: None,
                type_column: None,
            });
        }
        _ => return None,
    };
    let field = known(field)?;
    let prefix = normalize(group);
    let type_column = ["label", "type", "service"]
        .iter()
        .find_map(|suffix| normalized.iter().position(|h| *h == format!("{prefix}{suffix}")));
    Some(Target {
        column,
        field,
        r#type: None,
        type_column,
    })
}

/// Keep every typed-list candidate and, for any other field, the lowest-ranked column only.
fn pick(mut candidates: Vec<(u8, Target)>, def: &EntityDef) -> Vec<Target> {
    let is_list = |field: &str| list_kind(def, field).is_some();
    candidates.sort_by_key(|(rank, target)| (*rank, target.column));
    let mut chosen: Vec<Target> = Vec::new();
    for (_, target) in candidates {
        if is_list(&target.field) || !chosen.iter().any(|c| c.field == target.field) {
            chosen.push(target);
        }
    }
    chosen.sort_by_key(|t| t.column);
    chosen
}

/// The typed list a field key is, if it is one.
fn list_kind(def: &EntityDef, field: &str) -> Option<ListKind> {
    match def.fields.iter().find(|f| f.name == field)?.kind {
        FieldKind::Phones => Some(ListKind::Phone),
        FieldKind::Emails => Some(ListKind::Email),
        FieldKind::Websites => Some(ListKind::Website),
        FieldKind::Messengers => Some(ListKind::Messenger),
        _ => None,
    }
}

/// Validate a mapping for a file of `columns_len` columns: each field a writable key of `def`
/// (see [`targets`]), each column (and type column) in range, a fixed type only on a typed list.
pub fn check(def: &EntityDef, mapping: &[Target], columns_len: usize) -> Result<(), CoreError> {
    let keys = targets(def);
    let mut errors = FieldErrors::new();
    for (i, target) in mapping.iter().enumerate() {
        let field = target.field.as_str();
        if !keys.iter().any(|(k, _, _)| k == field) {
            let system = META.contains(&field) || def.fields.iter().any(|f| f.name == field);
            let (code, message) = if system {
                (
                    "read_only",
                    format!("{field} cannot be imported: it is set by the system"),
                )
            } else {
                ("unknown_field", format!("{} has no field {field}", def.name))
            };
            errors.push(format!("mapping[{i}].field"), code, message);
        }
        if target.column >= columns_len {
            errors.push(
                format!("mapping[{i}].column"),
                "out_of_range",
                format!("the file has {columns_len} columns"),
            );
        }
        if let Some(kind) = &target.r#type {
            match list_kind(def, field) {
                Some(list) if list.types().contains(&kind.as_str()) => {}
                Some(list) => errors.push(
                    format!("mapping[{i}].type"),
                    "invalid",
                    format!("{field} items are one of: {}", list.types().join(", ")),
                ),
                None => errors.push(
                    format!("mapping[{i}].type"),
                    "invalid",
                    format!("{field} is not a typed list"),
                ),
            }
        }
        if target.type_column.is_some_and(|c| c >= columns_len) {
            errors.push(
                format!("mapping[{i}].type_column"),
                "out_of_range",
                format!("the file has {columns_len} columns"),
            );
        }
    }
    errors.into_result()
}
