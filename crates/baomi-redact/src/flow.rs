//! A flow of visible text built from a format's text nodes, one line per
//! paragraph (as baomi-extract builds a part's segment), with a map back
//! from every byte to the node it came from: Word splits a number over
//! several `w:t` runs, and the mask must land in each of them.
//!
//! A table row is one line, as in baomi-extract: cells separated by a tab,
//! paragraphs within a cell by a space, so that the person-scoped rules see
//! the same row the proof scan sees (a name in one cell, an illness in the
//! next).

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
    /// Table cells open (nested tables stay inside their outer cell).
    cell_depth: usize,
    /// Cells begun in the row being read (0 outside a row).
    row_cells: usize,
    /// Where the outermost open cell's text starts.
    cell_start: usize,
    /// A paragraph ended inside a cell: a space before the cell's next text.
    cell_break: bool,
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
        if self.cell_depth == 0 && self.row_cells > 0 && !text.trim().is_empty() {
            // Text after a row that was never ended (white space between
            // two cells of a row is not).
            self.end_row();
        }
        if std::mem::take(&mut self.cell_break) {
            self.push(None, " ");
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
        if self.cell_depth > 0 {
            self.cell_break = self.cell_has_text();
        } else if self.row_cells == 0 {
            self.text.push('\n');
        }
        // (between two cells of a row the row's line goes on)
        self.open = self.text.len();
    }

    /// Starts a table cell.
    pub fn begin_cell(&mut self) {
        self.cell_depth += 1;
        if self.cell_depth > 1 {
            self.cell_break = self.cell_has_text();
            return;
        }
        self.cell_break = false;
        if self.row_cells > 0 {
            self.push(None, "\t");
        } else if self.text.len() > self.open {
            self.text.push('\n');
        }
        self.row_cells += 1;
        self.cell_start = self.text.len();
        self.open = self.text.len();
    }

    /// Ends a table cell.
    pub fn end_cell(&mut self) {
        self.cell_depth = self.cell_depth.saturating_sub(1);
    }

    /// Ends a table row: its line ends (inside an outer cell, a nested
    /// table's row only separates text).
    pub fn end_row(&mut self) {
        if self.cell_depth > 0 {
            self.cell_break = self.cell_has_text();
            return;
        }
        if self.row_cells > 0 {
            self.text.push('\n');
            self.row_cells = 0;
            self.cell_break = false;
            self.open = self.text.len();
        }
    }

    fn cell_has_text(&self) -> bool {
        self.text.len() > self.cell_start
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
    fn a_table_row_is_one_line_with_its_paragraphs() {
        let mut f = Flow::new();
        f.push_node(0, "名单");
        f.end_paragraph(0);
        for (i, cell) in [["1"].as_slice(), &["李四"], &["尿毒症", "透析"]]
            .iter()
            .enumerate()
        {
            f.begin_cell();
            for (j, p) in cell.iter().enumerate() {
                f.push_node(10 * i + j + 1, p);
                f.end_paragraph(10 * i + j + 1);
            }
            f.end_cell();
        }
        f.end_row();
        f.push_node(99, "公示期");
        f.end_paragraph(99);
        assert_eq!(f.text(), "名单\n1\t李四\t尿毒症 透析\n公示期\n");
        let ids: Vec<usize> = f
            .paragraphs_overlapping(f.text().find("透析").unwrap()..f.text().len() - 1)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        assert_eq!(ids, [22, 99]);
    }

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
