//! HTML: the visible text (one line per block, table cells located), and
//! what a browser does not show but anyone can read in the page source:
//! `<!-- comments -->`, `title`/`alt`/`data-*` attributes, `<meta>`
//! content, hidden elements and hidden form fields.

use crate::story::{Run, Story};
use crate::{decode_text, ExtractError, Extracted, Limits, Segment, TextEncoding};
use baomi_core::{Part, SegmentInfo};
use html5gum::{DefaultEmitter, Token, Tokenizer};

/// Elements whose content is not text for a reader.
const SKIPPED: &[&str] = &[
    "script", "style", "template", "svg", "math", "object", "iframe",
];
/// Elements that end a line of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "tr",
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
    "aside",
    "nav",
    "main",
    "blockquote",
    "pre",
    "hr",
    "form",
    "fieldset",
    "figure",
    "figcaption",
    "address",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "td",
    "th",
    "body",
    "center",
];
/// Elements without an end tag. Public so that baomi-redact reads HTML
/// with the same lists as the extractor.
pub const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];
/// Attributes whose text a browser shows only on hover, to screen readers,
/// or not at all; their text is scanned as `html-attribute`.
pub const TEXT_ATTRIBUTES: &[&str] = &[
    "title",
    "alt",
    "aria-label",
    "aria-description",
    "placeholder",
    "summary",
    "label",
];

struct Open {
    name: String,
    hidden: bool,
    skipped: bool,
}

struct Table {
    number: u32,
    row: u32,
    cell: u32,
    open_cell: bool,
}

impl Table {
    fn close_cell(&mut self, body: &mut Story) {
        if self.open_cell {
            body.end_cell();
            self.open_cell = false;
        }
    }
}

