//! A flow of visible text built from a format's text nodes, one line per
//! paragraph (as baomi-extract builds a part's segment), with a map back
//! from every byte to the node it came from: Word splits a number over
//! several `w:t` runs, and the mask must land in each of them.

use std::ops::Range;

/// A piece of the flow: a node's text, or a fixed separator (a tab, a line
/// break, the end of a paragraph) that no edit may touch.
#[derive(Debug, Clone)]
struct Piece {
    range: Range<usize>,
    node: Option<usize>,
}

/// Visible text of one part, paragraph by paragraph.
#[derive(Debug, Default, Clone)]
pub struct Flow {
    text: String,
    pieces: Vec<Piece>,
    paragraphs: Vec<(Range<usize>, usize)>,
    open: usize,
}

impl Flow {
    /// An empty flow.
    pub fn new() -> Self {
        Flow::default()
    }

    /// The text as scanned.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends the whole text of node `node` (a newline inside it becomes
    /// a space, as the extractor does, so byte offsets stay the same).
    pub fn push_node(&mut self, node: usize, text: &str) {
        self.push(Some(node), text);
    }

    /// Appends text that belongs to no editable node (a tab element).
    pub fn push_fixed(&mut self, text: &str) {
        self.push(None, text);
    }

    fn push(&mut self, node: Option<usize>, text: &str) {
        if text.is_empty() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(&text.replace(['\n', '\r'], " "));
        self.pieces.push(Piece {
            range: start..self.text.len(),
            node,
        });
    }

    /// Ends paragraph `id` (the format's own number for it).
    pub fn end_paragraph(&mut self, id: usize) {
        self.paragraphs.push((self.open..self.text.len(), id));
        self.text.push('\n');
        self.open = self.text.len();
    }

    /// Paragraphs as (byte range without the newline, id).
    pub(crate) fn paragraphs(&self) -> impl Iterator<Item = (Range<usize>, usize)> + '_ {
        self.paragraphs.iter().cloned()
    }

    /// Paragraphs a byte range touches.
    pub(crate) fn paragraphs_overlapping(&self, r: Range<usize>) -> Vec<(Range<usize>, usize)> {
        self.paragraphs
            .iter()
            .filter(|(p, _)| p.start < r.end && r.start <= p.end)
            .cloned()
            .collect()
    }

    /// Maps a replacement of `range` (same number of characters as the
    /// text it replaces: masks are character for character) onto the
    /// nodes it covers: (node, byte range in the node's text, new text).
    pub(crate) fn map_edit(
        &self,
        range: Range<usize>,
        replacement: &str,
    ) -> Vec<(usize, Range<usize>, String)> {
        let mut out = Vec::new();
        let mut repl = replacement.chars();
        let original = &self.text[range.clone()];
        let same_count = original.chars().count() == replacement.chars().count();
        for p in &self.pieces {
            let s = p.range.start.max(range.start);
            let e = p.range.end.min(range.end);
            if s >= e {
                continue;
            }
            let n = self.text[s..e].chars().count();
            let part: String = if same_count {
                repl.by_ref().take(n).collect()
            } else if s == range.start.max(p.range.start) && out.is_empty() {
                // Not character for character: all of it into the first node.
                replacement.to_string()
            } else {
                String::new()
            };
            if let Some(node) = p.node {
                out.push((node, s - p.range.start..e - p.range.start, part));
            }
        }
        out
    }
}

/// Applies edits (byte ranges of `text`, in any order, not overlapping).
pub(crate) fn apply(text: &mut String, mut edits: Vec<(Range<usize>, String)>) {
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (r, s) in edits {
        if r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end) {
            text.replace_range(r, &s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_across_runs_lands_in_each_run() {
        let mut f = Flow::new();
        f.push_node(0, "电话138");
        f.push_node(1, "1234");
        f.push_fixed("\t");
        f.push_node(2, "5678");
        f.end_paragraph(7);
        let start = "电话".len();
        let edits = f.map_edit(start..f.text().len() - 1, "138****\t5678");
        assert_eq!(
            edits,
            vec![
                (0, start..start + 3, "138".to_string()),
                (1, 0..4, "****".to_string()),
                (2, 0..4, "5678".to_string()),
            ]
        );
        assert_eq!(
            f.paragraphs_overlapping(0..2),
            vec![(0..f.text().len() - 1, 7)]
        );
    }
}
