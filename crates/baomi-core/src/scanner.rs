//! The scanner: one Aho-Corasick automaton for every keyword and allow
//! phrase of every rule, pattern rules run only near their trigger
//! characters (see [`crate::prefilter`]), validators, hotwords, and
//! findings located in the original text.
//!
//! The keyword automaton is daachorse's char-wise double array: it takes one
//! transition per character instead of one per byte, which on Chinese text
//! (three UTF-8 bytes per ideograph) measured about three times faster to
//! search and four times faster to build than the `aho-corasick` crate's DFA
//! with 10k keywords (see benches/README.md).

use crate::excerpt::{back_chars, forward_chars, CONTEXT_CHARS};
use crate::normalize::{self, fold_keyword, View};
use crate::prefilter::{Regions, Triggers};
use crate::rules::{Matcher, Rule, RuleError, RuleSet};
use crate::stream::OVERLAP;
use crate::types::{Confidence, Context, Excerpt, Finding, Location, Report, SegmentInfo, Span};
use crate::validators::{Check, Validator};
use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use regex_automata::{meta::Regex, Input};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Texts at least this long per core are scanned in parallel pieces.
const PARALLEL_MIN_BYTES: usize = 2 << 20;

/// About how long a parallel piece is: short enough that the cores finish
/// close together and a piece's normalised views stay in cache, long
/// enough that the overlap scanned twice is negligible. keywords-10k on the
/// corpus (2 cores, interleaved medians): 1 MiB 161.6 ms, 512 KiB 158.0,
/// 256 KiB 156.3; keywords-100k: 398, 392, 402 ms.
const PIECE_BYTES: usize = 1 << 19;

/// Lazy-DFA cache per pattern rule. regex-automata's default (2 MB) is
/// too small for the identity-number rules on a roster: the cache fills,
/// is cleared and rebuilt over and over (a third of that scan's time);
/// 4 MB still thrashes, 8 MB does not (a cap: a cache grows only as needed).
const HYBRID_CACHE: usize = 8 << 20;

/// Errors building a scanner from a rule set.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("cannot build the keyword automaton ({keywords} keywords): {message}")]
    Automaton { keywords: usize, message: String },
    #[error("{origin}: rule `{rule}`: pattern too large to compile: {message}")]
    Pattern {
        origin: String,
        rule: String,
        message: String,
    },
}

/// What one automaton pattern stands for (several rules may share a keyword).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Keyword {
        rule: u32,
        /// The keyword folded without noise stripping (what an unbroken
        /// occurrence must fold to).
        strict: Box<str>,
        /// The keyword folded with noise stripped, for noise-tolerant rules.
        stripped: Box<str>,
    },
    Allow {
        rule: u32,
    },
    /// A hotword of a `require_hotword` pattern rule: the rule runs only
    /// on texts where one occurs (see [`gate_hotwords`]).
    Gate {
        rule: u32,
    },
}

#[derive(Debug)]
struct CompiledPattern {
    rule: u32,
    search: Search,
    validator: Option<Validator>,
}

/// How a pattern is searched.
#[derive(Debug)]
enum Search {
    /// The pattern as written.
    Plain(Regex),
    /// The branches whose every match starts with a digit, behind
    /// `(?:^|(?-u:[^0-9]))` (a match starts one byte early; see
    /// [`crate::prefilter::DigitLed`]), and the other branches, if any.
    Led { digit: Regex, other: Option<Regex> },
}

impl CompiledPattern {
    /// Calls `f` with the start and end of each match in `a..b` of `hay`,
    /// leftmost first, not overlapping; a match that starts with a digit
    /// only where a digit run starts.
    fn for_each_match(&self, hay: &str, (a, b): (usize, usize), mut f: impl FnMut(usize, usize)) {
        let bytes = hay.as_bytes();
        let (digit_regex, other_regex) = match &self.search {
            Search::Plain(regex) => {
                for m in regex.find_iter(Input::new(bytes).range(a..b)) {
                    f(m.start(), m.end());
                }
                return;
            }
            Search::Led { digit, other } => (digit, other),
        };
        // The leftmost match of each part that starts at or after `pos`.
        let other_from = |pos: usize| {
            other_regex
                .as_ref()?
                .search(&Input::new(bytes).range(pos..b))
                .map(|m| (m.start(), m.end()))
        };
        let digit_from = |pos: usize| {
            // The prefix may take the byte before `pos`.
            let mut at = pos.saturating_sub(1);
            loop {
                let m = digit_regex.search(&Input::new(bytes).range(at..b))?;
                if bytes[m.start()].is_ascii_digit() {
                    // `^`, at the text's start.
                    if m.start() >= pos {
                        return Some((m.start(), m.end()));
                    }
                    at = m.start() + 1;
                } else {
                    return Some((m.start() + 1, m.end()));
                }
            }
        };
        let (mut other, mut digit) = (other_from(a), digit_from(a));
        loop {
            let (start, end) = match (other, digit) {
                (Some(o), Some(d)) => o.min(d),
                (Some(m), None) | (None, Some(m)) => m,
                (None, None) => return,
            };
            f(start, end);
            // As `find_iter` does: the next match starts after this one.
            if other.is_some_and(|o| o.0 < end) {
                other = other_from(end);
            }
            if digit.is_some_and(|d| d.0 < end) {
                digit = digit_from(end);
            }
        }
    }
}

/// A compiled rule set, ready to scan any number of texts from any number
/// of threads.
///
/// ```
/// use baomi_core::{Scanner, Verdict};
/// let scanner = Scanner::shipped();
/// let report = scanner.scan("本文件为机密★5年，请妥善保管。");
/// assert_eq!(report.verdict(), Verdict::Withhold);
/// assert_eq!(report.findings[0].matched, "机密★5年");
/// let report = scanner.scan("依据《中华人民共和国保守国家秘密法》开展保密审查。");
/// assert_eq!(report.verdict(), Verdict::Clear);
/// ```
pub struct Scanner {
    rules: Vec<Rule>,
    pub(crate) automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    pub(crate) targets: Vec<Vec<Target>>,
    patterns: Vec<CompiledPattern>,
    /// Where each pattern can match (see [`crate::prefilter`]).
    triggers: Triggers,
    /// Whether any rule asks for traditional → simplified folding.
    t2s: bool,
    folded_hotwords: Vec<Vec<String>>,
    /// Per rule: a `require_hotword` pattern rule skipped outright in texts
    /// where the keyword automaton met none of its hotwords.
    gated: Vec<bool>,
    /// Per rule, the rules whose overlapping finding replaces its own
    /// (`supersedes` in the rule file, read from the other side).
    superseded_by: Vec<Vec<u32>>,
    fingerprint: String,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rules.len())
            .field("keywords", &self.targets.len())
            .field("patterns", &self.patterns.len())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// A match before it becomes a finding, in original-text offsets.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: u32,
    start: usize,
    end: usize,
    /// Validator said only "plausible": needs a hotword.
    weak: bool,
    /// Validator found a doubtful part: at most `medium` confidence.
    unsure: bool,
}

/// Hits per chunk: small enough that the hits not yet made into findings
/// add little to a large scan's peak (64k hits are 3 MB). Small in unit
/// tests, so that their scans cross chunk boundaries.
const HIT_CHUNK: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// A candidate that was kept, located: what a finding is made from. Small,
/// so that the pieces of a large text can return them to be merged without
/// holding every finding twice.
#[derive(Debug, Clone, Copy)]
struct Hit {
    candidate: Candidate,
    confidence: Confidence,
    line: u64,
    column: u64,
}

