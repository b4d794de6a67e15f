//! Normalisation with an offset map.
//!
//! Matching runs on a normalised copy of the text (full-width → half-width,
//! case folded, zero-width characters dropped, optionally traditional →
//! simplified, and for the keyword view also noise characters removed), but
//! every finding is reported in the *original* text. The map from normalised
//! to original offsets is sparse: it stores a breakpoint only where the
//! difference between the two offsets changes, so ordinary Chinese text costs
//! one entry per full-width punctuation mark and nothing per ideograph.
//!
//! Look-alike compatibility characters are folded the way NFKC folds them,
//! one character at a time and only in the blocks where they stand in for
//! ordinary text: Kangxi radicals (`⼀` U+2F00 → `一`), CJK compatibility
//! ideographs (`理` U+F9E4 → `理`, common in PDFs made on macOS), enclosed
//! and parenthesised digits, letters and ideographs (`①` → `1`, `⑴` →
//! `(1)`, `⒈` → `1.`, `㈠` → `(一)`, `㊙` → `秘`), squared forms (`㎏` →
//! `kg`) and the two CJK radicals NFKC maps (see [`nfkc`]). Ordinary CJK
//! text, punctuation (`…` stays `…`) and everything else is left as it is,
//! so this is not full NFKC: a decomposition that would change how ordinary
//! Chinese is matched is never applied.
//!
//! Every character of the normalised copy comes from exactly one character of
//! the original (no original character is split between two normalised ones,
//! none is merged with its neighbour); one original character may become
//! several (`⑴` → `(1)`), each mapped back to the whole original character,
//! which is what makes the map exact: a match always maps back to whole
//! original characters.

use std::sync::OnceLock;

include!("nfkc_table.rs");

/// The NFKC form of a look-alike compatibility character, or `None` when
/// `c` is not one (see the module docs for the blocks). The table is
/// generated from the Unicode data by `crates/baomi-core/tools/gen_nfkc_table.py`
/// (about 2,000 mappings, 19 KB): the `unicode-normalization` crate was
/// weighed instead, but it ships every normalisation table (composition,
/// canonical and compatibility decomposition of all of Unicode) for the sake
/// of these few blocks, where this one small sorted table is all the
/// scanner needs and keeps baomi-core small for wasm32.
pub fn nfkc(c: char) -> Option<&'static str> {
    let u = c as u32;
    if u < 0x2460 || !NFKC_BLOCKS.iter().any(|&(lo, hi)| lo <= u && u <= hi) {
        return None;
    }
    let i = NFKC_KEYS.binary_search(&u).ok()?;
    let start = if i == 0 {
        0
    } else {
        usize::from(NFKC_ENDS[i - 1])
    };
    NFKC_DATA.get(start..usize::from(NFKC_ENDS[i]))
}

/// What one original character becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// Dropped everywhere (zero-width characters, soft hyphen, BOM).
    Drop,
    /// Becomes this character; `noise` says whether it may sit between the
    /// characters of a noise-tolerant keyword.
    Char { c: char, noise: bool },
    /// A compatibility character that becomes several characters (`⑴` →
    /// `(1)`); each is then folded with [`fold_plain`].
    Many(&'static str),
}

/// Noise characters after folding: white space and the punctuation people
/// put between characters to dodge a filter (`机 密`, `机-密`, `机*密`,
/// `机·密`). Sentence and clause breaks (`。，；：！？、`) are not noise, so a
/// keyword is never joined across them.
fn is_noise(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\r'
            | '\u{b}'
            | '\u{c}'
            | '*'
            | '-'
            | '_'
            | '.'
            | '~'
            | '|'
            | '/'
            | '\\'
            | '+'
            | '='
            | '#'
            | '^'
            | '`'
            | '\''
            | '"'
            | '·'
            | '•'
            | '・'
            | '‧'
            | '∙'
            | '—'
            | '–'
            | '―'
            | '﹡'
    )
}

fn fold_char(c: char, t2s: Option<&T2s>) -> Fold {
    if let Some(n) = nfkc(c) {
        let mut it = n.chars();
        return match (it.next(), it.next()) {
            (Some(one), None) => fold_plain(one, t2s),
            _ => Fold::Many(n),
        };
    }
    fold_plain(c, t2s)
}

