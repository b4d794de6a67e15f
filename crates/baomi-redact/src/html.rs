//! HTML (UTF-8): comments removed, `<meta>` tags that hold a finding
//! removed, personal data in the text masked in place; tags, scripts and
//! styles are copied byte for byte. Block elements end paragraphs, so a
//! removed paragraph is the text of one block.

use crate::flow::{apply, Flow};
use crate::{Action, Context, RedactError, Redactor};
use baomi_extract::html_syntax::{TEXT_ATTRIBUTES, VOID};

pub(crate) struct Html;

/// The attributes of a start tag: (lowercase name, byte range of the value
/// inside `tag`; empty for an attribute without one).
fn attributes(tag: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    // Past `<name`.
    let mut i = 1;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            break;
        }
        let ks = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = tag[ks..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let range = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = tag[vs..].find(q as char).map_or(b.len(), |e| vs + e);
                i = (ve + 1).min(b.len());
                vs..ve
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                vs..i
            };
            out.push((key, range));
        } else {
            out.push((key, i..i));
        }
        if i == ks {
            i += 1;
        }
    }
    out
}

/// Elements that end a line of text (as the extractor reads them).
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "title",
    "dd",
    "dt",
    "hr",
    "caption",
    "body",
    "head",
    "html",
    "form",
    "nav",
    "aside",
    "main",
];

impl Redactor for Html {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let src = std::str::from_utf8(input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input))
            .map_err(|_| {
                RedactError::Unsupported("HTML that is not UTF-8; save it as UTF-8".into())
            })?;
        let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let mut flow = Flow::new();
        // Text nodes: byte range in `src`; paragraphs: the nodes in each.
        let mut nodes: Vec<std::ops::Range<usize>> = Vec::new();
        let mut paras: Vec<Vec<usize>> = vec![Vec::new()];
        // The text of each node with character references resolved (what
        // the scanner and the extractor see); a node with an edit is
        // written back from it, escaped again.
        let mut decoded: Vec<String> = Vec::new();
        let mut raw_until: Option<&str> = None;
        // Open elements: (name, hides its content).
        let mut stack: Vec<(String, bool)> = Vec::new();
        // Per open table, whether a cell of it is open.
        let mut tables: Vec<bool> = Vec::new();
        let mut i = 0;
        let b = src.as_bytes();
        while i < b.len() {
            if let Some(close) = raw_until {
                let rest = src[i..].to_ascii_lowercase();
                let at = rest.find(close).map_or(b.len(), |a| i + a);
                i = at;
                raw_until = None;
                continue;
            }
            if src[i..].starts_with("<!--") {
                let end = src[i + 4..].find("-->").map_or(b.len(), |a| i + 4 + a + 3);
                let text = &src[i + 4..end.saturating_sub(3).max(i + 4)];
                if !text.trim().is_empty() {
                    ctx.record("html", "comment", Action::RemovedHidden, text);
                }
                edits.push((i..end, String::new()));
                i = end;
                continue;
            }
            if b[i] == b'<' {
                let end = src[i..].find('>').map_or(b.len(), |a| i + a + 1);
                let tag = &src[i..end];
                let name: String = tag
                    .trim_start_matches('<')
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let closing = tag.starts_with("</");
                if name == "meta" && !ctx.scanner.scan(tag).findings.is_empty() {
                    ctx.record("html", "<meta>", Action::RemovedHidden, tag);
                    edits.push((i..end, String::new()));
                } else if !closing {
                    // Attributes a reader does not see (alt, title, data-*,
                    // form values) that hold a finding are emptied.
                    for (k, range) in attributes(tag) {
                        let text_attr = TEXT_ATTRIBUTES.contains(&k.as_str())
                            || k.starts_with("data-")
                            || (k == "value" && name == "input")
                            || (k == "content" && name != "meta");
                        let value = decode_entities(&tag[range.clone()]);
                        if text_attr && !ctx.scanner.scan(&value).findings.is_empty() {
                            ctx.record(
                                "html",
                                format!("<{name} {k}>"),
                                Action::RemovedHidden,
                                &value,
                            );
                            edits.push((i + range.start..i + range.end, String::new()));
                        }
                    }
                }
                if closing {
                    if let Some(pos) = stack.iter().rposition(|(n, _)| *n == name) {
                        stack.truncate(pos);
                    }
                } else if !VOID.contains(&name.as_str()) && !tag.ends_with("/>") && !name.is_empty()
                {
                    let lower = tag.to_ascii_lowercase().replace(' ', "");
                    let hidden = attributes(tag).iter().any(|(k, _)| k == "hidden")
                        || lower.contains("aria-hidden=\"true\"")
                        || lower.contains("display:none")
                        || lower.contains("visibility:hidden");
                    if stack.len() < 256 {
                        stack.push((name.clone(), hidden));
                    }
                }
                if !tag.starts_with("</") && (name == "script" || name == "style") {
                    raw_until = Some(if name == "script" {
                        "</script"
                    } else {
                        "</style"
                    });
                }
                if BLOCKS.contains(&name.as_str()) {
                    end_para(&mut flow, &mut paras);
                }
                table_structure(&mut flow, &mut tables, &name, tag.starts_with("</"));
                i = end;
                continue;
            }
            let end = src[i..].find('<').map_or(b.len(), |a| i + a);
            if stack.iter().any(|(_, h)| *h) {
                // Text of a hidden element: gone from the copy.
                let text = decode_entities(&src[i..end]);
                if !text.trim().is_empty() {
                    ctx.record("html", "hidden element", Action::RemovedHidden, &text);
                    edits.push((i..end, String::new()));
                }
                i = end;
                continue;
            }
            let id = nodes.len();
            nodes.push(i..end);
            decoded.push(decode_entities(&src[i..end]));
            flow.push_node(id, &decoded[id]);
            if let Some(p) = paras.last_mut() {
                p.push(id);
            }
            i = end;
        }
        end_para(&mut flow, &mut paras);
        let result = ctx.process(&flow, "html");
        let mut by_node: std::collections::BTreeMap<usize, Vec<_>> = Default::default();
        for (node, r, s) in result.text {
            by_node.entry(node).or_default().push((r, s));
        }
        for (node, e) in by_node {
            let mut t = decoded[node].clone();
            apply(&mut t, e);
            edits.push((nodes[node].clone(), escape(&t)));
        }
        for id in result.removed_paragraphs {
            for &n in paras.get(id).into_iter().flatten() {
                edits.retain(|(r, _)| !(nodes[n].start <= r.start && r.end <= nodes[n].end));
                edits.push((nodes[n].clone(), String::new()));
            }
        }
        let mut out = src.to_string();
        apply(&mut out, edits);
        Ok(out.into_bytes())
    }
}

