//! Where in a text a pattern rule can match at all.
//!
//! Running every pattern rule over the whole text costs one pass per rule
//! (28 shipped patterns: ≈ 0.4 s on the 19 MB corpus), and one `RegexSet`
//! pass for all of them falls back to the PikeVM when its lazy DFA cache
//! overflows, which the shipped patterns make it do on ordinary text (0.6
//! MB/s). Instead each pattern is analysed once, at build time, for a set
//! of *trigger characters*: every match of the pattern contains at least
//! one of them (a digit for identity numbers, `密` for markings, `岁` or
//! `年级` for minors). One cheap pass over the text finds the trigger
//! characters; the pattern then runs only in windows around them, each
//! window reaching as far before and after its trigger as a match can (a
//! trigger that opens every match needs a window on its right only). A
//! pattern with no trigger occurrence is skipped outright.
//!
//! Why the matches are exactly those of a whole-text search: every match
//! lies inside the window of one of its trigger characters, so it lies
//! inside one merged window (a *region*), and no match crosses a region's
//! start. The search runs on the whole haystack restricted to the region
//! (`Input::range`), so look-around assertions (`^`, `$`) see the real
//! neighbours. Leftmost-first search from the region's start therefore
//! finds the same matches, in the same order, as a search from the text's
//! start. A pattern whose matches have no length bound, or no trigger set,
//! runs on the whole text (when its triggers occur, or always).
//!
//! Single characters are poor triggers when they are common (`出` of
//! `出家`, `时` of `8时`, the digits of a year): the analysis also proves
//! what stands *beside* a trigger character in every match (`家` after
//! `出`, a digit before `时`), and how long a run of digits it lies in (a
//! travel permit's eight). The pass takes a character only where its
//! neighbours, or its run, fit; on the benchmark corpus that cut the text
//! the shipped patterns search from 26.8 MB to 3.9 MB.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Largest class whose characters are taken as triggers; a larger class
/// (`\p{Han}`, `[^\n]`) says nothing useful.
const MAX_CLASS: usize = 96;

/// Largest class under an unbounded repetition (`\s*`, `[ \t]*`) whose
/// characters are taken as free (see [`Trigger::free`]).
const MAX_FREE: usize = 256;

/// Longest bounded reach considered; beyond it the pattern runs on the
/// whole text.
const MAX_REACH: usize = 4096;

/// What the analysis of one pattern found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trigger {
    /// Every match contains at least one of these characters (sorted).
    pub(crate) chars: Vec<char>,
    /// What stands beside them (sorted by character): in every match, one
    /// of the characters stands as one of its entries says. A character
    /// whose entry has neither side set needs nothing beside it.
    pub(crate) beside: Vec<Beside>,
    /// The character lies in a run of at least this many digits or `*`
    /// (0 or 1: nothing asked): most digit triggers of prose are years.
    pub(crate) run: usize,
    /// At most this many bytes of a match are characters outside `free`.
    /// For a pattern without unbounded repetition (`free` empty) that is
    /// its longest match.
    pub(crate) reach: usize,
    /// At most this many of them lie before the trigger character every
    /// match holds, and at most `after` after it: a trigger that opens a
    /// match (`举报人…`, `12月…`) needs a window only on its right.
    pub(crate) before: usize,
    pub(crate) after: usize,
    /// The characters unbounded repetitions can match (`\s*` → white
    /// space; sorted): a match may hold any number of them, so a window
    /// grows over them for free.
    pub(crate) free: Vec<char>,
}

/// A trigger character with what stands beside it in a match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Beside {
    pub(crate) c: char,
    /// The character just before it is one of these (sorted); `None`:
    /// anything, or the text's start.
    pub(crate) prev: Option<Vec<char>>,
    /// The character just after it, the same way.
    pub(crate) next: Option<Vec<char>>,
}

impl Beside {
    fn any(c: char) -> Beside {
        Beside {
            c,
            prev: None,
            next: None,
        }
    }
}

/// Analyses a pattern (parsed with the `regex` crate's default syntax).
/// `None` when no trigger set can be proven, or the match length cannot be
/// bounded: the pattern then runs on the whole text.
pub(crate) fn analyse(hir: &Hir) -> Option<Trigger> {
    let Need {
        anchors: mut beside,
        before,
        after,
        run,
        ..
    } = need(hir)?;
    beside.sort_unstable();
    beside.dedup();
    let mut chars: Vec<char> = beside.iter().map(|b| b.c).collect();
    chars.dedup();
    let mut free = Vec::new();
    if !unbounded_chars(hir, &mut free) {
        return None;
    }
    free.sort_unstable();
    free.dedup();
    let reach = bounded_len(hir).filter(|&r| r <= MAX_REACH)?;
    Some(Trigger {
        chars,
        beside,
        run,
        reach,
        before: before.min(reach),
        after: after.min(reach),
        free,
    })
}

/// The part of a pattern whose matches start with an ASCII digit, apart.
///
/// A digit run is never part of a longer one (the scanner drops a match
/// that starts inside a run), so such matches can only stand where a run
/// starts; the scanner searches them as `(?:^|(?-u:[^0-9]))(?:digit)`, whose lazy
/// DFA follows one candidate per run instead of one per digit (an identity
/// number's 18 counted digits otherwise make thousands of states: most of a
/// roster's scan went to building them), and which does not stop at every
/// eight digits inside a longer run, as `[0-9]{8}` does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DigitLed {
    /// The branches whose every match starts with a digit.
    pub(crate) digit: Hir,
    /// The other branches, none of whose matches starts with a digit;
    /// `None` when every match of the pattern does.
    pub(crate) other: Option<Hir>,
}

impl DigitLed {
    /// `(?:^|(?-u:[^0-9]))(?:digit)`: the digit-led branches where a digit
    /// run starts. The prefix is one byte, not one character (a Unicode
    /// `[^0-9]` made the lazy DFA build states for UTF-8 sequences: the
    /// whereabouts pattern's cold search of the corpus, 35 -> 57 ms), so
    /// it may match inside a character (the last byte of the one before).
    pub(crate) fn at_run_start(&self) -> Hir {
        use regex_syntax::hir::{ClassBytes, ClassBytesRange, Look};
        let not_digit = ClassBytes::new([
            ClassBytesRange::new(0, b'0' - 1),
            ClassBytesRange::new(b'9' + 1, 0xFF),
        ]);
        Hir::concat(vec![
            Hir::alternation(vec![
                Hir::look(Look::Start),
                Hir::class(Class::Bytes(not_digit)),
            ]),
            self.digit.clone(),
        ])
    }
}

/// Splits a pattern into its digit-led branches and the rest (see
/// [`DigitLed`]); `None` when no part of it can be split off that way.
/// The parts are expressions, not pattern text: printed and parsed again,
/// `(?:[0-9]{2})?` came back as the lazy `[0-9]{2}?`, which is not optional.
pub(crate) fn digit_led(hir: &Hir) -> Option<DigitLed> {
    if lead(hir) == (true, false, false) {
        return Some(DigitLed {
            digit: hir.clone(),
            other: None,
        });
    }
    let mut top = hir;
    while let HirKind::Capture(cap) = top.kind() {
        top = &cap.sub;
    }
    let HirKind::Alternation(branches) = top.kind() else {
        return None;
    };
    let (mut digit, mut other) = (Vec::new(), Vec::new());
    for b in branches {
        match lead(b) {
            (true, false, false) => digit.push(b.clone()),
            (false, true, false) => other.push(b.clone()),
            _ => return None,
        }
    }
    if digit.is_empty() {
        return None;
    }
    Some(DigitLed {
        digit: Hir::alternation(digit),
        other: Some(Hir::alternation(other)),
    })
}

