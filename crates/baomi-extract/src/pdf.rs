//! PDF: the text layer of every page, read by poppler's `pdftotext` run as a
//! subprocess, and the document information by `pdfinfo`.
//!
//! Why a subprocess: Chinese official PDFs often use predefined CJK CMaps
//! (GBK-EUC-H, UniGB-UCS2-H) with non-embedded fonts and no ToUnicode map.
//! The pure-Rust readers panic or produce nothing on those, while poppler
//! (with `poppler-data`) maps them correctly. A subprocess also isolates a
//! parser crash from the scanner: it becomes an `error` verdict. The PDF is
//! piped in through standard input (`fd://0`), so nothing is written to
//! disk; the child is killed when it runs past the time limit, and its
//! output is capped.
//!
//! Every child runs with `RLIMIT_AS` (memory) and `RLIMIT_CPU` (CPU time)
//! set in the child before `exec` (the `child` module), and its wall-clock
//! limit scales with the input's size ([`Limits::subprocess_time_for`]): a
//! small hostile PDF (a content stream that inflates without end) is an
//! error within seconds and at most about 1 GiB, while the daemon keeps
//! reading other files.

pub(crate) use crate::child::ChildLimits;
use crate::child::{self, ChildOutput, RunError};
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use std::process::Command;

const FORMAT: &str = "pdf";

pub(crate) fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let cap = limits.max_entry_bytes as usize;
    let child = ChildLimits::for_input(limits, bytes.len());
    let info = run_tool(
        "pdfinfo",
        &["-enc", "UTF-8", "fd://0"],
        bytes,
        &child,
        1 << 20,
    )?;
    let info_text = String::from_utf8_lossy(&info.stdout).into_owned();
    if !info.success {
        return Err(tool_failure(&info));
    }
    let text = run_tool(
        "pdftotext",
        &["-enc", "UTF-8", "-eol", "unix", "fd://0", "-"],
        bytes,
        &child,
        cap,
    )?;
    if !text.success {
        return Err(tool_failure(&text));
    }
    if text.truncated {
        return Err(ExtractError::TooLarge {
            size: text.stdout.len() as u64,
            limit: cap as u64,
        });
    }
    let out = String::from_utf8_lossy(&text.stdout);
    let declared_pages = field(&info_text, "Pages").and_then(|p| p.parse::<u32>().ok());
    pages_to_extracted(&out, declared_pages, &info_text, |empty, ex| {
        // Pages without a text layer, and typed pages showing a large image
        // (a scanned attachment), are read by OCR.
        let images = crate::ocr::pdf_image_pages(bytes, page_area(&info_text), limits);
        let cannot = crate::ocr::pdf_pages(bytes, empty, &images, limits, ex);
        crate::ocr::finish(ex);
        cannot
    })
}

/// The area of the first page in square points (`Page size: W x H pts`).
fn page_area(info: &str) -> f64 {
    let Some(size) = field(info, "Page size") else {
        return 0.0;
    };
    let mut it = size.split_whitespace();
    let w = it.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let h = it.nth(1).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    w * h
}

