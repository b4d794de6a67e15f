//! Title and document number (文号) of a document, from its own text.
//!
//! In the core (not baomi-extract) so that reviewing a text held in memory
//! ([`crate::Scanner::review_text`], used by the C, Python and WebAssembly
//! bindings) gives the same report as `baomi scan` on the same text file.

use regex::Regex;
use std::sync::OnceLock;

/// The part of a document number from its bracketed year on: 〔2016〕36号,
/// [2019]3号 (or look-alike brackets, full-width digits). The issuer before
/// it is found by [`issuer_start`]: a regex that began with the issuer's
/// `[\p{Han}A-Za-z]{1,20}` had no literal to look for and a lazy DFA too
/// large for its cache, and took 5% of the drop-folder daemon's time on
/// small drafts.
fn bracket_part() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[〔\[［(（【]\s*(?:19|20|１９|２０)[0-9０-９]{2}\s*[〕\]］)）】]\s*第?\s*[0-9０-９]{1,6}\s*号")
            .expect("doc number regex")
    })
}

/// Where the issuer abbreviation that ends (but for white space) at byte
/// `at` starts: the furthest of up to 20 ideographs or Latin letters back.
fn issuer_start(text: &str, at: usize) -> Option<usize> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let issuer = RE.get_or_init(|| Regex::new(r"[\p{Han}A-Za-z]+$").expect("issuer regex"));
    let before = text[..at].trim_end();
    let from = before.char_indices().rev().nth(19).map_or(0, |(i, _)| i);
    issuer.find(&before[from..]).map(|m| from + m.start())
}

/// The span of the first document number in `text`: the leftmost, as a
/// single regex `issuer\s*bracket-part` would find it (an issuer never
/// reaches back over an earlier number's year, whose digits end it).
fn first_doc_number(text: &str) -> Option<(usize, usize)> {
    bracket_part()
        .find_iter(text)
        .find_map(|m| issuer_start(text, m.start()).map(|start| (start, m.end())))
}

/// Finds the first document number (文号) in a text.
///
/// ```
/// assert_eq!(baomi_core::meta::find_doc_number("关于…\n财税〔2016〕36号\n各省").as_deref(), Some("财税〔2016〕36号"));
/// assert_eq!(baomi_core::meta::find_doc_number("没有文号"), None);
/// ```
pub fn find_doc_number(text: &str) -> Option<String> {
    // Only the head of a document carries its own number; later ones are
    // citations of other documents.
    let head_end = text.char_indices().nth(3000).map_or(text.len(), |(i, _)| i);
    let head = &text[..head_end];
    first_doc_number(head).map(|(start, end)| head[start..end].split_whitespace().collect())
}

/// Guesses a title: the first Markdown heading, else the first line that is
/// not a marking, a serial number or a document number.
pub fn guess_title(text: &str, markdown: bool) -> Option<String> {
    let lines = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'));
    if markdown {
        if let Some(h) = text.lines().find_map(|l| l.trim_start().strip_prefix("# ")) {
            return Some(clip(h.trim()));
        }
    }
    lines
        .filter(|l| !l.is_empty())
        .take(12)
        .find(|l| {
            let chars = l.chars().count();
            let is_number_or_marking = l.chars().all(|c| c.is_ascii_digit() || c.is_whitespace())
                || l.contains('★')
                || first_doc_number(l).is_some() && chars < 30
                || matches!(*l, "特急" | "加急" | "平急" | "特提");
            chars >= 2 && !is_number_or_marking
        })
        .map(|l| clip(l.trim_start_matches('#').trim()))
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_skip_serials_markings_and_numbers() {
        let text = "000123\n机密★1年\n特急\n昆经开政发〔2016〕12号\n\n关于印发管理办法的通知\n正文";
        assert_eq!(
            guess_title(text, false).as_deref(),
            Some("关于印发管理办法的通知")
        );
        assert_eq!(
            find_doc_number(text).as_deref(),
            Some("昆经开政发〔2016〕12号")
        );
        assert_eq!(guess_title("前言\n# 标题\n", true).as_deref(), Some("标题"));
        assert_eq!(guess_title("  \n\n", false), None);
        // PDFs with CJK CMaps often give full-width digits.
        assert_eq!(
            find_doc_number("国办发〔２０２４〕１２号").as_deref(),
            Some("国办发〔２０２４〕１２号")
        );
    }

    /// What the single regex this replaced found, on the cases where the
    /// issuer is found by hand: its length limit, white space, a bracket
    /// with no issuer, an issuer right after an earlier number.
    #[test]
    fn document_numbers_as_one_regex_finds_them() {
        let one = Regex::new(r"[\p{Han}A-Za-z]{1,20}\s*[〔\[［(（【]\s*(?:19|20|１９|２０)[0-9０-９]{2}\s*[〕\]］)）】]\s*第?\s*[0-9０-９]{1,6}\s*号").unwrap();
        let long = "甲".repeat(25);
        for text in [
            "财税〔2016〕36号",
            "（2016）36号 无发文机关，后有国办发[2019]3号",
            "国办发 〔 2019 〕 第 3 号",
            "12〔2019〕3号",
            "财税〔2016〕36号财税〔2017〕1号",
            "号〔2016〕36号",
            "abc〔2016〕36号",
            "〔2016〕36号",
            &format!("{long}〔2016〕36号"),
            &format!("{long} 〔2016〕36号"),
            "关于转发《国务院办公厅关于印发（2020）5号文件的通知》",
            "昆经开政发［2016］12号",
        ] {
            let expected = one
                .find(text)
                .map(|m| m.as_str().split_whitespace().collect::<String>());
            assert_eq!(find_doc_number(text), expected, "{text}");
        }
    }
}
