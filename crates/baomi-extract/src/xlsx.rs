//! Excel workbooks (.xlsx, OOXML SpreadsheetML): every sheet's cells —
//! hidden sheets, rows and columns too, marked `hidden` — cell comments and
//! the file properties. Lists of benefit recipients and other personal data
//! are most often published as spreadsheets.
//!
//! Each sheet is one segment with one line per non-empty row and its cells
//! separated by tabs; every cell is a region named `Sheet!B3`, so a finding
//! says exactly which cell holds it. Formulas are not evaluated: a cell
//! shows the value Excel stored with it.

use crate::markup;
use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Region, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashMap;

const FORMAT: &str = "xlsx";

fn malformed(message: String) -> ExtractError {
    ExtractError::Malformed {
        format: FORMAT,
        message,
    }
}

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut ex = Extracted::default();
    let strings = match archive.read("xl/sharedStrings.xml")? {
        Some(xml) => shared_strings(&xml, limits)?,
        None => Vec::new(),
    };
    let Some(book) = archive.read("xl/workbook.xml")? else {
        return Err(malformed(
            "the workbook part xl/workbook.xml is missing".into(),
        ));
    };
    let sheets = workbook_sheets(&book, limits)?;
    if sheets.is_empty() {
        return Err(malformed(
            "xl/workbook.xml lists no sheets; open and re-save the workbook".into(),
        ));
    }
    // Sheet names are shown on the tabs (those of hidden sheets are not).
    for sheet in &sheets {
        if sheet.name.trim().is_empty() {
            continue;
        }
        let part = if sheet.hidden {
            Part::Hidden
        } else {
            Part::Body
        };
        ex.segments.push(Segment::new(
            SegmentInfo {
                detail: Some("xl/workbook.xml: sheet name".into()),
                ..SegmentInfo::new(part)
            },
            sheet.name.replace(['\r', '\n'], " "),
        ));
    }
    let rels = match archive.read("xl/_rels/workbook.xml.rels")? {
        Some(xml) => relationships(&xml, "xl/_rels/workbook.xml.rels", limits)?,
        None => HashMap::new(),
    };
    // Comment part → the sheet it annotates (from each sheet's relationships).
    let mut comment_sheets: HashMap<String, String> = HashMap::new();
    for sheet in sheets {
        let Some(path) = rels.get(&sheet.rel).map(|t| resolve("xl", t)) else {
            ex.coverage.gap(format!(
                "sheet {:?}: the workbook names no part for it",
                sheet.name
            ));
            continue;
        };
        let Some(xml) = archive.read(&path)? else {
            ex.coverage
                .gap(format!("sheet {:?}: part {path} is missing", sheet.name));
            continue;
        };
        let mut headers = Vec::new();
        if let Some(seg) = sheet_segment(&xml, &path, &sheet, &strings, limits, &mut headers)? {
            ex.segments.push(seg);
        }
        for (part, kind, text) in headers {
            ex.segments.push(Segment::new(
                SegmentInfo {
                    detail: Some(format!("sheet {}: {kind}", sheet.name)),
                    ..SegmentInfo::new(part)
                },
                text,
            ));
        }
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
        if let Some(rels_xml) = archive.read(&format!("{dir}/_rels/{file}.rels"))? {
            for target in
                relationships(&rels_xml, &format!("{dir}/_rels/{file}.rels"), limits)?.into_values()
            {
                if target.contains("omments") {
                    comment_sheets.insert(resolve(dir, &target), sheet.name.clone());
                }
            }
        }
    }
    let comment_parts: Vec<String> = archive
        .names()
        .iter()
        .filter(|n| {
            (n.starts_with("xl/comments") || n.starts_with("xl/threadedComments/"))
                && n.ends_with(".xml")
        })
        .cloned()
        .collect();
    for part in comment_parts {
        if let Some(xml) = archive.read(&part)? {
            let sheet = comment_sheets.get(&part).map(String::as_str);
            comments(&xml, &part, sheet, limits, &mut ex.segments)?;
        }
    }
    crate::ooxml::package_props(archive, FORMAT, &mut ex)?;
    // Text boxes, shapes and alt text of drawings, and charts (titles,
    // series names, categories, cached values).
    let names: Vec<String> = archive.names().to_vec();
    for name in &names {
        let file = |dir: &str, start: &str, ext: &str| {
            name.strip_prefix(dir)
                .is_some_and(|f| !f.contains('/') && f.starts_with(start) && f.ends_with(ext))
        };
        if file("xl/drawings/", "drawing", ".xml") {
            markup::read_part(archive, FORMAT, name, Part::Body, " (drawing)", &mut ex)?;
        } else if file("xl/drawings/", "vmlDrawing", ".vml") {
            markup::read_part(archive, FORMAT, name, Part::Body, " (VML drawing)", &mut ex)?;
        } else if file("xl/charts/", "chart", ".xml") {
            markup::read_part(archive, FORMAT, name, Part::Body, " (chart)", &mut ex)?;
        }
    }
    crate::docx::smartart(archive, "xl/", &names, FORMAT, limits, &mut ex)?;
    crate::ooxml::custom_xml(archive, FORMAT, &mut ex)?;
    crate::ooxml::external_targets(archive, FORMAT, &mut ex)?;
    for name in &names {
        if name.starts_with("xl/embeddings/") && !name.ends_with('/') {
            crate::ooxml::embedded(archive, name, &mut ex)?;
        }
    }
    markup::sweep(archive, FORMAT, &mut ex)?;
    ex.record_parts();
    Ok(ex)
}

