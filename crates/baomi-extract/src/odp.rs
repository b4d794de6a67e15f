//! OpenDocument presentations (.odp, LibreOffice Impress, WPS): the same
//! parts and locations as .pptx (see `pptx`): slide text of every shape,
//! group and table (`page` = slide number), hidden slides (a drawing-page
//! style with `presentation:visibility="hidden"`), speaker notes
//! (`presentation:notes`), comments (`officeooo:annotation`, with
//! `dc:creator`), alt text (`svg:title`, `svg:desc`), hyperlink targets,
//! text that master pages put on every slide (placeholders skipped), and
//! meta.xml. Charts and embedded objects are coverage gaps.

use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Region, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashSet;

const FORMAT: &str = "odp";

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if let Some(manifest) = archive.read("META-INF/manifest.xml")? {
        if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
            return Err(ExtractError::Encrypted("OpenDocument presentation (.odp)"));
        }
    }
    let mut ex = Extracted::default();
    let Some(content) = archive.read("content.xml")? else {
        return Err(ExtractError::Malformed {
            format: FORMAT,
            message: "content.xml is missing; open and re-save the presentation".into(),
        });
    };
    let hidden = crate::ods::hidden_styles(
        &content,
        FORMAT,
        limits,
        b"drawing-page-properties",
        b"visibility",
        "hidden",
    )?;
    pages(&content, "content.xml", &hidden, limits, &mut ex.segments)?;
    declared_headers_footers(&content, limits, &mut ex.segments)?;
    if let Some(xml) = archive.read("styles.xml")? {
        pages(&xml, "styles.xml", &hidden, limits, &mut ex.segments)?;
    }
    if let Some(xml) = archive.read("meta.xml")? {
        ex.title = crate::props::collect(&xml, FORMAT, "meta.xml", limits, &mut ex.segments)?;
    }
    crate::ods::note_objects_and_pictures(archive.names(), &mut ex);
    ex.record_parts();
    Ok(ex)
}

/// Where text being read goes.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    Slide,
    Notes,
    Comment,
    Creator,
    Alt,
    Skip,
}

#[derive(Default)]
struct Page {
    number: u32,
    master: Option<String>,
    hidden: bool,
    text: String,
    regions: Vec<Region>,
    notes: String,
    alt: Vec<String>,
    links: Vec<String>,
    comments: Vec<(String, String)>,
}

