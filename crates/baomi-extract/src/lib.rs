//! baomi-extract: reads draft documents into text segments, each tagged with
//! the part of the document it came from (body, comment, tracked deletion,
//! metadata, …), and reviews whole files with a [`baomi_core::Scanner`].
//!
//! Formats: plain text and Markdown, docx and odt (zip + XML, read here),
//! Word 97–2003 `.doc` and WPS Writer `.wps` (OLE2 compound files with a
//! `WordDocument` stream: the container through the `cfb` crate, the
//! [MS-DOC] text tables read here — see the `doc` module), spreadsheets —
//! xlsx and ods (zip + XML), xls and WPS et (BIFF8 records in an OLE2 file,
//! records read here) — pptx and odp presentations (zip + XML; binary .ppt
//! is refused with what to do), OFD (GB/T 33190: zip + XML read here,
//! embedded fonts' cmaps with ttf-parser to map glyph indices back to
//! text; see the `ofd` module), HTML (html5gum tokenizer), and PDF through
//! poppler's `pdftotext` run as a subprocess (see the `pdf` module for
//! why). The format is detected from the content first, the name second
//! ([`detect`]); an OLE2 file is dispatched by its directory (`ole`), so a
//! .doc renamed .bin is still read and an .xls named .doc is not misread.
//! Text in images — scanned PDF pages, image files, pictures inside zip
//! formats — is read by Tesseract (the [`ocr`] module) into part `ocr`.
//!
//! Spreadsheets of every format share one layout (one segment per sheet,
//! one line per row, tab-separated cells, `cell` = `Sheet!B3`, hidden rows,
//! columns and sheets as `hidden`); in presentations `page` is the slide
//! number.
//!
//! Extraction happens in memory and never writes anything to disk (a PDF is
//! piped to poppler); every size is capped (see [`Limits`]) so hostile files
//! cannot exhaust memory, helper programs run under memory, CPU and
//! size-scaled time limits, and every failure is an [`ExtractError`] that
//! [`review_file`] turns into an `error` verdict. Encrypted files (PDF,
//! OOXML, OpenDocument, .doc) are [`ExtractError::Encrypted`], which says so.
//!
//! ```
//! use baomi_extract::{review_bytes, Limits};
//! let scanner = baomi_core::Scanner::shipped();
//! let report = review_bytes("draft.txt", "关于…的通知\n机密★1年\n".as_bytes(), &scanner, &Limits::default());
//! assert_eq!(report.verdict, baomi_core::Verdict::Withhold);
//! assert_eq!(report.title.as_deref(), Some("关于…的通知"));
//! ```

mod child;
mod doc;
mod docx;
mod grid;
mod html;
/// The HTML element and attribute lists the extractor reads by.
pub mod html_syntax {
    pub use crate::html::{TEXT_ATTRIBUTES, VOID};
}
mod markup;
pub mod ocr;
mod odp;
mod ods;
mod odt;
mod ofd;
mod ole;
mod olecfprops;
mod oleprops;
mod ooxml;
mod pdf;
mod pptx;
mod props;
mod review;
mod scan;
mod story;
mod text;
mod xls;
mod xlsx;
mod xml;
mod zipread;

pub use baomi_core::meta::{find_doc_number, guess_title};
pub use ocr::{OcrEngine, OcrOptions, Tesseract};
pub use pdf::run_helper;
pub use review::{prepare_file, review_bytes, review_file, Prepared};
pub use scan::{scan_extracted, scan_segment};
pub use text::{decode_text, TextEncoding};
pub use zipread::Archive;

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
    /// Longest a helper program (poppler's pdftotext) may ever run before it
    /// is killed and the document reported as an error: the cap of the
    /// size-scaled limit below.
    pub subprocess_timeout: std::time::Duration,
    /// Time a helper program gets for any input, however small. A hostile
    /// 6 KB PDF whose content stream inflates without end must not hold a
    /// worker for the whole cap: its time is this plus
    /// `subprocess_time_per_mib` for each MiB of input.
    pub subprocess_time_base: std::time::Duration,
    /// Time added per MiB of input, so that a large real document gets the
    /// time it needs and a small hostile one is stopped in seconds.
    pub subprocess_time_per_mib: std::time::Duration,
    /// Address-space limit (`RLIMIT_AS`) of each helper program: a parser
    /// that allocates without end fails inside the child, not by taking the
    /// machine's memory from the scanner and the daemon's other files.
    pub subprocess_memory_bytes: u64,
    /// Reading text in images (scanned pages, image files, pictures in
    /// office files): on/off, engine, resolution, pages and time per file.
    pub ocr: OcrOptions,
}