/// `xl/sharedStrings.xml`: the text of each `<si>`, phonetic guides skipped.
fn shared_strings(xml: &[u8], limits: &Limits) -> Result<Vec<String>, ExtractError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut in_t, mut in_phonetic) = (false, 0usize);
    walk(xml, FORMAT, "xl/sharedStrings.xml", limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"si" => current.clear(),
                b"t" => in_t = true,
                b"rPh" => in_phonetic += 1,
                _ => {}
            },
            Ev::End(name) => match name {
                b"si" => out.push(std::mem::take(&mut current)),
                b"t" => in_t = false,
                b"rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                _ => {}
            },
            Ev::Text(t) if in_t && in_phonetic == 0 => current.push_str(t),
            Ev::Text(_) => {}
        }
        Ok(())
    })?;
    Ok(out)
}

struct Sheet {
    name: String,
    hidden: bool,
    rel: String,
}

/// The sheets of `xl/workbook.xml`, in workbook order.
fn workbook_sheets(xml: &[u8], limits: &Limits) -> Result<Vec<Sheet>, ExtractError> {
    let mut sheets = Vec::new();
    walk(xml, FORMAT, "xl/workbook.xml", limits, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"sheet" {
                sheets.push(Sheet {
                    name: attr(e, b"name").unwrap_or_default(),
                    // `hidden` or `veryHidden` (only visible through VBA).
                    hidden: attr(e, b"state").is_some_and(|s| s != "visible"),
                    rel: attr(e, b"id").unwrap_or_default(),
                });
            }
        }
        Ok(())
    })?;
    Ok(sheets)
}

/// Relationship id → target of a relationships part.
fn relationships(
    xml: &[u8],
    part: &str,
    limits: &Limits,
) -> Result<HashMap<String, String>, ExtractError> {
    let mut rels = HashMap::new();
    walk(xml, FORMAT, part, limits, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"Relationship" {
                if let (Some(id), Some(target)) = (attr(e, b"Id"), attr(e, b"Target")) {
                    rels.insert(id, target);
                }
            }
        }
        Ok(())
    })?;
    Ok(rels)
}

