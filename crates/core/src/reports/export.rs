//! A report Result as a download: CSV (UTF-8 with a BOM, so spreadsheet programs read Cyrillic
//! right; the header is the column labels; numbers and money unformatted, group cells by their
//! label) and XLSX (the exports' streaming sheet, `io::export::xlsx::Sheet`, with typed cells:
//! numbers as numbers, money with the base currency's number format, date buckets as dates,
//! shares as percents; the header bold; the report's name as the sheet's).

use serde_json::Value as Json;

use crate::io::export::csv::{BOM, line};
use crate::io::export::xlsx::{Sheet, SheetCell, style};

/// The text of one cell for CSV: a group's label, a measure's value.
fn cell_text(cell: &Json) -> String {
    match cell {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Object(map) => match map.get("label") {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        },
        other => other.to_string(),
    }
}

fn columns(result: &Json) -> Vec<&Json> {
    result["columns"]
        .as_array()
        .map(|c| c.iter().collect())
        .unwrap_or_default()
}

/// A funnel Result (`stages`, `won`; `statuses` for leads) as a table Result with `columns`
/// and `rows`, so it downloads like any report; other Results as they are.
pub fn tabular(result: &Json) -> Json {
    type Measures = &'static [(&'static str, &'static str, &'static str)];
    let (list, measures): (&str, Measures) = if result["stages"].is_array() {
        (
            "stages",
            &[
                ("reached", "Reached", "number"),
                ("now", "Now", "number"),
                ("amount", "Amount", "money"),
                ("share", "Share", "percent"),
                ("conversion", "Conversion", "percent"),
            ],
        )
    } else if result["statuses"].is_array() {
        (
            "statuses",
            &[
                ("reached", "Reached", "number"),
                ("now", "Now", "number"),
                ("share", "Share", "percent"),
            ],
        )
    } else {
        return result.clone();
    };
    let mut columns = vec![serde_json::json!({"key": "stage", "label": "Stage", "role": "group", "type": "stage"})];
    for (key, label, kind) in measures {
        columns.push(serde_json::json!({"key": key, "label": label, "role": "measure", "type": kind}));
    }
    let mut items: Vec<Json> = result[list].as_array().cloned().unwrap_or_default();
    if result["won"].is_object() {
        items.push(result["won"].clone());
    }
    let rows: Vec<Json> = items
        .iter()
        .map(|item| {
            let mut cells = vec![serde_json::json!({"value": item["code"], "label": item["name"]})];
            cells.extend(measures.iter().map(|(key, _, _)| item[*key].clone()));
            serde_json::json!({"cells": cells})
        })
        .collect();
    serde_json::json!({"report": result["report"], "currency": result["currency"], "columns": columns, "rows": rows, "totals": []})
}

fn rows(result: &Json) -> Vec<Vec<Json>> {
    result["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["cells"].as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// The Result as CSV bytes: the one CSV line writer of exports (`io::export::csv`: RFC 4180
/// quoting, CRLF, formula-like cells guarded), UTF-8 with a BOM.
pub fn csv(result: &Json) -> Vec<u8> {
    let result = &tabular(result);
    let mut out = String::from(BOM);
    let header: Vec<&str> = columns(result)
        .iter()
        .map(|c| c["label"].as_str().unwrap_or_default())
        .collect();
    line(&header, ',', &mut out);
    for cells in rows(result) {
        let texts: Vec<String> = cells.iter().map(cell_text).collect();
        line(&texts, ',', &mut out);
    }
    out.into_bytes()
}

/// A file name for the download: the report's name with only safe characters.
pub fn file_name(result: &Json, extension: &str) -> String {
    let name: String = result["report"]["name"]
        .as_str()
        .unwrap_or("report")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .take(60)
        .collect();
    let name = if name.trim_matches('_').is_empty() {
        "report".to_string()
    } else {
        name
    };
    format!("{name}.{extension}")
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(result: &Json) -> String {
    let name: String = result["report"]["name"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(|c| !"[]:*?/\\'".contains(*c))
        .take(31)
        .collect();
    if name.trim().is_empty() { "Report".into() } else { name }
}

/// The Result as an XLSX workbook: one sheet, the header bold, then the rows and the totals
/// (labelled "Total" in `lang` where the first column has no total of its own).
pub fn xlsx(result: &Json, lang: &str) -> Vec<u8> {
    let result = &tabular(result);
    let columns = columns(result);
    let labels: Vec<&str> = columns
        .iter()
        .map(|c| c["label"].as_str().unwrap_or_default())
        .collect();
    let mut lines = rows(result);
    if let Some(totals) = result["totals"].as_array() {
        let mut totals = totals.clone();
        if let Some(first @ Json::Null) = totals.first_mut() {
            *first = Json::from(if lang == "ru" { "Итого" } else { "Total" });
        }
        lines.push(totals);
    }
    // A report's Result is small (its groups, not its records): one workbook, one pass.
    let mut sheet = Sheet::new(0);
    let mut out = sheet.start(
        &sheet_name(result),
        &labels,
        result["currency"].as_str().unwrap_or_default(),
    );
    out.extend(sheet.rows(lines.iter().map(|cells| {
        cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                sheet_cell(
                    columns.get(c).and_then(|k| k["type"].as_str()).unwrap_or_default(),
                    cell,
                )
            })
            .collect()
    })));
    out.extend(sheet.finish());
    out
}

/// One typed cell: a group's date bucket as a date, other groups as their label; money with
/// the currency format, shares as percents, numbers as numbers.
fn sheet_cell<'c>(kind: &str, cell: &'c Json) -> SheetCell<'c> {
    match cell {
        Json::Null => SheetCell::Empty,
        Json::Object(map) => {
            let value = map.get("value").and_then(Json::as_str).unwrap_or_default();
            let label = map.get("label").and_then(Json::as_str).unwrap_or_default();
            (kind == "date")
                .then(|| SheetCell::date(value))
                .flatten()
                .unwrap_or_else(|| SheetCell::Text(label.into()))
        }
        Json::String(text) => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => SheetCell::number(if kind == "money" { style::MONEY } else { style::GENERAL }, n),
            _ => SheetCell::Text(text.as_str().into()),
        },
        Json::Number(n) => {
            let n = n.as_f64().unwrap_or_default();
            SheetCell::number(
                if kind == "percent" {
                    style::PERCENT
                } else {
                    style::GENERAL
                },
                n,
            )
        }
        other => SheetCell::Text(other.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_funnel_downloads_as_a_table_of_its_stages_and_won() {
        let funnel = json!({"report": {"name": "Sales funnel"}, "currency": "RUB",
            "stages": [{"code": "NEW", "name": "New", "reached": 120, "now": 30, "amount": "1500000.00", "share": 1.0, "conversion": null}],
            "won": {"code": "WON", "name": "Won", "reached": 30, "amount": "450000.00", "share": 0.25, "conversion": 0.5}});
        let text = String::from_utf8(csv(&funnel)).expect("utf-8");
        assert_eq!(
            text,
            "\u{FEFF}Stage,Reached,Now,Amount,Share,Conversion\r\nNew,120,30,1500000.00,1.0,\r\nWon,30,,450000.00,0.25,0.5\r\n"
        );
        assert!(xlsx(&funnel, "en").starts_with(b"PK"));
    }
}