impl Limits {
    /// The wall-clock limit for a helper program reading `input_len`
    /// bytes: `subprocess_time_base` plus `subprocess_time_per_mib` per MiB,
    /// at most `subprocess_timeout`. The child's CPU limit (`RLIMIT_CPU`) is
    /// the same number of seconds, rounded up, so a child that escapes the
    /// parent's watch (a parent killed mid-read) still stops.
    pub fn subprocess_time_for(&self, input_len: usize) -> std::time::Duration {
        let mib = input_len as f64 / (1u64 << 20) as f64;
        let scaled = self.subprocess_time_base + self.subprocess_time_per_mib.mul_f64(mib);
        scaled.min(self.subprocess_timeout)
    }
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
            subprocess_timeout: std::time::Duration::from_secs(120),
            subprocess_time_base: std::time::Duration::from_secs(5),
            subprocess_time_per_mib: std::time::Duration::from_secs(1),
            subprocess_memory_bytes: 1 << 30,
            ocr: OcrOptions::default(),
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
    Xlsx,
    /// Word 97–2003 binary (.doc) and WPS Writer (.wps): an OLE2 compound
    /// file with a `WordDocument` stream.
    Doc,
    /// Legacy Excel (.xls) and WPS Spreadsheets (.et): BIFF8 in OLE2.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// PowerPoint presentation (OOXML).
    Pptx,
    /// OpenDocument presentation.
    Odp,
    Ofd,
    /// A raster image (PNG, JPEG, TIFF, BMP), read by OCR.
    Image,
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
            Format::Xlsx => "xlsx",
            Format::Doc => "doc",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Pptx => "pptx",
            Format::Odp => "odp",
            Format::Ofd => "ofd",
            Format::Image => "image",
        }
    }
}

/// A piece of document text with where it came from.
///
/// Formats with paragraphs (docx, odt, html) put a whole part (the body, one
/// header, one comment) into one segment with paragraphs separated by `\n`,
/// so that a word Word split across runs is still one string and a finding's
/// line is its paragraph number (`paragraph_lines`). Finer locations — a
/// table cell, a tracked insertion inside a body paragraph — are
/// [`Region`]s: byte ranges of `text` whose info overrides the segment's for
/// findings that overlap them.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub info: SegmentInfo,
    pub text: String,
    /// Sub-ranges with a more precise location, sorted by start. Regions
    /// with a `part` do not overlap each other, nor do regions without one
    /// (table cells).
    pub regions: Vec<Region>,
    /// Keep only findings that overlap a region with a `part`: used for the
    /// "everything in the file" view of a paragraph with tracked deletions or
    /// hidden runs, whose visible text is already scanned as the body.
    pub regions_only: bool,
    /// Each line of `text` is one paragraph: findings get `paragraph = line`.
    pub paragraph_lines: bool,
    /// Text read by OCR: where each character sits on the scan, so that a
    /// finding gets the OCR line, column and box (see [`ocr`]).
    pub ocr: Option<std::sync::Arc<ocr::OcrMap>>,
}

impl Segment {
    /// A plain segment without regions.
    pub fn new(info: SegmentInfo, text: String) -> Self {
        Segment {
            info,
            text,
            regions: Vec::new(),
            regions_only: false,
            paragraph_lines: false,
            ocr: None,
        }
    }
}

/// A byte range of a segment's text with its own location details; the
/// fields that are `Some` override the segment's.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub range: std::ops::Range<usize>,
    pub info: SegmentInfo,
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

/// The note a format reader leaves for the pictures it holds: the OCR
/// pass that runs after every zip reader (`ocr::archive_images`) replaces
/// it with what it read, so the wording lives here, once.
const UNREAD_IMAGES: &str = "image(s) not read: text inside images is not scanned";

/// Whether `note` is a reader's [`Extracted::note_unread_images`] note.
pub(crate) fn is_unread_images_note(note: &str) -> bool {
    note.contains(UNREAD_IMAGES)
}

impl Extracted {
    /// Notes `count` pictures that this reader did not read (none: no note).
    pub(crate) fn note_unread_images(&mut self, count: usize) {
        if count > 0 {
            self.coverage.notes.push(format!("{count} {UNREAD_IMAGES}"));
        }
    }