/// A relationship target as a part name: absolute (`/xl/…`) or relative
/// to the folder `dir` of the part that names it (`../comments1.xml`).
pub(crate) fn resolve(dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for piece in target.split('/') {
        match piece {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The 1-based column number of a cell reference such as `AB12`.
fn column_of(reference: &str) -> Option<u32> {
    let letters: String = reference
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    Some(letters.bytes().fold(0, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    }))
}

fn is_true(value: Option<String>) -> bool {
    value.is_some_and(|v| v == "1" || v == "true")
}

fn hidden_region(range: std::ops::Range<usize>, what: &str) -> Region {
    Region {
        range,
        info: SegmentInfo {
            part: Some(Part::Hidden),
            detail: Some(what.to_string()),
            ..SegmentInfo::default()
        },
    }
}

/// One sheet as a segment, or `None` when it holds no text.
fn sheet_segment(
    xml: &[u8],
    part: &str,
    sheet: &Sheet,
    strings: &[String],
    limits: &Limits,
    headers: &mut Vec<(Part, String, String)>,
) -> Result<Option<Segment>, ExtractError> {
    // Page headers and footers (`oddHeader`, `firstFooter`, …) being read.
    let mut header: Option<(Part, String, String)> = None;
    let mut text = String::new();
    let mut regions = Vec::new();
    let mut hidden_columns: Vec<(u32, u32)> = Vec::new();
    let (mut row_hidden, mut row_start, mut row_has_cells) = (false, 0usize, false);
    let (mut reference, mut kind, mut value) = (None::<String>, String::new(), String::new());
    let (mut in_value, mut in_inline, mut in_phonetic) = (false, false, 0usize);
    walk(xml, FORMAT, part, limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"col" if is_true(attr(e, b"hidden")) => {
                    let num = |name: &[u8]| attr(e, name).and_then(|v| v.parse::<u32>().ok());
                    if let (Some(min), Some(max)) = (num(b"min"), num(b"max")) {
                        hidden_columns.push((min, max));
                    }
                }
                b"row" => {
                    row_hidden = is_true(attr(e, b"hidden"));
                    row_start = text.len();
                    row_has_cells = false;
                }
                b"c" => {
                    reference = attr(e, b"r");
                    kind = attr(e, b"t").unwrap_or_default();
                    value.clear();
                }
                b"v" => in_value = true,
                b"is" => in_inline = true,
                b"rPh" => in_phonetic += 1,
                kind @ (b"oddHeader" | b"evenHeader" | b"firstHeader" | b"oddFooter"
                | b"evenFooter" | b"firstFooter") => {
                    let part = if kind.ends_with(b"Header") {
                        Part::Header
                    } else {
                        Part::Footer
                    };
                    let kind = String::from_utf8_lossy(kind).into_owned();
                    header = Some((part, kind, String::new()));
                }
                _ => {}
            },
            Ev::Text(t) if header.is_some() => {
                if let Some((_, _, h)) = header.as_mut().filter(|h| h.2.len() < 1 << 20) {
                    h.push_str(t);
                }
            }
            Ev::Text(t) => {
                let wanted = in_value || (in_inline && in_phonetic == 0);
                if wanted && value.len() < 1 << 20 {
                    value.push_str(t);
                }
            }
            Ev::End(name) => match name {
                b"oddHeader" | b"evenHeader" | b"firstHeader" | b"oddFooter" | b"evenFooter"
                | b"firstFooter" => {
                    if let Some((part, kind, raw)) = header.take() {
                        let shown = strip_header_codes(&raw);
                        if !shown.trim().is_empty() {
                            headers.push((part, kind, shown.trim().to_string()));
                        }
                    }
                }
                b"v" => in_value = false,
                b"is" => in_inline = false,
                b"rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                b"c" => {
                    let shown = match kind.as_str() {
                        "s" => value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i))
                            .cloned()
                            .unwrap_or_default(),
                        // Booleans and error codes hold nothing to review.
                        "b" | "e" => String::new(),
                        _ => value.clone(),
                    };
                    if !shown.trim().is_empty() {
                        if row_has_cells {
                            text.push('\t');
                        }
                        let start = text.len();
                        text.push_str(&shown.replace(['\r', '\n'], " "));
                        let cell = reference.as_deref().unwrap_or("?");
                        regions.push(Region {
                            range: start..text.len(),
                            info: SegmentInfo {
                                cell: Some(format!("{}!{cell}", sheet.name)),
                                ..SegmentInfo::default()
                            },
                        });
                        let column = reference.as_deref().and_then(column_of);
                        let in_hidden_column = column
                            .is_some_and(|c| hidden_columns.iter().any(|&(a, b)| a <= c && c <= b));
                        if in_hidden_column && !row_hidden {
                            regions.push(hidden_region(start..text.len(), "hidden column"));
                        }
                        row_has_cells = true;
                    }
                }
                b"row" if row_has_cells => {
                    if row_hidden {
                        regions.push(hidden_region(row_start..text.len(), "hidden row"));
                    }
                    text.push('\n');
                }
                _ => {}
            },
        }
        Ok(())
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    regions.sort_by_key(|r| r.range.start);
    let mut detail = format!("sheet {}", sheet.name);
    if sheet.hidden {
        detail.push_str(" (hidden sheet)");
    }
    let part = if sheet.hidden {
        Part::Hidden
    } else {
        Part::Body
    };
    let mut seg = Segment::new(
        SegmentInfo {
            part: Some(part),
            detail: Some(detail),
            ..SegmentInfo::default()
        },
        text,
    );
    seg.regions = regions;
    Ok(Some(seg))
}