/// Splits pdftotext output into pages (form feed after each page) and hands
/// pages without a text layer to `read_images` (OCR), which adds their
/// segments or records them as gaps.
fn pages_to_extracted(
    out: &str,
    declared_pages: Option<u32>,
    info_text: &str,
    read_images: impl FnOnce(&[u32], &mut Extracted) -> Option<String>,
) -> Result<Extracted, ExtractError> {
    let mut ex = Extracted::default();
    let mut pages: Vec<&str> = out.split('\u{c}').collect();
    // pdftotext ends every page with a form feed: the last piece is empty.
    if pages.last().is_some_and(|p| p.trim().is_empty()) && pages.len() > 1 {
        pages.pop();
    }
    if let Some(n) = declared_pages {
        pages.truncate(n as usize);
    }
    let mut empty = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let number = i as u32 + 1;
        if page.trim().is_empty() {
            empty.push(number);
            continue;
        }
        ex.segments.push(Segment::new(
            SegmentInfo {
                page: Some(number),
                ..SegmentInfo::new(Part::Body)
            },
            page.trim_end().to_string(),
        ));
    }
    for (key, detail) in [
        ("Title", "Title"),
        ("Subject", "Subject"),
        ("Keywords", "Keywords"),
        ("Author", "Author"),
        ("Creator", "Creator"),
        ("Producer", "Producer"),
    ] {
        if let Some(v) = field(info_text, key).filter(|v| !v.is_empty()) {
            if key == "Title" {
                ex.title = Some(v.to_string());
            }
            ex.segments.push(Segment::new(
                SegmentInfo {
                    detail: Some(format!("document info: {detail}")),
                    ..SegmentInfo::new(Part::Metadata)
                },
                v.to_string(),
            ));
        }
    }
    let with_text = pages.len() - empty.len();
    let cannot_ocr = read_images(&empty, &mut ex);
    if with_text == 0 {
        if let Some(why) =
            cannot_ocr.filter(|_| !ex.segments.iter().any(|s| s.info.part == Some(Part::Ocr)))
        {
            // Nothing could be read at all (OCR off or not installed): an
            // error saying what to do. A blank or unreadable scan that OCR
            // did look at is a gap instead (recorded by `read_images`).
            return Err(ExtractError::Other(format!(
                "no text layer on any of its {} page(s) (scanned images?): {why}",
                pages.len()
            )));
        }
    }
    ex.coverage.saw(Part::Body);
    if ex
        .segments
        .iter()
        .any(|s| s.info.part == Some(Part::Metadata))
    {
        ex.coverage.saw(Part::Metadata);
    }
    if let Some(n) = declared_pages {
        if (pages.len() as u32) < n {
            ex.coverage.gap(format!(
                "only {} of {n} pages produced text output",
                pages.len()
            ));
        }
    }
    Ok(ex)
}

/// A `Key: value` line of pdfinfo output.
fn field<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}

fn tool_failure(out: &ToolOutput) -> ExtractError {
    if let Some(why) = out.killed_by {
        return ExtractError::Other(format!(
            "{} was stopped by its {why}; the PDF is malformed or hostile (for example a stream that decompresses without end): open it in a PDF viewer and print it to a new PDF, then scan again",
            out.tool
        ));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let err = err.trim();
    let lower = err.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        return ExtractError::Encrypted("PDF");
    }
    let first = err
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    ExtractError::Malformed {
        format: FORMAT,
        message: format!("{} could not read it: {first}", out.tool),
    }
}

/// A poppler program's output, with its name for messages.
pub(crate) struct ToolOutput {
    tool: &'static str,
    out: ChildOutput,
}

impl std::ops::Deref for ToolOutput {
    type Target = ChildOutput;
    fn deref(&self) -> &ChildOutput {
        &self.out
    }
}

/// Runs `tool args` as a limited child ([`child::run`]), with poppler's
/// install hint when it is missing.
pub(crate) fn run_tool(
    tool: &'static str,
    args: &[&str],
    input: &[u8],
    limits: &ChildLimits,
    cap: usize,
) -> Result<ToolOutput, ExtractError> {
    let mut cmd = Command::new(tool);
    cmd.args(args);
    let out = child::run(cmd, tool, input, limits, cap).map_err(|e| match e {
        RunError::NotFound => ExtractError::Other(format!(
            "PDF text extraction needs poppler's `{tool}`, which is not installed: install poppler-utils and poppler-data (apt-get install poppler-utils poppler-data)"
        )),
        RunError::TimedOut => ExtractError::Other(format!(
            "{tool} took longer than {} s and was stopped; the PDF may be very large or malformed",
            limits.timeout.as_secs_f32()
        )),
        RunError::Other(m) => ExtractError::Other(m),
    })?;
    Ok(ToolOutput { tool, out })
}