/// A rule example that did not behave as its rule file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    pub example: String,
    /// True for a `tests.hit` example that was not found, false for a
    /// `tests.miss` example that was.
    pub expected_hit: bool,
}

impl Scanner {
    /// Compiles a checked rule set.
    ///
    /// On more than one core the keyword automaton is built while the
    /// pattern rules compile on another thread: for a large keyword list
    /// the two take about as long as each other, and both come before the
    /// first byte is scanned.
    pub fn new(set: RuleSet) -> Result<Scanner, ScannerError> {
        let (strings, targets) = keyword_targets(&set.rules);
        if strings.is_empty() {
            return Scanner::assemble(set, None, targets);
        }
        let build = || {
            let keywords = strings.len();
            // One free block searched per placement instead of 16:
            // building 100k keywords takes 0.26 s instead of 0.82 s for
            // a 40% larger automaton (9 MB), and search speed is the
            // same (benches/README.md, issue 15).
            CharwiseDoubleArrayAhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .num_free_blocks(1)
                .build_with_values(strings.iter().zip(0u32..))
                .map_err(|e| ScannerError::Automaton {
                    keywords,
                    message: e.to_string(),
                })
        };
        if cores() < 2 {
            let automaton = build()?;
            return Scanner::assemble(set, Some(automaton), targets);
        }
        let (automaton, patterns) = std::thread::scope(|s| {
            let patterns = s.spawn(|| compile_patterns(&set.rules, 1));
            let automaton = build();
            let patterns = patterns
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (automaton, patterns)
        });
        Scanner::assemble_compiled(set, Some(automaton?), targets, patterns?)
    }

    /// The scanner for `set` around a keyword automaton and its targets,
    /// built by [`Scanner::new`] or loaded by [`Scanner::from_compiled`]:
    /// everything else (patterns, triggers, hotwords) is cheap to build.
    pub(crate) fn assemble(
        set: RuleSet,
        automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
        targets: Vec<Vec<Target>>,
    ) -> Result<Scanner, ScannerError> {
        let patterns = compile_patterns(&set.rules, cores())?;
        Scanner::assemble_compiled(set, automaton, targets, patterns)
    }

    /// [`Scanner::assemble`] with the pattern rules already compiled.
    fn assemble_compiled(
        set: RuleSet,
        automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
        targets: Vec<Vec<Target>>,
        (patterns, analysed): CompiledPatterns,
    ) -> Result<Scanner, ScannerError> {
        let fingerprint = set.fingerprint().to_string();
        let rules = set.rules;
        let t2s = rules.iter().any(|r| r.traditional);
        let triggers = Triggers::new(&analysed);
        let folded_hotwords = rules
            .iter()
            .map(|r| {
                r.hotwords
                    .iter()
                    .map(|h| fold_keyword(h, true, r.traditional))
                    .collect()
            })
            .collect();
        // From the targets themselves, so that a rule is never skipped for
        // want of hotwords the automaton does not hold.
        let mut gated = vec![false; rules.len()];
        for t in targets.iter().flatten() {
            if let Target::Gate { rule } = t {
                gated[*rule as usize] = true;
            }
        }
        let mut superseded_by = vec![Vec::new(); rules.len()];
        for (i, r) in rules.iter().enumerate() {
            for id in &r.supersedes {
                if let Some(j) = rules.iter().position(|o| o.id == *id) {
                    superseded_by[j].push(i as u32);
                }
            }
        }
        Ok(Scanner {
            gated,
            superseded_by,
            rules,
            automaton,
            targets,
            patterns,
            triggers,
            t2s,
            folded_hotwords,
            fingerprint,
        })
    }

    /// The shipped rule sets.
    pub fn shipped() -> Scanner {
        Scanner::new(RuleSet::shipped()).expect("shipped rules compile; the test suite checks them")
    }

    /// A shipped pack by name (see [`crate::PACKS`]); `None` for an unknown
    /// name.
    pub fn pack(name: &str) -> Option<Scanner> {
        let set = RuleSet::pack(name)?;
        Some(Scanner::new(set).expect("shipped packs compile; the test suite checks them"))
    }

    /// Loads rules from a folder of `*.toml` files (or one file).
    pub fn from_dir(path: &Path) -> Result<Scanner, ScannerError> {
        Scanner::new(RuleSet::from_path(path)?)
    }

