//! baomi-extract: reads draft documents into text segments, each tagged with
//! the part of the document it came from (body, comment, tracked deletion,
//! metadata, …), and reviews whole files with a [`baomi_core::Scanner`].
//!
//! Extraction happens in memory and never writes anything to disk; every
//! size is capped (see [`Limits`]) so hostile files cannot exhaust memory.
//!
//! ```
//! use baomi_extract::{review_bytes, Limits};
//! let scanner = baomi_core::Scanner::shipped();
//! let report = review_bytes("draft.txt", "关于…的通知\n机密★1年\n".as_bytes(), &scanner, &Limits::default());
//! assert_eq!(report.verdict, baomi_core::Verdict::Withhold);
//! assert_eq!(report.title.as_deref(), Some("关于…的通知"));
//! ```

mod meta;
mod review;
mod text;

pub use meta::{find_doc_number, guess_title};
pub use review::{review_bytes, review_file};
pub use text::{decode_text, TextEncoding};

use baomi_core::{Coverage, SegmentInfo};
use std::path::Path;

/// Caps that keep extraction bounded whatever the input claims.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest file accepted at all.
    pub max_file_bytes: u64,
    /// Files up to this size are read into memory; larger plain-text files
    /// are streamed.
    pub max_in_memory_bytes: u64,
    /// Largest decompressed size of one archive entry (docx/odt) or stream (pdf).
    pub max_entry_bytes: u64,
    /// Largest decompressed size of all entries of one archive together.
    pub max_total_bytes: u64,
    /// Largest number of entries in one archive.
    pub max_entries: usize,
    /// Largest decompressed/compressed ratio of one entry (zip bombs).
    pub max_ratio: u64,
    /// Deepest XML nesting accepted.
    pub max_xml_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 2 << 30,
            max_in_memory_bytes: 256 << 20,
            max_entry_bytes: 256 << 20,
            max_total_bytes: 512 << 20,
            max_entries: 10_000,
            max_ratio: 200,
            max_xml_depth: 256,
        }
    }
}

/// Document formats baomi reads, detected from content first, extension second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Docx,
    Odt,
    Pdf,
    Html,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Pdf => "pdf",
            Format::Html => "html",
        }
    }
}

/// A piece of document text with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub info: SegmentInfo,
    pub text: String,
}

/// Everything extracted from one document.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub segments: Vec<Segment>,
    /// Title from the document itself (metadata title, first heading, …).
    pub title: Option<String>,
    /// What was read, and what could not be.
    pub coverage: Coverage,
}

/// Why a document could not be read. Messages say what went wrong and what
/// to do; the path is added by the caller.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported format: {0}")]
    Unsupported(String),
    #[error("binary content, not text: {0}")]
    Binary(String),
    #[error("cannot decode text: {0}")]
    Encoding(String),
    #[error("file is too large: {size} bytes (limit {limit}); split it or raise the limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("malformed {format}: {message}")]
    Malformed { format: &'static str, message: String },
    #[error("refused as a possible decompression bomb: {0}")]
    Bomb(String),
    #[error("encrypted or password-protected {0}: remove the protection and scan again")]
    Encrypted(&'static str),
    #[error("{0}")]
    Other(String),
}

/// Detects the format from the first bytes, then the extension.
pub fn detect(path: &Path, head: &[u8]) -> Result<Format, ExtractError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if head.starts_with(b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Err(ExtractError::Unsupported(format!(
            "zip-based document (.{ext}) is not read yet; convert it to text or PDF"
        )));
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(ExtractError::Unsupported(
            "legacy OLE2 document (.doc/.wps/.xls): save it as .docx or PDF and scan again".into(),
        ));
    }
    Ok(match ext.as_str() {
        "md" | "markdown" => Format::Markdown,
        _ => Format::Text,
    })
}

/// Extracts the segments of an in-memory document.
pub fn extract(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let _ = limits;
    let format = detect(path, &bytes[..bytes.len().min(4096)])?;
    match format {
        Format::Text | Format::Markdown => {
            let (text, encoding) = decode_text(bytes)?;
            let mut ex = Extracted::default();
            if encoding != TextEncoding::Utf8 {
                ex.coverage.notes.push(format!("decoded as {}", encoding.name()));
            }
            ex.title = guess_title(&text, format == Format::Markdown);
            ex.coverage.saw(baomi_core::Part::Body);
            ex.segments.push(Segment {
                info: SegmentInfo::new(baomi_core::Part::Body),
                text,
            });
            Ok(ex)
        }
        other => Err(ExtractError::Unsupported(format!("{} is not read yet", other.name()))),
    }
}
