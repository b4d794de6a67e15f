//! Reviewing a whole file: read, detect, extract, scan every segment, and
//! assemble the [`DocumentReport`], failing closed on anything unreadable.

use crate::text::{stream_text, TextSink};
use crate::{
    detect, extract, find_doc_number, guess_title, ExtractError, Extracted, Format, Limits,
};
use baomi_core::{DocumentReport, Finding, Part, Scanner, SegmentInfo, StreamScan, Verdict};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// The SHA-256 of a file read: known, or (for a large UTF-8 text, whose one
/// segment holds exactly the file's bytes) computed from that segment while
/// it is scanned, so that the scan need not wait for the hash: for a 20 MB
/// text the hash was a third of the time from start to first scan.
enum Hash {
    Known(String),
    OfText,
}

/// Texts at least this large are hashed while they are scanned (below it a
/// thread costs more than it saves).
const HASH_BESIDE_SCAN_BYTES: usize = 1 << 20;

/// Reviews one file on disk. Never panics on bad input and never returns
/// `clear` for something that was not fully read: every failure is an
/// `error` report whose message names the file and what to do.
pub fn review_file(path: &Path, scanner: &Scanner, limits: &Limits) -> DocumentReport {
    prepare_file(path, limits).review(scanner, limits)
}

/// A file read and extracted but not yet scanned. Reading needs no scanner,
/// so a caller can read the first file while the scanner is being built.
pub struct Prepared(Stage);

enum Stage {
    Read {
        name: String,
        sha256: Hash,
        extracted: Extracted,
    },
    Failed(DocumentReport),
    /// Plain text too large to hold in memory: streamed through the
    /// scanner when reviewed.
    Large(PathBuf),
}

impl Prepared {
    /// Scans what was read (or streams a large text file) into its report.
    pub fn review(self, scanner: &Scanner, limits: &Limits) -> DocumentReport {
        match self.0 {
            Stage::Read {
                name,
                sha256,
                extracted,
            } => match sha256 {
                Hash::Known(sha256) => assemble(&name, sha256, extracted, scanner),
                Hash::OfText => {
                    let (sha256, findings) = std::thread::scope(|s| {
                        let text = extracted.segments[0].text.as_bytes();
                        let hash = s.spawn(|| sha256_hex(text));
                        let findings = crate::scan_extracted(&extracted, scanner);
                        let sha256 = hash.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                        (sha256, findings)
                    });
                    report_of(&name, sha256, extracted, findings)
                }
            },
            Stage::Failed(report) => report,
            Stage::Large(path) => {
                let shown = path.display().to_string();
                let streamed = File::open(&path)
                    .map_err(|e| (String::new(), e.into()))
                    .and_then(|mut file| review_large_text(&path, &mut file, scanner, limits));
                streamed.unwrap_or_else(|(sha, e)| {
                    DocumentReport::failed(shown.clone(), sha, format!("{shown}: {e}"))
                })
            }
        }
    }
}

