//! OLE2 property sets (`\x05SummaryInformation`,
//! `\x05DocumentSummaryInformation`, [MS-OLEPS]) of legacy Office and WPS
//! files: every string property becomes a `metadata` segment whose detail
//! names the stream and the property (`SummaryInformation: author`), as
//! docProps do for OOXML. The user-defined section names its properties in
//! a dictionary; those names are used.
//!
//! Every offset and count is checked against the stream, so a hostile
//! property set is an error or a skipped property, never a large allocation.

use crate::{ExtractError, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashMap;

const VT_I2: u32 = 0x02;
const VT_LPSTR: u32 = 0x1E;
const VT_LPWSTR: u32 = 0x1F;
const VT_VECTOR: u32 = 0x1000;
const VT_VARIANT: u32 = 0x0C;

/// Most properties read from one section.
const MAX_PROPERTIES: usize = 1000;
/// Most strings read from one vector property.
const MAX_VECTOR: usize = 10_000;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The encoding of 8-bit strings for a Windows code page.
fn codepage(cp: u16) -> &'static encoding_rs::Encoding {
    match cp {
        936 => encoding_rs::GBK,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        949 => encoding_rs::EUC_KR,
        65001 => encoding_rs::UTF_8,
        54936 => encoding_rs::GB18030,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        _ => encoding_rs::WINDOWS_1252,
    }
}

fn name_of(stream: &str, id: u32, user: bool) -> String {
    if user {
        return format!("property {id}");
    }
    let known = if stream == "SummaryInformation" {
        match id {
            2 => "title",
            3 => "subject",
            4 => "author",
            5 => "keywords",
            6 => "comments",
            7 => "template",
            8 => "last author",
            9 => "revision number",
            18 => "application",
            _ => "",
        }
    } else {
        match id {
            2 => "category",
            12 => "titles of parts",
            14 => "manager",
            15 => "company",
            26 => "content type",
            27 => "content status",
            28 => "language",
            29 => "document version",
            _ => "",
        }
    };
    if known.is_empty() {
        format!("property {id}")
    } else {
        known.to_string()
    }
}

/// Reads one property-set stream into `metadata` segments; returns the
/// title (SummaryInformation property 2) if there is one.
pub(crate) fn collect(
    bytes: &[u8],
    stream: &str,
    format: &'static str,
    out: &mut Vec<Segment>,
) -> Result<Option<String>, ExtractError> {
    let malformed = |what: &str| ExtractError::Malformed {
        format,
        message: format!("property set {stream}: {what}; open and re-save the file"),
    };
    if u16_at(bytes, 0) != Some(0xFFFE) {
        return Err(malformed("bad byte-order mark"));
    }
    let sections = u32_at(bytes, 24).ok_or_else(|| malformed("truncated header"))? as usize;
    let mut title = None;
    for s in 0..sections.min(2) {
        let at = 28 + s * 20;
        let offset =
            u32_at(bytes, at + 16).ok_or_else(|| malformed("truncated section list"))? as usize;
        let section = bytes
            .get(offset..)
            .ok_or_else(|| malformed("section offset beyond the stream"))?;
        let size = (u32_at(section, 0).ok_or_else(|| malformed("truncated section"))? as usize)
            .min(section.len());
        let section = &section[..size];
        let count = u32_at(section, 4).ok_or_else(|| malformed("truncated section"))? as usize;
        let mut props = Vec::new();
        for i in 0..count.min(MAX_PROPERTIES) {
            let (Some(id), Some(off)) = (u32_at(section, 8 + i * 8), u32_at(section, 12 + i * 8))
            else {
                return Err(malformed("truncated property list"));
            };
            props.push((id, off as usize));
        }
        let mut cp = encoding_rs::WINDOWS_1252;
        let mut utf16 = false;
        if let Some(&(_, off)) = props.iter().find(|(id, _)| *id == 1) {
            if u32_at(section, off).map(|t| t & 0xFFFF) == Some(VT_I2) {
                let value = u16_at(section, off + 4).unwrap_or(1252);
                utf16 = value == 1200;
                cp = codepage(value);
            }
        }
        // The user-defined section (the second one of
        // DocumentSummaryInformation) names its properties in property 0.
        let mut names: HashMap<u32, String> = HashMap::new();
        let user = s == 1;
        if let Some(&(_, off)) = props.iter().find(|(id, _)| *id == 0) {
            read_dictionary(section, off, cp, utf16, &mut names);
        }
        for (id, off) in props {
            if id < 2 || id == 0x8000_0000 || id == 0x8000_0003 {
                continue;
            }
            let mut values = Vec::new();
            read_value(section, off, cp, &mut values);
            let field = match names.get(&id) {
                Some(n) => format!("\"{n}\""),
                None => name_of(stream, id, user),
            };
            for value in values {
                let value = value.trim_matches(|c: char| c == '\0' || c.is_whitespace());
                if value.is_empty() {
                    continue;
                }
                if stream == "SummaryInformation" && id == 2 && title.is_none() {
                    title = Some(value.to_string());
                }
                out.push(Segment::new(
                    SegmentInfo {
                        detail: Some(format!("{stream}: {field}")),
                        ..SegmentInfo::new(Part::Metadata)
                    },
                    value.to_string(),
                ));
            }
        }
    }
    Ok(title)
}