/// Runs a helper program (`pdftoppm`, `pdftotext`, `pdfseparate`,
/// `pdfunite`, `img2pdf`) under the same limits as the readers' own
/// children, for the PDF redactor in baomi-redact: one place that starts
/// programs, so every child is time-, CPU- and memory-limited. `input` is
/// fed on standard input; at most `cap` bytes of output are kept (more is
/// an error). A failure says which program failed and why; `install` is the
/// package to install when the program is missing.
pub fn run_helper(
    program: &'static str,
    args: &[&str],
    input: &[u8],
    limits: &Limits,
    cap: usize,
    install: &str,
) -> Result<Vec<u8>, ExtractError> {
    let child = ChildLimits::for_input(limits, input.len().max(1 << 20));
    let mut cmd = Command::new(program);
    cmd.args(args);
    let out = child::run(cmd, program, input, &child, cap).map_err(|e| match e {
        RunError::NotFound => ExtractError::Other(format!(
            "`{program}` is not installed: install {install} (apt-get install {install})"
        )),
        RunError::TimedOut => ExtractError::Other(format!(
            "{program} took longer than {} s and was stopped; the PDF may be very large or malformed",
            child.timeout.as_secs_f32()
        )),
        RunError::Other(m) => ExtractError::Other(m),
    })?;
    if !out.success {
        return Err(tool_failure(&ToolOutput { tool: program, out }));
    }
    if out.truncated {
        return Err(ExtractError::TooLarge {
            size: out.stdout.len() as u64,
            limit: cap as u64,
        });
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn lim(timeout: Duration) -> ChildLimits {
        ChildLimits {
            timeout,
            cpu_seconds: 60,
            memory_bytes: 1 << 30,
        }
    }

    #[test]
    fn a_slow_tool_is_killed_at_the_time_limit() {
        let started = Instant::now();
        let r = run_tool("sleep", &["10"], b"", &lim(Duration::from_millis(200)), 100);
        assert!(matches!(r, Err(ExtractError::Other(m)) if m.contains("took longer")));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_is_capped() {
        let r = run_tool(
            "cat",
            &[],
            &[b'x'; 10_000],
            &lim(Duration::from_secs(10)),
            100,
        )
        .unwrap();
        assert!(r.truncated);
        assert_eq!(r.stdout.len(), 100);
    }

    #[test]
    fn a_missing_tool_says_what_to_install() {
        let r = run_tool(
            "baomi-no-such-tool",
            &[],
            b"",
            &lim(Duration::from_secs(1)),
            10,
        );
        assert!(matches!(r, Err(ExtractError::Other(m)) if m.contains("install poppler-utils")));
    }

    #[test]
    fn children_run_with_memory_and_cpu_limits() {
        let limits = ChildLimits {
            timeout: Duration::from_secs(30),
            cpu_seconds: 7,
            memory_bytes: 300 << 20,
        };
        let r = run_tool("sh", &["-c", "ulimit -v; ulimit -t"], b"", &limits, 100).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            format!("{}\n7\n", 300 << 10)
        );
    }

    #[test]
    fn a_child_spinning_past_its_cpu_limit_is_stopped_and_named() {
        let limits = ChildLimits {
            timeout: Duration::from_secs(60),
            cpu_seconds: 1,
            memory_bytes: 1 << 30,
        };
        let started = Instant::now();
        let r = run_tool("sh", &["-c", "while :; do :; done"], b"", &limits, 100).unwrap();
        assert!(!r.success);
        assert!(
            r.killed_by.is_some_and(|w| w.contains("CPU")),
            "{:?}",
            r.killed_by
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        let e = tool_failure(&r).to_string();
        assert!(e.contains("stopped by its CPU time limit"), "{e}");
    }

    #[test]
    fn the_time_limit_scales_with_the_input_and_is_capped() {
        let l = Limits::default();
        assert_eq!(l.subprocess_time_for(6 << 10).as_secs(), 5);
        assert_eq!(l.subprocess_time_for(10 << 20).as_secs(), 15);
        assert_eq!(l.subprocess_time_for(1 << 30), l.subprocess_timeout);
        let c = ChildLimits::for_input(&l, 6 << 10);
        assert_eq!((c.cpu_seconds, c.memory_bytes), (6, 1 << 30));
    }

    #[test]
    fn pages_without_text_are_gaps() {
        let not_read = |empty: &[u32], ex: &mut Extracted| {
            for p in empty {
                ex.coverage
                    .gap(format!("page {p} has no text layer: OCR is off"));
            }
            Some("OCR is off".to_string())
        };
        let ex = pages_to_extracted(
            "第一页\u{c}\u{c}第三页\u{c}",
            Some(3),
            "Pages: 3\nTitle: 关于…的通知\n",
            not_read,
        )
        .unwrap();
        assert!(!ex.coverage.complete);
        assert_eq!(ex.coverage.notes.len(), 1);
        assert!(ex.coverage.notes[0].starts_with("page 2 has no text layer"));
        let pages: Vec<_> = ex.segments.iter().filter_map(|s| s.info.page).collect();
        assert_eq!(pages, [1, 3]);
        assert_eq!(ex.title.as_deref(), Some("关于…的通知"));
        let none = pages_to_extracted("\u{c}\u{c}", Some(2), "Pages: 2\n", not_read);
        assert!(
            matches!(none, Err(ExtractError::Other(m)) if m.contains("no text layer") && m.contains("OCR is off"))
        );
    }
}