/// Of the first bytes of `h`'s matches: (all are digits, none is), and
/// whether `h` can match empty.
fn lead(h: &Hir) -> (bool, bool, bool) {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => (true, true, true),
        HirKind::Literal(lit) => {
            let digit = lit.0.first().is_some_and(u8::is_ascii_digit);
            (digit, !digit, false)
        }
        HirKind::Class(Class::Unicode(class)) => lead_of_ranges(
            class
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        HirKind::Class(Class::Bytes(class)) => lead_of_ranges(
            class
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        HirKind::Repetition(rep) => {
            let (all, none, empty) = lead(&rep.sub);
            (all, none, empty || rep.min == 0)
        }
        HirKind::Capture(cap) => lead(&cap.sub),
        HirKind::Concat(subs) => {
            let (mut all, mut none) = (true, true);
            for s in subs {
                let (a, n, empty) = lead(s);
                all &= a;
                none &= n;
                if !empty {
                    return (all, none, false);
                }
            }
            (all, none, true)
        }
        HirKind::Alternation(subs) => subs.iter().map(lead).fold((true, true, false), |a, b| {
            (a.0 && b.0, a.1 && b.1, a.2 || b.2)
        }),
    }
}

/// [`lead`] of a class given as inclusive code point (or byte) ranges.
fn lead_of_ranges(ranges: impl Iterator<Item = (u32, u32)>) -> (bool, bool, bool) {
    let (zero, nine) = (u32::from(b'0'), u32::from(b'9'));
    let (mut all, mut none) = (true, true);
    for (start, end) in ranges {
        let inside = start >= zero && end <= nine;
        let touches = start <= nine && end >= zero;
        all &= inside;
        none &= !touches;
    }
    (all, none, false)
}

/// Longest match of `h` in bytes with every unbounded repetition taken at
/// its minimum count (what it matches beyond that are free characters).
fn bounded_len(h: &Hir) -> Option<usize> {
    Some(match h.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => lit.0.len(),
        HirKind::Class(c) => c.maximum_len().unwrap_or(0),
        HirKind::Repetition(rep) => {
            let n = rep.max.unwrap_or(rep.min) as usize;
            bounded_len(&rep.sub)?.checked_mul(n)?
        }
        HirKind::Capture(cap) => bounded_len(&cap.sub)?,
        HirKind::Concat(subs) => subs
            .iter()
            .try_fold(0usize, |a, s| a.checked_add(bounded_len(s)?))?,
        HirKind::Alternation(subs) => subs
            .iter()
            .map(bounded_len)
            .try_fold(0usize, |a, s| Some(a.max(s?)))?,
    })
}

/// Adds to `out` every character an unbounded repetition in `h` can match;
/// false when there are too many to list.
fn unbounded_chars(h: &Hir, out: &mut Vec<char>) -> bool {
    match h.kind() {
        HirKind::Repetition(rep) if rep.max.is_none() => all_chars(&rep.sub, out),
        HirKind::Repetition(rep) => unbounded_chars(&rep.sub, out),
        HirKind::Capture(cap) => unbounded_chars(&cap.sub, out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().all(|s| unbounded_chars(s, out))
        }
        _ => true,
    }
}

/// Adds every character `h` can match; false when there are too many.
fn all_chars(h: &Hir, out: &mut Vec<char>) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => {
                out.extend(s.chars());
                out.len() <= MAX_FREE
            }
            Err(_) => false,
        },
        HirKind::Class(class) => match class_chars(class) {
            Some(chars) => {
                out.extend(chars);
                out.len() <= MAX_FREE
            }
            None => false,
        },
        HirKind::Repetition(rep) => all_chars(&rep.sub, out),
        HirKind::Capture(cap) => all_chars(&cap.sub, out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().all(|s| all_chars(s, out))
        }
    }
}

/// The 100, 300 and 600 most frequent ideographs of the published-law
/// corpus (`../shared/bench/corpus-all.txt`), most frequent first: the
/// vocabulary of government text, poor triggers.
const COMMON_100: &str = "的人第条行法定国和十应者有以当管关规民理政或务业部机门一用二其事会工不生员作三责公对保地本经产在制可设处证主中安依院上合发出构全物家照级由资施为动品四位单所五监府及进权他下方自得等区查并任实提要建期准";
const COMMON_300: &str = "时报通内职成违请款件收营同情检交护六外利年日按标组取督申企分体重予向计境罚办案七律告审金使据学备共立未水信委织市运防治大代开接批议个记表决负与八项采受明章专直相文活社性供农能执程技之于调服限改险列反海例加元场九县具书后量求费术质商电过销指化正给育教军害税医许况度口止划展原入承财息各百登令万起前料被需从车药基核是造华特验支格持域货根司刑罪措除犯复确强源范预船统协名知环置现月意目严种节力疗省式符高益布";
const COMMON_600: &str = "必到损输病放卫察投器形辖路结常无担集数导道科义算间因将染修认污价额系解障测究评效则航长适面故托助偿称警包属危新土变非注参纳劳网履存易没装领传约排次停诉转失别配录围付济健疫总矿村际控续征补食舶该影校券追须序役举类点消空养送售急流果股城平材禁整缴购退户身研线林移居签废守密态债更救联容励留裁广维完选册见清响超票考港草手住赔师但队回何推然气优涉子乡撤已银编份免达示订视官善驶灾培拒旅毒风先号还志康卖判型附融训侵满享遵识械少团普络让客载植小问疾倍假讼最台河游局鼓储扣残括值驾射就筑策即减至遗试洋镇说届授徒状引终私促族档增估伤央租待兵押众致破了士象房吊拘嫌询宣离获擅互临馆低招播另站震庭援邮仲好畜奖零买碍印突鉴";

/// How common a character is likely to be in the texts scanned: the
/// analysis prefers triggers that occur rarely.
fn weight(c: char) -> u32 {
    match c {
        '0'..='9' => 12,
        c if c.is_ascii_whitespace() => 60,
        c if c.is_ascii_alphabetic() => 6,
        c if c.is_ascii() => 8,
        '，' | '。' | '、' | '：' | '；' => 30,
        c => common_weight(c),
    }
}

/// [`weight`] of a character beyond ASCII, from a table of the common
/// ideographs built once: the analysis weighs every character of every
/// class beside a trigger, and searching the lists each time was most of
/// a scanner's build.
fn common_weight(c: char) -> u32 {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<char, u32>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        // Rarest first, so that a character in two lists keeps the higher.
        [(COMMON_600, 4), (COMMON_300, 10), (COMMON_100, 40)]
            .into_iter()
            .flat_map(|(list, w)| list.chars().map(move |c| (c, w)))
            .collect()
    });
    table.get(&c).copied().unwrap_or(1)
}

/// A set of trigger characters one of which every match of some
/// expression holds (its *anchor*), with what the match holds around it.
struct Need {
    /// The anchor is one of these characters, with what stands beside it
    /// when it is that one.
    anchors: Vec<Beside>,
    /// Bytes of the match before the anchor, unbounded repetitions at
    /// their minimum (what they match beyond it is free characters).
    before: usize,
    /// Bytes of the match after the anchor, counted the same way.
    after: usize,
    /// The anchor is the first (`first`) or last (`last`) character of the
    /// expression's match: whatever the enclosing expression puts before
    /// (after) it stands beside the anchor.
    first: bool,
    last: bool,
    /// The anchor lies in a run of at least this many [`is_run`]
    /// characters (0: it is not one of them).
    run: usize,
}

