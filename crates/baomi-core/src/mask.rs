//! Masking conventions for de-identified publication (去标识化): how a
//! finding's text is rewritten in a publishable copy (`baomi redact`).
//!
//! A rule may say how its matches are masked (`mask = "keep:3-4"` in the
//! rule file); personal-information rules without one are masked in full.
//! Masks are pure string functions here so that every front end (CLI,
//! web, bindings) masks the same way, and so that the scanner's own
//! "under-masked" rules (`personal.id-card-undermasked`,
//! `personal.mobile-undermasked`) can be checked against them in tests.

use std::fmt;

/// The character that replaces a masked ASCII character (`138****1234`);
/// ideographs and full-width characters become [`MASK_WIDE`] so that a
/// masked table keeps its layout.
pub const MASK_NARROW: char = '*';
/// The mask of a wide (CJK or full-width) character.
pub const MASK_WIDE: char = '＊';

/// How one rule's matches are masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Keep the first `head` and last `tail` letters and digits, mask the
    /// others; separators (spaces, `-`) stay where they are:
    /// `keep:3-4` → `138****5678`, `keep:0-4` → `****************0128`.
    Keep { head: usize, tail: usize },
    /// Mask every letter, digit and ideograph; punctuation stays.
    Full,
    /// An address: keep it down to the street or township (街道, 镇, 乡)
    /// and mask what follows (村, 组, 号, 栋, 单元, 室); one without a
    /// street or township part is masked in full.
    Address,
}

impl Mask {
    /// Parses the rule-file form: `keep:H-T`, `full` or `address`.
    ///
    /// ```
    /// use baomi_core::mask::Mask;
    /// assert_eq!(Mask::parse("keep:3-4"), Ok(Mask::Keep { head: 3, tail: 4 }));
    /// assert!(Mask::parse("keep:3").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Mask, String> {
        let bad = || {
            format!(
                "unknown mask {text:?}; use \"keep:HEAD-TAIL\" (e.g. \"keep:3-4\"), \"full\" or \"address\""
            )
        };
        match text.trim() {
            "full" => Ok(Mask::Full),
            "address" => Ok(Mask::Address),
            t => {
                let spec = t.strip_prefix("keep:").ok_or_else(bad)?;
                let (h, tl) = spec.split_once('-').ok_or_else(bad)?;
                let head = h.trim().parse().map_err(|_| bad())?;
                let tail = tl.trim().parse().map_err(|_| bad())?;
                Ok(Mask::Keep { head, tail })
            }
        }
    }

    /// Masks one matched text.
    ///
    /// ```
    /// use baomi_core::mask::Mask;
    /// assert_eq!(Mask::Keep { head: 3, tail: 4 }.apply("13812345678"), "138****5678");
    /// assert_eq!(Mask::Keep { head: 4, tail: 4 }.apply("11010519491231002X"), "1101**********002X");
    /// assert_eq!(Mask::Address.apply("新华街道团结社区45号"), "新华街道＊＊＊＊**＊");
    /// assert_eq!(Mask::Full.apply("患有尿毒症，"), "＊＊＊＊＊，");
    /// ```
    pub fn apply(self, text: &str) -> String {
        match self {
            Mask::Keep { head, tail } => {
                // A country code is not part of the number it precedes.
                let prefix = ["+86", "0086", "＋８６", "００８６"]
                    .iter()
                    .find(|p| text.starts_with(**p))
                    .map_or(0, |p| p.len());
                let (kept, text) = text.split_at(prefix);
                let total = text.chars().filter(|c| is_symbol(*c)).count();
                let mut i = 0;
                let masked: String = text
                    .chars()
                    .map(|c| {
                        if !is_symbol(c) {
                            return c;
                        }
                        i += 1;
                        if i <= head || i > total.saturating_sub(tail) {
                            c
                        } else {
                            mask_of(c)
                        }
                    })
                    .collect();
                format!("{kept}{masked}")
            }
            Mask::Full => full(text),
            Mask::Address => {
                let cut = ["街道", "镇", "乡"]
                    .iter()
                    .filter_map(|k| text.rfind(k).map(|at| at + k.len()))
                    .max()
                    .unwrap_or(0);
                format!("{}{}", &text[..cut], full(&text[cut..]))
            }
        }
    }
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mask::Keep { head, tail } => write!(f, "keep:{head}-{tail}"),
            Mask::Full => f.write_str("full"),
            Mask::Address => f.write_str("address"),
        }
    }
}

/// Letters, digits and ideographs: what a mask hides (punctuation,
/// spaces and separators stay, so the shape of the text survives).
fn is_symbol(c: char) -> bool {
    c.is_alphanumeric() && c != MASK_NARROW && c != MASK_WIDE
}

