//! PDF soft line breaks. Text extracted from a PDF breaks lines wherever the
//! page did, also inside a sentence: an address or a diagnosis may start on
//! one line and end on the next. The scanner matches a second time on a
//! copy with those breaks removed and maps every span back, so a finding
//! across a break is located exactly in the original (its match then holds
//! the line break).
//!
//! A break is *soft* when the line before it ends inside a sentence (not
//! with 。！？；, not blank) and the next line does not start a list item or
//! heading (一、 （一） 1. 第三条 • …). This lives here rather than in
//! `normalize` because it changes line structure, which only the scanner's
//! location step may know about.

use regex::Regex;
use std::sync::OnceLock;

/// A text with its soft breaks removed, and the way back.
pub(crate) struct Joined {
    pub(crate) text: String,
    /// (offset in `text`, offset in the original) at the start of each
    /// piece copied unchanged.
    pieces: Vec<(usize, usize)>,
}

fn list_start() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^[ \t\u{3000}]*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十0-9]+[）)]|[0-9]+[.、．)）]|第[一二三四五六七八九十百零0-9]+[条章节款]|[•●○■□◆▪·\-—])",
        )
        .expect("valid regex")
    })
}

fn ends_sentence(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '；' | '!' | '?' | ';' | '…' | '」' | '』' | '”'
    )
}

/// Removes the soft breaks of `text`; `None` when it has none.
pub(crate) fn join(text: &str) -> Option<Joined> {
    if !text.contains('\n') {
        return None;
    }
    let mut removed = Vec::new();
    let bytes = text.as_bytes();
    for nl in memchr::memchr_iter(b'\n', bytes) {
        let line_start = memchr::memrchr(b'\n', &bytes[..nl]).map_or(0, |i| i + 1);
        let before = text[line_start..nl].trim_end_matches([' ', '\r', '\u{3000}']);
        let Some(last) = before.chars().last() else {
            continue;
        };
        if ends_sentence(last) {
            continue;
        }
        let next_end = memchr::memchr(b'\n', &bytes[nl + 1..]).map_or(text.len(), |i| nl + 1 + i);
        let next = &text[nl + 1..next_end];
        if next.trim().is_empty() || list_start().is_match(next) {
            continue;
        }
        let from = line_start + before.len();
        let to = nl + 1 + (next.len() - next.trim_start_matches([' ', '\u{3000}']).len());
        // Between the groups of a grouped number (`3100⏎2X` after `4912 `)
        // the break stands for a space; inside an ungrouped number or a
        // Chinese sentence, for nothing.
        let ascii = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let group = before.rsplit(' ').next().unwrap_or("");
        let spaced = ascii(before.chars().last())
            && ascii(text[to..].chars().next())
            && group.len() < before.len()
            && group.len() <= 6
            && group.bytes().all(|b| b.is_ascii_alphanumeric());
        removed.push((from, to, spaced.then_some(nl)));
    }
    if removed.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut pieces = Vec::with_capacity(removed.len() + 1);
    let mut at = 0;
    for &(from, to, space) in &removed {
        pieces.push((out.len(), at));
        out.push_str(&text[at..from]);
        if let Some(nl) = space {
            // The space maps onto the line feed it replaces.
            pieces.push((out.len(), nl));
            out.push(' ');
        }
        at = to;
    }
    pieces.push((out.len(), at));
    out.push_str(&text[at..]);
    Some(Joined { text: out, pieces })
}

impl Joined {
    /// The original span of `start..end` of the joined text.
    pub(crate) fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.pieces.partition_point(|p| p.0 <= start) - 1;
        let e = self.pieces.partition_point(|p| p.0 < end).max(1) - 1;
        (
            self.pieces[s].1 + (start - self.pieces[s].0),
            self.pieces[e].1 + (end - self.pieces[e].0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_inside_sentences_only() {
        let text = "住址：和平村五\n组18号。\n一、基本情况\n（二）患者";
        let j = join(text).unwrap();
        assert_eq!(j.text, "住址：和平村五组18号。\n一、基本情况\n（二）患者");
        let at = j.text.find("五组").unwrap();
        let (s, e) = j.original(at, at + "五组".len());
        assert_eq!(&text[s..e], "五\n组");
        assert!(join("第一句。\n第二句。").is_none());
        assert!(join("无换行").is_none());
    }

    #[test]
    fn a_break_between_digits_is_a_space() {
        let text = "身份证号1101 0519 4912 3100\n2X，住址";
        let j = join(text).unwrap();
        assert_eq!(j.text, "身份证号1101 0519 4912 3100 2X，住址");
        let at = j.text.find("1101").unwrap();
        let end = j.text.find("，").unwrap();
        let (s, e) = j.original(at, end);
        assert_eq!(&text[s..e], "1101 0519 4912 3100\n2X");
    }

    #[test]
    fn indentation_of_the_next_line_is_part_of_the_break() {
        let text = "患有尿毒\n   症，";
        let j = join(text).unwrap();
        assert_eq!(j.text, "患有尿毒症，");
        let at = j.text.find("尿毒症").unwrap();
        let (s, e) = j.original(at, at + "尿毒症".len());
        assert_eq!(&text[s..e], "尿毒\n   症");
    }
}
