//! HTML (UTF-8): comments removed, `<meta>` tags that hold a finding
//! removed, personal data in the text masked in place; tags, scripts and
//! styles are copied byte for byte. Block elements end paragraphs, so a
//! removed paragraph is the text of one block.

use crate::flow::{apply, Flow};
use crate::{Action, Context, RedactError, Redactor};

pub(crate) struct Html;

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
                if name == "meta" && !ctx.scanner.scan(tag).findings.is_empty() {
                    ctx.record("html", "<meta>", Action::RemovedHidden, tag);
                    edits.push((i..end, String::new()));
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
                i = end;
                continue;
            }
            let end = src[i..].find('<').map_or(b.len(), |a| i + a);
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