fn mask_of(c: char) -> char {
    if c.is_ascii() {
        MASK_NARROW
    } else {
        MASK_WIDE
    }
}

fn full(text: &str) -> String {
    text.chars()
        .map(|c| if is_symbol(c) { mask_of(c) } else { c })
        .collect()
}

/// A masked preview of personal data for a report or the ledger (the
/// "before" of a change): its first and last character only, so that the
/// record of a redaction does not itself disclose what was redacted.
///
/// ```
/// assert_eq!(baomi_core::mask::preview("11010519491231002X"), "1****************X");
/// ```
pub fn preview(text: &str) -> String {
    Mask::Keep { head: 1, tail: 1 }.apply(text)
}

/// The replacements that mask `spans` (byte ranges of `text`, each with
/// its rule's mask), in text order. Overlapping spans (two rules matching
/// the same number) are merged and masked in full, so nothing of either
/// survives; ranges are first widened to character boundaries.
///
/// ```
/// use baomi_core::mask::{mask_spans, Mask};
/// let text = "电话13812345678";
/// let edits = mask_spans(text, vec![(6..17, Mask::Keep { head: 3, tail: 4 })]);
/// assert_eq!(edits, vec![(6..17, "138****5678".to_string())]);
/// ```
pub fn mask_spans(
    text: &str,
    mut spans: Vec<(std::ops::Range<usize>, Mask)>,
) -> Vec<(std::ops::Range<usize>, String)> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    spans.sort_by_key(|(r, _)| (r.start, r.end));
    let mut merged: Vec<(std::ops::Range<usize>, Mask)> = Vec::new();
    for (r, m) in spans {
        let r = floor(r.start)..ceil(r.end);
        if r.is_empty() {
            continue;
        }
        match merged.last_mut() {
            Some((last, lm)) if r.start < last.end => {
                if !(r == *last && m == *lm) {
                    *lm = Mask::Full;
                }
                last.end = last.end.max(r.end);
            }
            _ => merged.push((r, m)),
        }
    }
    merged
        .into_iter()
        .map(|(r, m)| {
            let masked = m.apply(&text[r.clone()]);
            (r, masked)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    #[test]
    fn parse_round_trips_and_refuses_nonsense() {
        for m in ["keep:3-4", "keep:0-4", "full", "address"] {
            assert_eq!(Mask::parse(m).unwrap().to_string(), m);
        }
        for bad in ["", "keep", "keep:a-1", "half", "keep:3-"] {
            assert!(Mask::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn separators_and_full_width_digits_keep_their_place() {
        let m = Mask::Keep { head: 3, tail: 4 };
        assert_eq!(m.apply("+86 138-1234-5678"), "+86 138-****-5678");
        assert_eq!(m.apply("１３８１２３４５６７８"), "１３８＊＊＊＊５６７８");
        assert_eq!(Mask::Keep { head: 9, tail: 9 }.apply("123"), "123");
        assert_eq!(Mask::Address.apply("3栋2单元301室"), "*＊*＊＊***＊");
        assert_eq!(
            Mask::Address.apply("城关镇红星村三组25号"),
            "城关镇＊＊＊＊＊**＊"
        );
    }

    /// The shipped masks produce text the shipped rules accept as
    /// de-identified (the proof rescan of `baomi redact` relies on it).
    #[test]
    fn shipped_masks_are_not_flagged_again() {
        let scanner = Scanner::shipped();
        let mask_of = |id: &str| {
            scanner
                .rules()
                .iter()
                .find(|r| &*r.id == id)
                .and_then(|r| r.mask)
                .unwrap_or(Mask::Full)
        };
        let mut checked = 0;
        for rule in scanner.rules() {
            if rule.category != crate::Category::PersonalInfo {
                continue;
            }
            for hit in &rule.hit_examples {
                let pi = |text: &str| -> Vec<crate::Finding> {
                    scanner
                        .scan(text)
                        .findings
                        .into_iter()
                        .filter(|f| f.category == crate::Category::PersonalInfo)
                        .collect()
                };
                let spans = pi(hit)
                    .iter()
                    .map(|f| (f.span.start..f.span.end, mask_of(&f.rule)))
                    .collect();
                let mut text = hit.clone();
                for (r, masked) in mask_spans(hit, spans).into_iter().rev() {
                    text.replace_range(r, &masked);
                }
                let left = pi(&text);
                assert!(left.is_empty(), "{}: {hit} → {text}: {left:?}", rule.id);
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }
}