impl Need {
    /// A need with nothing known beside its anchors.
    fn of(chars: impl IntoIterator<Item = char>, before: usize, after: usize) -> Need {
        Need {
            anchors: chars.into_iter().map(Beside::any).collect(),
            before,
            after,
            first: false,
            last: false,
            run: 0,
        }
    }

    /// What the trigger is expected to cost (relative): how often its
    /// characters occur, and how often they open a window. The analysis
    /// keeps the cheapest. A neighbour condition counts only for
    /// characters outside ASCII, the only ones the pass checks it for.
    fn cost(&self) -> f64 {
        // A neighbour set weighing 256 or more says nothing: summed only
        // that far (a class beside a class has thousands of pairs).
        let side = |set: &Option<Vec<char>>| {
            let Some(set) = set else { return 1.0 };
            let mut sum = 0;
            for &c in set {
                sum += weight(c);
                if sum >= 256 {
                    return 1.0;
                }
            }
            (f64::from(sum) / 256.0).max(1.0 / 64.0)
        };
        // Checking a character's neighbours costs the pass about a
        // thirtieth of what a window costs the pattern: a common character
        // with rare neighbours (主 of 天主教) is a worse trigger than a
        // rare one (徒 of 教徒).
        const CHECK: f64 = 1.0 / 32.0;
        let fires: f64 = self
            .anchors
            .iter()
            .map(|a| {
                let w = f64::from(weight(a.c));
                if a.c.is_ascii() {
                    w
                } else {
                    w * (CHECK + side(&a.prev) * side(&a.next))
                }
            })
            .sum();
        // Digit runs of prose are mostly years and short numbers: of the
        // corpus's 23,210 runs, 4,057 have four digits or more, 74 five.
        const RUN_SHARE: [f64; 6] = [1.0, 1.0, 0.55, 0.25, 0.17, 0.01];
        fires * RUN_SHARE[self.run.min(5)]
    }
}

/// Characters a run may hold (see [`Trigger::run`]): digits, and the `*`
/// that masks them.
pub(crate) fn is_run(b: u8) -> bool {
    b.is_ascii_digit() || b == b'*'
}

/// Whether every character `h` can match is an [`is_run`] character (an
/// expression that only matches empty, such as `^`, counts).
fn is_pure_run(h: &Hir) -> bool {
    let mut chars = Vec::new();
    all_chars(h, &mut chars) && chars.iter().all(|&c| c.is_ascii() && is_run(c as u8))
}

/// The characters that can start (`first_chars`) or end (`last_chars`) a
/// match of `h`; `None` when `h` can match empty or there are too many.
fn first_chars(h: &Hir) -> Option<Vec<char>> {
    edge_chars(h, true)
}

fn last_chars(h: &Hir) -> Option<Vec<char>> {
    edge_chars(h, false)
}

fn edge_chars(h: &Hir, first: bool) -> Option<Vec<char>> {
    if h.properties().minimum_len() == Some(0) {
        return None;
    }
    let mut set = match h.kind() {
        HirKind::Empty | HirKind::Look(_) => return None,
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0).ok()?;
            let c = if first {
                s.chars().next()
            } else {
                s.chars().last()
            };
            vec![c?]
        }
        HirKind::Class(class) => class_chars(class)?,
        HirKind::Repetition(rep) => edge_chars(&rep.sub, first)?,
        HirKind::Capture(cap) => edge_chars(&cap.sub, first)?,
        HirKind::Concat(subs) => {
            // The first (last) part that is not zero-width; it has to match
            // something for the edge to be its own.
            let mut parts = subs
                .iter()
                .filter(|s| s.properties().maximum_len() != Some(0));
            let part = if first {
                parts.next()
            } else {
                parts.next_back()
            }?;
            edge_chars(part, first)?
        }
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for s in subs {
                set.extend(edge_chars(s, first)?);
                if set.len() > MAX_CLASS {
                    return None;
                }
            }
            set
        }
    };
    set.sort_unstable();
    set.dedup();
    Some(set)
}

/// The trigger characters every match of `h` holds one of; `None` when
/// none can be proven (see [`Need`]).
fn need(h: &Hir) -> Option<Need> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0).ok()?;
            let chars: Vec<(usize, char)> = s.char_indices().collect();
            (0..chars.len())
                .map(|k| {
                    let (i, c) = chars[k];
                    let beside =
                        |j: Option<usize>| j.and_then(|j| chars.get(j)).map(|&(_, c)| vec![c]);
                    // The run of digits (or `*`) around the anchor, in the literal.
                    let run = if c.is_ascii() && is_run(c as u8) {
                        let left = chars[..k]
                            .iter()
                            .rev()
                            .take_while(|(_, c)| c.is_ascii() && is_run(*c as u8))
                            .count();
                        let right = chars[k + 1..]
                            .iter()
                            .take_while(|(_, c)| c.is_ascii() && is_run(*c as u8))
                            .count();
                        left + 1 + right
                    } else {
                        0
                    };
                    Need {
                        anchors: vec![Beside {
                            c,
                            prev: beside(k.checked_sub(1)),
                            next: beside(Some(k + 1)),
                        }],
                        before: i,
                        after: s.len() - i - c.len_utf8(),
                        first: k == 0,
                        last: k + 1 == chars.len(),
                        run,
                    }
                })
                .map(|n| (n.cost(), n))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| n)
        }
        HirKind::Class(class) => {
            // Any of its characters, the whole of its match.
            let chars = class_chars(class)?;
            let run = usize::from(chars.iter().all(|&c| c.is_ascii() && is_run(c as u8)));
            Some(Need {
                first: true,
                last: true,
                run,
                ..Need::of(chars, 0, 0)
            })
        }
        HirKind::Repetition(rep) if rep.min == 0 => None,
        HirKind::Repetition(rep) => {
            // The character may stand in any of the copies; beyond the
            // bound, copies of an unbounded repetition are free characters.
            // What stands beside it inside its copy still does; what the
            // enclosing expression puts beside the repetition only does
            // when there is one copy.
            let mut inner = need(&rep.sub)?;
            let others =
                bounded_len(&rep.sub)?.checked_mul(rep.max.unwrap_or(rep.min) as usize - 1)?;
            inner.before = inner.before.checked_add(others)?;
            inner.after = inner.after.checked_add(others)?;
            let one = rep.max == Some(1);
            inner.first &= one;
            inner.last &= one;
            if is_pure_run(&rep.sub) {
                let each = rep.sub.properties().minimum_len().unwrap_or(0);
                inner.run = inner.run.max(each.saturating_mul(rep.min as usize));
            }
            Some(inner)
        }
        HirKind::Capture(cap) => need(&cap.sub),
        HirKind::Concat(subs) => {
            let lens = subs
                .iter()
                .map(bounded_len)
                .collect::<Option<Vec<usize>>>()?;
            let zero_width = |s: &Hir| s.properties().maximum_len() == Some(0);
            let pure: Vec<bool> = subs.iter().map(is_pure_run).collect();
            let (i, inner) = subs
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let mut n = need(s)?;
                    // A neighbouring part that always matches something
                    // stands beside an anchor at this part's edge.
                    if n.first && i > 0 {
                        if let Some(set) = last_chars(&subs[i - 1]) {
                            for a in &mut n.anchors {
                                a.prev.get_or_insert_with(|| set.clone());
                            }
                        }
                    }
                    if n.last && i + 1 < subs.len() {
                        if let Some(set) = first_chars(&subs[i + 1]) {
                            for a in &mut n.anchors {
                                a.next.get_or_insert_with(|| set.clone());
                            }
                        }
                    }
                    // Parts of digits next to one another make one run.
                    if pure[i] {
                        let left = (0..i).rev().take_while(|&j| pure[j]);
                        let right = (i + 1..subs.len()).take_while(|&j| pure[j]);
                        let run: usize = left
                            .chain(right)
                            .chain([i])
                            .map(|j| subs[j].properties().minimum_len().unwrap_or(0))
                            .sum();
                        n.run = n.run.max(run);
                    }
                    n.first &= subs[..i].iter().all(zero_width);
                    n.last &= subs[i + 1..].iter().all(zero_width);
                    Some((n.cost(), i, n))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, i, n)| (i, n))?;
            let sum = |lens: &[usize]| lens.iter().try_fold(0usize, |a, &b| a.checked_add(b));
            Some(Need {
                before: sum(&lens[..i])?.checked_add(inner.before)?,
                after: sum(&lens[i + 1..])?.checked_add(inner.after)?,
                ..inner
            })
        }
        HirKind::Alternation(subs) => {
            let mut out = Need::of([], 0, 0);
            (out.first, out.last, out.run) = (true, true, usize::MAX);
            for s in subs {
                let n = need(s)?;
                out.anchors.extend(n.anchors);
                out.before = out.before.max(n.before);
                out.after = out.after.max(n.after);
                out.first &= n.first;
                out.last &= n.last;
                out.run = out.run.min(n.run);
            }
            Some(out)
        }
    }
}

