//! OCR on real scans (tests/fixtures/scan-*, made by make_scans.py with
//! LibreOffice, pdftoppm and img2pdf): markings, internal markings, ID and
//! mobile numbers found in part `ocr` with page, line and box; blank scans,
//! a missing engine and hostile images fail closed. Needs tesseract-ocr and
//! tesseract-ocr-chi-sim (.ci/install-deps.sh).

use baomi_core::{BoxUnit, DocumentReport, Finding, Part, Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn review_with(name: &str, limits: &Limits) -> DocumentReport {
    review_file(&fixture(name), &Scanner::shipped(), limits)
}

fn review(name: &str) -> DocumentReport {
    review_with(name, &Limits::default())
}

fn by_rule<'a>(r: &'a DocumentReport, rule: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| &*f.rule == rule).collect()
}

/// The planted text of scan-source.html, as found on every clean scan.
fn expect_planted(r: &DocumentReport, unit: BoxUnit, page: Option<u32>) {
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    for f in &r.findings {
        assert_eq!(f.location.part, Part::Ocr, "{f:?}");
        assert_eq!(f.location.page, page);
        let b = f.location.bbox.expect("every OCR finding has a box");
        assert_eq!(b.unit, unit);
        assert!(b.w > 0 && b.h > 0);
    }
    let marking = by_rule(r, "marking.classification");
    assert_eq!(marking.len(), 1, "{:#?}", r.findings);
    // Top right of the page, on the first OCR line.
    let m = &marking[0].location;
    assert_eq!((m.line, m.column), (1, 1));
    let b = m.bbox.unwrap();
    let (page_w, page_h) = match unit {
        BoxUnit::Pt => (595, 842),
        BoxUnit::Px => (1241, 1754),
    };
    assert!(b.x > page_w / 2 && b.y < page_h / 10, "{b:?}");
    let id = by_rule(r, "personal.id-card");
    assert_eq!(id.len(), 1);
    assert_eq!(id[0].matched, "11010519491231002X");
    // The ID number's box sits left of the middle, below the marking.
    let ib = id[0].location.bbox.unwrap();
    assert!(ib.y > b.y && ib.x < page_w / 2, "{ib:?}");
    let mobiles: Vec<&str> = by_rule(r, "personal.mobile")
        .iter()
        .map(|f| f.matched.as_str())
        .collect();
    assert_eq!(mobiles, ["13812345678", "13912345678"]);
    // 内部资料 twice (body and the 10 pt line), 请勿外传 once.
    assert_eq!(by_rule(r, "internal.marking").len(), 3);
    assert!(r
        .coverage
        .notes
        .iter()
        .any(|n| n.starts_with("all text of this file comes from OCR")));
    assert!(r.coverage.parts.contains(&Part::Ocr));
}

#[test]
fn a_150_dpi_scanned_pdf_is_read_by_ocr() {
    let r = review("scan-150.pdf");
    expect_planted(&r, BoxUnit::Pt, Some(1));
    // The star was misread; the finding shows what OCR read.
    let m = &by_rule(&r, "marking.classification")[0].matched;
    assert!(m.starts_with("机密") && m.ends_with("5年"), "{m}");
    assert_eq!(r.doc_number.as_deref(), Some("办发[2024]7号"));
}

#[test]
fn a_300_dpi_scanned_pdf_is_read_by_ocr() {
    expect_planted(&review("scan-300.pdf"), BoxUnit::Pt, Some(1));
}

#[test]
fn a_standalone_png_is_read_by_ocr_with_pixel_boxes() {
    let r = review("scan.png");
    expect_planted(&r, BoxUnit::Px, None);
    assert_eq!(r.title.as_deref(), Some("关于开展2024年度保密自查的通知"));
}

#[test]
fn a_docx_whose_body_is_a_pasted_page_image_is_read() {
    let r = review("scan-pasted.docx");
    expect_planted(&r, BoxUnit::Px, None);
    for f in &r.findings {
        assert_eq!(f.location.detail.as_deref(), Some("word/media/image1.png"));
    }
    assert!(
        !r.coverage.notes.iter().any(|n| n.contains("not read")),
        "{:?}",
        r.coverage.notes
    );
}

#[test]
fn a_rotated_noisy_scan_is_read_too() {
    // Turned 1.2° with speckles, JPEG: read at its own 150 dpi (upscaled to
    // 300 dpi the speckles cost the marking and the ID number).
    let r = review("scan-rotated.pdf");
    assert_eq!(r.verdict, Verdict::Withhold);
    assert_eq!(by_rule(&r, "marking.classification").len(), 1);
    assert_eq!(
        by_rule(&r, "personal.id-card")[0].matched,
        "11010519491231002X"
    );
    let mobiles: Vec<&str> = by_rule(&r, "personal.mobile")
        .iter()
        .map(|f| f.matched.as_str())
        .collect();
    assert_eq!(mobiles, ["13812345678", "13912345678"]);
}

