//! Scanning extracted segments: findings take the location of the region
//! they fall in (a table cell, a tracked deletion and its author, …).

use crate::{Extracted, Region, Segment};
use baomi_core::{Finding, Scanner};

/// Scans every segment of a document and returns the findings with their
/// precise locations.
pub fn scan_extracted(ex: &Extracted, scanner: &Scanner) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for seg in &ex.segments {
        let mut found = scan_segment(seg, scanner);
        // Taken, not copied: one large segment's findings (hundreds of
        // megabytes with a big keyword list) are not held twice.
        if out.is_empty() {
            out = found;
        } else {
            out.append(&mut found);
        }
    }
    // Only OCR findings can repeat typed ones; without OCR text this pass
    // over every finding (most of a million with a large list) is skipped.
    if ex
        .segments
        .iter()
        .any(|s| s.ocr.is_some() || s.info.part == Some(baomi_core::Part::Ocr))
    {
        crate::ocr::drop_repeats(&mut out);
    }
    out
}

/// Scans one segment, applying its regions (see [`Segment`]).
pub fn scan_segment(seg: &Segment, scanner: &Scanner) -> Vec<Finding> {
    if let Some(map) = &seg.ocr {
        return crate::ocr::scan(seg, map, scanner);
    }
    let mut findings = scanner.scan_segment(&seg.text, &seg.info);
    if seg.regions.is_empty() && !seg.regions_only && !seg.paragraph_lines {
        return findings;
    }
    let (parts, cells): (Vec<&Region>, Vec<&Region>) =
        seg.regions.iter().partition(|r| r.info.part.is_some());
    findings.retain_mut(|f| {
        let (s, e) = (f.span.start, f.span.end.max(f.span.start + 1));
        let mut in_part = false;
        for r in overlapping(&cells, s, e).chain(overlapping(&parts, s, e)) {
            let i = &r.info;
            if let Some(p) = i.part {
                f.location.part = p;
                in_part = true;
            }
            if i.page.is_some() {
                f.location.page = i.page;
            }
            if i.paragraph.is_some() {
                f.location.paragraph = i.paragraph;
            }
            if let Some(v) = &i.cell {
                f.location.cell = Some(v.as_str().into());
            }
            if let Some(v) = &i.author {
                f.location.author = Some(v.as_str().into());
            }
            if let Some(v) = &i.detail {
                f.location.detail = Some(v.as_str().into());
            }
            if in_part {
                // The first hidden region decides; later ones would only
                // relabel the same finding.
                break;
            }
        }
        if seg.paragraph_lines && f.location.paragraph.is_none() {
            f.location.paragraph = u32::try_from(f.location.line).ok();
        }
        in_part || !seg.regions_only
    });
    findings
}

/// Regions of a sorted, non-overlapping list that overlap `[s, e)`.
fn overlapping<'a>(
    list: &'a [&'a Region],
    s: usize,
    e: usize,
) -> impl Iterator<Item = &'a Region> + 'a {
    let from = list.partition_point(|r| r.range.end <= s);
    list[from..]
        .iter()
        .copied()
        .take_while(move |r| r.range.start < e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baomi_core::{Part, SegmentInfo};

    fn region(range: std::ops::Range<usize>, info: SegmentInfo) -> Region {
        Region { range, info }
    }

    #[test]
    fn findings_take_the_location_of_their_regions() {
        let scanner = Scanner::shipped();
        let text = "正文\n机密★1年\n内部资料\n".to_string();
        let cell_start = text.find("内部").unwrap();
        let seg = Segment {
            info: SegmentInfo::new(Part::Body),
            regions: vec![
                region(
                    3..text.find("\n内部").unwrap(),
                    SegmentInfo {
                        author: Some("甲".into()),
                        ..SegmentInfo::new(Part::TrackedDeletion)
                    },
                ),
                region(
                    cell_start..text.len() - 1,
                    SegmentInfo {
                        cell: Some("table 1, row 1, cell 1".into()),
                        ..Default::default()
                    },
                ),
            ],
            text,
            regions_only: false,
            paragraph_lines: true,
            ocr: None,
        };
        let f = scan_segment(&seg, &scanner);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].location.part, Part::TrackedDeletion);
        assert_eq!(f[0].location.author.as_deref(), Some("甲"));
        assert_eq!(f[0].location.paragraph, Some(2));
        assert_eq!(f[1].location.part, Part::Body);
        assert_eq!(
            f[1].location.cell.as_deref(),
            Some("table 1, row 1, cell 1")
        );
        assert_eq!(f[1].location.paragraph, Some(3));

        // In a hidden-only view, findings outside hidden regions are dropped.
        let only = Segment {
            regions_only: true,
            ..seg
        };
        let f = scan_segment(&only, &scanner);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].matched, "机密★1年");
    }
}
