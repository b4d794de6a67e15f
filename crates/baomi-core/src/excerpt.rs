//! Text a finding quotes from its segment: the matched text and its
//! context.
//!
//! A scan with a large keyword list reports hundreds of thousands of
//! findings. If each owned two fresh strings, they would cost more memory
//! than the findings themselves, and building them would cost more time
//! than the matching. So the findings of one scan share one copy of the
//! text they quote from, and each holds a range into it. A quote read from
//! JSON owns its text instead. Both serialise as a plain string, so the
//! JSON report is the same either way.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Characters of context shown either side of a match.
pub const CONTEXT_CHARS: usize = 20;

/// A slice of a shared text. It dereferences to `&str`.
///
/// ```
/// use baomi_core::Excerpt;
/// let e = Excerpt::from("机密文件".to_string());
/// assert_eq!(e, "机密文件");
/// assert_eq!(e.chars().count(), 4);
/// ```
#[derive(Clone)]
pub struct Excerpt {
    text: Arc<str>,
    start: u32,
    end: u32,
}

impl Excerpt {
    /// `text[start..end]`, sharing `text`. Falls back to a copy of the slice
    /// when the offsets do not fit in 32 bits (a segment above 4 GiB).
    ///
    /// Panics when `start..end` is not a range of character boundaries of
    /// `text`, as slicing would.
    pub fn new(text: &Arc<str>, start: usize, end: usize) -> Excerpt {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) => {
                assert!(text.is_char_boundary(start) && text.is_char_boundary(end) && s <= e);
                Excerpt {
                    text: Arc::clone(text),
                    start: s,
                    end: e,
                }
            }
            _ => Excerpt::from(text[start..end].to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text[self.start as usize..self.end as usize]
    }
}

