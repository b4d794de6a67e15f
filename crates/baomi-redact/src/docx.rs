//! Word (.docx): hidden parts removed, visible text masked.
//!
//! Removed: comments (and their anchors), the authors list (people.xml),
//! tracked deletions and moves-from (insertions are accepted: their text
//! stays, the revision mark goes), formatting-change records, hidden runs
//! (`w:vanish`, also through a character or paragraph style), field codes
//! and alt texts that hold a finding, document variables, custom XML,
//! building blocks (glossary), the thumbnail, the extended properties
//! (app.xml: company, manager) and every core property but the title.
//! Masked: personal data in the body, tables, text boxes, headers,
//! footers, footnotes and endnotes, run by run (see [`crate::Flow`]).

use crate::flow::{apply, Flow};
use crate::package::Package;
use crate::xmltree::{Doc, Elem, Node};
use crate::{Action, Context, RedactError, Redactor};
use std::collections::{BTreeMap, HashSet};

pub(crate) struct Docx;

/// Parts removed whole, wherever the main part lives.
const REMOVED_IN_MAIN_DIR: &[&str] = &[
    "comments.xml",
    "commentsExtended.xml",
    "commentsIds.xml",
    "commentsExtensible.xml",
    "people.xml",
];

impl Redactor for Docx {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let mut pkg = Package::open(input, "docx", ctx)?;
        let (main, core) = package_parts(&pkg, ctx)?;
        if pkg.get(&main).is_none() {
            return Err(RedactError::Malformed(format!(
                "docx: the main document part {main} is missing"
            )));
        }
        let dir = main.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let hidden = match pkg.xml(&format!("{prefix}styles.xml"), ctx)? {
            Some(d) => hidden_styles(&d),
            None => HashSet::new(),
        };
        for name in pkg.names() {
            let in_dir = name.strip_prefix(&prefix).filter(|f| !f.contains('/'));
            let remove = in_dir.is_some_and(|f| REMOVED_IN_MAIN_DIR.contains(&f))
                || name.starts_with(&format!("{prefix}glossary/"))
                || name.starts_with("customXml/")
                || name.starts_with("docProps/thumbnail")
                || name == "docProps/custom.xml"
                || name == "docProps/app.xml";
            if remove {
                pkg.remove(&name, ctx);
            }
        }
        if let Some(core) = core {
            core_properties(&mut pkg, &core, ctx)?;
        }
        settings(&mut pkg, &format!("{prefix}settings.xml"), ctx)?;
        for name in pkg.names() {
            let story = name == main
                || name.strip_prefix(&prefix).is_some_and(|f| {
                    !f.contains('/')
                        && f.ends_with(".xml")
                        && ["header", "footer", "footnotes", "endnotes"]
                            .iter()
                            .any(|s| f.starts_with(s))
                });
            if story {
                redact_story(&mut pkg, &name, &hidden, ctx)?;
            }
        }
        pkg.fix_ooxml_references(ctx)?;
        pkg.write()
    }
}

/// The main document part and the core-properties part, from `_rels/.rels`.
fn package_parts(
    pkg: &Package,
    ctx: &Context<'_>,
) -> Result<(String, Option<String>), RedactError> {
    let mut main = None;
    let mut core = None;
    if let Some(rels) = pkg.xml("_rels/.rels", ctx)? {
        for r in rels.root.elems().filter(|e| e.local() == "Relationship") {
            let ty = r.attr("Type").unwrap_or_default();
            let target = crate::package::resolve("", &r.attr("Target").unwrap_or_default());
            if ty.ends_with("/officeDocument") && main.is_none() {
                main = Some(target);
            } else if ty.ends_with("/metadata/core-properties") {
                core = Some(target);
            }
        }
    }
    let core = core.or_else(|| {
        pkg.get("docProps/core.xml")
            .map(|_| "docProps/core.xml".into())
    });
    Ok((
        main.filter(|m| pkg.get(m).is_some())
            .unwrap_or_else(|| "word/document.xml".into()),
        core.filter(|c| pkg.get(c).is_some()),
    ))
}

/// Styles whose run properties hide their text.
fn hidden_styles(doc: &Doc) -> HashSet<String> {
    doc.root
        .elems()
        .filter(|s| s.local() == "style")
        .filter(|s| s.child("rPr").is_some_and(hides))
        .filter_map(|s| s.attr("styleId"))
        .collect()
}

/// Whether run properties say `vanish` (or `specVanish`) and mean it.
fn hides(rpr: &Elem) -> bool {
    rpr.elems().any(|e| {
        matches!(e.local(), "vanish" | "specVanish")
            && !matches!(e.attr("val").as_deref(), Some("false" | "0" | "off"))
    })
}

