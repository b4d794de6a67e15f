//! OCR: text in images (scanned PDF pages, standalone image files, pictures
//! pasted into office files), read so that a scan is reviewed instead of
//! refused.
//!
//! **Engine.** Tesseract 5 (Debian `tesseract-ocr` + `tesseract-ocr-chi-sim`)
//! run as a subprocess behind the small [`OcrEngine`] trait, like poppler for
//! PDF text: the image is piped in on standard input, TSV comes back on
//! standard output (every word with its box and confidence), the child runs
//! with `RLIMIT_AS`/`RLIMIT_CPU` set and is killed at a time limit, and its
//! output is capped. A crash on a hostile image is the child's, and becomes a
//! coverage gap. Why not a binding (leptess/tesseract-rs): the same library
//! and model, so the same accuracy, but a C build (libtesseract-dev, clang)
//! and no isolation; spawning costs ~50 ms of a 1–2 s page. Why not an ONNX
//! engine (PP-OCR, e.g. RapidOCR's models): measured on the same pages it
//! read every line right, ★ included, where Tesseract misreads ★, but took
//! 4–5× longer per page and needs an ONNX runtime that no Debian or crates.io
//! package ships ready to link (see the commit message and README).
//!
//! **Text preparation.** Tesseract puts a space between Chinese characters
//! and breaks a paragraph into lines. [`layout`] joins the words of a
//! paragraph into one line of the segment text (a space only between two
//! Latin letters), keeping a per-character table back to the OCR line,
//! column and word box, so a finding's location is that of the scan. A
//! second, *repaired* view fixes the classic confusions only where the
//! structure confirms them: letters inside a run of digits (`O`→`0`,
//! `l`→`1`, a trailing `又`→`X`) count only for rules with a validator that
//! then passes; a misread star between 密 and a period (`机密赤5年`) counts
//! for any rule.
//!
//! **Coverage.** No text, a low mean confidence, a failure or a timeout is a
//! coverage gap (never `clear`); a file whose only text comes from OCR says
//! so; without Tesseract an image-only file is an `error` saying what to
//! install. OCR runs only on what has no text layer, results are cached by
//! image SHA-256 within a process, and [`OcrOptions`] bounds pages and time
//! per file.

use crate::child::{self, ChildLimits, ChildOutput, RunError};
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{BBox, BoxUnit, Finding, Matcher, Part, Scanner, SegmentInfo, Span};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable naming the Tesseract program (a path or a name
/// on `PATH`), read by [`OcrOptions::default`]. Pointing it at a program that
/// does not exist is how the tests simulate a machine without Tesseract.
pub const ENGINE_ENV: &str = "BAOMI_TESSERACT";

/// What to install when Tesseract is missing.
pub const INSTALL_HINT: &str = "apt-get install tesseract-ocr tesseract-ocr-chi-sim";

/// OCR settings, part of [`Limits`] so that `baomi scan`, the daemon and the
/// web server all read scans the same way and within the same bounds.
#[derive(Debug, Clone)]
pub struct OcrOptions {
    /// Read text in images at all (`baomi scan --no-ocr` turns it off:
    /// image-only pages are then gaps, image files errors).
    pub enabled: bool,
    /// The Tesseract program (default: `$BAOMI_TESSERACT`, else `tesseract`).
    pub program: PathBuf,
    /// Tesseract languages. `chi_sim` alone: adding `eng` made Tesseract read
    /// 机密★5年 as Latin letters on our scans (digits and Latin letters are in
    /// the chi_sim model anyway).
    pub languages: String,
    /// Highest resolution PDF pages are rasterised at (300 dpi reads 10 pt
    /// Chinese). A page showing a scan is rasterised at the scan's own
    /// resolution within 150..=dpi: more pixels than the scanner recorded
    /// add no information, only time (measured: 150 dpi pages read as
    /// well, in about half the time).
    pub dpi: u32,
    /// Images OCR'd per file at most; pages and pictures beyond are gaps.
    pub max_pages: usize,
    /// Longest one image may take (wall clock; CPU time is limited the same).
    pub page_timeout: Duration,
    /// Longest all OCR of one file may take; what is left is a gap.
    pub file_timeout: Duration,
    /// Images with more pixels than this are refused from their header,
    /// before anything decodes them (decompression bombs).
    pub max_pixels: u64,
    /// Address-space limit of the OCR and rasteriser children.
    pub memory_bytes: u64,
    /// A page whose mean word confidence (0–100) is below this is a gap: its
    /// text is still scanned, but a person must read it.
    pub min_confidence: f32,
    /// Reuse OCR results by image SHA-256 within the process (off only to
    /// measure the engine, in the benchmark).
    pub cache: bool,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            enabled: true,
            program: std::env::var_os(ENGINE_ENV)
                .filter(|p| !p.is_empty())
                .map_or_else(|| PathBuf::from("tesseract"), PathBuf::from),
            languages: "chi_sim".into(),
            dpi: 300,
            max_pages: 50,
            page_timeout: Duration::from_secs(60),
            file_timeout: Duration::from_secs(600),
            max_pixels: 60_000_000,
            memory_bytes: 2 << 30,
            min_confidence: 60.0,
            cache: true,
        }
    }
}

/// One recognised word: its text, its box in image pixels, Tesseract's
/// confidence (0–100) and the block/paragraph/line it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub conf: f32,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    pub block: u32,
    pub par: u32,
    pub line: u32,
}

/// What an engine read from one image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OcrPage {
    pub width: u32,
    pub height: u32,
    pub words: Vec<Word>,
}

impl OcrPage {
    /// Mean word confidence weighted by characters, `None` without words.
    pub fn mean_confidence(&self) -> Option<f32> {
        let (mut sum, mut n) = (0f64, 0f64);
        for w in &self.words {
            let c = w.text.chars().count() as f64;
            sum += w.conf as f64 * c;
            n += c;
        }
        (n > 0.0).then(|| (sum / n) as f32)
    }
}

