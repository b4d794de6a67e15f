//! OpenDocument text (.odt): tracked changes (deletions removed,
//! insertions accepted), annotations, hidden text and sections, alt texts
//! with a finding, the thumbnail and every meta.xml property but the title
//! removed; personal data masked in the body, tables, text boxes,
//! footnotes and the headers and footers of the page styles.

use crate::flow::{apply, Flow};
use crate::package::Package;
use crate::xmltree::{Elem, Node};
use crate::{Action, Context, RedactError, Redactor};
use std::collections::{BTreeMap, HashSet};

pub(crate) struct Odt;

impl Redactor for Odt {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let mut pkg = Package::open(input, "odt", ctx)?;
        if pkg.get("content.xml").is_none() {
            return Err(RedactError::Malformed("odt: content.xml is missing".into()));
        }
        if pkg
            .get("META-INF/manifest.xml")
            .is_some_and(|m| m.windows(15).any(|w| w == b"encryption-data"))
        {
            return Err(baomi_extract::ExtractError::Encrypted("OpenDocument text (.odt)").into());
        }
        let mut hidden = HashSet::new();
        for part in ["styles.xml", "content.xml"] {
            if let Some(doc) = pkg.xml(part, ctx)? {
                hidden_styles(&doc.root, &mut hidden);
            }
        }
        for name in pkg.names() {
            if name.starts_with("Thumbnails/") {
                pkg.remove(&name, ctx);
            }
        }
        meta(&mut pkg, ctx)?;
        for part in ["content.xml", "styles.xml"] {
            redact_part(&mut pkg, part, &hidden, ctx)?;
        }
        manifest(&mut pkg, ctx)?;
        pkg.write()
    }
}

/// Styles with `text:display="none"`.
fn hidden_styles(e: &Elem, out: &mut HashSet<String>) {
    for c in e.elems() {
        if c.local() == "style"
            && c.elems().any(|p| {
                p.local() == "text-properties" && p.attr("display").as_deref() == Some("none")
            })
        {
            if let Some(n) = c.attr("name") {
                out.insert(n);
            }
        }
        hidden_styles(c, out);
    }
}

/// meta.xml: only the title stays (unless asked not to, or it holds a
/// finding): creator, initial creator, subject, keywords, description,
/// user-defined fields, editing statistics and the generator go.
fn meta(pkg: &mut Package, ctx: &mut Context<'_>) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml("meta.xml", ctx)? else {
        return Ok(());
    };
    for n in doc.root.children.iter_mut() {
        let Node::Elem(m) = n else { continue };
        if m.local() != "meta" {
            continue;
        }
        let mut kept = Vec::new();
        for c in std::mem::take(&mut m.children) {
            let Node::Elem(e) = c else { continue };
            let text = e.text();
            let keep = e.local() == "title"
                && !ctx.options.drop_title
                && ctx.scanner.scan(&text).findings.is_empty();
            if keep {
                kept.push(Node::Elem(e));
            } else if !text.trim().is_empty() || e.local() == "user-defined" {
                let what = format!(
                    "{}{}",
                    e.name(),
                    e.attr("name")
                        .map(|n| format!(" \"{n}\""))
                        .unwrap_or_default()
                );
                ctx.record("meta.xml", what, Action::RemovedHidden, &text);
            }
        }
        m.children = kept;
    }
    pkg.set("meta.xml", doc.to_bytes());
    Ok(())
}

/// Drops manifest entries of removed files.
fn manifest(pkg: &mut Package, ctx: &mut Context<'_>) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml("META-INF/manifest.xml", ctx)? else {
        return Ok(());
    };
    let names: HashSet<String> = pkg.names().into_iter().collect();
    let before = doc.root.children.len();
    doc.root.children.retain(|n| match n {
        Node::Elem(e) if e.local() == "file-entry" => {
            let p = e.attr("full-path").unwrap_or_default();
            p == "/" || p.ends_with('/') || names.contains(&p)
        }
        _ => true,
    });
    if doc.root.children.len() != before {
        pkg.set("META-INF/manifest.xml", doc.to_bytes());
    }
    Ok(())
}

fn has_findings(ctx: &Context<'_>, text: &str) -> bool {
    !text.trim().is_empty() && !ctx.scanner.scan(text).findings.is_empty()
}

