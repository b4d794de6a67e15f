//! PowerPoint presentations (.pptx, OOXML PresentationML): the text of
//! every slide — shapes, grouped shapes, tables — in the order of
//! `presentation.xml`'s slide list (through its relationships, never file
//! names), hidden slides (`show="0"`) too, speaker notes, comments (legacy
//! `ppt/comments/*.xml` with `commentAuthors.xml`, and the threaded
//! comments of PowerPoint 365 with `authors.xml`), alt text (`descr` and
//! `title` of each shape), external hyperlink targets, the text that
//! slide masters and layouts put on every slide (placeholders' prompt
//! text excepted), and the package properties (found through `_rels/.rels`).
//!
//! Location: a finding's `page` is its slide number (1-based, in
//! presentation order, as PowerPoint numbers slides and as a PDF export
//! paginates them) and `detail` says `slide N` and what part of the slide
//! it is; table cells are regions `table T, row R, cell C` as in .docx.
//! Parts that are not text here — speaker notes, alt text, link targets,
//! hidden slides — are `hidden`: a reader of the slide show never sees
//! them, but anyone with the file can.
//!
//! Charts, SmartArt diagrams and embedded objects are not read; each is a
//! coverage gap.

use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Region, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashMap;

const FORMAT: &str = "pptx";

fn malformed(message: String) -> ExtractError {
    ExtractError::Malformed {
        format: FORMAT,
        message,
    }
}

/// One relationship: type (last path segment) and target part name.
struct Rel {
    kind: String,
    target: String,
    external: bool,
}

