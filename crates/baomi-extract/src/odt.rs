//! OpenDocument text (.odt): body and tables, tracked changes (deleted text
//! is kept in `text:tracked-changes` and put back where its `text:change`
//! mark stands), annotations, footnotes and endnotes, text boxes, hidden
//! text and sections, headers and footers of the page styles, and meta.xml.

use crate::story::{Run, Story};
use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::{HashMap, HashSet};

const FORMAT: &str = "odt";

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut ex = Extracted::default();
    let mut hidden_styles = HashSet::new();
    let styles = archive.read("styles.xml")?;
    if let Some(xml) = &styles {
        collect_hidden_styles(xml, "styles.xml", limits, &mut hidden_styles)?;
    }
    let Some(content) = archive.read("content.xml")? else {
        return Err(ExtractError::Malformed {
            format: FORMAT,
            message: "content.xml is missing".into(),
        });
    };
    collect_hidden_styles(&content, "content.xml", limits, &mut hidden_styles)?;
    parse(
        &content,
        "content.xml",
        &hidden_styles,
        limits,
        &mut ex.segments,
    )?;
    if let Some(xml) = &styles {
        parse(xml, "styles.xml", &hidden_styles, limits, &mut ex.segments)?;
    }
    if let Some(xml) = archive.read("meta.xml")? {
        ex.title = crate::props::collect(&xml, FORMAT, "meta.xml", limits, &mut ex.segments)?;
    }
    objects_and_settings(archive, limits, &mut ex)?;
    crate::markup::sweep(archive, FORMAT, &mut ex)?;
    ex.record_parts();
    Ok(ex)
}

/// Embedded objects (`Object N/`: charts, formulas, embedded documents —
/// their text as `embedded`, their `meta.xml` as metadata), binary OLE
/// objects (gaps), and the string settings of `settings.xml` (printer and
/// data-source names; `metadata`).
fn objects_and_settings(
    archive: &mut Archive<'_>,
    limits: &Limits,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let names: Vec<String> = archive.names().to_vec();
    for name in &names {
        let Some(rest) = name.strip_prefix("Object ") else {
            if name == "settings.xml" {
                settings(archive, name, limits, ex)?;
            }
            continue;
        };
        match rest.split_once('/') {
            None => {
                archive.consume(name);
                ex.coverage.gap(format!(
                    "embedded object {name} (an OLE object of another program) was not read: open it and scan it separately"
                ));
            }
            Some((_, "content.xml")) => crate::markup::read_part(
                archive,
                FORMAT,
                name,
                Part::Embedded,
                " (embedded object)",
                ex,
            )?,
            Some((_, "meta.xml")) => {
                if let Some(xml) = archive.read(name)? {
                    crate::props::collect(&xml, FORMAT, name, limits, &mut ex.segments)?;
                }
            }
            Some((_, "settings.xml")) => settings(archive, name, limits, ex)?,
            _ => {}
        }
    }
    Ok(())
}

