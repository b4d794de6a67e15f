//! A small owned XML tree for rewriting office parts: parsed with
//! quick-xml under the same refusals as baomi-extract's walker (no
//! DOCTYPE, no undefined entities, bounded depth), written back verbatim
//! except for what the redactor changed. Start tags keep their exact
//! bytes (namespaces, attribute order, quoting), so an untouched part
//! serialises to equivalent XML; XML comments are dropped (they ship
//! inside the file and nobody sees them).

use crate::RedactError;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One node of a part.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Elem(Elem),
    /// Character data, entities resolved.
    Text(String),
    /// An XML declaration or processing instruction, verbatim.
    Raw(String),
}

/// An element: its start tag's content (name and attributes, as written)
/// and its children.
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    start: String,
    name_len: usize,
    pub(crate) children: Vec<Node>,
    /// Written as `<x/>` when it has no children.
    empty: bool,
}

impl Elem {
    /// A new empty element.
    pub(crate) fn new(name: &str) -> Elem {
        Elem {
            start: name.to_string(),
            name_len: name.len(),
            children: Vec::new(),
            empty: true,
        }
    }

    /// Adds an attribute at the end of the start tag.
    pub(crate) fn push_attr(&mut self, key: &str, value: &str) {
        self.start
            .push_str(&format!(" {key}=\"{}\"", escape(value, true)));
    }

    /// The qualified name (`w:t`).
    pub(crate) fn name(&self) -> &str {
        &self.start[..self.name_len]
    }

    /// The name without its namespace prefix (`t`).
    pub(crate) fn local(&self) -> &str {
        let n = self.name();
        n.rsplit_once(':').map_or(n, |(_, l)| l)
    }

    fn tag(&self) -> BytesStart<'_> {
        BytesStart::from_content(self.start.as_str(), self.name_len)
    }

    /// The value of the attribute whose local name is `local`, unescaped.
    pub(crate) fn attr(&self, local: &str) -> Option<String> {
        self.tag()
            .attributes()
            .with_checks(false)
            .filter_map(Result::ok)
            .find(|a| {
                let k = a.key.as_ref();
                k.rsplit_once(':').map_or(k, |(_, l)| l) == local
            })
            .and_then(|a| {
                a.normalized_value(XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
    }

    /// Rewrites the start tag with `f` deciding, per attribute (qualified
    /// name, unescaped value), what to keep: `None` drops it.
    pub(crate) fn edit_attrs(&mut self, mut f: impl FnMut(&str, &str) -> Option<String>) {
        let mut out = self.name().to_string();
        let mut changed = false;
        for a in self
            .tag()
            .attributes()
            .with_checks(false)
            .filter_map(Result::ok)
        {
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default();
            match f(&key, &value) {
                Some(v) => {
                    changed |= v != value;
                    out.push(' ');
                    out.push_str(&key);
                    out.push_str("=\"");
                    out.push_str(&escape(&v, true));
                    out.push('"');
                }
                None => changed = true,
            }
        }
        if changed {
            self.start = out;
        }
    }

    /// Child elements.
    pub(crate) fn elems(&self) -> impl Iterator<Item = &Elem> {
        self.children.iter().filter_map(|n| match n {
            Node::Elem(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element with this local name.
    pub(crate) fn child(&self, local: &str) -> Option<&Elem> {
        self.elems().find(|e| e.local() == local)
    }

    /// The texts below this element, one per element, joined by spaces
    /// (for previews of removed parts: `LibreOffice 1 2` rather than `LibreOffice12`).
    pub(crate) fn spaced_text(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        spaced(self, &mut out);
        out.join(" ")
    }

    /// All text below this element, in order.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        collect_text(self, &mut s);
        s
    }
}

fn spaced(e: &Elem, out: &mut Vec<String>) {
    for n in &e.children {
        match n {
            Node::Text(t) if !t.trim().is_empty() => out.push(t.trim().to_string()),
            Node::Elem(c) => spaced(c, out),
            _ => {}
        }
    }
}

fn collect_text(e: &Elem, s: &mut String) {
    for n in &e.children {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::Elem(c) => collect_text(c, s),
            Node::Raw(_) => {}
        }
    }
}

/// A parsed part: prolog nodes (declaration) and the root element.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    prolog: Vec<Node>,
    pub(crate) root: Elem,
}

/// Parses one part. `part` names it in messages.
pub(crate) fn parse(bytes: &[u8], part: &str, max_depth: usize) -> Result<Doc, RedactError> {
    let bad = |m: String| RedactError::Malformed(format!("{part}: {m}"));
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = false;
    config.check_end_names = true;
    let mut prolog = Vec::new();
    let mut stack: Vec<Elem> = Vec::new();
    let mut root = None;
    let push = |stack: &mut Vec<Elem>, prolog: &mut Vec<Node>, n: Node| match stack.last_mut() {
        Some(p) => p.children.push(n),
        None => {
            if !matches!(&n, Node::Text(t) if t.trim().is_empty()) {
                prolog.push(n)
            }
        }
    };
    let push_text = |stack: &mut Vec<Elem>, s: &str| {
        if let Some(p) = stack.last_mut() {
            if let Some(Node::Text(t)) = p.children.last_mut() {
                t.push_str(s);
            } else {
                p.children.push(Node::Text(s.to_string()));
            }
        }
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| bad(format!("{e} at byte {}", reader.error_position())))?;
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(bad("content after the root element".into()));
            }
            Event::Start(e) => {
                if stack.len() >= max_depth {
                    return Err(bad(format!("elements nested deeper than {max_depth} levels")));
                }
                stack.push(Elem {
                    start: e.to_string(),
                    name_len: e.name().as_ref().len(),
                    children: Vec::new(),
                    empty: false,
                });
            }
            Event::Empty(e) => {
                if stack.len() >= max_depth {
                    return Err(bad(format!("elements nested deeper than {max_depth} levels")));
                }
                let el = Elem {
                    start: e.to_string(),
                    name_len: e.name().as_ref().len(),
                    children: Vec::new(),
                    empty: true,
                };
                if stack.is_empty() {
                    root = Some(el);
                } else {
                    push(&mut stack, &mut prolog, Node::Elem(el));
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| bad("unbalanced end tag".into()))?;
                if stack.is_empty() {
                    root = Some(el);
                } else {
                    push(&mut stack, &mut prolog, Node::Elem(el));
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                if stack.is_empty() {
                    if !s.trim().is_empty() {
                        return Err(bad("text outside the root element".into()));
                    }
                } else {
                    push_text(&mut stack, &s);
                }
            }
            Event::CData(t) => push_text(&mut stack, &t.into_inner()),
            Event::GeneralRef(r) => {
                let s = match r.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| {
                                bad(format!("undefined entity &{name}; (entities are never expanded)"))
                            })?
                            .to_string()
                    }
                };
                push_text(&mut stack, &s);
            }
            Event::DocType(_) => {
                return Err(bad(
                    "a DOCTYPE declaration, which office documents never contain (possible entity-expansion attack)".into(),
                ))
            }
            Event::Decl(d) => push(&mut stack, &mut prolog, Node::Raw(format!("<?{}?>", &*d))),
            Event::PI(p) => push(&mut stack, &mut prolog, Node::Raw(format!("<?{}?>", &*p))),
            Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(bad("truncated: elements left open at the end".into()));
    }
    let root = root.ok_or_else(|| bad("no root element".into()))?;
    Ok(Doc { prolog, root })
}

