//! Title and document number (文号) of a document, from its own text.
//!
//! In the core (not baomi-extract) so that reviewing a text held in memory
//! ([`crate::Scanner::review_text`], used by the C, Python and WebAssembly
//! bindings) gives the same report as `baomi scan` on the same text file.

use regex::Regex;
use std::sync::OnceLock;

fn doc_number_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // Issuer abbreviation, year in 〔〕 (or look-alike brackets), serial, 号:
        // 财税〔2016〕36号, 昆经开政发〔2016〕12号, 国办发[2019]3号.
        Regex::new(r"[\p{Han}A-Za-z]{1,20}\s*[〔\[［(（【]\s*(?:19|20|１９|２０)[0-9０-９]{2}\s*[〕\]］)）】]\s*第?\s*[0-9０-９]{1,6}\s*号")
            .expect("doc number regex")
    })
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
    doc_number_regex()
        .find(&text[..head_end])
        .map(|m| m.as_str().split_whitespace().collect::<String>())
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
                || doc_number_regex().is_match(l) && chars < 30
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
}
