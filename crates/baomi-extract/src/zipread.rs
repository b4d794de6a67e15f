//! Reading zip containers (docx, odt) in memory with bomb protection.
//!
//! The `zip` crate trusts the sizes an archive declares. A zip bomb declares
//! small sizes and inflates to gigabytes, so every read here is capped by
//! the bytes *actually* produced (`Read::take`), per entry, per archive and
//! relative to the compressed size. Nothing is ever written to disk, so
//! entry names such as `../../etc/passwd` are only ever compared as strings.

use crate::{ExtractError, Limits};
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// Entries up to this size are not subject to the ratio check: a tiny entry
/// of repetitive XML legitimately compresses very well.
const RATIO_FREE_BYTES: u64 = 1 << 20;

/// A zip container opened for bounded reading (also used by baomi-redact,
/// which must read hostile files under the same caps as the scanner).
pub struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    format: &'static str,
    limits: &'a Limits,
    /// Decompressed bytes read so far, over all entries (and, for an
    /// embedded document, over the documents that contain it).
    total: u64,
    names: Vec<String>,
    /// Entries read (or deliberately passed over): the final sweep
    /// ([`crate::markup::sweep`]) looks at all the others.
    consumed: std::collections::HashSet<String>,
    /// How many documents this one is embedded in (0 for the file itself).
    depth: usize,
}

impl<'a> Archive<'a> {
    /// Opens a zip held in memory; `format` names it in messages.
    pub fn open(
        bytes: &'a [u8],
        format: &'static str,
        limits: &'a Limits,
    ) -> Result<Self, ExtractError> {
        Self::open_nested(bytes, format, limits, 0, 0)
    }

    /// Opens a document embedded `depth` levels deep, whose containers have
    /// already inflated `total` bytes: the caps hold for the whole tree.
    pub(crate) fn open_nested(
        bytes: &'a [u8],
        format: &'static str,
        limits: &'a Limits,
        depth: usize,
        total: u64,
    ) -> Result<Self, ExtractError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, e))?;
        if zip.len() > limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{format} has {} entries (limit {})",
                zip.len(),
                limits.max_entries
            )));
        }
        // Names that are not valid UTF-8/CP437 are kept out of the list;
        // they cannot be parts this crate looks for.
        let names = zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect();
        Ok(Archive {
            zip,
            format,
            limits,
            total,
            names,
            consumed: Default::default(),
            depth,
        })
    }

    /// Decompressed bytes inflated so far (this archive and its containers).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Counts bytes inflated by an embedded document read from this one.
    pub(crate) fn set_total(&mut self, total: u64) {
        self.total = self.total.max(total);
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    pub(crate) fn limits(&self) -> &'a Limits {
        self.limits
    }

    /// Marks an entry as dealt with although it was not read (an image, a
    /// cache of text read elsewhere).
    pub(crate) fn consume(&mut self, name: &str) {
        self.consumed.insert(name.to_string());
    }

    /// Entries neither read nor marked, in archive order (directories left out).
    pub(crate) fn unconsumed(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| !n.ends_with('/') && !self.consumed.contains(n.as_str()))
            .cloned()
            .collect()
    }

    /// Names of all entries, in archive order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the archive has an entry of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// Reads one entry fully, or `None` when there is no such entry.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(index) = self.zip.index_for_name(name) else {
            return Ok(None);
        };
        self.consumed.insert(name.to_string());
        let format = self.format;
        let limits = self.limits;
        let mut entry = self.zip.by_index(index).map_err(|e| zip_error(format, e))?;
        if entry.encrypted() {
            return Err(ExtractError::Encrypted(format));
        }
        let compressed = entry.compressed_size();
        let by_ratio = compressed
            .saturating_mul(limits.max_ratio)
            .max(RATIO_FREE_BYTES);
        let budget = limits.max_total_bytes.saturating_sub(self.total);
        let cap = limits.max_entry_bytes.min(by_ratio).min(budget);
        if entry.size() > cap {
            return Err(bomb(format, name, entry.size(), compressed, limits, budget));
        }
        let mut out = Vec::with_capacity(entry.size().min(cap).min(64 << 20) as usize);
        (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| ExtractError::Malformed {
                format,
                message: format!("cannot decompress {name}: {e}"),
            })?;
        let got = out.len() as u64;
        if got > cap {
            // The declared size lied: stop before reading any further.
            return Err(bomb(format, name, got, compressed, limits, budget));
        }
        self.total += got;
        Ok(Some(out))
    }
}

fn bomb(
    format: &str,
    name: &str,
    size: u64,
    compressed: u64,
    limits: &Limits,
    budget: u64,
) -> ExtractError {
    let why = if size > limits.max_entry_bytes {
        format!(
            "more than {} bytes decompressed (per-entry limit)",
            limits.max_entry_bytes
        )
    } else if size > budget {
        format!(
            "the archive's decompressed total exceeds {} bytes",
            limits.max_total_bytes
        )
    } else {
        format!(
            "{compressed} compressed bytes inflate past {size} (ratio limit {})",
            limits.max_ratio
        )
    };
    ExtractError::Bomb(format!("{format} entry {name}: {why}"))
}

fn zip_error(format: &'static str, e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(m) if m.to_ascii_lowercase().contains("password") => {
            ExtractError::Encrypted(format)
        }
        ZipError::Io(e) => ExtractError::Malformed {
            format,
            message: format!("corrupt or truncated zip container: {e}"),
        },
        other => ExtractError::Malformed {
            format,
            message: format!("corrupt or truncated zip container: {other}"),
        },
    }
}
