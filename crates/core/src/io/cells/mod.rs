//! The one flat form of a record as cells (the contract's cell conventions): `read` turns a
//! mapped row of text cells into the record engine's JSON (imports); `write` renders a record
//! into cells (exports).

pub mod read;