/// Why an engine read nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OcrError {
    /// The engine is not installed: a message with what to install.
    #[error("{0}")]
    NotInstalled(String),
    #[error("{0}")]
    Failed(String),
}

/// An OCR engine: image bytes (PNG, JPEG, TIFF, BMP, PNM) in, words with
/// boxes out. One small trait so that another engine can replace Tesseract
/// without touching the readers.
pub trait OcrEngine: Send + Sync {
    /// Reads one image; `dpi` is its resolution when known (rasterised PDF
    /// pages), which helps the engine size its text.
    fn recognize(
        &self,
        image: &[u8],
        dpi: Option<u32>,
        timeout: Duration,
        opts: &OcrOptions,
    ) -> Result<OcrPage, OcrError>;
}

/// Tesseract run as a subprocess (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tesseract;

impl OcrEngine for Tesseract {
    fn recognize(
        &self,
        image: &[u8],
        dpi: Option<u32>,
        timeout: Duration,
        opts: &OcrOptions,
    ) -> Result<OcrPage, OcrError> {
        let mut cmd = Command::new(&opts.program);
        cmd.args(["stdin", "stdout", "-l", &opts.languages]);
        if let Some(d) = dpi {
            cmd.args(["--dpi", &d.to_string()]);
        }
        cmd.arg("tsv");
        let shown = opts.program.display().to_string();
        let out =
            run_limited(cmd, &shown, image, timeout, 16 << 20, opts).map_err(|e| match e {
                RunError::NotFound => OcrError::NotInstalled(format!(
                "reading text in images needs Tesseract (`{shown}` was not found): {INSTALL_HINT}"
            )),
                RunError::TimedOut => OcrError::Failed(format!(
                    "OCR took longer than {} s and was stopped",
                    timeout.as_secs()
                )),
                RunError::Other(m) => OcrError::Failed(m),
            })?;
        if !out.success {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty() && !l.contains("Estimating resolution"))
                .unwrap_or("no message");
            if err.contains("Failed loading language") || err.contains("Error opening data file") {
                return Err(OcrError::NotInstalled(format!(
                    "Tesseract has no `{}` language data ({first}): {INSTALL_HINT}",
                    opts.languages
                )));
            }
            return Err(OcrError::Failed(format!(
                "Tesseract could not read the image: {first}"
            )));
        }
        if out.truncated {
            return Err(OcrError::Failed("OCR output exceeded 16 MiB".into()));
        }
        Ok(parse_tsv(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// Parses Tesseract's TSV: level 1 gives the page size, level 5 the words.
pub fn parse_tsv(tsv: &str) -> OcrPage {
    let mut page = OcrPage::default();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.splitn(12, '\t').collect();
        if f.len() < 11 {
            continue;
        }
        let n = |i: usize| f[i].trim().parse::<u32>().unwrap_or(0);
        match f[0] {
            "1" => {
                page.width = n(8);
                page.height = n(9);
            }
            "5" => {
                let text: String = f
                    .get(11)
                    .unwrap_or(&"")
                    .chars()
                    .filter(|c| !c.is_control() && !c.is_whitespace())
                    .collect();
                let conf = f[10].trim().parse::<f32>().unwrap_or(-1.0);
                if text.is_empty() || conf < 0.0 {
                    continue;
                }
                page.words.push(Word {
                    text,
                    conf,
                    left: n(6),
                    top: n(7),
                    width: n(8),
                    height: n(9),
                    block: n(2),
                    par: n(3),
                    line: n(4),
                });
            }
            _ => {}
        }
    }
    page
}

// ---------------------------------------------------------------------------
// Text preparation: words → segment text with an offset table.

/// Where each character of an OCR segment's text came from, so that a
/// finding in the joined text is located on the scan (OCR line, column,
/// word boxes). Kept on the [`Segment`] and applied by
/// [`crate::scan_segment`].
#[derive(Debug, Clone, PartialEq)]
pub struct OcrMap {
    /// Byte offset in the text of each character, with its origin.
    chars: Vec<CharPos>,
    boxes: Vec<[u32; 4]>,
    /// Pixels → box unit: (numerator, denominator), e.g. 72/300 for a page
    /// rasterised at 300 dpi and reported in points.
    scale: (u32, u32),
    unit: BoxUnit,
    /// The repaired view, when it differs from the text.
    repaired: Option<Repaired>,
    /// The text one OCR line per line, as on the page: for the title and
    /// the document number, which the joined paragraphs would run together.
    pub(crate) lines: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct CharPos {
    byte: usize,
    /// Index into `boxes`, `u32::MAX` for a separator added here.
    word: u32,
    /// 1-based OCR line on the page, and column in it.
    line: u32,
    col: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct Repaired {
    text: String,
    /// For each character of `text`: its byte offset there, the byte offset
    /// of the character it replaces in the segment text, and what repair
    /// changed it (if any).
    chars: Vec<(usize, usize, Fix)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    None,
    Digit,
    Star,
}

/// A space between two words of one OCR line only where both sides are
/// Latin letters or digits (two English words, a number and a speck);
/// Chinese and punctuation are joined directly.
fn needs_space(prev: char, next: char) -> bool {
    prev.is_ascii_alphanumeric() && next.is_ascii_alphanumeric()
}

/// Between the lines of one paragraph: a space only between two Latin
/// letters; a number broken across lines is joined again.
fn needs_space_at_wrap(prev: char, next: char) -> bool {
    prev.is_ascii_alphabetic() && next.is_ascii_alphabetic()
}

/// Builds the segment text of one OCR'd image: one line per OCR paragraph
/// (block + paragraph), words joined as typed text would be.
pub(crate) fn layout(page: &OcrPage, scale: (u32, u32), unit: BoxUnit) -> (String, OcrMap) {
    let mut text = String::new();
    let mut chars = Vec::new();
    let mut boxes = Vec::with_capacity(page.words.len());
    let mut prev_key: Option<(u32, u32, u32)> = None;
    let (mut ocr_line, mut col) = (0u32, 0u32);
    for (i, w) in page.words.iter().enumerate() {
        boxes.push([w.left, w.top, w.width, w.height]);
        let key = (w.block, w.par, w.line);
        let first = w.text.chars().next().unwrap_or(' ');
        let last_char = text.chars().next_back();
        match prev_key {
            None => {
                ocr_line = 1;
            }
            Some(k) if k == key => {
                if last_char.is_some_and(|p| needs_space(p, first)) {
                    col += 1;
                    chars.push(CharPos {
                        byte: text.len(),
                        word: u32::MAX,
                        line: ocr_line,
                        col,
                    });
                    text.push(' ');
                }
            }
            Some(k) => {
                ocr_line += 1;
                if (k.0, k.1) != (w.block, w.par) {
                    chars.push(CharPos {
                        byte: text.len(),
                        word: u32::MAX,
                        line: ocr_line - 1,
                        col: col + 1,
                    });
                    text.push('\n');
                } else if last_char.is_some_and(|p| needs_space_at_wrap(p, first)) {
                    chars.push(CharPos {
                        byte: text.len(),
                        word: u32::MAX,
                        line: ocr_line - 1,
                        col: col + 1,
                    });
                    text.push(' ');
                }
                col = 0;
            }
        }
        prev_key = Some(key);
        for c in w.text.chars() {
            col += 1;
            chars.push(CharPos {
                byte: text.len(),
                word: i as u32,
                line: ocr_line,
                col,
            });
            text.push(c);
        }
    }
    let repaired = repair(&text);
    let mut lines = String::new();
    let mut last = 0;
    for c in &chars {
        if c.line != last && last != 0 {
            lines.push('\n');
        }
        last = c.line;
        if c.word != u32::MAX {
            lines.push_str(
                &text[c.byte..][..text[c.byte..].chars().next().map_or(0, char::len_utf8)],
            );
        }
    }
    // Repaired, so that a misread marking line is still seen as a marking.
    let lines = repair(&lines).map_or(lines, |r| r.text);
    (
        text,
        OcrMap {
            chars,
            boxes,
            scale,
            unit,
            repaired,
            lines,
        },
    )
}

/// Characters read as letters inside a run of digits, and what they stand
/// for. Kept small on purpose: only confusions seen on scans of ID numbers.
fn digit_for(c: char) -> Option<char> {
    Some(match c {
        'O' | 'o' | 'D' | 'Q' => '0',
        'l' | 'I' | '|' | 'i' => '1',
        'Z' | 'z' => '2',
        'S' | 's' => '5',
        'B' => '8',
        _ => return None,
    })
}

/// The repaired view (see the module docs), or `None` when nothing changed.
fn repair(text: &str) -> Option<Repaired> {
    let cs: Vec<(usize, char)> = text.char_indices().collect();
    // Per character: its replacement, and a star to insert before it.
    let mut repl: Vec<Option<(char, Fix)>> = vec![None; cs.len()];
    let mut insert_star = vec![false; cs.len()];
    let mut changed = false;
    // Digit-like runs: at least 6 real digits and some letters, at least 7
    // long; or 17 digits and a look-alike of the check character X.
    let digitish = |c: char| c.is_ascii_digit() || digit_for(c).is_some();
    let mut i = 0;
    while i < cs.len() {
        if !digitish(cs[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        while i < cs.len() && digitish(cs[i].1) {
            i += 1;
        }
        let real = cs[start..i].iter().filter(|c| c.1.is_ascii_digit()).count();
        let trailing = i < cs.len() && matches!(cs[i].1, '又' | '乂' | '×' | 'χ');
        if real >= 6 && i - start >= 7 && real < i - start {
            for k in start..i {
                if let Some(d) = digit_for(cs[k].1).filter(|_| !cs[k].1.is_ascii_digit()) {
                    repl[k] = Some((d, Fix::Digit));
                    changed = true;
                }
            }
        }
        if trailing && real >= 17 {
            repl[i] = Some(('X', Fix::Digit));
            changed = true;
        }
    }
    // A misread or lost star: 绝/机/秘 + 密 + (one odd character) + a period.
    for k in 1..cs.len().saturating_sub(1) {
        if cs[k].1 != '密' || !matches!(cs[k - 1].1, '绝' | '机' | '秘') {
            continue;
        }
        let c = cs[k + 1].1;
        if matches!(c, '★' | '☆' | '*') || c.is_whitespace() {
            continue;
        }
        let from =
            |at: usize| -> String { cs[at.min(cs.len())..].iter().take(5).map(|c| c.1).collect() };
        if is_period(&from(k + 1)) {
            insert_star[k + 1] = true;
            changed = true;
        } else if is_period(&from(k + 2)) && !c.is_ascii_digit() {
            repl[k + 1] = Some(('★', Fix::Star));
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    let mut rtext = String::with_capacity(text.len() + 8);
    let mut chars = Vec::with_capacity(cs.len() + 2);
    for (k, &(byte, c)) in cs.iter().enumerate() {
        if insert_star[k] {
            chars.push((rtext.len(), byte, Fix::Star));
            rtext.push('★');
        }
        let (c, fix) = repl[k].unwrap_or((c, Fix::None));
        chars.push((rtext.len(), byte, fix));
        rtext.push(c);
    }
    Some(Repaired { text: rtext, chars })
}

/// A classification period at the start of `s`: 1–3 digits or Chinese
/// numerals and 年/月/个月, or 长期, or 启用前.
fn is_period(s: &str) -> bool {
    if s.starts_with("长期") || s.starts_with("启用前") {
        return true;
    }
    let n = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(*c))
        .count();
    let after: String = s.chars().skip(n).collect();
    (1..=3).contains(&n)
        && (after.starts_with('年') || after.starts_with('月') || after.starts_with("个月"))
}

impl OcrMap {
    fn char_at(&self, byte: usize) -> usize {
        self.chars
            .partition_point(|c| c.byte <= byte)
            .saturating_sub(1)
    }

    /// Sets a finding's OCR location: line and column on the scan, the
    /// paragraph (the segment line), and the union of the word boxes.
    fn locate(&self, f: &mut Finding) {
        f.location.part = Part::Ocr;
        f.location.paragraph = u32::try_from(f.location.line).ok();
        if self.chars.is_empty() {
            return;
        }
        let first = self.char_at(f.span.start);
        let last = self.char_at(f.span.end.saturating_sub(1).max(f.span.start));
        let at = self.chars[first];
        f.location.line = at.line as u64;
        f.location.column = at.col as u64;
        let mut bbox: Option<BBox> = None;
        for c in &self.chars[first..=last.max(first)] {
            let Some(b) = self.boxes.get(c.word as usize) else {
                continue;
            };
            let (n, d) = self.scale;
            let s = |v: u32| (v as u64 * n as u64 / d.max(1) as u64) as u32;
            let this = BBox {
                x: s(b[0]),
                y: s(b[1]),
                w: s(b[2]).max(1),
                h: s(b[3]).max(1),
                unit: self.unit,
            };
            bbox = Some(bbox.map_or(this, |u| u.union(this)));
        }
        f.location.bbox = bbox;
    }
}

/// Scans an OCR segment: the text as read, then the repaired view for the
/// findings that exist only thanks to a repair the structure confirms
/// (module docs); every finding is located on the scan.
pub(crate) fn scan(seg: &Segment, map: &OcrMap, scanner: &Scanner) -> Vec<Finding> {
    let mut findings = scanner.scan_segment(&seg.text, &seg.info);
    if let Some(rep) = &map.repaired {
        let validated: std::collections::HashSet<&str> = scanner
            .rules()
            .iter()
            .filter(|r| {
                matches!(
                    &r.matcher,
                    Matcher::Pattern {
                        validator: Some(_),
                        ..
                    }
                )
            })
            .map(|r| &*r.id)
            .collect();
        // The text as read, shared by the repaired findings that quote it.
        let mut quoted: Option<std::sync::Arc<str>> = None;
        for mut f in scanner.scan_segment(&rep.text, &seg.info) {
            let from = rep.chars.partition_point(|c| c.0 < f.span.start);
            let to = rep.chars.partition_point(|c| c.0 < f.span.end);
            let fixes = &rep.chars[from..to];
            let star = fixes.iter().any(|c| c.2 == Fix::Star);
            let digit = fixes.iter().any(|c| c.2 == Fix::Digit);
            let keep = star
                || digit
                    && validated.contains(&*f.rule)
                    && f.confidence > baomi_core::Confidence::Low;
            if !keep || from >= rep.chars.len() {
                continue;
            }
            let start = rep.chars[from].1;
            let end = rep.chars.get(to).map_or(seg.text.len(), |c| c.1);
            if findings
                .iter()
                .any(|g| g.rule == f.rule && g.span.start < end && start < g.span.end)
            {
                continue;
            }
            f.span = Span { start, end };
            let text = quoted.get_or_insert_with(|| seg.text.as_str().into());
            f.matched = baomi_core::Excerpt::new(text, start, end);
            f.context = baomi_core::Context::around(text, start, end);
            findings.push(f);
        }
        findings.sort_by_key(|f| f.span.start);
    }
    for f in &mut findings {
        map.locate(f);
    }
    findings
}

// ---------------------------------------------------------------------------
// Reading images: bounded, cached, accounted.

/// One file's OCR budget and what became of its images.
pub(crate) struct Run<'a> {
    opts: &'a OcrOptions,
    engine: &'a dyn OcrEngine,
    started: Instant,
    done: usize,
    /// The engine is missing: the message, said once.
    missing: Option<String>,
}

/// The result of trying to read one image.
pub(crate) enum Outcome {
    /// Text was read (maybe with a gap note too, e.g. low confidence).
    Read(Segment),
    /// Nothing to scan; the gap has been recorded.
    Gap,
}

impl<'a> Run<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Self {
        Run {
            opts: &limits.ocr,
            engine: &Tesseract,
            started: Instant::now(),
            done: 0,
            missing: None,
        }
    }

    /// The engine was found missing on an earlier image.
    pub(crate) fn missing(&self) -> Option<&str> {
        self.missing.as_deref()
    }

    /// Records a gap and returns true when `what` cannot be OCR'd at all
    /// (OCR off, engine missing, page or time budget spent): checked before
    /// any work such as rasterising a page.
    pub(crate) fn refuse(&mut self, what: &str, ex: &mut Extracted) -> bool {
        let why = if let Some(m) = &self.missing {
            format!("{what} not read: {m}")
        } else if !self.opts.enabled {
            format!("{what} is an image and OCR is off (--no-ocr): needs OCR or manual review")
        } else if self.done >= self.opts.max_pages {
            format!(
                "{what} not read: the limit of {} OCR images per file was reached (max_ocr_pages); review it by eye",
                self.opts.max_pages
            )
        } else if self.started.elapsed() >= self.opts.file_timeout {
            format!(
                "{what} not read: OCR of this file took longer than {} s in all; review it by eye",
                self.opts.file_timeout.as_secs()
            )
        } else {
            return false;
        };
        ex.coverage.gap(why);
        true
    }

    /// OCRs one image. `what` names it in notes (`page 3`, `word/media/image1.png`).
    /// `info` is the segment's location; `dpi` is known for rasterised pages
    /// (boxes are then reported in points).
    pub(crate) fn read(
        &mut self,
        what: &str,
        image: &[u8],
        dpi: Option<u32>,
        info: SegmentInfo,
        ex: &mut Extracted,
    ) -> Outcome {
        if self.refuse(what, ex) {
            return Outcome::Gap;
        }
        let left = self
            .opts
            .file_timeout
            .saturating_sub(self.started.elapsed());
        self.done += 1;
        let key = cache_key(image, dpi, self.opts);
        let page = match cached(&key).filter(|_| self.opts.cache) {
            Some(p) => Ok(p),
            None => {
                let timeout = self.opts.page_timeout.min(left);
                let r = self
                    .engine
                    .recognize(image, dpi, timeout, self.opts)
                    .map(Arc::new);
                if let Ok(p) = &r {
                    remember(key, p.clone());
                }
                r
            }
        };
        let page = match page {
            Ok(p) => p,
            Err(OcrError::NotInstalled(m)) => {
                ex.coverage.gap(format!("{what} not read: {m}"));
                self.missing = Some(m);
                return Outcome::Gap;
            }
            Err(OcrError::Failed(m)) => {
                ex.coverage
                    .gap(format!("{what}: OCR failed ({m}); review it by eye"));
                return Outcome::Gap;
            }
        };
        let (scale, unit) = match dpi {
            Some(d) => ((72, d), BoxUnit::Pt),
            None => ((1, 1), BoxUnit::Px),
        };
        let (text, map) = layout(&page, scale, unit);
        if text.trim().is_empty() {
            ex.coverage.gap(format!(
                "{what}: OCR found no text (blank page, or a scan too faint or noisy to read); review it by eye"
            ));
            return Outcome::Gap;
        }
        let mean = page.mean_confidence().unwrap_or(0.0);
        if mean < self.opts.min_confidence {
            ex.coverage.gap(format!(
                "{what}: OCR confidence is low (mean {mean:.0} of 100): the recognised text was scanned, but review the image by eye"
            ));
        }
        ex.coverage.saw(Part::Ocr);
        let mut seg = Segment::new(
            SegmentInfo {
                part: Some(Part::Ocr),
                ..info
            },
            text,
        );
        seg.ocr = Some(Arc::new(map));
        Outcome::Read(seg)
    }
}

fn cache_key(image: &[u8], dpi: Option<u32>, opts: &OcrOptions) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(image);
    h.update(opts.languages.as_bytes());
    h.update(dpi.unwrap_or(0).to_le_bytes());
    h.update(opts.program.as_os_str().as_encoded_bytes());
    h.finalize().into()
}

/// OCR results by image hash, for this process (one `baomi scan` run, or a
/// daemon's lifetime): the same logo or stamp in many files is read once.
/// Bounded: emptied when full.
static CACHE: Mutex<Option<HashMap<[u8; 32], Arc<OcrPage>>>> = Mutex::new(None);
const CACHE_ENTRIES: usize = 512;

fn cached(key: &[u8; 32]) -> Option<Arc<OcrPage>> {
    let guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_ref()?.get(key).cloned()
}

fn remember(key: [u8; 32], page: Arc<OcrPage>) {
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key, page);
}

// ---------------------------------------------------------------------------
// Image headers: dimensions before decoding.

/// Image formats read from their first bytes.
pub(crate) fn image_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 6] = [
        (b"\x89PNG", "PNG"),
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"BM", "BMP"),
        (b"GIF8", "GIF"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| head.starts_with(m))
        .map(|(_, k)| *k)
}

