//! The text of XML parts that are not running text — charts, SmartArt,
//! drawings, custom XML, embedded objects — and the final sweep over an
//! archive that makes sure no text-bearing part goes unread without a note.
//!
//! **The coverage rule** (also in the README): `coverage.complete` is true
//! only when every entry of the container that holds text was read as a part
//! baomi knows. After a format's reader has run, [`sweep`] looks at every
//! entry that no reader consumed:
//! - an XML entry without text content (styles, themes, settings, content
//!   types, relationships) is fine: attributes are not text;
//! - an XML entry *with* text is read anyway — its text is scanned as
//!   `hidden` with the entry's name as detail, so a marking in it is still
//!   found — **and** is a coverage gap with a note naming the entry, because
//!   baomi does not know where that text shows (verdict `error` unless
//!   something blocks). Choosing "scan and gap" over "scan only" keeps the
//!   promise of `complete: true`; over "gap only", it still finds what is in
//!   the part;
//! - an SVG image's text is read as `body` (it is shown); other images are
//!   counted in a note (text in images is not scanned), fonts and printer
//!   settings are skipped;
//! - any other binary entry (macros `vbaProject.bin`, ActiveX data, an
//!   unreadable embedded object) is a gap with a note.

use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Segment};
use baomi_core::{Part, SegmentInfo};

/// Lines of text and alternative texts of one XML part.
#[derive(Default)]
pub(crate) struct PartText {
    /// One line per paragraph (`a:p`, `w:p`, `text:p`, `text:h`) and per
    /// other element holding text directly (a chart's `c:v`).
    pub(crate) text: String,
    /// (where, value) of each `descr`/`title` of a `cNvPr`/`docPr` (image
    /// and shape alt text) and `alt` of a VML shape.
    pub(crate) alts: Vec<(String, String)>,
}

/// Elements whose text is not document text: a chart's number format
/// (`General`) and cell references (`c:f`, `'Sheet1'!$B$1`: sheet names
/// are read from the workbook), a drawing's anchor (`xdr:col`, `xdr:rowOff`,
/// …), VML client data (anchors, row numbers, `False`).
const NOT_TEXT: &[&[u8]] = &[
    b"formatCode",
    b"f",
    b"col",
    b"colOff",
    b"row",
    b"rowOff",
    b"ClientData",
];