fn is_hidden(e: &Elem, hidden: &HashSet<String>) -> bool {
    e.attr("style-name").is_some_and(|s| hidden.contains(&s))
        || e.attr("display").as_deref() == Some("none")
}

fn clean(e: &mut Elem, part: &str, hidden: &HashSet<String>, ctx: &mut Context<'_>) {
    let children = std::mem::take(&mut e.children);
    let mut out = Vec::with_capacity(children.len());
    for n in children {
        let Node::Elem(mut c) = n else {
            out.push(n);
            continue;
        };
        match c.local() {
            "tracked-changes" => {
                for region in c.elems() {
                    for kind in region.elems().filter(|k| k.local() != "change-info") {
                        let text: String = kind
                            .elems()
                            .filter(|p| p.local() != "change-info")
                            .map(|p| p.text())
                            .collect::<Vec<_>>()
                            .join(" ");
                        let by = kind
                            .child("change-info")
                            .and_then(|i| i.child("creator"))
                            .map(|c| c.text())
                            .unwrap_or_default();
                        let (what, action) = match kind.local() {
                            "deletion" => ("tracked deletion", Action::RemovedHidden),
                            "insertion" => ("tracked insertion", Action::AcceptedInsertion),
                            _ => ("tracked format change", Action::RemovedHidden),
                        };
                        if action == Action::AcceptedInsertion {
                            ctx.record(part, format!("{what} (by {by})"), action, "");
                        } else if !text.trim().is_empty() {
                            ctx.record(part, format!("{what} (by {by})"), action, &text);
                        }
                    }
                }
                continue;
            }
            "change" | "change-start" | "change-end" | "annotation-end" => continue,
            "annotation" => {
                let by = c.child("creator").map(|c| c.text()).unwrap_or_default();
                let text: String = c
                    .elems()
                    .filter(|p| matches!(p.local(), "p" | "h" | "list"))
                    .map(|p| p.text())
                    .collect::<Vec<_>>()
                    .join(" ");
                ctx.record(
                    part,
                    format!("annotation (by {by})"),
                    Action::RemovedHidden,
                    &text,
                );
                continue;
            }
            "hidden-text" => {
                let v = c.attr("string-value").unwrap_or_default();
                ctx.record(part, "hidden text", Action::RemovedHidden, &v);
                continue;
            }
            "title" | "desc" if e.local() == "frame" && has_findings(ctx, &c.text()) => {
                ctx.record(
                    part,
                    format!("alt text (svg:{})", c.local()),
                    Action::RemovedHidden,
                    &c.text(),
                );
                continue;
            }
            "p" | "h"
                if is_hidden(&c, hidden)
                    || c.elems().any(|h| {
                        h.local() == "hidden-paragraph"
                            && h.attr("is-hidden").as_deref() != Some("false")
                    }) =>
            {
                ctx.record(part, "hidden paragraph", Action::RemovedHidden, &c.text());
                c.children.clear();
                out.push(Node::Elem(c));
                continue;
            }
            _ if is_hidden(&c, hidden) && matches!(c.local(), "span" | "section" | "a") => {
                let text = c.text();
                if !text.trim().is_empty() {
                    ctx.record(
                        part,
                        format!("hidden {}", c.local()),
                        Action::RemovedHidden,
                        &text,
                    );
                }
                continue;
            }
            _ => {}
        }
        // Link targets outside the package (a local path such as
        // file:///C:/…/机密★5年/plan.doc) that hold a finding.
        if let Some(href) = c.attr("href").filter(|h| {
            !(h.starts_with('#')
                || h.starts_with("Pictures/")
                || h.starts_with("./Object ")
                || h.starts_with("Object "))
                && has_findings(ctx, h)
        }) {
            c.edit_attrs(|k, v| {
                Some(if k.ends_with("href") {
                    "#".into()
                } else {
                    v.to_string()
                })
            });
            ctx.record(
                part,
                format!("{} link", c.local()),
                Action::RemovedHidden,
                &href,
            );
        }
        clean(&mut c, part, hidden, ctx);
        out.push(Node::Elem(c));
    }
    e.children = out;
}