/// Folds one character that is not a look-alike compatibility character
/// (or is the NFKC form of one).
fn fold_plain(c: char, t2s: Option<&T2s>) -> Fold {
    let c = match c {
        // Zero-width space/joiners, word joiner, BOM, soft hyphen.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' => return Fold::Drop,
        // Full-width ASCII variants.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        // Ideographic and other wide spaces.
        '\u{3000}' | '\u{A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => ' ',
        '\u{FFE5}' => '¥',
        _ => c,
    };
    let c = if c.is_ascii() {
        c.to_ascii_lowercase()
    } else if let Some(t) = t2s {
        t.map(c)
    } else {
        c
    };
    let c = if !c.is_ascii() && c.is_uppercase() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => c,
        }
    } else {
        c
    };
    Fold::Char {
        c,
        noise: is_noise(c),
    }
}

/// Folds a keyword or allow phrase the way text is folded for matching.
/// `strip_noise` removes noise characters; `t2s` maps traditional to
/// simplified characters.
pub fn fold_keyword(text: &str, strip_noise: bool, t2s: bool) -> String {
    let table = if t2s { Some(T2s::get()) } else { None };
    let mut out = String::with_capacity(text.len());
    let mut push = |c, noise| {
        if !(strip_noise && noise) {
            out.push(c);
        }
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if let Some((ch, Fold::Char { c, noise })) = quick_fold(bytes, i) {
            push(c, noise);
            i += ch.len_utf8();
            continue;
        }
        let ch = text[i..].chars().next().expect("i is a character boundary");
        match fold_ideograph(ch, table) {
            Some(c) => push(c, false),
            None => each_folded(ch, table, &mut push),
        }
        i += ch.len_utf8();
    }
    out
}

/// [`fold_char`] of a unified ideograph (U+4E00..U+9FFF), most of Chinese
/// text: no compatibility form, no case, not noise; only the traditional →
/// simplified table applies (the test `unified_ideographs_fold_plainly`
/// checks the whole block). `None` for any other character.
fn fold_ideograph(ch: char, t2s: Option<&T2s>) -> Option<char> {
    const BLOCK: std::ops::RangeInclusive<char> = '\u{4E00}'..='\u{9FFF}';
    if !BLOCK.contains(&ch) {
        return None;
    }
    Some(t2s.map_or(ch, |t| t.map(ch))).filter(|c| BLOCK.contains(c))
}

/// Calls `f` with every character (and its noise flag) that `ch` folds to.
fn each_folded(ch: char, table: Option<&T2s>, mut f: impl FnMut(char, bool)) {
    match fold_char(ch, table) {
        Fold::Drop => {}
        Fold::Char { c, noise } => f(c, noise),
        Fold::Many(s) => {
            for part in s.chars() {
                if let Fold::Char { c, noise } = fold_plain(part, table) {
                    f(c, noise);
                }
            }
        }
    }
}

/// Checks that `original` spells `keyword_stripped` (already folded with
/// noise stripped) with at most `max_noise` noise characters in each gap
/// between two characters, and none before the first or after the last.
pub(crate) fn matches_with_noise(
    original: &str,
    keyword_stripped: &str,
    max_noise: u8,
    t2s: bool,
) -> bool {
    let table = if t2s { Some(T2s::get()) } else { None };
    let mut want = keyword_stripped.chars();
    let mut gap = 0u32;
    let mut started = false;
    let mut ok = true;
    for ch in original.chars() {
        each_folded(ch, table, |c, noise| {
            if !ok {
                return;
            }
            if noise {
                gap += 1;
                if !started || gap > u32::from(max_noise) {
                    ok = false;
                }
            } else {
                if want.next() != Some(c) {
                    ok = false;
                }
                started = true;
                gap = 0;
            }
        });
        if !ok {
            return false;
        }
    }
    gap == 0 && want.next().is_none()
}

/// Traditional → simplified table for CJK Unified Ideographs (and extension
/// A), built once from the `fast2s` crate's character table.
pub(crate) struct T2s {
    table: Box<[char]>,
}

const T2S_FIRST: u32 = 0x3400;
const T2S_LAST: u32 = 0x9FFF;