impl Deref for Excerpt {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Excerpt {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Excerpt {
    fn from(mut s: String) -> Excerpt {
        // Over 4 GiB in one quote cannot come from a scan; keep what fits
        // rather than fail.
        if s.len() > u32::MAX as usize {
            s.truncate(s.floor_char_boundary(u32::MAX as usize));
        }
        let end = s.len() as u32;
        Excerpt {
            text: s.into(),
            start: 0,
            end,
        }
    }
}

impl From<&str> for Excerpt {
    fn from(s: &str) -> Excerpt {
        Excerpt::from(s.to_string())
    }
}

impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Excerpt {
    fn eq(&self, other: &Excerpt) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Excerpt {}

impl PartialEq<str> for Excerpt {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Excerpt {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Excerpt {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Excerpt> for &str {
    fn eq(&self, other: &Excerpt) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Excerpt> for str {
    fn eq(&self, other: &Excerpt) -> bool {
        self == other.as_str()
    }
}

impl Serialize for Excerpt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Excerpt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Excerpt, D::Error> {
        String::deserialize(d).map(Excerpt::from)
    }
}

/// A match with up to [`CONTEXT_CHARS`] characters either side, shown on
/// one line: a newline is shown as ⏎, a carriage return is dropped, and
/// other control characters become spaces. The shown form is made when it
/// is asked for (`to_string`, `Display`, JSON), so findings that are
/// counted but never printed cost no string at all.
///
/// ```
/// use baomi_core::Context;
/// use std::sync::Arc;
/// let text: Arc<str> = "第一行\r\n第二行有机密内容".into();
/// let start = text.find("机密").unwrap();
/// let c = Context::around(&text, start, start + "机密".len());
/// assert_eq!(c.to_string(), "第一行⏎第二行有机密内容");
/// ```
#[derive(Clone, Eq)]
pub struct Context(Excerpt);

impl Context {
    /// The context of `text[start..end]`.
    pub fn around(text: &Arc<str>, start: usize, end: usize) -> Context {
        Context(Excerpt::new(
            text,
            back_chars(text, start, CONTEXT_CHARS),
            forward_chars(text, end, CONTEXT_CHARS),
        ))
    }

    /// The text as it stands, before the newlines are shown as ⏎.
    pub fn raw(&self) -> &str {
        self.0.as_str()
    }
}

/// The byte offset `n` characters before `from` (or the text's start):
/// where a context window before a match begins. Counted on the bytes
/// (a character starts at every byte that is not a continuation byte), not
/// decoded: two of these per finding, and a large list makes a million.
pub(crate) fn back_chars(text: &str, from: usize, n: usize) -> usize {
    let bytes = text.as_bytes();
    let mut seen = 0;
    let mut i = from;
    while i > 0 && seen < n {
        i -= 1;
        if !is_continuation(bytes[i]) {
            seen += 1;
        }
    }
    i
}

/// The byte offset `n` characters after `from` (or the text's end):
/// where a context window after a match ends (counted as [`back_chars`]).
pub(crate) fn forward_chars(text: &str, from: usize, n: usize) -> usize {
    let mut seen = 0;
    for (k, &b) in text.as_bytes()[from..].iter().enumerate() {
        if !is_continuation(b) {
            if seen == n {
                return from + k;
            }
            seen += 1;
        }
    }
    text.len()
}

/// Whether `b` continues a UTF-8 character: `!text.is_char_boundary(i)`
/// on the byte alone, without its bounds checks (with them, keywords-100k
/// took 2 % longer, 11 interleaved rounds).
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl From<String> for Context {
    /// A context already in its shown form (read from a JSON report):
    /// showing it again changes nothing.
    fn from(s: String) -> Context {
        Context(Excerpt::from(s))
    }
}

impl From<&str> for Context {
    fn from(s: &str) -> Context {
        Context::from(s.to_string())
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copies the runs between special characters as slices: contexts of
        // line-broken text nearly always hold a newline.
        let s = self.raw();
        let mut run = 0;
        for (i, c) in s.char_indices() {
            let shown = match c {
                '\r' => "",
                '\n' => "⏎",
                c if c.is_control() => " ",
                _ => continue,
            };
            f.write_str(&s[run..i])?;
            f.write_str(shown)?;
            run = i + c.len_utf8();
        }
        f.write_str(&s[run..])
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl Context {
    /// Whether the shown form is `s`, compared as it is rendered, without
    /// building it.
    pub fn shows_as(&self, s: &str) -> bool {
        struct Rest<'a>(&'a str);
        impl fmt::Write for Rest<'_> {
            fn write_str(&mut self, part: &str) -> fmt::Result {
                self.0 = self.0.strip_prefix(part).ok_or(fmt::Error)?;
                Ok(())
            }
        }
        let mut rest = Rest(s);
        fmt::write(&mut rest, format_args!("{self}")).is_ok() && rest.0.is_empty()
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.raw() == other.raw() || self.shows_as(&other.to_string())
    }
}

impl PartialEq<str> for Context {
    fn eq(&self, other: &str) -> bool {
        self.shows_as(other)
    }
}

impl PartialEq<&str> for Context {
    fn eq(&self, other: &&str) -> bool {
        self.shows_as(other)
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
        String::deserialize(d).map(Context::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn char_steps_count_characters(text in "[a-z机密\u{10000}é\n]{0,40}", at in 0usize..200, n in 0usize..30) {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let from = bounds[at % bounds.len()];
            let back = text[..from].char_indices().rev().take(n).last().map_or(from, |(i, _)| i);
            let forward = text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i);
            proptest::prop_assert_eq!(back_chars(&text, from, n), back);
            proptest::prop_assert_eq!(forward_chars(&text, from, n), forward);
        }
    }

    fn shown(s: &str) -> String {
        Context::from(s).to_string()
    }

    #[test]
    fn context_shows_newlines_and_blanks_controls() {
        assert_eq!(shown("机密文件"), "机密文件");
        assert_eq!(shown("一\r\n二\n三"), "一⏎二⏎三");
        assert_eq!(shown("a\tb\u{7f}c\u{85}d"), "a b c d");
        assert_eq!(shown("\n"), "⏎");
        assert_eq!(shown(""), "");
        // Showing the shown form again changes nothing, so a context read
        // back from JSON equals the one scanned.
        let raw = "第一行\r\n第二行\t有机密";
        assert_eq!(shown(&shown(raw)), shown(raw));
        assert_eq!(Context::from(raw), Context::from(shown(raw)));
        assert!(Context::from(raw).shows_as("第一行⏎第二行 有机密"));
        assert!(!Context::from(raw).shows_as("第一行⏎第二行 有机"));
        assert!(!Context::from(raw).shows_as("第一行⏎第二行 有机密。"));
    }

    #[test]
    fn context_takes_twenty_characters_either_side_within_the_text() {
        let text: Arc<str> = format!("{}机密{}", "前".repeat(30), "后".repeat(5)).into();
        let start = text.find("机密").unwrap();
        let c = Context::around(&text, start, start + "机密".len());
        assert_eq!(
            c.to_string(),
            format!("{}机密{}", "前".repeat(20), "后".repeat(5))
        );
        let at_start = Context::around(&text, 0, 3);
        assert_eq!(at_start.raw(), "前".repeat(21));
    }

    #[test]
    fn excerpts_share_their_text_and_round_trip_through_json() {
        let text: Arc<str> = "联系人张三，电话13812345678。".into();
        let start = text.find("138").unwrap();
        let e = Excerpt::new(&text, start, start + 11);
        assert_eq!(e, "13812345678");
        assert_eq!(Arc::strong_count(&text), 2);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, "\"13812345678\"");
        let back: Excerpt = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let c = Context::around(&text, start, start + 11);
        let back: Context = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    #[should_panic]
    fn an_excerpt_off_a_character_boundary_is_refused() {
        let text: Arc<str> = "机密".into();
        let _ = Excerpt::new(&text, 1, 3);
    }
}