/// Why an image is refused before decoding.
pub(crate) enum Refused {
    Damaged(String),
    TooLarge(String),
}

impl Refused {
    fn message(&self) -> &str {
        match self {
            Refused::Damaged(m) | Refused::TooLarge(m) => m,
        }
    }
}

/// Checks an image's declared dimensions from its header (the `imagesize`
/// crate reads only the header) against the pixel cap, before any decoder
/// sees it.
pub(crate) fn check_dimensions(bytes: &[u8], opts: &OcrOptions) -> Result<(u32, u32), Refused> {
    let size = imagesize::blob_size(bytes).map_err(|e| {
        Refused::Damaged(format!(
            "its header cannot be read ({e}): damaged or truncated image"
        ))
    })?;
    let (w, h) = (size.width as u64, size.height as u64);
    if w == 0 || h == 0 {
        return Err(Refused::Damaged(
            "its header declares an empty image".into(),
        ));
    }
    if w.saturating_mul(h) > opts.max_pixels {
        return Err(Refused::TooLarge(format!(
            "its header declares {w} × {h} pixels, more than the limit of {} (max_pixels)",
            opts.max_pixels
        )));
    }
    Ok((w as u32, h as u32))
}

/// A standalone image file: one OCR segment, or an error when nothing can be
/// read (so that it is never `clear`).
pub(crate) fn extract_image(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let kind = image_kind(bytes).unwrap_or("image");
    let opts = &limits.ocr;
    check_dimensions(bytes, opts).map_err(|r| match r {
        Refused::TooLarge(m) => ExtractError::Bomb(format!("{kind} image: {m}")),
        Refused::Damaged(m) => ExtractError::Malformed {
            format: "image",
            message: format!("{kind} image: {m}"),
        },
    })?;
    if !opts.enabled {
        return Err(ExtractError::Unsupported(format!(
            "{kind} image and OCR is off (--no-ocr): text in images needs OCR or manual review"
        )));
    }
    let mut ex = Extracted::default();
    let mut run = Run::new(limits);
    match run.read(
        &format!("the {kind} image"),
        bytes,
        None,
        SegmentInfo::new(Part::Ocr),
        &mut ex,
    ) {
        Outcome::Read(seg) => ex.segments.push(seg),
        Outcome::Gap => {
            if let Some(m) = run.missing() {
                return Err(ExtractError::Other(m.to_string()));
            }
        }
    }
    finish(&mut ex);
    Ok(ex)
}