impl T2s {
    pub(crate) fn get() -> &'static T2s {
        static TABLE: OnceLock<T2s> = OnceLock::new();
        TABLE.get_or_init(|| {
            let table = (T2S_FIRST..=T2S_LAST)
                .map(|u| {
                    let c = char::from_u32(u).unwrap_or(' ');
                    let mut buf = [0u8; 4];
                    let s = fast2s::convert(c.encode_utf8(&mut buf));
                    let mut it = s.chars();
                    match (it.next(), it.next()) {
                        (Some(m), None) => m,
                        _ => c,
                    }
                })
                .collect();
            T2s { table }
        })
    }

    /// True when the code point (known to be in the table's range or not)
    /// has no simplified form of its own.
    #[inline]
    fn maps_to_itself(&self, u: u32) -> bool {
        u.checked_sub(T2S_FIRST)
            .and_then(|i| self.table.get(i as usize))
            .is_none_or(|&m| m as u32 == u)
    }

    #[inline]
    fn map(&self, c: char) -> char {
        let u = c as u32;
        if (T2S_FIRST..=T2S_LAST).contains(&u) {
            self.table[(u - T2S_FIRST) as usize]
        } else {
            c
        }
    }
}

/// Sparse map from offsets in a normalised copy back to the original.
#[derive(Debug, Default, Clone)]
pub(crate) struct OffsetMap {
    /// Breakpoints (normalised offset, original offset), sorted by the first.
    /// From a breakpoint up to the next, offsets advance in step.
    points: Vec<(u32, u32)>,
    /// Where the last lookup ended in `points`: the scanner looks up the
    /// matches of a text in about text order, so the next one is usually
    /// a step or two away (a binary search per match was a twentieth of a
    /// scan with a large keyword list). Any value is only a starting guess.
    near: std::cell::Cell<usize>,
}

impl OffsetMap {
    fn note(&mut self, norm: usize, orig: usize) {
        let p = (norm as u32, orig as u32);
        match self.points.last_mut() {
            Some(last) if last.0 == p.0 => *last = p,
            Some(last) if last.1.wrapping_sub(last.0) == p.1.wrapping_sub(p.0) => {}
            _ => self.points.push(p),
        }
    }

    /// Original offset of the character that starts at `norm`.
    pub(crate) fn start(&self, norm: usize) -> usize {
        let n = norm as u32;
        let i = self.breakpoints_up_to(n);
        if i == 0 {
            norm
        } else {
            let (a, b) = self.points[i - 1];
            (b + (n - a)) as usize
        }
    }

    /// How many breakpoints lie at or before `n`: a few steps from the last
    /// lookup's answer, or a binary search when it is farther.
    fn breakpoints_up_to(&self, n: u32) -> usize {
        let points = &self.points;
        let mut i = self.near.get().min(points.len());
        for _ in 0..8 {
            if i < points.len() && points[i].0 <= n {
                i += 1;
            } else if i > 0 && points[i - 1].0 > n {
                i -= 1;
            } else {
                self.near.set(i);
                return i;
            }
        }
        let i = points.partition_point(|p| p.0 <= n);
        self.near.set(i);
        i
    }
}

/// A normalised copy of a text with its map back to the original.
#[derive(Debug, Default)]
pub(crate) struct View {
    pub(crate) text: String,
    pub(crate) map: OffsetMap,
}

impl View {
    /// Maps a normalised span back to the original span. The end is the end
    /// of the original character that produced the last normalised one.
    pub(crate) fn original_span(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        let o_start = self.map.start(start);
        if end <= start {
            return (o_start, o_start);
        }
        let mut last = end - 1;
        while !self.text.is_char_boundary(last) {
            last -= 1;
        }
        let o_last = self.map.start(last);
        let len = original[o_last..].chars().next().map_or(0, char::len_utf8);
        (o_start, o_last + len)
    }
}

/// The two normalised views the scanner uses: `stripped` (noise removed; the
/// keyword automaton runs on it) and `full` (noise kept; patterns run on it,
/// so that separate numbers are never glued together).
#[derive(Default)]
pub(crate) struct Views {
    pub(crate) stripped: View,
    pub(crate) full: Option<View>,
}

/// [`normalise_into`] fresh buffers.
#[cfg(test)]
pub(crate) fn normalise(text: &str, t2s: bool, want_full: bool) -> Views {
    normalise_into(text, t2s, want_full, Views::default())
}