/// The characters of a class; `None` when there are more than
/// [`MAX_CLASS`] (they say nothing useful), or it matches bytes beyond
/// ASCII (no characters).
fn class_chars(class: &Class) -> Option<Vec<char>> {
    let mut out = Vec::new();
    match class {
        Class::Unicode(class) => {
            for r in class.ranges() {
                let n = (r.end() as usize) - (r.start() as usize) + 1;
                if out.len() + n > MAX_CLASS {
                    return None;
                }
                out.extend(r.start()..=r.end());
            }
        }
        Class::Bytes(class) => {
            for r in class.ranges() {
                if r.end() >= 0x80 || out.len() + usize::from(r.end() - r.start()) + 1 > MAX_CLASS {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(char::from));
            }
        }
    }
    Some(out)
}

/// Trigger characters of all patterns, grouped by identical sets, with a
/// table for finding them in one pass.
#[derive(Debug)]
pub(crate) struct Triggers {
    groups: Vec<Group>,
    /// Per pattern: its group, or `None` to always run on the whole text.
    group_of: Vec<Option<usize>>,
    /// ASCII byte → bit mask of groups.
    ascii: [u64; 128],
    /// Basic Multilingual Plane character → index into `masks` (0: none).
    bmp: Box<[u8]>,
    /// Basic Multilingual Plane character → whether it triggers anything,
    /// also those only in `rest` (which `bmp` marks 0, as it does every
    /// character that triggers nothing): what the pass's skip loop tests.
    bmp_any: Box<[u64; 1024]>,
    /// Other characters with their masks, sorted.
    rest: Vec<(char, u64)>,
    masks: Vec<u64>,
    /// Characters beyond ASCII that trigger some groups only with the
    /// right neighbours (sorted), with those groups and what they accept
    /// beside the character (any one entry will do): see [`Beside`].
    beside: Vec<(char, Conditional)>,
    /// Per entry of `masks`: 1 + the index of its character's conditions
    /// in `beside`, or 0 (a character with conditions has an entry of its
    /// own).
    masks_beside: Vec<u32>,
    /// Per run length `l` of digits (capped at 63): the groups whose
    /// trigger needs a longer run.
    short_run: [u64; 64],
    /// The smallest reach of the groups in `ascii[b]` and in `masks[i]`.
    ascii_reach: [usize; 128],
    masks_reach: Vec<usize>,
}

/// What stands before and after a trigger character (see [`Beside`]).
type Sides = (Option<Vec<char>>, Option<Vec<char>>);

/// Of one trigger character: the groups that take it only with certain
/// neighbours, each with the neighbours it accepts (any one entry).
type Conditional = Vec<(usize, Vec<Sides>)>;

#[derive(Debug)]
struct Group {
    /// The largest reach of the group's patterns.
    reach: usize,
    /// The largest reach before and after a trigger (see
    /// [`Trigger::before`]): how far a window goes either side.
    before: usize,
    after: usize,
    /// Free characters (the same for every pattern of the group).
    free: Vec<char>,
    /// `free` as a table for ASCII: window walks test every character.
    free_ascii: [bool; 128],
    /// `free` in the rest of the Basic Multilingual Plane as a bitmap
    /// (8 KB), when any free character lies outside ASCII: on Chinese text
    /// a binary search of `free` per character was a tenth of a scan.
    free_bmp: Option<Box<[u64; 1024]>>,
}

/// Where each pattern has to run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Regions {
    /// No trigger occurs: the pattern cannot match.
    None,
    /// The whole text.
    All,
    /// These byte ranges (sorted, disjoint) of the text.
    Some(Vec<(usize, usize)>),
}

/// Windows closer than this are searched as one region: a search has a
/// fixed cost, and a region may hold text outside any window (its matches
/// are still exactly those of a whole-text search; see the module docs).
const MERGE_GAP: usize = 256;

/// Characters a window may grow over for free before giving up on windows
/// for that group (a text of nothing but white space and triggers).
const MAX_FREE_RUN: usize = 4096;

