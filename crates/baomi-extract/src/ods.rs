//! OpenDocument spreadsheets (.ods, LibreOffice Calc, WPS and others):
//! every sheet's cells — hidden sheets (a table style with
//! `table:display="false"`), hidden rows and columns
//! (`table:visibility="collapse"` or `"filter"`) too, marked `hidden` —
//! cell comments (`office:annotation`, with `dc:creator`), drawing text
//! and alt text on the sheets, page headers and footers (styles.xml), and
//! meta.xml. Locations are those of the .xlsx reader (see `grid`).
//!
//! Repeated rows and cells (`table:number-rows-repeated`,
//! `number-columns-repeated`) are never expanded: a repeated cell is read
//! once, at its first position, and only positions are advanced, so a
//! sheet declaring a million repeated rows costs nothing. (calamine, which
//! also reads .ods, expands repeats up to 100 million cells and exposes
//! neither comments nor hidden rows, columns or headers.)

use crate::grid::{cell_name, SheetText};
use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::HashSet;

const FORMAT: &str = "ods";

/// Most hidden-column ranges kept per sheet (more are merged into the last).
const MAX_HIDDEN_RANGES: usize = 10_000;

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if let Some(manifest) = archive.read("META-INF/manifest.xml")? {
        if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
            return Err(ExtractError::Encrypted("OpenDocument spreadsheet (.ods)"));
        }
    }
    let mut ex = Extracted::default();
    let Some(content) = archive.read("content.xml")? else {
        return Err(ExtractError::Malformed {
            format: FORMAT,
            message: "content.xml is missing; open and re-save the spreadsheet".into(),
        });
    };
    let hidden_tables = hidden_styles(
        &content,
        FORMAT,
        limits,
        b"table-properties",
        b"display",
        "false",
    )?;
    sheets(&content, &hidden_tables, limits, &mut ex.segments)?;
    if let Some(xml) = archive.read("styles.xml")? {
        headers_footers(&xml, limits, &mut ex.segments)?;
    }
    if let Some(xml) = archive.read("meta.xml")? {
        ex.title = crate::props::collect(&xml, FORMAT, "meta.xml", limits, &mut ex.segments)?;
    }
    note_objects_and_pictures(archive.names(), &mut ex);
    ex.record_parts();
    Ok(ex)
}

