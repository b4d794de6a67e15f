//! Word (.docx, OOXML): every story of the document — body and tables,
//! headers, footers, footnotes, endnotes, comments, text boxes, building
//! blocks — with tracked changes and hidden runs, and the file properties.

use crate::markup;
use crate::story::{Run, Story};
use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashSet;

const FORMAT: &str = "docx";

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut ex = Extracted::default();
    let main = main_part(archive, limits)?;
    let Some(xml) = archive.read(&main)? else {
        return Err(ExtractError::Malformed {
            format: FORMAT,
            message: format!("the main document part {main} is missing"),
        });
    };
    let dir = main.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let styles = match archive.read(&format!("{prefix}styles.xml"))? {
        Some(xml) => hidden_styles(&xml, &format!("{prefix}styles.xml"), limits)?,
        None => HiddenStyles::default(),
    };
    parse_stories(
        &xml,
        &main,
        SegmentInfo::new(Part::Body),
        None,
        &styles,
        limits,
        &mut ex,
    )?;

    // Headers and footers, in numeric order (header1, header2, …).
    let mut others: Vec<(Part, String)> = Vec::new();
    for name in archive.names() {
        let Some(file) = name.strip_prefix(&prefix) else {
            continue;
        };
        if file.contains('/') {
            continue;
        }
        if file.starts_with("header") && file.ends_with(".xml") {
            others.push((Part::Header, name.clone()));
        } else if file.starts_with("footer") && file.ends_with(".xml") {
            others.push((Part::Footer, name.clone()));
        }
    }
    others.sort_by_key(|(p, n)| (*p, n.len(), n.clone()));
    for (part, name) in others {
        if let Some(xml) = archive.read(&name)? {
            let info = SegmentInfo {
                detail: Some(name.clone()),
                ..SegmentInfo::new(part)
            };
            parse_stories(&xml, &name, info, None, &styles, limits, &mut ex)?;
        }
    }
    for (file, part, container) in [
        ("footnotes.xml", Part::Footnote, &b"footnote"[..]),
        ("endnotes.xml", Part::Endnote, b"endnote"),
        ("comments.xml", Part::Comment, b"comment"),
    ] {
        let name = format!("{prefix}{file}");
        if let Some(xml) = archive.read(&name)? {
            parse_stories(
                &xml,
                &name,
                SegmentInfo::new(part),
                Some(container),
                &styles,
                limits,
                &mut ex,
            )?;
        }
    }
    // Building blocks (AutoText, Quick Parts) ship inside the file but are
    // never shown: hidden.
    let glossary = format!("{prefix}glossary/document.xml");
    if let Some(xml) = archive.read(&glossary)? {
        let info = SegmentInfo {
            detail: Some(format!("{glossary} (building blocks)")),
            ..SegmentInfo::new(Part::Hidden)
        };
        parse_stories(&xml, &glossary, info, None, &styles, limits, &mut ex)?;
    }

    // Document variables: invisible name/value pairs that office systems
    // use to store a document's 密级, 文号 or drafter.
    let settings = format!("{prefix}settings.xml");
    if let Some(xml) = archive.read(&settings)? {
        walk(&xml, FORMAT, &settings, limits, |ev| {
            if let Ev::Start(e) = ev {
                if local(e) == b"docVar" {
                    let name = attr(e, b"name").unwrap_or_default();
                    if let Some(value) = attr(e, b"val").filter(|v| !v.trim().is_empty()) {
                        ex.segments.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("{settings}: docVar \"{name}\"")),
                                ..SegmentInfo::new(Part::Metadata)
                            },
                            value,
                        ));
                    }
                }
            }
            Ok(())
        })?;
    }

    crate::ooxml::package_props(archive, FORMAT, &mut ex)?;

    // Parts outside the stories, by folder: charts (titles, series names,
    // categories and values as cached in the chart), shapes drawn on
    // charts, SmartArt data, custom XML data.
    let names: Vec<String> = archive.names().to_vec();
    let in_dir = |n: &str, dir: &str, start: &str| {
        n.strip_prefix(&prefix)
            .and_then(|f| f.strip_prefix(dir))
            .is_some_and(|f| !f.contains('/') && f.starts_with(start) && f.ends_with(".xml"))
    };
    for name in &names {
        if in_dir(name, "charts/", "chart") {
            markup::read_part(archive, FORMAT, name, Part::Body, " (chart)", &mut ex)?;
        } else if in_dir(name, "drawings/", "drawing") {
            markup::read_part(
                archive,
                FORMAT,
                name,
                Part::Body,
                " (shapes on a chart)",
                &mut ex,
            )?;
        }
    }
    smartart(archive, &prefix, &names, FORMAT, limits, &mut ex)?;
    crate::ooxml::custom_xml(archive, FORMAT, &mut ex)?;
    crate::ooxml::external_targets(archive, FORMAT, &mut ex)?;
    for name in &names {
        if name.starts_with(&format!("{prefix}embeddings/")) && !name.ends_with('/') {
            crate::ooxml::embedded(archive, name, &mut ex)?;
        }
    }
    markup::sweep(archive, FORMAT, &mut ex)?;
    ex.record_parts();
    Ok(ex)
}

