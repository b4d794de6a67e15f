//! A bounded XML event walker for the parts of docx and odt files.
//!
//! Hostile XML is refused rather than survived: a `<!DOCTYPE>` (which is
//! where "billion laughs" entity definitions live, and which no office
//! format uses) is an error, an entity other than the five predefined ones
//! and character references is an error (never expanded), and nesting
//! deeper than [`Limits::max_xml_depth`] is an error.

use crate::{ExtractError, Limits};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::borrow::Cow;

/// What the walker reports. Empty elements arrive as `Start` then `End`.
pub(crate) enum Ev<'a, 'b> {
    Start(&'b BytesStart<'a>),
    End(&'b [u8]),
    Text(&'b str),
}

/// The local name (without namespace prefix) of an element.
pub(crate) fn local(e: &BytesStart<'_>) -> Vec<u8> {
    e.local_name().as_ref().as_bytes().to_vec()
}

/// The value of the attribute whose local name is `name`, unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| a.key.local_name().as_ref().as_bytes() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(Cow::into_owned)
        })
}

/// Decodes an XML part to text: UTF-8 (with or without BOM) or UTF-16
/// with BOM; anything else is malformed.
fn decode<'a>(
    bytes: &'a [u8],
    format: &'static str,
    part: &str,
) -> Result<Cow<'a, str>, ExtractError> {
    let malformed = |m: String| ExtractError::Malformed { format, message: m };
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|e| malformed(format!("{part}: invalid UTF-8: {e}")));
    }
    for (bom, enc) in [
        ([0xFF, 0xFE], encoding_rs::UTF_16LE),
        ([0xFE, 0xFF], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(&bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or_else(|| malformed(format!("{part}: invalid UTF-16")));
        }
    }
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|e| malformed(format!("{part}: invalid UTF-8: {e}")))
}

/// Walks an XML part, calling `f` for every element start, end and piece of
/// text (entity references resolved).
pub(crate) fn walk<F>(
    bytes: &[u8],
    format: &'static str,
    part: &str,
    limits: &Limits,
    mut f: F,
) -> Result<(), ExtractError>
where
    F: FnMut(Ev<'_, '_>) -> Result<(), ExtractError>,
{
    let text = decode(bytes, format, part)?;
    let malformed = |m: String| ExtractError::Malformed {
        format,
        message: format!("{part}: {m}"),
    };
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    let mut depth = 0usize;
    let mut buf = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("{e} at byte {}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > limits.max_xml_depth {
                    return Err(malformed(format!(
                        "elements nested deeper than {} levels",
                        limits.max_xml_depth
                    )));
                }
                f(Ev::Start(&e))?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                f(Ev::End(e.local_name().as_ref().as_bytes()))?;
            }
            Event::Text(t) => f(Ev::Text(&t.xml10_content()))?,
            Event::CData(t) => {
                f(Ev::Text(&t.into_inner()))?;
            }
            Event::GeneralRef(r) => {
                buf.clear();
                if let Some(c) = r.resolve_char_ref().map_err(|e| malformed(e.to_string()))? {
                    buf.push(c);
                } else {
                    let name = r.xml10_content();
                    match resolve_predefined_entity(&name) {
                        Some(s) => buf.push_str(s),
                        None => {
                            return Err(malformed(format!(
                                "undefined entity &{name}; (entities are never expanded)"
                            )))
                        }
                    }
                }
                f(Ev::Text(&buf))?;
            }
            Event::DocType(_) => {
                return Err(malformed(
                    "a DOCTYPE declaration, which office documents never contain (possible entity-expansion attack)".into(),
                ))
            }
            Event::Empty(e) => {
                // Not produced with `expand_empty_elements`; handled anyway.
                f(Ev::Start(&e))?;
                f(Ev::End(e.local_name().as_ref().as_bytes()))?;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if depth != 0 {
        return Err(malformed("truncated: elements left open at the end".into()));
    }
    Ok(())
}
