//! Scanning text that arrives in pieces (a large file read in blocks), in
//! bounded memory, with the same findings as scanning it whole.
//!
//! The text is scanned in chunks that overlap: each chunk keeps a tail of
//! the previous one as context, and reports only findings that *start* in
//! its own range, so a match that straddles a chunk boundary is found once.

use crate::scanner::{Scanner, Window};
use crate::types::{Finding, SegmentInfo};

/// Bytes of the previous chunk kept before a chunk (context, allow phrases,
/// hotwords), and bytes held back at its end for the next chunk. Both are
/// far longer than any keyword, pattern match or hotword window.
pub(crate) const OVERLAP: usize = 4096;

/// Default chunk size: large enough that overlap costs nothing measurable.
pub const DEFAULT_CHUNK: usize = 4 << 20;

/// Default cap on stored findings per stream; past it findings are counted,
/// not stored, so a hostile file cannot exhaust memory.
pub const DEFAULT_MAX_FINDINGS: usize = 500_000;

/// An incremental scan of one text segment.
///
/// ```
/// let scanner = baomi_core::Scanner::shipped();
/// let mut scan = baomi_core::StreamScan::new(&scanner, Default::default());
/// scan.push("第一段。\n本件为机");
/// scan.push("密★5年。\n");
/// let result = scan.finish();
/// assert_eq!(result.findings[0].matched, "机密★5年");
/// assert_eq!(result.findings[0].location.line, 2);
/// ```
pub struct StreamScan<'a> {
    scanner: &'a Scanner,
    info: SegmentInfo,
    buf: String,
    chunk: usize,
    line_base: u64,
    column_base: u64,
    /// Where in `buf` the next report starts (after the overlap kept).
    report_from: usize,
    /// Byte offset of `buf[0]` in the whole segment.
    offset: usize,
    max_findings: usize,
    result: StreamResult,
}

/// What a stream scan found.
#[derive(Debug, Default)]
pub struct StreamResult {
    pub findings: Vec<Finding>,
    /// Findings found but not stored because the cap was reached.
    pub dropped: usize,
    /// Bytes of text scanned.
    pub bytes: u64,
}

impl<'a> StreamScan<'a> {
    pub fn new(scanner: &'a Scanner, info: SegmentInfo) -> Self {
        Self::with_limits(scanner, info, DEFAULT_CHUNK, DEFAULT_MAX_FINDINGS)
    }

    /// `chunk` is raised to at least four times the overlap.
    pub fn with_limits(
        scanner: &'a Scanner,
        info: SegmentInfo,
        chunk: usize,
        max_findings: usize,
    ) -> Self {
        StreamScan {
            scanner,
            info,
            buf: String::new(),
            chunk: chunk.max(4 * OVERLAP),
            line_base: 1,
            column_base: 0,
            report_from: 0,
            offset: 0,
            max_findings,
            result: StreamResult::default(),
        }
    }

    /// Adds more text (any split at a character boundary).
    pub fn push(&mut self, text: &str) {
        self.result.bytes += text.len() as u64;
        self.buf.push_str(text);
        while self.buf.len() >= self.chunk {
            self.flush(false);
        }
    }

    /// Scans what is left and returns everything found.
    pub fn finish(mut self) -> StreamResult {
        self.flush(true);
        self.result
    }

    fn flush(&mut self, last: bool) {
        let report_to = if last {
            self.buf.len()
        } else {
            self.buf.floor_char_boundary(self.buf.len() - OVERLAP)
        };
        let window = Window {
            line_base: self.line_base,
            column_base: self.column_base,
            report_from: self.report_from,
            report_to,
        };
        for mut f in self.scanner.scan_window(&self.buf, &self.info, window) {
            if self.result.findings.len() >= self.max_findings {
                self.result.dropped += 1;
                continue;
            }
            f.span.start += self.offset;
            f.span.end += self.offset;
            self.result.findings.push(f);
        }
        if last {
            return;
        }
        let keep_from = self.buf.floor_char_boundary(report_to - OVERLAP);
        let dropped = &self.buf[..keep_from];
        match memchr::memrchr(b'\n', dropped.as_bytes()) {
            Some(nl) => {
                self.line_base += memchr::memchr_iter(b'\n', dropped.as_bytes()).count() as u64;
                self.column_base = dropped[nl + 1..].chars().count() as u64;
            }
            None => self.column_base += dropped.chars().count() as u64,
        }
        self.offset += keep_from;
        self.report_from = report_to - keep_from;
        self.buf.drain(..keep_from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole_vs_streamed(text: &str, piece: usize) {
        static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        let scanner = SCANNER.get_or_init(Scanner::shipped);
        let whole = scanner.scan(text).findings;
        let mut s = StreamScan::with_limits(scanner, SegmentInfo::default(), 1, usize::MAX);
        let mut rest = text;
        while !rest.is_empty() {
            let cut = rest.floor_char_boundary(piece.min(rest.len()));
            let cut = if cut == 0 {
                rest.chars().next().unwrap().len_utf8()
            } else {
                cut
            };
            s.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        let streamed = s.finish().findings;
        let key = |f: &Finding| {
            (
                f.rule.clone(),
                f.span,
                f.location.line,
                f.location.column,
                f.matched.clone(),
            )
        };
        assert_eq!(
            whole.iter().map(key).collect::<Vec<_>>(),
            streamed.iter().map(key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn chunked_scan_equals_whole_scan() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!(
                "第{i}行内容，本件机密★{}年，联系13812345678。",
                i % 9 + 1
            ));
            if i % 3 == 0 {
                text.push('\n');
            }
        }
        whole_vs_streamed(&text, 997);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_split_gives_the_same_findings(pre in "[a-z一-十\n ]{0,20000}", piece in 1usize..5000) {
            let text = format!("{pre}机 密★1年{pre}内部资料");
            whole_vs_streamed(&text, piece);
        }
    }
}