#[test]
fn a_blank_scan_is_a_gap_not_clear() {
    let r = review("scan-blank.pdf");
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.is_none(), "OCR ran: a gap, not a failure to read");
    assert!(!r.coverage.complete);
    assert!(
        r.coverage.notes[0].contains("OCR found no text"),
        "{:?}",
        r.coverage.notes
    );
}

fn without_engine() -> Limits {
    let mut limits = Limits::default();
    limits.ocr.program = "/nonexistent/baomi-test/tesseract".into();
    limits
}

#[test]
fn a_missing_engine_is_an_error_saying_what_to_install() {
    let limits = without_engine();
    for name in ["scan-150.pdf", "scan.png"] {
        let r = review_with(name, &limits);
        assert_eq!(r.verdict, Verdict::Error, "{name}");
        let e = r.error.unwrap();
        assert!(
            e.contains("apt-get install tesseract-ocr tesseract-ocr-chi-sim"),
            "{name}: {e}"
        );
    }
    // Pictures in a docx: the file is read, the pictures are gaps.
    let r = review_with("scan-pasted.docx", &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r
        .coverage
        .notes
        .iter()
        .any(|n| n.contains("word/media/image1.png")
            && n.contains("apt-get install tesseract-ocr tesseract-ocr-chi-sim")));
}

#[test]
fn ocr_off_leaves_scans_unreviewed_never_clear() {
    let mut limits = Limits::default();
    limits.ocr.enabled = false;
    let r = review_with("scan-150.pdf", &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.unwrap().contains("OCR is off"));
    let r = review_with("scan.png", &limits);
    assert!(r.error.unwrap().contains("OCR is off"));
    let r = review_with("scan-pasted.docx", &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.coverage.notes.iter().any(|n| n.contains("OCR is off")));
}

#[test]
fn pages_beyond_max_ocr_pages_are_gaps() {
    let mut limits = Limits::default();
    limits.ocr.max_pages = 0;
    let r = review_with("scan-150.pdf", &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(
        r.coverage.notes.iter().any(|n| n.contains("max_ocr_pages")),
        "{r:?}"
    );
}

/// A PNG that declares `w` × `h` pixels and holds no pixel data.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&[0; 4]); // CRC: nothing decodes this far
    png
}

#[test]
fn hostile_images_are_refused_from_their_header() {
    let scanner = Scanner::shipped();
    let limits = Limits::default();
    let r = review_bytes("bomb.png", &png_header(50_000, 50_000), &scanner, &limits);
    assert_eq!(r.verdict, Verdict::Error);
    let e = r.error.unwrap();
    assert!(
        e.contains("decompression bomb") && e.contains("50000 × 50000"),
        "{e}"
    );

    // A JPEG cut off before its frame header: no dimensions, refused.
    let truncated =
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xDB\x00";
    let r = review_bytes("cut.jpg", truncated, &scanner, &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.unwrap().contains("damaged or truncated"));

    // The same bomb pasted into a docx is a gap; the rest is still read.
    let docx = std::fs::read(fixture("scan-pasted.docx")).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name == "word/media/image1.png" {
            data = png_header(50_000, 50_000);
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, &data).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    let r = review_bytes("bomb.docx", &bytes, &scanner, &limits);
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.is_none());
    assert!(r
        .coverage
        .notes
        .iter()
        .any(|n| n.contains("image word/media/image1.png refused") && n.contains("50000 × 50000")));
}

#[test]
fn a_typed_pdf_page_with_a_scanned_attachment_reads_both_once() {
    let r = review("scan-attached.pdf");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    // The typed line is body text; the picture below it is OCR'd.
    let typed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.location.part == Part::Body)
        .collect();
    assert_eq!(typed.len(), 1, "{typed:#?}");
    assert_eq!(typed[0].matched, "内部资料");
    for rule in ["marking.classification", "personal.id-card"] {
        let f = by_rule(&r, rule);
        assert_eq!(f.len(), 1, "{rule}");
        assert_eq!(f[0].location.part, Part::Ocr);
        assert_eq!(f[0].location.page, Some(1));
    }
    // 内部资料 is in the text layer of this page: the same text that OCR
    // reads on the page (in the typed line and the picture) is not
    // reported again.
    assert!(by_rule(&r, "internal.marking")
        .iter()
        .all(|f| f.matched != "内部资料" || f.location.part == Part::Body));
    // No "all text from OCR" note: the page has typed text.
    assert!(!r
        .coverage
        .notes
        .iter()
        .any(|n| n.contains("all text of this file")));

    // A typed PDF without pictures is not OCR'd at all.
    let r = review("draft.pdf");
    assert!(!r.coverage.parts.contains(&Part::Ocr));
}