/// Reads and extracts one file; see [`review_file`].
pub fn prepare_file(path: &Path, limits: &Limits) -> Prepared {
    let shown = path.display().to_string();
    let no_sha = |e: ExtractError| {
        let report = DocumentReport::failed(shown.clone(), "", format!("{shown}: {e}"));
        Prepared(Stage::Failed(report))
    };
    let not_regular = || {
        ExtractError::Unsupported("not a regular file (a folder, device, FIFO or socket)".into())
    };
    // Look before opening: opening a FIFO would block until a writer came.
    match std::fs::metadata(path) {
        Err(e) => return no_sha(e.into()),
        Ok(kind) if !kind.is_file() => return no_sha(not_regular()),
        Ok(_) => {}
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return no_sha(e.into()),
    };
    let meta = match file.metadata() {
        Ok(m) if !m.is_file() => return no_sha(not_regular()),
        Ok(m) => m,
        Err(e) => return no_sha(e.into()),
    };
    if meta.len() > limits.max_file_bytes {
        return no_sha(ExtractError::TooLarge {
            size: meta.len(),
            limit: limits.max_file_bytes,
        });
    }
    if meta.len() > limits.max_in_memory_bytes {
        return Prepared(Stage::Large(path.to_path_buf()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    if let Err(e) = (&mut file)
        .take(limits.max_in_memory_bytes + 1)
        .read_to_end(&mut bytes)
    {
        return no_sha(e.into());
    }
    if bytes.len() as u64 > limits.max_in_memory_bytes {
        // The file grew while we read it: stream it instead.
        return Prepared(Stage::Large(path.to_path_buf()));
    }
    // A large UTF-8 text is hashed while it is scanned (see [`Hash`]).
    let small = bytes.len() < HASH_BESIDE_SCAN_BYTES;
    let early = small.then(|| sha256_hex(&bytes));
    let bytes = match crate::take_plain_utf8(path, bytes) {
        Ok(extracted) => {
            return Prepared(Stage::Read {
                name: shown,
                sha256: early.map_or(Hash::OfText, Hash::Known),
                extracted,
            })
        }
        Err(bytes) => bytes,
    };
    let sha256 = early.unwrap_or_else(|| sha256_hex(&bytes));
    Prepared(match crate::extract(path, &bytes, limits) {
        Ok(extracted) => Stage::Read {
            name: shown,
            sha256: Hash::Known(sha256),
            extracted,
        },
        Err(e) => Stage::Failed(DocumentReport::failed(
            shown.clone(),
            sha256,
            format!("{shown}: {e}"),
        )),
    })
}

/// Hex SHA-256 of a byte string.
fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reviews a document held in memory (an HTTP upload, a file already read).
/// `name` is used for format detection by extension and in messages.
pub fn review_bytes(
    name: &str,
    bytes: &[u8],
    scanner: &Scanner,
    limits: &Limits,
) -> DocumentReport {
    let sha = sha256_hex(bytes);
    match extract(Path::new(name), bytes, limits) {
        Ok(ex) => assemble(name, sha, ex, scanner),
        Err(e) => DocumentReport::failed(name, sha, format!("{name}: {e}")),
    }
}

fn assemble(name: &str, sha256: String, ex: Extracted, scanner: &Scanner) -> DocumentReport {
    let findings = crate::scan_extracted(&ex, scanner);
    report_of(name, sha256, ex, findings)
}

/// The report of `ex`, whose findings are `findings`.
fn report_of(name: &str, sha256: String, ex: Extracted, findings: Vec<Finding>) -> DocumentReport {
    let body = || {
        ex.segments
            .iter()
            .filter(|s| s.info.part == Some(Part::Body))
    };
    // OCR text is searched line by line as on the page (its segment text
    // joins the lines of a paragraph).
    let ocr_lines = || {
        ex.segments
            .iter()
            .filter_map(|s| s.ocr.as_ref())
            .map(|m| m.lines.as_str())
    };
    let doc_number = body()
        .chain(ex.segments.iter().filter(|s| s.ocr.is_none()))
        .map(|s| s.text.as_str())
        .chain(ocr_lines())
        .find_map(find_doc_number);
    let title = ex
        .title
        .clone()
        .or_else(|| body().find_map(|s| guess_title(&s.text, false)))
        .or_else(|| ocr_lines().find_map(|t| guess_title(t, false)));
    let mut report = DocumentReport {
        path: name.to_string(),
        sha256,
        title,
        doc_number,
        verdict: Verdict::Error,
        coverage: ex.coverage,
        findings,
        error: None,
    };
    report.decide();
    report
}

/// Plain text too large to hold in memory: hash it in one pass, then stream
/// it through the scanner in bounded memory.
fn review_large_text(
    path: &Path,
    file: &mut File,
    scanner: &Scanner,
    limits: &Limits,
) -> Result<DocumentReport, (String, ExtractError)> {
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    file.rewind().map_err(|e| (String::new(), e.into()))?;
    loop {
        let n = file.read(&mut buf).map_err(|e| (String::new(), e.into()))?;
        if n == 0 {
            break;
        }
        if head.len() < 4096 {
            head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
        }
        hasher.update(&buf[..n]);
    }
    let sha = hex(&hasher.finalize());
    let format = detect(path, &head).map_err(|e| (sha.clone(), e))?;
    if !matches!(format, Format::Text | Format::Markdown) {
        return Err((
            sha,
            ExtractError::TooLarge {
                size: file.metadata().map(|m| m.len()).unwrap_or(0),
                limit: limits.max_in_memory_bytes,
            },
        ));
    }
    struct Sink<'a> {
        scanner: &'a Scanner,
        scan: StreamScan<'a>,
        head: String,
    }
    impl TextSink for Sink<'_> {
        fn text(&mut self, text: &str) {
            if self.head.len() < 16 << 10 {
                let end = text.char_indices().nth(4000).map_or(text.len(), |(i, _)| i);
                self.head.push_str(&text[..end]);
            }
            self.scan.push(text);
        }
        fn restart(&mut self) {
            self.scan = StreamScan::new(self.scanner, SegmentInfo::new(Part::Body));
            self.head.clear();
        }
    }
    let mut sink = Sink {
        scanner,
        scan: StreamScan::new(scanner, SegmentInfo::new(Part::Body)),
        head: String::new(),
    };
    let encoding = stream_text(file, &mut sink).map_err(|e| (sha.clone(), e))?;
    let result = sink.scan.finish();
    let mut report = DocumentReport {
        path: path.display().to_string(),
        sha256: sha,
        title: guess_title(&sink.head, format == Format::Markdown),
        doc_number: find_doc_number(&sink.head),
        verdict: Verdict::Error,
        coverage: Default::default(),
        findings: result.findings,
        error: None,
    };
    report.coverage.saw(Part::Body);
    if encoding != crate::TextEncoding::Utf8 {
        report
            .coverage
            .notes
            .push(format!("decoded as {}", encoding.name()));
    }
    if result.dropped > 0 {
        report.coverage.notes.push(format!(
            "{} further findings were not listed (cap reached)",
            result.dropped
        ));
    }
    report.decide();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn large_text_is_streamed_with_the_same_findings() {
        let scanner = Scanner::shipped();
        let mut f = tempfile::NamedTempFile::with_suffix(".txt").unwrap();
        let line = "普通的一行文字，没有任何问题。\n";
        for _ in 0..2000 {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.write_all("本件机密★1年\n".as_bytes()).unwrap();
        f.flush().unwrap();
        let small = Limits {
            max_in_memory_bytes: 1024,
            ..Limits::default()
        };
        let streamed = review_file(f.path(), &scanner, &small);
        let whole = review_file(f.path(), &scanner, &Limits::default());
        assert_eq!(streamed.verdict, Verdict::Withhold);
        assert_eq!(streamed.findings, whole.findings);
        assert_eq!(streamed.findings[0].location.line, 2001);
        assert_eq!(streamed.sha256, whole.sha256);
    }

    #[test]
    fn unreadable_inputs_are_errors_naming_the_file() {
        let scanner = Scanner::shipped();
        let r = review_file(Path::new("/no/such/file.txt"), &scanner, &Limits::default());
        assert_eq!(r.verdict, Verdict::Error);
        assert!(r
            .error
            .unwrap()
            .starts_with("/no/such/file.txt: cannot read file"));
        let dir = tempfile::tempdir().unwrap();
        let r = review_file(dir.path(), &scanner, &Limits::default());
        assert_eq!(r.verdict, Verdict::Error);
        let r = review_bytes(
            "x.doc",
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
            &scanner,
            &Limits::default(),
        );
        assert!(r.error.unwrap().contains("save it as .docx"));
    }

    #[test]
    fn a_large_file_reports_the_hash_of_its_bytes_however_it_was_decoded() {
        // Above HASH_BESIDE_SCAN_BYTES a UTF-8 text is hashed while it is
        // scanned; a BOM or another encoding is hashed before decoding.
        let scanner = Scanner::shipped();
        let limits = Limits::default();
        let dir = tempfile::tempdir().unwrap();
        let line = "关于做好年度工作的通知，联系人手机13812345678。\n";
        let text = line.repeat(2 * HASH_BESIDE_SCAN_BYTES / line.len());
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        for (name, bytes) in [
            ("utf8.txt", text.as_bytes()),
            ("bom.txt", &bom[..]),
            ("gbk.txt", &gbk[..]),
        ] {
            assert!(bytes.len() > HASH_BESIDE_SCAN_BYTES);
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let r = review_file(&p, &scanner, &limits);
            assert_eq!(r.sha256, sha256_hex(bytes), "{name}");
            assert_eq!(r.verdict, Verdict::Review, "{name}");
            assert!(
                r.findings.iter().any(|f| &*f.rule == "personal.mobile"),
                "{name}"
            );
        }
    }

    #[test]
    fn an_empty_file_is_an_error_on_every_path_never_clear() {
        let scanner = Scanner::shipped();
        let limits = Limits::default();
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.txt", "b.docx", "c.pdf", "d.html", "e"] {
            let p = dir.path().join(name);
            std::fs::write(&p, b"").unwrap();
            for r in [
                review_file(&p, &scanner, &limits),
                review_bytes(name, b"", &scanner, &limits),
            ] {
                assert_eq!(r.verdict, Verdict::Error, "{name}: {r:?}");
                assert!(!r.coverage.complete, "{name}");
                let e = r.error.unwrap();
                assert!(e.contains("the file is empty (0 bytes)"), "{e}");
                assert_eq!(r.sha256, sha256_hex(b""), "it was read: its hash is known");
            }
        }
        // One byte is a document (white space: nothing found, clear).
        assert_eq!(
            review_bytes("f.txt", b"\n", &scanner, &limits).verdict,
            Verdict::Clear
        );
    }
}
