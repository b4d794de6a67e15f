//! OLE2 compound files (the container of .doc, .wps, .xls, .et, .ppt and of
//! password-protected OOXML): which kind of document is inside, and the
//! bounded reading of its streams.
//!
//! The container itself is read by the `cfb` crate (also the container
//! reader of calamine): it validates the FAT on open (a sector pointed to
//! twice or a chain that loops back is an error, so a cyclic chain cannot
//! make a read run forever) and reads a stream through its sector chain, so
//! a stream can never be longer than the file. Every read here is still
//! capped by [`Limits::max_entry_bytes`], and a panic inside the parser (there
//! should be none) is caught and reported as a malformed file rather than
//! taking the worker down.

use crate::{ExtractError, Extracted, Limits};
use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The format name used in errors about a container that is not readable.
pub(crate) const FORMAT: &str = "legacy OLE2 document";

pub(crate) type Compound<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

/// Opens the container; a damaged one is a [`ExtractError::Malformed`] that
/// says what to do.
pub(crate) fn open(bytes: &[u8]) -> Result<Compound<'_>, ExtractError> {
    let opened = catch_unwind(AssertUnwindSafe(|| {
        cfb::CompoundFile::open(Cursor::new(bytes))
    }));
    match opened {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(damaged(&e.to_string())),
        Err(_) => Err(damaged("the container reader gave up")),
    }
}

fn damaged(why: &str) -> ExtractError {
    ExtractError::Malformed {
        format: FORMAT,
        message: format!(
            "not a readable compound file ({why}): the file is truncated or damaged; open it in the program that made it (Word, WPS, Excel) and save it as .docx/.xlsx or PDF, then scan again"
        ),
    }
}

/// Reads one stream, or `None` when there is no such stream. Streams longer
/// than `limits.max_entry_bytes` are refused, not truncated: a reader must
/// not report a part as read when it was cut.
pub(crate) fn read_stream(
    comp: &mut Compound<'_>,
    name: &str,
    format: &'static str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    if !comp.is_stream(name) {
        return Ok(None);
    }
    let read = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<(Vec<u8>, bool)> {
        let stream = comp.open_stream(name)?;
        let mut buf = Vec::new();
        stream
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut buf)?;
        let over = buf.len() as u64 > limits.max_entry_bytes;
        Ok((buf, over))
    }));
    match read {
        Ok(Ok((_, true))) => Err(ExtractError::TooLarge {
            size: limits.max_entry_bytes + 1,
            limit: limits.max_entry_bytes,
        }),
        Ok(Ok((buf, false))) => Ok(Some(buf)),
        Ok(Err(e)) => Err(ExtractError::Malformed {
            format,
            message: format!(
                "stream {name:?} cannot be read ({e}): the file is truncated or damaged; open it and save it again"
            ),
        }),
        Err(_) => Err(ExtractError::Malformed {
            format,
            message: format!("stream {name:?} cannot be read: the file is damaged"),
        }),
    }
}

/// Names of the entries (streams and storages) directly under the root.
pub(crate) fn root_names(comp: &Compound<'_>) -> Vec<String> {
    comp.read_root_storage()
        .map(|e| e.name().to_string())
        .collect()
}

/// Reads an OLE2 file: a Word binary document (.doc, .wps) by the `doc`
/// module; a password-protected OOXML file is `Encrypted`; anything else
/// stays unsupported with a message that names it.
pub(crate) fn extract(
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut comp = open(bytes)?;
    let names = root_names(&comp);
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("EncryptionInfo") || has("EncryptedPackage") {
        // Office wraps a password-protected .docx/.xlsx in an OLE2 file.
        return Err(ExtractError::Encrypted(
            "Office document (password-protected OOXML)",
        ));
    }
    if has("WordDocument") {
        return crate::doc::extract(&mut comp, doc_format_name(path), limits);
    }
    Err(ExtractError::Unsupported(
        "legacy OLE2 document (.xls/.et/.ppt or other) that is not a Word document: save it as .docx/.xlsx or PDF and scan again"
            .into(),
    ))
}

/// The name a Word binary file goes by in messages: WPS Writer saves its
/// .wps files in the same Word 97–2003 format, so only the name differs.
fn doc_format_name(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("wps" | "wpt") => "WPS Writer document (.wps)",
        _ => "Word 97-2003 document (.doc)",
    }
}