pub(crate) fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let (text, encoding) = decode_text(bytes)?;
    let mut ex = Extracted::default();
    if encoding != TextEncoding::Utf8 {
        ex.coverage
            .notes
            .push(format!("decoded as {}", encoding.name()));
    }
    let lines = LineIndex::new(&text);
    let mut emitter = DefaultEmitter::new_with_span();
    emitter.naively_switch_states(true);
    let tokenizer = Tokenizer::new_with_emitter(text.as_str(), emitter);

    let mut body = Story::new(SegmentInfo::new(Part::Body));
    let mut stack: Vec<Open> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut table_count = 0u32;
    let mut title = String::new();
    let mut in_title = false;
    let mut h1: Option<String> = None;
    let mut in_h1 = false;
    let mut pending_space = false;
    let mut side: Vec<Segment> = Vec::new();
    let max_depth = limits.max_xml_depth.saturating_mul(4);
    for token in tokenizer {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let line = lines.line(tag.span.start);
                let attr = |k: &str| {
                    tag.attributes
                        .get(k.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                for (k, v) in &tag.attributes {
                    let k = String::from_utf8_lossy(k).to_ascii_lowercase();
                    let v = String::from_utf8_lossy(&v.value);
                    if v.trim().is_empty() {
                        continue;
                    }
                    let is_text = TEXT_ATTRIBUTES.contains(&k.as_str())
                        || k.starts_with("data-")
                        || (k == "value" && name == "input" || k == "content" && name != "meta");
                    if is_text {
                        let part = if k == "value"
                            && attr("type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
                        {
                            Part::Hidden
                        } else {
                            Part::HtmlAttribute
                        };
                        side.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("line {line}: <{name} {k}>")),
                                ..SegmentInfo::new(part)
                            },
                            v.trim().to_string(),
                        ));
                    }
                }
                if name == "meta" {
                    if let Some(content) = attr("content").filter(|c| !c.trim().is_empty()) {
                        let key = attr("name")
                            .or_else(|| attr("property"))
                            .or_else(|| attr("http-equiv"))
                            .unwrap_or_default();
                        side.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("line {line}: <meta name=\"{key}\">")),
                                ..SegmentInfo::new(Part::Metadata)
                            },
                            content.trim().to_string(),
                        ));
                    }
                }
                if BLOCKS.contains(&name.as_str()) {
                    body.end_line();
                    pending_space = false;
                }
                match name.as_str() {
                    "title" => in_title = true,
                    "h1" if h1.is_none() => in_h1 = true,
                    "table" => {
                        table_count += 1;
                        tables.push(Table {
                            number: table_count,
                            row: 0,
                            cell: 0,
                            open_cell: false,
                        });
                    }
                    "tr" => {
                        if let Some(t) = tables.last_mut() {
                            t.close_cell(&mut body);
                            body.end_row();
                            t.row += 1;
                            t.cell = 0;
                        }
                    }
                    "td" | "th" => {
                        if let Some(t) = tables.last_mut() {
                            t.close_cell(&mut body);
                            t.cell += 1;
                            t.row = t.row.max(1);
                            body.begin_cell(format!(
                                "table {}, row {}, cell {}",
                                t.number, t.row, t.cell
                            ));
                            t.open_cell = true;
                        }
                    }
                    _ => {}
                }
                if VOID.contains(&name.as_str()) || tag.self_closing {
                    continue;
                }
                let style = attr("style")
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .replace(' ', "");
                let hidden = tag.attributes.contains_key(&b"hidden"[..])
                    || attr("aria-hidden").is_some_and(|v| v == "true")
                    || style.contains("display:none")
                    || style.contains("visibility:hidden");
                if stack.len() >= max_depth {
                    return Err(ExtractError::Malformed {
                        format: "html",
                        message: format!("elements nested deeper than {max_depth} levels"),
                    });
                }
                stack.push(Open {
                    skipped: SKIPPED.contains(&name.as_str()),
                    name,
                    hidden,
                });
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if let Some(pos) = stack.iter().rposition(|o| o.name == name) {
                    stack.truncate(pos);
                }
                if BLOCKS.contains(&name.as_str()) {
                    body.end_line();
                    pending_space = false;
                }
                match name.as_str() {
                    "title" => in_title = false,
                    "h1" => in_h1 = false,
                    "table" => {
                        if let Some(mut t) = tables.pop() {
                            t.close_cell(&mut body);
                            body.end_row();
                        }
                    }
                    "tr" => {
                        if let Some(t) = tables.last_mut() {
                            t.close_cell(&mut body);
                            body.end_row();
                        }
                    }
                    "td" | "th" => {
                        if let Some(t) = tables.last_mut() {
                            t.close_cell(&mut body);
                        }
                    }
                    _ => {}
                }
            }
            Token::String(s) => {
                let s = String::from_utf8_lossy(&s.value);
                if in_title {
                    title.push_str(&s);
                    continue;
                }
                if stack.iter().any(|o| o.skipped || o.name == "head") {
                    continue;
                }
                let pre = stack.iter().any(|o| o.name == "pre");
                let collapsed = collapse(&s, pre);
                let run = if stack.iter().any(|o| o.hidden) {
                    Run::Hidden
                } else {
                    Run::Normal
                };
                if pre {
                    // Preformatted lines are lines of the page.
                    let mut first = true;
                    for l in collapsed.split('\n') {
                        if !first {
                            body.end_paragraph();
                        }
                        first = false;
                        body.push(l, &run);
                    }
                    continue;
                }
                // White space between inline elements is one space, but none
                // at the start or end of a line.
                let starts_with_space = collapsed.starts_with(' ');
                let trimmed = collapsed.trim_matches(' ');
                if trimmed.is_empty() {
                    pending_space |= starts_with_space;
                    continue;
                }
                if (pending_space || starts_with_space) && body.line_open() {
                    body.push(" ", &run);
                }
                pending_space = collapsed.ends_with(' ');
                if in_h1 {
                    h1.get_or_insert_with(String::new).push_str(trimmed);
                }
                body.push(trimmed, &run);
            }
            Token::Comment(c) => {
                let line = lines.line(c.span.start);
                let t = String::from_utf8_lossy(&c.value);
                if !t.trim().is_empty() {
                    side.push(Segment::new(
                        SegmentInfo {
                            detail: Some(format!("line {line}")),
                            ..SegmentInfo::new(Part::HtmlComment)
                        },
                        t.trim().to_string(),
                    ));
                }
            }
            Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !title.is_empty() {
        side.push(Segment::new(
            SegmentInfo {
                detail: Some("<title>".into()),
                ..SegmentInfo::new(Part::Metadata)
            },
            title.clone(),
        ));
        ex.title = Some(title);
    } else {
        ex.title = h1.map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
    }
    body.finish(&mut ex.segments);
    ex.segments.extend(side);
    ex.record_parts();
    Ok(ex)
}

/// HTML white space collapsing: runs of white space become one space
/// (kept as is inside `<pre>`).
fn collapse(s: &str, pre: bool) -> String {
    if pre {
        return s.replace("\r\n", "\n");
    }
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() && c != '\u{3000}' && c != '\u{a0}' {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

/// Byte offset → 1-based line number in the page source.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}