/// Keeps the title (unless asked not to, or it holds a finding) and drops
/// every other core property: author, last modified by, keywords,
/// subject, description, category, revision.
pub(crate) fn core_properties(
    pkg: &mut Package,
    name: &str,
    ctx: &mut Context<'_>,
) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml(name, ctx)? else {
        return Ok(());
    };
    let mut kept = Vec::new();
    for n in std::mem::take(&mut doc.root.children) {
        let Node::Elem(e) = n else { continue };
        let text = e.text();
        let keep = e.local() == "title"
            && !ctx.options.drop_title
            && ctx.scanner.scan(&text).findings.is_empty();
        if keep {
            kept.push(Node::Elem(e));
        } else if !text.trim().is_empty() {
            ctx.record(name, e.name(), Action::RemovedHidden, &text);
        }
    }
    doc.root.children = kept;
    pkg.set(name, doc.to_bytes());
    Ok(())
}

/// Document variables (`w:docVars`): invisible name/value pairs in which
/// office systems keep a document's 密级, 文号 or drafter.
fn settings(pkg: &mut Package, name: &str, ctx: &mut Context<'_>) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml(name, ctx)? else {
        return Ok(());
    };
    let before = doc.root.children.len();
    let mut records = Vec::new();
    doc.root.children.retain(|n| match n {
        Node::Elem(e) if e.local() == "docVars" => {
            for v in e.elems() {
                records.push(format!(
                    "{} = {}",
                    v.attr("name").unwrap_or_default(),
                    v.attr("val").unwrap_or_default()
                ));
            }
            false
        }
        _ => true,
    });
    for r in records {
        ctx.record(name, "docVar", Action::RemovedHidden, &r);
    }
    if doc.root.children.len() != before {
        pkg.set(name, doc.to_bytes());
    }
    Ok(())
}

/// Elements removed wherever they are: comment anchors, move ranges,
/// records of formatting changes (they keep the old formatting and the
/// reviser's name).
const DROPPED: &[&str] = &[
    "commentRangeStart",
    "commentRangeEnd",
    "commentReference",
    "moveFromRangeStart",
    "moveFromRangeEnd",
    "moveToRangeStart",
    "moveToRangeEnd",
    "rPrChange",
    "pPrChange",
    "sectPrChange",
    "tblPrChange",
    "tblGridChange",
    "trPrChange",
    "tcPrChange",
    "numberingChange",
    "cellIns",
    "cellDel",
    "cellMerge",
    "customXmlInsRangeStart",
    "customXmlInsRangeEnd",
    "customXmlDelRangeStart",
    "customXmlDelRangeEnd",
];

struct Cleaner<'h> {
    part: String,
    hidden: &'h HashSet<String>,
}

fn has_findings(ctx: &Context<'_>, text: &str) -> bool {
    !text.trim().is_empty() && !ctx.scanner.scan(text).findings.is_empty()
}

/// Removes what a reader does not see from the children of `e`.
fn clean(e: &mut Elem, cl: &Cleaner<'_>, ctx: &mut Context<'_>) {
    let children = std::mem::take(&mut e.children);
    let mut out = Vec::with_capacity(children.len());
    for n in children {
        let Node::Elem(mut c) = n else {
            out.push(n);
            continue;
        };
        match c.local() {
            "del" | "moveFrom" => {
                let text = c.text();
                if !text.trim().is_empty() {
                    let by = c.attr("author").unwrap_or_default();
                    ctx.record(
                        &cl.part,
                        format!("tracked deletion (by {by})"),
                        Action::RemovedHidden,
                        &text,
                    );
                }
                continue;
            }
            "ins" | "moveTo" => {
                if c.children.is_empty() {
                    continue;
                }
                clean(&mut c, cl, ctx);
                let text = c.text();
                if !text.trim().is_empty() {
                    let by = c.attr("author").unwrap_or_default();
                    ctx.changes.push(crate::Change {
                        part: cl.part.clone(),
                        location: format!("tracked insertion (by {by})"),
                        action: Action::AcceptedInsertion,
                        rule: None,
                        before: ctx.preview(&text),
                        after: ctx.preview(&text),
                    });
                }
                out.extend(c.children);
                continue;
            }
            l if DROPPED.contains(&l) => continue,
            "tr" if c.child("trPr").is_some_and(|p| p.child("del").is_some()) => {
                ctx.record(
                    &cl.part,
                    "deleted table row",
                    Action::RemovedHidden,
                    &c.text(),
                );
                continue;
            }
            "r" if c.child("rPr").is_some_and(|p| {
                hides(p)
                    || p.child("rStyle")
                        .and_then(|s| s.attr("val"))
                        .is_some_and(|v| cl.hidden.contains(&v))
            }) =>
            {
                let text = c.text();
                if !text.trim().is_empty() {
                    ctx.record(&cl.part, "hidden text", Action::RemovedHidden, &text);
                }
                continue;
            }
            "p" if c
                .child("pPr")
                .and_then(|p| p.child("pStyle"))
                .and_then(|s| s.attr("val"))
                .is_some_and(|v| cl.hidden.contains(&v)) =>
            {
                ctx.record(
                    &cl.part,
                    "hidden paragraph",
                    Action::RemovedHidden,
                    &c.text(),
                );
                c.children
                    .retain(|n| matches!(n, Node::Elem(p) if p.local() == "pPr"));
                out.push(Node::Elem(c));
                continue;
            }
            "fldSimple" if c.attr("instr").is_some_and(|i| has_findings(ctx, &i)) => {
                let instr = c.attr("instr").unwrap_or_default();
                ctx.record(&cl.part, "field code", Action::RemovedHidden, &instr);
                clean(&mut c, cl, ctx);
                out.extend(c.children);
                continue;
            }
            "instrText" if has_findings(ctx, &c.text()) => {
                ctx.record(&cl.part, "field code", Action::RemovedHidden, &c.text());
                c.children = vec![Node::Text(" ".into())];
                out.push(Node::Elem(c));
                continue;
            }
            _ => {}
        }
        // Alt text of pictures and shapes (DrawingML descr/title, VML alt/title).
        let mut dropped = Vec::new();
        for key in ["descr", "title", "alt"] {
            if let Some(v) = c.attr(key).filter(|v| has_findings(ctx, v)) {
                dropped.push((key, v));
            }
        }
        if !dropped.is_empty() {
            c.edit_attrs(|k, v| {
                let local = k.rsplit_once(':').map_or(k, |(_, l)| l);
                (!dropped.iter().any(|(d, _)| *d == local)).then(|| v.to_string())
            });
            for (key, v) in dropped {
                ctx.record(
                    &cl.part,
                    format!("alt text ({key})"),
                    Action::RemovedHidden,
                    &v,
                );
            }
        }
        clean(&mut c, cl, ctx);
        out.push(Node::Elem(c));
    }
    e.children = out;
}

