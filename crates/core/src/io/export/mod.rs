//! Exports of any record list (`GET /api/exports/<entity>?format=...`): the list's own query
//! (`q`, `filter[...]`, `sort`, `fields`) run page by page through [`records::list`] — the
//! same rows in the same order as the list, keyset page after keyset page — and written as
//! CSV (`csv`), Outlook CSV (`outlook`, contacts), vCard 3.0/4.0 (`vcard`, contacts and leads)
//! or XLSX (`xlsx`, a streaming zip), one chunk of bytes per page ([`Export::next_chunk`]), so
//! an export never holds the whole file.
//!
//! Access: the role's `export` permission on the entity, whose level narrows the read level
//! (a manager who reads the department's records but exports only their own gets their own):
//! the list runs as the caller with the read level `min(read, export)`.

pub mod csv;
pub mod outlook;
pub mod vcard;
pub mod xlsx;

use serde_json::Value as Json;

use super::cells::write::{Column, Names, columns};
use crate::acl::{Action, Caller};
use crate::db::Db;
use crate::error::CoreError;
use crate::io::ENTITIES;
use crate::records::EntityDef;
use crate::records::list::{RecordQuery, list};

/// Records per page (the list's maximum `limit`).
pub const PAGE: u32 = crate::resource::list::MAX_LIMIT;

/// Query parameters of a list an export does not take (it reads every page itself).
const NOT_FOR_EXPORT: &[&str] = &["cursor", "limit", "count"];

/// The file formats an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV, `,` or `;`.
    Csv,
    /// Outlook.com's contact CSV.
    Outlook,
    /// vCard 3.0 or 4.0.
    Vcard,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    fn parse(code: &str) -> Result<Format, CoreError> {
        Ok(match code {
            "csv" => Format::Csv,
            "outlook" => Format::Outlook,
            "vcard" => Format::Vcard,
            "xlsx" => Format::Xlsx,
            other => {
                return Err(CoreError::BadRequest(format!(
                    "format must be csv, xlsx, vcard or outlook, not {other:?}"
                )));
            }
        })
    }

    /// The `Content-Type` of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv | Format::Outlook => "text/csv; charset=utf-8",
            Format::Vcard => "text/vcard; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::Outlook => "csv",
            Format::Vcard => "vcf",
            Format::Xlsx => "xlsx",
        }
    }
}

/// What turns pages of records into a file's bytes.
trait Writer {
    /// What comes before the first record (a BOM and header, a zip's first parts).
    fn start(&mut self, columns: &[Column]) -> Vec<u8>;
    /// One page of records (their names looked up for the page).
    fn page(&mut self, columns: &[Column], records: &[Json], names: &Names) -> Vec<u8>;
    /// What comes after the last record (nothing, unless the format closes something).
    fn finish(&mut self) -> Vec<u8> {
        Vec::new()
    }
}

enum Stage {
    Start,
    Pages,
    Done,
}

/// One export in progress: call [`Export::next_chunk`] until it gives `None`.
pub struct Export {
    def: EntityDef,
    plural: &'static str,
    format: Format,
    /// The caller with the read level narrowed to the export level: who the list runs as.
    lister: Caller,
    /// The caller as they are: whose names (users, referenced records) the cells may show.
    reader: Caller,
    pairs: Vec<(String, String)>,
    columns: Vec<Column>,
    writer: Box<dyn Writer>,
    cursor: Option<String>,
    stage: Stage,
    date: String,
    rows: u64,
}

fn param<'p>(pairs: &'p [(String, String)], key: &str) -> Option<&'p str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The language of an export's labels: `lang=en|ru`, else the client's, else the user's.
fn language(
    db: &dyn Db,
    caller: &Caller,
    pairs: &[(String, String)],
    asked: Option<&str>,
) -> Result<String, CoreError> {
    match param(pairs, "lang") {
        Some(lang @ ("en" | "ru")) => Ok(lang.into()),
        Some(other) => Err(CoreError::BadRequest(format!("lang must be en or ru, not {other:?}"))),
        None => crate::reports::saved::language(db, caller, asked),
    }
}