/// After a document was read: when all of its text comes from OCR, says so.
pub(crate) fn finish(ex: &mut Extracted) {
    let typed = ex.segments.iter().any(|s| {
        !matches!(s.info.part, Some(Part::Ocr) | Some(Part::Metadata)) && !s.text.trim().is_empty()
    });
    let ocr = ex
        .segments
        .iter()
        .filter(|s| s.info.part == Some(Part::Ocr))
        .count();
    if !typed && ocr > 0 {
        ex.coverage.notes.push(format!(
            "all text of this file comes from OCR ({ocr} image(s)): recognition can misread or miss words; check the scan by eye"
        ));
    }
}

/// Raster images inside a zip container (docx `word/media/`, odt
/// `Pictures/`, xlsx `xl/media/`, and any other entry that is a raster
/// image by content), read after the format's own reader: one pass for
/// every zip format, so a new reader gets it for free. Thumbnails (a
/// preview the application rendered of the first page) are skipped, and
/// vector pictures (EMF/WMF/SVG) are counted in a note.
pub(crate) fn archive_images(
    archive: &mut crate::zipread::Archive<'_>,
    ex: &mut Extracted,
    limits: &Limits,
) {
    // The format readers' own "not read" note is replaced by what happened.
    ex.coverage
        .notes
        .retain(|n| !crate::is_unread_images_note(n));
    let names: Vec<String> = archive
        .names()
        .iter()
        .filter(|n| !n.ends_with('/'))
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            !l.contains("thumbnail")
                && [
                    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".emf", ".wmf",
                    ".svg",
                ]
                .iter()
                .any(|e| l.ends_with(e))
        })
        .cloned()
        .collect();
    let mut run = Run::new(limits);
    let mut vector = 0;
    let mut small = 0;
    for name in names {
        let l = name.to_ascii_lowercase();
        if [".emf", ".wmf", ".svg"].iter().any(|e| l.ends_with(e)) {
            vector += 1;
            continue;
        }
        let bytes = match archive.read(&name) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                ex.coverage
                    .gap(format!("image {name} could not be read: {e}"));
                continue;
            }
        };
        if image_kind(&bytes).is_none() {
            ex.coverage.gap(format!(
                "image {name} is not in a format OCR reads (PNG, JPEG, TIFF, BMP, GIF): review it by eye"
            ));
            continue;
        }
        match check_dimensions(&bytes, &limits.ocr) {
            Ok((w, h)) if w < 24 || h < 12 => {
                // Icons and bullets: too small to hold readable text.
                small += 1;
                continue;
            }
            Ok(_) => {}
            Err(r) => {
                ex.coverage
                    .gap(format!("image {name} refused: {}", r.message()));
                continue;
            }
        }
        let info = SegmentInfo {
            detail: Some(name.clone()),
            ..SegmentInfo::new(Part::Ocr)
        };
        if let Outcome::Read(seg) = run.read(&format!("image {name}"), &bytes, None, info, ex) {
            ex.segments.push(seg);
        }
    }
    if vector > 0 {
        ex.coverage.notes.push(format!(
            "{vector} vector image(s) (EMF/WMF/SVG) not read: text inside them is not scanned"
        ));
    }
    if small > 0 {
        ex.coverage.notes.push(format!(
            "{small} image(s) too small to hold text, not OCR'd"
        ));
    }
    finish(ex);
}

