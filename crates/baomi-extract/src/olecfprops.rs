//! OLE property sets ([MS-OLEPS]): the `\x05SummaryInformation` (title,
//! subject, author, keywords, comments, …) and
//! `\x05DocumentSummaryInformation` (company, manager, category, and the
//! user-defined properties of its second section) streams of .doc, .xls and
//! .ppt files. Every string property becomes a `metadata` segment whose
//! detail names the stream and the property, like docx `docProps`.
//!
//! A damaged property set yields what could be read; nothing here panics
//! or allocates more than the stream's size.

use crate::Segment;
use baomi_core::{Part, SegmentInfo};

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

const FMTID_SUMMARY: [u8; 16] = [
    0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
];
const FMTID_DOC_SUMMARY: [u8; 16] = [
    0x02, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE,
];

/// Name of a property of the SummaryInformation set.
fn summary_name(id: u32) -> Option<&'static str> {
    Some(match id {
        2 => "Title",
        3 => "Subject",
        4 => "Author",
        5 => "Keywords",
        6 => "Comments",
        7 => "Template",
        8 => "LastAuthor",
        9 => "RevNumber",
        18 => "AppName",
        _ => return None,
    })
}

/// Name of a property of the DocumentSummaryInformation set.
fn doc_summary_name(id: u32) -> Option<&'static str> {
    Some(match id {
        2 => "Category",
        3 => "PresentationTarget",
        12 => "HeadingPairs",
        13 => "TitlesOfParts",
        14 => "Manager",
        15 => "Company",
        26 => "ContentType",
        27 => "ContentStatus",
        28 => "Language",
        29 => "DocVersion",
        _ => return None,
    })
}

/// Collects the string properties of a property-set stream into `out`;
/// returns the title (SummaryInformation property 2) if there is one.
pub(crate) fn collect(data: &[u8], stream: &str, out: &mut Vec<Segment>) -> Option<String> {
    let mut title = None;
    if u16_at(data, 0) != Some(0xFFFE) {
        return None;
    }
    let sets = u32_at(data, 24).unwrap_or(0).min(4) as usize;
    for s in 0..sets {
        let at = 28 + 20 * s;
        let Some(fmtid) = data.get(at..at + 16) else {
            break;
        };
        let Some(offset) = u32_at(data, at + 16) else {
            break;
        };
        let Some(set) = data.get(offset as usize..) else {
            continue;
        };
        let kind = if fmtid == FMTID_SUMMARY {
            Kind::Summary
        } else if fmtid == FMTID_DOC_SUMMARY {
            Kind::DocSummary
        } else {
            Kind::User
        };
        read_set(set, kind, stream, &mut title, out);
    }
    title
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Summary,
    DocSummary,
    /// The user-defined section: names come from its dictionary.
    User,
}

fn read_set(
    set: &[u8],
    kind: Kind,
    stream: &str,
    title: &mut Option<String>,
    out: &mut Vec<Segment>,
) {
    let size = u32_at(set, 0).unwrap_or(0) as usize;
    let set = &set[..size.min(set.len())];
    let count = u32_at(set, 4).unwrap_or(0) as usize;
    let mut props = Vec::new();
    for i in 0..count.min(set.len() / 8) {
        let (Some(id), Some(off)) = (u32_at(set, 8 + 8 * i), u32_at(set, 12 + 8 * i)) else {
            break;
        };
        props.push((id, off as usize));
    }
    // Code page (property 1) decides how 8-bit strings are read.
    let codepage = props
        .iter()
        .find(|(id, _)| *id == 1)
        .and_then(|(_, off)| (u32_at(set, *off)? & 0xFFFF == 2).then(|| u16_at(set, off + 4))?)
        .unwrap_or(1252);
    let dictionary = props
        .iter()
        .find(|(id, _)| *id == 0)
        .map(|(_, off)| dictionary(set, *off, codepage))
        .unwrap_or_default();
    for (id, off) in props {
        if id <= 1 || id == 0x8000_0000 || id == 0x8000_0003 {
            continue; // dictionary, code page, locale, behaviour
        }
        let mut values = Vec::new();
        typed_strings(set, off, codepage, 0, &mut values);
        let name = match kind {
            Kind::Summary if summary_name(id).is_some() => summary_name(id).map(str::to_string),
            Kind::DocSummary if doc_summary_name(id).is_some() => {
                doc_summary_name(id).map(str::to_string)
            }
            _ => dictionary
                .iter()
                .find(|(d, _)| *d == id)
                .map(|(_, n)| format!("property \"{n}\"")),
        }
        .unwrap_or_else(|| format!("property {id}"));
        for v in values {
            let v = v.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            if v.is_empty() {
                continue;
            }
            if kind == Kind::Summary && id == 2 && title.is_none() {
                *title = Some(v.to_string());
            }
            out.push(Segment::new(
                SegmentInfo {
                    detail: Some(format!("{stream}: {name}")),
                    ..SegmentInfo::new(Part::Metadata)
                },
                v.to_string(),
            ));
        }
    }
}