/// The visible text of a part, as flows (the part, each text box its own,
/// like baomi-extract), with paths back to the `w:t` and `w:p` elements.
#[derive(Default)]
struct Collect {
    flows: Vec<Flow>,
    open: Vec<Flow>,
    /// Path of each text node (`w:t`).
    nodes: Vec<Vec<usize>>,
    /// Path of each paragraph.
    paras: Vec<Vec<usize>>,
}

fn collect(e: &Elem, path: &mut Vec<usize>, c: &mut Collect) {
    for (i, n) in e.children.iter().enumerate() {
        let Node::Elem(ch) = n else { continue };
        path.push(i);
        let in_run = e.local() == "r";
        match ch.local() {
            "t" => {
                let id = c.nodes.len();
                c.nodes.push(path.clone());
                if let Some(f) = c.open.last_mut() {
                    f.push_node(id, &ch.text());
                }
            }
            "tab" | "ptab" if in_run => push_fixed(c, "\t"),
            "br" | "cr" if in_run => push_fixed(c, " "),
            "noBreakHyphen" => push_fixed(c, "-"),
            "softHyphen" => push_fixed(c, "\u{ad}"),
            "instrText" | "delInstrText" | "delText" => {}
            "txbxContent" => {
                c.open.push(Flow::new());
                collect(ch, path, c);
                if let Some(f) = c.open.pop() {
                    c.flows.push(f);
                }
            }
            "tc" => {
                if let Some(f) = c.open.last_mut() {
                    f.begin_cell();
                }
                collect(ch, path, c);
                if let Some(f) = c.open.last_mut() {
                    f.end_cell();
                }
            }
            "tr" => {
                collect(ch, path, c);
                if let Some(f) = c.open.last_mut() {
                    f.end_row();
                }
            }
            "p" => {
                collect(ch, path, c);
                let id = c.paras.len();
                c.paras.push(path.clone());
                if let Some(f) = c.open.last_mut() {
                    f.end_paragraph(id);
                }
            }
            _ => collect(ch, path, c),
        }
        path.pop();
    }
}

fn push_fixed(c: &mut Collect, s: &str) {
    if let Some(f) = c.open.last_mut() {
        f.push_fixed(s);
    }
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

fn redact_story(
    pkg: &mut Package,
    name: &str,
    hidden: &HashSet<String>,
    ctx: &mut Context<'_>,
) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml(name, ctx)? else {
        return Ok(());
    };
    let cl = Cleaner {
        part: name.to_string(),
        hidden,
    };
    clean(&mut doc.root, &cl, ctx);
    let mut c = Collect::default();
    c.open.push(Flow::new());
    collect(&doc.root, &mut Vec::new(), &mut c);
    c.flows.append(&mut c.open);
    let mut by_node: BTreeMap<usize, Vec<(std::ops::Range<usize>, String)>> = BTreeMap::new();
    let mut removed = Vec::new();
    for flow in &c.flows {
        let edits = ctx.process(flow, name);
        for (node, r, s) in edits.text {
            by_node.entry(node).or_default().push((r, s));
        }
        removed.extend(edits.removed_paragraphs);
    }
    for (node, edits) in by_node {
        let Some(t) = c.nodes.get(node).and_then(|p| at_mut(&mut doc.root, p)) else {
            continue;
        };
        let mut text = t.text().replace(['\n', '\r'], " ");
        apply(&mut text, edits);
        t.children = vec![Node::Text(text)];
    }
    for id in removed {
        if let Some(p) = c.paras.get(id).and_then(|p| at_mut(&mut doc.root, p)) {
            p.children
                .retain(|n| matches!(n, Node::Elem(e) if e.local() == "pPr"));
        }
    }
    pkg.set(name, doc.to_bytes());
    Ok(())
}