/// PDF pages without a text layer (`empty`), and pages with text that also
/// carry a large image (`with_images`: a scanned attachment), rasterised by
/// poppler's `pdftoppm` (grey, piped, no temporary file) and OCR'd. Pages
/// that cannot be read are gaps. Returns why no page could be OCR'd at all
/// (OCR off, engine missing), if so.
pub(crate) fn pdf_pages(
    pdf: &[u8],
    empty: &[u32],
    images: &PageImages,
    limits: &Limits,
    ex: &mut Extracted,
) -> Option<String> {
    let opts = &limits.ocr;
    let with_images = &images.large;
    let mut run = Run::new(limits);
    let mut pages: Vec<(u32, bool)> = empty.iter().map(|&p| (p, true)).collect();
    pages.extend(
        with_images
            .iter()
            .filter(|p| !empty.contains(p))
            .map(|&p| (p, false)),
    );
    pages.sort_unstable();
    for (page, no_text) in pages {
        let what = if no_text {
            format!("page {page} (no text layer)")
        } else {
            format!("the image on page {page}")
        };
        if run.refuse(&what, ex) {
            continue;
        }
        // At the scan's own resolution (more pixels than the scanner saw add
        // nothing but time), at least 150 dpi, at most `dpi` (300).
        let dpi = images
            .ppi
            .get(&page)
            .map_or(opts.dpi, |&p| p.max(150).min(opts.dpi));
        let raster = match rasterise(pdf, page, dpi, limits) {
            Ok(r) => r,
            Err(m) => {
                ex.coverage
                    .gap(format!("{what} could not be rasterised for OCR: {m}"));
                continue;
            }
        };
        let info = SegmentInfo {
            page: Some(page),
            ..SegmentInfo::new(Part::Ocr)
        };
        if let Outcome::Read(seg) = run.read(&what, &raster, Some(dpi), info, ex) {
            ex.segments.push(seg);
        }
    }
    if !opts.enabled {
        Some("OCR is off (--no-ocr): needs OCR or manual review".into())
    } else {
        run.missing().map(str::to_string)
    }
}