impl Export {
    /// Checks an export of `entity` (the path's plural) for the query `pairs` and starts it:
    /// 400 naming an unknown entity, format, option or list parameter; 403 without the
    /// `export` permission. `accept_language` is the client's preferred language, if any;
    /// `now` dates the file.
    pub fn new(
        db: &dyn Db,
        caller: &Caller,
        entity: &str,
        pairs: &[(String, String)],
        accept_language: Option<&str>,
        now: i64,
    ) -> Result<Export, CoreError> {
        let Some(&(plural, name)) = ENTITIES.iter().find(|(plural, _)| *plural == entity) else {
            let known: Vec<&str> = ENTITIES.iter().map(|(p, _)| *p).collect();
            return Err(CoreError::BadRequest(format!(
                "entity {entity:?} cannot be exported: {}",
                crate::records::entity::or_list(&known)
            )));
        };
        let format = Format::parse(param(pairs, "format").unwrap_or("csv"))?;
        let own_kind = matches!(format, Format::Vcard | Format::Outlook);
        let takes_cards = match format {
            Format::Vcard => ["contact", "lead"].contains(&name),
            Format::Outlook => name == "contact",
            _ => true,
        };
        if !takes_cards {
            return Err(CoreError::BadRequest(format!(
                "format {} is for {}, not {plural}",
                param(pairs, "format").unwrap_or_default(),
                if format == Format::Vcard {
                    "contacts and leads"
                } else {
                    "contacts"
                }
            )));
        }
        let delimiter = match (param(pairs, "delimiter"), format) {
            (None | Some(","), _) => ',',
            (Some(";"), Format::Csv) => ';',
            (Some("\t" | "tab"), Format::Csv) => '\t',
            (Some(other), _) => {
                return Err(CoreError::BadRequest(format!(
                    "delimiter must be \",\" or \";\" (CSV only), not {other:?}"
                )));
            }
        };
        let version = match (param(pairs, "version"), format) {
            (None | Some("3.0"), Format::Vcard) | (None, _) => vcard::Version::V3,
            (Some("4.0"), Format::Vcard) => vcard::Version::V4,
            (Some(other), _) => {
                return Err(CoreError::BadRequest(format!(
                    "version must be 3.0 or 4.0 (vCard only), not {other:?}"
                )));
            }
        };
        let def = EntityDef::load_for(db, caller, name)?;
        let read = caller.level(def.acl, Action::Read);
        let export = caller.level(def.acl, Action::Export);
        if read == crate::acl::Level::None || export == crate::acl::Level::None {
            return Err(CoreError::ForbiddenBecause(format!(
                "your role may not export {plural}"
            )));
        }
        let mut lister = caller.clone();
        lister.permissions.set(def.acl, Action::Read, read.min(export));
        let lang = language(db, caller, pairs, accept_language)?;
        let mut list_pairs = Vec::new();
        for (key, value) in pairs {
            if NOT_FOR_EXPORT.contains(&key.as_str()) {
                return Err(CoreError::BadRequest(format!(
                    "{key} is not an export parameter: an export covers every page"
                )));
            }
            if !["format", "delimiter", "version", "lang"].contains(&key.as_str()) {
                list_pairs.push((key.clone(), value.clone()));
            }
        }
        // The whole query is checked now (a 400 before any byte is sent).
        let query = RecordQuery::parse(&def, &list_pairs, &def.parse)?;
        let columns = if own_kind {
            // Cards read whole records; only the primary company's name is looked up.
            list_pairs.retain(|(k, _)| k != "fields");
            let mut keys = vec!["id".to_string()];
            keys.extend(def.traits.link_alias.map(|(alias, _)| alias.to_string()));
            columns(&def, Some(&keys), &lang)
        } else {
            let columns = columns(&def, query.fields(), &lang);
            if query.fields().is_some() {
                // The list must render what the columns read (an amount's currency too).
                let mut fields: Vec<String> = Vec::new();
                for field in columns.iter().map(Column::list_field) {
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
                list_pairs.retain(|(k, _)| k != "fields");
                list_pairs.push(("fields".into(), fields.join(",")));
            }
            columns
        };
        let now_text = crate::clock::rfc3339(now);
        let writer: Box<dyn Writer> = match format {
            Format::Csv => Box::new(csv::Csv { delimiter }),
            Format::Outlook => Box::new(outlook::Outlook),
            Format::Vcard => Box::new(vcard::Vcard {
                version,
                entity: def.name,
            }),
            Format::Xlsx => Box::new(xlsx::Xlsx::new(plural, now)),
        };
        Ok(Export {
            def,
            plural,
            format,
            lister,
            reader: caller.clone(),
            pairs: list_pairs,
            columns,
            writer,
            cursor: None,
            stage: Stage::Start,
            date: now_text[..10].to_string(),
            rows: 0,
        })
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// `contacts-2026-11-30.csv`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.{}", self.plural, self.date, self.format.extension())
    }

    /// The columns a CSV or XLSX export writes (keys and labels).
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Records written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next bytes of the file — the start with the first page, then a page at a time,
    /// the last with the file's end — or `None` when the file is complete.
    pub fn next_chunk(&mut self, db: &dyn Db) -> Result<Option<Vec<u8>>, CoreError> {
        let mut out = match self.stage {
            Stage::Done => return Ok(None),
            Stage::Start => {
                self.stage = Stage::Pages;
                self.writer.start(&self.columns)
            }
            Stage::Pages => Vec::new(),
        };
        let mut pairs = self.pairs.clone();
        pairs.push(("limit".into(), PAGE.to_string()));
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor".into(), cursor.clone()));
        }
        let query = RecordQuery::parse(&self.def, &pairs, &self.def.parse)?;
        let mut page = list(db, &self.lister, &self.def, &query)?;
        let records = match page["items"].take() {
            Json::Array(items) => items,
            _ => Vec::new(),
        };
        let names = Names::load(db, &self.reader, &self.columns, &records)?;
        out.extend(self.writer.page(&self.columns, &records, &names));
        self.rows += records.len() as u64;
        self.cursor = page["next_cursor"].as_str().map(str::to_string);
        if self.cursor.is_none() {
            out.extend(self.writer.finish());
            self.stage = Stage::Done;
        }
        Ok(Some(out))
    }
}