    /// Loads rules from TOML text; `name` appears in error messages.
    pub fn from_str(name: &str, toml: &str) -> Result<Scanner, ScannerError> {
        Scanner::new(RuleSet::from_str(name, toml)?)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Identifies the rule set (hex SHA-256 of the rule files).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Scans a plain text as the body of a document.
    pub fn scan(&self, text: &str) -> Report {
        Report {
            findings: self.scan_segment(text, &SegmentInfo::default()),
        }
    }

    /// Scans one text segment of a document; findings carry the segment's
    /// location (part, page, paragraph, …) plus line and column.
    ///
    /// Texts of several megabytes are split into overlapping pieces scanned
    /// on all cores; the findings are the same as for a single pass.
    pub fn scan_segment(&self, text: &str, info: &SegmentInfo) -> Vec<Finding> {
        let most = text.len() / PARALLEL_MIN_BYTES;
        // Asked only when there is something to split: on Linux the answer
        // reads cgroup files, three opens per call, which for a folder of
        // small drafts cost more than scanning them.
        let threads = if most > 1 { cores() } else { 1 }.min(most);
        let pieces = (text.len() / PIECE_BYTES).max(threads);
        self.scan_in_pieces(text, info, threads, pieces)
    }

    /// Scans `text` split into `pieces` parts on `threads` threads, each
    /// taking the next piece when done with one: pieces of equal length are
    /// not equal work (a dense table takes longer than prose), and with one
    /// piece per thread the slowest piece decided the wall time.
    fn scan_in_pieces(
        &self,
        text: &str,
        info: &SegmentInfo,
        threads: usize,
        pieces: usize,
    ) -> Vec<Finding> {
        if threads <= 1 || pieces <= 1 {
            return self.scan_window(
                text,
                info,
                Window {
                    line_base: 1,
                    column_base: 0,
                    report_from: 0,
                    report_to: text.len(),
                },
            );
        }
        let cuts: Vec<usize> = (0..=pieces)
            .map(|k| text.floor_char_boundary(text.len() * k / pieces))
            .collect();
        let windows = piece_windows(text, &cuts);
        let next = std::sync::atomic::AtomicUsize::new(0);
        // The pieces return compact hits, and the findings are made once,
        // from the whole text: the pieces' findings are never held beside
        // the merged ones, and all share one copy of the text they quote.
        let mut by_piece: Vec<Vec<Vec<Hit>>> = vec![Vec::new(); pieces];
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads.min(pieces))
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&(lo, hi, window)) = windows.get(k) else {
                                break;
                            };
                            done.push((k, self.scan_piece(text, info, lo, hi, window)));
                        }
                        done
                    })
                })
                .collect();
            for h in handles {
                for (k, hits) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                    by_piece[k] = hits;
                }
            }
        });
        let hits = by_piece.into_iter().flatten().collect();
        self.findings_in_parallel(text, info, hits, threads)
    }

    /// Scans `text[lo..hi]` in `window`, its hits located in the whole text.
    fn scan_piece(
        &self,
        text: &str,
        info: &SegmentInfo,
        lo: usize,
        hi: usize,
        window: Window,
    ) -> Vec<Vec<Hit>> {
        let mut hits = self.hits_in_window(&text[lo..hi], info, window);
        for h in hits.iter_mut().flatten() {
            h.candidate.start += lo;
            h.candidate.end += lo;
        }
        hits
    }

    /// Runs every rule's `tests.hit` and `tests.miss` examples and returns
    /// the ones that misbehave (empty when all pass).
    pub fn test_examples(&self) -> Vec<ExampleFailure> {
        let mut failures = Vec::new();
        for rule in &self.rules {
            let cases = rule
                .hit_examples
                .iter()
                .map(|e| (e, true))
                .chain(rule.miss_examples.iter().map(|e| (e, false)));
            for (example, expected_hit) in cases {
                let hit = self
                    .scan(example)
                    .findings
                    .iter()
                    .any(|f| f.rule == rule.id);
                if hit != expected_hit {
                    failures.push(ExampleFailure {
                        rule: rule.id.to_string(),
                        origin: rule.origin.clone(),
                        example: example.clone(),
                        expected_hit,
                    });
                }
            }
        }
        failures
    }

    /// Scans `text`, reporting only findings that start inside
    /// `report_from..report_to` (the stream scanner overlaps its chunks).
    pub(crate) fn scan_window(
        &self,
        text: &str,
        info: &SegmentInfo,
        window: Window,
    ) -> Vec<Finding> {
        let hits = self.hits_in_window(text, info, window);
        self.findings_of(text, info, hits)
    }

    /// What [`Scanner::scan_window`] finds, before it is made into findings.
    /// The hits come in chunks of at most [`HIT_CHUNK`], in text order, so
    /// that [`Scanner::findings_of`] frees them while it makes findings.
    fn hits_in_window(&self, text: &str, info: &SegmentInfo, window: Window) -> Vec<Vec<Hit>> {
        let mut kept = self.select(text, window.report_from, window.report_to);
        // PDF pages (segments with a page number) are matched a second time
        // with soft line breaks removed: a match across a removed break, or
        // one whose context stands on the line before, is added, and a match
        // found both ways keeps the better confidence.
        if info.page.is_some() {
            if let Some(joined) = crate::softbreak::join(text) {
                for (mut c, confidence) in self.select(&joined.text, 0, joined.text.len()) {
                    (c.start, c.end) = joined.original(c.start, c.end);
                    if c.start < window.report_from || c.start >= window.report_to {
                        continue;
                    }
                    if let Some(same) = kept
                        .iter_mut()
                        .find(|(k, _)| k.rule == c.rule && k.start == c.start && k.end == c.end)
                    {
                        same.1 = same.1.max(confidence);
                    } else if !kept
                        .iter()
                        .any(|(k, _)| k.rule == c.rule && k.start < c.end && c.start < k.end)
                    {
                        // New: across a break, or with its context (a
                        // hotword, a person) on the line before.
                        kept.push((c, confidence));
                    }
                }
            }
        }
        self.drop_superseded(&mut kept);
        if kept.is_empty() {
            return Vec::new();
        }
        // Locate in text order so that columns are counted incrementally:
        // many findings on one very long line stay linear, not quadratic.
        kept.sort_by_key(|(c, _)| c.start);
        let lines = LineIndex::new(text);
        let mut cursor = (usize::MAX, 0usize, 0u64); // (line, offset, column at offset)
        let mut chunks: Vec<Vec<Hit>> = Vec::new();
        let total = kept.len();
        for (n, (candidate, confidence)) in kept.into_iter().enumerate() {
            if n % HIT_CHUNK == 0 {
                chunks.push(Vec::with_capacity((total - n).min(HIT_CHUNK)));
            }
            let (line, line_start) = lines.line_of(candidate.start);
            let (from, col) = if cursor.0 == line {
                (cursor.1, cursor.2)
            } else {
                (line_start, 0)
            };
            let column = col + text[from..candidate.start].chars().count() as u64;
            cursor = (line, candidate.start, column);
            let column = column + 1 + if line == 0 { window.column_base } else { 0 };
            chunks.last_mut().expect("pushed above").push(Hit {
                candidate,
                confidence,
                line: window.line_base + line as u64,
                column,
            });
        }
        chunks
    }

    /// Makes `chunks` of hits (offsets in `text`, in text order) into
    /// findings, freeing each chunk of hits once its findings are made.
    fn findings_of(&self, text: &str, info: &SegmentInfo, chunks: Vec<Vec<Hit>>) -> Vec<Finding> {
        let mut findings = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
        self.make_findings(text, info, chunks, |f| findings.push(f));
        findings
    }

    /// [`Scanner::findings_of`] on up to `threads` threads, for the many
    /// findings of a large text: each thread makes the findings of a run of
    /// chunks, in place in the one vector they end up in (no second copy of
    /// them at the peak), and quotes its own copy of its part of the text (a
    /// single shared reference count would bounce between the cores).
    fn findings_in_parallel(
        &self,
        text: &str,
        info: &SegmentInfo,
        chunks: Vec<Vec<Hit>>,
        threads: usize,
    ) -> Vec<Finding> {
        let total: usize = chunks.iter().map(Vec::len).sum();
        if threads <= 1 || chunks.len() < 2 {
            return self.findings_of(text, info, chunks);
        }
        let per_thread = total.div_ceil(threads);
        let mut groups: Vec<(usize, Vec<Vec<Hit>>)> = Vec::new();
        let mut group = (0, Vec::new());
        for chunk in chunks {
            group.0 += chunk.len();
            group.1.push(chunk);
            if group.0 >= per_thread {
                groups.push(std::mem::take(&mut group));
            }
        }
        if !group.1.is_empty() {
            groups.push(group);
        }
        let mut findings: Vec<Finding> = Vec::with_capacity(total);
        let written: usize = std::thread::scope(|s| {
            let mut rest = &mut findings.spare_capacity_mut()[..total];
            let handles: Vec<_> = groups
                .into_iter()
                .map(|(n, group)| {
                    let (slots, tail) = std::mem::take(&mut rest).split_at_mut(n);
                    rest = tail;
                    s.spawn(move || {
                        let mut slots = slots.iter_mut();
                        let mut written = 0;
                        self.make_findings(text, info, group, |f| {
                            slots.next().expect("one slot per hit").write(f);
                            written += 1;
                        });
                        assert_eq!(written, n, "every slot of the group is written");
                        written
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .sum()
        });
        assert_eq!(written, total);
        // SAFETY: each thread wrote its `n` slots (asserted), the groups'
        // slots are consecutive and together the first `total` slots of the
        // vector's capacity (asserted above).
        unsafe { findings.set_len(total) };
        findings
    }

    /// Passes the finding of each hit of `chunks` to `emit`, in order,
    /// freeing each chunk once done with it. The findings share one copy of
    /// the part of `text` they quote.
    fn make_findings(
        &self,
        text: &str,
        info: &SegmentInfo,
        chunks: Vec<Vec<Hit>>,
        mut emit: impl FnMut(Finding),
    ) {
        let all = || chunks.iter().flatten();
        let (Some(first), Some(end)) = (all().next(), all().map(|h| h.candidate.end).max()) else {
            return;
        };
        let lo = back_chars(text, first.candidate.start, CONTEXT_CHARS);
        let hi = forward_chars(text, end, CONTEXT_CHARS);
        let quoted: Arc<str> = text[lo..hi].into();
        let shared = |s: &Option<String>| s.as_deref().map(Arc::from);
        let at = Location {
            part: info.part.unwrap_or(crate::types::Part::Body),
            line: 0,
            column: 0,
            page: info.page,
            paragraph: info.paragraph,
            cell: shared(&info.cell),
            author: shared(&info.author),
            detail: shared(&info.detail),
            bbox: None,
        };
        // The rules' names are quoted from copies of this call's own, for
        // the reason the text is: one reference count shared by every
        // finding of a rule, made on two cores, would bounce between them.
        let mut names: Vec<Option<RuleNames>> = vec![None; self.rules.len()];
        for chunk in chunks {
            for h in chunk {
                let rule = &self.rules[h.candidate.rule as usize];
                let names = names[h.candidate.rule as usize].get_or_insert_with(|| RuleNames {
                    id: Arc::from(&*rule.id),
                    title: Arc::from(&*rule.title),
                    basis: Arc::from(&*rule.basis),
                });
                emit(self.finding(&quoted, lo, &at, names, h));
            }
        }
    }

    /// Removes candidates that an overlapping candidate of a rule which
    /// supersedes theirs replaces.
    fn drop_superseded(&self, kept: &mut Vec<(Candidate, Confidence)>) {
        if kept.len() < 2 || self.superseded_by.iter().all(Vec::is_empty) {
            return;
        }
        // The superseding candidates by start; spans are short, so a
        // candidate is compared with those starting before its end and
        // ending after its start.
        let mut by_start: Vec<(usize, usize, u32)> = kept
            .iter()
            // Candidates of rules that supersede others (one naming only
            // unknown ids is taken too, and replaces nothing).
            .filter(|(c, _)| !self.rules[c.rule as usize].supersedes.is_empty())
            .map(|(c, _)| (c.start, c.end, c.rule))
            .collect();
        if by_start.is_empty() {
            return;
        }
        by_start.sort_unstable();
        let longest = by_start.iter().map(|(s, e, _)| e - s).max().unwrap_or(0);
        kept.retain(|(c, _)| {
            let over = &self.superseded_by[c.rule as usize];
            if over.is_empty() {
                return true;
            }
            let until = by_start.partition_point(|(s, _, _)| *s < c.end);
            !by_start[..until]
                .iter()
                .rev()
                .take_while(|(s, _, _)| s + longest > c.start)
                .any(|(_, e, r)| *e > c.start && over.contains(r))
        });
    }

    /// Matches every rule on `text` and keeps the candidates that start in
    /// `report_from..report_to` and pass their rule's conditions (allow
    /// phrases, whole line, person scope, hotwords), with a confidence.
    fn select(
        &self,
        text: &str,
        report_from: usize,
        report_to: usize,
    ) -> Vec<(Candidate, Confidence)> {
        let views = normalise_for(self, text);
        let mut candidates = Vec::new();
        let mut allowed: Vec<(u32, usize, usize)> = Vec::new();
        // Per rule: one of its gate hotwords occurs.
        let mut open = vec![false; self.rules.len()];
        if let Some(ac) = &self.automaton {
            let view = &views.stripped;
            self.keyword_candidates(ac, text, view, &mut candidates, &mut allowed, &mut open);
        }
        if let Some(full) = &views.full {
            let regions = self.triggers.regions(&full.text);
            for (p, regions) in self.patterns.iter().zip(regions) {
                let rule = p.rule as usize;
                if self.gated[rule] && !open[rule] {
                    continue;
                }
                let whole = [(0, full.text.len())];
                let ranges: &[(usize, usize)] = match &regions {
                    Regions::None => continue,
                    Regions::All => &whole,
                    Regions::Some(r) => r,
                };
                self.pattern_candidates(p, text, full, ranges, &mut candidates);
            }
        }
        if candidates.is_empty() {
            return Vec::new();
        }
        allowed.sort_unstable();
        // Per rule, keep the longest of overlapping same-rule matches that
        // contain one another (国务院 over 务院 when both are keywords).
        candidates.sort_unstable_by_key(|c| (c.rule, c.start, std::cmp::Reverse(c.end)));
        let mut kept = Vec::with_capacity(candidates.len());
        let mut last: Option<(u32, usize)> = None;
        for c in candidates {
            let reach = match last {
                Some((r, end)) if r == c.rule => {
                    if c.end <= end {
                        continue;
                    }
                    end.max(c.end)
                }
                _ => c.end,
            };
            last = Some((c.rule, reach));
            if c.start < report_from || c.start >= report_to || is_allowed(&allowed, &c) {
                continue;
            }
            let rule = &self.rules[c.rule as usize];
            if rule.whole_line && !alone_on_line(text, c.start, c.end) {
                continue;
            }
            if rule.person && !crate::person::person_near(text, c.start, c.end) {
                continue;
            }
            let hotword = !rule.hotwords.is_empty()
                && self.hotword_near(c.rule as usize, text, c.start, c.end);
            if (rule.require_hotword || c.weak) && !hotword {
                continue;
            }
            let confidence = match (c.weak, rule.hotwords.is_empty(), hotword) {
                (true, _, _) => Confidence::Low,
                _ if c.unsure => Confidence::Medium,
                (false, true, _) | (false, false, true) => Confidence::High,
                (false, false, false) => Confidence::Medium,
            };
            kept.push((c, confidence));
        }
        kept
    }

    fn keyword_candidates(
        &self,
        ac: &CharwiseDoubleArrayAhoCorasick<u32>,
        text: &str,
        view: &View,
        candidates: &mut Vec<Candidate>,
        allowed: &mut Vec<(u32, usize, usize)>,
        open: &mut [bool],
    ) {
        for m in ac.find_overlapping_iter(&view.text) {
            let targets = &self.targets[m.value() as usize];
            if let [Target::Gate { rule }] = targets.as_slice() {
                // Only a gate: no offsets needed.
                open[*rule as usize] = true;
                continue;
            }
            let (start, end) = view.original_span(text, m.start(), m.end());
            for target in targets {
                match target {
                    Target::Gate { rule } => open[*rule as usize] = true,
                    Target::Allow { rule } => allowed.push((*rule, start, end)),
                    Target::Keyword {
                        rule,
                        strict,
                        stripped,
                    } => {
                        let r = &self.rules[*rule as usize];
                        let original = &text[start..end];
                        let ok = original == &**strict
                            || if r.max_noise > 0 {
                                normalize::matches_with_noise(
                                    original,
                                    stripped,
                                    r.max_noise,
                                    r.traditional,
                                )
                            } else {
                                fold_keyword(original, false, r.traditional) == **strict
                            };
                        if ok {
                            candidates.push(Candidate {
                                rule: *rule,
                                start,
                                end,
                                weak: false,
                                unsure: false,
                            });
                        }
                    }
                }
            }
        }
    }

    fn pattern_candidates(
        &self,
        p: &CompiledPattern,
        text: &str,
        view: &View,
        ranges: &[(usize, usize)],
        candidates: &mut Vec<Candidate>,
    ) {
        for &range in ranges {
            p.for_each_match(&view.text, range, |start, end| {
                self.pattern_match(p, text, view, start, end, candidates)
            });
        }
    }

    /// Checks one match of `p` at `start..end` of `view` and adds it to
    /// `candidates` if it stands.
    fn pattern_match(
        &self,
        p: &CompiledPattern,
        text: &str,
        view: &View,
        start: usize,
        end: usize,
        candidates: &mut Vec<Candidate>,
    ) {
        let hay = view.text.as_bytes();
        // A digit run is never part of a longer digit run: no word
        // boundaries exist in Chinese, but digits do have edges.
        let starts_digit = hay[start].is_ascii_digit();
        let ends_digit = hay[end - 1].is_ascii_digit() || hay[end - 1] == b'x';
        if (starts_digit && start > 0 && hay[start - 1].is_ascii_digit())
            || (ends_digit
                && hay
                    .get(end)
                    .is_some_and(|&b| b.is_ascii_digit() || b == b'x'))
            || (ends_digit && grouped_continues(hay, start, end))
        {
            return;
        }
        let check = p
            .validator
            .map_or(Check::Pass, |v| v.check(&view.text[start..end]));
        if check == Check::Fail {
            return;
        }
        let (start, end) = view.original_span(text, start, end);
        candidates.push(Candidate {
            rule: p.rule,
            start,
            end,
            weak: check == Check::Weak,
            unsure: check == Check::Unsure,
        });
    }

    fn hotword_near(&self, rule: usize, text: &str, start: usize, end: usize) -> bool {
        let window = self.rules[rule].hotword_window;
        let (lo, hi) = hotword_unit(text, start, end);
        let before = back_chars(text, start, window).max(lo);
        let after = forward_chars(text, end, window).min(hi);
        let around = fold_keyword(&text[before..after], true, self.rules[rule].traditional);
        self.folded_hotwords[rule]
            .iter()
            .any(|h| around.contains(h.as_str()))
    }

    /// One finding; `quoted` is the text from byte `lo` of the segment on,
    /// `at` the segment's location.
    fn finding(
        &self,
        quoted: &Arc<str>,
        lo: usize,
        at: &Location,
        names: &RuleNames,
        hit: Hit,
    ) -> Finding {
        let c = hit.candidate;
        let rule = &self.rules[c.rule as usize];
        let (start, end) = (c.start - lo, c.end - lo);
        Finding {
            rule: names.id.clone(),
            title: names.title.clone(),
            category: rule.category,
            severity: rule.severity,
            basis: names.basis.clone(),
            matched: Excerpt::new(quoted, start, end),
            confidence: hit.confidence,
            location: Location {
                line: hit.line,
                column: hit.column,
                ..at.clone()
            },
            context: Context::around(quoted, start, end),
            span: Span {
                start: c.start,
                end: c.end,
            },
        }
    }
}

/// A rule's id, title and basis as findings quote them.
#[derive(Clone)]
struct RuleNames {
    id: Arc<str>,
    title: Arc<str>,
    basis: Arc<str>,
}

/// The pattern rules compiled, in rule order, with the trigger analysis of
/// each (see [`crate::prefilter`]).
type CompiledPatterns = (Vec<CompiledPattern>, Vec<Option<crate::prefilter::Trigger>>);

/// Compiles every pattern rule of `rules` on up to `threads` threads (each
/// takes every `threads`-th pattern; the order is kept).
fn compile_patterns(rules: &[Rule], threads: usize) -> Result<CompiledPatterns, ScannerError> {
    let pattern_rules: Vec<(usize, &Rule, &str, Option<Validator>)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| match &rule.matcher {
            Matcher::Pattern { pattern, validator } => {
                Some((i, rule, pattern.as_str(), *validator))
            }
            _ => None,
        })
        .collect();
    let threads = threads.clamp(1, pattern_rules.len().max(1));
    let compile_share = |k: usize| -> Vec<Result<_, ScannerError>> {
        pattern_rules
            .iter()
            .skip(k)
            .step_by(threads)
            .map(|&(i, rule, pattern, validator)| compile_pattern(i, rule, pattern, validator))
            .collect()
    };
    let shares: Vec<Vec<_>> = if threads == 1 {
        vec![compile_share(0)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads)
                .map(|k| s.spawn(move || compile_share(k)))
                .collect();
            let mut shares = vec![compile_share(0)];
            shares.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            );
            shares
        })
    };
    // Pattern n is share n % threads, item n / threads.
    let mut iters: Vec<_> = shares.into_iter().map(Vec::into_iter).collect();
    let (mut patterns, mut analysed) = (Vec::new(), Vec::new());
    for n in 0..pattern_rules.len() {
        let (pattern, trigger) = iters[n % threads].next().expect("one result per pattern")?;
        patterns.push(pattern);
        analysed.push(trigger);
    }
    Ok((patterns, analysed))
}