/// Decodes 8-bit property text in the set's code page.
fn decode(raw: &[u8], codepage: u16) -> String {
    let raw = match raw.iter().position(|b| *b == 0) {
        Some(n) => &raw[..n],
        None => raw,
    };
    let enc = match codepage {
        65001 => encoding_rs::UTF_8,
        936 => encoding_rs::GBK,
        54936 => encoding_rs::GB18030,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        949 => encoding_rs::EUC_KR,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        _ => encoding_rs::WINDOWS_1252,
    };
    enc.decode_without_bom_handling(raw).0.into_owned()
}

fn utf16(raw: &[u8]) -> String {
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect()
}

/// A code-page string (VT_LPSTR) at `at`: its text and its size in bytes.
fn lpstr(set: &[u8], at: usize, codepage: u16) -> Option<(String, usize)> {
    let n = u32_at(set, at)? as usize;
    if codepage == 1200 {
        let raw = set.get(at + 4..(at + 4).checked_add(n.checked_mul(2)?)?)?;
        return Some((utf16(raw), 4 + (n * 2).div_ceil(4) * 4));
    }
    let raw = set.get(at + 4..(at + 4).checked_add(n)?)?;
    Some((decode(raw, codepage), 4 + n.div_ceil(4) * 4))
}

/// A UTF-16 string (VT_LPWSTR): its text and its size in bytes.
fn lpwstr(set: &[u8], at: usize) -> Option<(String, usize)> {
    let n = u32_at(set, at)? as usize;
    let raw = set.get(at + 4..(at + 4).checked_add(n.checked_mul(2)?)?)?;
    Some((utf16(raw), 4 + (n * 2).div_ceil(4) * 4))
}

/// The strings of the typed value at `at` (a string, or a vector of strings
/// or of variants); returns the value's size so vectors can walk on.
fn typed_strings(
    set: &[u8],
    at: usize,
    codepage: u16,
    depth: u32,
    out: &mut Vec<String>,
) -> Option<usize> {
    let vt = u32_at(set, at)? & 0xFFFF;
    let body = at + 4;
    match vt {
        0x1E => lpstr(set, body, codepage).map(|(s, n)| {
            out.push(s);
            4 + n
        }),
        0x1F => lpwstr(set, body).map(|(s, n)| {
            out.push(s);
            4 + n
        }),
        0x101E | 0x101F | 0x100C if depth == 0 => {
            let count = u32_at(set, body)? as usize;
            let mut pos = body + 4;
            for _ in 0..count.min(set.len() / 4) {
                let step = match vt {
                    0x101E => lpstr(set, pos, codepage).map(|(s, n)| {
                        out.push(s);
                        n
                    }),
                    0x101F => lpwstr(set, pos).map(|(s, n)| {
                        out.push(s);
                        n
                    }),
                    _ => typed_strings(set, pos, codepage, depth + 1, out),
                }?;
                pos += step;
            }
            Some(pos - at)
        }
        // Fixed-size scalars inside a variant vector (HeadingPairs counts).
        2 | 0x0B | 0x12 => Some(8),
        3 | 0x13 | 4 | 0x0A => Some(8),
        5 | 0x40 | 0x14 | 0x15 | 6 | 7 => Some(12),
        _ => None,
    }
}

/// The user-defined section's dictionary: property id → name.
fn dictionary(set: &[u8], at: usize, codepage: u16) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let Some(n) = u32_at(set, at) else { return out };
    let mut pos = at + 4;
    for _ in 0..n.min(4096) {
        let (Some(id), Some(len)) = (u32_at(set, pos), u32_at(set, pos + 4)) else {
            break;
        };
        let len = len as usize;
        pos += 8;
        if codepage == 1200 {
            let Some(raw) = set.get(pos..pos.saturating_add(len.saturating_mul(2))) else {
                break;
            };
            out.push((id, utf16(raw)));
            pos += (len * 2).div_ceil(4) * 4;
        } else {
            let Some(raw) = set.get(pos..pos.saturating_add(len)) else {
                break;
            };
            out.push((id, decode(raw, codepage)));
            pos += len;
        }
    }
    out
}
