//! TEMPORARY stand-in of the formats helper's column mapping (the merge takes theirs): a
//! column whose header is a field's key or en/ru label maps to it.

use crate::records::EntityDef;

/// Where a column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The column index.
    pub column: usize,
    /// The field key (`phones`, `address.city`).
    pub field: String,
    /// A fixed type for typed lists.
    pub r#type: Option<String>,
    /// The column holding the type.
    pub type_column: Option<usize>,
}

/// Guesses the mapping from the headers.
pub fn guess(def: &EntityDef, columns: &[String]) -> Vec<Target> {
    let norm = |s: &str| s.trim().to_lowercase();
    columns
        .iter()
        .enumerate()
        .filter_map(|(column, header)| {
            let h = norm(header);
            def.fields
                .iter()
                .find(|f| f.name == h || norm(&f.label.0) == h || norm(&f.label.1) == h)
                .map(|f| f.name.clone())
                .or_else(|| crate::io::cells::read::resolve(def, &h).map(|_| h.clone()))
                .map(|field| Target {
                    column,
                    field,
                    r#type: None,
                    type_column: None,
                })
        })
        .collect()
}