/// The relationships of `part` (from `dir/_rels/file.rels`), by id.
fn rels_of(
    archive: &mut Archive<'_>,
    part: &str,
    limits: &Limits,
) -> Result<HashMap<String, Rel>, ExtractError> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_part = if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    };
    let mut out = HashMap::new();
    let Some(xml) = archive.read(&rels_part)? else {
        return Ok(out);
    };
    walk(&xml, FORMAT, &rels_part, limits, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"Relationship" {
                if let (Some(id), Some(target)) = (attr(e, b"Id"), attr(e, b"Target")) {
                    let kind = attr(e, b"Type").unwrap_or_default();
                    let kind = kind.rsplit('/').next().unwrap_or_default().to_string();
                    let external = attr(e, b"TargetMode").is_some_and(|m| m == "External");
                    let target = if external {
                        target
                    } else {
                        resolve(dir, &target)
                    };
                    out.insert(
                        id,
                        Rel {
                            kind,
                            target,
                            external,
                        },
                    );
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// A relationship target as a part name: absolute (`/ppt/…`) or relative
/// to the folder `dir` of the part that names it.
fn resolve(dir: &str, target: &str) -> String {
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

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut ex = Extracted::default();
    let package = rels_of(archive, "", limits)?;
    let main = package
        .values()
        .find(|r| r.kind == "officeDocument" && !r.external)
        .map(|r| r.target.clone())
        .unwrap_or_else(|| "ppt/presentation.xml".to_string());
    let Some(pres) = archive.read(&main)? else {
        return Err(malformed(format!(
            "the presentation part {main} is missing; open and re-save the file"
        )));
    };
    let mut slide_ids = Vec::new();
    walk(&pres, FORMAT, &main, limits, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"sldId" {
                // The relationship id is the prefixed `r:id`; the plain
                // `id` is the numeric slide id.
                let rid = e
                    .attributes()
                    .with_checks(false)
                    .filter_map(Result::ok)
                    .find(|a| a.key.local_name().as_ref() == "id" && a.key.prefix().is_some())
                    .map(|a| a.value.to_string());
                if let Some(rid) = rid {
                    slide_ids.push(rid);
                }
            }
        }
        Ok(())
    })?;
    let pres_rels = rels_of(archive, &main, limits)?;
    let mut authors: HashMap<String, String> = HashMap::new();
    for rel in pres_rels.values() {
        if matches!(rel.kind.as_str(), "commentAuthors" | "authors") && !rel.external {
            if let Some(xml) = archive.read(&rel.target)? {
                comment_authors(&xml, &rel.target, limits, &mut authors)?;
            }
        }
    }
    if slide_ids.is_empty() {
        return Err(malformed(format!(
            "{main} lists no slides; open and re-save the presentation"
        )));
    }
    if slide_ids.len() > limits.max_entries {
        return Err(ExtractError::Bomb(format!(
            "pptx lists {} slides (limit {})",
            slide_ids.len(),
            limits.max_entries
        )));
    }
    let mut read_parts = std::collections::HashSet::new();
    for (i, rid) in slide_ids.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Some(rel) = pres_rels.get(rid).filter(|r| !r.external) else {
            ex.coverage.gap(format!(
                "slide {number}: the presentation names no part for it ({rid})"
            ));
            continue;
        };
        let part = rel.target.clone();
        let Some(xml) = archive.read(&part)? else {
            ex.coverage
                .gap(format!("slide {number}: part {part} is missing"));
            continue;
        };
        read_parts.insert(part.clone());
        let rels = rels_of(archive, &part, limits)?;
        let slide = shapes(&xml, &part, limits, false)?;
        let hidden = slide.hidden;
        let at = |detail: String, part: Part| SegmentInfo {
            part: Some(part),
            page: Some(number),
            detail: Some(detail),
            ..SegmentInfo::default()
        };
        let label = if hidden {
            format!("slide {number} (hidden slide)")
        } else {
            format!("slide {number}")
        };
        let body_part = if hidden { Part::Hidden } else { Part::Body };
        if !slide.text.trim().is_empty() {
            let mut seg = Segment::new(at(label.clone(), body_part), slide.text);
            seg.regions = slide.regions;
            seg.paragraph_lines = true;
            ex.segments.push(seg);
        }
        push_lines(
            &mut ex.segments,
            slide.alt,
            at(format!("{label}: alt text"), Part::Hidden),
        );
        let links: Vec<String> = slide
            .links
            .iter()
            .filter_map(|id| rels.get(id))
            .filter(|r| r.external)
            .map(|r| r.target.clone())
            .collect();
        push_lines(
            &mut ex.segments,
            links,
            at(format!("{label}: hyperlink target"), Part::Hidden),
        );
        for what in &slide.unread {
            ex.coverage.gap(format!(
                "slide {number}: {what} not read; review it in PowerPoint or WPS"
            ));
        }
        for rel in rels.values().filter(|r| !r.external) {
            match rel.kind.as_str() {
                "notesSlide" => {
                    if let Some(xml) = archive.read(&rel.target)? {
                        let notes = shapes(&xml, &rel.target, limits, true)?;
                        if !notes.text.trim().is_empty() {
                            let mut seg = Segment::new(
                                at(format!("{label}: speaker notes"), Part::Hidden),
                                notes.text,
                            );
                            seg.paragraph_lines = true;
                            ex.segments.push(seg);
                        }
                    }
                }
                "comments" => {
                    if let Some(xml) = archive.read(&rel.target)? {
                        comments(
                            &xml,
                            &rel.target,
                            number,
                            &authors,
                            limits,
                            &mut ex.segments,
                        )?;
                    }
                    read_parts.insert(rel.target.clone());
                }
                _ => {}
            }
        }
    }
    // Text that masters and layouts put on every slide.
    let shared: Vec<String> = archive
        .names()
        .iter()
        .filter(|n| {
            (n.starts_with("ppt/slideMasters/") || n.starts_with("ppt/slideLayouts/"))
                && n.ends_with(".xml")
                && !n.contains("/_rels/")
        })
        .cloned()
        .collect();
    for part in shared {
        if let Some(xml) = archive.read(&part)? {
            let s = shapes(&xml, &part, limits, false)?;
            if !s.text.trim().is_empty() {
                ex.segments.push(Segment::new(
                    SegmentInfo {
                        detail: Some(format!("{part} (on every slide that uses it)")),
                        ..SegmentInfo::new(Part::Body)
                    },
                    s.text,
                ));
            }
        }
    }
    // Comments no slide points at still ship with the file.
    let loose: Vec<String> = archive
        .names()
        .iter()
        .filter(|n| n.starts_with("ppt/comments/") && n.ends_with(".xml"))
        .filter(|n| !read_parts.contains(*n))
        .cloned()
        .collect();
    for part in loose {
        if let Some(xml) = archive.read(&part)? {
            comments(&xml, &part, 0, &authors, limits, &mut ex.segments)?;
        }
    }
    let (mut charts, mut diagrams, mut embedded) = (0, 0, 0);
    for n in archive.names() {
        if n.contains("/_rels/") {
            continue;
        }
        if n.starts_with("ppt/charts/")
            && n.ends_with(".xml")
            && !n.contains("/style")
            && !n.contains("/colors")
        {
            charts += 1;
        } else if n.starts_with("ppt/diagrams/data") {
            diagrams += 1;
        } else if n.starts_with("ppt/embeddings/") {
            embedded += 1;
        }
    }
    for (count, what) in [
        (charts, "chart(s)"),
        (diagrams, "SmartArt diagram(s)"),
        (embedded, "embedded object(s) or workbook(s)"),
    ] {
        if count > 0 {
            ex.coverage.gap(format!(
                "{count} {what} not read: review them in PowerPoint or WPS, or export to PDF and scan that"
            ));
        }
    }
    let images = archive
        .names()
        .iter()
        .filter(|n| n.starts_with("ppt/media/"))
        .count();
    if images > 0 {
        ex.coverage.notes.push(format!(
            "{images} image(s) or media file(s) not read: text inside images is not scanned"
        ));
    }
    for rel in package.values().filter(|r| !r.external) {
        if matches!(
            rel.kind.as_str(),
            "core-properties" | "extended-properties" | "custom-properties"
        ) {
            if let Some(xml) = archive.read(&rel.target)? {
                let title =
                    crate::props::collect(&xml, FORMAT, &rel.target, limits, &mut ex.segments)?;
                ex.title = ex.title.or(title);
            }
        }
    }
    ex.record_parts();
    Ok(ex)
}