/// The text of a page header or footer without Excel's `&` codes: `&L`,
/// `&C`, `&R` (left, centre, right sections) become spaces; page numbers,
/// dates, file and sheet names (`&P`, `&D`, `&F`, `&A`, …), fonts
/// (`&"宋体,加粗"`), sizes (`&12`) and colours (`&KFF0000`) are dropped;
/// `&&` is `&`.
fn strip_header_codes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '&' {
            out.push(if c == '\n' || c == '\r' { ' ' } else { c });
            continue;
        }
        match it.peek().copied() {
            Some('&') => {
                it.next();
                out.push('&');
            }
            Some('"') => {
                it.next();
                for c in it.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            Some(d) if d.is_ascii_digit() => {
                while it.peek().is_some_and(char::is_ascii_digit) {
                    it.next();
                }
            }
            Some('K') => {
                it.next();
                for _ in 0..6 {
                    if it
                        .peek()
                        .is_some_and(|c| c.is_ascii_hexdigit() || *c == '+' || *c == '-')
                    {
                        it.next();
                    }
                }
            }
            Some('L' | 'C' | 'R') => {
                it.next();
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            Some(_) => {
                it.next();
            }
            None => {}
        }
    }
    out
}

/// Cell comments (`xl/comments*.xml`, with their authors) and threaded
/// comments (`xl/threadedComments/*.xml`): one `comment` segment each.
fn comments(
    xml: &[u8],
    part: &str,
    sheet: Option<&str>,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut authors: Vec<String> = Vec::new();
    let (mut in_author, mut in_text) = (false, 0usize);
    let (mut reference, mut author, mut body) = (None::<String>, None::<usize>, String::new());
    walk(xml, FORMAT, part, limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"author" => {
                    in_author = true;
                    authors.push(String::new());
                }
                b"comment" | b"threadedComment" => {
                    reference = attr(e, b"ref");
                    author = attr(e, b"authorId").and_then(|a| a.parse().ok());
                    body.clear();
                }
                b"text" => in_text += 1,
                _ => {}
            },
            Ev::Text(t) => {
                if in_author {
                    if let Some(last) = authors.last_mut() {
                        last.push_str(t);
                    }
                } else if in_text > 0 && body.len() < 1 << 20 {
                    body.push_str(t);
                }
            }
            Ev::End(name) => match name {
                b"author" => in_author = false,
                b"text" => in_text = in_text.saturating_sub(1),
                b"comment" | b"threadedComment" if !body.trim().is_empty() => {
                    out.push(Segment::new(
                        SegmentInfo {
                            part: Some(Part::Comment),
                            cell: reference.as_ref().map(|r| match sheet {
                                Some(name) => format!("{name}!{r}"),
                                None => r.clone(),
                            }),
                            author: author.and_then(|i| authors.get(i)).cloned(),
                            detail: Some(part.to_string()),
                            ..SegmentInfo::default()
                        },
                        std::mem::take(&mut body),
                    ));
                }
                _ => {}
            },
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_codes_are_stripped() {
        assert_eq!(
            strip_header_codes("&L&\"宋体,加粗\"&12内部资料&C第&P页，共&N页&R&KFF0000机密&&秘"),
            "内部资料 第页，共页 机密&秘"
        );
        assert_eq!(strip_header_codes("&K01+049绝密&"), "绝密");
    }

    #[test]
    fn relationship_targets() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/worksheets", "../comments1.xml"),
            "xl/comments1.xml"
        );
        assert_eq!(
            resolve("xl", "/xl/worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
    }

    #[test]
    fn column_numbers() {
        assert_eq!(column_of("A1"), Some(1));
        assert_eq!(column_of("Z9"), Some(26));
        assert_eq!(column_of("AB12"), Some(28));
        assert_eq!(column_of("12"), None);
    }

    #[test]
    fn shared_strings_skip_phonetic_guides() {
        let xml = r#"<sst><si><t>张三</t></si><si><r><t>内部</t></r><r><t>资料</t></r><rPh><t>ないぶ</t></rPh></si></sst>"#;
        let s = shared_strings(xml.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(s, vec!["张三".to_string(), "内部资料".to_string()]);
    }
}
