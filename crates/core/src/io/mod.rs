//! Import and export of record lists (issue 18; `/work/io-contract.md`).
//!
//! `cells` is the one flat form of a record every file format shares (column keys, en/ru
//! header labels, the cell conventions): `cells::write` renders records into it for exports.
//! `export` writes any list as CSV, Outlook CSV, vCard or XLSX, page by page.

pub mod cells;
pub mod export;