    /// Records in the coverage that the body and every part that occurs
    /// (in a segment or in a region of one) were read.
    pub(crate) fn record_parts(&mut self) {
        self.coverage.saw(baomi_core::Part::Body);
        for seg in &self.segments {
            let regions = seg.regions.iter().filter_map(|r| r.info.part);
            for p in seg.info.part.into_iter().chain(regions) {
                self.coverage.saw(p);
            }
        }
    }
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
    Malformed {
        format: &'static str,
        message: String,
    },
    #[error("refused as a possible decompression bomb: {0}")]
    Bomb(String),
    #[error("encrypted or password-protected {0}: remove the protection and scan again")]
    Encrypted(&'static str),
    /// Zero bytes. Nothing in it could leak, but an empty draft is almost
    /// always a copy or save that failed: calling it `clear` would tell its
    /// author the document was reviewed when nothing was. So it fails
    /// closed, the same for `baomi scan`, the daemon and the HTTP API
    /// (every reader goes through [`extract`] or [`extract_owned`]).
    #[error("{}", baomi_core::EMPTY_DOCUMENT)]
    Empty,
    #[error("{0}")]
    Other(String),
}

/// Detects the format from the first bytes, then the extension.
///
/// Content wins over the name: a .docx renamed .doc, or a PDF without an
/// extension, is read as what it is. Zip containers are told apart by the
/// entry names visible in `head` (the first local headers); [`extract`]
/// confirms from the archive's directory.
pub fn detect(path: &Path, head: &[u8]) -> Result<Format, ExtractError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    // Readers accept the PDF header anywhere in the first 1024 bytes (after
    // junk such as a mail gateway's); a text file merely mentioning
    // "%PDF-" stays text.
    if let Some(at) = memchr::memmem::find(&head[..head.len().min(1024)], b"%PDF-") {
        let prefix = &head[..at];
        if at == 0 || prefix.contains(&0) || std::str::from_utf8(prefix).is_err() {
            return Ok(Format::Pdf);
        }
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        if ofd::is_ofd_head(head) {
            return Ok(Format::Ofd);
        }
        if has(b"mimetypeapplication/vnd.oasis.opendocument.text") {
            return Ok(Format::Odt);
        }
        if has(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet") {
            return Ok(Format::Ods);
        }
        if has(b"mimetypeapplication/vnd.oasis.opendocument.presentation") {
            return Ok(Format::Odp);
        }
        if has(b"mimetypeapplication/vnd.oasis.opendocument.") {
            // Text or not, encrypted or not: the archive decides in `extract`.
            return Ok(Format::Odt);
        }
        if has(b"word/") {
            return Ok(Format::Docx);
        }
        if has(b"xl/") {
            return Ok(Format::Xlsx);
        }
        if has(b"ppt/") {
            return Ok(Format::Pptx);
        }
        return match ext.as_str() {
            "docx" | "docm" | "dotx" => Ok(Format::Docx),
            "xlsx" | "xlsm" => Ok(Format::Xlsx),
            "odt" | "ott" => Ok(Format::Odt),
            "ods" | "ots" => Ok(Format::Ods),
            "odp" | "otp" => Ok(Format::Odp),
            "pptx" | "pptm" | "ppsx" | "potx" => Ok(Format::Pptx),
            "ofd" => Ok(Format::Ofd),
            // The directory decides in `extract`.
            _ => Ok(Format::Docx),
        };
    }
    if head.starts_with(&OLE2) {
        // The directory (not in `head`) decides; `extract` reads it.
        return match ext.as_str() {
            "doc" | "dot" | "wps" | "wpt" => Ok(Format::Doc),
            _ => Err(ExtractError::Unsupported(
                "legacy OLE2 document (.xls/.et/.ppt or other): save it as .docx/.xlsx or PDF and scan again"
                    .into(),
            )),
        };
    }
    if head.starts_with(b"\x89PNG")
        || head.starts_with(b"\xFF\xD8\xFF")
        || head.starts_with(b"II*\x00")
        || head.starts_with(b"MM\x00*")
        || head.starts_with(b"BM") && matches!(ext.as_str(), "bmp" | "dib")
    {
        return Ok(Format::Image);
    }
    for (magic, what) in [
        (&b"GIF8"[..], "GIF image"),
        (b"{\\rtf", "RTF document"),
        (b"Rar!", "RAR archive"),
        (b"7z\xBC\xAF", "7z archive"),
        (b"\x1F\x8B", "gzip archive"),
    ] {
        if head.starts_with(magic) {
            let hint = if what.ends_with("image") {
                "text in images needs OCR or manual review"
            } else if what.starts_with("RTF") {
                "save it as .docx or PDF and scan again"
            } else {
                "unpack it and scan the files inside"
            };
            return Err(ExtractError::Unsupported(format!("{what}: {hint}")));
        }
    }
    if looks_like_html(head) {
        return Ok(Format::Html);
    }
    Ok(match ext.as_str() {
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" | "xhtml" | "shtml" => Format::Html,
        "docx" | "odt" | "pdf" | "doc" | "wps" | "xlsx" | "pptx" | "xls" | "et" | "ods" | "ppt"
        | "dps" | "odp" | "ofd" | "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" => {
            return Err(ExtractError::Unsupported(format!(
                "the file is named .{ext} but its content is not a valid {ext} file (damaged or renamed)"
            )))
        }
        _ => Format::Text,
    })
}