/// Builds both views in one pass, into the buffers of views no longer
/// needed (`reuse`), so that a thread scanning piece after piece writes
/// into memory it already has: fresh memory costs a page fault per 4 KiB.
/// Runs of characters that normalisation leaves alone (almost all
/// ideographs) are copied as slices.
pub(crate) fn normalise_into(text: &str, t2s: bool, want_full: bool, reuse: Views) -> Views {
    let table = if t2s { Some(T2s::get()) } else { None };
    let bytes = text.as_bytes();
    let Views { mut stripped, full } = reuse;
    let mut full = full.unwrap_or_default();
    for view in [&mut stripped, &mut full] {
        view.text.clear();
        view.map.points.clear();
    }
    stripped.text.reserve(text.len());
    if want_full {
        full.text.reserve(text.len());
    }
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Fast path: bytes that are their own normalised form and not noise.
        if b < 0x80 {
            if !(b.is_ascii_uppercase() || ASCII_NOISE[b as usize]) {
                i += 1;
                continue;
            }
        } else if (0xE4..=0xE9).contains(&b) {
            // CJK Unified Ideographs U+4E00..U+9FFF: three bytes, untouched
            // unless the traditional → simplified table maps them.
            match table {
                None => {
                    i += 3;
                    continue;
                }
                Some(t) if i + 2 < bytes.len() => {
                    let u = (u32::from(b & 0x0F) << 12)
                        | (u32::from(bytes[i + 1] & 0x3F) << 6)
                        | u32::from(bytes[i + 2] & 0x3F);
                    if t.maps_to_itself(u) {
                        i += 3;
                        continue;
                    }
                }
                Some(_) => {}
            }
        }
        let (ch, fold) = match quick_fold(bytes, i) {
            Some(quick) => quick,
            None => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                (ch, fold_char(ch, table))
            }
        };
        let len = ch.len_utf8();
        if fold
            == (Fold::Char {
                c: ch,
                noise: false,
            })
        {
            i += len;
            continue;
        }
        // Flush the untouched run, then write this character by hand.
        let run = &text[run_start..i];
        stripped.text.push_str(run);
        if want_full {
            full.text.push_str(run);
        }
        match fold {
            Fold::Drop => {}
            Fold::Char { c, noise } => {
                if want_full {
                    full.text.push(c);
                }
                if !noise {
                    stripped.text.push(c);
                }
            }
            Fold::Many(s) => {
                // Every character after the first also maps back to the
                // start of the original character (`i`).
                for part in s.chars() {
                    if let Fold::Char { c, noise } = fold_plain(part, table) {
                        if want_full {
                            full.text.push(c);
                            full.map.note(full.text.len(), i);
                        }
                        if !noise {
                            stripped.text.push(c);
                            stripped.map.note(stripped.text.len(), i);
                        }
                    }
                }
            }
        }
        i += len;
        run_start = i;
        stripped.map.note(stripped.text.len(), i);
        if want_full {
            full.map.note(full.text.len(), i);
        }
    }
    let run = &text[run_start..];
    stripped.text.push_str(run);
    if want_full {
        full.text.push_str(run);
    }
    Views {
        stripped,
        full: want_full.then_some(full),
    }
}

/// [`fold_char`] of the character at `bytes[i]` without the general
/// lookups, for the characters Chinese text is full of: ASCII (line breaks,
/// spaces), full-width ASCII variants (`，；：（）`) and CJK punctuation:
/// three quarters of a million of them in the 19 MB benchmark corpus.
/// `None` for any other character. Inlined: called as a function it was a
/// fifth of normalising (its result went through memory).
#[inline(always)]
fn quick_fold(bytes: &[u8], i: usize) -> Option<(char, Fold)> {
    let ascii = |a: u8| Fold::Char {
        c: char::from(a.to_ascii_lowercase()),
        noise: ASCII_NOISE[usize::from(a)],
    };
    match bytes[i..] {
        [b, ..] if b < 0x80 => Some((char::from(b), ascii(b))),
        // U+FF01..=U+FF5E: EF BC 81..BF and EF BD 80..9E.
        [0xEF, b1 @ (0xBC | 0xBD), b2, ..] => {
            let u = 0xF000 | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            if !(0xFF01..=0xFF5E).contains(&u) {
                return None;
            }
            Some((char::from_u32(u)?, ascii((u - 0xFEE0) as u8)))
        }
        // CJK punctuation U+3001..=U+303F (`、。《》「」`: a quarter of a
        // million in the corpus) folds to itself and is not noise, but for
        // the four characters NFKC maps (〶 〸 〹 〺).
        [0xE3, 0x80, b2 @ 0x81..=0xBF, ..] => {
            let u = 0x3000 | u32::from(b2 & 0x3F);
            if u == 0x3036 || (0x3038..=0x303A).contains(&u) {
                return None;
            }
            let c = char::from_u32(u)?;
            Some((c, Fold::Char { c, noise: false }))
        }
        _ => None,
    }
}

