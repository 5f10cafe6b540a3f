//! The components' size budget: no component over 1 MiB (but three, below) once stripped of custom sections
//! (names, producers), as `wasm-tools strip --all` leaves it. Checked by `cargo xtask test`
//! after the build; `cargo xtask sizes` prints every component's figures.
//!
//! A component stays cheap to upload, to compile and to keep in a cache when it is small; the
//! wasm release build is tuned for size in `.cargo/config.toml` (ARCHITECTURE.md, "Component
//! size"). The stripped size is computed here by walking the binary's sections (and the core
//! modules and components nested in it), so no tool needs installing.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The most a component may weigh, stripped: 1 MiB. Every component embeds every migration
/// (any of them may be the first to open a new database), so the schema weighs on all of them:
/// issues 17 to 19's migrations put `users` at 1,039 KiB. build.rs now embeds them compacted
/// (no comments, whitespace runs as one space) and deflated as one block, inflated on first
/// need (115 KB of SQL, 86 KB compacted, 12 KB deflated): `users` is 965 KiB with issue 19's.
pub const BUDGET: usize = 1 << 20;

/// Components allowed more than [`BUDGET`], with the reason (stripped sizes as measured).
/// `reports` carries the whole report engine (every entity's fields, the list filter parser,
/// the compiler, the funnels, time-zone buckets with `jiff` and the packed tz database):
/// 1,428 KiB since its XLSX download writes through the exports' streaming sheet instead of
/// `rust_xlsxwriter` (2,191 KiB before).
/// `imports` reads every file an import takes (CSV in any encoding with `encoding_rs`'s
/// tables, XLSX with `calamine` and its zip and deflate, vCard) beside the record engine:
/// 1,564 KiB.
/// `rest` (the Bitrix24-compatible REST API) answers every CRM method of every family in one
/// component, as the URL form demands (`/rest/<user_id>/<token>/<method>`), so it links the
/// record engine over all entities, sales and dictionaries, plus time zones for Bitrix24's
/// dates with offsets: 1,658 KiB.
const LARGER: &[(&str, usize)] = &[("reports", 3 << 19), ("imports", 13 << 17), ("rest", 7 << 18)];

/// The budget of component `name`.
pub fn budget(name: &str) -> usize {
    LARGER.iter().find(|(n, _)| *n == name).map_or(BUDGET, |(_, b)| *b)
}

/// Section ids whose contents are whole nested binaries in a component: a core module, a component.
const NESTED_SECTIONS: [u8; 2] = [1, 4];
/// Custom sections (names, producers...) have id 0 in modules and components alike.
const CUSTOM_SECTION: u8 = 0;

/// One built component: its file size and its size without custom sections.
pub struct Size {
    pub name: String,
    pub file: usize,
    pub stripped: usize,
}

/// Every component's size, from `target/wasm32-wasip2/release/`.
pub fn sizes(packages: &[String]) -> anyhow::Result<Vec<Size>> {
    let dir = Path::new("target").join(crate::WASM_TARGET).join("release");
    packages
        .iter()
        .map(|p| {
            let path: PathBuf = dir.join(format!("{}.wasm", p.replace('-', "_")));
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let stripped = stripped_size(&bytes).with_context(|| format!("parsing {}", path.display()))?;
            Ok(Size {
                name: p.clone(),
                file: bytes.len(),
                stripped,
            })
        })
        .collect()
}

/// Fails naming every component over [`BUDGET`].
pub fn check(packages: &[String]) -> anyhow::Result<()> {
    let over: Vec<String> = sizes(packages)?
        .into_iter()
        .filter(|s| s.stripped > budget(&s.name))
        .map(|s| {
            format!(
                "{} is {} KiB stripped (budget {} KiB)",
                s.name,
                s.stripped / 1024,
                budget(&s.name) / 1024
            )
        })
        .collect();
    if !over.is_empty() {
        bail!(
            "components over their size budget: {}; see ARCHITECTURE.md, \"Component size\"",
            over.join(", ")
        );
    }
    Ok(())
}

/// Prints every component's size as a table.
pub fn print(packages: &[String]) -> anyhow::Result<()> {
    println!("| component | file bytes | stripped bytes | stripped KiB |");
    println!("|---|---|---|---|");
    for s in sizes(packages)? {
        println!("| {} | {} | {} | {} |", s.name, s.file, s.stripped, s.stripped / 1024);
    }
    Ok(())
}

/// The size of a module or component binary once every custom section in it, nested ones
/// included, is dropped.
pub fn stripped_size(binary: &[u8]) -> anyhow::Result<usize> {
    if binary.len() < 8 || &binary[..4] != b"\0asm" {
        bail!("not a WebAssembly binary");
    }
    let is_component = binary[6..8] == [1, 0];
    let mut size = 8;
    let mut at = 8;
    while at < binary.len() {
        let id = binary[at];
        let (len, len_bytes) = leb128(&binary[at + 1..])?;
        let start = at + 1 + len_bytes;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= binary.len())
            .context("truncated")?;
        if id != CUSTOM_SECTION {
            let contents = if is_component && NESTED_SECTIONS.contains(&id) {
                stripped_size(&binary[start..end])?
            } else {
                len
            };
            size += 1 + leb128_len(contents) + contents;
        }
        at = end;
    }
    Ok(size)
}

/// An unsigned LEB128 number and how many bytes it took.
fn leb128(bytes: &[u8]) -> anyhow::Result<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    bail!("bad section size")
}

fn leb128_len(mut value: usize) -> usize {
    let mut n = 1;
    while value >= 0x80 {
        value >>= 7;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: u8, contents: &[u8]) -> Vec<u8> {
        let mut s = vec![id, u8::try_from(contents.len()).unwrap()];
        s.extend_from_slice(contents);
        s
    }

    #[test]
    fn custom_sections_are_left_out_at_every_level() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend(section(1, &[0x60, 0, 0])); // a type section
        module.extend(section(0, b"\x04namexyz")); // custom, dropped
        assert_eq!(stripped_size(&module).unwrap(), 8 + 5);

        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        component.extend(section(1, &module));
        component.extend(section(0, b"\x09producers")); // custom, dropped
        assert_eq!(stripped_size(&component).unwrap(), 8 + 2 + 13);
    }

    #[test]
    fn what_is_not_wasm_is_refused() {
        assert!(stripped_size(b"hello world").is_err());
        assert!(stripped_size(b"\0asm\x01\0\0\0\x01\x7f").is_err());
    }
}