/// SmartArt: the text of each diagram's data part, and of its drawing (the
/// shapes Word shows, a copy of the data) only where it says something the
/// data does not. Layouts, styles and colours hold no document text (the
/// sweep still checks them).
pub(crate) fn smartart(
    archive: &mut Archive<'_>,
    prefix: &str,
    names: &[String],
    format: &'static str,
    limits: &Limits,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let dir = format!("{prefix}diagrams/");
    let mut seen: HashSet<String> = HashSet::new();
    for pass in ["data", "drawing"] {
        for name in names {
            let is = name
                .strip_prefix(&dir)
                .is_some_and(|f| !f.contains('/') && f.starts_with(pass) && f.ends_with(".xml"));
            if !is {
                continue;
            }
            let Some(xml) = archive.read(name)? else {
                continue;
            };
            let mut pt = markup::text_of(&xml, format, name, limits)?;
            if pass == "data" {
                seen.extend(pt.text.lines().map(str::to_string));
            } else if pt.text.lines().all(|l| seen.contains(l)) {
                pt.text.clear();
            }
            markup::push(ex, name, Part::Body, " (SmartArt)", pt);
        }
    }
    Ok(())
}

/// Character and paragraph styles that hide their text (`w:vanish` in the
/// style's run properties).
#[derive(Default)]
struct HiddenStyles(HashSet<String>);

fn hidden_styles(xml: &[u8], name: &str, limits: &Limits) -> Result<HiddenStyles, ExtractError> {
    let mut out = HashSet::new();
    let mut current: Option<String> = None;
    let mut in_rpr = false;
    walk(xml, FORMAT, name, limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"style" => current = attr(e, b"styleId"),
                b"rPr" => in_rpr = true,
                b"vanish" if in_rpr => {
                    if let Some(id) = &current {
                        if !matches!(attr(e, b"val").as_deref(), Some("false" | "0" | "off")) {
                            out.insert(id.clone());
                        }
                    }
                }
                _ => {}
            },
            Ev::End(b"style") => current = None,
            Ev::End(b"rPr") => in_rpr = false,
            _ => {}
        }
        Ok(())
    })?;
    Ok(HiddenStyles(out))
}

/// The main document part named by `_rels/.rels`, or `word/document.xml`.
fn main_part(archive: &mut Archive<'_>, limits: &Limits) -> Result<String, ExtractError> {
    let mut target = None;
    if let Some(rels) = archive.read("_rels/.rels")? {
        walk(&rels, FORMAT, "_rels/.rels", limits, |ev| {
            if let Ev::Start(e) = ev {
                if local(e) == b"Relationship"
                    && attr(e, b"Type").is_some_and(|t| t.ends_with("/officeDocument"))
                    && target.is_none()
                {
                    target = attr(e, b"Target");
                }
            }
            Ok(())
        })?;
    }
    Ok(target
        .map(|t| t.trim_start_matches('/').to_string())
        .filter(|t| archive.contains(t))
        .unwrap_or_else(|| "word/document.xml".to_string()))
}

/// One table being read: its number in the story, current row and cell.
struct Table {
    number: u32,
    row: u32,
    cell: u32,
}

/// The story being built plus its table state.
struct Open {
    story: Story,
    tables: Vec<Table>,
    table_count: u32,
    /// Order in which the story started: a text box ends (and is finished)
    /// before the body around it, but its findings should come after.
    order: usize,
}

impl Open {
    fn new(info: SegmentInfo, order: &mut usize) -> Self {
        *order += 1;
        Open {
            story: Story::new(info),
            tables: Vec::new(),
            table_count: 0,
            order: *order,
        }
    }
}

