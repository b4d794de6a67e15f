//! Building segments from a flow of paragraphs (a body, a header, one
//! comment) in which runs may be tracked insertions, tracked deletions or
//! hidden text, and paragraphs may sit in table cells.
//!
//! Two texts are built side by side, both with one line per paragraph:
//! the *visible* text (what a reader of the file sees: normal and inserted
//! runs) and the *full* text (everything the file holds, in order: also
//! deleted and hidden runs). The visible text is scanned as the story's part,
//! with inserted runs as regions; the full text is scanned only when it
//! holds something hidden, and only findings touching hidden runs are kept.
//! So a marking Word split into a normal run and a deleted run is still
//! found, and nothing is reported twice.
//!
//! A table row is one line, its cells separated by tabs (paragraphs within a
//! cell by a space), as a spreadsheet row is: a 公示 list is a Word table, and
//! a name in one cell and a disease in the next are one person's row. The
//! scanner keeps hotwords within their cell, and each cell is a region, so a
//! finding still names its table, row and cell; the row counts as one
//! paragraph.

use crate::{Region, Segment};
use baomi_core::{Part, SegmentInfo};

/// What kind of run a piece of text is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Run {
    Normal,
    Inserted(Option<String>),
    Deleted(Option<String>),
    Hidden,
}

pub(crate) struct Story {
    info: SegmentInfo,
    visible: String,
    full: String,
    visible_regions: Vec<Region>,
    full_regions: Vec<Region>,
    cell_start: Option<(usize, usize, String)>,
    cell_depth: usize,
    /// Cells begun in the table row being read (0 outside a row).
    row_cells: usize,
    /// A paragraph ended inside a cell: a space goes before the cell's next
    /// text, so its paragraphs do not run together.
    cell_break: bool,
    hidden: bool,
    /// Text since the last paragraph end (so an unterminated paragraph still
    /// ends with a line).
    open: bool,
}

impl Story {
    pub(crate) fn new(info: SegmentInfo) -> Self {
        Story {
            info,
            visible: String::new(),
            full: String::new(),
            visible_regions: Vec::new(),
            full_regions: Vec::new(),
            cell_start: None,
            cell_depth: 0,
            row_cells: 0,
            cell_break: false,
            hidden: false,
            open: false,
        }
    }

    pub(crate) fn info(&self) -> &SegmentInfo {
        &self.info
    }

    /// Sets the author (an annotation's creator comes after its start).
    pub(crate) fn set_author(&mut self, author: Option<String>) {
        self.info.author = author;
    }

    pub(crate) fn part(&self) -> Option<Part> {
        self.info.part
    }

    pub(crate) fn push(&mut self, text: &str, run: &Run) {
        if text.is_empty() {
            return;
        }
        // A stray newline inside a run would shift paragraph numbers.
        let text: std::borrow::Cow<str> = if text.contains(['\n', '\r']) {
            text.replace(['\n', '\r'], " ").into()
        } else {
            text.into()
        };
        if self.cell_depth == 0 && self.row_cells > 0 {
            // Text after a row that was never ended: the row is over.
            self.end_row();
        }
        if std::mem::take(&mut self.cell_break) {
            self.push_both(" ");
        }
        self.open = true;
        let (vs, fs) = (self.visible.len(), self.full.len());
        match run {
            Run::Normal => {
                self.visible.push_str(&text);
                self.full.push_str(&text);
            }
            Run::Inserted(author) => {
                self.visible.push_str(&text);
                self.full.push_str(&text);
                let info = SegmentInfo {
                    author: author.clone(),
                    ..SegmentInfo::new(Part::TrackedInsertion)
                };
                add_region(&mut self.visible_regions, vs..self.visible.len(), info);
            }
            Run::Deleted(author) => {
                self.full.push_str(&text);
                self.hidden = true;
                let info = SegmentInfo {
                    author: author.clone(),
                    ..SegmentInfo::new(Part::TrackedDeletion)
                };
                add_region(&mut self.full_regions, fs..self.full.len(), info);
            }
            Run::Hidden => {
                self.full.push_str(&text);
                self.hidden = true;
                add_region(
                    &mut self.full_regions,
                    fs..self.full.len(),
                    SegmentInfo::new(Part::Hidden),
                );
            }
        }
    }

    /// Whether text was added since the last paragraph end.
    pub(crate) fn line_open(&self) -> bool {
        self.open
    }

    /// Ends the current line if it has text (HTML blocks nest; empty
    /// blocks must not add lines).
    pub(crate) fn end_line(&mut self) {
        if self.open {
            self.end_paragraph();
        }
    }

    /// Ends the current paragraph (inside a table cell: a space).
    pub(crate) fn end_paragraph(&mut self) {
        if self.cell_depth > 0 {
            self.cell_break = self.cell_has_text();
            return;
        }
        if self.row_cells > 0 {
            // Between two cells of a row (HTML ends a line at every <td>):
            // the row's line goes on until the row ends.
            return;
        }
        self.push_both("\n");
        self.open = false;
    }

    fn push_both(&mut self, s: &str) {
        self.visible.push_str(s);
        self.full.push_str(s);
    }