/// Escapes character data (`attr`: also quotes, for attribute values).
pub(crate) fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

impl Doc {
    /// The part as bytes (UTF-8).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for n in &self.prolog {
            write_node(n, &mut out);
            if matches!(n, Node::Raw(_)) {
                out.push('\n');
            }
        }
        write_elem(&self.root, &mut out);
        out.into_bytes()
    }
}

fn write_node(n: &Node, out: &mut String) {
    match n {
        Node::Elem(e) => write_elem(e, out),
        Node::Text(t) => out.push_str(&escape(t, false)),
        Node::Raw(r) => out.push_str(r),
    }
}

fn write_elem(e: &Elem, out: &mut String) {
    out.push('<');
    out.push_str(&e.start);
    if e.children.is_empty() && e.empty {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in &e.children {
        write_node(c, out);
    }
    out.push_str("</");
    out.push_str(e.name());
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_tags_and_resolves_entities() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a:r xmlns:a=\"u\" k='v'><!-- note --><a:t xml:space=\"preserve\">x &amp; &#x4E2D;</a:t><a:b/></a:r>";
        let doc = parse(xml.as_bytes(), "t.xml", 10).unwrap();
        let back = String::from_utf8(doc.to_bytes()).unwrap();
        assert_eq!(
            back,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a:r xmlns:a=\"u\" k='v'><a:t xml:space=\"preserve\">x &amp; 中</a:t><a:b/></a:r>"
        );
        assert_eq!(doc.root.attr("k").as_deref(), Some("v"));
        assert_eq!(doc.root.text(), "x & 中");
    }

    #[test]
    fn hostile_xml_is_refused() {
        for bad in [
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a><b></a>",
            "<a><b>",
            "<a>&nope;</a>",
            "<a><b><c><d/></c></b></a>",
        ] {
            assert!(parse(bad.as_bytes(), "t.xml", 3).is_err(), "{bad}");
        }
    }
}