/// The slides (`draw:page`) of content.xml or the master pages of
/// styles.xml, as segments.
fn pages(
    xml: &[u8],
    part: &str,
    hidden_styles: &HashSet<String>,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut page: Option<Page> = None;
    let mut number = 0u32;
    let mut sink = Sink::Skip;
    let mut stack: Vec<Sink> = Vec::new();
    let (mut comment, mut author) = (String::new(), String::new());
    let (mut tables, mut row, mut col, mut cell_start) = (0u32, 0u32, 0u32, None::<usize>);
    walk(xml, FORMAT, part, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let name = local(e);
                stack.push(sink);
                match name.as_slice() {
                    b"page" if page.is_none() => {
                        number += 1;
                        page = Some(Page {
                            number,
                            hidden: attr(e, b"style-name")
                                .is_some_and(|s| hidden_styles.contains(&s)),
                            ..Page::default()
                        });
                        sink = Sink::Slide;
                        tables = 0;
                    }
                    b"master-page" if page.is_none() => {
                        page = Some(Page {
                            master: Some(attr(e, b"name").unwrap_or_default()),
                            ..Page::default()
                        });
                        sink = Sink::Slide;
                    }
                    _ if page.is_none() => {}
                    // Master-page placeholders hold prompts, not text.
                    _ if page.as_ref().is_some_and(|p| p.master.is_some())
                        && attr(e, b"class").is_some() =>
                    {
                        sink = Sink::Skip;
                    }
                    b"notes" => sink = Sink::Notes,
                    b"page-thumbnail" => sink = Sink::Skip,
                    b"annotation" => {
                        comment.clear();
                        author.clear();
                        sink = Sink::Comment;
                    }
                    b"creator" if sink == Sink::Comment => sink = Sink::Creator,
                    b"date" if sink == Sink::Comment => sink = Sink::Skip,
                    b"title" | b"desc" if sink == Sink::Slide => {
                        sink = Sink::Alt;
                        if let Some(p) = page.as_mut() {
                            p.alt.push(String::new());
                        }
                    }
                    b"a" => {
                        if let (Some(p), Some(href)) = (page.as_mut(), attr(e, b"href")) {
                            if p.links.len() < 10_000 {
                                p.links.push(href);
                            }
                        }
                    }
                    b"table" if sink == Sink::Slide => {
                        tables += 1;
                        row = 0;
                    }
                    b"table-row" if sink == Sink::Slide => {
                        row += 1;
                        col = 0;
                    }
                    b"table-cell" if sink == Sink::Slide => {
                        col += 1;
                        cell_start = page.as_ref().map(|p| p.text.len());
                    }
                    b"s" | b"tab" | b"line-break" => push(&mut page, &mut comment, sink, " "),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if sink == Sink::Creator {
                    if author.len() < 1024 {
                        author.push_str(t);
                    }
                } else {
                    push(&mut page, &mut comment, sink, t);
                }
            }
            Ev::End(name) => {
                let closing = sink;
                sink = stack.pop().unwrap_or(Sink::Skip);
                match name {
                    b"p" | b"h" => push(&mut page, &mut comment, closing, "\n"),
                    b"table-cell" if closing == Sink::Slide => {
                        if let (Some(p), Some(start)) = (page.as_mut(), cell_start.take()) {
                            let end = p.text.trim_end_matches('\n').len().max(start);
                            if end > start {
                                p.regions.push(Region {
                                    range: start..end,
                                    info: SegmentInfo {
                                        cell: Some(format!(
                                            "table {tables}, row {row}, cell {col}"
                                        )),
                                        ..SegmentInfo::default()
                                    },
                                });
                            }
                        }
                    }
                    b"annotation" if closing == Sink::Comment => {
                        if let Some(p) = page.as_mut() {
                            let text = comment.trim().to_string();
                            if !text.is_empty() {
                                p.comments.push((author.trim().to_string(), text));
                            }
                        }
                    }
                    b"page" | b"master-page" if stack.is_empty() || sink == Sink::Skip => {
                        if let Some(p) = page.take() {
                            emit(p, out);
                        }
                        sink = Sink::Skip;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

fn push(page: &mut Option<Page>, comment: &mut String, sink: Sink, t: &str) {
    let Some(p) = page.as_mut() else { return };
    let target = match sink {
        Sink::Slide => &mut p.text,
        Sink::Notes => &mut p.notes,
        Sink::Comment => comment,
        Sink::Alt => match p.alt.last_mut() {
            Some(a) => a,
            None => return,
        },
        Sink::Creator | Sink::Skip => return,
    };
    if t == "\n" && (target.is_empty() || target.ends_with('\n')) {
        return;
    }
    if target.len() < 64 << 20 {
        target.push_str(t);
    }
}

fn emit(p: Page, out: &mut Vec<Segment>) {
    let (label, page_no) = match &p.master {
        Some(m) => (
            format!("master page {m} (on every slide that uses it)"),
            None,
        ),
        None if p.hidden => (format!("slide {} (hidden slide)", p.number), Some(p.number)),
        None => (format!("slide {}", p.number), Some(p.number)),
    };
    let at = |detail: String, part: Part| SegmentInfo {
        part: Some(part),
        page: page_no,
        detail: Some(detail),
        ..SegmentInfo::default()
    };
    let body = if p.hidden { Part::Hidden } else { Part::Body };
    if !p.text.trim().is_empty() {
        let mut seg = Segment::new(at(label.clone(), body), p.text);
        seg.regions = p.regions;
        seg.paragraph_lines = true;
        out.push(seg);
    }
    let lines = |v: Vec<String>| {
        v.into_iter()
            .map(|l| l.replace(['\r', '\n'], " ").trim().to_string())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (text, what) in [
        (p.notes.trim().to_string(), "speaker notes"),
        (lines(p.alt), "alt text"),
        (lines(p.links), "hyperlink target"),
    ] {
        if !text.is_empty() {
            let mut seg = Segment::new(at(format!("{label}: {what}"), Part::Hidden), text);
            seg.paragraph_lines = true;
            out.push(seg);
        }
    }
    for (author, text) in p.comments {
        out.push(Segment::new(
            SegmentInfo {
                author: (!author.is_empty()).then_some(author),
                ..at(format!("{label}: comment"), Part::Comment)
            },
            text,
        ));
    }
}

/// `presentation:header-decl` / `footer-decl`: header and footer text that
/// slides show through their page style.
fn declared_headers_footers(
    xml: &[u8],
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut current: Option<(Part, String, String)> = None;
    walk(xml, FORMAT, "content.xml", limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let part = match local(e).as_slice() {
                    b"header-decl" => Some(Part::Header),
                    b"footer-decl" => Some(Part::Footer),
                    _ => None,
                };
                if let Some(part) = part {
                    current = Some((part, attr(e, b"name").unwrap_or_default(), String::new()));
                }
            }
            Ev::Text(t) => {
                if let Some((_, _, text)) = current.as_mut() {
                    if text.len() < 1 << 20 {
                        text.push_str(t);
                    }
                }
            }
            Ev::End(b"header-decl" | b"footer-decl") => {
                if let Some((part, name, text)) = current.take() {
                    if !text.trim().is_empty() {
                        out.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("{name} (shown on the slides that use it)")),
                                ..SegmentInfo::new(part)
                            },
                            text.trim().to_string(),
                        ));
                    }
                }
            }
            Ev::End(_) => {}
        }
        Ok(())
    })
}
