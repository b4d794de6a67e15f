//! Excel workbooks (.xlsx): cell comments (and their VML boxes and the
//! authors list), hidden rows, the cells of hidden columns, the contents of
//! hidden sheets, custom XML, the thumbnail, app.xml and every core
//! property but the title removed; personal data masked in shared strings,
//! inline strings and numbers (a mobile number stored as a number becomes
//! its masked text). Each sheet is one flow, one paragraph per row with the
//! cells separated by tabs, as baomi-extract reads it, so a hotword in the
//! next cell counts; a removed paragraph is an emptied row.

use crate::docx::core_properties;
use crate::flow::{apply, Flow};
use crate::package::{resolve, Package};
use crate::xmltree::{Doc, Elem, Node};
use crate::{Action, Context, RedactError, Redactor};
use std::collections::BTreeMap;
use std::ops::Range;

pub(crate) struct Xlsx;

/// Replacements of byte ranges of one text.
type Edits = Vec<(Range<usize>, String)>;

/// Where an edited text lives.
#[derive(Clone)]
enum Target {
    /// A `t` of shared string `si` (path below the `si`).
    Shared(usize, Vec<usize>),
    /// A `t` of an inline string (path from the sheet root).
    Inline(Vec<usize>),
    /// The `v` of a numeric cell (path of the `c`).
    Number(Vec<usize>),
}