const ASCII_NOISE: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = matches!(
            b as u8,
            b' ' | b'\t'
                | b'\n'
                | b'\r'
                | 0x0b
                | 0x0c
                | b'*'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
                | b'|'
                | b'/'
                | b'\\'
                | b'+'
                | b'='
                | b'#'
                | b'^'
                | b'`'
                | b'\''
                | b'"'
        );
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    #[test]
    fn unified_ideographs_fold_plainly() {
        let t2s = Some(T2s::get());
        for c in ('\u{4E00}'..='\u{9FFF}').chain(['\u{3400}', '\u{F900}', 'Ａ', '丽']) {
            for table in [None, t2s] {
                if let Some(folded) = fold_ideograph(c, table) {
                    let plain = Fold::Char {
                        c: folded,
                        noise: false,
                    };
                    assert_eq!(plain, fold_char(c, table), "{c:?}");
                }
            }
        }
        assert_eq!(
            fold_ideograph('\u{F900}', None),
            None,
            "a compatibility ideograph"
        );
    }

    #[test]
    fn quick_fold_is_fold_char() {
        let t2s = Some(T2s::get());
        let chars = (0u32..0x80)
            .chain(0xFF00..=0xFF60)
            .chain(0x3000..=0x3040)
            .filter_map(char::from_u32);
        for c in chars {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            if let Some((ch, fold)) = quick_fold(bytes, 0) {
                assert_eq!(ch, c);
                assert_eq!(fold, fold_char(c, None), "{c:?}");
                assert_eq!(fold, fold_char(c, t2s), "{c:?} with t2s");
            } else {
                let exceptions = ['\u{3000}', '〶', '〸', '〹', '〺', '\u{3040}'];
                assert!(
                    !c.is_ascii() && !('\u{FF01}'..='\u{FF5E}').contains(&c),
                    "{c:?}"
                );
                assert!(
                    !('\u{3000}'..='\u{3040}').contains(&c) || exceptions.contains(&c),
                    "{c:?}"
                );
            }
        }
    }

    use super::*;

    fn check_views(text: &str) {
        let v = normalise(text, false, true);
        let full = v.full.unwrap();
        // Every character of each view maps back to a character boundary of
        // the original, in order.
        for view in [&v.stripped, &full] {
            let mut prev = 0;
            for (n, _) in view.text.char_indices() {
                let o = view.map.start(n);
                assert!(text.is_char_boundary(o), "{text:?}: {n} -> {o}");
                assert!(o >= prev);
                prev = o;
            }
        }
    }

    #[test]
    fn folds_width_case_and_zero_width() {
        let v = normalise("ＡＢＣ１２３\u{200B}机\u{3000}密Xy", false, true);
        assert_eq!(v.full.unwrap().text, "abc123机 密xy");
        assert_eq!(v.stripped.text, "abc123机密xy");
    }

    #[test]
    fn maps_spans_back_to_the_original() {
        let text = "前文，机 密★１年";
        let v = normalise(text, false, true);
        let s = &v.stripped;
        let start = s.text.find("机密").unwrap();
        let (a, b) = s.original_span(text, start, start + "机密".len());
        assert_eq!(&text[a..b], "机 密");
        let full = v.full.unwrap();
        let start = full.text.find("1年").unwrap();
        let (a, b) = full.original_span(text, start, start + "1年".len());
        assert_eq!(&text[a..b], "１年");
        check_views(text);
        check_views("a\u{200B}\u{200B}b  ＣＤ，，");
    }

    #[test]
    fn traditional_to_simplified() {
        assert_eq!(fold_keyword("機密文件", true, true), "机密文件");
        let v = normalise("絕密★", true, false);
        assert_eq!(v.stripped.text, "绝密★");
    }

    #[test]
    fn look_alike_compatibility_characters_fold_like_nfkc() {
        assert_eq!(nfkc('\u{2F00}'), Some("一")); // KANGXI RADICAL ONE
        assert_eq!(nfkc('\u{F9E4}'), Some("理")); // CJK COMPATIBILITY IDEOGRAPH-F9E4
        assert_eq!(nfkc('\u{2F8A6}'), Some("\u{6148}"));
        assert_eq!(nfkc('\u{2E9F}'), Some("母"));
        assert_eq!(nfkc('①'), Some("1"));
        assert_eq!(nfkc('⑽'), Some("(10)"));
        assert_eq!(nfkc('⒈'), Some("1."));
        assert_eq!(nfkc('㈠'), Some("(一)"));
        assert_eq!(nfkc('㊙'), Some("秘"));
        assert_eq!(nfkc('㎏'), Some("kg"));
        // Ordinary CJK, CJK punctuation and the unified ideographs inside the
        // compatibility block stay as they are.
        for c in [
            '一', '理', '\u{FA0E}', '…', '。', '〔', '★', 'Ａ', 'é', '\u{3400}',
        ] {
            assert_eq!(nfkc(c), None, "{c}");
        }
        assert_eq!(fold_keyword("⼀般\u{F9E4}由", true, false), "一般理由");
        assert_eq!(fold_keyword("Ⓐ⑴⒈", false, false), "a(1)1.");
        assert_eq!(fold_keyword("Ⓐ⑴⒈", true, false), "a(1)1");
        assert!(matches_with_noise("⼀ 般", "一般", 3, false));
        assert!(!matches_with_noise("㈠般", "一般", 3, false));
    }

    #[test]
    fn expansions_map_back_to_the_whole_original_character() {
        let text = "第⑴条：\u{2F00}般\u{F9E4}由⒈";
        let v = normalise(text, false, true);
        let full = v.full.as_ref().unwrap();
        assert_eq!(full.text, "第(1)条:一般理由1.");
        assert_eq!(v.stripped.text, "第(1)条:一般理由1");
        let at = full.text.find('1').unwrap();
        let (a, b) = full.original_span(text, at, at + 1);
        assert_eq!(&text[a..b], "⑴");
        let at = full.text.find("(1)条").unwrap();
        let (a, b) = full.original_span(text, at, at + "(1)条".len());
        assert_eq!(&text[a..b], "⑴条");
        let at = v.stripped.text.find("一般理由").unwrap();
        let (a, b) = v.stripped.original_span(text, at, at + "一般理由".len());
        assert_eq!(&text[a..b], "\u{2F00}般\u{F9E4}由");
        check_views(text);
    }

    #[test]
    fn keyword_rules_match_look_alikes_and_report_the_original() {
        let scanner = crate::Scanner::from_str(
            "t.toml",
            r#"
[[rule]]
id = "k"
title = "t"
category = "internal"
severity = "review"
basis = "b"
keywords = ["一般事项", "管理办法", "秘密"]
noise = true
tests.hit = ["一般事项"]
tests.miss = ["公开"]
"#,
        )
        .unwrap();
        let text = "关于\u{2F00}般事项的管\u{F9E4}办法，㊙密件";
        let found: Vec<String> = scanner
            .scan(text)
            .findings
            .into_iter()
            .map(|f| {
                assert_eq!(&text[f.span.start..f.span.end], f.matched);
                f.matched.to_string()
            })
            .collect();
        assert_eq!(found, ["\u{2F00}般事项", "管\u{F9E4}办法", "㊙密"]);
    }

    #[test]
    fn noise_bounds() {
        assert!(matches_with_noise("机 密", "机密", 3, false));
        assert!(matches_with_noise("机-*-密", "机密", 3, false));
        assert!(!matches_with_noise("机    密", "机密", 3, false));
        assert!(!matches_with_noise("机。密", "机密", 3, false));
        assert!(matches_with_noise("機 密", "机密", 3, true));
        assert!(!matches_with_noise("機密", "机密", 3, false));
    }
}