fn push_lines(out: &mut Vec<Segment>, lines: Vec<String>, info: SegmentInfo) {
    let text: Vec<String> = lines
        .into_iter()
        .map(|l| l.replace(['\r', '\n'], " "))
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !text.is_empty() {
        let mut seg = Segment::new(info, text.join("\n"));
        seg.paragraph_lines = true;
        out.push(seg);
    }
}

/// What one slide, notes page, master or layout holds.
#[derive(Default)]
struct Shapes {
    text: String,
    regions: Vec<Region>,
    alt: Vec<String>,
    links: Vec<String>,
    hidden: bool,
    unread: Vec<&'static str>,
}

/// The text of every shape of a slide-like part, one paragraph a line.
/// `all` reads placeholders too; otherwise (masters, layouts) the text of
/// placeholders — "Click to edit the title" — is skipped.
fn shapes(xml: &[u8], part: &str, limits: &Limits, notes: bool) -> Result<Shapes, ExtractError> {
    let is_master = part.contains("slideMasters/") || part.contains("slideLayouts/");
    let mut s = Shapes::default();
    // Per open shape: its text starts here, and whether it is a placeholder.
    let mut shape_stack: Vec<(usize, usize, bool)> = Vec::new();
    let (mut tables, mut row, mut col) = (0u32, 0u32, 0u32);
    let mut cell_start = None::<usize>;
    let mut para_open = false;
    let mut first = true;
    walk(xml, FORMAT, part, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let name = local(e);
                if first {
                    first = false;
                    s.hidden = attr(e, b"show").is_some_and(|v| v == "0" || v == "false");
                }
                match name.as_slice() {
                    b"sp" | b"graphicFrame" | b"cxnSp" | b"pic" => {
                        shape_stack.push((s.text.len(), s.regions.len(), false));
                    }
                    b"ph" => {
                        if let Some(top) = shape_stack.last_mut() {
                            top.2 = true;
                        }
                    }
                    b"cNvPr" => {
                        for key in [&b"descr"[..], b"title"] {
                            if let Some(v) = attr(e, key) {
                                if !v.trim().is_empty() && s.alt.len() < 10_000 {
                                    s.alt.push(v);
                                }
                            }
                        }
                    }
                    b"hlinkClick" | b"hlinkHover" => {
                        if let Some(id) = attr(e, b"id") {
                            if s.links.len() < 10_000 {
                                s.links.push(id);
                            }
                        }
                    }
                    b"tbl" => {
                        tables += 1;
                        row = 0;
                    }
                    b"tr" => {
                        row += 1;
                        col = 0;
                    }
                    b"tc" => {
                        col += 1;
                        cell_start = Some(s.text.len());
                    }
                    b"p" => para_open = true,
                    b"br" => s.text.push(' '),
                    b"chart" => s.unread.push("a chart"),
                    b"relIds" => s.unread.push("a SmartArt diagram"),
                    b"oleObj" => s.unread.push("an embedded object"),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if para_open && s.text.len() < 64 << 20 {
                    s.text.push_str(t);
                }
            }
            Ev::End(name) => match name {
                b"p" => {
                    para_open = false;
                    if !s.text.is_empty() && !s.text.ends_with('\n') {
                        s.text.push('\n');
                    }
                }
                b"tc" => {
                    if let Some(start) = cell_start.take() {
                        let end = s.text.trim_end_matches('\n').len().max(start);
                        if end > start {
                            s.regions.push(Region {
                                range: start..end,
                                info: SegmentInfo {
                                    cell: Some(format!("table {tables}, row {row}, cell {col}")),
                                    ..SegmentInfo::default()
                                },
                            });
                        }
                    }
                }
                b"sp" | b"graphicFrame" | b"cxnSp" | b"pic" => {
                    if let Some((start, regions, placeholder)) = shape_stack.pop() {
                        if is_master && placeholder && !notes {
                            s.text.truncate(start);
                            s.regions.truncate(regions);
                        }
                    }
                }
                _ => {}
            },
        }
        Ok(())
    })?;
    Ok(s)
}