/// Compiles `pattern`, of rule number `i`, with its trigger analysis.
fn compile_pattern(
    i: usize,
    rule: &Rule,
    pattern: &str,
    validator: Option<Validator>,
) -> Result<(CompiledPattern, Option<crate::prefilter::Trigger>), ScannerError> {
    let refused = |message: String| ScannerError::Pattern {
        origin: rule.origin.clone(),
        rule: rule.id.to_string(),
        message,
    };
    // Parsed once, for the analysis, the split and the build.
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|e| refused(e.to_string()))?;
    let trigger = crate::prefilter::analyse(&hir);
    // A pattern triggered by digits only (identity numbers) runs in windows
    // around those characters already; the regex's own literal prefilter
    // then fires at almost every byte and costs more than it saves.
    let digit_triggered = trigger
        .as_ref()
        .is_some_and(|t| t.chars.iter().all(char::is_ascii_digit));
    // No full DFAs: the meta regex builds one for each small pattern,
    // which cost about 1 ms of every start (13.4 -> 12.3 ms for a one-line
    // file) and searched the short trigger windows no faster than the lazy
    // DFA does.
    let config = Regex::config()
        .hybrid_cache_capacity(HYBRID_CACHE)
        .auto_prefilter(!digit_triggered)
        .dfa(false);
    let build = |hir: &regex_syntax::hir::Hir| {
        Regex::builder()
            .configure(config.clone())
            .build_from_hir(hir)
            .map_err(|e| refused(e.to_string()))
    };
    let search = match crate::prefilter::digit_led(&hir) {
        None => Search::Plain(build(&hir)?),
        Some(split) => Search::Led {
            digit: build(&split.at_run_start())?,
            other: split.other.as_ref().map(build).transpose()?,
        },
    };
    let pattern = CompiledPattern {
        rule: i as u32,
        search,
        validator,
    };
    Ok((pattern, trigger))
}