/// Parses one WordprocessingML part. With `container` (`comment`,
/// `footnote`, …) each such element is its own story; otherwise the whole
/// part is one story. Text boxes are stories of their own.
fn parse_stories(
    xml: &[u8],
    name: &str,
    base: SegmentInfo,
    container: Option<&[u8]>,
    styles: &HiddenStyles,
    limits: &Limits,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut order = 0usize;
    if container.is_none() {
        open.push(Open::new(base.clone(), &mut order));
    }
    let mut inserted: Vec<Option<String>> = Vec::new();
    let mut deleted: Vec<Option<String>> = Vec::new();
    let mut run_hidden = false;
    let mut para_hidden = false;
    let mut in_text = false;
    let mut fallback = 0usize;
    let mut text_boxes = 0u32;
    let mut finished: Vec<(usize, Segment)> = Vec::new();
    let segments = &mut finished;
    // Alt text of images and shapes: (where, value); one drawing's
    // `wp:docPr` and `pic:cNvPr` usually repeat each other.
    let mut alts: Vec<(String, String)> = Vec::new();
    let mut drawing_alts: HashSet<String> = HashSet::new();
    let mut drawings = 0u32;
    walk(xml, FORMAT, name, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                if fallback > 0 || l == b"Fallback" {
                    // mc:Fallback repeats mc:Choice (e.g. a text box as VML):
                    // reading both would report everything twice.
                    fallback += 1;
                    stack.push(l);
                    return Ok(());
                }
                match l.as_slice() {
                    b"drawing" | b"pict" | b"object" => {
                        drawings += 1;
                        drawing_alts.clear();
                    }
                    // DrawingML (`wp:docPr`, `pic:cNvPr`) and VML
                    // (`v:shape alt`, `v:imagedata o:title`) alt text.
                    b"docPr" | b"cNvPr" | b"shape" | b"imagedata" => {
                        for key in [&b"descr"[..], b"title", b"alt"] {
                            if let Some(v) = attr(e, key).filter(|v| !v.trim().is_empty()) {
                                if drawing_alts.insert(v.clone()) {
                                    let key = String::from_utf8_lossy(key);
                                    alts.push((format!("drawing {drawings} {key}"), v));
                                }
                            }
                        }
                    }
                    // A simple field: its code (`w:instr`, hidden like
                    // `w:instrText`); its shown text is in its runs.
                    b"fldSimple" => {
                        if let Some(instr) = attr(e, b"instr").filter(|v| !v.trim().is_empty()) {
                            push(
                                &mut open,
                                &format!("{} ", instr.trim()),
                                &inserted,
                                &deleted,
                                true,
                            );
                        }
                    }
                    b"ins" | b"moveTo" => inserted.push(attr(e, b"author")),
                    b"del" | b"moveFrom" => deleted.push(attr(e, b"author")),
                    b"r" => run_hidden = false,
                    b"p" => para_hidden = false,
                    b"pStyle" if stack.last().is_some_and(|p| p == b"pPr") => {
                        para_hidden = attr(e, b"val").is_some_and(|v| styles.0.contains(&v));
                    }
                    b"rStyle"
                        if stack.last().is_some_and(|p| p == b"rPr")
                            && stack.len() >= 2
                            && stack[stack.len() - 2] == b"r" =>
                    {
                        run_hidden |= attr(e, b"val").is_some_and(|v| styles.0.contains(&v));
                    }
                    b"vanish" | b"specVanish"
                        if stack.last().is_some_and(|p| p == b"rPr")
                            && stack.len() >= 2
                            && stack[stack.len() - 2] == b"r" =>
                    {
                        run_hidden =
                            !matches!(attr(e, b"val").as_deref(), Some("false" | "0" | "off"));
                    }
                    b"t" | b"delText" | b"instrText" | b"delInstrText" => in_text = true,
                    b"tab" | b"ptab" if stack.last().is_some_and(|p| p == b"r") => push(
                        &mut open,
                        "\t",
                        &inserted,
                        &deleted,
                        run_hidden || para_hidden,
                    ),
                    b"br" | b"cr" if stack.last().is_some_and(|p| p == b"r") => push(
                        &mut open,
                        " ",
                        &inserted,
                        &deleted,
                        run_hidden || para_hidden,
                    ),
                    b"noBreakHyphen" => push(
                        &mut open,
                        "-",
                        &inserted,
                        &deleted,
                        run_hidden || para_hidden,
                    ),
                    b"softHyphen" => push(
                        &mut open,
                        "\u{ad}",
                        &inserted,
                        &deleted,
                        run_hidden || para_hidden,
                    ),
                    b"tbl" => {
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
                    b"tr" => {
                        if let Some(t) = open.last_mut().and_then(|o| o.tables.last_mut()) {
                            t.row += 1;
                            t.cell = 0;
                        }
                    }
                    b"tc" => {
                        if let Some(o) = open.last_mut() {
                            if let Some(t) = o.tables.last_mut() {
                                t.cell += 1;
                                let label =
                                    format!("table {}, row {}, cell {}", t.number, t.row, t.cell);
                                o.story.begin_cell(label);
                            }
                        }
                    }
                    b"txbxContent" => {
                        text_boxes += 1;
                        let mut info = base.clone();
                        let where_ = match &base.detail {
                            Some(d) => format!("{d}, text box {text_boxes}"),
                            None => format!("text box {text_boxes}"),
                        };
                        info.detail = Some(where_);
                        open.push(Open::new(info, &mut order));
                    }
                    _ if container == Some(l.as_slice()) && stack.len() == 1 => {
                        let kind = attr(e, b"type");
                        let id = attr(e, b"id").unwrap_or_default();
                        let label = String::from_utf8_lossy(&l).into_owned();
                        let mut info = base.clone();
                        info.author = attr(e, b"author");
                        info.detail = Some(format!("{label} {id}").trim().to_string());
                        let mut o = Open::new(info, &mut order);
                        if matches!(
                            kind.as_deref(),
                            Some("separator" | "continuationSeparator" | "continuationNotice")
                        ) {
                            // Separator lines, not text; mark so nothing is kept.
                            o.story = Story::new(SegmentInfo::default());
                        }
                        open.push(o);
                    }
                    _ => {}
                }
                stack.push(l);
            }
            Ev::End(l) => {
                stack.pop();
                if fallback > 0 {
                    fallback -= 1;
                    return Ok(());
                }
                match l {
                    b"ins" | b"moveTo" => {
                        inserted.pop();
                    }
                    b"del" | b"moveFrom" => {
                        deleted.pop();
                    }
                    b"t" | b"delText" | b"instrText" | b"delInstrText" => in_text = false,
                    b"p" => {
                        if let Some(o) = open.last_mut() {
                            o.story.end_paragraph();
                        }
                    }
                    b"tc" => {
                        if let Some(o) = open.last_mut() {
                            if !o.tables.is_empty() {
                                o.story.end_cell();
                            }
                        }
                    }
                    b"tr" => {
                        if let Some(o) = open.last_mut() {
                            if !o.tables.is_empty() {
                                o.story.end_row();
                            }
                        }
                    }
                    b"tbl" => {
                        if let Some(o) = open.last_mut() {
                            o.tables.pop();
                        }
                    }
                    b"txbxContent" => finish(&mut open, segments),
                    _ if container == Some(l) && stack.len() == 1 => finish(&mut open, segments),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if in_text && fallback == 0 {
                    let field_code = stack
                        .last()
                        .is_some_and(|n| n.ends_with(b"instrText") || n == b"delInstrText");
                    push(
                        &mut open,
                        t,
                        &inserted,
                        &deleted,
                        run_hidden || para_hidden || field_code,
                    );
                }
            }
        }
        Ok(())
    })?;
    while !open.is_empty() {
        finish(&mut open, segments);
    }
    finished.sort_by_key(|(order, _)| *order);
    ex.segments.extend(finished.into_iter().map(|(_, s)| s));
    markup::push_alts(ex, name, alts);
    Ok(())
}

fn push(
    open: &mut [Open],
    text: &str,
    inserted: &[Option<String>],
    deleted: &[Option<String>],
    hidden: bool,
) {
    let Some(o) = open.last_mut() else { return };
    let run = if let Some(author) = deleted.last() {
        Run::Deleted(author.clone())
    } else if hidden {
        Run::Hidden
    } else if let Some(author) = inserted.last() {
        Run::Inserted(author.clone())
    } else {
        Run::Normal
    };
    o.story.push(text, &run);
}

fn finish(open: &mut Vec<Open>, out: &mut Vec<(usize, Segment)>) {
    if let Some(o) = open.pop() {
        if o.story_info_is_kept() {
            let mut segs = Vec::new();
            o.story.finish(&mut segs);
            out.extend(segs.into_iter().map(|s| (o.order, s)));
        }
    }
}

impl Open {
    /// Separator "stories" (footnote separators) have no part and are dropped.
    fn story_info_is_kept(&self) -> bool {
        self.story.part().is_some()
    }
}