/// Comment authors: legacy `p:cmAuthor id name` and threaded-comment
/// `p188:author id name`.
fn comment_authors(
    xml: &[u8],
    part: &str,
    limits: &Limits,
    out: &mut HashMap<String, String>,
) -> Result<(), ExtractError> {
    walk(xml, FORMAT, part, limits, |ev| {
        if let Ev::Start(e) = ev {
            if matches!(local(e).as_slice(), b"cmAuthor" | b"author") {
                if let (Some(id), Some(name)) = (attr(e, b"id"), attr(e, b"name")) {
                    if out.len() < 100_000 {
                        out.insert(id, name);
                    }
                }
            }
        }
        Ok(())
    })
}

/// A comments part: legacy `p:cm` (text in `p:text`) or threaded `cm` and
/// its `reply`s (text in `a:t`). One `comment` segment each.
fn comments(
    xml: &[u8],
    part: &str,
    slide: u32,
    authors: &HashMap<String, String>,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    // (author, text) of each open comment or reply.
    let mut stack: Vec<(Option<String>, String)> = Vec::new();
    let mut in_text = 0usize;
    walk(xml, FORMAT, part, limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"cm" | b"reply" => {
                    stack.push((attr(e, b"authorId"), String::new()));
                }
                b"text" | b"t" => in_text += 1,
                b"p" => {
                    if let Some((_, t)) = stack.last_mut() {
                        if !t.is_empty() {
                            t.push('\n');
                        }
                    }
                }
                _ => {}
            },
            Ev::Text(t) => {
                if in_text > 0 {
                    if let Some((_, body)) = stack.last_mut() {
                        if body.len() < 1 << 20 {
                            body.push_str(t);
                        }
                    }
                }
            }
            Ev::End(name) => match name {
                b"text" | b"t" => in_text = in_text.saturating_sub(1),
                b"cm" | b"reply" => {
                    if let Some((author, body)) = stack.pop() {
                        if !body.trim().is_empty() {
                            let detail = if slide > 0 {
                                format!("slide {slide}: comment")
                            } else {
                                format!("{part} (no slide refers to it)")
                            };
                            out.push(Segment::new(
                                SegmentInfo {
                                    part: Some(Part::Comment),
                                    page: (slide > 0).then_some(slide),
                                    author: author.map(|a| authors.get(&a).cloned().unwrap_or(a)),
                                    detail: Some(detail),
                                    ..SegmentInfo::default()
                                },
                                body.trim().to_string(),
                            ));
                        }
                    }
                }
                _ => {}
            },
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_slide_tables_groups_and_placeholders() {
        let xml = br#"<p:sld xmlns:p="p" xmlns:a="a" show="0"><p:cSld><p:spTree>
<p:grpSp><p:sp><p:nvSpPr><p:cNvPr id="2" name="x" descr="alt" title="t"/></p:nvSpPr><p:txBody><a:p><a:r><a:t>in a group</a:t></a:r></a:p></p:txBody></p:sp></p:grpSp>
<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr><a:tc><a:txBody><a:p><a:r><a:t>c11</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>c12</a:t></a:r></a:p></a:txBody></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>
</p:spTree></p:cSld></p:sld>"#;
        let s = shapes(xml, "ppt/slides/slide1.xml", &Limits::default(), false).unwrap();
        assert!(s.hidden);
        assert_eq!(s.text, "in a group\nc11\nc12\n");
        assert_eq!(s.alt, ["alt", "t"]);
        let cells: Vec<_> = s
            .regions
            .iter()
            .map(|r| (&s.text[r.range.clone()], r.info.cell.clone().unwrap()))
            .collect();
        assert_eq!(
            cells,
            [
                ("c11", "table 1, row 1, cell 1".to_string()),
                ("c12", "table 1, row 1, cell 2".to_string())
            ]
        );
        let master = r#"<p:sldMaster xmlns:p="p" xmlns:a="a"><p:sp><p:nvSpPr><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Click to edit</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:txBody><a:p><a:r><a:t>内部资料</a:t></a:r></a:p></p:txBody></p:sp></p:sldMaster>"#;
        let m = shapes(
            master.as_bytes(),
            "ppt/slideMasters/slideMaster1.xml",
            &Limits::default(),
            false,
        )
        .unwrap();
        assert_eq!(m.text, "内部资料\n");
    }

    #[test]
    fn threaded_comments_and_replies_have_authors() {
        let xml = r#"<p188:cmLst xmlns:p188="x" xmlns:a="a"><p188:cm id="{1}" authorId="{A}"><p188:txBody><a:p><a:r><a:t>主评论</a:t></a:r></a:p></p188:txBody><p188:replyLst><p188:reply id="{2}" authorId="{B}"><p188:txBody><a:p><a:r><a:t>回复</a:t></a:r></a:p></p188:txBody></p188:reply></p188:replyLst></p188:cm></p188:cmLst>"#;
        let authors: HashMap<String, String> =
            [("{A}".into(), "李四".into()), ("{B}".into(), "王五".into())].into();
        let mut out = Vec::new();
        comments(
            xml.as_bytes(),
            "ppt/comments/modernComment_1.xml",
            2,
            &authors,
            &Limits::default(),
            &mut out,
        )
        .unwrap();
        let got: Vec<_> = out
            .iter()
            .map(|s| {
                (
                    s.text.as_str(),
                    s.info.author.as_deref().unwrap(),
                    s.info.page,
                )
            })
            .collect();
        assert_eq!(
            got,
            [("回复", "王五", Some(2)), ("主评论", "李四", Some(2))]
        );
    }
}