/// Reads the text of an XML part: text inside a paragraph element is joined
/// (a word split across runs stays one string), other text nodes end their
/// line at their element's end.
pub(crate) fn text_of(
    xml: &[u8],
    format: &'static str,
    name: &str,
    limits: &crate::Limits,
) -> Result<PartText, ExtractError> {
    let mut out = PartText::default();
    let mut line = String::new();
    let mut para = 0usize;
    let mut skip = 0usize;
    let mut shapes = 0u32;
    let flush = |line: &mut String, text: &mut String| {
        let l = line.replace(['\n', '\r'], " ");
        let l = l.trim();
        if !l.is_empty() && text.len() < 64 << 20 {
            text.push_str(l);
            text.push('\n');
        }
        line.clear();
    };
    walk(xml, format, name, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                if skip > 0 || NOT_TEXT.contains(&l.as_slice()) {
                    skip += 1;
                    return Ok(());
                }
                match l.as_slice() {
                    b"p" | b"h" => para += 1,
                    b"tab" if para > 0 => line.push('\t'),
                    b"br" | b"line-break" | b"s" if para > 0 => line.push(' '),
                    b"cNvPr" | b"docPr" | b"shape" | b"imagedata" => {
                        shapes += 1;
                        let what = String::from_utf8_lossy(&l).into_owned();
                        for key in [&b"descr"[..], b"title", b"alt"] {
                            if let Some(v) = attr(e, key).filter(|v| !v.trim().is_empty()) {
                                let key = String::from_utf8_lossy(key);
                                out.alts.push((format!("{what} {shapes} {key}"), v));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ev::End(l) => {
                if skip > 0 {
                    skip -= 1;
                    return Ok(());
                }
                if matches!(l, b"p" | b"h") {
                    para = para.saturating_sub(1);
                    if para == 0 {
                        flush(&mut line, &mut out.text);
                    }
                } else if para == 0 {
                    flush(&mut line, &mut out.text);
                }
            }
            Ev::Text(t) => {
                if skip == 0 && line.len() < 1 << 20 {
                    line.push_str(t);
                }
            }
        }
        Ok(())
    })?;
    flush(&mut line, &mut out.text);
    Ok(out)
}

/// Adds a part's text as a segment of `part` (detail: the entry name and
/// `label`) and its alt texts as `alt-text` segments.
pub(crate) fn push(ex: &mut Extracted, name: &str, part: Part, label: &str, pt: PartText) {
    if !pt.text.trim().is_empty() {
        ex.segments.push(Segment::new(
            SegmentInfo {
                detail: Some(format!("{name}{label}")),
                ..SegmentInfo::new(part)
            },
            pt.text,
        ));
    }
    push_alts(ex, name, pt.alts);
}

pub(crate) fn push_alts(ex: &mut Extracted, name: &str, alts: Vec<(String, String)>) {
    for (what, value) in alts {
        ex.segments.push(Segment::new(
            SegmentInfo {
                detail: Some(format!("{name}: {what}")),
                ..SegmentInfo::new(Part::AltText)
            },
            value.replace(['\r', '\n'], " "),
        ));
    }
}

/// Reads one entry (if present) and adds its text as `part`.
pub(crate) fn read_part(
    archive: &mut Archive<'_>,
    format: &'static str,
    name: &str,
    part: Part,
    label: &str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    if let Some(xml) = archive.read(name)? {
        let pt = text_of(&xml, format, name, archive.limits())?;
        push(ex, name, part, label, pt);
    }
    Ok(())
}

fn extension(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    file.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

const IMAGES: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "emf", "wmf", "emz", "wmz", "wdp", "jxr",
    "ico", "webp", "pict", "pct", "svm",
];

/// Whether an entry is an image (counted, not read).
pub(crate) fn is_image(name: &str) -> bool {
    IMAGES.contains(&extension(name).as_str())
        || name.starts_with("Pictures/")
        || name.starts_with("ObjectReplacements/")
        || name.starts_with("Thumbnails/")
}

/// Entries that hold no document text: fonts, printer settings, the cache
/// LibreOffice keeps of its layout.
fn holds_no_text(name: &str) -> bool {
    let ext = extension(name);
    matches!(ext.as_str(), "ttf" | "otf" | "odttf" | "fntdata" | "eot")
        || name.contains("printerSettings")
        || name == "layout-cache"
        || name == "mimetype"
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

/// The final sweep (see the module docs): every entry no reader consumed.
pub(crate) fn sweep(
    archive: &mut Archive<'_>,
    format: &'static str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let mut images = 0usize;
    for name in archive.unconsumed() {
        if holds_no_text(&name) {
            continue;
        }
        let svg = extension(&name) == "svg";
        if is_image(&name) && !svg {
            images += 1;
            continue;
        }
        let Some(bytes) = archive.read(&name)? else {
            continue;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !looks_like_xml(&bytes) {
            let what = if name.to_ascii_lowercase().contains("vbaproject") {
                "macros (VBA project) are not read: their source and strings can hold text; remove the macros or check them by hand"
            } else {
                "a binary part baomi does not read: check it by hand or remove it"
            };
            ex.coverage.gap(format!("{name}: {what}"));
            continue;
        }
        let pt = match text_of(&bytes, format, &name, archive.limits()) {
            Ok(pt) => pt,
            Err(e) => {
                ex.coverage.gap(format!(
                    "{name}: an XML part that could not be read ({e}); check it by hand"
                ));
                continue;
            }
        };
        if svg {
            push(ex, &name, Part::Body, " (SVG image text)", pt);
            continue;
        }
        if !pt.text.trim().is_empty() {
            ex.coverage.gap(format!(
                "{name}: a part holding text that baomi does not know where it shows; its text was scanned as `hidden`, but check the part by hand"
            ));
        }
        push(ex, &name, Part::Hidden, " (unrecognised part)", pt);
    }
    ex.note_unread_images(images);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_join_runs_and_other_text_ends_its_line() {
        let xml = r#"<c:chartSpace xmlns:c="c" xmlns:a="a"><c:title><a:p><a:r><a:t>机</a:t></a:r><a:r><a:t>密</a:t></a:r></a:p></c:title>
<c:cat><c:pt><c:v>甲</c:v></c:pt><c:pt><c:v>乙</c:v></c:pt></c:cat><c:formatCode>General</c:formatCode>
<p:cNvPr xmlns:p="p" id="1" name="Chart 1" descr="说明" title=" "/></c:chartSpace>"#;
        let pt = text_of(
            xml.as_bytes(),
            "docx",
            "chart1.xml",
            &crate::Limits::default(),
        )
        .unwrap();
        assert_eq!(pt.text, "机密\n甲\n乙\n");
        assert_eq!(pt.alts, [("cNvPr 1 descr".to_string(), "说明".to_string())]);
    }
}