impl Triggers {
    /// Groups the patterns' triggers (`None`: no trigger, always run).
    pub(crate) fn new(triggers: &[Option<Trigger>]) -> Triggers {
        // Patterns share a group when they share trigger characters, free
        // characters and the run of digits they need.
        let mut keys: Vec<(&[char], &[char], usize)> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        // Per group and trigger character: what the group's patterns accept
        // beside it, `None` when any neighbour will do.
        let mut conditions: Vec<std::collections::BTreeMap<char, Option<Vec<Sides>>>> = Vec::new();
        let mut group_of = Vec::with_capacity(triggers.len());
        for t in triggers {
            let Some(t) = t else {
                group_of.push(None);
                continue;
            };
            let key = (t.chars.as_slice(), t.free.as_slice(), t.run.min(63));
            let g = match keys.iter().position(|k| *k == key) {
                Some(g) => {
                    let group = &mut groups[g];
                    group.reach = group.reach.max(t.reach);
                    add_conditions(&mut conditions[g], t);
                    group.before = group.before.max(t.before);
                    group.after = group.after.max(t.after);
                    Some(g)
                }
                None if keys.len() < 64 => {
                    keys.push(key);
                    conditions.push(Default::default());
                    add_conditions(&mut conditions[keys.len() - 1], t);
                    groups.push(Group {
                        reach: t.reach,
                        before: t.before,
                        after: t.after,
                        free: t.free.clone(),
                        free_ascii: std::array::from_fn(|b| t.free.contains(&char::from(b as u8))),
                        free_bmp: bmp_bitmap(&t.free),
                    });
                    Some(keys.len() - 1)
                }
                None => None,
            };
            group_of.push(g);
        }
        let mut ascii = [0u64; 128];
        let mut wide: Vec<(char, u64)> = Vec::new();
        for (g, (set, ..)) in keys.iter().enumerate() {
            for &c in *set {
                if c.is_ascii() {
                    ascii[c as usize] |= 1 << g;
                } else {
                    wide.push((c, 1 << g));
                }
            }
        }
        wide.sort_unstable_by_key(|w| w.0);
        let mut merged: Vec<(char, u64)> = Vec::new();
        for (c, m) in wide {
            match merged.last_mut() {
                Some(last) if last.0 == c => last.1 |= m,
                _ => merged.push((c, m)),
            }
        }
        let mut beside: std::collections::BTreeMap<char, Conditional> = Default::default();
        for (g, map) in conditions.into_iter().enumerate() {
            for (c, sides) in map {
                // ASCII triggers are taken in runs (a number), not one by
                // one: they need nothing beside them.
                if let (Some(sides), false) = (sides, c.is_ascii()) {
                    beside.entry(c).or_default().push((g, sides));
                }
            }
        }
        let beside: Vec<(char, Conditional)> = beside.into_iter().collect();
        let mut masks = vec![0u64];
        let mut masks_beside = vec![0u32];
        let mut bmp = vec![0u8; 0x10000].into_boxed_slice();
        let mut rest = Vec::new();
        let mut bmp_any = Box::new([0u64; 1024]);
        for (c, m) in merged {
            let u = c as usize;
            if u < 0x10000 {
                bmp_any[u >> 6] |= 1 << (u & 63);
            }
            // A character with neighbours to check has an entry of its
            // own, which says where its conditions are: the pass meets
            // common characters (年, 在) often.
            let conditional = beside.binary_search_by_key(&c, |e| e.0).ok();
            let i = match masks.iter().position(|&x| x == m) {
                Some(i) if conditional.is_none() && masks_beside[i] == 0 => i,
                _ => {
                    masks.push(m);
                    masks_beside.push(conditional.map_or(0, |j| j as u32 + 1));
                    masks.len() - 1
                }
            };
            match u8::try_from(i) {
                Ok(i) if (c as u32) < 0x10000 => bmp[c as usize] = i,
                // Beyond the BMP, or more than 255 distinct masks: looked
                // up in the sorted list instead.
                _ => rest.push((c, m)),
            }
        }
        let short_run = std::array::from_fn(|l| {
            keys.iter()
                .enumerate()
                .filter(|(_, &(_, _, run))| run > l)
                .fold(0u64, |m, (g, _)| m | 1 << g)
        });
        let mut triggers = Triggers {
            beside,
            masks_beside,
            short_run,
            groups,
            group_of,
            ascii,
            bmp,
            bmp_any,
            rest,
            masks,
            ascii_reach: [0; 128],
            masks_reach: Vec::new(),
        };
        triggers.ascii_reach = ascii.map(|m| triggers.smallest_reach(m));
        triggers.masks_reach = triggers
            .masks
            .iter()
            .map(|&m| triggers.smallest_reach(m))
            .collect();
        triggers
    }

    fn mask(&self, c: char) -> u64 {
        let u = c as u32;
        let m = if u < 0x10000 {
            self.masks[usize::from(self.bmp[u as usize])]
        } else {
            0
        };
        if m == 0 && !self.rest.is_empty() {
            return self
                .rest
                .binary_search_by_key(&c, |a| a.0)
                .map_or(0, |i| self.rest[i].1);
        }
        m
    }

    /// One pass over `text`: the regions each pattern has to run in.
    ///
    /// Triggers whose windows would merge into one region are taken as one
    /// run, and a window is computed once per run, from its first and last
    /// trigger: walking the windows of the triggers in between is wasted
    /// work. A window reaches at least `before` bytes before its run and
    /// `after` bytes after it (or to the text's ends), and windows less
    /// than [`MERGE_GAP`] apart merge, so a trigger at most
    /// `before + after + MERGE_GAP` after the run's end joins the run. The
    /// run's window covers every match of its triggers: one holding a
    /// trigger inside the run lies between the run's first and last
    /// trigger, or within `before` non-free bytes before them and `after`
    /// after.
    ///
    /// On digit-dense text (tables, rosters) every digit is a trigger of
    /// a dozen groups, and that walk was most of the scan.
    pub(crate) fn regions(&self, text: &str) -> Vec<Regions> {
        let n = self.groups.len();
        let mut seen = vec![false; n];
        let mut whole = vec![false; n];
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        // Per group: the trigger run not yet made a window (start of its
        // first trigger, end of its last).
        let mut runs: Vec<Option<(usize, usize)>> = vec![None; n];
        // Adds a trigger (or a chain of them, see below) at `start..end`
        // of the groups in `mask` to their runs.
        let mut add = |mask: u64, start: usize, end: usize| {
            let mut m = mask;
            while m != 0 {
                let g = m.trailing_zeros() as usize;
                m &= m - 1;
                seen[g] = true;
                if whole[g] {
                    continue;
                }
                match &mut runs[g] {
                    // Within reach of the run's last trigger: this
                    // trigger's window would merge with the run's.
                    Some((_, last)) if start <= *last + self.groups[g].join() => *last = end,
                    run => {
                        if let Some((s, e)) = run.replace((start, end)) {
                            self.close_run(g, text, s, e, &mut windows[g], &mut whole[g]);
                        }
                    }
                }
            }
        };
        // Consecutive triggers, each within the smallest reach of the
        // chain's groups of the one before, extend one run of every one of
        // those groups: they are added as one trigger, so that a digit
        // table (one long chain of a dozen groups) costs a step per number,
        // not a dozen. A trigger farther away ends the chain.
        let mut chain: Option<(u64, usize, usize, usize)> = None; // groups, start, end, reach
        let bytes = text.as_bytes();
        let mut i = 0;
        while n > 0 && i < bytes.len() {
            // Characters that trigger nothing, in tight loops: most of any
            // text, and this pass reads all of it.
            loop {
                match bytes.get(i..i + 3) {
                    Some(&[b, _, _]) if b < 0x80 && self.ascii[usize::from(b)] == 0 => i += 1,
                    Some(&[b @ 0xE0..0xF0, b1, b2]) => {
                        let u = three_byte(b, b1, b2);
                        if self.bmp_any[u >> 6] >> (u & 63) & 1 == 1 {
                            break;
                        }
                        i += 3;
                    }
                    _ => break,
                }
            }
            if i >= bytes.len() {
                break;
            }
            let b = bytes[i];
            // The one-byte table's index of a three-byte character; 0 (also
            // for a character kept in `rest`) takes the general lookup.
            let k = match bytes.get(i..i + 3) {
                Some(&[b @ 0xE0..0xF0, b1, b2]) => usize::from(self.bmp[three_byte(b, b1, b2)]),
                _ => 0,
            };
            let (mask, len, reach, beside) = if b < 0x80 {
                (self.ascii[b as usize], 1, self.ascii_reach[b as usize], 0)
            } else if k != 0 {
                (self.masks[k], 3, self.masks_reach[k], self.masks_beside[k])
            } else {
                let c = text[i..].chars().next().unwrap_or('\0');
                let m = self.mask(c);
                let beside = self
                    .beside
                    .binary_search_by_key(&c, |e| e.0)
                    .map_or(0, |j| j as u32 + 1);
                (m, c.len_utf8(), self.smallest_reach(m), beside)
            };
            if mask == 0 {
                i += len;
                continue;
            }
            // Adjacent ASCII triggers (the digits of a number) are one
            // trigger of all their groups for the run logic below: a
            // group's window then starts at the number's start rather than
            // at its own digit, a little wider, never narrower. Digits
            // that trigger nothing join them, for the run's length.
            let (mut mask, mut len, mut reach) = (mask, len, reach);
            if b < 0x80 {
                for &c in bytes[i + 1..]
                    .iter()
                    .take_while(|&&c| c < 0x80 && (self.ascii[c as usize] != 0 || is_run(c)))
                {
                    mask |= self.ascii[c as usize];
                    reach = reach.min(self.ascii_reach[c as usize]);
                    len += 1;
                }
                // Digits just before it trigger nothing (the pass would
                // have stopped at them), but lengthen the run. Its length
                // bounds that of any run of digits in it.
                let back = bytes[..i].iter().rev().take_while(|&&c| is_run(c)).count();
                mask &= !self.short_run[(back + len).min(63)];
            } else if beside != 0 {
                let conditional = &self.beside[beside as usize - 1].1;
                mask &= !unmet_beside(conditional, text, i, len);
            }
            if mask == 0 {
                i += len;
                continue;
            }
            match &mut chain {
                Some((groups, _, end, chain_reach)) if i <= *end + *chain_reach => {
                    // Groups joining the chain late get a window from its
                    // start: wider, never narrower.
                    *groups |= mask;
                    *chain_reach = (*chain_reach).min(reach);
                    *end = i + len;
                }
                _ => {
                    if let Some((groups, start, end, _)) = chain.take() {
                        add(groups, start, end);
                    }
                    chain = Some((mask, i, i + len, reach));
                }
            }
            i += len;
        }
        if let Some((groups, start, end, _)) = chain {
            add(groups, start, end);
        }
        for (g, run) in runs.into_iter().enumerate() {
            if let Some((start, end)) = run.filter(|_| !whole[g]) {
                self.close_run(g, text, start, end, &mut windows[g], &mut whole[g]);
            }
        }
        self.group_of
            .iter()
            .map(|g| match g {
                None => Regions::All,
                Some(g) if !seen[*g] => Regions::None,
                Some(g) if whole[*g] => Regions::All,
                Some(g) => Regions::Some(windows[*g].clone()),
            })
            .collect()
    }