/// The automaton's strings (keywords and allow phrases, folded as the
/// scanned view is) and, per string, what it stands for: several rules may
/// share one.
fn keyword_targets(rules: &[Rule]) -> (Vec<String>, Vec<Vec<Target>>) {
    let t2s = rules.iter().any(|r| r.traditional);
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut strings: Vec<String> = Vec::new();
    let mut targets: Vec<Vec<Target>> = Vec::new();
    let mut add = |text: String, target: Target| {
        let id = *ids.entry(text).or_insert_with_key(|k| {
            strings.push(k.clone());
            targets.push(Vec::new());
            strings.len() - 1
        });
        targets[id].push(target);
    };
    for (i, rule) in rules.iter().enumerate() {
        let ri = i as u32;
        if let Matcher::Keywords(words) = &rule.matcher {
            for w in words {
                add(
                    fold_keyword(w, true, t2s),
                    Target::Keyword {
                        rule: ri,
                        strict: fold_keyword(w, false, rule.traditional).into(),
                        stripped: fold_keyword(w, true, rule.traditional).into(),
                    },
                );
            }
        }
        for a in &rule.allow {
            add(fold_keyword(a, true, t2s), Target::Allow { rule: ri });
        }
        for h in gate_hotwords(rule, t2s).into_iter().flatten() {
            add(h, Target::Gate { rule: ri });
        }
    }
    (strings, targets)
}