/// Names of the automatic styles in `xml` that hide what uses them: a
/// style whose `element` child has `attribute` = `value` (`table-properties`
/// `display="false"` hides a sheet, `drawing-page-properties`
/// `visibility="hidden"` a slide).
pub(crate) fn hidden_styles(
    xml: &[u8],
    format: &'static str,
    limits: &Limits,
    element: &[u8],
    attribute: &[u8],
    value: &str,
) -> Result<HashSet<String>, ExtractError> {
    let mut out = HashSet::new();
    let mut current: Option<String> = None;
    walk(xml, format, "content.xml", limits, |ev| {
        match ev {
            Ev::Start(e) => match local(e).as_slice() {
                b"style" => current = attr(e, b"name"),
                l if l == element && attr(e, attribute).as_deref() == Some(value) => {
                    if let Some(name) = &current {
                        out.insert(name.clone());
                    }
                }
                _ => {}
            },
            Ev::End(b"style") => current = None,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// OpenDocument spreadsheets and presentations do not read their embedded
/// objects and charts (`Object N/content.xml`: gaps) nor their pictures
/// (`Pictures/`: a note, replaced by the OCR pass).
pub(crate) fn note_objects_and_pictures(names: &[String], ex: &mut Extracted) {
    for name in names
        .iter()
        .filter(|n| n.starts_with("Object ") && n.ends_with("/content.xml"))
    {
        ex.coverage.gap(format!(
            "embedded object or chart {name} was not read: open it and scan it separately"
        ));
    }
    ex.note_unread_images(names.iter().filter(|n| n.starts_with("Pictures/")).count());
}

fn collapsed(e: &quick_xml::events::BytesStart<'_>) -> bool {
    attr(e, b"visibility").is_some_and(|v| v == "collapse" || v == "filter")
}

fn repeated(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> u64 {
    attr(e, name)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// Where text being read belongs.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    None,
    Cell,
    Annotation,
    Creator,
    /// Text outside cells: shapes, text boxes, alt text.
    Drawing,
}

struct Table {
    grid: SheetText,
    hidden: bool,
    name: String,
    /// Hidden column ranges (first, last), ascending.
    hidden_cols: Vec<(u64, u64)>,
    next_col_decl: u64,
    row: u64,
    row_hidden: bool,
    row_repeat: u64,
    col: u64,
    drawing: String,
}

impl Table {
    fn column_hidden(&self, col: u64) -> bool {
        let i = self.hidden_cols.partition_point(|&(_, last)| last < col);
        self.hidden_cols
            .get(i)
            .is_some_and(|&(first, _)| first <= col)
    }
}

fn sheets(
    xml: &[u8],
    hidden_styles: &HashSet<String>,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut table: Option<Table> = None;
    let mut sink = Sink::None;
    let mut sink_stack: Vec<Sink> = Vec::new();
    let (mut cell, mut cell_repeat, mut cell_fallback) = (String::new(), 1u64, None::<String>);
    let (mut note, mut author) = (String::new(), String::new());
    let mut notes: Vec<Segment> = Vec::new();
    let mut depth_in_table = 0usize;
    walk(xml, FORMAT, "content.xml", limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let name = local(e);
                sink_stack.push(sink);
                match name.as_slice() {
                    b"table" if table.is_none() => {
                        let sheet = attr(e, b"name").unwrap_or_default();
                        let hidden =
                            attr(e, b"style-name").is_some_and(|s| hidden_styles.contains(&s));
                        out.extend(crate::grid::sheet_name_segment(&sheet, hidden));
                        table = Some(Table {
                            grid: SheetText::new(&sheet),
                            hidden,
                            name: sheet,
                            hidden_cols: Vec::new(),
                            next_col_decl: 0,
                            row: 0,
                            row_hidden: false,
                            row_repeat: 1,
                            col: 0,
                            drawing: String::new(),
                        });
                        depth_in_table = 0;
                    }
                    _ if table.is_none() => {}
                    b"table-column" => {
                        let t = table.as_mut().expect("in a table");
                        let n = repeated(e, b"number-columns-repeated");
                        let first = t.next_col_decl;
                        let last = first.saturating_add(n - 1);
                        if collapsed(e) {
                            let full = t.hidden_cols.len() >= MAX_HIDDEN_RANGES;
                            match t.hidden_cols.last_mut() {
                                Some(prev) if full || prev.1.saturating_add(1) >= first => {
                                    prev.1 = last;
                                }
                                _ => t.hidden_cols.push((first, last)),
                            }
                        }
                        t.next_col_decl = last.saturating_add(1);
                    }
                    b"table-row" => {
                        let t = table.as_mut().expect("in a table");
                        t.row_hidden = collapsed(e);
                        t.row_repeat = repeated(e, b"number-rows-repeated");
                        t.col = 0;
                    }
                    b"table-cell" | b"covered-table-cell" if sink == Sink::None => {
                        cell.clear();
                        cell_repeat = repeated(e, b"number-columns-repeated");
                        cell_fallback = attr(e, b"string-value").or_else(|| attr(e, b"value"));
                        sink = Sink::Cell;
                    }
                    b"annotation" => {
                        note.clear();
                        author.clear();
                        sink = Sink::Annotation;
                    }
                    b"creator" if sink == Sink::Annotation => sink = Sink::Creator,
                    b"date" if sink == Sink::Annotation => sink = Sink::None,
                    b"shapes" | b"frame" | b"custom-shape" | b"rect" | b"text-box"
                        if sink == Sink::None =>
                    {
                        sink = Sink::Drawing;
                    }
                    b"s" | b"tab" | b"line-break" => {
                        push(&mut cell, &mut note, &mut table, sink, " ")
                    }
                    _ => {}
                }
                if table.is_some() {
                    depth_in_table += 1;
                }
            }
            Ev::Text(t) => {
                if sink == Sink::Creator {
                    if author.len() < 1024 {
                        author.push_str(t);
                    }
                } else {
                    push(&mut cell, &mut note, &mut table, sink, t);
                }
            }
            Ev::End(name) => {
                let closing = sink;
                sink = sink_stack.pop().unwrap_or(Sink::None);
                if matches!(name, b"p" | b"h") {
                    // Paragraphs of a cell, a note or a shape: one space apart.
                    push(&mut cell, &mut note, &mut table, closing, " ");
                }
                if let Some(t) = table.as_mut() {
                    depth_in_table = depth_in_table.saturating_sub(1);
                    match name {
                        b"table-cell" | b"covered-table-cell" if closing == Sink::Cell => {
                            let mut value = cell.trim().to_string();
                            if value.is_empty() {
                                value = cell_fallback.take().unwrap_or_default();
                            }
                            if !value.trim().is_empty() {
                                let hidden_col = t.column_hidden(t.col);
                                let reference = cell_ref(t.row, t.col);
                                t.grid.cell(&reference, &value, hidden_col);
                            }
                            t.col = t.col.saturating_add(cell_repeat);
                        }
                        b"annotation" => {
                            let text = note.trim();
                            if !text.is_empty() {
                                notes.push(Segment::new(
                                    SegmentInfo {
                                        part: Some(Part::Comment),
                                        cell: Some(format!(
                                            "{}!{}",
                                            t.name,
                                            cell_ref(t.row, t.col)
                                        )),
                                        author: (!author.trim().is_empty())
                                            .then(|| author.trim().to_string()),
                                        detail: Some(format!("sheet {}: comment", t.name)),
                                        ..SegmentInfo::default()
                                    },
                                    text.to_string(),
                                ));
                            }
                            note.clear();
                        }
                        b"table-row" => {
                            t.grid.end_row(t.row_hidden);
                            t.row = t.row.saturating_add(t.row_repeat);
                        }
                        b"table" if depth_in_table == 0 => {
                            let t = table.take().expect("in a table");
                            let part = if t.hidden { Part::Hidden } else { Part::Body };
                            let drawing = t.drawing.trim().to_string();
                            let name = t.name.clone();
                            if let Some(seg) = t.grid.finish(t.hidden) {
                                out.push(seg);
                            }
                            if !drawing.is_empty() {
                                out.push(Segment::new(
                                    SegmentInfo {
                                        detail: Some(format!("sheet {name}: drawing text")),
                                        ..SegmentInfo::new(part)
                                    },
                                    drawing,
                                ));
                            }
                            out.append(&mut notes);
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// A cell name, saturating at the largest sheet LibreOffice allows.
fn cell_ref(row: u64, col: u64) -> String {
    cell_name(
        u32::try_from(row).unwrap_or(u32::MAX - 1),
        u32::try_from(col).unwrap_or(u32::MAX - 1),
    )
}

/// Appends text to where it belongs, each part capped at 1 MiB.
fn push(cell: &mut String, note: &mut String, table: &mut Option<Table>, sink: Sink, t: &str) {
    let target = match sink {
        Sink::Cell => cell,
        Sink::Annotation => note,
        Sink::Drawing => match table.as_mut() {
            Some(tab) => &mut tab.drawing,
            None => return,
        },
        Sink::None | Sink::Creator => return,
    };
    if target.len() < crate::grid::MAX_CELL_BYTES {
        target.push_str(t);
    }
}

/// Headers and footers of the page styles in styles.xml (those shown:
/// `style:display="false"` ones are empty placeholders LibreOffice writes).
fn headers_footers(
    xml: &[u8],
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<(), ExtractError> {
    let mut page = String::new();
    let mut current: Option<(Part, String)> = None;
    let mut depth = 0usize;
    walk(xml, FORMAT, "styles.xml", limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let name = local(e);
                if current.is_some() {
                    depth += 1;
                    if matches!(name.as_slice(), b"s" | b"tab" | b"line-break") {
                        if let Some((_, text)) = current.as_mut() {
                            text.push(' ');
                        }
                    }
                    return Ok(());
                }
                match name.as_slice() {
                    b"master-page" => {
                        page = attr(e, b"display-name")
                            .or_else(|| attr(e, b"name"))
                            .unwrap_or_default()
                    }
                    n @ (b"header" | b"header-left" | b"header-first" | b"footer"
                    | b"footer-left" | b"footer-first") => {
                        let part = if n.starts_with(b"header") {
                            Part::Header
                        } else {
                            Part::Footer
                        };
                        current = Some((part, String::new()));
                        depth = 0;
                    }
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if let Some((_, text)) = current.as_mut() {
                    if text.len() < 1 << 20 {
                        text.push_str(t);
                    }
                }
            }
            Ev::End(name) => {
                if current.is_none() {
                    return Ok(());
                }
                if depth > 0 {
                    depth -= 1;
                    if name == b"p" {
                        if let Some((_, text)) = current.as_mut() {
                            text.push(' ');
                        }
                    }
                    return Ok(());
                }
                if let Some((part, text)) = current.take() {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !text.is_empty() {
                        out.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("page style {page}")),
                                ..SegmentInfo::new(part)
                            },
                            text,
                        ));
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}