/// Renders one page as a grey PGM on standard output. The size is checked
/// from the PGM header the rasteriser writes; its memory is limited too.
fn rasterise(pdf: &[u8], page: u32, dpi: u32, limits: &Limits) -> Result<Vec<u8>, String> {
    let opts = &limits.ocr;
    let p = page.to_string();
    let mut cmd = Command::new("pdftoppm");
    cmd.args([
        "-r",
        &dpi.to_string(),
        "-gray",
        "-f",
        &p,
        "-l",
        &p,
        "fd://0",
    ]);
    let cap = (opts.max_pixels + 64) as usize;
    let out =
        run_limited(cmd, "pdftoppm", pdf, opts.page_timeout, cap, opts).map_err(|e| match e {
            RunError::NotFound => {
                "poppler's pdftoppm is not installed: apt-get install poppler-utils".to_string()
            }
            RunError::TimedOut => format!(
                "pdftoppm took longer than {} s",
                opts.page_timeout.as_secs()
            ),
            RunError::Other(m) => m,
        })?;
    if out.truncated {
        return Err(format!(
            "the page has more than {} pixels at {dpi} dpi",
            opts.max_pixels
        ));
    }
    if !out.success || !out.stdout.starts_with(b"P5") {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().next().unwrap_or("no output").to_string());
    }
    Ok(out.stdout)
}