/// The hotwords of a `require_hotword` pattern rule, folded as the view
/// the keyword automaton searches, when the rule can be skipped in a text
/// that has none of them: not when one folds to nothing (it is in every
/// text).
fn gate_hotwords(rule: &Rule, t2s: bool) -> Option<Vec<String>> {
    if !(rule.require_hotword && matches!(rule.matcher, Matcher::Pattern { .. })) {
        return None;
    }
    let folded: Vec<String> = rule
        .hotwords
        .iter()
        .map(|h| fold_keyword(h, true, t2s))
        .collect();
    (!folded.iter().any(String::is_empty)).then_some(folded)
}

/// Normalises `text` for `scanner` into this thread's spare views, which
/// [`Recycle`] gives back when the scan is done with them.
fn normalise_for(scanner: &Scanner, text: &str) -> Recycle {
    let spare = SPARE_VIEWS.take().unwrap_or_default();
    let want_full = !scanner.patterns.is_empty();
    Recycle(normalize::normalise_into(
        text,
        scanner.t2s,
        want_full,
        spare,
    ))
}

/// Views larger than this are freed, not kept as spares: what a thread
/// keeps for its next scan stays small however large the last text was.
const SPARE_VIEW_BYTES: usize = 2 << 20;

std::thread_local! {
    static SPARE_VIEWS: std::cell::Cell<Option<normalize::Views>> = const { std::cell::Cell::new(None) };
}

/// Normalised views, kept as the thread's spares when dropped.
struct Recycle(normalize::Views);

impl std::ops::Deref for Recycle {
    type Target = normalize::Views;
    fn deref(&self) -> &normalize::Views {
        &self.0
    }
}

impl Drop for Recycle {
    fn drop(&mut self) {
        let views = std::mem::take(&mut self.0);
        let small = views.stripped.text.capacity() <= SPARE_VIEW_BYTES
            && views
                .full
                .as_ref()
                .is_none_or(|f| f.text.capacity() <= SPARE_VIEW_BYTES);
        if small {
            SPARE_VIEWS.set(Some(views));
        }
    }
}

/// Which part of a text a scan reports, and where that text sits in its
/// segment (for streamed chunks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Line number of the text's first line.
    pub(crate) line_base: u64,
    /// Characters on the first line before the text begins.
    pub(crate) column_base: u64,
    pub(crate) report_from: usize,
    pub(crate) report_to: usize,
}

/// For the pieces between consecutive `cuts`: the text scanned (the piece
/// with [`OVERLAP`] either side, for context) as `(lo, hi)` byte offsets,
/// and the window reporting hits that start in the piece. Lines are counted
/// in one pass over the text, not from its start for every piece.
fn piece_windows(text: &str, cuts: &[usize]) -> Vec<(usize, usize, Window)> {
    let bytes = text.as_bytes();
    // Up to `counted`: lines seen, and characters since the last line break
    // (one huge line must not be counted again for every piece).
    let (mut counted, mut lines, mut column) = (0, 0u64, 0u64);
    cuts.windows(2)
        .map(|w| {
            let (from, to) = (w[0], w[1]);
            let lo = text.floor_char_boundary(from.saturating_sub(OVERLAP));
            let hi = text.floor_char_boundary((to + OVERLAP).min(text.len()));
            let seen = &bytes[counted..lo];
            lines += memchr::memchr_iter(b'\n', seen).count() as u64;
            column = match memchr::memrchr(b'\n', seen) {
                Some(i) => text[counted + i + 1..lo].chars().count() as u64,
                None => column + text[counted..lo].chars().count() as u64,
            };
            counted = lo;
            let window = Window {
                line_base: 1 + lines,
                column_base: column,
                report_from: from - lo,
                report_to: to - lo,
            };
            (lo, hi, window)
        })
        .collect()
}

/// How many threads to use; 1 where threads cannot be started
/// (WebAssembly without threads reports no parallelism).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// True when a same-rule allow phrase occurrence covers the candidate.
fn is_allowed(allowed: &[(u32, usize, usize)], c: &Candidate) -> bool {
    let from = allowed.partition_point(|a| a.0 < c.rule);
    allowed[from..]
        .iter()
        .take_while(|a| a.0 == c.rule && a.1 <= c.start)
        .any(|a| a.2 >= c.end)
}

struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 0-based line number and the byte offset where that line starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        (line, self.starts[line])
    }
}

/// The part of `text` a hotword may come from for the match at
/// `start..end`: its own line (a paragraph, a list item, a spreadsheet row),
/// and within a tab-separated row its own cell — plus the cell before when
/// the match fills its cell, since a label cell (身份证号 | 1101…) is how
/// forms are laid out. A context word in another paragraph or another
/// column's cell says nothing about this number.
fn hotword_unit(text: &str, start: usize, end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let is_edge = |b: &u8| *b == b'\n' || *b == b'\t';
    let lo = bytes[..start]
        .iter()
        .rposition(is_edge)
        .map_or(0, |i| i + 1);
    let hi = bytes[end..]
        .iter()
        .position(is_edge)
        .map_or(text.len(), |i| end + i);
    let blank = |s: &str| s.trim().is_empty();
    if lo > 0 && bytes[lo - 1] == b'\t' && blank(&text[lo..start]) && blank(&text[end..hi]) {
        let prev = bytes[..lo - 1]
            .iter()
            .rposition(is_edge)
            .map_or(0, |i| i + 1);
        return (prev, hi);
    }
    (lo, hi)
}

/// A grouped number (`6501 0219 8001 0112`) followed by a separator and
/// more digits is the head of a longer grouped number (an ID in 4-digit
/// groups), not a number of its own. Ungrouped matches are unaffected, so
/// a list of numbers separated by spaces still yields each one.
fn grouped_continues(hay: &[u8], start: usize, end: usize) -> bool {
    let grouped = hay[start..end].iter().any(|&b| b == b' ' || b == b'-');
    grouped
        && matches!(hay.get(end), Some(b' ' | b'-'))
        && hay.get(end + 1).is_some_and(u8::is_ascii_digit)
}

/// True when only white space (or zero-width characters) stands between
/// the match and the ends of its line.
fn alone_on_line(text: &str, start: usize, end: usize) -> bool {
    let blank = |c: char| {
        c != '\n' && (c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}'))
    };
    let before = text[..start]
        .chars()
        .rev()
        .take_while(|&c| c != '\n')
        .all(blank);
    let after = text[end..].chars().take_while(|&c| c != '\n').all(blank);
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Part, Verdict};

    fn rules(extra: &str) -> Scanner {
        Scanner::from_str("t.toml", extra).unwrap()
    }

    const KW: &str = r#"
