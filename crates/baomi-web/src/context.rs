//! Findings in context.
//!
//! The ledger keeps only a masked preview and a hash of each matched text —
//! never the text — so that the ledger itself leaks nothing. A reviewer
//! still needs to read the finding in its sentence. The choice made here:
//! when the document's file is still readable at the recorded path **and**
//! its SHA-256 equals the recorded one, it is read and scanned again and each
//! finding is shown in its original context; otherwise (moved, changed,
//! uploaded over HTTP) only the recorded masked previews are shown, and the
//! page says why.

use baomi_core::{Finding, Scanner};
use baomi_extract::{extract, scan_segment, Limits};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Characters of context shown on either side of a match.
pub const CONTEXT_CHARS: usize = 40;

/// Files larger than this are not re-read for context (the page falls back
/// to the recorded previews); keeps one page view cheap.
pub const MAX_RESCAN_BYTES: u64 = 64 << 20;

/// A matched text with what surrounds it, ready to print: control,
/// zero-width and bidirectional-override characters are made visible, so
/// that text hidden from a reader is not hidden from the reviewer either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InContext {
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// A finding from a fresh scan of the file, with its context.
#[derive(Debug, Clone)]
pub struct Rescanned {
    pub finding: Finding,
    pub context: InContext,
}

/// Reads `path`, checks its SHA-256 against `sha256`, and scans it again.
/// `Err` says, for the page, why the original context is not available.
pub fn rescan(
    path: &Path,
    sha256: &str,
    scanner: &Scanner,
    limits: &Limits,
) -> Result<Vec<Rescanned>, String> {
    // The path comes from the ledger: never open anything but a regular
    // file (a FIFO would block the reader forever, a device never ends).
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(format!("原文件 {} 不是普通文件", path.display())),
        Err(e) => return Err(format!("原文件 {} 无法读取（{e}）", path.display())),
    }
    let file = std::fs::File::open(path)
        .map_err(|e| format!("原文件 {} 无法读取（{e}）", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    if len > MAX_RESCAN_BYTES {
        return Err(format!("原文件过大（{len} 字节），不重新读取"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RESCAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("原文件 {} 无法读取（{e}）", path.display()))?;
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha256 {
        return Err(format!(
            "原文件 {} 已改动（SHA-256 不同），显示的是账本中记录的遮蔽预览",
            path.display()
        ));
    }
    let ex = extract(path, &bytes, limits).map_err(|e| format!("原文件无法解析（{e}）"))?;
    let mut out = Vec::new();
    for seg in &ex.segments {
        // The extractor's own scan, so that locations (table cell,
        // tracked-change author, …) are exactly those recorded.
        for finding in scan_segment(seg, scanner) {
            let context = around(
                &seg.text,
                finding.span.start,
                finding.span.end,
                CONTEXT_CHARS,
            );
            out.push(Rescanned { finding, context });
        }
    }
    Ok(out)
}

/// Cuts `chars` characters either side of the byte span `start..end` of
/// `text` and makes invisible characters visible. Out-of-range or
/// non-boundary spans are clamped rather than trusted.
pub fn around(text: &str, start: usize, end: usize, chars: usize) -> InContext {
    let clamp = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (start, end) = (clamp(start), clamp(end.max(start)));
    let before_start = text[..start]
        .char_indices()
        .rev()
        .nth(chars.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let after_end = text[end..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| end + i);
    let mut before = visible(&text[before_start..start]);
    if before_start > 0 {
        before.insert(0, '…');
    }
    let mut after = visible(&text[end..after_end]);
    if after_end < text.len() {
        after.push('…');
    }
    InContext {
        before,
        matched: visible(&text[start..end]),
        after,
    }
}

/// The one function every displayed field goes through (controls,
/// zero-width and bidi characters made visible as `⟨U+202E⟩`).
pub use baomi_core::display::visible;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_cut_on_character_boundaries() {
        let text = "一二三四五六七八九十机密★1年甲乙丙丁";
        let start = text.find("机密").unwrap();
        let end = start + "机密★1年".len();
        let c = around(text, start, end, 3);
        assert_eq!(c.before, "…八九十");
        assert_eq!(c.matched, "机密★1年");
        assert_eq!(c.after, "甲乙丙…");
        let c = around(text, 1, 4, 100);
        assert_eq!(c.before, "");
        assert_eq!(c.matched, "一");
        let c = around(text, 9999, 1, 2);
        assert_eq!(c.matched, "");
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(
            visible("机\u{200B}密\n\u{202E}x\u{7}"),
            "机⟨U+200B⟩密⏎⟨U+202E⟩x⟨U+0007⟩"
        );
    }

    #[test]
    fn rescan_requires_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.txt");
        std::fs::write(&p, "通知\n本件机密★1年，请勿外传。\n").unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let scanner = Scanner::shipped();
        let found = rescan(&p, &sha, &scanner, &Limits::default()).unwrap();
        assert!(found
            .iter()
            .any(|r| r.context.matched.contains("机密") && r.context.before.ends_with("本件")));
        std::fs::write(&p, "通知\n已修改\n").unwrap();
        assert!(rescan(&p, &sha, &scanner, &Limits::default())
            .unwrap_err()
            .contains("已改动"));
        assert!(rescan(
            &dir.path().join("gone.txt"),
            &sha,
            &scanner,
            &Limits::default()
        )
        .is_err());
        let not_a_file = rescan(dir.path(), &sha, &scanner, &Limits::default()).unwrap_err();
        assert!(not_a_file.contains("不是普通文件"), "{not_a_file}");
    }
}