/// What `pdfimages -list` says about a PDF's large pictures.
#[derive(Debug, Default)]
pub(crate) struct PageImages {
    /// Pages showing an image that covers at least a tenth of the page:
    /// scanned attachments in a typed PDF, or the scan of an image-only page.
    /// Smaller images (logos, seals, signatures) are not OCR'd.
    pub(crate) large: Vec<u32>,
    /// The highest resolution of a large image on each page.
    pub(crate) ppi: HashMap<u32, u32>,
}

/// Lists the large pictures of a PDF (`pdfimages -list`, compared with the
/// page size from pdfinfo).
pub(crate) fn pdf_image_pages(pdf: &[u8], page_area_pt2: f64, limits: &Limits) -> PageImages {
    let mut found = PageImages::default();
    if !limits.ocr.enabled || page_area_pt2 <= 0.0 {
        return found;
    }
    let cmd = {
        let mut c = Command::new("pdfimages");
        c.args(["-list", "fd://0"]);
        c
    };
    let Ok(out) = run_limited(
        cmd,
        "pdfimages",
        pdf,
        limits.subprocess_timeout,
        4 << 20,
        &limits.ocr,
    ) else {
        return found;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines().skip(2) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        if f.len() < 14 || f[2] != "image" {
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
        let (w, h, xppi, yppi) = (num(3), num(4), num(12), num(13));
        if xppi <= 0.0 || yppi <= 0.0 {
            continue;
        }
        let area = (w / xppi * 72.0) * (h / yppi * 72.0);
        if area >= page_area_pt2 / 10.0 && w >= 200.0 && h >= 100.0 {
            if let Ok(p) = f[0].parse::<u32>() {
                if !found.large.contains(&p) {
                    found.large.push(p);
                }
                let ppi = xppi.min(yppi).round() as u32;
                let e = found.ppi.entry(p).or_insert(ppi);
                *e = (*e).max(ppi);
            }
        }
    }
    found
}

/// OCR findings on a page that also has a text layer repeat what the text
/// layer said: the same rule on the same page with the same text is kept
/// once (the text-layer finding, whose text is exact).
pub(crate) fn drop_repeats(findings: &mut Vec<Finding>) {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let typed: std::collections::HashSet<(Arc<str>, u32, String)> = findings
        .iter()
        .filter(|f| f.location.part != Part::Ocr)
        .filter_map(|f| Some((f.rule.clone(), f.location.page?, squash(&f.matched))))
        .collect();
    if typed.is_empty() {
        return;
    }
    findings.retain(|f| {
        f.location.part != Part::Ocr
            || f.location
                .page
                .is_none_or(|p| !typed.contains(&(f.rule.clone(), p, squash(&f.matched))))
    });
}

// ---------------------------------------------------------------------------
// Children with resource limits.

/// Runs `cmd` with `input` on standard input, `RLIMIT_AS` and `RLIMIT_CPU`
/// set in the child, killed after `timeout`, at most `cap` bytes of output
/// kept. OpenMP is limited to one thread: files are already read in
/// parallel, and Tesseract's own threads only add contention on 2 cores.
fn run_limited(
    mut cmd: Command,
    what: &str,
    input: &[u8],
    timeout: Duration,
    cap: usize,
    opts: &OcrOptions,
) -> Result<ChildOutput, RunError> {
    cmd.env("OMP_THREAD_LIMIT", "1");
    let limits = ChildLimits {
        timeout,
        cpu_seconds: timeout.as_secs().max(1).saturating_add(1),
        memory_bytes: opts.memory_bytes,
    };
    child::run(cmd, what, input, &limits, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tesseract TSV for words given as (block, par, line, left, text).
    fn tsv(words: &[(u32, u32, u32, u32, &str)]) -> String {
        let mut s = String::from("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n");
        s.push_str("1\t1\t0\t0\t0\t0\t0\t0\t1000\t1400\t-1\t\n");
        for (i, (b, p, l, x, t)) in words.iter().enumerate() {
            let top = 100 + 40 * l;
            s.push_str(&format!(
                "5\t1\t{b}\t{p}\t{l}\t{i}\t{x}\t{top}\t{}\t30\t91.5\t{t}\n",
                30 * t.chars().count()
            ));
        }
        s
    }

    fn segment(words: &[(u32, u32, u32, u32, &str)]) -> Segment {
        let (text, map) = layout(&parse_tsv(&tsv(words)), (1, 1), BoxUnit::Px);
        let mut seg = Segment::new(SegmentInfo::new(Part::Ocr), text);
        seg.ocr = Some(Arc::new(map));
        seg
    }

    #[test]
    fn words_are_joined_as_typed_text_and_lines_of_a_paragraph_are_one_line() {
        let seg = segment(&[
            (1, 1, 1, 10, "本"),
            (1, 1, 1, 45, "件"),
            (1, 1, 1, 80, "机密"),
            (1, 1, 2, 10, "★5"),
            (1, 1, 2, 80, "年"),
            (2, 1, 3, 10, "Top"),
            (2, 1, 3, 120, "secret"),
            (2, 1, 4, 10, "110105"),
            (2, 1, 4, 200, "19491231002X"),
        ]);
        assert_eq!(seg.text, "本件机密★5年\nTop secret110105 19491231002X");
        let map = seg.ocr.as_ref().unwrap();
        assert_eq!(map.lines, "本件机密\n★5年\nTopsecret\n11010519491231002X");
        assert_eq!(
            parse_tsv(&tsv(&[(1, 1, 1, 0, "字")])).mean_confidence(),
            Some(91.5)
        );
    }

    #[test]
    fn a_finding_across_two_ocr_lines_gets_the_first_line_and_both_boxes() {
        let scanner = Scanner::shipped();
        let seg = segment(&[
            (1, 1, 1, 10, "本"),
            (1, 1, 1, 45, "件"),
            (1, 1, 1, 80, "机密"),
            (1, 1, 2, 10, "★5"),
            (1, 1, 2, 80, "年"),
        ]);
        let f = crate::scan_segment(&seg, &scanner);
        assert_eq!(f.len(), 1, "{f:#?}");
        let l = &f[0].location;
        assert_eq!(f[0].matched, "机密★5年");
        assert_eq!(
            (l.part, l.line, l.column, l.paragraph),
            (Part::Ocr, 1, 3, Some(1))
        );
        // 机密 at x 80..140 on line 1 (y 140), 年 ends at 110 on line 2 (y 180..210).
        assert_eq!(
            l.bbox,
            Some(BBox {
                x: 10,
                y: 140,
                w: 130,
                h: 70,
                unit: BoxUnit::Px
            })
        );
    }

    #[test]
    fn misread_digits_count_only_where_a_validator_passes() {
        let scanner = Scanner::shipped();
        // O for 0 and l for 1 inside a valid ID number: found, shown as read.
        let seg = segment(&[(1, 1, 1, 10, "身份证号:11O1O5l9491231002X")]);
        let f = crate::scan_segment(&seg, &scanner);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(&*f[0].rule, "personal.id-card");
        assert_eq!(f[0].matched, "11O1O5l9491231002X");
        assert_eq!(f[0].location.column, 6);
        // The check character read as 又.
        let seg = segment(&[(1, 1, 1, 10, "身份证号:11010519491231002又")]);
        let f = crate::scan_segment(&seg, &scanner);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].matched, "11010519491231002又");
        // The same letters where the checksum fails: nothing.
        let seg = segment(&[(1, 1, 1, 10, "编号:11O1O5l9491231003X")]);
        assert!(crate::scan_segment(&seg, &scanner).is_empty());
    }

    #[test]
    fn a_misread_or_lost_star_counts_between_a_level_and_a_period() {
        let scanner = Scanner::shipped();
        for read in ["机密赤5年", "秘密女6个月", "绝密夫长期", "机密5年"] {
            let seg = segment(&[(1, 1, 1, 10, read)]);
            let f: Vec<Finding> = crate::scan_segment(&seg, &scanner)
                .into_iter()
                .filter(|f| &*f.rule == "marking.classification")
                .collect();
            assert_eq!(f.len(), 1, "{read}: {f:#?}");
            assert_eq!(f[0].matched, read);
            assert_eq!(f[0].location.column, 1);
        }
        // Without a period the odd character is not taken for a star.
        for read in ["机密赤色的封面", "保密大5年", "机密去年的事"] {
            let seg = segment(&[(1, 1, 1, 10, read)]);
            let f = crate::scan_segment(&seg, &scanner);
            assert!(
                f.iter().all(|f| &*f.rule != "marking.classification"),
                "{read}: {f:#?}"
            );
        }
    }

    /// An engine that answers without running anything.
    struct Fake(Result<OcrPage, OcrError>);

    impl OcrEngine for Fake {
        fn recognize(
            &self,
            _: &[u8],
            _: Option<u32>,
            _: Duration,
            _: &OcrOptions,
        ) -> Result<OcrPage, OcrError> {
            self.0.clone()
        }
    }

    fn read_with(engine: &Fake, image: &[u8]) -> (Option<Segment>, Extracted) {
        let limits = Limits::default();
        let mut run = Run::new(&limits);
        run.engine = engine;
        let mut ex = Extracted::default();
        let seg = match run.read(
            "page 1",
            image,
            Some(300),
            SegmentInfo::new(Part::Ocr),
            &mut ex,
        ) {
            Outcome::Read(s) => Some(s),
            Outcome::Gap => None,
        };
        (seg, ex)
    }

    #[test]
    fn low_confidence_failure_and_a_missing_engine_are_gaps() {
        let mut page = parse_tsv(&tsv(&[(1, 1, 1, 10, "模糊的字")]));
        page.words[0].conf = 31.0;
        let (seg, ex) = read_with(&Fake(Ok(page)), b"low confidence");
        assert_eq!(seg.unwrap().text, "模糊的字", "the text is still scanned");
        assert!(!ex.coverage.complete);
        assert!(ex.coverage.notes[0].contains("OCR confidence is low (mean 31 of 100)"));

        let failed = Fake(Err(OcrError::Failed(
            "OCR took longer than 60 s and was stopped".into(),
        )));
        let (seg, ex) = read_with(&failed, b"slow");
        assert!(seg.is_none() && !ex.coverage.complete);
        assert!(ex.coverage.notes[0].contains("took longer than 60 s"));

        let missing = Fake(Err(OcrError::NotInstalled(format!(
            "no tesseract: {INSTALL_HINT}"
        ))));
        let (seg, ex) = read_with(&missing, b"missing");
        assert!(seg.is_none() && !ex.coverage.complete);
        assert!(ex.coverage.notes[0].ends_with(INSTALL_HINT));
    }

    #[test]
    fn the_cache_returns_a_result_by_image_hash() {
        let opts = OcrOptions::default();
        let key = cache_key(b"image bytes", Some(300), &opts);
        assert_ne!(key, cache_key(b"image bytes", Some(150), &opts));
        assert!(cached(&key).is_none());
        remember(
            key,
            Arc::new(OcrPage {
                width: 7,
                ..Default::default()
            }),
        );
        assert_eq!(cached(&key).unwrap().width, 7);
    }

    #[test]
    fn a_slow_child_is_killed_and_a_greedy_one_limited() {
        let opts = OcrOptions::default();
        let started = Instant::now();
        let mut sleep = Command::new("sleep");
        sleep.arg("10");
        let r = run_limited(sleep, "sleep", b"", Duration::from_millis(200), 10, &opts);
        assert!(matches!(r, Err(RunError::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(5));
        // RLIMIT_AS is set in the child: it sees the limit.
        let small = OcrOptions {
            memory_bytes: 256 << 20,
            ..OcrOptions::default()
        };
        let mut sh = Command::new("sh");
        sh.args(["-c", "ulimit -v"]);
        let out = run_limited(sh, "sh", b"", Duration::from_secs(5), 100, &small)
            .ok()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            (256 << 10).to_string()
        );
        let missing = run_limited(
            Command::new("/nonexistent/x"),
            "x",
            b"",
            Duration::from_secs(1),
            10,
            &opts,
        );
        assert!(matches!(missing, Err(RunError::NotFound)));
    }
}