[[rule]]
id = "k"
title = "t"
category = "state-secret"
severity = "block"
basis = "b"
keywords = ["机密", "国家秘密"]
noise = true
allow = ["保守国家秘密法"]
tests.hit = ["机密"]
tests.miss = ["公开"]
"#;

    #[test]
    fn a_travel_permit_is_found_with_its_letter() {
        // The permit rule's letter branch has an optional group; it was
        // lost when the branches were split off as pattern text, and only
        // the eight digits were found.
        let s = Scanner::shipped();
        for (text, want) in [
            ("港澳居民来往内地通行证：H12345678。", "H12345678"),
            ("持回乡证H8765432101，", "H8765432101"),
            ("台胞证号 12345678。", "12345678"),
        ] {
            let found: Vec<String> = s
                .scan(text)
                .findings
                .iter()
                .filter(|f| &*f.rule == "personal.travel-permit")
                .map(|f| f.matched.to_string())
                .collect();
            assert_eq!(found, [want], "{text}");
        }
    }

    #[test]
    fn pattern_too_large_is_refused_with_its_rule() {
        // The rule file checks only a pattern's syntax; the size limit is
        // met when the scanner is built, and must still name the rule.
        let big = KW
            .replace("id = \"k\"", "id = \"big\"")
            .replace(
                r#"keywords = ["机密", "国家秘密"]"#,
                r#"pattern = '\w{2000}\w{2000}'"#,
            )
            .replace("noise = true\n", "")
            .replace("allow = [\"保守国家秘密法\"]\n", "");
        let e = Scanner::from_str("t.toml", &big).unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("`big`"), "{e}");
        assert!(e.contains("too large to compile"), "{e}");
    }

    #[test]
    fn finds_keywords_without_word_boundaries() {
        let s = rules(KW);
        let r = s.scan("本文件属于机密文件");
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].matched, "机密");
        assert_eq!(r.findings[0].location.column, 6);
        assert_eq!(r.verdict(), Verdict::Withhold);
    }

    #[test]
    fn noise_between_characters_is_bounded() {
        let s = rules(KW);
        assert_eq!(s.scan("机 密").findings[0].matched, "机 密");
        assert_eq!(s.scan("机\u{200B}密").findings.len(), 1);
        assert_eq!(s.scan("机-*-密").findings.len(), 1);
        assert!(s.scan("机     密").findings.is_empty());
        assert!(s.scan("机。密").findings.is_empty());
        assert!(s.scan("机，密").findings.is_empty());
    }

    #[test]
    fn strict_rules_do_not_skip_noise() {
        let s = rules(&KW.replace("noise = true\n", ""));
        assert!(s.scan("机 密").findings.is_empty());
        assert_eq!(
            s.scan("机\u{200B}密").findings.len(),
            1,
            "zero-width is always dropped"
        );
    }

    #[test]
    fn allow_phrases_suppress_only_inside_matches() {
        let s = rules(KW);
        assert!(s
            .scan("依据《中华人民共和国保守国家秘密法》")
            .findings
            .is_empty());
        let r = s.scan("依据保守国家秘密法，本件涉及国家秘密");
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].location.column, 15);
    }

    #[test]
    fn location_and_context() {
        let s = rules(KW);
        let text = "第一行\n第二行有机密内容";
        let r = s.scan_segment(text, &SegmentInfo::new(Part::Comment));
        let f = &r[0];
        assert_eq!((f.location.line, f.location.column), (2, 5));
        assert_eq!(f.location.part, Part::Comment);
        assert_eq!(f.context, "第一行⏎第二行有机密内容");
        assert_eq!(&text[f.span.start..f.span.end], "机密");
    }

    const ID: &str = r#"
[[rule]]
id = "id"
title = "t"
category = "personal-info"
severity = "block"
basis = "b"
pattern = '[0-9]{17}[0-9x]'
validator = "cn-ric"
hotwords = ["身份证"]
tests.hit = ["11010519491231002X"]
tests.miss = ["11010519491231002Y"]
"#;

    #[test]
    fn patterns_validate_and_use_hotwords() {
        let s = rules(ID);
        let r = s.scan("身份证号：１１０１０５１９４９１２３１００２Ｘ");
        assert_eq!(r.findings.len(), 1);
        assert_eq!(
            r.findings[0].matched,
            "１１０１０５１９４９１２３１００２Ｘ"
        );
        assert_eq!(r.findings[0].confidence, Confidence::High);
        let r = s.scan("编号11010519491231002X");
        assert_eq!(r.findings[0].confidence, Confidence::Medium);
        assert!(s.scan("编号36042619910102009X").findings.is_empty());
        assert!(
            s.scan("9911010519491231002X").findings.is_empty(),
            "inside a longer number"
        );
    }

    #[test]
    fn a_superseding_rule_replaces_an_overlapping_finding_only() {
        let s = rules(
            r#"
[[rule]]
id = "stated"
title = "t"
category = "personal-info"
severity = "review"
basis = "b"
pattern = '患有尿毒症'
supersedes = ["term", "absent.rule"]
tests.hit = ["患有尿毒症"]
tests.miss = ["尿毒症"]

[[rule]]
id = "term"
title = "t"
category = "personal-info"
severity = "review"
basis = "b"
keywords = ["尿毒症", "透析"]
tests.hit = ["尿毒症"]
tests.miss = ["肾病"]
"#,
        );
        let r = s.scan("张三患有尿毒症，长期透析；李四尿毒症");
        let got: Vec<(&str, &str)> = r
            .findings
            .iter()
            .map(|f| (&*f.rule, f.matched.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("stated", "患有尿毒症"),
                ("term", "透析"),
                ("term", "尿毒症")
            ]
        );
        let err = Scanner::from_str(
            "t.toml",
            &KW.replace("noise = true", "noise = true\nsupersedes = [\"k\"]"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("names the rule itself"), "{err}");
    }

    #[test]
    fn hotwords_stay_in_their_line_and_cell() {
        let s = rules(ID);
        let conf = |t: &str| s.scan(t).findings[0].confidence;
        assert_eq!(
            conf("身份证号码如下\n\n\n11010519491231002X"),
            Confidence::Medium
        );
        assert_eq!(conf("身份证\t张三\t11010519491231002X"), Confidence::Medium);
        assert_eq!(
            conf("张三\t身份证\t11010519491231002X"),
            Confidence::High,
            "label cell"
        );
        assert_eq!(conf("身份证号 11010519491231002X"), Confidence::High);
        assert_eq!(conf("11010519491231002X\t身份证"), Confidence::Medium);
    }

    #[test]
    fn pdf_soft_breaks_are_joined_for_matching() {
        let s = rules(ID);
        let text = "申请人身份证号11010519\n491231002X，现居住";
        let page = SegmentInfo {
            page: Some(1),
            ..SegmentInfo::new(Part::Body)
        };
        assert!(
            s.scan(text).findings.is_empty(),
            "not a PDF: lines are lines"
        );
        let f = &s.scan_segment(text, &page)[0];
        assert_eq!(f.matched, "11010519\n491231002X");
        assert_eq!(&text[f.span.start..f.span.end], f.matched);
        assert_eq!((f.location.line, f.location.column), (1, 8));
        assert_eq!(f.confidence, Confidence::High);
        // A sentence end is a hard break.
        assert!(s
            .scan_segment("编号11010519。\n491231002X", &page)
            .is_empty());
        // A hotword at the end of the previous line counts on a PDF page.
        let f = &s.scan_segment("居民身份证号\n11010519491231002X", &page)[0];
        assert_eq!(f.confidence, Confidence::High);
        assert_eq!(f.location.line, 2);
    }

    #[test]
    fn scanner_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Scanner>();
    }
}

#[cfg(test)]
mod shipped_rule_tests {
    use super::*;