#[cfg(test)]
mod fold_properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces mixing look-alikes (single and multi-character NFKC forms) with
    /// the characters they stand for, noise, full-width and dropped ones.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "一",
            "\u{2F00}",
            "般",
            "理",
            "\u{F9E4}",
            "由",
            "①",
            "1",
            "⑴",
            "⒈",
            "㈠",
            "(",
            ")",
            "㊙",
            "密",
            "㎏",
            "Ⓐ",
            "\u{2F8A6}",
            "\u{2E9F}",
            " ",
            "-",
            "·",
            "。",
            "Ａ",
            "\u{200B}",
            "\u{3000}",
            "機",
            "𠀀",
            "\n",
            "…",
            "\u{FA0E}",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn lookups_in_any_order_find_the_breakpoint(
            pieces in prop::collection::vec(piece(), 0..60),
            order in prop::collection::vec(any::<prop::sample::Index>(), 0..80),
        ) {
            let text: String = pieces.concat();
            let view = normalise(&text, false, false).stripped;
            for at in order {
                let n = at.index(view.text.len() + 1) as u32;
                let want = view.map.points.partition_point(|p| p.0 <= n);
                prop_assert_eq!(view.map.breakpoints_up_to(n), want);
            }
        }

        #[test]
        fn views_are_the_per_character_folds_and_map_back_exactly(
            pieces in prop::collection::vec(piece(), 0..40),
            t2s in any::<bool>(),
        ) {
            let text: String = pieces.concat();
            let table = if t2s { Some(T2s::get()) } else { None };
            let views = normalise(&text, t2s, true);
            let full = views.full.as_ref().unwrap();
            prop_assert_eq!(&full.text, &fold_keyword(&text, false, t2s));
            prop_assert_eq!(&views.stripped.text, &fold_keyword(&text, true, t2s));
            for view in [&views.stripped, full] {
                let mut prev = 0;
                for (n, c) in view.text.char_indices() {
                    let o = view.map.start(n);
                    prop_assert!(text.is_char_boundary(o) && o >= prev);
                    prev = o;
                    // The original character there folds to (among others)
                    // this normalised one.
                    let orig = text[o..].chars().next().unwrap();
                    let mut folded = Vec::new();
                    each_folded(orig, table, |f, _| folded.push(f));
                    prop_assert!(folded.contains(&c), "{:?} at {} from {:?}", c, n, orig);
                    // A span of one normalised character is whole original ones.
                    let (a, b) = view.original_span(&text, n, n + c.len_utf8());
                    let mut buf = [0; 4];
                    let orig_str: &str = orig.encode_utf8(&mut buf);
                    prop_assert_eq!((a, &text[a..b]), (o, orig_str));
                }
            }
        }

        #[test]
        fn planted_look_alike_keywords_are_found_at_their_original_place(
            pieces in prop::collection::vec(piece(), 0..20),
            spelling in prop::sample::select(vec!["一般理由", "\u{2F00}般理由", "一般\u{F9E4}由", "\u{2F00}般\u{F9E4}由", "\u{2F00} 般-\u{F9E4}由"]),
        ) {
            static SCANNER: std::sync::OnceLock<crate::Scanner> = std::sync::OnceLock::new();
            let scanner = SCANNER.get_or_init(|| {
                crate::Scanner::from_str(
                    "t.toml",
                    "[[rule]]\nid = \"k\"\ntitle = \"t\"\ncategory = \"internal\"\nseverity = \"review\"\nbasis = \"b\"\nkeywords = [\"一般理由\"]\nnoise = true\ntests.hit = [\"一般理由\"]\ntests.miss = [\"公开\"]\n",
                )
                .unwrap()
            });
            let prefix: String = pieces.concat();
            let text = format!("{prefix}。{spelling}。{prefix}");
            let at = prefix.len() + "。".len();
            let findings = scanner.scan(&text).findings;
            for f in &findings {
                prop_assert_eq!(&text[f.span.start..f.span.end], f.matched.as_str());
            }
            prop_assert!(
                findings.iter().any(|f| f.span.start == at && f.span.end == at + spelling.len()),
                "{:?} in {:?}: {:?}", spelling, text, findings.iter().map(|f| f.span).collect::<Vec<_>>()
            );
        }
    }
}