/// `config:config-item`s of type string with a value, as metadata.
fn settings(
    archive: &mut Archive<'_>,
    name: &str,
    limits: &Limits,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let Some(xml) = archive.read(name)? else {
        return Ok(());
    };
    let mut item: Option<(String, String)> = None;
    walk(&xml, FORMAT, name, limits, |ev| {
        match ev {
            Ev::Start(e) if local(e) == b"config-item" => {
                item = (attr(e, b"type").as_deref() == Some("string"))
                    .then(|| (attr(e, b"name").unwrap_or_default(), String::new()));
            }
            Ev::Text(t) => {
                if let Some((_, v)) = item.as_mut().filter(|i| i.1.len() < 1 << 20) {
                    v.push_str(t);
                }
            }
            Ev::End(b"config-item") => {
                if let Some((key, value)) = item.take().filter(|i| !i.1.trim().is_empty()) {
                    ex.segments.push(Segment::new(
                        SegmentInfo {
                            detail: Some(format!("{name}: {key}")),
                            ..SegmentInfo::new(Part::Metadata)
                        },
                        value.trim().replace(['\r', '\n'], " "),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    })
}

/// Names of text and paragraph styles that hide their text
/// (`text:display="none"`).
fn collect_hidden_styles(
    xml: &[u8],
    name: &str,
    limits: &Limits,
    out: &mut HashSet<String>,
) -> Result<(), ExtractError> {
    let mut current: Option<String> = None;
    walk(xml, FORMAT, name, limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"style" => current = attr(e, b"name"),
                b"text-properties" if attr(e, b"display").as_deref() == Some("none") => {
                    if let Some(n) = &current {
                        out.insert(n.clone());
                    }
                }
                _ => {}
            },
            Ev::End(b"style") => current = None,
            _ => {}
        }
        Ok(())
    })
}

struct Table {
    number: u32,
    row: u32,
    cell: u32,
}

struct Open {
    story: Story,
    tables: Vec<Table>,
    table_count: u32,
    /// Element depth at which this story started (its end closes it).
    depth: usize,
    /// Document order of its start: an annotation ends before the body
    /// paragraph around it, but its findings should come after.
    order: usize,
}

/// A deletion recorded in `text:tracked-changes`.
#[derive(Default)]
struct Change {
    author: Option<String>,
    deleted: String,
    is_deletion: bool,
    placed: bool,
}

fn parse(
    xml: &[u8],
    name: &str,
    hidden_styles: &HashSet<String>,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut stack: Vec<(Vec<u8>, bool)> = Vec::new(); // (local name, hides its content)
    let mut open: Vec<Open> = Vec::new();
    let mut changes: HashMap<String, Change> = HashMap::new();
    let mut change: Option<String> = None; // inside text:changed-region
    let mut in_tracked = false;
    let mut in_change_info = false;
    let mut in_creator = false;
    let mut annotation_author: Option<String> = None;
    let mut inserted: Vec<Option<String>> = Vec::new();
    let mut skip = 0usize; // inside note citations, svg titles, …
    let mut boxes = 0u32;
    let mut notes = 0u32;
    let mut annotations = 0u32;
    let mut starts = 0usize;
    let mut finished: Vec<(usize, Segment)> = Vec::new();
    // Link targets (`xlink:href` outside the package) and the svg title or
    // description of frames being collected: (where, text).
    let mut links: Vec<(String, String)> = Vec::new();
    let mut alts: Vec<(String, String)> = Vec::new();
    let mut alt: Option<(String, String)> = None;
    let mut frames = 0u32;
    walk(xml, FORMAT, name, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                let depth = stack.len();
                starts += 1;
                let order = starts;
                let style_hidden =
                    attr(e, b"style-name").is_some_and(|s| hidden_styles.contains(&s));
                let hides = style_hidden
                    || attr(e, b"display").as_deref() == Some("none")
                    || l == b"hidden-paragraph"
                        && attr(e, b"is-hidden").as_deref() != Some("false");
                let new_story = |part: Part, detail: Option<String>| Open {
                    story: Story::new(SegmentInfo {
                        detail,
                        ..SegmentInfo::new(part)
                    }),
                    tables: Vec::new(),
                    table_count: 0,
                    depth,
                    order,
                };
                if let Some(href) = attr(e, b"href") {
                    let internal = href.starts_with('#')
                        || href.starts_with("Pictures/")
                        || href.starts_with("./Object ")
                        || href.starts_with("Object ");
                    if !internal && !href.trim().is_empty() {
                        let what = String::from_utf8_lossy(&l).into_owned();
                        links.push((format!("{what} link"), href));
                    }
                }
                if l == b"frame" {
                    frames += 1;
                }
                if skip > 0 {
                    skip += 1;
                    stack.push((l, hides));
                    return Ok(());
                }
                match l.as_slice() {
                    b"tracked-changes" => in_tracked = true,
                    b"changed-region" if in_tracked => {
                        let id = attr(e, b"id").unwrap_or_default();
                        changes.entry(id.clone()).or_default();
                        change = Some(id);
                    }
                    b"deletion" if in_tracked => {
                        if let Some(c) = change.as_ref().and_then(|id| changes.get_mut(id)) {
                            c.is_deletion = true;
                        }
                    }
                    b"change-info" => in_change_info = true,
                    b"creator" => in_creator = true,
                    b"text" if stack.last().is_some_and(|(p, _)| p == b"body") => {
                        open.push(new_story(Part::Body, None));
                    }
                    b"header" | b"header-left" | b"header-first" | b"footer" | b"footer-left"
                    | b"footer-first"
                        if stack.last().is_some_and(|(p, _)| p == b"master-page") =>
                    {
                        let part = if l.starts_with(b"header") {
                            Part::Header
                        } else {
                            Part::Footer
                        };
                        let detail = format!("styles.xml: {}", String::from_utf8_lossy(&l));
                        open.push(new_story(part, Some(detail)));
                    }
                    b"annotation" => {
                        annotations += 1;
                        annotation_author = None;
                        open.push(new_story(
                            Part::Comment,
                            Some(format!("annotation {annotations}")),
                        ));
                    }
                    b"note" => {
                        notes += 1;
                        let part = if attr(e, b"note-class").as_deref() == Some("endnote") {
                            Part::Endnote
                        } else {
                            Part::Footnote
                        };
                        let label = if part == Part::Endnote {
                            "endnote"
                        } else {
                            "footnote"
                        };
                        open.push(new_story(part, Some(format!("{label} {notes}"))));
                    }
                    b"text-box" => {
                        boxes += 1;
                        let base = open.last().map(|o| o.story.info().clone());
                        let part = base.as_ref().and_then(|b| b.part).unwrap_or(Part::Body);
                        open.push(new_story(part, Some(format!("text box {boxes}"))));
                    }
                    // Not document text: a footnote's number, a frame's
                    // svg title and description, an annotation's date.
                    b"note-citation" => skip = 1,
                    b"title" | b"desc" if stack.last().is_some_and(|(p, _)| p == b"frame") => {
                        skip = 1;
                        let what = format!("frame {frames} svg:{}", String::from_utf8_lossy(&l));
                        alt = Some((what, String::new()));
                    }
                    b"date" if stack.last().is_some_and(|(p, _)| p == b"annotation") => skip = 1,
                    b"change" if !in_tracked => {
                        let id = attr(e, b"change-id").unwrap_or_default();
                        // Each deletion is put back once: a file repeating
                        // one mark a million times must not multiply it.
                        if let Some(c) = changes.get_mut(&id).filter(|c| c.is_deletion && !c.placed)
                        {
                            c.placed = true;
                            let run = Run::Deleted(c.author.clone());
                            if let Some(o) = open.last_mut() {
                                o.story.push(c.deleted.trim(), &run);
                            }
                        }
                    }
                    b"change-start" if !in_tracked => {
                        let id = attr(e, b"change-id").unwrap_or_default();
                        inserted.push(changes.get(&id).and_then(|c| c.author.clone()));
                    }
                    b"change-end" if !in_tracked => {
                        inserted.pop();
                    }
                    b"s" => {
                        let n = attr(e, b"c")
                            .and_then(|c| c.parse::<usize>().ok())
                            .unwrap_or(1)
                            .min(64);
                        push(&mut open, &" ".repeat(n), &stack, &inserted);
                    }
                    b"tab" => push(&mut open, "\t", &stack, &inserted),
                    b"line-break" => push(&mut open, " ", &stack, &inserted),
                    b"hidden-text" => {
                        if let Some(v) = attr(e, b"string-value") {
                            if let Some(o) = open.last_mut() {
                                o.story.push(&v, &Run::Hidden);
                            }
                        }
                        skip = 1;
                    }
                    b"table" if !in_tracked => {
                        if let Some(o) = open.last_mut() {
                            o.table_count += 1;
                            let number = o.table_count;
                            o.tables.push(Table {
                                number,
                                row: 0,
                                cell: 0,
                            });
                        }
                    }
                    b"table-row" if !in_tracked => {
                        if let Some(t) = open.last_mut().and_then(|o| o.tables.last_mut()) {
                            t.row += 1;
                            t.cell = 0;
                        }
                    }
                    b"table-cell" | b"covered-table-cell" if !in_tracked => {
                        if let Some(o) = open.last_mut() {
                            if let Some(t) = o.tables.last_mut() {
                                t.cell += 1;
                                let label =
                                    format!("table {}, row {}, cell {}", t.number, t.row, t.cell);
                                o.story.begin_cell(label);
                            }
                        }
                    }
                    _ => {}
                }
                stack.push((l, hides));
            }
            Ev::End(l) => {
                let depth = stack.len().saturating_sub(1);
                stack.pop();
                if skip > 0 {
                    skip -= 1;
                    if skip == 0 {
                        if let Some(a) = alt.take().filter(|a| !a.1.trim().is_empty()) {
                            alts.push(a);
                        }
                    }
                    return Ok(());
                }
                match l {
                    b"tracked-changes" => in_tracked = false,
                    b"changed-region" => change = None,
                    b"change-info" => in_change_info = false,
                    b"creator" => in_creator = false,
                    b"p" | b"h" if in_tracked => {
                        if let Some(c) = change.as_ref().and_then(|id| changes.get_mut(id)) {
                            c.deleted.push(' ');
                        }
                    }
                    b"p" | b"h" => {
                        if let Some(o) = open.last_mut() {
                            o.story.end_paragraph();
                        }
                    }
                    b"table-cell" | b"covered-table-cell" if !in_tracked => {
                        if let Some(o) = open.last_mut() {
                            if !o.tables.is_empty() {
                                o.story.end_cell();
                            }
                        }
                    }
                    b"table-row" if !in_tracked => {
                        if let Some(o) = open.last_mut() {
                            if !o.tables.is_empty() {
                                o.story.end_row();
                            }
                        }
                    }
                    b"table" if !in_tracked => {
                        if let Some(o) = open.last_mut() {
                            o.tables.pop();
                        }
                    }
                    _ => {}
                }
                if open.last().is_some_and(|o| o.depth == depth) {
                    if let Some(mut o) = open.pop() {
                        if l == b"annotation" {
                            o.story.set_author(annotation_author.take());
                        }
                        let mut segs = Vec::new();
                        o.story.finish(&mut segs);
                        finished.extend(segs.into_iter().map(|s| (o.order, s)));
                    }
                }
            }
            Ev::Text(t) => {
                if skip > 0 {
                    if let Some((_, a)) = alt.as_mut().filter(|a| a.1.len() < 1 << 20) {
                        a.push_str(t);
                    }
                    return Ok(());
                }
                if in_tracked {
                    if let Some(c) = change.as_ref().and_then(|id| changes.get_mut(id)) {
                        if in_change_info {
                            if in_creator {
                                c.author.get_or_insert_with(String::new).push_str(t);
                            }
                        } else if c.deleted.len() < 1 << 20 {
                            c.deleted.push_str(t);
                        }
                    }
                    return Ok(());
                }
                if in_creator
                    && open
                        .last()
                        .is_some_and(|o| o.story.part() == Some(Part::Comment))
                {
                    annotation_author
                        .get_or_insert_with(String::new)
                        .push_str(t);
                    return Ok(());
                }
                push(&mut open, t, &stack, &inserted);
            }
        }
        Ok(())
    })?;
    while let Some(o) = open.pop() {
        let mut segs = Vec::new();
        o.story.finish(&mut segs);
        finished.extend(segs.into_iter().map(|s| (o.order, s)));
    }
    finished.sort_by_key(|(order, _)| *order);
    out.extend(finished.into_iter().map(|(_, s)| s));
    for (part, list) in [(Part::Hyperlink, links), (Part::AltText, alts)] {
        for (what, value) in list {
            let value = if part == Part::Hyperlink {
                crate::ooxml::percent_decode(&value)
            } else {
                value
            };
            out.push(Segment::new(
                SegmentInfo {
                    detail: Some(format!("{name}: {what}")),
                    ..SegmentInfo::new(part)
                },
                value.trim().replace(['\r', '\n'], " "),
            ));
        }
    }
    Ok(())
}

fn push(open: &mut [Open], text: &str, stack: &[(Vec<u8>, bool)], inserted: &[Option<String>]) {
    let Some(o) = open.last_mut() else { return };
    let hidden = stack.iter().any(|(_, h)| *h);
    let run = if hidden {
        Run::Hidden
    } else if let Some(author) = inserted.last() {
        Run::Inserted(author.clone())
    } else {
        Run::Normal
    };
    o.story.push(text, &run);
}