const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn unsupported_odf(head: &[u8]) -> ExtractError {
    let kind = if head.windows(11).any(|w| w == b"spreadsheet") {
        "OpenDocument spreadsheet (.ods)"
    } else if head.windows(12).any(|w| w == b"presentation") {
        "OpenDocument presentation (.odp)"
    } else {
        "OpenDocument file other than a text document"
    };
    ExtractError::Unsupported(format!("{kind}: export it to PDF and scan it"))
}

/// HTML by content: after a BOM and white space, a doctype, `<html`, or a
/// comment followed by one of those.
fn looks_like_html(head: &[u8]) -> bool {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let sample = &head[..head.len().min(1024)];
    let lower: Vec<u8> = sample.iter().map(u8::to_ascii_lowercase).collect();
    let start = lower
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(lower.len());
    let rest = &lower[start..];
    rest.starts_with(b"<!doctype html")
        || rest.starts_with(b"<html")
        || (rest.starts_with(b"<!--") || rest.starts_with(b"<?xml"))
            && (lower.windows(14).any(|w| w == b"<!doctype html")
                || lower.windows(5).any(|w| w == b"<html"))
}

/// Like [`extract`], but takes ownership of the bytes so that a UTF-8 text
/// file becomes its text without a copy (plain text is most of what a
/// folder scan reads, and a copy of a large file costs as much as reading it).
pub fn extract_owned(
    path: &Path,
    bytes: Vec<u8>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    match take_plain_utf8(path, bytes) {
        Ok(extracted) => Ok(extracted),
        Err(bytes) => extract(path, &bytes, limits),
    }
}

/// A plain-text or Markdown file in UTF-8 as its document, whose one
/// segment's text is `bytes` unchanged (taken over, not copied); any other
/// file's bytes (an empty or unknown one too) are handed back for
/// [`extract`], which reads or refuses them.
pub(crate) fn take_plain_utf8(path: &Path, bytes: Vec<u8>) -> Result<Extracted, Vec<u8>> {
    if bytes.is_empty() || bytes.starts_with(&OLE2) {
        return Err(bytes);
    }
    match detect(path, &bytes[..bytes.len().min(4096)]) {
        Ok(format @ (Format::Text | Format::Markdown)) => {
            text::utf8_text(bytes).map(|text| plain_text(text, TextEncoding::Utf8, format))
        }
        _ => Err(bytes),
    }
}

/// A plain-text or Markdown document: one body segment.
fn plain_text(text: String, encoding: TextEncoding, format: Format) -> Extracted {
    let mut ex = Extracted::default();
    if encoding != TextEncoding::Utf8 {
        ex.coverage
            .notes
            .push(format!("decoded as {}", encoding.name()));
    }
    ex.title = guess_title(&text, format == Format::Markdown);
    ex.coverage.saw(baomi_core::Part::Body);
    ex.segments
        .push(Segment::new(SegmentInfo::new(baomi_core::Part::Body), text));
    ex
}

/// Extracts the segments of an in-memory document.
///
/// A document of zero bytes is [`ExtractError::Empty`], whatever its name.
pub fn extract(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    if bytes.starts_with(&OLE2) {
        // Word, WPS, Excel, PowerPoint binaries and encrypted OOXML: the
        // container's directory says which.
        return ole::extract(path, bytes, limits);
    }
    let format = detect(path, &bytes[..bytes.len().min(4096)])?;
    match format {
        Format::Text | Format::Markdown => {
            let (text, encoding) = decode_text(bytes)?;
            Ok(plain_text(text, encoding, format))
        }
        Format::Docx
        | Format::Odt
        | Format::Xlsx
        | Format::Ods
        | Format::Pptx
        | Format::Odp
        | Format::Ofd => {
            let mut archive = zipread::Archive::open(bytes, format.name(), limits)?;
            let mut ex = extract_zip(&mut archive, limits)?;
            // Pictures in the container, whatever the format: one pass.
            ocr::archive_images(&mut archive, &mut ex, limits);
            Ok(ex)
        }
        Format::Image => ocr::extract_image(bytes, limits),
        Format::Pdf => pdf::extract(bytes, limits),
        Format::Html => html::extract(bytes, limits),
        // Reached only for OLE2 content, handled above.
        Format::Doc | Format::Xls => ole::extract(path, bytes, limits),
    }
}