    /// The smallest reach of the groups in `mask`.
    fn smallest_reach(&self, mask: u64) -> usize {
        let mut m = mask;
        let mut reach = usize::MAX;
        while m != 0 {
            reach = reach.min(self.groups[m.trailing_zeros() as usize].reach);
            m &= m - 1;
        }
        reach
    }

    /// Adds the window of a trigger run (`start..end`) of group `g` to its
    /// windows, merged with the one before when close; `whole` when the
    /// window cannot be bounded.
    fn close_run(
        &self,
        g: usize,
        text: &str,
        start: usize,
        end: usize,
        windows: &mut Vec<(usize, usize)>,
        whole: &mut bool,
    ) {
        let group = &self.groups[g];
        let last = windows.last().map_or(0, |w| w.1);
        let (lo, hi) = if group.free.is_empty() {
            (
                start.saturating_sub(group.before),
                (end + group.after).min(text.len()),
            )
        } else {
            match group.window(text, start, end, last) {
                Some(w) => w,
                None => {
                    *whole = true;
                    return;
                }
            }
        };
        match windows.last_mut() {
            Some(w) if lo <= w.1 + MERGE_GAP => w.1 = w.1.max(hi),
            _ => windows.push((lo, hi)),
        }
    }
}

/// The groups of `conditional` (those of a character beyond ASCII, at
/// `i..i + len` of `text`) whose patterns need other neighbours than it has
/// there (see [`Beside`]).
fn unmet_beside(conditional: &Conditional, text: &str, i: usize, len: usize) -> u64 {
    let (prev, next) = (
        text[..i].chars().next_back(),
        text[i + len..].chars().next(),
    );
    let accepts = |set: &Option<Vec<char>>, beside: Option<char>| {
        set.as_ref()
            .is_none_or(|set| beside.is_some_and(|b| set.binary_search(&b).is_ok()))
    };
    let mut unmet = 0;
    for (g, sides) in conditional {
        if !sides
            .iter()
            .any(|(p, n)| accepts(p, prev) && accepts(n, next))
        {
            unmet |= 1 << g;
        }
    }
    unmet
}

/// Adds what a pattern's trigger characters need beside them to its
/// group's: a character one pattern takes with any neighbour needs none.
fn add_conditions(map: &mut std::collections::BTreeMap<char, Option<Vec<Sides>>>, t: &Trigger) {
    for b in &t.beside {
        let entry = map.entry(b.c).or_insert_with(|| Some(Vec::new()));
        match (entry.as_mut(), &b.prev, &b.next) {
            (None, _, _) => {}
            (Some(_), None, None) => *entry = None,
            (Some(list), prev, next) => list.push((prev.clone(), next.clone())),
        }
    }
}

/// The wide characters of `free` that lie in the BMP as a bitmap; `None`
/// when every free character is ASCII.
fn bmp_bitmap(free: &[char]) -> Option<Box<[u64; 1024]>> {
    if free.iter().all(char::is_ascii) {
        return None;
    }
    let mut bits = Box::new([0u64; 1024]);
    for u in free.iter().map(|&c| u32::from(c)).filter(|&u| u < 0x10000) {
        bits[(u >> 6) as usize] |= 1 << (u & 63);
    }
    Some(bits)
}

impl Group {
    /// How far after a run's last trigger the next one still joins the run
    /// (see [`Triggers::regions`]).
    fn join(&self) -> usize {
        self.before + self.after + MERGE_GAP
    }

    fn is_free(&self, c: char) -> bool {
        let u = u32::from(c);
        match (&self.free_bmp, u) {
            (_, 0..0x80) => self.free_ascii[u as usize],
            (None, _) => false,
            (Some(bits), ..0x10000) => bits[(u >> 6) as usize] >> (u & 63) & 1 == 1,
            (Some(_), _) => self.free.binary_search(&c).is_ok(),
        }
    }

    /// The window around a trigger at `start..end`: as far as `before`
    /// bytes of non-free characters go to the left and `after` bytes to
    /// the right, free ones not counted; the
    /// left side need not go below `floor` (the end of the window before,
    /// which the new one is then merged with), and the right side starts no
    /// earlier than `floor` (starting later with the same budget reaches at
    /// least as far, so the window is still large enough, and a run of
    /// triggers costs one pass, not one per trigger). `None` when a side
    /// grows over more than [`MAX_FREE_RUN`] characters.
    fn window(&self, text: &str, start: usize, end: usize, floor: usize) -> Option<(usize, usize)> {
        // Walked byte by byte: a character's length is known from its first
        // byte, and only a group with free characters beyond ASCII needs a
        // wide character decoded (walking `chars()` back and forth around
        // every trigger run was a tenth of a scan of Chinese prose).
        let bytes = text.as_bytes();
        let mut budget = self.before;
        let mut lo = start;
        let mut steps = 0;
        let mut i = start;
        while i > floor {
            // The character ending at `i`.
            let at = text.floor_char_boundary(i - 1);
            if at < floor {
                break;
            }
            if steps > MAX_FREE_RUN {
                return None;
            }
            steps += 1;
            let len = i - at;
            if !self.is_free_at(text, at) {
                if len > budget {
                    break;
                }
                budget -= len;
            }
            lo = at;
            i = at;
        }
        let mut budget = self.after;
        let mut hi = end.max(floor);
        let mut steps = 0;
        while hi < bytes.len() {
            if steps > MAX_FREE_RUN {
                return None;
            }
            steps += 1;
            let len = utf8_len(bytes[hi]);
            if !self.is_free_at(text, hi) {
                if len > budget {
                    break;
                }
                budget -= len;
            }
            hi += len;
        }
        Some((lo, hi))
    }