    /// Starts a table cell; nested tables stay inside their outer cell.
    pub(crate) fn begin_cell(&mut self, label: String) {
        self.cell_depth += 1;
        if self.cell_depth == 1 {
            self.cell_break = false;
            if self.row_cells > 0 {
                self.push_both("\t");
            } else if self.open {
                // Text before the table in the same line ends there.
                self.push_both("\n");
            }
            self.row_cells += 1;
            self.open = true;
            self.cell_start = Some((self.visible.len(), self.full.len(), label));
        } else {
            self.cell_break = self.cell_has_text();
        }
    }

    fn cell_has_text(&self) -> bool {
        self.cell_start
            .as_ref()
            .is_some_and(|(_, fs, _)| self.full.len() > *fs)
    }

    /// Ends a table row: the row's line ends (a nested table's row only
    /// separates text inside the outer cell).
    pub(crate) fn end_row(&mut self) {
        if self.cell_depth > 0 {
            self.cell_break = self.cell_has_text();
            return;
        }
        if self.row_cells > 0 {
            self.push_both("\n");
            self.row_cells = 0;
            self.open = false;
            self.cell_break = false;
        }
    }

    pub(crate) fn end_cell(&mut self) {
        if self.cell_depth == 1 {
            if let Some((vs, fs, label)) = self.cell_start.take() {
                let info = SegmentInfo {
                    cell: Some(label),
                    ..Default::default()
                };
                let (ve, fe) = (self.visible.len(), self.full.len());
                self.visible_regions.push(Region {
                    range: vs..ve,
                    info: info.clone(),
                });
                self.full_regions.push(Region {
                    range: fs..fe,
                    info,
                });
            }
        }
        self.cell_depth = self.cell_depth.saturating_sub(1);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.full.trim().is_empty()
    }

    /// The segments of this story: the visible text, and the full text when
    /// anything is hidden. Empty stories give nothing.
    pub(crate) fn finish(mut self, out: &mut Vec<Segment>) {
        self.cell_depth = 0;
        if self.row_cells > 0 {
            self.end_row();
        } else if self.open {
            self.end_paragraph();
        }
        if self.is_empty() {
            return;
        }
        let sort = |v: &mut Vec<Region>| v.sort_by_key(|r| (r.range.start, r.info.part.is_none()));
        sort(&mut self.visible_regions);
        sort(&mut self.full_regions);
        let hidden = self.hidden;
        out.push(Segment {
            info: self.info.clone(),
            text: self.visible,
            regions: self.visible_regions,
            regions_only: false,
            paragraph_lines: true,
            ocr: None,
        });
        if hidden {
            out.push(Segment {
                info: self.info,
                text: self.full,
                regions: self.full_regions,
                regions_only: true,
                paragraph_lines: true,
                ocr: None,
            });
        }
    }
}

/// Adds a region, merging it with the previous one when they touch and say
/// the same (Word splits one deletion into many runs).
fn add_region(list: &mut Vec<Region>, range: std::ops::Range<usize>, info: SegmentInfo) {
    if let Some(last) = list.iter_mut().rev().find(|r| r.info.part.is_some()) {
        if last.range.end == range.start && last.info == info {
            last.range.end = range.end;
            return;
        }
    }
    list.push(Region { range, info });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_runs_make_a_second_view_with_merged_regions() {
        let mut s = Story::new(SegmentInfo::new(Part::Body));
        s.push("标题", &Run::Normal);
        s.end_paragraph();
        s.push("密级：", &Run::Normal);
        let author = Some("李四".to_string());
        s.push("机密★", &Run::Deleted(author.clone()));
        s.push("5年", &Run::Deleted(author.clone()));
        s.push("公开", &Run::Inserted(Some("王五".into())));
        s.end_paragraph();
        let mut out = Vec::new();
        s.finish(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, "标题\n密级：公开\n");
        assert!(!out[0].regions_only);
        assert_eq!(out[0].regions.len(), 1);
        assert_eq!(out[0].regions[0].info.part, Some(Part::TrackedInsertion));
        assert_eq!(&out[0].text[out[0].regions[0].range.clone()], "公开");
        assert_eq!(out[1].text, "标题\n密级：机密★5年公开\n");
        assert!(out[1].regions_only);
        // Word's one-run-per-change splitting is merged back into one region.
        assert_eq!(out[1].regions.len(), 1);
        assert_eq!(&out[1].text[out[1].regions[0].range.clone()], "机密★5年");
        assert_eq!(out[1].regions[0].info.author, author);
    }

    #[test]
    fn stray_newlines_do_not_shift_paragraphs_and_empty_stories_vanish() {
        let mut s = Story::new(SegmentInfo::new(Part::Comment));
        s.push("一\n二\r三", &Run::Normal);
        let mut out = Vec::new();
        s.finish(&mut out);
        assert_eq!(out[0].text, "一 二 三\n");
        let mut out = Vec::new();
        let mut empty = Story::new(SegmentInfo::new(Part::Header));
        empty.push("  ", &Run::Normal);
        empty.end_paragraph();
        empty.finish(&mut out);
        assert!(out.is_empty());
    }
}