/// WPS Spreadsheets names its BIFF8 workbooks .et (templates .ett); only
/// the name in messages differs from .xls.
pub(crate) fn is_et(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "et" | "ett"))
}

/// Reads a zip container with the reader of the format its directory
/// says (also for documents embedded in documents).
fn extract_zip(
    archive: &mut zipread::Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    match zip_kind(archive)? {
        Format::Ofd => ofd::extract(archive, limits),
        Format::Odt => odt::extract(archive, limits),
        Format::Xlsx => xlsx::extract(archive, limits),
        Format::Ods => ods::extract(archive, limits),
        Format::Pptx => pptx::extract(archive, limits),
        Format::Odp => odp::extract(archive, limits),
        _ => docx::extract(archive, limits),
    }
}

/// An OpenDocument file saved with a password keeps its `mimetype` and
/// manifest in the clear but encrypts content.xml (AES): reading it would
/// fail as "invalid UTF-8", which tells the user nothing. The manifest's
/// `manifest:encryption-data` says it is encrypted.
fn encrypted_odf(archive: &mut zipread::Archive<'_>, mimetype: &str) -> Result<(), ExtractError> {
    let Some(manifest) = archive.read("META-INF/manifest.xml")? else {
        return Ok(());
    };
    if memchr::memmem::find(&manifest, b"encryption-data").is_none() {
        return Ok(());
    }
    let kind = match mimetype.strip_prefix("application/vnd.oasis.opendocument.") {
        Some(t) if t.starts_with("text") => "OpenDocument text (.odt)",
        Some(t) if t.starts_with("spreadsheet") => "OpenDocument spreadsheet (.ods)",
        Some(t) if t.starts_with("presentation") => "OpenDocument presentation (.odp)",
        _ => "OpenDocument file",
    };
    Err(ExtractError::Encrypted(kind))
}

/// Tells a docx from an odt (or an unsupported container) by its directory.
fn zip_kind(archive: &mut zipread::Archive<'_>) -> Result<Format, ExtractError> {
    if archive.contains("OFD.xml") {
        return Ok(Format::Ofd);
    }
    if archive.contains("mimetype") {
        let m = archive.read("mimetype")?.unwrap_or_default();
        let m = String::from_utf8_lossy(&m).trim().to_string();
        if m.starts_with("application/vnd.oasis.opendocument.") {
            encrypted_odf(archive, &m)?;
        }
        return match m.as_str() {
            "application/vnd.oasis.opendocument.text"
            | "application/vnd.oasis.opendocument.text-template"
            | "application/vnd.oasis.opendocument.text-master" => Ok(Format::Odt),
            "application/vnd.oasis.opendocument.spreadsheet"
            | "application/vnd.oasis.opendocument.spreadsheet-template" => Ok(Format::Ods),
            "application/vnd.oasis.opendocument.presentation"
            | "application/vnd.oasis.opendocument.presentation-template" => Ok(Format::Odp),
            other if other.starts_with("application/vnd.oasis.opendocument.") => {
                Err(unsupported_odf(other.as_bytes()))
            }
            "application/epub+zip" => Err(ExtractError::Unsupported(
                "EPUB book: export it to PDF and scan it".into(),
            )),
            _ => Err(ExtractError::Unsupported(format!(
                "zip container of type {m:?}"
            ))),
        };
    }
    let names = archive.names();
    if names.iter().any(|n| n.starts_with("word/"))
        || archive.contains("[Content_Types].xml")
            && names.iter().any(|n| n.ends_with("document.xml"))
    {
        return Ok(Format::Docx);
    }
    if names.iter().any(|n| n.starts_with("xl/")) {
        return Ok(Format::Xlsx);
    }
    if names.iter().any(|n| n.starts_with("ppt/")) {
        return Ok(Format::Pptx);
    }
    Err(ExtractError::Unsupported(
        "a zip archive that is not a Word or OpenDocument text: unpack it and scan the files inside".into(),
    ))
}