    /// Whether the character starting at byte `at` of `text` is free.
    fn is_free_at(&self, text: &str, at: usize) -> bool {
        let b = text.as_bytes()[at];
        if b < 0x80 {
            return self.free_ascii[usize::from(b)];
        }
        let bytes = text.as_bytes();
        match (&self.free_bmp, b) {
            (None, _) => false,
            // Three bytes (all of CJK), decoded in place: this runs for
            // every character a window grows over.
            (Some(bits), 0xE0..0xF0) if at + 2 < bytes.len() => {
                let u = three_byte(b, bytes[at + 1], bytes[at + 2]);
                bits[u >> 6] >> (u & 63) & 1 == 1
            }
            _ => text[at..].chars().next().is_some_and(|c| self.is_free(c)),
        }
    }
}

/// The code point of a three-byte UTF-8 character (all of CJK), decoded
/// in place: the trigger pass and the window walks read every character.
fn three_byte(b0: u8, b1: u8, b2: u8) -> usize {
    (usize::from(b0 & 0x0F) << 12) | (usize::from(b1 & 0x3F) << 6) | usize::from(b2 & 0x3F)
}

/// Length of the UTF-8 character a (leading) byte starts.
pub(crate) fn utf8_len(b: u8) -> usize {
    match b {
        ..0x80 => 1,
        0xE0..0xF0 => 3,
        0xF0.. => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern parsed as the scanner parses it.
    fn hir(pattern: &str) -> Hir {
        regex_syntax::Parser::new().parse(pattern).unwrap()
    }

    fn chars(p: &str) -> Option<String> {
        analyse(&hir(p)).map(|t| t.chars.into_iter().collect())
    }

    #[test]
    fn splits_off_digit_led_branches() {
        let whole = |p: &str| {
            digit_led(&hir(p))
                == Some(DigitLed {
                    digit: hir(p),
                    other: None,
                })
        };
        for p in [
            "[1-9][0-9]{5}",
            "(?:18|19)[0-9]{2}|[0-9]x",
            "(?:[0-9])?[0-9]{3}",
            "\\b[0-9]+",
            "(?:)7",
        ] {
            assert!(whole(p), "{p}");
        }
        for p in [
            "[0-9*]{6}",
            "[0-9]{0,3}",
            "(?:\\+86)?1[3-9][0-9]{9}",
            "x?[0-9]",
            "岁",
            "a|b",
        ] {
            assert_eq!(digit_led(&hir(p)), None, "{p}");
        }
        // An optional group in a branch stays optional (it did not when
        // the branches went through pattern text).
        let split = digit_led(&hir("[hm][0-9]{8}(?:[0-9]{2})?|[0-9]{8}|账号")).expect("splits");
        let (digit, other) = (split.digit, split.other.expect("other branches"));
        let re = |h: &Hir| {
            use regex_syntax::hir::Look;
            let whole = Hir::concat(vec![
                Hir::look(Look::Start),
                h.clone(),
                Hir::look(Look::End),
            ]);
            regex_automata::meta::Regex::builder()
                .build_from_hir(&whole)
                .unwrap()
        };
        assert!(re(&digit).is_match("12345678") && !re(&digit).is_match("h12345678"));
        assert!(re(&other).is_match("h12345678") && re(&other).is_match("账号"));
        assert!(re(&other).is_match("h1234567890") && !re(&other).is_match("h123456789"));
        assert!(!re(&other).is_match("12345678"));
        let start = re(&DigitLed { digit, other: None }.at_run_start());
        assert!(start.is_match("12345678") && start.is_match("m12345678"));
        assert!(!start.is_match("012345678"));
    }

    #[test]
    fn finds_a_character_every_match_needs() {
        assert_eq!(
            chars("机密1"),
            Some("密".into()),
            "rarer than 机 or a digit"
        );
        assert_eq!(chars("[0-9]{17}[0-9x]"), Some("0123456789".into()));
        assert_eq!(chars("a|b密"), Some("a密".into()));
        assert_eq!(chars("(?:绝|机|秘)[ ]{0,3}密"), Some("密".into()));
        assert_eq!(chars(r"[\p{Han}]{1,8}村[0-9]{1,4}号"), Some("村".into()));
        assert_eq!(chars("x?y*"), None, "can match the empty string");
        assert_eq!(chars(r"[\p{Han}]{2}"), None, "class too large");
        assert_eq!(chars("a|.{2}"), None);
        let t = analyse(&hir("a{2,3}")).unwrap();
        assert_eq!((t.reach, t.free.len()), (3, 0));
        let t = analyse(&hir(r"机[ \t]*密")).unwrap();
        assert_eq!((t.reach, t.free), (6, vec!['\t', ' ']));
        assert_eq!(analyse(&hir(r"密.*")), None, "too many free characters");
    }

    #[test]
    fn regions_cover_every_trigger_with_its_reach() {
        let t = Triggers::new(&[
            analyse(&hir("[0-9]{2}")).clone(),
            analyse(&hir("密")).clone(),
            None,
        ]);
        let gap = "c".repeat(MERGE_GAP + 10);
        let r = t.regions(&format!("ab12{gap}34"));
        let at = 4 + gap.len();
        // A digit of `[0-9]{2}` has at most one byte of the match on
        // either side.
        assert_eq!(r[0], Regions::Some(vec![(1, 5), (at - 1, at + 2)]));
        // A digit alone is no run of two.
        let r = t.regions(&format!("ab12{gap}3"));
        assert_eq!(r[0], Regions::Some(vec![(1, 5)]));
        let r = t.regions("ab12cdefghij34");
        assert_eq!(r[0], Regions::Some(vec![(1, 14)]), "close windows merge");
        assert_eq!(r[1], Regions::None);
        assert_eq!(r[2], Regions::All);
        let r = t.regions("机密");
        assert_eq!(r[0], Regions::None);
        assert_eq!(r[1], Regions::Some(vec![(3, 6)]), "密 is all of its match");
    }

    #[test]
    fn triggers_beyond_255_distinct_masks_are_found() {
        // Nine patterns, each an alternation of the ideographs (doubled)
        // whose number
        // has its bit set: 300 ideographs with 300 distinct group masks,
        // more than the one-byte table holds; the rest are looked up apart.
        let chars: Vec<char> = (1..=300u32)
            .map(|j| char::from_u32(0x4E00 + j).unwrap())
            .collect();
        let patterns: Vec<Option<Trigger>> = (0..9)
            .map(|k| {
                let branches: Vec<String> = (1..=300usize)
                    .filter(|j| j >> k & 1 == 1)
                    .map(|j| chars[j - 1].to_string().repeat(2))
                    .collect();
                analyse(&hir(&branches.join("|")))
            })
            .collect();
        assert!(patterns.iter().all(Option::is_some));
        let t = Triggers::new(&patterns);
        for (j, c) in chars.iter().enumerate().map(|(i, c)| (i + 1, c)) {
            let text = format!("ab{c}{c}cd");
            for (k, r) in t.regions(&text).iter().enumerate() {
                let want = if j >> k & 1 == 1 {
                    // The trigger opens its match (the second one, not
                    // followed by itself, is none): the window starts at
                    // it and holds the match.
                    Regions::Some(vec![(2, 8)])
                } else {
                    Regions::None
                };
                assert_eq!(*r, want, "character {j} ({c}), pattern {k}");
            }
        }
    }

    #[test]
    fn a_window_reaches_as_far_as_the_match_can_on_each_side() {
        let sides = |p: &str| analyse(&hir(p)).map(|t| (t.before, t.after, t.reach));
        // 月 after one or two digits, then up to two digits and 日.
        assert_eq!(sides("[0-9]{1,2}月[0-9]{1,2}日"), Some((2, 5, 10)));
        // Opened by its trigger (举, rarer than a colon after 举): the
        // window lies after it.
        assert_eq!(sides("举[:：]"), Some((0, 3, 6)));
        // In any of three copies, or in any branch.
        assert_eq!(sides("(?:密x){3}"), Some((8, 9, 12)));
        assert_eq!(sides("密|ab密cd"), Some((2, 2, 7)));
        // Bounds that overflow are no bounds: the pattern runs everywhere.
        assert_eq!(sides("(?:(?:(?:密x{65535}){65535}){65535}){65535}"), None);
        assert_eq!(sides("(?:密x{65535}){65535}(?:x{65535}){65535}"), None);
    }

    #[test]
    fn free_characters_stretch_a_window() {
        let t = Triggers::new(&[analyse(&hir(r"机[ \t]*密")).clone()]);
        let text = "甲乙丙机          密丁";
        let at = text.find('密').unwrap();
        let r = t.regions(text);
        // The trigger is 密, the match's last character; before it, 3 bytes
        // of non-free text, the spaces are free.
        assert_eq!(r[0], Regions::Some(vec![(at - 10 - 3, at + 3)]));
        let spaces = " ".repeat(MAX_FREE_RUN + 10);
        assert_eq!(t.regions(&format!("机{spaces}密"))[0], Regions::All);
        // Free characters outside ASCII (the ideographic space of `\s`)
        // stretch a window too; other wide characters do not.
        let t = Triggers::new(&[analyse(&hir(r"机\s*密")).clone()]);
        let text = "甲乙丙机\u{3000}\u{3000}\u{3000}密丁";
        let at = text.find('密').unwrap();
        assert_eq!(
            t.regions(text)[0],
            Regions::Some(vec![(at - 9 - 3, at + 3)])
        );
    }

    #[test]
    fn shipped_patterns_have_triggers() {
        // Every shipped pattern gets a trigger set and a bounded reach; a
        // new pattern without them still works, but runs on every text.
        let set = crate::RuleSet::shipped();
        for r in &set.rules {
            if let crate::Matcher::Pattern { pattern, .. } = &r.matcher {
                assert!(analyse(&hir(pattern)).is_some(), "{}: {pattern}", r.id);
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::{meta::Regex, Input};

    /// Patterns over a few characters: ideographs, digits, `*`, a space,
    /// with classes, counted and unbounded repetitions, alternations and
    /// look-around, so that every rule of the analysis meets its edge cases
    /// (anchors at a part's edge, runs of digits across parts, parts that
    /// match empty).
    fn pattern() -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(vec![
            "甲",
            "乙",
            "丙",
            "1",
            "2",
            "\\*",
            " ",
            "甲乙",
            "乙丙",
            "12",
            "[0-9]",
            "[12*]",
            "[甲乙]",
            "(?:甲乙|丙)",
            "(?:1|乙)",
            "(乙甲|2)",
            "\\s",
            "[^甲]",
            "^",
            "$",
        ])
        .prop_map(String::from);
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.concat()),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|v| format!("({})", v.concat())),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|v| format!("(?:{})", v.join("|"))),
                (inner.clone(), 0..3u32, 0..3u32)
                    .prop_map(|(p, a, b)| format!("(?:{p}){{{a},{}}}", a + b)),
                (inner.clone(), prop::sample::select(vec!["?", "*", "+"]))
                    .prop_map(|(p, q)| format!("(?:{p}){q}")),
            ]
        })
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "甲", "乙", "丙", "甲", "乙", "丙", "1", "2", "1", "2", "丁", "3", "*", " ", "\n",
                "a",
            ]),
            0..60,
        )
        .prop_map(|v| v.concat())
    }

    /// The matches of `pattern` in the whole `text`, and in its trigger
    /// regions.
    pub(super) fn both_ways(
        pattern: &str,
        text: &str,
    ) -> (Vec<std::ops::Range<usize>>, Vec<std::ops::Range<usize>>) {
        let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
        let regex = Regex::builder().build_from_hir(&hir).unwrap();
        let triggers = Triggers::new(&[analyse(&hir)]);
        let hay = text.as_bytes();
        let whole: Vec<_> = regex
            .find_iter(Input::new(hay))
            .map(|m| m.range())
            .collect();
        let ranges = match triggers.regions(text).remove(0) {
            Regions::None => vec![],
            Regions::All => vec![(0, hay.len())],
            Regions::Some(r) => r,
        };
        let windowed: Vec<_> = ranges
            .iter()
            .flat_map(|&(a, b)| {
                regex
                    .find_iter(Input::new(hay).range(a..b))
                    .map(|m| m.range())
            })
            .collect();
        (whole, windowed)
    }

    #[test]
    fn neighbours_and_runs_keep_every_match() {
        for (pattern, text) in [
            // 甲's neighbour is 乙 or 丙, the ends of the part before it.
            ("(?:甲乙|丙)甲", "甲乙甲"),
            // Of two copies, the first follows 乙 and the second precedes
            // 丙: no one copy has both.
            ("乙(?:甲){2}丙", "乙甲甲丙"),
            // White space may stand before 乙: 丙 does not stand beside it.
            (r"丙(\s*乙)", "丙 乙"),
            ("丙(乙)甲", "丙乙甲"),
            // Runs of digits across parts, and broken by a space.
            ("[0-9]{2}(?:1|2)[0-9]", "1212"),
            ("[0-9]{3} ?[0-9]{3}", "123 456"),
            ("(?:[0-9]{2})?1[*0-9]{2}", "1**"),
        ] {
            let (whole, windowed) = both_ways(pattern, text);
            assert!(!whole.is_empty(), "{pattern} matches {text:?}");
            assert_eq!(whole, windowed, "{pattern} on {text:?}");
        }
        // And what they are for: a trigger without its neighbours or run
        // opens no region.
        let regions = |p: &str, text: &str| {
            let hir = regex_syntax::Parser::new().parse(p).unwrap();
            Triggers::new(&[analyse(&hir)]).regions(text).remove(0)
        };
        assert_eq!(regions("出家", "出门"), Regions::None);
        assert_eq!(regions("[0-9]{1,2}时", "按时"), Regions::None);
        assert_eq!(regions("[0-9]{6}", "2024年5月"), Regions::None);
        assert_ne!(regions("[0-9]{6}", "编号 202405"), Regions::None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8192))]
        /// A pattern finds in its trigger regions exactly what it finds in
        /// the whole text: every rule of the analysis (trigger characters,
        /// their neighbours, runs of digits, window bounds) is sound.
        #[test]
        fn regions_find_what_the_whole_text_finds(p in pattern(), text in text()) {
            let (whole, windowed) = both_ways(&p, &text);
            prop_assert_eq!(&whole, &windowed, "pattern {} on {:?}", p, text);
        }
    }
}