impl Redactor for Xlsx {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let mut pkg = Package::open(input, "xlsx", ctx)?;
        let Some(book) = pkg.xml("xl/workbook.xml", ctx)? else {
            return Err(RedactError::Malformed(
                "xlsx: xl/workbook.xml is missing".into(),
            ));
        };
        for name in pkg.names() {
            let remove = (name.starts_with("xl/comments") && name.ends_with(".xml"))
                || name.starts_with("xl/threadedComments/")
                || name.starts_with("xl/persons/")
                || (name.starts_with("xl/drawings/vmlDrawing") && name.ends_with(".vml"))
                || name.starts_with("customXml/")
                || name.starts_with("docProps/thumbnail")
                || name == "docProps/custom.xml"
                || name == "docProps/app.xml";
            if remove {
                pkg.remove(&name, ctx);
            }
        }
        if pkg.get("docProps/core.xml").is_some() {
            core_properties(&mut pkg, "docProps/core.xml", ctx)?;
        }
        // Sheets: (part, name, hidden).
        let rels = pkg.xml("xl/_rels/workbook.xml.rels", ctx)?;
        let target_of = |id: &str| {
            rels.as_ref().and_then(|r| {
                r.root
                    .elems()
                    .find(|e| e.attr("Id").as_deref() == Some(id))
                    .and_then(|e| e.attr("Target"))
                    .map(|t| resolve("xl", &t))
            })
        };
        let sheets: Vec<(String, String, bool)> = book
            .root
            .child("sheets")
            .map(|s| {
                s.elems()
                    .filter(|e| e.local() == "sheet")
                    .filter_map(|e| {
                        let part = target_of(&e.attr("id")?)?;
                        let hidden =
                            matches!(e.attr("state").as_deref(), Some("hidden" | "veryHidden"));
                        Some((part, e.attr("name").unwrap_or_default(), hidden))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut strings = pkg.xml("xl/sharedStrings.xml", ctx)?;
        let mut shared_edits: BTreeMap<(usize, Vec<usize>), Edits> = BTreeMap::new();
        let mut used: std::collections::HashSet<usize> = Default::default();
        for (part, name, hidden) in sheets {
            let Some(mut doc) = pkg.xml(&part, ctx)? else {
                continue;
            };
            clean_sheet(&mut doc, &part, &name, hidden, strings.as_ref(), ctx);
            let mut flow = Flow::new();
            let mut targets: Vec<Target> = Vec::new();
            let mut rows: Vec<Vec<usize>> = Vec::new();
            collect_sheet(&doc, strings.as_ref(), &mut flow, &mut targets, &mut rows);
            used.extend(shared_in(&doc));
            let edits = ctx.process(&flow, &part);
            let mut local: BTreeMap<usize, Vec<(Range<usize>, String)>> = BTreeMap::new();
            for (node, r, s) in edits.text {
                match &targets[node] {
                    Target::Shared(si, path) => shared_edits
                        .entry((*si, path.clone()))
                        .or_default()
                        .push((r, s)),
                    _ => local.entry(node).or_default().push((r, s)),
                }
            }
            for (node, e) in local {
                match &targets[node] {
                    Target::Inline(path) => {
                        if let Some(t) = at_mut(&mut doc.root, path) {
                            let mut text = t.text();
                            apply(&mut text, dedupe(e));
                            t.children = vec![Node::Text(text)];
                        }
                    }
                    Target::Number(path) => {
                        if let Some(c) = at_mut(&mut doc.root, path) {
                            let mut text = c.child("v").map(|v| v.text()).unwrap_or_default();
                            apply(&mut text, dedupe(e));
                            number_to_text(c, &text);
                        }
                    }
                    Target::Shared(..) => {}
                }
            }
            for id in edits.removed_paragraphs {
                if let Some(row) = rows.get(id).and_then(|p| at_mut(&mut doc.root, p)) {
                    row.children.clear();
                }
            }
            pkg.set(&part, doc.to_bytes());
        }
        if let Some(doc) = strings.as_mut() {
            let items: Vec<&mut Elem> = doc
                .root
                .children
                .iter_mut()
                .filter_map(|n| match n {
                    Node::Elem(e) if e.local() == "si" => Some(e),
                    _ => None,
                })
                .collect();
            let mut items = items;
            // A string no cell uses any more (it was in a hidden row,
            // column or sheet, or a removed paragraph) must not stay in
            // the file: emptied, so that the others keep their numbers.
            for (i, item) in items.iter_mut().enumerate() {
                if !used.contains(&i) {
                    item.children = vec![Node::Elem(Elem::new(&format!("{}t", prefix_of(item))))];
                }
            }
            for ((si, path), e) in shared_edits {
                if let Some(t) = items.get_mut(si).and_then(|s| at_mut(s, &path)) {
                    let mut text = t.text();
                    apply(&mut text, dedupe(e));
                    t.children = vec![Node::Text(text)];
                }
            }
            pkg.set("xl/sharedStrings.xml", doc.to_bytes());
        }
        pkg.fix_ooxml_references(ctx)?;
        pkg.write()
    }
}

/// The shared strings the cells of a sheet use.
fn shared_in(doc: &Doc) -> Vec<usize> {
    let mut out = Vec::new();
    for data in doc.root.elems().filter(|e| e.local() == "sheetData") {
        for row in data.elems() {
            for c in row.elems() {
                if c.attr("t").as_deref() == Some("s") {
                    if let Some(i) = c.child("v").and_then(|v| v.text().trim().parse().ok()) {
                        out.push(i);
                    }
                }
            }
        }
    }
    out
}

fn prefix_of(e: &Elem) -> String {
    e.name()
        .rsplit_once(':')
        .map(|(p, _)| format!("{p}:"))
        .unwrap_or_default()
}

/// One edit per place: a shared string used in several cells gets the
/// same mask from each; overlapping different ones keep the first (the
/// rescan finds anything left).
fn dedupe(mut e: Vec<(Range<usize>, String)>) -> Vec<(Range<usize>, String)> {
    e.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out: Vec<(Range<usize>, String)> = Vec::new();
    for (r, s) in e {
        if out.last().is_some_and(|(l, _)| r.start < l.end) {
            continue;
        }
        out.push((r, s));
    }
    out
}

fn at_mut<'a>(mut e: &'a mut Elem, path: &[usize]) -> Option<&'a mut Elem> {
    for &i in path {
        match e.children.get_mut(i) {
            Some(Node::Elem(c)) => e = c,
            _ => return None,
        }
    }
    Some(e)
}

/// A numeric cell holding personal data (a mobile number typed as a
/// number) becomes an inline string with the masked text; its reference
/// and style stay.
fn number_to_text(c: &mut Elem, text: &str) {
    c.edit_attrs(|k, v| (k != "t").then(|| v.to_string()));
    c.push_attr("t", "inlineStr");
    let prefix = c
        .name()
        .rsplit_once(':')
        .map(|(p, _)| format!("{p}:"))
        .unwrap_or_default();
    let mut t = Elem::new(&format!("{prefix}t"));
    t.children.push(Node::Text(text.to_string()));
    let mut is = Elem::new(&format!("{prefix}is"));
    is.children.push(Node::Elem(t));
    c.children = vec![Node::Elem(is)];
}

fn is_true(v: Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true"))
}

fn column_of(reference: &str) -> Option<u32> {
    let letters: String = reference
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if letters.is_empty() {
        return None;
    }
    Some(letters.bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    }))
}