    #[test]
    fn every_shipped_rule_example_behaves() {
        let failures = Scanner::shipped().test_examples();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn every_pack_rule_example_behaves() {
        for pack in crate::PACKS {
            let failures = Scanner::pack(pack.name).unwrap().test_examples();
            assert!(failures.is_empty(), "pack {}: {failures:#?}", pack.name);
        }
    }

    #[test]
    fn new_categories_have_ten_examples_each_way() {
        let scanner = Scanner::shipped();
        for rule in scanner.rules() {
            if rule.origin.starts_with("rules/sensitive.toml") {
                assert!(
                    rule.hit_examples.len() >= 10 && rule.miss_examples.len() >= 10,
                    "{}: {} hit, {} miss examples",
                    rule.id,
                    rule.hit_examples.len(),
                    rule.miss_examples.len()
                );
            }
        }
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    #[test]
    fn parallel_pieces_find_what_one_pass_finds() {
        let scanner = Scanner::shipped();
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 300_000 {
            text.push_str(&format!(
                "第{i}段，本件机密★{}年，联系13812345678，内部资料。",
                i % 9 + 1
            ));
            if i % 7 == 0 {
                text.push('\n');
            }
            i += 1;
        }
        // And as one line: pieces' columns then count from the text's start.
        let one_line = text.replace('\n', " ");
        for text in [text, one_line] {
            let one_pass = scanner.scan_window(
                &text,
                &SegmentInfo::default(),
                Window {
                    line_base: 1,
                    column_base: 0,
                    report_from: 0,
                    report_to: text.len(),
                },
            );
            assert!(one_pass.len() > 1000);
            for (threads, pieces) in [(2, 2), (3, 7), (2, 40)] {
                let parallel =
                    scanner.scan_in_pieces(&text, &SegmentInfo::default(), threads, pieces);
                assert_eq!(one_pass, parallel, "{threads} threads, {pieces} pieces");
            }
        }
    }
}

#[cfg(test)]
mod span_properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that exercise every normalisation: full-width letters and
    /// digits, zero-width and ideographic spaces, noise, traditional
    /// characters, upper case, and the keywords themselves.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "机",
            "密",
            "★",
            "1",
            "１",
            "年",
            "內部",
            "资料",
            "\u{200B}",
            "\u{3000}",
            " ",
            "-",
            "·",
            "。",
            "，",
            "Ａ",
            "b",
            "身份证",
            "11010519491231002X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "\n",
            "\r\n",
            "絕",
            "e",
            "工作秘密",
            "保守国家秘密法",
            "ﬁ",
            "𠀀",
            "é",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn every_span_slices_the_original_to_the_match(pieces in prop::collection::vec(piece(), 0..60)) {
            static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
            let scanner = SCANNER.get_or_init(Scanner::shipped);
            let text: String = pieces.concat();
            for f in scanner.scan(&text).findings {
                prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
                prop_assert_eq!(&text[f.span.start..f.span.end], f.matched.as_str());
                // The context is the one around the span in the whole text.
                let whole: Arc<str> = text.as_str().into();
                prop_assert_eq!(&f.context, &Context::around(&whole, f.span.start, f.span.end));
                // Line and column point at the same place as the span.
                let before = &text[..f.span.start];
                let line = before.matches('\n').count() as u64 + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
                prop_assert_eq!((f.location.line, f.location.column), (line, column));
                // The match never starts or ends with noise or a dropped character.
                let first = f.matched.chars().next().unwrap();
                prop_assert!(!first.is_whitespace() && first != '\u{200B}', "{:?}", f.matched);
            }
        }
    }
}

#[cfg(test)]
mod prefilter_properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces dense in trigger characters, free characters (white space,
    /// line breaks) and the shapes the shipped patterns match.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "1",
            "0",
            "9",
            "x",
            " ",
            "  ",
            "\n",
            "\t",
            "-",
            ".",
            ":",
            "：",
            "，",
            "。",
            "密",
            "机",
            "★",
            "年",
            "岁",
            "12",
            "号",
            "栋",
            "单元",
            "村",
            "组",
            "室",
            "患有",
            "尿毒症",
            "信仰",
            "佛教",
            "被判处",
            "有期徒刑",
            "账号",
            "银行",
            "月",
            "日",
            "时",
            "前往",
            "医院",
            "残疾",
            "级",
            "类别",
            "视力",
            "身份证",
            "11010519491231002x",
            "13812345678",
            "6222020200112233445",
            "东经",
            "116",
            "°",
            "′",
            "″",
            "张三",
            "举报人",
            "字第",
            "hm",
            "e",
            "g",
            "京",
            "a",
            "保密期限",
            "工作秘密",
            "*",
            "\u{3000}",
            "出家",
            "出",
            "家",
            "剃度",
            "基督徒",
            "年级",
            "大班",
            "服刑",
            "前科",
            "在押",
            "号楼",
            "社区",
            "2024",
            "**",
        ])
    }

    /// The shipped scanner, built once for all cases.
    fn shipped() -> &'static Scanner {
        static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        SCANNER.get_or_init(Scanner::shipped)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Every pattern finds exactly the same matches in its trigger
        /// regions as on the whole text.
        #[test]
        fn regions_find_what_the_whole_text_finds(pieces in prop::collection::vec(piece(), 0..120)) {
            let scanner = shipped();
            let text: String = pieces.concat();
            let hay = text.as_bytes();
            let regions = scanner.triggers.regions(&text);
            for (p, regions) in scanner.patterns.iter().zip(regions) {
                let mut whole = Vec::new();
                p.for_each_match(&text, (0, hay.len()), |s, e| whole.push((s, e)));
                let ranges = match regions {
                    Regions::None => vec![],
                    Regions::All => vec![(0, hay.len())],
                    Regions::Some(r) => r,
                };
                let mut windowed = Vec::new();
                for &range in &ranges {
                    p.for_each_match(&text, range, |s, e| windowed.push((s, e)));
                }
                prop_assert_eq!(&whole, &windowed, "rule {} on {:?}", scanner.rules[p.rule as usize].id, text);
            }
        }

        /// A pattern with digit-led branches finds, leftmost first, the
        /// matches its plain regex makes anchored at each position that is
        /// not inside a digit run.
        #[test]
        fn digit_led_search_tries_every_run_start(pieces in prop::collection::vec(piece(), 0..120)) {
            let scanner = shipped();
            let text: String = pieces.concat();
            let hay = text.as_bytes();
            let mut tried = 0;
            for p in scanner.patterns.iter().filter(|p| matches!(p.search, Search::Led { .. })) {
                tried += 1;
                let rule = &scanner.rules[p.rule as usize];
                let Matcher::Pattern { pattern, .. } = &rule.matcher else { unreachable!() };
                let plain = Regex::new(pattern).expect("shipped pattern");
                let mut expected = Vec::new();
                let mut i = 0;
                while i < hay.len() {
                    let inside_run = i > 0 && hay[i].is_ascii_digit() && hay[i - 1].is_ascii_digit();
                    let found = (!inside_run)
                        .then(|| plain.search(&Input::new(hay).range(i..).anchored(regex_automata::Anchored::Yes)))
                        .flatten()
                        .filter(|m| !m.is_empty());
                    match found {
                        Some(m) => {
                            expected.push((m.start(), m.end()));
                            i = m.end();
                        }
                        None => i += crate::prefilter::utf8_len(hay[i]),
                    }
                }
                let mut found = Vec::new();
                p.for_each_match(&text, (0, hay.len()), |s, e| found.push((s, e)));
                prop_assert_eq!(&expected, &found, "rule {} on {:?}", rule.id, text);
            }
            prop_assert!(tried >= 6, "the identity-number rules and travel permits are digit-led");
        }
    }
}