/// Table rows as lines, cells as cells (as baomi-extract reads HTML).
fn table_structure(flow: &mut Flow, tables: &mut Vec<bool>, name: &str, closing: bool) {
    let close_cell = |flow: &mut Flow, tables: &mut Vec<bool>| {
        if let Some(open) = tables.last_mut() {
            if std::mem::take(open) {
                flow.end_cell();
            }
        }
    };
    match (name, closing) {
        ("table", false) => tables.push(false),
        ("table", true) => {
            close_cell(flow, tables);
            if tables.pop().is_some() {
                flow.end_row();
            }
        }
        ("tr", _) => {
            close_cell(flow, tables);
            flow.end_row();
        }
        ("td" | "th", false) if !tables.is_empty() => {
            close_cell(flow, tables);
            flow.begin_cell();
            if let Some(open) = tables.last_mut() {
                *open = true;
            }
        }
        ("td" | "th", true) => close_cell(flow, tables),
        _ => {}
    }
}

fn end_para(flow: &mut Flow, paras: &mut Vec<Vec<usize>>) {
    if paras.last().is_some_and(|p| !p.is_empty()) {
        flow.end_paragraph(paras.len() - 1);
        paras.push(Vec::new());
    }
}

/// Resolves character references (`&#45;`, `&#x2d;`) and the common named
/// ones; others are left as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|e| *e <= 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                }
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