/// Hidden rows go, cells of hidden columns go, a hidden sheet is emptied;
/// the VML comment boxes' anchor (`legacyDrawing`) goes with them.
fn clean_sheet(
    doc: &mut Doc,
    part: &str,
    name: &str,
    hidden: bool,
    strings: Option<&Doc>,
    ctx: &mut Context<'_>,
) {
    let si: Vec<&Elem> = strings
        .map(|s| s.root.elems().filter(|e| e.local() == "si").collect())
        .unwrap_or_default();
    // What a cell shows (its shared string, not the string's number).
    let shown = |cell: &Elem| -> String {
        if cell.attr("t").as_deref() == Some("s") {
            cell.child("v")
                .and_then(|v| v.text().trim().parse::<usize>().ok())
                .and_then(|i| si.get(i))
                .map(|s| s.text())
                .unwrap_or_default()
        } else {
            cell.text()
        }
    };
    let row_text = |row: &Elem| -> String { row.elems().map(&shown).collect::<Vec<_>>().join(" ") };
    let cols: Vec<(u32, u32)> = doc
        .root
        .child("cols")
        .map(|c| {
            c.elems()
                .filter(|e| is_true(e.attr("hidden")))
                .filter_map(|e| Some((e.attr("min")?.parse().ok()?, e.attr("max")?.parse().ok()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut records: Vec<(String, String)> = Vec::new();
    doc.root
        .children
        .retain(|n| !matches!(n, Node::Elem(e) if e.local() == "legacyDrawing"));
    for n in doc.root.children.iter_mut() {
        let Node::Elem(data) = n else { continue };
        if data.local() != "sheetData" {
            continue;
        }
        if hidden {
            if !data.children.is_empty() {
                let text: Vec<String> = data.elems().map(&row_text).collect();
                records.push((format!("hidden sheet {name}"), text.join(" ")));
            }
            data.children.clear();
            continue;
        }
        data.children.retain_mut(|r| {
            let Node::Elem(row) = r else { return true };
            if is_true(row.attr("hidden")) {
                records.push((
                    format!("hidden row {}", row.attr("r").unwrap_or_default()),
                    row_text(row),
                ));
                return false;
            }
            row.children.retain(|c| match c {
                Node::Elem(cell) => {
                    let col = cell.attr("r").as_deref().and_then(column_of);
                    let gone = col.is_some_and(|c| cols.iter().any(|&(a, b)| a <= c && c <= b));
                    if gone {
                        records.push((
                            format!("hidden column cell {}", cell.attr("r").unwrap_or_default()),
                            shown(cell),
                        ));
                    }
                    !gone
                }
                _ => true,
            });
            true
        });
    }
    for (what, text) in records {
        ctx.record(part, what, Action::RemovedHidden, &text);
    }
}

/// The sheet as baomi-extract reads it: a line per row with cells, tab
/// separated; shared strings by index.
fn collect_sheet(
    doc: &Doc,
    strings: Option<&Doc>,
    flow: &mut Flow,
    targets: &mut Vec<Target>,
    rows: &mut Vec<Vec<usize>>,
) {
    let si: Vec<&Elem> = strings
        .map(|s| s.root.elems().filter(|e| e.local() == "si").collect())
        .unwrap_or_default();
    for (di, n) in doc.root.children.iter().enumerate() {
        let Node::Elem(data) = n else { continue };
        if data.local() != "sheetData" {
            continue;
        }
        for (ri, r) in data.children.iter().enumerate() {
            let Node::Elem(row) = r else { continue };
            if row.local() != "row" {
                continue;
            }
            let mut any = false;
            for (ci, c) in row.children.iter().enumerate() {
                let Node::Elem(cell) = c else { continue };
                if cell.local() != "c" {
                    continue;
                }
                let path = vec![di, ri, ci];
                let kind = cell.attr("t").unwrap_or_default();
                let mut pieces: Vec<(Target, String)> = Vec::new();
                match kind.as_str() {
                    "s" => {
                        let idx = cell
                            .child("v")
                            .and_then(|v| v.text().trim().parse::<usize>().ok());
                        if let Some((i, s)) = idx.and_then(|i| si.get(i).map(|s| (i, s))) {
                            texts(s, &mut Vec::new(), &mut |p, t| {
                                pieces.push((Target::Shared(i, p), t))
                            });
                        }
                    }
                    "inlineStr" => {
                        let is = cell
                            .children
                            .iter()
                            .position(|n| matches!(n, Node::Elem(e) if e.local() == "is"));
                        if let Some(Node::Elem(ise)) = is.and_then(|i| cell.children.get(i)) {
                            let mut p = path.clone();
                            p.extend(is);
                            texts(ise, &mut p, &mut |p, t| pieces.push((Target::Inline(p), t)));
                        }
                    }
                    "b" | "e" => {}
                    _ => {
                        if let Some(v) = cell.child("v") {
                            pieces.push((Target::Number(path.clone()), v.text()));
                        }
                    }
                }
                let shown: String = pieces.iter().map(|(_, t)| t.as_str()).collect();
                if shown.trim().is_empty() {
                    continue;
                }
                if any {
                    flow.push_fixed("\t");
                }
                any = true;
                for (t, text) in pieces {
                    let id = targets.len();
                    targets.push(t);
                    flow.push_node(id, &text);
                }
            }
            if any {
                let id = rows.len();
                rows.push(vec![di, ri]);
                flow.end_paragraph(id);
            }
        }
    }
}

/// The `t` texts below a string item, phonetic guides (`rPh`) skipped,
/// with their paths relative to `e`.
fn texts(e: &Elem, path: &mut Vec<usize>, f: &mut dyn FnMut(Vec<usize>, String)) {
    for (i, n) in e.children.iter().enumerate() {
        let Node::Elem(c) = n else { continue };
        path.push(i);
        match c.local() {
            "t" => f(path.clone(), c.text()),
            "rPh" | "phoneticPr" => {}
            _ => texts(c, path, f),
        }
        path.pop();
    }
}