#[derive(Default)]
struct Collect {
    flows: Vec<Flow>,
    open: Vec<Flow>,
    /// Path of each text node (the last index is the text's own).
    nodes: Vec<Vec<usize>>,
    paras: Vec<Vec<usize>>,
}

/// Elements whose text is not document text.
const SKIP: &[&str] = &[
    "text:note-citation",
    "svg:title",
    "svg:desc",
    "text:tracked-changes",
    "office:annotation",
    "text:hidden-text",
];

fn collect(e: &Elem, in_para: bool, path: &mut Vec<usize>, c: &mut Collect) {
    for (i, n) in e.children.iter().enumerate() {
        path.push(i);
        match n {
            Node::Text(t) if in_para => {
                let id = c.nodes.len();
                c.nodes.push(path.clone());
                if let Some(f) = c.open.last_mut() {
                    f.push_node(id, t);
                }
            }
            Node::Elem(ch) => match ch.local() {
                _ if SKIP.contains(&ch.name()) => {}
                "s" => {
                    let n = ch
                        .attr("c")
                        .and_then(|c| c.parse::<usize>().ok())
                        .unwrap_or(1)
                        .min(64);
                    fixed(c, &" ".repeat(n));
                }
                "tab" => fixed(c, "\t"),
                "line-break" => fixed(c, " "),
                "note" | "text-box" => {
                    c.open.push(Flow::new());
                    collect(ch, false, path, c);
                    if let Some(f) = c.open.pop() {
                        c.flows.push(f);
                    }
                }
                "table-cell" | "covered-table-cell" => {
                    if let Some(f) = c.open.last_mut() {
                        f.begin_cell();
                    }
                    collect(ch, in_para, path, c);
                    if let Some(f) = c.open.last_mut() {
                        f.end_cell();
                    }
                }
                "table-row" => {
                    collect(ch, in_para, path, c);
                    if let Some(f) = c.open.last_mut() {
                        f.end_row();
                    }
                }
                "p" | "h" => {
                    collect(ch, true, path, c);
                    let id = c.paras.len();
                    c.paras.push(path.clone());
                    if let Some(f) = c.open.last_mut() {
                        f.end_paragraph(id);
                    }
                }
                _ => collect(ch, in_para, path, c),
            },
            _ => {}
        }
        path.pop();
    }
}

fn fixed(c: &mut Collect, s: &str) {
    if let Some(f) = c.open.last_mut() {
        f.push_fixed(s);
    }
}

fn node_mut<'a>(mut e: &'a mut Elem, path: &[usize]) -> Option<&'a mut Node> {
    let (last, parents) = path.split_last()?;
    for &i in parents {
        match e.children.get_mut(i) {
            Some(Node::Elem(c)) => e = c,
            _ => return None,
        }
    }
    e.children.get_mut(*last)
}

fn redact_part(
    pkg: &mut Package,
    part: &str,
    hidden: &HashSet<String>,
    ctx: &mut Context<'_>,
) -> Result<(), RedactError> {
    let Some(mut doc) = pkg.xml(part, ctx)? else {
        return Ok(());
    };
    clean(&mut doc.root, part, hidden, ctx);
    let mut c = Collect::default();
    c.open.push(Flow::new());
    collect(&doc.root, false, &mut Vec::new(), &mut c);
    c.flows.append(&mut c.open);
    let mut by_node: BTreeMap<usize, Vec<(std::ops::Range<usize>, String)>> = BTreeMap::new();
    let mut removed = Vec::new();
    for flow in &c.flows {
        let edits = ctx.process(flow, part);
        for (node, r, s) in edits.text {
            by_node.entry(node).or_default().push((r, s));
        }
        removed.extend(edits.removed_paragraphs);
    }
    for (node, edits) in by_node {
        if let Some(Node::Text(t)) = c.nodes.get(node).and_then(|p| node_mut(&mut doc.root, p)) {
            let mut text = t.replace(['\n', '\r'], " ");
            apply(&mut text, edits);
            *t = text;
        }
    }
    for id in removed {
        if let Some(Node::Elem(p)) = c.paras.get(id).and_then(|p| node_mut(&mut doc.root, p)) {
            p.children.clear();
        }
    }
    pkg.set(part, doc.to_bytes());
    Ok(())
}