/// A typed value at `off`: strings (8-bit, UTF-16, vectors of either, and
/// vectors of variants holding them) are pushed to `out`; others ignored.
fn read_value(b: &[u8], off: usize, cp: &'static encoding_rs::Encoding, out: &mut Vec<String>) {
    let Some(kind) = u32_at(b, off) else { return };
    let kind = kind & 0xFFFF;
    let mut at = off + 4;
    match kind {
        VT_LPSTR | VT_LPWSTR => {
            if let Some((s, _)) = read_string(b, at, kind, cp) {
                out.push(s);
            }
        }
        k if k & VT_VECTOR != 0 => {
            let Some(n) = u32_at(b, at) else { return };
            at += 4;
            let elem = k & !VT_VECTOR;
            for _ in 0..(n as usize).min(MAX_VECTOR) {
                let elem_kind = if elem == VT_VARIANT {
                    let Some(t) = u32_at(b, at) else { return };
                    at += 4;
                    t & 0xFFFF
                } else {
                    elem
                };
                match elem_kind {
                    VT_LPSTR | VT_LPWSTR => match read_string(b, at, elem_kind, cp) {
                        Some((s, next)) => {
                            out.push(s);
                            at = next;
                        }
                        None => return,
                    },
                    // HeadingPairs counts: 4-byte integers.
                    0x03 | 0x13 => at += 4,
                    0x02 | 0x0B => at += 4,
                    _ => return,
                }
            }
        }
        _ => {}
    }
}

/// A length-prefixed string at `at`; returns it and the offset after it
/// (padded to 4 bytes).
fn read_string(
    b: &[u8],
    at: usize,
    kind: u32,
    cp: &'static encoding_rs::Encoding,
) -> Option<(String, usize)> {
    let n = u32_at(b, at)? as usize;
    let start = at + 4;
    if kind == VT_LPWSTR {
        let end = start.checked_add(n.checked_mul(2)?)?;
        let raw = b.get(start..end.min(b.len()))?;
        let (s, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(raw);
        Some((s.into_owned(), (end + 3) & !3))
    } else {
        let end = start.checked_add(n)?;
        let raw = b.get(start..end.min(b.len()))?;
        let (s, _, _) = cp.decode(raw);
        Some((s.into_owned(), (end + 3) & !3))
    }
}

/// Property 0 of a user-defined section: id → name.
fn read_dictionary(
    b: &[u8],
    off: usize,
    cp: &'static encoding_rs::Encoding,
    utf16: bool,
    names: &mut HashMap<u32, String>,
) {
    let Some(n) = u32_at(b, off) else { return };
    let mut at = off + 4;
    for _ in 0..(n as usize).min(MAX_PROPERTIES) {
        let (Some(id), Some(len)) = (u32_at(b, at), u32_at(b, at + 4)) else {
            return;
        };
        let len = len as usize;
        at += 8;
        let bytes_len = if utf16 { len.saturating_mul(2) } else { len };
        let Some(raw) = b.get(at..at.saturating_add(bytes_len)) else {
            return;
        };
        let name = if utf16 {
            encoding_rs::UTF_16LE.decode_without_bom_handling(raw).0
        } else {
            cp.decode(raw).0
        };
        names.insert(id, name.trim_end_matches('\0').to_string());
        at += bytes_len;
        if utf16 {
            at = (at + 3) & !3;
        }
    }
}
