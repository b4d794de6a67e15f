//! Sheet text shared by the .xls/.et and .ods readers, laid out as the
//! .xlsx reader lays it out: one segment per sheet, one line per row with
//! cells, cells separated by tabs, each cell a region named `Sheet!B3`, and
//! hidden rows and columns `hidden` regions with detail `hidden row` /
//! `hidden column`. A hidden sheet is a `hidden` segment. Keeping one layout
//! means a finding reads the same whatever spreadsheet format it came from.

use crate::{Region, Segment};
use baomi_core::{Part, SegmentInfo};

/// Most text kept from one cell: a longer one is cut (and the cut noted).
pub(crate) const MAX_CELL_BYTES: usize = 1 << 20;

/// The A1-style name of a 0-based (row, column).
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).unwrap_or_default(),
        u64::from(row) + 1
    )
}

/// One sheet being laid out, row by row, in row order.
pub(crate) struct SheetText {
    name: String,
    text: String,
    regions: Vec<Region>,
    row_start: usize,
    row_has_cells: bool,
    /// Cells of the current row that lie in hidden columns.
    pending_hidden: Vec<std::ops::Range<usize>>,
    /// Bytes of cell text accepted so far (the caller's budget).
    pub(crate) bytes: usize,
}

impl SheetText {
    pub(crate) fn new(name: &str) -> Self {
        SheetText {
            name: name.to_string(),
            text: String::new(),
            regions: Vec::new(),
            row_start: 0,
            row_has_cells: false,
            pending_hidden: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds one cell to the current row; empty cells are skipped.
    pub(crate) fn cell(&mut self, reference: &str, value: &str, hidden_column: bool) {
        if value.trim().is_empty() {
            return;
        }
        if self.row_has_cells {
            self.text.push('\t');
        } else {
            self.row_start = self.text.len();
        }
        let start = self.text.len();
        let value = clip(value, MAX_CELL_BYTES);
        self.text.push_str(&value.replace(['\r', '\n', '\t'], " "));
        self.bytes += value.len();
        self.regions.push(Region {
            range: start..self.text.len(),
            info: SegmentInfo {
                cell: Some(format!("{}!{reference}", self.name)),
                ..SegmentInfo::default()
            },
        });
        self.row_has_cells = true;
        if hidden_column {
            self.pending_hidden.push(start..self.text.len());
        }
    }

    /// Ends the current row (`hidden`: the row is hidden).
    pub(crate) fn end_row(&mut self, hidden: bool) {
        if !self.row_has_cells {
            return;
        }
        let pending = std::mem::take(&mut self.pending_hidden);
        if hidden {
            self.regions
                .push(hidden_region(self.row_start..self.text.len(), "hidden row"));
        } else {
            for range in pending {
                self.regions.push(hidden_region(range, "hidden column"));
            }
        }
        self.text.push('\n');
        self.row_has_cells = false;
    }

    /// The sheet as a segment, or `None` when it holds no text.
    pub(crate) fn finish(mut self, hidden_sheet: bool) -> Option<Segment> {
        self.end_row(false);
        if self.text.trim().is_empty() {
            return None;
        }
        self.regions.sort_by_key(|r| r.range.start);
        let mut detail = format!("sheet {}", self.name);
        if hidden_sheet {
            detail.push_str(" (hidden sheet)");
        }
        let mut seg = Segment::new(
            SegmentInfo {
                part: Some(if hidden_sheet {
                    Part::Hidden
                } else {
                    Part::Body
                }),
                detail: Some(detail),
                ..SegmentInfo::default()
            },
            self.text,
        );
        seg.regions = self.regions;
        Some(seg)
    }
}

/// A sheet's name (its tab) as text to scan: a tab named "机密名单" is
/// as visible to a reader as a cell. Hidden sheets' names are `hidden`.
pub(crate) fn sheet_name_segment(name: &str, hidden: bool) -> Option<Segment> {
    if name.trim().is_empty() {
        return None;
    }
    Some(Segment::new(
        SegmentInfo {
            part: Some(if hidden { Part::Hidden } else { Part::Body }),
            detail: Some("sheet name".into()),
            ..SegmentInfo::default()
        },
        name.to_string(),
    ))
}

fn hidden_region(range: std::ops::Range<usize>, what: &str) -> Region {
    Region {
        range,
        info: SegmentInfo {
            part: Some(Part::Hidden),
            detail: Some(what.to_string()),
            ..SegmentInfo::default()
        },
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(2, 1), "B3");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(0, 16_383), "XFD1");
    }

    #[test]
    fn rows_cells_and_hidden_parts() {
        let mut s = SheetText::new("表");
        s.cell("A1", "甲", false);
        s.cell("C1", "乙", true);
        s.end_row(false);
        s.cell("A2", "丙", false);
        s.end_row(true);
        s.cell("A3", "  ", false);
        s.end_row(false);
        let seg = s.finish(false).unwrap();
        assert_eq!(seg.text, "甲\t乙\n丙\n");
        let hidden: Vec<_> = seg
            .regions
            .iter()
            .filter(|r| r.info.part == Some(Part::Hidden))
            .map(|r| {
                (
                    &seg.text[r.range.clone()],
                    r.info.detail.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(hidden, [("乙", "hidden column"), ("丙", "hidden row")]);
        assert!(seg
            .regions
            .iter()
            .any(|r| r.info.cell.as_deref() == Some("表!C1")));
        assert!(SheetText::new("空").finish(true).is_none());
    }
}
