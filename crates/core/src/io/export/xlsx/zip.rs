//! A zip archive written as a stream: each entry's local header carries no sizes (flag bit 3),
//! its deflated data is handed out as it is produced, and a data descriptor after it gives the
//! CRC-32 and sizes; the central directory comes at the end. So an entry of any length never
//! has to be held whole (APPNOTE 4.3.9). Entries and the archive stay under 4 GiB (no zip64),
//! which a spreadsheet of a CRM list never nears.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// General purpose flags: sizes in a data descriptor (bit 3), UTF-8 names (bit 11).
const FLAGS: u16 = 0x0808;
/// Deflate.
const METHOD: u16 = 8;
/// Version needed to extract: 2.0 (deflate, data descriptors).
const VERSION: u16 = 20;

struct Entry {
    name: String,
    offset: u32,
    crc: u32,
    compressed: u32,
    size: u32,
}

struct Open {
    name: String,
    offset: u32,
    encoder: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
    compressed: u64,
}

/// A zip archive being written; every method returns the bytes to send next.
pub struct ZipStream {
    offset: u64,
    time: u16,
    date: u16,
    entries: Vec<Entry>,
    open: Option<Open>,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// MS-DOS time and date of an RFC 3339 UTC time (`2026-11-30T16:40:02Z`).
fn dos_time(rfc3339: &str) -> (u16, u16) {
    let n = |range: std::ops::Range<usize>| rfc3339.get(range).and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    let (year, month, day) = (n(0..4).max(1980), n(5..7).max(1), n(8..10).max(1));
    let (hour, minute, second) = (n(11..13), n(14..16), n(17..19));
    (
        (hour << 11) | (minute << 5) | (second / 2),
        ((year - 1980) << 9) | (month << 5) | day,
    )
}

impl ZipStream {
    /// An empty archive whose entries are dated `unix` (UTC seconds).
    pub fn new(unix: i64) -> ZipStream {
        let (time, date) = dos_time(&crate::clock::rfc3339(unix));
        ZipStream {
            offset: 0,
            time,
            date,
            entries: Vec::new(),
            open: None,
        }
    }

    fn sent(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.offset += bytes.len() as u64;
        bytes
    }

    /// A whole entry at once.
    pub fn file(&mut self, name: &str, data: &[u8]) -> Vec<u8> {
        let mut out = self.begin(name);
        out.extend(self.write(data));
        out.extend(self.end());
        out
    }

    /// Starts entry `name` (ending any open one): its local header.
    pub fn begin(&mut self, name: &str) -> Vec<u8> {
        let mut out = self.end();
        let mut header = Vec::with_capacity(30 + name.len());
        u32le(&mut header, 0x0403_4b50);
        u16le(&mut header, VERSION);
        u16le(&mut header, FLAGS);
        u16le(&mut header, METHOD);
        u16le(&mut header, self.time);
        u16le(&mut header, self.date);
        header.extend_from_slice(&[0; 12]); // CRC and sizes: in the data descriptor
        u16le(&mut header, name.len() as u16);
        u16le(&mut header, 0);
        header.extend_from_slice(name.as_bytes());
        self.open = Some(Open {
            name: name.to_string(),
            offset: self.offset as u32,
            encoder: DeflateEncoder::new(Vec::new(), Compression::default()),
            crc: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
        });
        out.extend(self.sent(header));
        out
    }

    /// More data of the open entry: the compressed bytes ready so far (often none).
    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        let Some(open) = self.open.as_mut() else {
            return Vec::new();
        };
        open.crc.update(data);
        open.size += data.len() as u64;
        // Writing into a Vec cannot fail.
        let _ = open.encoder.write_all(data);
        let ready = std::mem::take(open.encoder.get_mut());
        open.compressed += ready.len() as u64;
        self.sent(ready)
    }

    /// Ends the open entry, if any: the rest of its data and its data descriptor.
    pub fn end(&mut self) -> Vec<u8> {
        let Some(open) = self.open.take() else {
            return Vec::new();
        };
        let mut out = open.encoder.finish().unwrap_or_default();
        let compressed = open.compressed + out.len() as u64;
        let crc = open.crc.finalize();
        u32le(&mut out, 0x0807_4b50);
        u32le(&mut out, crc);
        u32le(&mut out, compressed as u32);
        u32le(&mut out, open.size as u32);
        self.entries.push(Entry {
            name: open.name,
            offset: open.offset,
            crc,
            compressed: compressed as u32,
            size: open.size as u32,
        });
        self.sent(out)
    }

    /// Ends the archive: the open entry's end, the central directory and its end record.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.end();
        let start = self.offset;
        let mut directory = Vec::new();
        for entry in &self.entries {
            u32le(&mut directory, 0x0201_4b50);
            u16le(&mut directory, VERSION);
            u16le(&mut directory, VERSION);
            u16le(&mut directory, FLAGS);
            u16le(&mut directory, METHOD);
            u16le(&mut directory, self.time);
            u16le(&mut directory, self.date);
            u32le(&mut directory, entry.crc);
            u32le(&mut directory, entry.compressed);
            u32le(&mut directory, entry.size);
            u16le(&mut directory, entry.name.len() as u16);
            directory.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            u32le(&mut directory, entry.offset);
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let size = directory.len() as u32;
        u32le(&mut directory, 0x0605_4b50);
        u16le(&mut directory, 0);
        u16le(&mut directory, 0);
        u16le(&mut directory, self.entries.len() as u16);
        u16le(&mut directory, self.entries.len() as u16);
        u32le(&mut directory, size);
        u32le(&mut directory, start as u32);
        u16le(&mut directory, 0);
        out.extend(self.sent(directory));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times_pack_date_and_time() {
        assert_eq!(dos_time("1980-01-01T00:00:00Z"), (0, 0x21));
        assert_eq!(
            dos_time("2026-11-30T16:40:02Z"),
            ((16 << 11) | (40 << 5) | 1, (46 << 9) | (11 << 5) | 30)
        );
    }
}
