//! Text for people: what every displayed field goes through.
//!
//! Titles, file names, opinions, reasons and signer names come from
//! documents, ledgers and trust files, and any of them may hold characters
//! a reader cannot see or that change what the reader sees: a right-to-left
//! override (U+202E) makes `rtl-` + U+202E + `txt.exe` look like
//! `rtl-exe.txt`, an
//! escape sequence recolours or rewrites a terminal line, a zero-width
//! space splits a marking. [`visible`] replaces each with a visible token,
//! at render time, in the web UI, the printed forms and the CLI alike.

/// Replaces characters a reader cannot see — control characters (C0, DEL,
/// C1), zero-width characters, bidirectional marks, embeddings, overrides
/// and isolates, line and paragraph separators, the BOM, soft hyphens —
/// with a visible token such as `⟨U+202E⟩`. Line breaks become `⏎` and tabs
/// `→`, so one field is always one line; a carriage return is dropped.
///
/// ```
/// use baomi_core::display::visible;
/// assert_eq!(visible("rtl-\u{202e}txt.exe"), "rtl-⟨U+202E⟩txt.exe");
/// assert_eq!(visible("红\u{1b}[31m字"), "红⟨U+001B⟩[31m字");
/// assert_eq!(visible("机\u{200b}密\n"), "机⟨U+200B⟩密⏎");
/// ```
pub fn visible(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push('⏎'),
            '\r' => {}
            '\t' => out.push('→'),
            c if needs_escape(c) => {
                out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `c` is one of the characters [`visible`] replaces.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
            | '\u{061C}'                    // Arabic letter mark
            | '\u{180E}'                    // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width, LRM, RLM
            | '\u{2028}'..='\u{2029}'       // line / paragraph separator
            | '\u{202A}'..='\u{202E}'       // embeddings and overrides
            | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'       // isolates
            | '\u{FEFF}'                    // BOM / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invisible_character_is_shown() {
        assert_eq!(
            visible("机\u{200B}密\n\u{202E}x\u{7}"),
            "机⟨U+200B⟩密⏎⟨U+202E⟩x⟨U+0007⟩"
        );
        assert_eq!(visible("a\r\nb\tc"), "a⏎b→c");
        assert_eq!(visible("\u{85}\u{9b}\u{7f}"), "⟨U+0085⟩⟨U+009B⟩⟨U+007F⟩");
        assert_eq!(
            visible("\u{2066}x\u{2069}\u{2028}\u{feff}\u{ad}\u{61c}"),
            "⟨U+2066⟩x⟨U+2069⟩⟨U+2028⟩⟨U+FEFF⟩⟨U+00AD⟩⟨U+061C⟩"
        );
        // Ordinary text, CJK punctuation and emoji pass untouched.
        let plain = "《关于开展2024年度保密自查的通知》办发〔2024〕7号 ★ — “引号” 😀";
        assert_eq!(visible(plain), plain);
    }
}
